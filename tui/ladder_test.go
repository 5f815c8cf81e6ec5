package tui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
)

// ladderState is what the ladder pane shows, read on the UI goroutine.
type ladderState struct {
	name   string
	labels []string
	fates  []ladder.Fate
	rows   []ladder.Row
	sel    int
	hoff   int
}

func (h *harness) ladder() ladderState {
	h.t.Helper()
	var s ladderState
	h.onUI(func() {
		v := h.a.ladder
		s.sel, s.hoff = v.sel, v.hoff
		if v.l == nil {
			return
		}
		s.name = v.l.Name
		for _, r := range v.l.Rows {
			s.labels = append(s.labels, r.Label)
			s.fates = append(s.fates, r.Fate(v.l.Two))
			s.rows = append(s.rows, r)
		}
	})
	return s
}

// TestLadderPane shows the ladder of natt-port-blocked's tunnel. Its
// README: IKE_SA_INIT completes on port 500; the IKE_AUTH request on 4500
// and its five retransmissions, and the client's keepalives, appear only
// in the inside capture. Enter on a row selects its first frame in the
// packets pane; Esc comes back to the row.
func TestLadderPane(t *testing.T) {
	in, out := samplePair(t, "natt-port-blocked")
	h := startApp(t, sampleConfig(in, out), 100, 30, nil)
	h.settle()
	h.key(tcell.KeyRune, '6')
	if s := h.selection(); s.focus != "Ladder" || s.subject != "tunnel 1" {
		t.Fatalf("6: %+v, want the ladder of tunnel 1", s)
	}
	got := h.text()
	golden(t, "ladder_100x30", got)
	if !strings.Contains(got, "[6] Ladder of tunnel 1: 4 rows, 14 lost at the NAT") || strings.Contains(got, "[3] Packets") {
		t.Errorf("6: want the ladder in the packets' place:\n%s", got)
	}
	l := h.ladder()
	wantLabels := []string{"IKE_SA_INIT request #0", "IKE_SA_INIT response #0", "IKE_AUTH request #1 on 4500", "NAT-T keepalive"}
	wantFates := []ladder.Fate{ladder.FateCrossed, ladder.FateCrossed, ladder.FateLost, ladder.FateLost}
	if strings.Join(l.labels, "|") != strings.Join(wantLabels, "|") || len(l.fates) != len(wantFates) {
		t.Fatalf("rows %q, want %q", l.labels, wantLabels)
	}
	for i, f := range wantFates {
		if l.fates[i] != f {
			t.Errorf("row %q: fate %d, want %d", l.labels[i], l.fates[i], f)
		}
	}
	if auth := l.rows[2]; auth.Resent != 5 || auth.Lost != 6 || auth.Frames[flows.SideOutside].N != 0 {
		t.Errorf("IKE_AUTH: resent %d, lost %d, %d outside; want 5 retransmissions, all 6 lost", auth.Resent, auth.Lost, auth.Frames[flows.SideOutside].N)
	}
	// The marks: across the NAT both ways for IKE_SA_INIT, stopping at
	// it with ✗ for IKE_AUTH and the keepalives.
	for text, mark := range map[string]string{
		"IKE_SA_INIT request #0":      "│──────────║─────────►│",
		"IKE_SA_INIT response #0":     "│◄─────────║──────────│",
		"IKE_AUTH request #1 on 4500": "│─────────►✗          │",
		"NAT-T keepalive":             "│─────────►✗          │",
	} {
		if line := line0(got, text); !strings.Contains(line, mark) {
			t.Errorf("row %q: %q lacks %q", text, line, mark)
		}
	}
	if line := line0(got, "IKE_AUTH request #1 on 4500"); !strings.Contains(line, "⟲×5") {
		t.Errorf("IKE_AUTH row %q does not count its retransmissions", line)
	}

	// n goes to the next row lost at the NAT.
	h.key(tcell.KeyRune, 'n')
	if l := h.ladder(); l.sel != 2 {
		t.Errorf("n: row %d selected, want the IKE_AUTH row (2)", l.sel)
	}
	h.key(tcell.KeyEnter, 0)
	s := h.selection()
	first := l.rows[2].Frames[flows.SideInside].First[0]
	if s.focus != "Packets" || s.frame != first || s.side != flows.SideInside || s.fate != fateDropped {
		t.Fatalf("Enter on the IKE_AUTH row: %+v, want inside frame %d selected in the packets, lost", s, first)
	}
	got = h.text()
	if !strings.Contains(got, "[3] Packets of tunnel 1") || !strings.Contains(got, "Internet Key Exchange version 2: IKE_AUTH request") {
		t.Errorf("Enter: want the packets, the IKE_AUTH request decoded:\n%s", got)
	}
	if m := h.message(); !strings.HasPrefix(m, "frame "+strconv.Itoa(first)+" of inside capture: the first of the ladder's row 3, IKE_AUTH request #1 on 4500") {
		t.Errorf("Enter: message %q", m)
	}
	h.key(tcell.KeyEscape, 0)
	if s := h.selection(); s.focus != "Ladder" || h.ladder().sel != 2 {
		t.Errorf("Esc: focus %q, row %d; want the ladder, the IKE_AUTH row", s.focus, h.ladder().sel)
	}
	if got := h.text(); !strings.Contains(got, "[6] Ladder of tunnel 1") {
		t.Errorf("Esc: the ladder is not back:\n%s", got)
	}
	// 3 brings the packets back to the band.
	h.key(tcell.KeyRune, '3')
	if got := h.text(); !strings.Contains(got, "[3] Packets of tunnel 1") || strings.Contains(got, "[6] Ladder") {
		t.Errorf("3: want the packets in their band again:\n%s", got)
	}
}

