package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// vp104Inside scripts the inside capture of an IKEv2 client whose
// IKE_SA_INIT announces IKE fragmentation (the responder's does not) and
// whose IKE_AUTH request, 2800 octets with certificates, goes out in two IP
// fragments and is retransmitted three times. When answered is set, the
// responder answers the first one instead.
func vp104Inside(answered bool) (pkts []decode.Packet, fragFrames [][]int) {
	s := pt.New()
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.Notifies = []decode.Notify{{Type: decode.NotifyTypeIKEv2FragmentationSupported}}
	s.IKE("10.0.0.2:500", "198.51.100.7:500", req, 1)
	s.IKE("198.51.100.7:500", "10.0.0.2:500", vp1Msg(decode.ExchangeTypeIKESAInit, 0, true), 2)
	auth := vp1Msg(decode.ExchangeTypeIKEAuth, 1, false)
	sends := 4
	if answered {
		sends = 1
	}
	for i := 0; i < sends; i++ {
		if i > 0 {
			s.After(time.Duration(1<<i) * time.Second)
		}
		fragFrames = append(fragFrames, vp1FragIKE(s, "10.0.0.2:4500", "198.51.100.7:4500", auth, 3, 2, uint32(100+i)))
	}
	if answered {
		s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	}
	vp1Background(s, 30*time.Second)
	return s.Packets, fragFrames
}

// vp104Outside is what a NAT that forwards only first fragments lets out.
func vp104Outside(in []decode.Packet) []decode.Packet {
	nat := vp1NAT()
	nat.Drop = func(i int, p *decode.Packet) bool {
		return p.Kind == decode.KindIPFragment && p.Fragment.Offset > 0 || p.Fragments > 0
	}
	return vp1Incomplete(nat.Translate(in))
}

func TestVP104Located(t *testing.T) {
	in, frags := vp104Inside(false)
	out := vp104Outside(in)
	c := twoCaptures(t, in, out)
	f := wantFindings(t, checkRule(t, ikeFragmentsDropped{}, c), 1)[0]
	if f.Tunnel != 1 || f.Confidence != High {
		t.Errorf("tunnel %d confidence %s; want 1, high", f.Tunnel, f.Confidence)
	}
	wantMessage(t, f.Message,
		"the initiator 10.0.0.2 sent 4 IKE_AUTH messages as IP fragments (8 fragments in all, the largest 2800 octets)",
		"the outside capture has none of them",
		"4 datagrams arrived with fragments missing (4 of their fragments arrived)",
		"(4 IP fragments seen inside never appear outside)",
		"the responder did not announce IKEV2_FRAGMENTATION_SUPPORTED")
	var want []int
	for _, fr := range frags {
		want = append(want, fr...)
	}
	wantFrames(t, f, flows.SideInside, want...)
	if got := evidenceFrames(f, flows.SideOutside); len(got) != 4 {
		t.Errorf("outside evidence %v, want the 4 first fragments", got)
	}
}

func TestVP104OutsideOnly(t *testing.T) {
	in, _ := vp104Inside(false)
	out := vp104Outside(in)
	f := wantFindings(t, checkRule(t, ikeFragmentsDropped{}, oneCapture(t, out)), 1)[0]
	if f.Confidence != Medium {
		t.Errorf("confidence %s, want medium", f.Confidence)
	}
	wantMessage(t, f.Message, "4 IKE datagrams from the initiator 203.0.113.5 arrived at this capture point with fragments missing")
}

func TestVP104InsideOnly(t *testing.T) {
	in, frags := vp104Inside(false)
	f := wantFindings(t, checkRule(t, ikeFragmentsDropped{}, oneCapture(t, in)), 1)[0]
	if f.Confidence != Medium {
		t.Errorf("confidence %s, want medium", f.Confidence)
	}
	wantMessage(t, f.Message, "the initiator sent IKE_AUTH request (2800 octets, in 2 IP fragments) 4 times over",
		"while the smaller messages before it were answered")
	// The evidence is the frames of the reassembled requests: each
	// transmission's last fragment.
	wantFrames(t, f, flows.SideInside, frags[0][1], frags[1][1], frags[2][1], frags[3][1])
}

func TestVP104Clean(t *testing.T) {
	in, _ := vp104Inside(true)
	nat := vp1NAT()
	out := nat.Translate(in)
	wantFindings(t, checkRule(t, ikeFragmentsDropped{}, oneCapture(t, in)), 0)
	wantFindings(t, checkRule(t, ikeFragmentsDropped{}, twoCaptures(t, in, out)), 0)
}

func TestVP105FragmentedWithoutSupport(t *testing.T) {
	in, _ := vp104Inside(true)
	f := wantFindings(t, checkRule(t, ikeFragmentationNotNegotiated{}, oneCapture(t, in)), 1)[0]
	if f.Severity != Warning || f.Tunnel != 1 {
		t.Errorf("severity %s tunnel %d; want warning, 1", f.Severity, f.Tunnel)
	}
	wantMessage(t, f.Message, "only the initiator announced IKEV2_FRAGMENTATION_SUPPORTED; the responder 198.51.100.7 did not",
		"1 IKE message travelled as IP fragments (the largest IKE message is 2800 octets)")
	if got := evidenceFrames(f, flows.SideInside); len(got) != 3 || got[0] != 1 || got[1] != 2 {
		t.Errorf("evidence %v, want IKE_SA_INIT request, response and the large message", got)
	}
}

func TestVP105LargeUnfragmented(t *testing.T) {
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	auth := vp1Msg(decode.ExchangeTypeIKEAuth, 1, false)
	auth.Length = 1400
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", auth, 3)
	s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	f := wantFindings(t, checkRule(t, ikeFragmentationNotNegotiated{}, oneCapture(t, s.Packets)), 1)[0]
	wantMessage(t, f.Message, "neither the initiator 10.0.0.2 nor the responder 198.51.100.7 announced",
		"1400 octets (frame 3), above the 1280 octets")
}

func TestVP105Clean(t *testing.T) {
	// Both announce fragmentation: fine however large the messages.
	s := pt.New()
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.Notifies = []decode.Notify{{Type: decode.NotifyTypeIKEv2FragmentationSupported}}
	rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
	rsp.Notifies = req.Notifies
	s.IKE("10.0.0.2:500", "198.51.100.7:500", req, 1)
	s.IKE("198.51.100.7:500", "10.0.0.2:500", rsp, 2)
	big := vp1Msg(decode.ExchangeTypeIKEAuth, 1, false)
	big.Length = 4000
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", big, 3)
	wantFindings(t, checkRule(t, ikeFragmentationNotNegotiated{}, oneCapture(t, s.Packets)), 0)

	// Neither does, but every message is small.
	s = pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	wantFindings(t, checkRule(t, ikeFragmentationNotNegotiated{}, oneCapture(t, s.Packets)), 0)
}
