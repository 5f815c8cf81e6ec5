package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/dissect"
	"github.com/vpnpcap/vpnpcap/flows"
)

// message returns the status line's message.
func (h *harness) message() string {
	var m string
	h.onUI(func() { m = h.a.message })
	return m
}

// findingSelected returns the index of the selected finding.
func (h *harness) findingSelected() int {
	var i int
	h.onUI(func() { i = h.a.findings.list.selected() })
	return i
}

// line returns the screen line that contains text, or "".
func line0(screen, text string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// TestBack goes back after each kind of step: Enter on a finding (to
// its evidence), on a tunnel, on a packet, and a new filter; with nowhere
// to go back to, Esc says so.
func TestBack(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.key(tcell.KeyEscape, 0)
	if m := h.message(); m != "nothing to go back to" {
		t.Errorf("Esc at the start: message %q", m)
	}
	// From flow 2 and the second finding, Enter jumps to the first
	// finding's evidence; Esc comes back to both.
	h.typeText("jj2j")
	h.key(tcell.KeyRune, 'k')
	h.key(tcell.KeyEnter, 0)
	if s := h.selection(); s.subject != "tunnel 1" || s.frame != 27 || s.focus != "Packets" {
		t.Fatalf("Enter on the finding: %+v, want tunnel 1's frame 27 in the packets", s)
	}
	h.key(tcell.KeyEscape, 0)
	if s := h.selection(); s.row != "F2" || s.subject != "flow 2" || s.focus != "Findings" || h.findingSelected() != 0 {
		t.Errorf("Esc after the jump: %+v, finding %d; want flow 2 and the first finding, in the findings", s, h.findingSelected())
	}
	if m := h.message(); !strings.HasPrefix(m, "back to Findings") {
		t.Errorf("Esc after the jump: message %q", m)
	}
	// Enter on a row goes to its packets; Enter on a packet to its
	// tree; Backspace comes back, step by step, to the packet selected.
	h.key(tcell.KeyRune, '1')
	h.key(tcell.KeyRune, 'g')
	h.key(tcell.KeyEnter, 0)
	h.typeText("jjj")
	h.key(tcell.KeyEnter, 0)
	if s := h.selection(); s.focus != "Decode" || s.frame != 4 {
		t.Fatalf("Enter, jjj, Enter: %+v, want frame 4 in the tree", s)
	}
	h.key(tcell.KeyBackspace2, 0)
	if s := h.selection(); s.focus != "Packets" || s.frame != 4 || s.subject != "tunnel 1" {
		t.Errorf("Backspace: %+v, want frame 4 in the packets", s)
	}
	h.key(tcell.KeyBackspace, 0)
	if s := h.selection(); s.focus != "Tunnels & flows" || s.row != "T1" || s.frame != 1 {
		t.Errorf("Backspace again: %+v, want tunnel 1 in the tunnels pane, its first packet selected", s)
	}
	// A new filter is a step: Esc goes back to the rows before it.
	h.key(tcell.KeyRune, 'j')
	h.key(tcell.KeyRune, '/')
	h.typeText("esp")
	h.key(tcell.KeyEnter, 0)
	if s := h.selection(); s.filter != "esp" || s.row != "T2" {
		t.Fatalf("filter esp: %+v", s)
	}
	h.key(tcell.KeyEscape, 0)
	if s := h.selection(); s.filter != "" || s.row != "F1" || s.focus != "Tunnels & flows" {
		t.Errorf("Esc after the filter: %+v, want no filter and flow 1 selected again", s)
	}
}

// TestZoom zooms the pane with the focus, follows the focus while zoomed,
// and restores the panes.
func TestZoom(t *testing.T) {
	h := startApp(t, scenarioConfig(), 80, 24, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, '+')
	got := h.text()
	if strings.Contains(got, "[1] Tunnels") || strings.Contains(got, "[2] Findings") || !strings.Contains(got, "[3] Packets of tunnel 1") {
		t.Fatalf("+ on the packets: want them alone:\n%s", got)
	}
	// The packet list shows 19 rows: all of the screen but the title,
	// its title and header, the verdict and the status line.
	n := 0
	for _, l := range strings.Split(got, "\n") {
		if strings.Contains(l, " 09:00:0") {
			n++
		}
	}
	if n != 19 {
		t.Errorf("zoomed packets show %d rows, want 19:\n%s", n, got)
	}
	h.key(tcell.KeyTab, 0)
	if got := h.text(); !strings.Contains(got, "[4] Decode") || strings.Contains(got, "[3] Packets") {
		t.Errorf("Tab while zoomed: want the decode tree alone:\n%s", got)
	}
	h.key(tcell.KeyRune, '+')
	got = h.text()
	for _, want := range []string{"[1] Tunnels", "[2] Findings", "[3] Packets", "[4] Decode"} {
		if !strings.Contains(got, want) {
			t.Errorf("+ again: the screen lacks %q:\n%s", want, got)
		}
	}
}

// TestPacketSearch searches the packets with package filter's language:
// the bar counts the matches as the expression is typed, Enter goes to
// the first one from the selected packet on, n and N go on.
func TestPacketSearch(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, '/')
	h.typeText("spi c0ffee02 and frame 15-40")
	if got := h.text(); !strings.Contains(got, "search packets: spi c0ffee02 and frame 15-40") || !strings.Contains(got, "6 of the packets listed match") {
		t.Errorf("typing a search: the bar does not count its matches:\n%s", got)
	}
	h.key(tcell.KeyEnter, 0)
	if s := h.selection(); s.frame != 18 || s.focus != "Packets" {
		t.Errorf("Enter: %+v, want frame 18 (spi 0xc0ffee02 seq 3)", s)
	}
	if m := h.message(); !strings.HasPrefix(m, "match 1 of 6 for spi c0ffee02 and frame 15-40") {
		t.Errorf("Enter: message %q", m)
	}
	for _, step := range []struct {
		key   rune
		frame int
	}{{'n', 22}, {'n', 28}, {'N', 22}} {
		h.key(tcell.KeyRune, step.key)
		if s := h.selection(); s.frame != step.frame {
			t.Errorf("%c: frame %d, want %d", step.key, s.frame, step.frame)
		}
	}
	// A search that does not parse says so and keeps the bar open.
	h.key(tcell.KeyRune, '/')
	h.typeText(" and port x")
	if got := h.text(); !strings.Contains(got, "filter: at character") {
		t.Errorf("a bad search: no error in the bar:\n%s", got)
	}
	h.key(tcell.KeyEnter, 0)
	if s := h.selection(); s.focus != "" {
		t.Errorf("Enter on a bad search closed the bar (focus %q)", s.focus)
	}
	h.key(tcell.KeyEscape, 0)
	if s := h.selection(); s.focus != "Packets" || s.frame != 22 {
		t.Errorf("Esc on the bar: %+v, want the packets as they were", s)
	}
	// Ctrl-F searches from any pane, as Wireshark's Find Packet.
	h.key(tcell.KeyRune, '1')
	h.key(tcell.KeyCtrlF, 0)
	for range len("spi c0ffee02 and frame 15-40") {
		h.key(tcell.KeyBackspace2, 0)
	}
	h.typeText("host 10.0.0.2 and kind nat-keepalive")
	h.key(tcell.KeyEnter, 0)
	if s := h.selection(); s.focus != "Packets" || s.frame != 53 {
		t.Errorf("Ctrl-F, keepalive search: %+v, want frame 53 in the packets", s)
	}
}

