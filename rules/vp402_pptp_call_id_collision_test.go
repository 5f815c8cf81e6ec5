package rules

import (
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
	pkts := dpTwoPPTPClients(dpPublic+":40000", dpPublic+":40001", dpClientCall, dpClientCall, true)
	fs := dpFindings(t, dpSingle(t, pkts), pptpCallIDCollision{})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP402" || f.Confidence != High || f.Subject != "pptp 203.0.113.5 -> 198.51.100.9:1723 call 100" {
		t.Errorf("finding = %+v", f)
	}
	dpWantMessage(t, f, "2 PPTP calls from 203.0.113.5 (TCP ports 40000, 40001) to 198.51.100.9:1723 use the same client call ID 100 at the same time")
	dpWantFrames(t, f, flows.SideInside, []int{1, 2, 3, 4, 5, 6, 7, 8})
}

func TestVP402TwoCaptures(t *testing.T) {
	inside := dpTwoPPTPClients(dpHost+":40000", dpHost2+":40001", dpClientCall, dpClientCall, true)
	nat := dpPassthroughNAT()
	c := dpPair(t, inside, nat.Translate(inside))
	fs := dpFindings(t, c, pptpCallIDCollision{})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	dpWantMessage(t, fs[0], "2 PPTP calls from 203.0.113.5", "inside they are 10.0.0.2:40000 (call ID 100) and 10.0.0.3:40001 (call ID 100): the NAT did not translate the call IDs apart")
	dpWantFrames(t, fs[0], flows.SideInside, []int{1, 2, 3, 4, 5, 6, 7, 8})

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
	if fs := dpFindings(t, dpPair(t, inside, nat.Translate(inside)), pptpCallIDCollision{}); len(fs) != 0 {
		t.Errorf("with a translating ALG: got %+v, want none", fs)
	}
}

func TestVP402PrivateHostsOneCapture(t *testing.T) {
	inside := dpTwoPPTPClients(dpHost+":40000", dpHost2+":40001", dpClientCall, dpClientCall, true)
	fs := dpFindings(t, dpSingle(t, inside), pptpCallIDCollision{})
	if len(fs) != 1 || fs[0].Confidence != Medium {
		t.Fatalf("got %+v, want one finding of medium confidence", fs)
	}
	dpWantMessage(t, fs[0], "2 PPTP calls from different hosts (10.0.0.2:40000, 10.0.0.3:40001) to 198.51.100.9:1723 use the same client call ID 100")
}

func TestVP402Clean(t *testing.T) {
	cases := map[string][]decode.Packet{
		"different call IDs":  dpTwoPPTPClients(dpPublic+":40000", dpPublic+":40001", 100, 101, true),
		"one after the other": dpTwoPPTPClients(dpPublic+":40000", dpPublic+":40001", 100, 100, false),
		"different addresses": dpTwoPPTPClients(dpPublic+":40000", "192.0.2.77:40001", 100, 100, true),
	}
	for name, pkts := range cases {
		if fs := dpFindings(t, dpSingle(t, pkts), pptpCallIDCollision{}); len(fs) != 0 {
			t.Errorf("%s: got %+v, want none", name, fs)
		}
	}
}
