package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
	"github.com/vpnpcap/vpnpcap/rules"
)

// The PPTP scenario of the screen tests: client 10.0.0.4 behind a NAT
// (translated to 203.0.113.5) calls server 198.51.100.20 (RFC 2637 §2:
// Start-Control-Connection, then Outgoing-Call with call IDs 100 and 200)
// and both send ten GRE packets; the NAT loses the client's fifth. DNS
// runs beside it.
const (
	pptpClientCall = 100
	pptpServerCall = 200
	pptpLostSeq    = 5
)

// pptpInside scripts the inside capture.
func pptpInside() []decode.Packet {
	s := pt.New()
	c, srv := "10.0.0.4:1050", "198.51.100.20:1723"
	s.PPTP(c, srv, 1, 0, 0, 0)
	s.PPTP(srv, c, 2, 0, 0, 1)
	s.PPTP(c, srv, 7, pptpClientCall, 0, 0)
	s.PPTP(srv, c, 8, pptpServerCall, pptpClientCall, 1)
	for i := uint32(1); i <= 10; i++ {
		s.GRE("10.0.0.4", "198.51.100.20", pptpServerCall, i)
		s.GRE("198.51.100.20", "10.0.0.4", pptpClientCall, i)
		if i == 3 {
			s.Other(17, "10.0.0.4:53001", "192.0.2.53:53", 0x3501)
			s.Other(17, "192.0.2.53:53", "10.0.0.4:53001", 0x3502)
		}
	}
	return s.Packets
}

// pptpConfig returns the UI's configuration for the PPTP scenario, the
// outside capture being what the NAT forwarded.
func pptpConfig() Config {
	inside := pptpInside()
	nat := &pt.NAT{
		Map:   map[string]string{"10.0.0.4": "203.0.113.5"},
		Delay: time.Millisecond,
		Drop: func(_ int, p *decode.Packet) bool {
			return p.Kind == decode.KindGRE && p.GRE.CallID == pptpServerCall && p.GRE.Seq == pptpLostSeq
		},
	}
	outside := nat.Translate(inside)
	in := flows.Packets("inside.pcap", inside)
	out := flows.Packets("outside.pcap", outside)
	return Config{
		Captures:   []Capture{{Path: "inside.pcap", Source: &in}, {Path: "outside.pcap", Source: &out}},
		RolesGiven: true,
		Decode:     decode.Options{KeepOther: true},
	}
}

// TestPPTPCall checks that a PPTP call has its row, under which its flows
// are listed, that its packets show side by side with the GRE packet the
// NAT lost marked, that the verdict line gives the call's verdict, that
// its finding colours the row and jumps to it, and the filter terms.
func TestPPTPCall(t *testing.T) {
	h := startApp(t, pptpConfig(), 120, 34, nil)
	h.settle()
	got := h.text()
	if !strings.Contains(got, "P1   both PPTP 10.0.0.4:1050 ⇄ 198.51.100.20") || !strings.Contains(got, "24/23 connected 1W") {
		t.Errorf("no row for the PPTP call:\n%s", got)
	}
	if !strings.Contains(got, "1 PPTP call and 8 flows") {
		t.Errorf("status line does not count the call:\n%s", got)
	}

	// The first row is the call's: its packets, side by side.
	s := h.selection()
	if s.row != "P1" || s.subject != "PPTP call 1" {
		t.Fatalf("first row: %+v, want P1 with its packets", s)
	}
	var lost, matched int
	var lostSeq uint32
	var lostSide = -1
	var summary string
	h.onUI(func() {
		ld := h.a.load
		for _, r := range ld.rows {
			switch r.fate {
			case fateDropped:
				lost++
				if p := ld.packet(r, flows.SideInside); p != nil && p.Kind == decode.KindGRE && p.GRE.CallID == pptpServerCall {
					lostSeq, lostSide = p.GRE.Seq, int(flows.SideInside)
				}
			case fateMatched:
				matched++
			}
		}
		if vd := h.a.model.sessionVerdicts[1]; vd != nil {
			summary = vd.Summary
		}
	})
	// 4 control messages and 20 GRE inside, all but one seen outside.
	if lost != 1 || matched != 23 || lostSeq != pptpLostSeq || lostSide != int(flows.SideInside) {
		t.Errorf("packets of P1: %d lost (inside GRE seq %d), %d crossed; want 1 lost (seq %d), 23 crossed", lost, lostSeq, matched, pptpLostSeq)
	}
	if want := "PPTP call 1 (10.0.0.4 to 198.51.100.20) sends its data in GRE: 10 packets out, 10 in."; !strings.HasPrefix(summary, want) {
		t.Errorf("session verdict %q, want it to start %q", summary, want)
	}
	if got := h.text(); !strings.Contains(got, "✓ "+summary[:80]) {
		t.Errorf("verdict line does not show the call's verdict %q:\n%s", summary, got)
	}
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, 'n')
	s = h.selection()
	if s.fate != fateDropped || s.side != flows.SideInside {
		t.Errorf("next mark: %+v, want the lost GRE packet", s)
	}
	got = h.text()
	if !strings.Contains(got, "→ gre  v1 call 200 (0x00c8) seq 5") || !strings.Contains(got, "LOST →") || !strings.Contains(got, "1 lost") {
		t.Errorf("the lost GRE packet is not marked:\n%s", got)
	}
	golden(t, "pptp_120x34", got)

	// Its finding (VP404, about session 1) colours the row and Enter on
	// it selects the call with the evidence frame.
	h.key(tcell.KeyRune, '1')
	h.key(tcell.KeyRune, 'j')
	if st, ok := h.cellStyle("P1 "); !ok {
		t.Error("P1 not on screen")
	} else if fg, _, _ := st.Decompose(); fg != tcell.ColorYellow {
		t.Errorf("row P1: colour %v, want yellow (a warning)", fg)
	}
	var ev rules.Evidence
	h.onUI(func() {
		for _, f := range h.a.model.findings {
			if f.Session == 1 && len(f.Evidence) > 0 {
				ev = f.Evidence[0]
			}
		}
	})
	if ev.Frame == 0 {
		t.Fatal("no finding about session 1 with evidence")
	}
	h.key(tcell.KeyRune, '2')
	h.key(tcell.KeyEnter, 0)
	s = h.selection()
	// The evidence is an outside frame: its row shows it beside the
	// inside packet it matched.
	frame := 0
	h.onUI(func() {
		if r, ok := h.a.packets.selectedRow(); ok {
			if p := h.a.load.packet(r, ev.Side); p != nil {
				frame = p.Frame
			}
		}
	})
	if s.row != "P1" || s.subject != "PPTP call 1" || s.focus != "Packets" || frame != ev.Frame {
		t.Errorf("after Enter on the finding: %+v, %v frame %d selected, want P1's packets, %v frame %d", s, ev.Side, frame, ev.Side, ev.Frame)
	}

	for _, tc := range []struct {
		expr string
		rows []string
	}{
		{"pptp", []string{"P1", "F1", "F2", "F3", "F1", "F2", "F3"}},
		{"session=1", []string{"P1", "F1", "F2", "F3", "F1", "F2", "F3"}},
		{"session=P1 gre", []string{"P1", "F2", "F3", "F2", "F3"}},
		{"session=2", nil},
		{"!pptp", []string{"F4", "F4"}},
		{"tunnels", nil},
		{"side=outside severity=warning", []string{"P1", "F1", "F2", "F3"}},
	} {
		h.key(tcell.KeyRune, '1')
		h.key(tcell.KeyEscape, 0) // clears the filter
		h.key(tcell.KeyRune, '/')
		h.typeText(tc.expr)
		h.key(tcell.KeyEnter, 0)
		var ids []string
		h.onUI(func() {
			for _, r := range h.a.tunnels.content.rows {
				ids = append(ids, r.id)
			}
		})
		if strings.Join(ids, " ") != strings.Join(tc.rows, " ") {
			t.Errorf("filter %q: rows %v, want %v", tc.expr, ids, tc.rows)
		}
	}
	if _, err := parseFilter("session=x"); err == nil || !strings.Contains(err.Error(), "not a PPTP call number") {
		t.Errorf("session=x: error %v, want not a PPTP call number", err)
	}
}

