package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// dpTwoPPTPClients scripts two PPTP calls that overlap in time, from
// clientA and clientB with the given client call IDs.
func dpTwoPPTPClients(clientA, clientB string, callA, callB uint16, overlap bool) []decode.Packet {
	s := pt.New()
	hostA, hostB := pt.AddrPort(clientA).Addr().String(), pt.AddrPort(clientB).Addr().String()
	dpPPTPControl(s, clientA, callA, 300)
	if !overlap {
		for i := uint32(0); i < 5; i++ {
			s.GRE(hostA, dpPPTPServer, 300, i)
			s.GRE(dpPPTPServer, hostA, callA, i)
			s.After(time.Second)
		}
		s.After(time.Minute)
	}
	dpPPTPControl(s, clientB, callB, 301)
	for i := uint32(0); i < 5; i++ {
		if overlap {
			s.GRE(hostA, dpPPTPServer, 300, i)
		}
		s.GRE(hostB, dpPPTPServer, 301, i)
		s.Other(17, hostA+":53000", "192.0.2.53:53", uint64(i))
		s.After(time.Second)
	}
	return s.Packets
}

func TestVP402OneAddressOneCapture(t *testing.T) {
	pkts := dpTwoPPTPClients(testPublic+":40000", testPublic+":40001", dpClientCall, dpClientCall, true)
	fs := checkRule(t, pptpCallIDCollision{}, oneCapture(t, pkts))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP402" || f.Confidence != High || f.Subject != "pptp 203.0.113.5 -> 198.51.100.9:1723 call 100 (0x0064)" {
		t.Errorf("finding = %+v", f)
	}
	wantMessage(t, f.Message, "2 PPTP calls from 203.0.113.5 (TCP ports 40000, 40001) to 198.51.100.9:1723 use the same client call ID 100 (0x0064) at the same time")
	wantFrames(t, f, flows.SideInside, []int{1, 2, 3, 4, 5, 6, 7, 8}...)
}

func TestVP402TwoCaptures(t *testing.T) {
	inside := dpTwoPPTPClients(testClient+":40000", testClient2+":40001", dpClientCall, dpClientCall, true)
	nat := dpPassthroughNAT()
	c := twoCaptures(t, inside, nat.Translate(inside))
	fs := checkRule(t, pptpCallIDCollision{}, c)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "2 PPTP calls from 203.0.113.5", "inside they are 10.0.0.2:40000 with call ID 100 (0x0064) and 10.0.0.3:40001 with call ID 100 (0x0064): the NAT did not translate the call IDs apart")
	if strings.Contains(fs[0].Message, "stops at the NAT") || strings.Contains(fs[0].Message, "capture shows") {
		t.Errorf("VP402 message %q speaks of server GRE that no capture holds", fs[0].Message)
	}
	wantFrames(t, fs[0], flows.SideInside, []int{1, 2, 3, 4, 5, 6, 7, 8}...)

	// An ALG that gives the second client another call ID outside
	// resolves the collision.
	nat.Rewrite = func(p *decode.Packet) {
		if p.Kind == decode.KindPPTP && p.SrcPort == 40001 && p.PPTP.CallID == dpClientCall {
			p.PPTP.CallID = dpClientCall + 1
		}
		if p.Kind == decode.KindPPTP && p.DstPort == 40001 && p.PPTP.PeerCallID == dpClientCall {
			p.PPTP.PeerCallID = dpClientCall + 1
		}
	}
	if fs := checkRule(t, pptpCallIDCollision{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("with a translating ALG: got %+v, want none", fs)
	}
}

// TestVP402WhereServerGREGoes checks what the finding says of the server's
// GRE with the shared key: how much the outside capture shows, and which
// inside client got it, or that none did.
func TestVP402WhereServerGREGoes(t *testing.T) {
	s := pt.New()
	dpPPTPControl(s, testClient+":40000", dpClientCall, 300)
	dpPPTPControl(s, testClient2+":40001", dpClientCall, 301)
	for i := uint32(0); i < 4; i++ {
		s.GRE(testClient, dpPPTPServer, 300, i)
		s.GRE(testClient2, dpPPTPServer, 301, i)
		// Both calls' GRE from the server, which the NAT can only send
		// to the first client.
		s.GRE(dpPPTPServer, testClient, dpClientCall, i)
		s.GRE(dpPPTPServer, testClient, dpClientCall, 10+i)
		s.After(time.Second)
	}
	nat := dpPassthroughNAT()
	outside := nat.Translate(s.Packets)

	fs := checkRule(t, pptpCallIDCollision{}, twoCaptures(t, s.Packets, outside))
	if len(fs) != 1 {
		t.Fatalf("delivered: got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "the outside capture shows 8 GRE packets from the server with that key",
		"inside, the server's GRE with that key reaches 10.0.0.2 (8 packets); none reaches 10.0.0.3")

	inside := dpWithout(s.Packets, isGRE(dpClientCall))
	fs = checkRule(t, pptpCallIDCollision{}, twoCaptures(t, inside, outside))
	if len(fs) != 1 {
		t.Fatalf("dropped: got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "the outside capture shows 8 GRE packets from the server with that key",
		"inside, none of the server's GRE with that key reaches 10.0.0.2 or 10.0.0.3: it stops at the NAT")
}

func TestVP402PrivateHostsOneCapture(t *testing.T) {
	inside := dpTwoPPTPClients(testClient+":40000", testClient2+":40001", dpClientCall, dpClientCall, true)
	fs := checkRule(t, pptpCallIDCollision{}, oneCapture(t, inside))
	if len(fs) != 1 || fs[0].Confidence != Medium {
		t.Fatalf("got %+v, want one finding of medium confidence", fs)
	}
	wantMessage(t, fs[0].Message, "2 PPTP calls from different hosts (10.0.0.2:40000, 10.0.0.3:40001) to 198.51.100.9:1723 use the same client call ID 100 (0x0064)")
}

func TestVP402Clean(t *testing.T) {
	cases := map[string][]decode.Packet{
		"different call IDs":  dpTwoPPTPClients(testPublic+":40000", testPublic+":40001", 100, 101, true),
		"one after the other": dpTwoPPTPClients(testPublic+":40000", testPublic+":40001", 100, 100, false),
		"different addresses": dpTwoPPTPClients(testPublic+":40000", "192.0.2.77:40001", 100, 100, true),
	}
	for name, pkts := range cases {
		if fs := checkRule(t, pptpCallIDCollision{}, oneCapture(t, pkts)); len(fs) != 0 {
			t.Errorf("%s: got %+v, want none", name, fs)
		}
	}
}