// TestLadderResizeZoomScroll redraws the ladder at each size, zooms it,
// and scrolls it sideways: unscrolled its rows wrap to the pane's width;
// scrolled, each row is one line that moves under the pane.
func TestLadderResizeZoomScroll(t *testing.T) {
	in, out := samplePair(t, "natt-port-blocked")
	h := startApp(t, sampleConfig(in, out), 100, 30, nil)
	h.settle()
	h.key(tcell.KeyRune, '6')
	h.key(tcell.KeyRune, '+')
	got := h.text()
	if strings.Contains(got, "[1] Tunnels") || !strings.Contains(got, "[6] Ladder of tunnel 1") {
		t.Fatalf("+: want the ladder alone:\n%s", got)
	}
	// At 100 columns the IKE_AUTH row's text wraps onto a second line.
	if line := line0(got, "IKE_AUTH request #1 on 4500"); strings.Contains(line, "all lost at the NAT") {
		t.Errorf("100 columns: the IKE_AUTH row does not wrap: %q", line)
	}
	if !strings.Contains(got, "✗ all lost at the NAT") || !strings.Contains(got, "✗ lost at the NAT, ⟲×N: sent again N times") {
		t.Errorf("100 columns: the rows' fates or the legend are missing:\n%s", got)
	}
	h.resize(160, 40)
	if line := line0(h.text(), "IKE_AUTH request #1 on 4500"); !strings.Contains(line, "✗ all lost at the NAT") {
		t.Errorf("160 columns: the IKE_AUTH row wraps: %q", line)
	}
	h.resize(80, 24)
	got = h.text()
	for _, l := range strings.Split(got, "\n") {
		if w := runewidth.StringWidth(l); w > 80 {
			t.Errorf("80×24: line of %d columns: %q", w, l)
		}
	}
	if !strings.Contains(got, "IKE_AUTH request #1") {
		t.Errorf("80×24: the selected row is not in view:\n%s", got)
	}
	h.key(tcell.KeyRune, 'L')
	got = h.text()
	if l := h.ladder(); l.hoff == 0 {
		t.Fatal("L did not scroll the ladder")
	}
	line := line0(got, "IKE_AUTH request #1 on 4500")
	if !strings.HasPrefix(line, "…") || !strings.Contains(line, "inside 5–7, 9, 27, 30") {
		t.Errorf("scrolled: the IKE_AUTH row %q, want one line scrolled under the pane", line)
	}
	h.key(tcell.KeyRune, 'H')
	if l := h.ladder(); l.hoff != 0 {
		t.Errorf("H: the ladder is still scrolled by %d", l.hoff)
	}
	h.key(tcell.KeyRune, '+')
	if got := h.text(); !strings.Contains(got, "[1] Tunnels") || !strings.Contains(got, "[6] Ladder") {
		t.Errorf("+ again: want the panes back, the ladder in the packets' band:\n%s", got)
	}
}

