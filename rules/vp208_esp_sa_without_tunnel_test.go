package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// dpMidstream scripts ESP both ways with no IKE, sequence numbers from
// first on.
func dpMidstream(first uint32) []decode.Packet {
	s := pt.New()
	for i := uint32(0); i < 10; i++ {
		s.ESP(testClient, testGateway, dpSPIOut, first+i)
		s.ESP(testGateway, testClient, dpSPIIn, first+i)
		s.After(time.Second)
	}
	return s.Packets
}

func TestVP208CaptureStartedLate(t *testing.T) {
	fs := checkRule(t, espWithoutTunnel{}, oneCapture(t, dpMidstream(1000)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP208" || f.Severity != Info || f.Confidence != High || f.Tunnel != 0 || f.Subject != "esp 10.0.0.2 <-> 198.51.100.7" {
		t.Errorf("finding = %+v", f)
	}
	wantMessage(t, f.Message, "2 ESP SAs between 10.0.0.2 and 198.51.100.7 (SPI 0xc0ffee01, 0xc0ffee02; 20 packets from frame 1) belong to no IKE SA in this capture",
		"their sequence numbers do not start at 1, so the capture began after they were negotiated")
	wantFrames(t, f, flows.SideInside, []int{1, 2}...)
}

func TestVP208FreshSAsMediumConfidence(t *testing.T) {
	fs := checkRule(t, espWithoutTunnel{}, oneCapture(t, dpMidstream(1)))
	if len(fs) != 1 || fs[0].Confidence != Medium {
		t.Fatalf("got %+v, want one finding of medium confidence", fs)
	}
	wantMessage(t, fs[0].Message, "or IKE ran between other addresses")
}

func TestVP208TwoCaptures(t *testing.T) {
	// Both captures lack IKE: listed once, from the inside.
	inside := dpMidstream(500)
	nat := dpPassthroughNAT()
	fs := checkRule(t, espWithoutTunnel{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "belong to no IKE SA in either capture")
	if len(evidenceFrames(fs[0], flows.SideInside)) != 2 {
		t.Errorf("evidence = %+v, want two inside frames", fs[0].Evidence)
	}
	// The outside capture filtered IKE out, the inside one has it: the
	// SAs do belong to a tunnel seen.
	full := dpRawInside(10, true, true).Packets
	outside := dpWithout(nat.Translate(full), func(p *decode.Packet) bool { return p.Kind == decode.KindIKE })
	if fs := checkRule(t, espWithoutTunnel{}, twoCaptures(t, full, outside)); len(fs) != 0 {
		t.Errorf("IKE inside only: got %+v, want none", fs)
	}
}

func TestVP208Clean(t *testing.T) {
	if fs := checkRule(t, espWithoutTunnel{}, oneCapture(t, dpRawInside(10, true, true).Packets)); len(fs) != 0 {
		t.Errorf("got %+v, want none", fs)
	}
}

// TestVP208Keyed: keys that decrypt an SA without a tunnel show it is a
// real SA of the peers; keys that fail on one say so, naming the key.
func TestVP208Keyed(t *testing.T) {
	pkts := dpMidstream(1000)
	for i := range pkts {
		p := &pkts[i]
		if p.ESP.SPI == dpSPIOut {
			p.Decrypted = &decode.ESPDecryption{Status: decode.Decrypted, Key: keys.Source{File: "esp_sa", Line: 1}}
		} else {
			p.Decrypted = &decode.ESPDecryption{Status: decode.DecryptFailed, Key: keys.Source{File: "esp_sa", Line: 2},
				Reason: "integrity check failed with the key of esp_sa:2: a wrong key, or one of another SA"}
		}
	}
	fs := checkRule(t, espWithoutTunnel{}, oneCapture(t, pkts))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "the keys given decrypt SPI 0xc0ffee01 (key of esp_sa:1): a real SA of the peers, negotiated where the capture does not show",
		"SPI 0xc0ffee02 did not decrypt (integrity check failed with the key of esp_sa:2: a wrong key, or one of another SA)")
}