// TestEvidence marks the packets findings give as evidence and goes
// through them with e and E.
func TestEvidence(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 40, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, '+')
	got := h.text()
	for _, f := range []string{"27", "31", "35"} {
		l := line0(got, " "+f+" 09:00:")
		if !strings.HasPrefix(strings.TrimLeft(l, "│║"), "● ") {
			t.Errorf("frame %s, evidence of VP201, is not marked: %q", f, l)
		}
	}
	if l := line0(got, " 28 09:00:"); strings.Contains(l, "●") {
		t.Errorf("frame 28 is marked: %q", l)
	}
	st, _ := h.cellStyle("●")
	if fg, _, attr := st.Decompose(); fg != tcell.ColorRed || attr&tcell.AttrBold == 0 {
		t.Errorf("the mark of an error's evidence: %v, want bold red", st)
	}
	for _, step := range []struct {
		key   rune
		frame int
	}{{'e', 27}, {'e', 31}, {'E', 27}} {
		h.key(tcell.KeyRune, step.key)
		if s := h.selection(); s.frame != step.frame {
			t.Errorf("%c: frame %d, want %d", step.key, s.frame, step.frame)
		}
	}
	if m := h.message(); m != "frame 27 of inside capture: evidence of VP201" {
		t.Errorf("message %q", m)
	}
	h.key(tcell.KeyRune, 'E')
	if m := h.message(); !strings.HasPrefix(m, "no evidence before this packet") {
		t.Errorf("E before the first: message %q", m)
	}
}