// TestPPTPCallIDsLab checks the call IDs the rows of the lab capture's
// PPTP calls show (TRUTH.md of pptp-gre): the NAT's PPTP helper turned each
// client's call ID 0x4000 into its translated TCP port, 0x9c40 and 0x311a,
// and left the server's 0x8001 and 0x8002; the GRE rows of a call show the
// call ID their key carries.
func TestPPTPCallIDsLab(t *testing.T) {
	in, out := corpus.LabScenario(t, "pptp-gre")
	cor := flows.Correlate(flows.File(in), flows.File(out), flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	m := newModel(rules.NewCorrelatedContext(cor, nil), nil, nil, nil)
	want := map[string]string{
		"P1": "call in 16384 (0x4000) / 32769 (0x8001), out 40000 (0x9c40) / 32769 (0x8001)",
		"P2": "call in 16384 (0x4000) / 32770 (0x8002), out 12570 (0x311a) / 32770 (0x8002)",
	}
	greKeys := map[string]bool{}
	for _, r := range m.rows {
		if w, ok := want[r.id]; ok && r.kind != rowFlow {
			if r.spiText != w {
				t.Errorf("%s: %q, want %q", r.id, r.spiText, w)
			}
			delete(want, r.id)
		}
		if r.kind == rowFlow && r.session > 0 && r.flow.Key.Proto == flows.ProtoGRE {
			greKeys[r.spiText] = true
		}
	}
	for id := range want {
		t.Errorf("no row %s", id)
	}
	for _, k := range []string{"call 32769 (0x8001)", "call 16384 (0x4000)", "call 40000 (0x9c40)", "call 32770 (0x8002)", "call 12570 (0x311a)"} {
		if !greKeys[k] {
			t.Errorf("no GRE row of a call with %q; got %v", k, greKeys)
		}
	}
}

// TestICMPErrorsInCall checks that a PPTP call's packets include the ICMP
// errors that quote its GRE: in the lab's pptp-gre-nohelper outside
// capture, the NAT answers the server's GRE, which it cannot forward, with
// protocol unreachable (frames 15, 17, 21, 24, 37, 39, 43, 48 and 63,
// TRUTH.md).
func TestICMPErrorsInCall(t *testing.T) {
	in, out := corpus.LabScenario(t, "pptp-gre-nohelper")
	m := fileModel(t, in, out)
	if len(m.rc.Sessions) != 2 {
		t.Fatalf("%d PPTP calls, want 2", len(m.rc.Sessions))
	}
	var members []func(*decode.Packet) bool
	for _, v := range m.rc.Sessions {
		members = append(members, subject{call: v}.member(m, flows.SideOutside))
	}
	var frames []int
	for _, df := range readFrames(t, out) {
		if df.p.Kind != decode.KindICMPError {
			continue
		}
		frames = append(frames, df.p.Frame)
		if !members[0](&df.p) && !members[1](&df.p) {
			t.Errorf("frame %d: the ICMP error is among the packets of neither call", df.p.Frame)
		}
	}
	if want := []int{15, 17, 21, 24, 37, 39, 43, 48, 63}; !slices.Equal(frames, want) {
		t.Errorf("ICMP errors at %v, want %v", frames, want)
	}
}
