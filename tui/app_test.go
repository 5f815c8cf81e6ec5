package tui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata")

// harness runs an App on a simulation screen, on tview's own event loop as
// in the real program, and lets a test type keys and read the screen.
type harness struct {
	t    *testing.T
	a    *App
	s    tcell.SimulationScreen
	done chan any // Run's error, or its panic
	keys int64    // keys injected
}

// startApp starts the UI at w×h. check, when not nil, replaces the rules.
func startApp(t *testing.T, cfg Config, w, h int, check func(*rules.Context) []rules.Finding) *harness {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if check != nil {
		a.check = check
	}
	return runHarness(t, a, tcell.NewSimulationScreen("UTF-8"), w, h)
}

func runHarness(t *testing.T, a *App, s tcell.SimulationScreen, w, h int) *harness {
	t.Helper()
	a.SetScreen(s)
	s.SetSize(w, h)
	hs := &harness{t: t, a: a, s: s, done: make(chan any, 1)}
	go func() {
		defer func() {
			if p := recover(); p != nil {
				hs.done <- p
			}
		}()
		hs.done <- a.Run(context.Background())
	}()
	t.Cleanup(hs.stop)
	return hs
}

// stop quits the UI and waits for Run to return.
func (h *harness) stop() {
	h.a.quit()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.t.Error("Run did not return after quit")
	}
}

// onUI runs f on the UI goroutine and waits for it.
func (h *harness) onUI(f func()) {
	h.t.Helper()
	done := make(chan struct{})
	go func() {
		h.a.tv.QueueUpdateDraw(f)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		h.t.Fatal("the UI goroutine did not run an update")
	}
}

// settle waits until every key injected has been handled, the analysis is
// done and no background work is pending.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		idle := false
		if h.a.handled.Load() == h.keys {
			h.onUI(func() { idle = h.a.busy == 0 && (h.a.model != nil || h.a.analysisErr != nil) })
		}
		if idle {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatal("the UI did not settle")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// key types a key and waits for the UI to settle.
func (h *harness) key(k tcell.Key, r rune) {
	h.t.Helper()
	h.s.InjectKey(k, r, tcell.ModNone)
	h.keys++
	h.settle()
}

// typeText types runes one by one.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		h.key(tcell.KeyRune, r)
	}
}

// resize changes the screen's size as a terminal resize does.
func (h *harness) resize(w, ht int) {
	h.t.Helper()
	h.s.SetSize(w, ht)
	h.a.tv.QueueEvent(tcell.NewEventResize(w, ht))
	h.settle()
}

// text returns the screen as lines of text, trailing spaces trimmed.
func (h *harness) text() string {
	h.t.Helper()
	h.onUI(func() {})
	cells, w, ht := h.s.GetContents()
	var b strings.Builder
	for y := 0; y < ht; y++ {
		var line strings.Builder
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Runes) == 0 {
				line.WriteByte(' ')
				continue
			}
			line.WriteString(string(c.Runes))
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// cellStyle returns the style of the first cell on screen showing text.
func (h *harness) cellStyle(text string) (tcell.Style, bool) {
	h.t.Helper()
	screen := h.text()
	cells, w, _ := h.s.GetContents()
	for y, line := range strings.Split(screen, "\n") {
		if i := strings.Index(line, text); i >= 0 {
			x := len([]rune(line[:i]))
			return cells[y*w+x].Style, true
		}
	}
	return tcell.StyleDefault, false
}

// golden compares a screen with testdata/<name>.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("screen %s differs from %s (go test ./tui -update rewrites it):\n%s", name, path, lineDiff(string(want), got))
	}
}

// lineDiff shows the lines that differ.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			b.WriteString("line " + strconv.Itoa(i+1) + "\n  want: " + w + "\n  got:  " + g + "\n")
		}
	}
	return b.String()
}

// selection describes the state the keys moved: the selected row of the
// tunnels pane, the packet list's subject and selected packet, the pane
// with the focus.
type selection struct {
	row     string
	subject string
	frame   int
	side    flows.Side
	fate    fate
	focus   string
	filter  string
}

