package rules

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// dpRawInside scripts, as the inside capture sees it, a client without
// NAT-T: IKEv2 on 500 and n seconds of raw ESP, outbound and inbound as
// asked.
func dpRawInside(n int, out, in bool) *pt.Script {
	s := pt.New()
	dpIKEv2(s, testClient, testGateway, testSPIi, testSPIr, false)
	for i := 1; i <= n; i++ {
		if out {
			s.ESP(testClient, testGateway, dpSPIOut, uint32(i))
		}
		if in {
			s.ESP(testGateway, testClient, dpSPIIn, uint32(i))
		}
		s.Other(17, testClient+":53000", "192.0.2.53:53", uint64(i))
		s.After(time.Second)
	}
	return s
}

func dpIsSPI(spi uint32) func(p *decode.Packet) bool {
	return func(p *decode.Packet) bool {
		return (p.Kind == decode.KindESP || p.Kind == decode.KindUDPESP) && p.ESP.SPI == spi
	}
}

func TestVP204OneCapture(t *testing.T) {
	inside := dpRawInside(20, true, false).Packets
	fs := checkRule(t, espOneWay{}, oneCapture(t, inside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP204" || f.Tunnel != 1 || f.Confidence != High || f.Subject != "esp 10.0.0.2 -> 198.51.100.7" {
		t.Errorf("finding = %+v", f)
	}
	wantMessage(t, f.Message, "ESP flows only from 10.0.0.2 (initiator) to 198.51.100.7 (responder): 20 packets on SPI 0xc0ffee01 over 19.4s; none from 198.51.100.7 back",
		"IKE between them works both ways here (answer in frame 2)")
	// No NAT-D, but a private address talks to a public one: a NAT must
	// translate between them, and the message may say so.
	if !strings.Contains(f.Message, "the ESP is raw (IP protocol 50) across a NAT") {
		t.Errorf("message %q does not explain the raw ESP across the NAT that the addresses imply", f.Message)
	}
	ev := evidenceFrames(f, flows.SideInside)
	want := append([]int{2}, dpFrames(inside, dpIsSPI(dpSPIOut))[:3]...)
	if len(ev) != 4 || ev[0] != want[0] || ev[1] != want[1] || ev[3] != want[3] {
		t.Errorf("evidence = %v, want %v", ev, want)
	}
}

func TestVP204InboundNotForwarded(t *testing.T) {
	// Passthrough off: the gateway's ESP reaches the outside capture, the
	// NAT does not forward it inside.
	full := dpRawInside(20, true, true).Packets
	nat := dpPassthroughNAT()
	outside := nat.Translate(full)
	inside := dpWithout(full, dpIsSPI(dpSPIIn))
	fs := checkRule(t, espOneWay{}, twoCaptures(t, inside, outside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	wantMessage(t, f.Message, "ESP flows only from 10.0.0.2 (initiator) to 198.51.100.7 (responder) in the inside capture",
		"the ESP is raw (IP protocol 50) across a NAT, which only IPsec Passthrough can bring back",
		"The answer does reach the outside capture — 20 packets from 198.51.100.7 on SPI 0xc0ffee02 — and the NAT does not forward them inside (20 dropped")
	if f.Confidence != High || f.Tunnel != 1 {
		t.Errorf("confidence %v tunnel %d, want high, 1", f.Confidence, f.Tunnel)
	}
	if got := evidenceFrames(f, flows.SideOutside); len(got) != 3 {
		t.Errorf("outside evidence = %v, want the first 3 inbound frames", got)
	}
}

func TestVP204OutboundDroppedAtNAT(t *testing.T) {
	inside := dpRawInside(20, true, false).Packets
	nat := dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return p.Kind == decode.KindESP }
	fs := checkRule(t, espOneWay{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "None of it appears in the outside capture (20 packets dropped while both captures ran)", "the peer never receives anything to answer")
}

func TestVP204PeerSilent(t *testing.T) {
	// Both captures one-way: reported once, from the inside.
	inside := dpRawInside(20, true, false).Packets
	nat := dpPassthroughNAT()
	fs := checkRule(t, espOneWay{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "in the inside capture", "The outside capture shows the same: 20 of these packets crossed the NAT and nothing comes back from 198.51.100.7 there either: the peer does not send")
	if len(evidenceFrames(fs[0], flows.SideOutside)) != 3 {
		t.Errorf("evidence = %+v, want 3 outside frames", fs[0].Evidence)
	}
}

func TestVP204OutboundOnlyInsideCapture(t *testing.T) {
	// The NAT drops the client's ESP while the gateway keeps sending: the
	// inside capture is two-way, the outside one carries inbound only.
	inside := dpRawInside(20, true, true).Packets
	nat := dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return dpIsSPI(dpSPIOut)(p) }
	fs := checkRule(t, espOneWay{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	wantMessage(t, f.Message, "ESP flows only from 198.51.100.7 (responder) to 203.0.113.5 (initiator) in the outside capture",
		"The inside capture shows 10.0.0.2 sending the other direction — 20 packets on SPI 0xc0ffee01 — and none of it leaves the NAT (20 dropped")
	if f.Tunnel != 1 || len(evidenceFrames(f, flows.SideInside)) != 3 {
		t.Errorf("tunnel %d evidence %+v; want tunnel 1 and 3 inside frames", f.Tunnel, f.Evidence)
	}
}

func TestVP204Clean(t *testing.T) {
	inside := dpRawInside(20, true, true).Packets
	if fs := checkRule(t, espOneWay{}, oneCapture(t, inside)); len(fs) != 0 {
		t.Errorf("both directions: got %+v, want none", fs)
	}
	nat := dpPassthroughNAT()
	if fs := checkRule(t, espOneWay{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("both directions, two captures: got %+v, want none", fs)
	}
	// Below the threshold: the answer may still come.
	short := dpRawInside(3, true, false).Packets
	if fs := checkRule(t, espOneWay{}, oneCapture(t, short)); len(fs) != 0 {
		t.Errorf("3 packets: got %+v, want none", fs)
	}
}

func TestVP204NoIKE(t *testing.T) {
	s := pt.New()
	for i := uint32(1); i <= 10; i++ {
		s.ESP(testClient, testGateway, dpSPIOut, i)
		// Another host's GRE lets the two captures be correlated.
		s.GRE("192.0.2.80", "192.0.2.99", 7, i)
		s.After(time.Second)
	}
	// One capture: the capture point may see one direction only.
	if fs := checkRule(t, espOneWay{}, oneCapture(t, s.Packets)); len(fs) != 0 {
		t.Errorf("one capture: got %+v, want none", fs)
	}
	// Two captures place it: the NAT drops it.
	nat := dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return p.Kind == decode.KindESP }
	fs := checkRule(t, espOneWay{}, twoCaptures(t, s.Packets, nat.Translate(s.Packets)))
	if len(fs) != 1 || fs[0].Tunnel != 0 || fs[0].Confidence != High {
		t.Fatalf("two captures: got %+v, want one high-confidence finding about no tunnel", fs)
	}
	wantMessage(t, fs[0].Message, "ESP flows only from 10.0.0.2 to 198.51.100.7 in the inside capture: 10 packets", "None of it appears in the outside capture")
}

// TestVP204AnswerDeliveredToAnotherHost checks that a second passthrough
// client whose inbound ESP the NAT delivers to the first client is told
// so, instead of "nothing comes back".
func TestVP204AnswerDeliveredToAnotherHost(t *testing.T) {
	s := pt.New()
	dpIKEv2(s, testClient, testGateway, dpSPIiA, dpSPIrA, false)
	for i := uint32(1); i <= 5; i++ {
		s.ESP(testClient, testGateway, dpAOut, i)
		s.ESP(testGateway, testClient, dpAIn, i)
		s.After(time.Second)
	}
	dpIKEv2(s, testClient2, testGateway, dpSPIiB, dpSPIrB, false)
	for i := uint32(1); i <= 6; i++ {
		s.ESP(testClient2, testGateway, dpBOut, i)
		// B's inbound SA, delivered to A.
		s.ESP(testGateway, testClient, dpBIn, i)
		s.ESP(testClient, testGateway, dpAOut, 5+i)
		s.ESP(testGateway, testClient, dpAIn, 5+i)
		s.After(time.Second)
	}
	nat := dpPassthroughNAT()
	c := twoCaptures(t, s.Packets, nat.Translate(s.Packets))
	fs := checkRule(t, espOneWay{}, c)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Tunnel != 2 || f.Confidence != High {
		t.Errorf("finding = %+v, want tunnel 2, high confidence", f)
	}
	wantMessage(t, f.Message, "ESP flows only from 10.0.0.3 (initiator)",
		"The outside capture shows ESP coming back from 198.51.100.7 — 6 packets on SPI 0xb0000002 — and the NAT delivers it to 10.0.0.2 instead (see VP205)")
}

// TestVP204Keyed: with keys the finding names the SPI the tunnel
// negotiated for the silent direction (read from the decrypted IKE_AUTH)
// and what the present direction carried.
func TestVP204Keyed(t *testing.T) {
	pkts := innerScript(6, 0, 0, 0)
	for i := range pkts {
		m := pkts[i].IKE
		if m == nil || m.Exchange != decode.ExchangeTypeIKEAuth {
			continue
		}
		// The client announces the SPI it receives on, the gateway its own.
		spi := uint32(0xc2000002)
		if m.IsResponse() {
			spi = 0xc1000001
		}
		m.Decryption = &decode.Decryption{Status: decode.Decrypted}
		m.Proposals = []decode.Proposal{{Number: 1, Protocol: decode.ProtocolIDESP, SPI: []byte{byte(spi >> 24), byte(spi >> 16), byte(spi >> 8), byte(spi)}}}
	}
	c := oneCapture(t, pkts)
	fs := checkRule(t, espOneWay{}, c)
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
	}
	auth := 0
	for _, p := range pkts {
		if p.IKE != nil && p.IKE.Exchange == decode.ExchangeTypeIKEAuth && !p.IKE.IsResponse() {
			auth = p.Frame
		}
	}
	wantMessage(t, fs[0].Message, "ESP flows only from 10.0.0.2 (initiator) to 198.51.100.7 (responder)",
		"the tunnel negotiated SPI 0xc2000002 for the other direction (SA payload read decrypted, frame "+strconv.Itoa(auth)+"), and no packet on it was captured",
		"decrypted, 6 packets of it are ICMP echo requests, none answered through the tunnel here (from 192.0.2.17 to 203.0.113.1)")
	if !fs[0].Decrypted {
		t.Error("the finding rests on decrypted content but is not marked Decrypted")
	}
}
