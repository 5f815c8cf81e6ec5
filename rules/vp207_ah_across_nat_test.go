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
	dpIKEv2(s, client, gw, dpSPIi, dpSPIr, natt)
	for i := uint32(1); i <= 10; i++ {
		s.AH(client, gw, dpAHOut, i)
		s.AH(gw, client, dpAHIn, i)
		s.After(time.Second)
	}
	return s.Packets
}

func isAH(p *decode.Packet) bool { return p.Kind == decode.KindAH }

func TestVP207TranslatedTwoCaptures(t *testing.T) {
	inside := dpAHInside(dpHost, dpGW, false)
	nat := dpPassthroughNAT()
	outside := nat.Translate(inside)
	fs := dpFindings(t, dpPair(t, inside, outside), ahAcrossNAT{})
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
	dpWantMessage(t, out, "AH SPI 0xa11a0001 is 10.0.0.2 → 198.51.100.7 inside and 203.0.113.5 → 198.51.100.7 outside (10 packets)")
	sel := func(p *decode.Packet) bool { return isAH(p) && p.AH.SPI == dpAHOut }
	dpWantFrames(t, out, flows.SideInside, dpFrames(inside, sel)[:3])
	dpWantFrames(t, out, flows.SideOutside, dpFrames(outside, sel)[:3])
}

func TestVP207DroppedByNAT(t *testing.T) {
	s := pt.New()
	dpIKEv2(s, dpHost, dpGW, dpSPIi, dpSPIr, false)
	for i := uint32(1); i <= 10; i++ {
		s.AH(dpHost, dpGW, dpAHOut, i)
		s.Other(17, dpHost+":53000", "192.0.2.53:53", uint64(i))
		s.After(time.Second)
	}
	inside := s.Packets
	nat := dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return isAH(p) }
	fs := dpFindings(t, dpPair(t, inside, nat.Translate(inside)), ahAcrossNAT{})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	dpWantMessage(t, fs[0], "AH SPI 0xa11a0001 (10.0.0.2 → 198.51.100.7): 10 of 10 packets never appeared outside; the NAT, which translates 10.0.0.2, does not forward AH")
}

func TestVP207OneCapture(t *testing.T) {
	// Private to public: a NAT must be on the way.
	fs := dpFindings(t, dpSingle(t, dpAHInside(dpHost, dpGW, false)), ahAcrossNAT{})
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2: %+v", len(fs), fs)
	}
	for _, f := range fs {
		if f.Confidence != Medium {
			t.Errorf("confidence = %v, want medium", f.Confidence)
		}
		dpWantMessage(t, f, "runs between a private and a public address")
	}
	// NAT-D detected the NAT: certain.
	fs = dpFindings(t, dpSingle(t, dpAHInside(dpHost, dpGW, true)), ahAcrossNAT{})
	if len(fs) != 2 || fs[0].Confidence != High {
		t.Fatalf("with NAT-D: got %+v, want 2 findings of high confidence", fs)
	}
	dpWantMessage(t, fs[0], "belongs to a tunnel whose NAT-D payloads detected a NAT (the initiator is behind it)")
	if got := dpEvidenceFrames(fs[0], flows.SideInside); len(got) != 5 || got[0] != 1 || got[1] != 2 {
		t.Errorf("evidence = %v, want the NAT-D frames 1 and 2 first", got)
	}
}

func TestVP207Clean(t *testing.T) {
	// Public to public, no translation: AH works.
	inside := dpAHInside("192.0.2.10", dpGW, false)
	if fs := dpFindings(t, dpSingle(t, inside), ahAcrossNAT{}); len(fs) != 0 {
		t.Errorf("one capture: got %+v, want none", fs)
	}
	nat := pt.NAT{Offset: time.Second, Delay: time.Millisecond}
	if fs := dpFindings(t, dpPair(t, inside, nat.Translate(inside)), ahAcrossNAT{}); len(fs) != 0 {
		t.Errorf("two captures, untranslated: got %+v, want none", fs)
	}
	// ESP, not AH, across the NAT.
	esp := dpRawInside(10, true, true).Packets
	if fs := dpFindings(t, dpSingle(t, esp), ahAcrossNAT{}); len(fs) != 0 {
		t.Errorf("ESP: got %+v, want none", fs)
	}
}