func (h *harness) selection() selection {
	h.t.Helper()
	var s selection
	h.onUI(func() {
		if r := h.a.tunnels.selected(); r != nil {
			s.row = r.id
		}
		s.subject = h.a.current.name()
		if r, ok := h.a.packets.selectedRow(); ok {
			p, side := h.a.load.first(r)
			if p != nil {
				s.frame, s.side = p.Frame, side
			}
			s.fate = r.fate
		}
		if f := h.a.focused(); f != nil {
			s.focus = f.Title()
		}
		s.filter = h.a.filter.valid
	})
	return s
}

func TestScreenStart(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	got := h.text()
	golden(t, "start_100x30", got)
	for _, want := range []string{"T1 ", "1E", "Packets of tunnel 1: 25 inside, 22 outside, 3 lost", "IKE_SA_INIT request", "clock +7.299s"} {
		if !strings.Contains(got, want) {
			t.Errorf("start screen lacks %q", want)
		}
	}
	if s := h.selection(); s.row != "T1" || s.subject != "tunnel 1" || s.focus != "Tunnels & flows" {
		t.Errorf("start: selection %+v, want tunnel 1 in the tunnels pane", s)
	}
}

func TestScreenResize(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.resize(80, 24)
	golden(t, "start_80x24", h.text())
	// At 80×24 the findings show under the tunnels, the two most severe
	// of them; going to them gives them room for the explanation.
	got := h.text()
	for _, want := range []string{"[2] Findings (3)", "error   VP201", "warning VP304", "[1] Tunnels & flows (", "[3] Packets of tunnel 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("80×24: the screen lacks %q:\n%s", want, got)
		}
	}
	h.key(tcell.KeyRune, '2')
	got = h.text()
	if !strings.Contains(got, "Why: The NAT forwarded the IKE exchange") || !strings.Contains(got, "[1] Tunnels & flows (") {
		t.Errorf("80×24 after 2: want the finding's explanation, and the tunnels still there:\n%s", got)
	}
	h.resize(140, 40)
	got = h.text()
	if !strings.Contains(got, "Findings (3)") || !strings.Contains(got, "Tunnels & flows (") {
		t.Errorf("140×40: want tunnels and findings side by side:\n%s", got)
	}
}

func TestKeysMoveSelection(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	cases := []struct {
		name  string
		keys  []rune
		row   string
		subj  string
		focus string
	}{
		{"down to the first flow", []rune{'j'}, "F1", "flow 1", "Tunnels & flows"},
		{"down again", []rune{'j'}, "F2", "flow 2", "Tunnels & flows"},
		{"up", []rune{'k'}, "F1", "flow 1", "Tunnels & flows"},
		{"top", []rune{'g'}, "T1", "tunnel 1", "Tunnels & flows"},
		{"bottom", []rune{'G'}, "F6", "flow 6", "Tunnels & flows"},
		{"top again", []rune{'g'}, "T1", "tunnel 1", "Tunnels & flows"},
		{"to the packets", []rune{'3'}, "T1", "tunnel 1", "Packets"},
		{"to the tree", []rune{'4'}, "T1", "tunnel 1", "Decode"},
		{"to the bytes", []rune{'5'}, "T1", "tunnel 1", "Bytes"},
		{"back to the tunnels", []rune{'1'}, "T1", "tunnel 1", "Tunnels & flows"},
	}
	for _, tc := range cases {
		for _, k := range tc.keys {
			h.key(tcell.KeyRune, k)
		}
		s := h.selection()
		if s.row != tc.row || s.subject != tc.subj || s.focus != tc.focus {
			t.Errorf("%s: row %q, subject %q, focus %q; want %q, %q, %q", tc.name, s.row, s.subject, s.focus, tc.row, tc.subj, tc.focus)
		}
	}
	// Tab and Shift-Tab go round the panes.
	order := []string{"Findings", "Packets", "Decode", "Bytes", "Ladder", "Tunnels & flows"}
	for _, want := range order {
		h.key(tcell.KeyTab, 0)
		if got := h.selection().focus; got != want {
			t.Errorf("Tab: focus %q, want %q", got, want)
		}
	}
	h.key(tcell.KeyBacktab, 0)
	if got := h.selection().focus; got != "Ladder" {
		t.Errorf("Shift-Tab: focus %q, want Ladder", got)
	}
	// In the packet list, j moves to the next packet; n to the next lost one.
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, 'j')
	if s := h.selection(); s.frame != 2 {
		t.Errorf("packets j: frame %d, want 2", s.frame)
	}
	h.key(tcell.KeyRune, 'n')
	if s := h.selection(); s.fate != fateDropped || s.frame != 27 {
		t.Errorf("packets n: frame %d fate %d, want the first lost ESP (frame 27)", s.frame, s.fate)
	}
	h.key(tcell.KeyRune, 'n')
	if s := h.selection(); s.fate != fateDropped || s.frame != 31 {
		t.Errorf("packets n n: frame %d fate %d, want the second lost ESP (frame 31)", s.frame, s.fate)
	}
	h.key(tcell.KeyRune, 'N')
	if s := h.selection(); s.frame != 27 {
		t.Errorf("packets N: frame %d, want 27 again", s.frame)
	}
}

