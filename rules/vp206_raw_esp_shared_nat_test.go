package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

func TestVP206TwoCaptures(t *testing.T) {
	inside := dpTwoClients(false).Packets
	nat := dpPassthroughNAT()
	fs := checkRule(t, rawESPSharedNAT{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP206" || f.Confidence != High || f.Tunnel != 0 || f.Subject != "esp via 203.0.113.5 -> 198.51.100.7" {
		t.Errorf("finding = %+v", f)
	}
	wantMessage(t, f.Message, "2 inside hosts (10.0.0.2, 10.0.0.3) send raw ESP (IP protocol 50) through one outside address 203.0.113.5 to the same gateway 198.51.100.7")
	first := func(host string) int {
		return dpFrames(inside, func(p *decode.Packet) bool { return p.Kind == decode.KindESP && p.Src.String() == host })[0]
	}
	wantFrames(t, f, flows.SideInside, []int{first(testClient), first(testClient2)}...)
}

func TestVP206OneCapture(t *testing.T) {
	inside := dpTwoClients(false).Packets
	fs := checkRule(t, rawESPSharedNAT{}, oneCapture(t, inside))
	if len(fs) != 1 || fs[0].Confidence != Medium {
		t.Fatalf("got %+v, want one finding of medium confidence", fs)
	}
	wantMessage(t, fs[0].Message, "2 hosts with private addresses (10.0.0.2, 10.0.0.3) send raw ESP (IP protocol 50) to the same gateway 198.51.100.7")
}

func TestVP206Clean(t *testing.T) {
	// One raw ESP client only.
	inside := dpRawInside(10, true, true).Packets
	nat := dpPassthroughNAT()
	if fs := checkRule(t, rawESPSharedNAT{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("one client: got %+v, want none", fs)
	}
	if fs := checkRule(t, rawESPSharedNAT{}, oneCapture(t, inside)); len(fs) != 0 {
		t.Errorf("one client, one capture: got %+v, want none", fs)
	}
	// Two NAT-T clients: their ESP is in UDP, no passthrough needed.
	s := dpNATTInside(5)
	dpIKEv2(s, testClient2, testGateway, dpSPIiB, dpSPIrB, true)
	dpESPBoth(s, testClient2+":4500", testGateway+":4500", dpBOut, dpBIn, 5)
	if fs := checkRule(t, rawESPSharedNAT{}, oneCapture(t, s.Packets)); len(fs) != 0 {
		t.Errorf("NAT-T clients: got %+v, want none", fs)
	}
}
