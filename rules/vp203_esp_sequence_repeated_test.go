package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// dpReorderedInside scripts the NAT-T tunnel with inbound packets 11 and 12
// arriving swapped, 10 ms apart.
func dpReorderedInside() *pt.Script {
	s := pt.New()
	dpIKEv2(s, testClient, testGateway, testSPIi, testSPIr, true)
	c, g := testClient+":4500", testGateway+":4500"
	for i := uint32(1); i <= 30; i++ {
		s.ESP(c, g, dpSPIOut, i)
		switch i {
		case 11:
			s.ESP(g, c, dpSPIIn, 12)
		case 12:
			s.ESP(g, c, dpSPIIn, 11)
		default:
			s.ESP(g, c, dpSPIIn, i)
		}
		if i != 11 {
			s.After(time.Second)
		}
	}
	return s
}

func TestVP203ReorderedOneCapture(t *testing.T) {
	inside := dpReorderedInside().Packets
	fs := checkRule(t, espSequenceRepeated{}, oneCapture(t, inside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "VP203" || f.Tunnel != 1 || f.Confidence != Medium {
		t.Errorf("finding = %+v", f)
	}
	wantMessage(t, f.Message, "SPI 0xc0ffee02 (198.51.100.7 → 10.0.0.2), inbound: 1 of 30 packets carried a sequence number at or below the highest already seen")
	want := dpFrames(inside, func(p *decode.Packet) bool { return dpESPSeq(dpSPIIn, 11, 11)(p) })
	wantFrames(t, f, flows.SideInside, want...)
}

func TestVP203ReorderedByNAT(t *testing.T) {
	inside := dpReorderedInside().Packets
	nat := dpNATT()
	outside := nat.Translate(inside)
	// Outside, before the NAT, the two packets are still in order.
	for i := range outside {
		if p := &outside[i]; p.Kind == decode.KindUDPESP && p.ESP.SPI == dpSPIIn && (p.ESP.Seq == 11 || p.ESP.Seq == 12) {
			p.ESP.Seq = 23 - p.ESP.Seq
			p.PayloadHash = uint64(p.ESP.SPI)<<32 | uint64(p.ESP.Seq)
		}
	}
	fs := checkRule(t, espSequenceRepeated{}, twoCaptures(t, inside, outside))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "1 more than the outside capture shows (0): introduced between the captures")
	if len(evidenceFrames(fs[0], flows.SideInside)) != 1 {
		t.Errorf("evidence = %+v, want the reordered inside frame", fs[0].Evidence)
	}
}

func TestVP203ReorderedBeforeNAT(t *testing.T) {
	// Reordered on the Internet: both captures show it; only the outside
	// one, where it first appears, is reported.
	inside := dpReorderedInside().Packets
	nat := dpNATT()
	fs := checkRule(t, espSequenceRepeated{}, twoCaptures(t, inside, nat.Translate(inside)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	wantMessage(t, fs[0].Message, "SPI 0xc0ffee02 (198.51.100.7 → 203.0.113.5)", "already in the outside capture, before the NAT")
}

func TestVP203DoubledCapture(t *testing.T) {
	s := pt.New()
	for i := uint32(1); i <= 10; i++ {
		s.ESP(testClient, testGateway, dpSPIOut, i)
		s.ESP(testClient, testGateway, dpSPIOut, i)
		s.After(time.Second)
	}
	fs := checkRule(t, espSequenceRepeated{}, oneCapture(t, s.Packets))
	if len(fs) != 1 || fs[0].Confidence != Low {
		t.Fatalf("got %+v, want one finding of low confidence", fs)
	}
	wantMessage(t, fs[0].Message, "10 of 20 packets", "nearly every packet appears twice")
}

func TestVP203Clean(t *testing.T) {
	inside := dpNATTInside(30).Packets
	if fs := checkRule(t, espSequenceRepeated{}, oneCapture(t, inside)); len(fs) != 0 {
		t.Errorf("got %+v, want none", fs)
	}
	nat := dpNATT()
	if fs := checkRule(t, espSequenceRepeated{}, twoCaptures(t, inside, nat.Translate(inside))); len(fs) != 0 {
		t.Errorf("two captures: got %+v, want none", fs)
	}
}