func TestJumpToEvidence(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	// Select the second flow, then jump from the first finding (the
	// error about tunnel 1) to its evidence.
	h.typeText("jj")
	h.key(tcell.KeyRune, '2')
	h.key(tcell.KeyEnter, 0)
	s := h.selection()
	if s.row != "T1" || s.subject != "tunnel 1" || s.focus != "Packets" {
		t.Fatalf("after Enter on the finding: %+v, want tunnel 1's packets focused", s)
	}
	if s.frame != 27 || s.side != flows.SideInside || s.fate != fateDropped {
		t.Errorf("evidence: frame %d side %v fate %d, want inside frame 27, lost", s.frame, s.side, s.fate)
	}
	golden(t, "jump_100x30", h.text())

	// A finding about no tunnel lists its evidence frames alone.
	h.key(tcell.KeyRune, '2')
	h.typeText("G")
	h.key(tcell.KeyEnter, 0)
	s = h.selection()
	if s.subject != "evidence" || s.frame != 25 {
		t.Errorf("after Enter on the VP901 finding: %+v, want the evidence frames, frame 25 first", s)
	}
	if got := h.text(); !strings.Contains(got, "Packets of evidence: 2") {
		t.Errorf("evidence list title missing:\n%s", got)
	}
}

func TestFilter(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '/')
	h.typeText("esp")
	got := h.text()
	if ids := h.rowIDs(); !strings.Contains(got, "/ esp") || strings.Join(ids, " ") != "T2 F4 F5 F4 F5" {
		t.Errorf("filter esp: rows %v, want tunnel 2 (raw ESP) and its ESP flows only:\n%s", ids, got)
	}
	h.key(tcell.KeyEnter, 0)
	golden(t, "filter_esp", h.text())
	if s := h.selection(); s.row != "T2" || s.filter != "esp" || s.focus != "Tunnels & flows" {
		t.Errorf("after Enter: %+v, want T2 selected, filter esp, focus back on the tunnels", s)
	}

	// An invalid term shows an error in the bar and keeps the last
	// valid filter.
	h.key(tcell.KeyRune, '/')
	h.typeText(" spi=zz")
	got = h.text()
	if !strings.Contains(got, "not a hexadecimal SPI") {
		t.Errorf("invalid filter: no error in the bar:\n%s", got)
	}
	if s := h.selection(); s.filter != "esp" {
		t.Errorf("invalid filter: filter %q, want esp kept", s.filter)
	}
	// Enter does not close the bar on an invalid expression; Esc
	// restores the filter from before editing.
	h.key(tcell.KeyEnter, 0)
	if s := h.selection(); s.focus != "" {
		t.Errorf("Enter on an invalid filter moved the focus to %q", s.focus)
	}
	h.key(tcell.KeyEscape, 0)
	if s := h.selection(); s.filter != "esp" || s.focus != "Tunnels & flows" {
		t.Errorf("Esc: %+v, want filter esp, focus on the tunnels", s)
	}

	// Combined terms and the other forms.
	for _, tc := range []struct {
		expr string
		rows []string
	}{
		{"spi=0xc0ffee01", []string{"T1", "F2", "F2"}},
		{"tunnel=2", []string{"T2", "F3", "F4", "F5", "F3", "F4", "F5"}},
		{"10.0.0.3 tunnels", []string{"T2"}},
		{"port 53", []string{"F6", "F6"}},
		{"udp !ike", []string{"F6", "F6"}},
		{"side=outside esp", []string{"T2", "F4", "F5"}},
		{"severity>=warning tunnels", []string{"T1", "T2"}},
		{"severity=error", []string{"T1", "F1", "F2", "F1", "F2"}},
	} {
		h.key(tcell.KeyEscape, 0) // clears the filter
		h.key(tcell.KeyRune, '/')
		h.typeText(tc.expr)
		h.key(tcell.KeyEnter, 0)
		if ids := h.rowIDs(); strings.Join(ids, " ") != strings.Join(tc.rows, " ") {
			t.Errorf("filter %q: rows %v, want %v", tc.expr, ids, tc.rows)
		}
	}
}

