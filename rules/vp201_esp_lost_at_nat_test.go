package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

func TestVP201ESPLostAtNAT(t *testing.T) {
	// The NAT drops outbound sequence numbers 31-42 and inbound 3 and
	// 9-12 of a NAT-T tunnel carrying 60 packets each way.
	inside := dpNATTInside(60).Packets
	nat := dpNATT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return dpESPSeq(dpSPIOut, 31, 42)(p) }
	outside := nat.Translate(inside)
	inboundLost := func(p *decode.Packet) bool {
		return dpESPSeq(dpSPIIn, 3, 3)(p) || dpESPSeq(dpSPIIn, 9, 12)(p)
	}
	// The inbound packets reached the outside capture but not the inside.
	wantOutsideFrames := dpFrames(outside, inboundLost)
	inside = dpWithout(inside, inboundLost)
	wantInsideFrames := dpFrames(inside, dpESPSeq(dpSPIOut, 31, 42))

	c := twoCaptures(t, inside, outside)
	fs := checkRule(t, espLostAtNAT{}, c)
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2: %+v", len(fs), fs)
	}
	out, in := fs[0], fs[1]
	if out.Subject != "esp 10.0.0.2 -> 198.51.100.7 spi 0xc0ffee01" {
		out, in = in, out
	}
	if out.RuleID != "VP201" || out.Tunnel != 1 || out.Confidence != High {
		t.Errorf("outbound finding = %s tunnel %d confidence %v, want VP201 tunnel 1 high", out.RuleID, out.Tunnel, out.Confidence)
	}
	wantMessage(t, out.Message, "SPI 0xc0ffee01 (10.0.0.2 → 198.51.100.7), outbound", "12 of 60 ESP packets", "never appeared outside", "sequence numbers 31-42")
	wantFrames(t, out, flows.SideInside, wantInsideFrames...)
	if len(evidenceFrames(out, flows.SideOutside)) != 1 {
		t.Errorf("outbound evidence outside = %v, want the one packet after the hole", evidenceFrames(out, flows.SideOutside))
	}

	if in.Subject != "esp 198.51.100.7 -> 203.0.113.5 spi 0xc0ffee02" {
		t.Errorf("inbound subject = %q", in.Subject)
	}
	wantMessage(t, in.Message, "SPI 0xc0ffee02 (198.51.100.7 → 203.0.113.5), inbound", "5 of 60 ESP packets", "never delivered inside", "sequence numbers 3, 9-12")
	wantFrames(t, in, flows.SideOutside, wantOutsideFrames...)
	if in.Tunnel != 1 {
		t.Errorf("inbound finding tunnel = %d, want 1", in.Tunnel)
	}
}

func TestVP201Clean(t *testing.T) {
	inside := dpNATTInside(60).Packets
	nat := dpNATT()
	c := twoCaptures(t, inside, nat.Translate(inside))
	if fs := checkRule(t, espLostAtNAT{}, c); len(fs) != 0 {
		t.Errorf("clean pair: got %+v, want no findings", fs)
	}
	// One capture: the rule needs both.
	if fs := checkRule(t, espLostAtNAT{}, oneCapture(t, inside)); len(fs) != 0 {
		t.Errorf("one capture: got %+v, want no findings", fs)
	}
}

func TestVP201SingleLossMediumConfidence(t *testing.T) {
	inside := dpNATTInside(20).Packets
	nat := dpNATT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return dpESPSeq(dpSPIOut, 7, 7)(p) }
	c := twoCaptures(t, inside, nat.Translate(inside))
	fs := checkRule(t, espLostAtNAT{}, c)
	if len(fs) != 1 || fs[0].Confidence != Medium {
		t.Fatalf("got %+v, want one finding of medium confidence", fs)
	}
	wantMessage(t, fs[0].Message, "1 of 20 ESP packets", "sequence numbers 7)")
}

// TestVP201ICMP checks that the NAT's ICMP errors about the lost packets
// are cited, and errors about packets that crossed are not.
func TestVP201ICMP(t *testing.T) {
	inside := dpNATTInside(20).Packets
	nat := dpNATT()
	outside := nat.Translate(inside)
	lost := dpESPSeq(dpSPIIn, 9, 12)
	// The NAT refuses the lost packets; a router beyond it complains about
	// packets 2 and 3, which the NAT then delivered.
	outside, _ = withICMPErrors(outside, testPublic, decode.ICMPTypeDestinationUnreachable, decode.ICMPCodePortUnreachable, lost)
	outside, _ = withICMPErrors(outside, "192.0.2.254", decode.ICMPTypeTimeExceeded, decode.ICMPCodeTTLExceeded, dpESPSeq(dpSPIIn, 2, 3))
	refusals := dpFrames(outside, func(p *decode.Packet) bool { return p.Kind == decode.KindICMPError && p.Src.String() == testPublic })
	c := twoCaptures(t, dpWithout(inside, lost), outside)
	fs := checkRule(t, espLostAtNAT{}, c)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "4 of 20 ESP packets", "sequence numbers 9-12",
		"the device between the captures dropped them; the NAT itself (203.0.113.5) answered 4 of them with ICMP port unreachable (outside frames")
	if strings.Contains(fs[0].Message, "192.0.2.254") || strings.Contains(fs[0].Message, "time to live") {
		t.Errorf("message cites errors about delivered packets: %s", fs[0].Message)
	}
	for _, f := range refusals {
		if !slices.Contains(evidenceFrames(fs[0], flows.SideOutside), f) {
			t.Errorf("evidence %v lacks the ICMP error at outside frame %d", evidenceFrames(fs[0], flows.SideOutside), f)
		}
	}
}