// TestSideBySide shows both captures' trees of a packet side by side on
// a wide screen, with ≠ on the lines that differ; o switches the bytes
// and names the copy. On a narrow screen o switches the tree.
func TestSideBySide(t *testing.T) {
	h := startApp(t, scenarioConfig(), 200, 50, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '4')
	h.key(tcell.KeyRune, 'g')
	got := h.text()
	if !strings.Contains(got, "[4] Decode: inside │ outside, ≠ where they differ") {
		t.Fatalf("200×50: no side-by-side decode:\n%s", got)
	}
	ip := line0(got, "Internet Protocol Version 4, 10.0.0.2 → 198.51.100.7")
	if !strings.Contains(ip, "≠") || !strings.Contains(ip, "Internet Protocol Version 4, 203.0.113.5 → 198.51.100.7") {
		t.Errorf("the IP line is not marked as differing between the copies: %q", ip)
	}
	if l := line0(got, "Security Association: 1 proposal"); strings.Contains(l, "≠") || strings.Count(l, "Security Association") != 2 {
		t.Errorf("the SA line is the same in both copies: %q", l)
	}
	h.key(tcell.KeyRune, 'o')
	if m := h.message(); m != "bytes of the outside copy: frame 1 of outside.pcap (the tree shows both; ≠ marks what differs)" {
		t.Errorf("o side by side: message %q", m)
	}
	h.key(tcell.KeyRune, 'o')
	h.resize(100, 30)
	if got := h.text(); !strings.Contains(got, "[4] Decode of the inside copy (o: the outside copy)") {
		t.Errorf("100×30: want the inside copy alone:\n%s", got)
	}
	h.key(tcell.KeyRune, 'o')
	h.key(tcell.KeyRune, 'g')
	got = h.text()
	if !strings.Contains(got, "[4] Decode of the outside copy (o: the inside copy)") || !strings.Contains(got, "Frame 1 of outside.pcap") {
		t.Errorf("o at 100×30: want the outside copy:\n%s", got)
	}
	if m := h.message(); m != "decode of the outside copy: frame 1 of outside.pcap" {
		t.Errorf("o at 100×30: message %q", m)
	}
	// The next packet shows as the outside copy too, until o again.
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, 'j')
	if got := h.text(); !strings.Contains(got, "[4] Decode of the outside copy") {
		t.Errorf("j after o: want the outside copy of the next packet:\n%s", got)
	}
	// A packet one capture alone saw has no other copy.
	h.key(tcell.KeyRune, 'n')
	h.key(tcell.KeyRune, 'o')
	if m := h.message(); m != "the inside capture alone saw this packet: there is no other copy" {
		t.Errorf("o on a lost packet: message %q", m)
	}
}

