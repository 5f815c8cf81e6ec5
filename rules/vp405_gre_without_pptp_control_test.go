package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// dpOrphanGRE scripts a PPTP call's GRE with no control connection.
func dpOrphanGRE() []decode.Packet {
	s := pt.New()
	for i := uint32(0); i < 4; i++ {
		s.GRE(testClient, dpPPTPServer, dpServerCall, i)
		s.GRE(dpPPTPServer, testClient, dpClientCall, i)
		s.After(time.Second)
	}
	return s.Packets
}

func TestVP405OneCapture(t *testing.T) {
	fs := checkRule(t, greWithoutPPTPControl{}, oneCapture(t, dpOrphanGRE()))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP405" || f.Severity != Info || f.Confidence != Medium || f.Subject != "capture in.pcap" {
		t.Errorf("finding = %+v", f)
	}
	wantMessage(t, f.Message, "8 packets of enhanced GRE (PPTP data) match no PPTP control connection in this capture (10.0.0.2 → 198.51.100.9 call ID 200 (0x00c8); 198.51.100.9 → 10.0.0.2 call ID 100 (0x0064))")
	wantFrames(t, f, flows.SideInside, []int{1, 2, 3, 4, 5, 6, 7, 8}...)
}

func TestVP405ControlOnlyOtherSide(t *testing.T) {
	// The inside capture has the whole call, the outside one lost the
	// control connection (filtered).
	inside := dpPPTPInside(5, true, true)
	nat := dpPassthroughNAT()
	outside := dpWithout(nat.Translate(inside), func(p *decode.Packet) bool { return p.Kind == decode.KindPPTP })
	fs := checkRule(t, greWithoutPPTPControl{}, twoCaptures(t, inside, outside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "10 packets of enhanced GRE (PPTP data) match no PPTP control connection in the outside capture", "the inside capture does hold 1 PPTP call")
	if fs[0].Subject != "capture out.pcap" || len(evidenceFrames(fs[0], flows.SideOutside)) == 0 {
		t.Errorf("finding = %+v", fs[0])
	}
}

func TestVP405Clean(t *testing.T) {
	if fs := checkRule(t, greWithoutPPTPControl{}, oneCapture(t, dpPPTPInside(5, true, true))); len(fs) != 0 {
		t.Errorf("got %+v, want none", fs)
	}
}
