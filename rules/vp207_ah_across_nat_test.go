package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

const dpAHOut, dpAHIn = 0xa11a0001, 0xa11a0002

// dpAHInside scripts an IKEv2 tunnel protected by AH both ways, ten
// packets each; natt adds NAT-D that detects the NAT.
func dpAHInside(client, gw string, natt bool) []decode.Packet {
	s := pt.New()
	dpIKEv2(s, client, gw, testSPIi, testSPIr, natt)
	for i := uint32(1); i <= 10; i++ {
		s.AH(client, gw, dpAHOut, i)
		s.AH(gw, client, dpAHIn, i)
		s.After(time.Second)
	}
	return s.Packets
}

func isAH(p *decode.Packet) bool { return p.Kind == decode.KindAH }

func TestVP207TranslatedTwoCaptures(t *testing.T) {
	inside := dpAHInside(testClient, testGateway, false)
	nat := dpPassthroughNAT()
	outside := nat.Translate(inside)
	fs := checkRule(t, ahAcrossNAT{}, twoCaptures(t, inside, outside))
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2 (one per SA): %+v", len(fs), fs)
	}
	for _, f := range fs {
		if f.RuleID != "VP207" || f.Confidence != High || f.Tunnel != 1 {
			t.Errorf("finding = %+v", f)
		}
	}
	out := fs[0]
	if out.Subject != "ah 10.0.0.2 -> 198.51.100.7 spi 0xa11a0001" {
		out = fs[1]
	}
	wantMessage(t, out.Message, "AH SPI 0xa11a0001 is 10.0.0.2 → 198.51.100.7 inside and 203.0.113.5 → 198.51.100.7 outside (10 packets)")
	sel := func(p *decode.Packet) bool { return isAH(p) && p.AH.SPI == dpAHOut }
	wantFrames(t, out, flows.SideInside, dpFrames(inside, sel)[:3]...)
	wantFrames(t, out, flows.SideOutside, dpFrames(outside, sel)[:3]...)
}

func TestVP207DroppedByNAT(t *testing.T) {
	s := pt.New()
	dpIKEv2(s, testClient, testGateway, testSPIi, testSPIr, false)
	for i := uint32(1); i <= 10; i++ {
		s.AH(testClient, testGateway, dpAHOut, i)
		s.Other(17, testClient+":53000", "192.0.2.53:53", uint64(i))
		s.After(time.Second)
	}
	inside := s.Packets
	nat := dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return isAH(p) }
	fs := checkRule(t, ahAcrossNAT{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "AH SPI 0xa11a0001 (10.0.0.2 → 198.51.100.7): 10 of 10 packets never appeared outside; the NAT, which translates 10.0.0.2, does not forward AH")
}

func TestVP207OneCapture(t *testing.T) {
	// Private to public: a NAT must be on the way.
	fs := checkRule(t, ahAcrossNAT{}, oneCapture(t, dpAHInside(testClient, testGateway, false)))
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2: %+v", len(fs), fs)
	}
	for _, f := range fs {
		if f.Confidence != Medium {
			t.Errorf("confidence = %v, want medium", f.Confidence)
		}
		wantMessage(t, f.Message, "runs between a private and a public address")
	}
	// NAT-D detected the NAT: certain.
	fs = checkRule(t, ahAcrossNAT{}, oneCapture(t, dpAHInside(testClient, testGateway, true)))
	if len(fs) != 2 || fs[0].Confidence != High {
		t.Fatalf("with NAT-D: got %+v, want 2 findings of high confidence", fs)
	}
	wantMessage(t, fs[0].Message, "belongs to a tunnel whose NAT-D payloads detected a NAT (the initiator is behind it)")
	if got := evidenceFrames(fs[0], flows.SideInside); len(got) != 5 || got[0] != 1 || got[1] != 2 {
		t.Errorf("evidence = %v, want the NAT-D frames 1 and 2 first", got)
	}
}

func TestVP207Clean(t *testing.T) {
	// Public to public, no translation: AH works.
	inside := dpAHInside("192.0.2.10", testGateway, false)
	if fs := checkRule(t, ahAcrossNAT{}, oneCapture(t, inside)); len(fs) != 0 {
		t.Errorf("one capture: got %+v, want none", fs)
	}
	nat := pt.NAT{Offset: time.Second, Delay: time.Millisecond}
	if fs := checkRule(t, ahAcrossNAT{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("two captures, untranslated: got %+v, want none", fs)
	}
	// ESP, not AH, across the NAT.
	esp := dpRawInside(10, true, true).Packets
	if fs := checkRule(t, ahAcrossNAT{}, oneCapture(t, esp)); len(fs) != 0 {
		t.Errorf("ESP: got %+v, want none", fs)
	}
}