// TestPairTrees lines up two trees by their fields' labels up to the
// first comma: what a NAT rewrites pairs and differs; a line one tree
// lacks stands alone.
func TestPairTrees(t *testing.T) {
	mk := func(label string, kids ...*tnode) *tnode {
		t := newTnode(&dissect.Node{Label: label})
		t.kids = kids
		return t
	}
	in := mk("Frame 1 of inside.pcap", mk("IPv4, 10.0.0.2 → 1.2.3.4"), mk("UDP, 500 → 500"), mk("Padding"), mk("IKE"))
	out := mk("Frame 3 of outside.pcap", mk("IPv4, 203.0.113.5 → 1.2.3.4"), mk("UDP, 61001 → 500"), mk("IKE"), mk("Trailer"))
	p := pairTrees(in, out, nil)
	var got []string
	for _, k := range p.kids {
		l, r := "-", "-"
		if k.side[0] != nil {
			l = k.side[0].text
		}
		if k.side[1] != nil {
			r = k.side[1].text
		}
		mark := "="
		if k.differs {
			mark = "≠"
		}
		got = append(got, l+mark+r)
	}
	want := []string{
		"IPv4, 10.0.0.2 → 1.2.3.4≠IPv4, 203.0.113.5 → 1.2.3.4",
		"UDP, 500 → 500≠UDP, 61001 → 500",
		"Padding≠-",
		"IKE=IKE",
		"-≠Trailer",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("paired:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !p.differs || !p.below {
		t.Error("the roots differ, and lines below them do")
	}
}

// TestScrollSideways scrolls a table and the decode tree sideways: cut
// text ends in …, and scrolled text starts with it.
func TestScrollSideways(t *testing.T) {
	h := startApp(t, scenarioConfig(), 80, 24, scenarioFindings)
	h.settle()
	got := h.text()
	if l := line0(got, "T1   both"); !strings.Contains(l, "10.0.0.2:500 ⇄ 198.51.100.7…") {
		t.Fatalf("80×24: the endpoints are not cut with an ellipsis: %q", l)
	}
	h.key(tcell.KeyRune, 'l')
	got = h.text()
	l := line0(got, "10.0.0.2:500 ⇄")
	if !strings.HasPrefix(l, "…") || !strings.Contains(l, "10.0.0.2:500 ⇄ 198.51.100.7:500") {
		t.Errorf("l: want the row scrolled, with its full endpoints: %q", l)
	}
	h.key(tcell.KeyRune, 'h')
	if l := line0(h.text(), "T1   both"); !strings.HasPrefix(l, "T1") {
		t.Errorf("h: want the row back at its start: %q", l)
	}
	// The decode tree: at 60 columns the IKE line is cut; L scrolls it.
	h.resize(60, 24)
	h.key(tcell.KeyRune, '4')
	l = line0(h.text(), "Internet Key Exchange")
	if !strings.HasSuffix(l, "…") || strings.Contains(l, "message ID 0") {
		t.Fatalf("60×24: the IKE line is not cut with an ellipsis: %q", l)
	}
	h.key(tcell.KeyRune, 'L')
	l = line0(h.text(), "message ID 0")
	if !strings.HasPrefix(l, "…") {
		t.Errorf("L in the tree: want the IKE line scrolled to its end: %q", l)
	}
	h.key(tcell.KeyRune, 'H')
	if l := line0(h.text(), "Internet Key Exchange"); !strings.HasPrefix(l, "└─▾") {
		t.Errorf("H in the tree: want the line back at its start: %q", l)
	}
}

// TestLineDraw checks the ellipses of a line drawn narrower than it is.
func TestLineDraw(t *testing.T) {
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	defer s.Fini()
	s.SetSize(10, 1)
	row := func() string {
		cells, w, _ := s.GetContents()
		var b strings.Builder
		for x := 0; x < w; x++ {
			b.WriteString(string(cells[x].Runes))
		}
		return b.String()
	}
	l := line(nil).add("198.51.100.2:1723", tcell.StyleDefault)
	for _, tc := range []struct {
		hoff int
		want string
	}{{0, "198.51.10…"}, {4, "…1.100.2:…"}, {7, "…00.2:1723"}, {9, "….2:1723  "}} {
		l.draw(s, 0, 0, 10, tc.hoff, tcell.StyleDefault)
		s.Show()
		if got := row(); got != tc.want {
			t.Errorf("hoff %d: %q, want %q", tc.hoff, got, tc.want)
		}
	}
}

// TestFindingText scrolls the finding's explanation with J and K.
func TestFindingText(t *testing.T) {
	h := startApp(t, scenarioConfig(), 80, 24, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '2')
	if got := h.text(); !strings.Contains(got, "VP201 ESP lost at the NAT (error, confidence high)") {
		t.Fatalf("the finding's text is not shown:\n%s", got)
	}
	h.key(tcell.KeyRune, 'J')
	h.key(tcell.KeyRune, 'J')
	got := h.text()
	if strings.Contains(got, "VP201 ESP lost at the NAT (error") || !strings.Contains(got, "Why: The NAT forwarded") {
		t.Errorf("J J: want the text scrolled by two lines:\n%s", got)
	}
	h.key(tcell.KeyRune, 'K')
	h.key(tcell.KeyRune, 'K')
	if got := h.text(); !strings.Contains(got, "VP201 ESP lost at the NAT (error") {
		t.Errorf("K K: want the text back at its start:\n%s", got)
	}
}

// TestFlowColours colours what failed: the failing tunnel, the flow that
// lost packets, and not the flows that crossed.
func TestFlowColours(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '+') // every row in view
	h.key(tcell.KeyRune, 'G') // and none of those below selected
	for _, tc := range []struct {
		text string
		want tcell.Color
		bold bool
	}{{"T1   both", tcell.ColorRed, true}, {"  F2 in", tcell.ColorRed, false}, {"  F1 out", tcell.ColorDefault, false}} {
		st, ok := h.cellStyle(tc.text)
		fg, _, attr := st.Decompose()
		if !ok || fg != tc.want || (attr&tcell.AttrBold != 0) != tc.bold {
			t.Errorf("row %q: %v, want colour %v, bold %v", tc.text, st, tc.want, tc.bold)
		}
	}
}

