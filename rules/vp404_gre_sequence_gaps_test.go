package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

func greSeq(call uint16, lo, hi uint32) func(p *decode.Packet) bool {
	return func(p *decode.Packet) bool {
		return p.Kind == decode.KindGRE && p.GRE.CallID == call && p.GRE.Seq >= lo && p.GRE.Seq <= hi
	}
}

func TestVP404OneCapture(t *testing.T) {
	inside := dpWithout(dpPPTPInside(20, true, true), greSeq(dpServerCall, 5, 7))
	fs := checkRule(t, greSequenceGaps{}, oneCapture(t, inside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP404" || f.Confidence != Medium || f.Session != 1 || f.Subject != "pptp 10.0.0.2:40000 -> 198.51.100.9:1723 call 100 (0x0064) / 200 (0x00c8) gre 200 (0x00c8)" {
		t.Errorf("finding = %+v", f)
	}
	wantMessage(t, f.Message, "GRE from the client to the server of PPTP call 10.0.0.2:40000 → 198.51.100.9:1723 (client call ID 100 (0x0064), server call ID 200 (0x00c8)): 3 sequence numbers missing in 1 gap and 0 repeated among 17 packets")
	wantFrames(t, f, flows.SideInside, dpFrames(inside, greSeq(dpServerCall, 8, 8))...)
}

func TestVP404LostAtNAT(t *testing.T) {
	inside := dpPPTPInside(20, true, true)
	nat := dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return greSeq(dpServerCall, 5, 7)(p) }
	outside := nat.Translate(inside)
	fs := checkRule(t, greSequenceGaps{}, twoCaptures(t, inside, outside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	wantMessage(t, f.Message, "the inside capture, before the NAT, has 0 missing and 0 repeated among 20 packets; the outside capture, after it, 3 missing and 0 repeated among 17: 3 lost at the NAT")
	if f.Confidence != High {
		t.Errorf("confidence = %v, want high", f.Confidence)
	}
	wantFrames(t, f, flows.SideOutside, dpFrames(outside, greSeq(dpServerCall, 8, 8))...)
}

func TestVP404LostBeforeNAT(t *testing.T) {
	// Inbound 10-11 lost on the Internet: missing in both captures.
	inside := dpWithout(dpPPTPInside(20, true, true), greSeq(dpClientCall, 10, 11))
	nat := dpPassthroughNAT()
	fs := checkRule(t, greSequenceGaps{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "GRE from the server to the client", "the outside capture, before the NAT, has 2 missing", ": lost before the NAT, not at it")
	if fs[0].Confidence != Medium || fs[0].Subject != "pptp 10.0.0.2:40000 -> 198.51.100.9:1723 call 100 (0x0064) / 200 (0x00c8) gre 100 (0x0064)" {
		t.Errorf("finding = %+v", fs[0])
	}
}

func TestVP404Clean(t *testing.T) {
	inside := dpPPTPInside(20, true, true)
	if fs := checkRule(t, greSequenceGaps{}, oneCapture(t, inside)); len(fs) != 0 {
		t.Errorf("got %+v, want none", fs)
	}
	nat := dpPassthroughNAT()
	if fs := checkRule(t, greSequenceGaps{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("two captures: got %+v, want none", fs)
	}
}

// TestVP404CollidingCalls checks that the mixed inbound sequences of two
// calls with one call ID from one address (VP402's collision) are not
// reported as gaps: the server's GRE of both carries the same key.
func TestVP404CollidingCalls(t *testing.T) {
	s := pt.New()
	dpPPTPControl(s, testPublic+":40000", dpClientCall, 300)
	dpPPTPControl(s, testPublic+":40001", dpClientCall, 301)
	for i := uint32(0); i < 5; i++ {
		s.GRE(testPublic, dpPPTPServer, 300, i)
		s.GRE(dpPPTPServer, testPublic, dpClientCall, 10+i)
		s.GRE(testPublic, dpPPTPServer, 301, i)
		s.GRE(dpPPTPServer, testPublic, dpClientCall, i)
		s.After(time.Second)
	}
	c := oneCapture(t, s.Packets)
	if fs := checkRule(t, pptpCallIDCollision{}, c); len(fs) != 1 {
		t.Fatalf("VP402: got %+v, want the collision", fs)
	}
	if fs := checkRule(t, greSequenceGaps{}, c); len(fs) != 0 {
		t.Errorf("got %+v, want none: the two calls' GRE cannot be told apart", fs)
	}
	// One call alone with the same numbers does have repeats.
	alone := dpWithout(s.Packets, func(p *decode.Packet) bool {
		return p.Kind == decode.KindPPTP && (p.SrcPort == 40001 || p.DstPort == 40001) || p.Kind == decode.KindGRE && p.GRE.CallID == 301
	})
	fs := checkRule(t, greSequenceGaps{}, oneCapture(t, alone))
	if len(fs) != 1 || fs[0].Session != 1 {
		t.Fatalf("one call: got %+v, want one finding on call 1", fs)
	}
	wantMessage(t, fs[0].Message, "GRE from the server to the client", "5 repeated among 10 packets")
}
