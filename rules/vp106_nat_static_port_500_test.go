package rules

import (
	"slices"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

const vp106SPIb = 0x3333333333333333

// vp106Inside scripts two clients behind one NAT reaching the same server
// from port 500: client A (10.0.0.2) negotiates; client B (10.0.0.3)
// starts ten seconds later and the server's answer to B arrives at A —
// when misdeliver is set — as through a NAT that maps both to one public
// port 500. Returns the packets and the frame of the misdelivered answer.
func vp106Inside(misdeliver bool) ([]decode.Packet, int) {
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	s.After(10 * time.Second)
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.SPIi = vp106SPIb
	s.IKE("10.0.0.3:500", "198.51.100.7:500", req, 11)
	stray := 0
	if misdeliver {
		rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
		rsp.SPIi = vp106SPIb
		stray = s.IKE("198.51.100.7:500", "10.0.0.2:500", rsp, 12).Frame
	}
	for _, gap := range []time.Duration{2 * time.Second, 4 * time.Second} {
		s.After(gap).IKE("10.0.0.3:500", "198.51.100.7:500", req, 11)
	}
	vp1Background(s, 20*time.Second)
	return s.Packets, stray
}

func TestVP106SharedMapping(t *testing.T) {
	in, stray := vp106Inside(true)
	nat := pt.NAT{Map: map[string]string{
		"10.0.0.2:500":   "203.0.113.5:500",
		"10.0.0.3:500":   "203.0.113.5:500",
		"10.0.0.2:53000": "203.0.113.5:41000",
	}, Offset: time.Second, Delay: time.Millisecond}
	out := nat.Translate(in)
	c := twoCaptures(t, in, out)
	f := wantFindings(t, checkRule(t, natStaticPort500{}, c), 1)[0]
	if f.Confidence != High || f.Tunnel != 2 {
		t.Errorf("confidence %s tunnel %d; want high, 2 (client B's)", f.Confidence, f.Tunnel)
	}
	wantMessage(t, f.Message, "the NAT mapped 10.0.0.2:500 and 10.0.0.3:500 both to 203.0.113.5:500",
		"1 message of the responder 198.51.100.7 for 10.0.0.3:500's IKE SA (SPIi 0x3333333333333333) went to 10.0.0.2:500 instead")
	if got := evidenceFrames(f, flows.SideInside); len(got) < 3 || !slices.Contains(got, stray) {
		t.Errorf("inside evidence %v lacks the misdelivered answer %d", got, stray)
	}
	if len(evidenceFrames(f, flows.SideOutside)) == 0 {
		t.Errorf("no outside evidence")
	}
}

func TestVP106DroppedWhileHeld(t *testing.T) {
	in, _ := vp106Inside(false)
	nat := pt.NAT{Map: map[string]string{
		"10.0.0.2:500":   "203.0.113.5:500",
		"10.0.0.2:53000": "203.0.113.5:41000",
	}, Offset: time.Second, Delay: time.Millisecond,
		Drop: func(i int, p *decode.Packet) bool { return p.Src.String() == "10.0.0.3" }}
	out := nat.Translate(in)
	f := wantFindings(t, checkRule(t, natStaticPort500{}, twoCaptures(t, in, out)), 1)[0]
	if f.Confidence != Medium || f.Tunnel != 2 {
		t.Errorf("confidence %s tunnel %d; want medium, 2", f.Confidence, f.Tunnel)
	}
	wantMessage(t, f.Message, "the NAT dropped all 3 IKE messages of 10.0.0.3:500 (from port 500) while 10.0.0.2:500 held 203.0.113.5:500")
}

func TestVP106InsideOnlyStray(t *testing.T) {
	in, stray := vp106Inside(true)
	f := wantFindings(t, checkRule(t, natStaticPort500{}, oneCapture(t, in)), 1)[0]
	if f.Confidence != Medium || f.Tunnel != 2 {
		t.Errorf("confidence %s tunnel %d; want medium, 2", f.Confidence, f.Tunnel)
	}
	wantMessage(t, f.Message, "went to 10.0.0.2:500 instead", "delivered them to the wrong client")
	wantFrames(t, f, flows.SideInside, stray)
}

// vp106Outside scripts the outside view of two IKE SAs from one public
// address and port 500 that float to the given ports.
func vp106Outside(portA, portB string) []decode.Packet {
	s := pt.New()
	pub, srv := "203.0.113.5:500", "198.51.100.7:500"
	vp1SAInit(s, pub, srv)
	s.IKE("203.0.113.5:"+portA, "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.After(5 * time.Second)
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.SPIi = vp106SPIb
	req.NATD = vp1NATD(pub, false)
	s.IKE(pub, srv, req, 11)
	rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
	rsp.SPIi = vp106SPIb
	rsp.NATD = vp1NATD(pub, true)
	s.IKE(srv, pub, rsp, 12)
	auth := vp1Msg(decode.ExchangeTypeIKEAuth, 1, false)
	auth.SPIi = vp106SPIb
	s.IKE("203.0.113.5:"+portB, "198.51.100.7:4500", auth, 13)
	// Client A is still active.
	s.After(5*time.Second).IKE("203.0.113.5:"+portA, "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeInformational, 2, false), 4)
	return s.Packets
}

func TestVP106OutsideOverlap(t *testing.T) {
	c := oneCapture(t, vp106Outside("62001", "62002"))
	f := wantFindings(t, checkRule(t, natStaticPort500{}, c), 1)[0]
	if f.Confidence != Low || f.Tunnel != 2 {
		t.Errorf("confidence %s tunnel %d; want low, 2", f.Confidence, f.Tunnel)
	}
	wantMessage(t, f.Message, "two IKE SAs from 203.0.113.5:500 to 198.51.100.7 overlap in time",
		"different ports (62001 and 62002)")
	wantFrames(t, f, flows.SideInside, 1, 4)
}

func TestVP106Clean(t *testing.T) {
	// One host with two IKE SAs from the same socket: same float port.
	wantFindings(t, checkRule(t, natStaticPort500{}, oneCapture(t, vp106Outside("62001", "62001"))), 0)
	// Two clients, each with its own translated port.
	in, _ := vp106Inside(false)
	nat := pt.NAT{Map: map[string]string{
		"10.0.0.2:500":   "203.0.113.5:500",
		"10.0.0.3:500":   "203.0.113.5:1024",
		"10.0.0.2:53000": "203.0.113.5:41000",
	}, Offset: time.Second, Delay: time.Millisecond}
	wantFindings(t, checkRule(t, natStaticPort500{}, twoCaptures(t, in, nat.Translate(in))), 0)
	wantFindings(t, checkRule(t, natStaticPort500{}, oneCapture(t, in)), 0)
}