// notComparedConfig is the scenario with an outside capture that stopped
// early: the inside's last packets were not compared.
func notComparedConfig() Config {
	inside := scenarioInside()
	outside := scenarioNAT().Translate(inside)
	end := outside[0].Time.Add(6 * time.Second)
	for len(outside) > 0 && outside[len(outside)-1].Time.After(end) {
		outside = outside[:len(outside)-1]
	}
	in := flows.Packets("inside.pcap", inside)
	out := flows.Packets("outside.pcap", outside)
	return Config{
		Captures:   []Capture{{Path: "inside.pcap", Source: &in}, {Path: "outside.pcap", Source: &out}},
		RolesGiven: true,
		Decode:     decode.Options{KeepOther: true},
	}
}

// TestNotCompared explains n/c when such a packet is selected.
func TestNotCompared(t *testing.T) {
	h := startApp(t, notComparedConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, 'G')
	if s := h.selection(); s.fate != fateNotCompared {
		t.Fatalf("the last packet: fate %d, want not compared", s.fate)
	}
	if got := h.text(); !strings.Contains(got, "n/c") || h.message() != notComparedHint {
		t.Errorf("n/c is not explained: message %q", h.message())
	}
	h.key(tcell.KeyRune, 'g')
	if m := h.message(); m == notComparedHint {
		t.Error("the hint stays on a packet that was compared")
	}
}
