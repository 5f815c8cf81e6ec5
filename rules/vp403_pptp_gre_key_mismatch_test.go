package rules

import (
	"strconv"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// dpPPTPKeyed scripts a connected call whose server GRE arrives inside
// with key inKey (the client's call ID is 100).
func dpPPTPKeyed(inKey uint16) []decode.Packet {
	s := pt.New()
	dpPPTPControl(s, testClient+":40000", dpClientCall, dpServerCall)
	for i := uint32(0); i < 10; i++ {
		s.GRE(testClient, dpPPTPServer, dpServerCall, i)
		s.GRE(dpPPTPServer, testClient, inKey, i)
		s.After(3 * time.Second)
	}
	return s.Packets
}

// dpALG rewrites call IDs as a PPTP ALG does: the client's call ID in the
// control messages (ctl) and the key of the server's GRE (gre), mapping
// inside values to outside ones.
func dpALG(ctl, gre map[uint16]uint16) func(p *decode.Packet) {
	return func(p *decode.Packet) {
		switch p.Kind {
		case decode.KindPPTP:
			if v, ok := ctl[p.PPTP.CallID]; ok && p.PPTP.Type == dpOCRQ {
				p.PPTP.CallID = v
			}
			if v, ok := ctl[p.PPTP.PeerCallID]; ok && p.PPTP.Type == dpOCRP {
				p.PPTP.PeerCallID = v
			}
		case decode.KindGRE:
			if v, ok := gre[p.GRE.CallID]; ok && p.Src.String() == dpPPTPServer {
				p.GRE.CallID = v
			}
		}
	}
}

func TestVP403ControlTranslatedNotGRE(t *testing.T) {
	// The ALG turns call ID 100 into 4711 in the Outgoing-Call-Request;
	// the server keys its GRE 4711, and the ALG forwards it unchanged.
	inside := dpPPTPKeyed(4711)
	nat := dpPassthroughNAT()
	nat.Rewrite = dpALG(map[uint16]uint16{dpClientCall: 4711}, nil)
	outside := nat.Translate(inside)
	fs := checkRule(t, pptpGREKeyMismatch{}, twoCaptures(t, inside, outside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP403" || f.Confidence != High || f.Subject != "pptp 10.0.0.2:40000 -> 198.51.100.9:1723 call 100 (0x0064) / 200 (0x00c8)" {
		t.Errorf("finding = %+v", f)
	}
	greIn := dpFrames(inside, isGRE(4711))
	wantMessage(t, f.Message, "GRE from 198.51.100.9 to 10.0.0.2 carries call ID 4711 (0x1267) (10 packets from frame "+strconv.Itoa(greIn[0])+"), but the control connection in the inside capture gave the client's call ID as 100 (0x0064) (Outgoing-Call-Request)",
		"the NAT rewrote the call ID in the control messages (100 (0x0064) inside → 4711 (0x1267) outside, frames 3/3) but not in the GRE keys")
	wantFrames(t, f, flows.SideInside, append([]int{1, 2, 3, 4}, greIn[:3]...)...)
	wantFrames(t, f, flows.SideOutside, []int{3}...)
}

func TestVP403GRETranslatedNotControl(t *testing.T) {
	// The control messages cross unchanged (call ID 100), the server's GRE
	// with key 100 is rewritten to 555 on its way in.
	inside := dpPPTPKeyed(555)
	nat := dpPassthroughNAT()
	nat.Rewrite = dpALG(nil, map[uint16]uint16{555: dpClientCall})
	fs := checkRule(t, pptpGREKeyMismatch{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "carries call ID 555 (0x022b)", "the NAT rewrote GRE keys (555 (0x022b) inside → 100 (0x0064) outside, frames ")
	if len(evidenceFrames(fs[0], flows.SideOutside)) != 3 {
		t.Errorf("outside evidence = %v, want the three rewritten GRE frames", evidenceFrames(fs[0], flows.SideOutside))
	}
}

func TestVP403OneCapture(t *testing.T) {
	fs := checkRule(t, pptpGREKeyMismatch{}, oneCapture(t, dpPPTPKeyed(4711)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "carries call ID 4711 (0x1267)", "the control connection in this capture gave the client's call ID as 100")
}

func TestVP403ServerUsesWrongKey(t *testing.T) {
	// Wrong in both captures: the NAT did not do it; reported once, from
	// the outside where the GRE enters.
	inside := dpPPTPKeyed(999)
	nat := dpPassthroughNAT()
	fs := checkRule(t, pptpGREKeyMismatch{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "GRE from 198.51.100.9 to 203.0.113.5 carries call ID 999 (0x03e7)", "in the outside capture gave the client's call ID as 100")
}

func TestVP403Clean(t *testing.T) {
	// No ALG, keys match.
	inside := dpPPTPKeyed(dpClientCall)
	nat := dpPassthroughNAT()
	if fs := checkRule(t, pptpGREKeyMismatch{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("no ALG: got %+v, want none", fs)
	}
	if fs := checkRule(t, pptpGREKeyMismatch{}, oneCapture(t, inside)); len(fs) != 0 {
		t.Errorf("one capture: got %+v, want none", fs)
	}
	// A consistent ALG: 100 becomes 4711 in control and back in GRE.
	nat.Rewrite = dpALG(map[uint16]uint16{dpClientCall: 4711}, map[uint16]uint16{dpClientCall: 4711})
	if fs := checkRule(t, pptpGREKeyMismatch{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("consistent ALG: got %+v, want none", fs)
	}
}