// rowIDs returns the rows of the tunnels pane.
func (h *harness) rowIDs() []string {
	var ids []string
	h.onUI(func() {
		for _, r := range h.a.tunnels.content.rows {
			ids = append(ids, r.id)
		}
	})
	return ids
}

func TestSort(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, 's') // by side
	h.key(tcell.KeyRune, 's') // by kind
	got := h.text()
	if !strings.Contains(got, "Kind ▲") || !strings.Contains(got, "sorted by kind") {
		t.Errorf("s s: want the Kind column sorted:\n%s", got)
	}
	h.key(tcell.KeyRune, 'S')
	if got := h.text(); !strings.Contains(got, "Kind ▼") {
		t.Errorf("S: want the Kind column reversed:\n%s", got)
	}
	var kinds []string
	h.onUI(func() {
		for _, r := range h.a.tunnels.content.rows {
			kinds = append(kinds, r.kindText)
		}
	})
	for i := 1; i < len(kinds); i++ {
		if kinds[i] > kinds[i-1] {
			t.Errorf("rows not in reverse kind order: %v", kinds)
			break
		}
	}
}

func TestHelpOverlay(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '?')
	got := h.text()
	golden(t, "help_100x30", got)
	for _, b := range defaultKeymap()[:10] {
		if !strings.Contains(got, b.help) {
			t.Errorf("help lacks %q", b.help)
		}
	}
	// Keys do not reach the panes while the help shows.
	h.key(tcell.KeyRune, 'j')
	if s := h.selection(); s.row != "T1" {
		t.Errorf("j under the help moved the tunnels pane to %q", s.row)
	}
	h.key(tcell.KeyEscape, 0)
	if got := h.text(); strings.Contains(got, "Keys (j/k scroll") {
		t.Error("Esc did not close the help")
	}
	if s := h.selection(); s.focus != "Tunnels & flows" {
		t.Errorf("focus after the help: %q, want the tunnels", s.focus)
	}
	// q closes the help, as in htop, and leaves the UI running.
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, '?')
	h.key(tcell.KeyRune, 'q')
	select {
	case v := <-h.done:
		h.done <- v
		t.Fatal("q in the help quit the UI")
	default:
	}
	if got := h.text(); strings.Contains(got, "Keys (j/k scroll") {
		t.Error("q did not close the help")
	}
	if s := h.selection(); s.focus != "Packets" {
		t.Errorf("focus after the help: %q, want the packets, where it was", s.focus)
	}
}

// TestHelpExplains checks that the help says what the marks of the panes
// mean: n/c, LOST, ●, ▸ and ≠.
func TestHelpExplains(t *testing.T) {
	text := (&App{keys: defaultKeymap()}).helpText()
	for _, want := range []string{"n/c        not compared", "LOST →", "● marks the packets a finding gives as evidence", "▸ on a closed one", "≠ marks the lines that differ", "frame 20-30", "✗ lost at the NAT, ~ changed"} {
		if !strings.Contains(text, want) {
			t.Errorf("the help does not explain %q", want)
		}
	}
}

