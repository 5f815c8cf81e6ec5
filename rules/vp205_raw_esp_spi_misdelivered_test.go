package rules

import (
	"strconv"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// Two passthrough clients of one gateway, without NAT-T: client A is
// 10.0.0.2, client B 10.0.0.3, both 203.0.113.5 outside.
const (
	dpSPIiA, dpSPIrA = 0xaaaa00000000a1a1, 0xaaaa00000000a2a2
	dpSPIiB, dpSPIrB = 0xbbbb00000000b1b1, 0xbbbb00000000b2b2
	dpAOut, dpAIn    = 0xa0000001, 0xa0000002
	dpBOut, dpBIn    = 0xb0000001, 0xb0000002
)

// dpTwoClients scripts the inside capture: A connects and exchanges ESP
// for five seconds, then B connects and both exchange ESP for five more.
// With misdeliver, the NAT sends A's inbound ESP to B once B is up.
func dpTwoClients(misdeliver bool) *pt.Script {
	s := pt.New()
	dpIKEv2(s, testClient, testGateway, dpSPIiA, dpSPIrA, false)
	for i := uint32(1); i <= 5; i++ {
		s.ESP(testClient, testGateway, dpAOut, i)
		s.ESP(testGateway, testClient, dpAIn, i)
		s.After(time.Second)
	}
	dpIKEv2(s, testClient2, testGateway, dpSPIiB, dpSPIrB, false)
	for i := uint32(1); i <= 5; i++ {
		s.ESP(testClient2, testGateway, dpBOut, i)
		s.ESP(testGateway, testClient2, dpBIn, i)
		s.ESP(testClient, testGateway, dpAOut, 5+i)
		if misdeliver {
			s.ESP(testGateway, testClient2, dpAIn, 5+i)
		} else {
			s.ESP(testGateway, testClient, dpAIn, 5+i)
		}
		s.After(time.Second)
	}
	return s
}

func TestVP205SPISwitchedBetweenHosts(t *testing.T) {
	inside := dpTwoClients(true).Packets
	nat := dpPassthroughNAT()
	c := twoCaptures(t, inside, nat.Translate(inside))
	fs := checkRule(t, rawESPMisdelivered{}, c)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP205" || f.Confidence != High || f.Tunnel != 1 || f.Subject != "esp 198.51.100.7 -> 203.0.113.5 spi 0xa0000002" {
		t.Errorf("finding = %+v", f)
	}
	toA := dpFrames(inside, func(p *decode.Packet) bool { return dpIsSPI(dpAIn)(p) && p.Dst.String() == testClient })
	toB := dpFrames(inside, func(p *decode.Packet) bool { return dpIsSPI(dpAIn)(p) && p.Dst.String() == testClient2 })
	wantMessage(t, f.Message, "inbound raw ESP SPI 0xa0000002 from 198.51.100.7 reached 203.0.113.5 (10 packets)",
		"delivered to 10.0.0.2 (5 packets from frame "+strconv.Itoa(toA[0])+") and 10.0.0.3 (5 packets from frame "+strconv.Itoa(toB[0])+")",
		"the NAT switched it between hosts", "Inside hosts 10.0.0.2, 10.0.0.3 share 203.0.113.5")
	want := append(append([]int{}, toA[:3]...), toB[:3]...)
	wantFrames(t, f, flows.SideInside, want...)
	if got := evidenceFrames(f, flows.SideOutside); len(got) != 3 {
		t.Errorf("outside evidence = %v, want the first 3 frames of the SPI", got)
	}
	// VP206 leaves the group to VP205.
	if fs := checkRule(t, rawESPSharedNAT{}, c); len(fs) != 0 {
		t.Errorf("VP206 = %+v, want none when VP205 reports", fs)
	}
}

