package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

const (
	dpPPTPServer = "198.51.100.9"
	dpClientCall = 100
	dpServerCall = 200
)

// PPTP control message types (RFC 2637 §2.1).
const (
	dpSCCRQ = decode.PPTPMessageTypeStartControlConnectionRequest
	dpSCCRP = decode.PPTPMessageTypeStartControlConnectionReply
	dpOCRQ  = decode.PPTPMessageTypeOutgoingCallRequest
	dpOCRP  = decode.PPTPMessageTypeOutgoingCallReply
)

// dpPPTPCall scripts a PPTP client's control connection and call, then n
// GRE packets each way as asked, one every 3 s (pppd's LCP restart).
func dpPPTPCall(s *pt.Script, client string, clientCall, serverCall uint16, n int, out, in bool) {
	dpPPTPControl(s, client, clientCall, serverCall)
	host := pt.AddrPort(client).Addr().String()
	for i := 0; i < n; i++ {
		if out {
			s.GRE(host, dpPPTPServer, serverCall, uint32(i))
		}
		if in {
			s.GRE(dpPPTPServer, host, clientCall, uint32(i))
		}
		s.Other(17, host+":53000", "192.0.2.53:53", uint64(clientCall)<<16|uint64(i))
		s.After(3 * time.Second)
	}
}

// dpPPTPControl scripts a control connection and a connected call.
func dpPPTPControl(s *pt.Script, client string, clientCall, serverCall uint16) {
	srv := dpPPTPServer + ":1723"
	s.PPTP(client, srv, dpSCCRQ, 0, 0, 0)
	s.PPTP(srv, client, dpSCCRP, 0, 0, 1)
	s.PPTP(client, srv, dpOCRQ, clientCall, 0, 0)
	s.PPTP(srv, client, dpOCRP, serverCall, clientCall, 1)
}

func dpPPTPInside(n int, out, in bool) []decode.Packet {
	s := pt.New()
	dpPPTPCall(s, testClient+":40000", dpClientCall, dpServerCall, n, out, in)
	return s.Packets
}

func isGRE(call uint16) func(p *decode.Packet) bool {
	return func(p *decode.Packet) bool { return p.Kind == decode.KindGRE && p.GRE.CallID == call }
}