func TestMouse(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	// Click on the third data row of the tunnels pane (below its border
	// and header): flow 2.
	click := func(x, y int) {
		h.s.InjectMouse(x, y, tcell.Button1, tcell.ModNone)
		h.s.InjectMouse(x, y, tcell.ButtonNone, tcell.ModNone)
		time.Sleep(20 * time.Millisecond)
		h.settle()
	}
	click(5, 5)
	if s := h.selection(); s.row != "F2" {
		t.Errorf("click on the tunnels pane: row %q, want F2", s.row)
	}
	// A click in the packet list focuses it.
	click(10, 15)
	deadline := time.Now().Add(5 * time.Second)
	for h.selection().focus != "Packets" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := h.selection(); s.focus != "Packets" {
		t.Errorf("click on the packets pane: focus %q, want Packets", s.focus)
	}
}

func TestMonochrome(t *testing.T) {
	cfg := scenarioConfig()
	cfg.Mono = true
	h := startApp(t, cfg, 100, 30, scenarioFindings)
	h.settle()
	h.text()
	cells, _, _ := h.s.GetContents()
	for i, c := range cells {
		fg, bg, _ := c.Style.Decompose()
		if fg != tcell.ColorDefault || bg != tcell.ColorDefault {
			t.Fatalf("cell %d (%q) has colours %v on %v; want the terminal's own", i, string(c.Runes), fg, bg)
		}
	}
	// Severity still shows, as an attribute: tunnel 2 has a warning
	// (tunnel rows are bold; the selected row is reversed).
	h.key(tcell.KeyRune, '/')
	h.typeText("tunnels")
	h.key(tcell.KeyEnter, 0)
	st, ok := h.cellStyle("T2 ")
	if _, _, attr := st.Decompose(); !ok || attr&tcell.AttrUnderline == 0 || attr&tcell.AttrReverse != 0 {
		t.Errorf("tunnel 2's row: style %v, want underlined for its warning", st)
	}
}

func TestRowsColouredBySeverity(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '/')
	h.typeText("tunnels")
	h.key(tcell.KeyEnter, 0)
	// The selected row is drawn reversed: look at each tunnel while the
	// other one is selected.
	for _, tc := range []struct {
		key  rune
		text string
		want tcell.Color
	}{{'G', "T1 ", tcell.ColorRed}, {'g', "T2 ", tcell.ColorYellow}} {
		h.key(tcell.KeyRune, tc.key)
		st, ok := h.cellStyle(tc.text)
		if fg, _, _ := st.Decompose(); !ok || fg != tc.want {
			t.Errorf("row %q: colour %v, want %v", tc.text, fg, tc.want)
		}
	}
}

func TestQuit(t *testing.T) {
	h := startApp(t, scenarioConfig(), 80, 24, scenarioFindings)
	h.settle()
	h.s.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	select {
	case v := <-h.done:
		if v != nil {
			t.Errorf("Run after q: %v, want nil", v)
		}
		h.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("q did not end Run")
	}
}

// finiScreen records whether the terminal was restored.
type finiScreen struct {
	tcell.SimulationScreen
	fini chan struct{}
}

func (s *finiScreen) Fini() {
	select {
	case <-s.fini:
	default:
		close(s.fini)
	}
	s.SimulationScreen.Fini()
}

func TestPanicRestoresTerminal(t *testing.T) {
	a, err := New(scenarioConfig())
	if err != nil {
		t.Fatal(err)
	}
	a.check = func(*rules.Context) []rules.Finding { panic("rule bug") }
	s := &finiScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8"), fini: make(chan struct{})}
	h := runHarness(t, a, s, 80, 24)
	select {
	case v := <-h.done:
		wp, ok := v.(*workerPanic)
		if !ok || wp.value != "rule bug" {
			t.Fatalf("Run ended with %v, want the background panic raised again", v)
		}
		h.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("a panic in background work did not end Run")
	}
	select {
	case <-s.fini:
	default:
		t.Error("the screen was not finalised before the panic was raised again")
	}
}

func TestNewRejectsCaptureCounts(t *testing.T) {
	for _, n := range []int{0, 3} {
		if _, err := New(Config{Captures: make([]Capture, n)}); err == nil {
			t.Errorf("New with %d captures: no error", n)
		}
	}
}

// TestDocsListKeys checks that docs/tui.md lists the keys as the keymap
// has them.
func TestDocsListKeys(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "tui.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range helpLines(defaultKeymap()) {
		if !strings.Contains(string(doc), "\n"+l+"\n") {
			t.Errorf("docs/tui.md lacks the key line %q", l)
		}
	}
}