func TestVP205DeliveredToHostWithoutTunnel(t *testing.T) {
	// B sends raw ESP on an SA negotiated before the capture, with no IKE
	// in it; A connects three seconds in and its inbound ESP goes to B.
	s := pt.New()
	for i := uint32(1); i <= 3; i++ {
		s.ESP(testClient2, testGateway, dpBOut, 100+i)
		s.After(time.Second)
	}
	dpIKEv2(s, testClient, testGateway, dpSPIiA, dpSPIrA, false)
	for i := uint32(1); i <= 5; i++ {
		s.ESP(testClient, testGateway, dpAOut, i)
		s.ESP(testGateway, testClient2, dpAIn, i)
		s.ESP(testClient2, testGateway, dpBOut, 103+i)
		s.After(time.Second)
	}
	inside := s.Packets
	nat := dpPassthroughNAT()
	fs := checkRule(t, rawESPMisdelivered{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	wantMessage(t, f.Message, "delivered to 10.0.0.3 (5 packets", "10.0.0.3 had no IKE SA with 198.51.100.7 when it received it")
	if f.Confidence != High || f.Tunnel != 1 {
		t.Errorf("confidence %v tunnel %d, want high and A's tunnel 1", f.Confidence, f.Tunnel)
	}
}

func TestVP205TimingNamesOwner(t *testing.T) {
	// B has been up for a while; A connects and its inbound SPI, first
	// seen right after A's IKE_AUTH, goes to B.
	s := pt.New()
	dpIKEv2(s, testClient2, testGateway, dpSPIiB, dpSPIrB, false)
	for i := uint32(1); i <= 5; i++ {
		s.ESP(testClient2, testGateway, dpBOut, i)
		s.ESP(testGateway, testClient2, dpBIn, i)
		s.After(time.Second)
	}
	dpIKEv2(s, testClient, testGateway, dpSPIiA, dpSPIrA, false)
	authFrame := s.Packets[len(s.Packets)-1].Frame
	for i := uint32(1); i <= 5; i++ {
		s.ESP(testClient, testGateway, dpAOut, i)
		s.ESP(testGateway, testClient2, dpAIn, i)
		s.After(time.Second)
	}
	inside := s.Packets
	nat := dpPassthroughNAT()
	fs := checkRule(t, rawESPMisdelivered{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	wantMessage(t, f.Message, "SPI 0xa0000002", "it first arrived 19ms after 10.0.0.2's CHILD SA was created (frame "+strconv.Itoa(authFrame)+"), but went to 10.0.0.3")
	if f.Confidence != Medium || f.Tunnel != 2 {
		t.Errorf("confidence %v tunnel %d, want medium and A's tunnel 2", f.Confidence, f.Tunnel)
	}
}

func TestVP205NotDelivered(t *testing.T) {
	full := dpTwoClients(false).Packets
	nat := dpPassthroughNAT()
	outside := nat.Translate(full)
	// A's inbound ESP after B connected reaches no one.
	inside := dpWithout(full, func(p *decode.Packet) bool { return dpESPSeq(dpAIn, 6, 10)(p) })
	fs := checkRule(t, rawESPMisdelivered{}, twoCaptures(t, inside, outside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "delivered to 10.0.0.2 (5 packets", "5 of its packets reached no inside host (sequence numbers 6-10)")
	if fs[0].Confidence != Medium {
		t.Errorf("confidence = %v, want medium", fs[0].Confidence)
	}
}

func TestVP205Clean(t *testing.T) {
	inside := dpTwoClients(false).Packets
	nat := dpPassthroughNAT()
	if fs := checkRule(t, rawESPMisdelivered{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("got %+v, want none", fs)
	}
	if fs := checkRule(t, rawESPMisdelivered{}, oneCapture(t, inside)); len(fs) != 0 {
		t.Errorf("one capture: got %+v, want none", fs)
	}
}

// dpKeyedAuth marks the IKE_AUTH exchange just scripted as read with keys:
// the request's SA payload announces in (the client's inbound SPI), the
// response's out.
func dpKeyedAuth(s *pt.Script, in, out uint32) {
	n := len(s.Packets)
	for i, spi := range []uint32{in, out} {
		m := s.Packets[n-2+i].IKE
		m.Decryption = &decode.Decryption{Status: decode.Decrypted}
		m.Proposals = []decode.Proposal{{Number: 1, Protocol: decode.ProtocolIDESP,
			SPI: []byte{byte(spi >> 24), byte(spi >> 16), byte(spi >> 8), byte(spi)}}}
	}
}

// TestVP205KeysNameOwner: A and B connect within a second of each other,
// so timing cannot tell whose SPI is whose; A's inbound SPI goes to B.
// Without keys nothing is reported; with them A's decrypted IKE_AUTH
// announced the SPI, which makes the misdelivery certain.
func TestVP205KeysNameOwner(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		s := pt.New()
		dpIKEv2(s, testClient, testGateway, dpSPIiA, dpSPIrA, false)
		if keyed {
			dpKeyedAuth(s, dpAIn, dpAOut)
		}
		authA := s.Packets[len(s.Packets)-2].Frame
		s.After(500 * time.Millisecond)
		dpIKEv2(s, testClient2, testGateway, dpSPIiB, dpSPIrB, false)
		if keyed {
			dpKeyedAuth(s, dpBIn, dpBOut)
		}
		for i := uint32(1); i <= 5; i++ {
			s.ESP(testClient, testGateway, dpAOut, i)
			s.ESP(testGateway, testClient2, dpAIn, i)
			s.ESP(testClient2, testGateway, dpBOut, i)
			s.ESP(testGateway, testClient2, dpBIn, i)
			s.After(time.Second)
		}
		inside := s.Packets
		nat := dpPassthroughNAT()
		fs := checkRule(t, rawESPMisdelivered{}, twoCaptures(t, inside, nat.Translate(inside)))
		if !keyed {
			if len(fs) != 0 {
				t.Errorf("without keys: %+v, want none (timing names no owner)", fs)
			}
			continue
		}
		if len(fs) != 1 {
			t.Fatalf("with keys: %d findings, want 1: %+v", len(fs), fs)
		}
		f := fs[0]
		wantMessage(t, f.Message, "SPI 0xa0000002", "10.0.0.2's IKE SA negotiated it (SA payload read decrypted, frame "+strconv.Itoa(authA)+"), but it went to 10.0.0.3")
		if f.Confidence != High || f.Tunnel != 1 || !f.Decrypted {
			t.Errorf("confidence %v tunnel %d decrypted %v, want high, A's tunnel 1, marked decrypted", f.Confidence, f.Tunnel, f.Decrypted)
		}
	}
}
