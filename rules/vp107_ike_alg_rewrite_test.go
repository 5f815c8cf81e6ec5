package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// vp107Inside scripts an IKEv2 negotiation that completes as the inside
// capture sees it.
func vp107Inside() []decode.Packet {
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	vp1Background(s, 10*time.Second)
	return s.Packets
}

func TestVP107SPIRewritten(t *testing.T) {
	in := vp107Inside()
	nat := vp1NAT()
	nat.Rewrite = func(p *decode.Packet) {
		if p.IKE != nil && p.IKE.SPIi == testSPIi {
			p.IKE.SPIi = 0x9999999999999999
		}
	}
	out := nat.Translate(in)
	c := twoCaptures(t, in, out)
	f := wantFindings(t, checkRule(t, ikeALGRewrite{}, c), 1)[0]
	if f.Tunnel != 1 || f.Confidence != High {
		t.Errorf("tunnel %d confidence %s; want 1, high", f.Tunnel, f.Confidence)
	}
	wantMessage(t, f.Message, "the IKE SPIs of 4 messages changed between the captures",
		"initiator SPI 0x1111111111111111 inside became 0x9999999999999999 outside (frame 1 inside, 1 outside)",
		"an ALG rewrites IKE headers")
	wantFrames(t, f, flows.SideInside, 1, 2, 3, 4)
	if got := evidenceFrames(f, flows.SideOutside); len(got) != 4 {
		t.Errorf("outside evidence %v, want 4 frames", got)
	}
}

func TestVP107ContentAltered(t *testing.T) {
	in := vp107Inside()
	nat := vp1NAT()
	nat.Rewrite = func(p *decode.Packet) {
		if p.IKE != nil && p.IKE.Exchange == decode.ExchangeTypeIKEAuth && !p.IKE.IsResponse() {
			p.PayloadHash += 1000
		}
	}
	out := nat.Translate(in)
	f := wantFindings(t, checkRule(t, ikeALGRewrite{}, twoCaptures(t, in, out)), 1)[0]
	if f.Confidence != Medium {
		t.Errorf("confidence %s, want medium", f.Confidence)
	}
	wantMessage(t, f.Message, "1 message of the IKE SA (SPIi 0x1111111111111111) crossed between the captures with changed content",
		"(1 outbound, 0 inbound)")
	wantFrames(t, f, flows.SideInside, 3)
	wantFrames(t, f, flows.SideOutside, 3)
}

func TestVP107Clean(t *testing.T) {
	in := vp107Inside()
	nat := vp1NAT()
	c := twoCaptures(t, in, nat.Translate(in))
	wantFindings(t, checkRule(t, ikeALGRewrite{}, c), 0)
	// With one capture the rule does not run.
	wantFindings(t, checkRule(t, ikeALGRewrite{}, oneCapture(t, in)), 0)
}

// vp107ALG scripts the two clients of an IKE ALG that keeps port 500
// static and rewrites the initiator SPI on port 500 only: client A
// (10.0.0.2) gets IKE_SA_INIT answered, then its IKE_AUTH on 4500 goes
// unanswered; client B (10.0.0.3) starts from port 500 ten seconds later
// and the ALG drops it. The rewrite changes the bytes a capture hashes,
// so the IKE_SA_INIT messages do not pair across the captures.
func vp107ALG() (in, out []decode.Packet) {
	s := pt.New()
	vp1Background(s, 5*time.Second)
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	auth := vp1Msg(decode.ExchangeTypeIKEAuth, 1, false)
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	s.After(4*time.Second).IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	s.After(6 * time.Second)
	b := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	b.SPIi = vp106SPIb
	for _, gap := range []time.Duration{0, 2 * time.Second, 4 * time.Second} {
		s.After(gap).IKE("10.0.0.3:500", "198.51.100.7:500", b, 11)
	}
	s.After(4*time.Second).IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	vp1Background(s, 20*time.Second)
	nat := vp1NAT()
	nat.Drop = func(i int, p *decode.Packet) bool { return p.Src.String() == "10.0.0.3" }
	nat.Rewrite = func(p *decode.Packet) {
		if p.IKE != nil && (p.SrcPort == 500 || p.DstPort == 500) && p.IKE.SPIi == testSPIi {
			p.IKE.SPIi = 0x9999999999999999
			p.PayloadHash ^= 0xabc
		}
	}
	return s.Packets, nat.Translate(s.Packets)
}

func TestVP107UnpairedRewrite(t *testing.T) {
	in, out := vp107ALG()
	c := twoCaptures(t, in, out)
	f := wantFindings(t, checkRule(t, ikeALGRewrite{}, c), 1)[0]
	if f.Tunnel != 1 || f.Confidence != High {
		t.Errorf("tunnel %d confidence %s; want 1, high", f.Tunnel, f.Confidence)
	}
	wantMessage(t, f.Message, "the same IKE SA has initiator SPI 0x1111111111111111 inside and 0x9999999999999999 outside")
	if len(evidenceFrames(f, flows.SideInside)) != 1 || len(evidenceFrames(f, flows.SideOutside)) != 1 {
		t.Errorf("evidence %v, want the first message on each side", f.Evidence)
	}
}

func TestVP106HeldByUnpairedIKE(t *testing.T) {
	in, out := vp107ALG()
	f := wantFindings(t, checkRule(t, natStaticPort500{}, twoCaptures(t, in, out)), 1)[0]
	if f.Confidence != Medium {
		t.Errorf("confidence %s, want medium", f.Confidence)
	}
	wantMessage(t, f.Message, "the NAT dropped all 3 IKE messages of 10.0.0.3:500 (from port 500) while another client's IKE SA (SPIi 0x9999999999999999) used 203.0.113.5:500 towards 198.51.100.7")
}
