package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

func greSeq(call uint16, lo, hi uint32) func(p *decode.Packet) bool {
	return func(p *decode.Packet) bool {
		return p.Kind == decode.KindGRE && p.GRE.CallID == call && p.GRE.Seq >= lo && p.GRE.Seq <= hi
	}
}

func TestVP404OneCapture(t *testing.T) {
	inside := dpWithout(dpPPTPInside(20, true, true), greSeq(dpServerCall, 5, 7))
	fs := dpFindings(t, dpSingle(t, inside), greSequenceGaps{})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP404" || f.Confidence != Medium || f.Subject != "pptp 10.0.0.2:40000 -> 198.51.100.9:1723 call 100/200 gre 200" {
		t.Errorf("finding = %+v", f)
	}
	dpWantMessage(t, f, "GRE from the client to the server of PPTP call 10.0.0.2:40000 → 198.51.100.9:1723 (client call ID 100, server call ID 200): 3 sequence numbers missing in 1 gap and 0 repeated among 17 packets")
	dpWantFrames(t, f, flows.SideInside, dpFrames(inside, greSeq(dpServerCall, 8, 8)))
}

func TestVP404LostAtNAT(t *testing.T) {
	inside := dpPPTPInside(20, true, true)
	nat := dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return greSeq(dpServerCall, 5, 7)(p) }
	outside := nat.Translate(inside)
	fs := dpFindings(t, dpPair(t, inside, outside), greSequenceGaps{})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	dpWantMessage(t, f, "the inside capture, before the NAT, has 0 missing and 0 repeated among 20 packets; the outside capture, after it, 3 missing and 0 repeated among 17: 3 lost at the NAT")
	if f.Confidence != High {
		t.Errorf("confidence = %v, want high", f.Confidence)
	}
	dpWantFrames(t, f, flows.SideOutside, dpFrames(outside, greSeq(dpServerCall, 8, 8)))
}

func TestVP404LostBeforeNAT(t *testing.T) {
	// Inbound 10-11 lost on the Internet: missing in both captures.
	inside := dpWithout(dpPPTPInside(20, true, true), greSeq(dpClientCall, 10, 11))
	nat := dpPassthroughNAT()
	fs := dpFindings(t, dpPair(t, inside, nat.Translate(inside)), greSequenceGaps{})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	dpWantMessage(t, fs[0], "GRE from the server to the client", "the outside capture, before the NAT, has 2 missing", ": lost before the NAT, not at it")
	if fs[0].Confidence != Medium || fs[0].Subject != "pptp 10.0.0.2:40000 -> 198.51.100.9:1723 call 100/200 gre 100" {
		t.Errorf("finding = %+v", fs[0])
	}
}

func TestVP404Clean(t *testing.T) {
	inside := dpPPTPInside(20, true, true)
	if fs := dpFindings(t, dpSingle(t, inside), greSequenceGaps{}); len(fs) != 0 {
		t.Errorf("got %+v, want none", fs)
	}
	nat := dpPassthroughNAT()
	if fs := dpFindings(t, dpPair(t, inside, nat.Translate(inside)), greSequenceGaps{}); len(fs) != 0 {
		t.Errorf("two captures: got %+v, want none", fs)
	}
}