func TestVP401OneCapture(t *testing.T) {
	inside := dpPPTPInside(10, true, false)
	fs := checkRule(t, pptpGREOneWay{}, oneCapture(t, inside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP401" || f.Confidence != High || f.Subject != "pptp 10.0.0.2:40000 -> 198.51.100.9:1723 call 100 (0x0064) / 200 (0x00c8)" {
		t.Errorf("finding = %+v", f)
	}
	wantMessage(t, f.Message, "PPTP call 10.0.0.2:40000 → 198.51.100.9:1723 (client call ID 100 (0x0064), server call ID 200 (0x00c8)) connected, then 10 GRE packets went from the client to the server (call ID 200 (0x00c8)) and none came back")
	want := append([]int{1, 2, 3, 4}, dpFrames(inside, isGRE(dpServerCall))[:3]...)
	wantFrames(t, f, flows.SideInside, want...)
}

func TestVP401InboundNotForwarded(t *testing.T) {
	full := dpPPTPInside(10, true, true)
	nat := dpPassthroughNAT()
	outside := nat.Translate(full)
	inside := dpWithout(full, isGRE(dpClientCall))
	fs := checkRule(t, pptpGREOneWay{}, twoCaptures(t, inside, outside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "went from the client to the server in the inside capture",
		"The server's GRE does reach the outside capture (10 packets, call ID 100 (0x0064)); it stops at the NAT: none of it reaches the inside capture, for this client or any other, and the NAT did not translate the call IDs")
	wantFrames(t, fs[0], flows.SideOutside, dpFrames(outside, isGRE(dpClientCall))[:3]...)
}

func TestVP401OutboundDropped(t *testing.T) {
	inside := dpPPTPInside(10, true, false)
	nat := dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return p.Kind == decode.KindGRE }
	fs := checkRule(t, pptpGREOneWay{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	// The outside capture holds no GRE at all: it may have been taken
	// with a filter that leaves GRE out.
	wantMessage(t, fs[0].Message, "The outside capture holds no GRE at all: the NAT drops outbound GRE, or the outside capture left GRE (IP protocol 47) out")

	// Another host's GRE does cross: the capture holds GRE, none of the
	// call's.
	s := pt.New()
	for i := uint32(0); i < 3; i++ {
		s.GRE(testClient2, "192.0.2.80", 7, i)
	}
	inside = append(s.Packets, dpPPTPInside(10, true, false)...)
	for i := range inside {
		inside[i].Frame = i + 1
	}
	nat.Drop = func(_ int, p *decode.Packet) bool { return isGRE(dpServerCall)(p) }
	fs = checkRule(t, pptpGREOneWay{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("with other GRE: got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, ". None of the client's GRE appears in the outside capture: the NAT drops outbound GRE")
}

func TestVP401ServerSilent(t *testing.T) {
	inside := dpPPTPInside(10, true, false)
	nat := dpPassthroughNAT()
	fs := checkRule(t, pptpGREOneWay{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1 (both captures one-way, reported once): %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, ". The client's GRE leaves the NAT (10 packets in the outside capture) and the server does not answer there either")
}

func TestVP401ClientGREBlockedInsideTwoWay(t *testing.T) {
	// The NAT drops the client's GRE; the server's GRE still comes in.
	inside := dpPPTPInside(10, true, true)
	nat := dpPassthroughNAT()
	nat.Drop = func(_ int, p *decode.Packet) bool { return isGRE(dpServerCall)(p) }
	fs := checkRule(t, pptpGREOneWay{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "PPTP call 203.0.113.5:40000 → 198.51.100.9:1723", "went from the server to the client in the outside capture",
		". The client does send GRE inside (10 packets, call ID 200 (0x00c8)) and none of it leaves the NAT")
	if len(evidenceFrames(fs[0], flows.SideInside)) != 3 {
		t.Errorf("evidence = %+v, want 3 inside GRE frames", fs[0].Evidence)
	}
}

func TestVP401Clean(t *testing.T) {
	inside := dpPPTPInside(10, true, true)
	nat := dpPassthroughNAT()
	if fs := checkRule(t, pptpGREOneWay{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("both ways: got %+v, want none", fs)
	}
	if fs := checkRule(t, pptpGREOneWay{}, oneCapture(t, dpPPTPInside(3, true, false))); len(fs) != 0 {
		t.Errorf("3 packets: got %+v, want none", fs)
	}
	// The server refused the call: GRE is not expected back.
	s := pt.New()
	srv := dpPPTPServer + ":1723"
	s.PPTP(testClient+":40000", srv, dpSCCRQ, 0, 0, 0)
	s.PPTP(srv, testClient+":40000", dpSCCRP, 0, 0, 1)
	s.PPTP(testClient+":40000", srv, dpOCRQ, dpClientCall, 0, 0)
	s.PPTP(srv, testClient+":40000", dpOCRP, dpServerCall, dpClientCall, 3)
	for i := uint32(0); i < 10; i++ {
		s.GRE(testClient, dpPPTPServer, dpServerCall, i)
	}
	if fs := checkRule(t, pptpGREOneWay{}, oneCapture(t, s.Packets)); len(fs) != 0 {
		t.Errorf("call refused: got %+v, want none", fs)
	}
}

// TestVP401CollidingCall checks that a call whose inbound GRE goes to
// another client with the same call ID (VP402) is located as such, not
// blamed on a missing PPTP helper.
func TestVP401CollidingCall(t *testing.T) {
	s := pt.New()
	dpPPTPControl(s, testClient+":40000", dpClientCall, 300)
	dpPPTPControl(s, testClient2+":40001", dpClientCall, 301)
	for i := uint32(0); i < 6; i++ {
		s.GRE(testClient, dpPPTPServer, 300, i)
		s.GRE(dpPPTPServer, testClient, dpClientCall, 10+i)
		s.GRE(testClient2, dpPPTPServer, 301, i)
		// The server's GRE for the second call, delivered to the first.
		s.GRE(dpPPTPServer, testClient, dpClientCall, i)
		s.After(3 * time.Second)
	}
	nat := dpPassthroughNAT()
	c := twoCaptures(t, s.Packets, nat.Translate(s.Packets))
	fs := checkRule(t, pptpGREOneWay{}, c)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	if fs[0].Session != 2 {
		t.Errorf("session = %d, want 2 (the second call)", fs[0].Session)
	}
	wantMessage(t, fs[0].Message, "then 6 GRE packets went from the client to the server in the inside capture",
		". Outside, another call from 203.0.113.5, TCP port 40000, to the same server uses the same call ID 100 (0x0064), so the server's GRE to both carries that key (see VP402): the outside capture shows 12 packets with it",
		"inside, the NAT delivers the server's GRE with key 100 (0x0064) to 10.0.0.2 (12 packets) and none to this client")
}

// TestVP401KeyNotTranslated checks where a call whose helper translated
// the call ID in the control connection only is said to stop: the NAT does
// forward the server's GRE, with a key the client does not know.
func TestVP401KeyNotTranslated(t *testing.T) {
	s := pt.New()
	dpPPTPControl(s, testClient+":40000", dpClientCall, dpServerCall)
	for i := uint32(0); i < 6; i++ {
		s.GRE(testClient, dpPPTPServer, dpServerCall, i)
		s.GRE(dpPPTPServer, testClient, 4711, i)
		s.After(3 * time.Second)
	}
	nat := dpPassthroughNAT()
	nat.Rewrite = dpALG(map[uint16]uint16{dpClientCall: 4711}, nil)
	c := twoCaptures(t, s.Packets, nat.Translate(s.Packets))
	fs := checkRule(t, pptpGREOneWay{}, c)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "6 other GRE packets between the two carried call IDs 4711 (0x1267) that match neither call ID (see VP403)",
		"the NAT forwards it inside with that key, which is not the client's call ID 100 (0x0064): it translated the call ID in the control connection only")
}
