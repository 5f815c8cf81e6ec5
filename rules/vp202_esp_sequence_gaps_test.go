package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

func TestVP202ESPSequenceGapsOneCapture(t *testing.T) {
	// Inbound sequence numbers 20-24 never reached the capture point.
	inside := dpWithout(dpNATTInside(60).Packets, dpESPSeq(dpSPIIn, 20, 24))
	fs := checkRule(t, espSequenceGaps{}, oneCapture(t, inside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP202" || f.Tunnel != 1 || f.Confidence != Medium || f.Subject != "esp 198.51.100.7 -> 10.0.0.2 spi 0xc0ffee02" {
		t.Errorf("finding = %+v", f)
	}
	wantMessage(t, f.Message, "SPI 0xc0ffee02 (198.51.100.7 → 10.0.0.2), inbound", "5 sequence numbers missing in 1 gap among 55 packets (sequence 1 to 60)", "lost before the capture point")
	wantFrames(t, f, flows.SideInside, dpFrames(inside, dpESPSeq(dpSPIIn, 25, 25))...)
}

func TestVP202ESPSequenceGapsTwoCaptures(t *testing.T) {
	// Inbound 20-24 are lost on the Internet (missing in both captures);
	// outbound 31-42 are dropped by the NAT, which is VP201's.
	inside := dpWithout(dpNATTInside(60).Packets, dpESPSeq(dpSPIIn, 20, 24))
	nat := dpNATT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return dpESPSeq(dpSPIOut, 31, 42)(p) }
	outside := nat.Translate(inside)
	fs := checkRule(t, espSequenceGaps{}, twoCaptures(t, inside, outside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1 (the upstream gap): %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Subject != "esp 198.51.100.7 -> 203.0.113.5 spi 0xc0ffee02" || f.Tunnel != 1 {
		t.Errorf("subject %q tunnel %d, want the inbound SA outside, tunnel 1", f.Subject, f.Tunnel)
	}
	wantMessage(t, f.Message, "5 sequence numbers missing in 1 gap", "already missing in the outside capture, before the NAT")
	wantFrames(t, f, flows.SideOutside, dpFrames(outside, dpESPSeq(dpSPIIn, 25, 25))...)
}

func TestVP202Clean(t *testing.T) {
	inside := dpNATTInside(60).Packets
	if fs := checkRule(t, espSequenceGaps{}, oneCapture(t, inside)); len(fs) != 0 {
		t.Errorf("one capture: got %+v, want none", fs)
	}
	nat := dpNATT()
	if fs := checkRule(t, espSequenceGaps{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("two captures: got %+v, want none", fs)
	}
}

func TestVP202ImplausibleJumpLowConfidence(t *testing.T) {
	s := dpNATTInside(5)
	s.ESP(testGateway+":4500", testClient+":4500", dpSPIIn, 1<<30)
	fs := checkRule(t, espSequenceGaps{}, oneCapture(t, s.Packets))
	if len(fs) != 1 || fs[0].Confidence != Low {
		t.Fatalf("got %+v, want one finding of low confidence", fs)
	}
}