// TestLadderASCII: where the terminal's character set is not UTF-8, or
// without colour, the ladder draws in ASCII, as the text report does.
func TestLadderASCII(t *testing.T) {
	in, out := samplePair(t, "natt-port-blocked")
	for _, tc := range []struct {
		name    string
		charset string
		mono    bool
	}{{"US-ASCII", "US-ASCII", false}, {"NO_COLOR", "UTF-8", true}, {"UTF-8", "UTF-8", false}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sampleConfig(in, out)
			cfg.Mono = tc.mono
			a, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			h := runHarness(t, a, tcell.NewSimulationScreen(tc.charset), 100, 30)
			h.settle()
			h.key(tcell.KeyRune, '6')
			got := h.text()
			auth := line0(got, "IKE_AUTH request #1 on 4500")
			ascii := tc.mono || tc.charset != "UTF-8"
			want := "|--------->X          |"
			if !ascii {
				want = "│─────────►✗          │"
			}
			if !strings.Contains(auth, want) {
				t.Errorf("the IKE_AUTH row %q lacks %q", auth, want)
			}
			// Inside the pane's frame, ASCII alone.
			inner := []rune(auth)[1 : len([]rune(auth))-1]
			if ascii && strings.ContainsFunc(string(inner), func(r rune) bool { return r > 126 }) {
				t.Errorf("the IKE_AUTH row %q is not ASCII", string(inner))
			}
		})
	}
}

// TestLadderSubjects: a PPTP call has its ladder too (the scenario's NAT
// loses the client's fifth GRE packet); a flow has none, and the pane says
// why.
func TestLadderSubjects(t *testing.T) {
	h := startApp(t, pptpConfig(), 120, 34, nil)
	h.settle()
	h.onUI(func() { h.a.tunnels.selectSession(1) })
	h.settle()
	h.key(tcell.KeyRune, '6')
	l := h.ladder()
	if l.name != "PPTP call 1" {
		t.Fatalf("ladder of %q, want PPTP call 1", l.name)
	}
	var gre *ladder.Row
	for i := range l.rows {
		if l.rows[i].Kind == ladder.KindGRE && l.rows[i].Dir == ladder.Out {
			gre = &l.rows[i]
		}
	}
	if gre == nil || gre.Count != 10 || gre.Lost != 1 || gre.Crossed != 9 || gre.LostFrames[0] == 0 {
		t.Fatalf("the client's GRE: %+v; want 10 packets, the fifth lost", gre)
	}
	if got := h.text(); !strings.Contains(got, "[6] Ladder of PPTP call 1") || !strings.Contains(line0(got, gre.Label), "✗") {
		t.Errorf("the call's ladder does not mark the lost GRE:\n%s", got)
	}
	// Enter on the GRE row selects its first packet.
	for h.ladder().sel < len(l.rows)-1 && h.ladder().labels[h.ladder().sel] != gre.Label {
		h.key(tcell.KeyRune, 'j')
	}
	h.key(tcell.KeyEnter, 0)
	if s := h.selection(); s.focus != "Packets" || s.frame != gre.Frames[flows.SideInside].First[0] {
		t.Errorf("Enter on the GRE row: %+v, want inside frame %d", s, gre.Frames[flows.SideInside].First[0])
	}
	// A flow: no ladder.
	h.key(tcell.KeyRune, '1')
	h.key(tcell.KeyRune, 'G')
	h.key(tcell.KeyRune, '6')
	if l := h.ladder(); l.name != "" {
		t.Errorf("a flow has the ladder of %q", l.name)
	}
	if got := h.text(); !strings.Contains(got, "A ladder shows a tunnel or a PPTP call, not flow") {
		t.Errorf("the pane does not say why a flow has no ladder:\n%s", got)
	}
}

// TestLadderFromHeldPackets: the pane's ladder is the one the report
// draws for the tunnel: built from the packets the list holds, it has the
// rows Collect draws from the captures.
func TestLadderFromHeldPackets(t *testing.T) {
	h := startApp(t, scenarioConfig(), 100, 30, scenarioFindings)
	h.settle()
	h.key(tcell.KeyRune, '6')
	var got, want []string
	h.onUI(func() {
		got = h.a.ladder.l.Lines(100, ladder.UTF8)
		rc := h.a.model.rc
		cfg := scenarioConfig()
		srcs := []flows.Source{*cfg.Captures[0].Source, *cfg.Captures[1].Source}
		ls, err := ladder.Collect(h.a.ctx, srcs, rc, ladder.Subjects(rc)[:1], decode.Options{KeepOther: true})
		if err != nil {
			t.Error(err)
			return
		}
		want = ls[0].Lines(100, ladder.UTF8)
	})
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the pane's ladder:\n%s\nthe report's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
