package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// vdOnly returns the one verdict of a context with one tunnel.
func vdOnly(t *testing.T, c *Context) Verdict {
	t.Helper()
	vs := Verdicts(c, Run(c))
	if len(vs) != 1 {
		t.Fatalf("got %d verdicts, want 1: %+v", len(vs), vs)
	}
	return vs[0]
}

// TestVerdictRefusedBeforeNATDetection checks that a responder which only
// refused IKE_SA_INIT (NO_PROPOSAL_CHOSEN, no NAT-D) is not taken to have
// declined NAT traversal: the initiator announced it, so the tunnel would
// not need passthrough.
func TestVerdictRefusedBeforeNATDetection(t *testing.T) {
	s := pt.New()
	req := decode.IKEMessage{Version: 2, SPIi: ntSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator,
		NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}}
	s.IKE(ntCli500, ntGW500, req, 1)
	refusal := decode.IKEMessage{Version: 2, SPIi: ntSPIi, Exchange: 34, Flags: decode.IKEv2FlagResponse,
		Notifies: []decode.Notify{{Type: decode.NotifyTypeNoProposalChosen}}}
	s.IKE(ntGW500, ntCli500, refusal, 2)
	vp1Background(s, 20*time.Second)
	vd := vdOnly(t, ntTwo(t, s.Packets, pt.NAT{Map: ntNAPT}))
	if vd.NAT != flows.NATInitiator || vd.NATTNegotiated || vd.DependsOnPassthrough != DependsNo || vd.Works {
		t.Errorf("verdict %+v; want NAT initiator, NAT-T not negotiated, passthrough no, failing", vd)
	}
	// A responder that answered without NAT-D did decline it.
	plain := decode.IKEMessage{Version: 2, SPIi: ntSPIi, SPIr: ntSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse}
	s = pt.New()
	s.IKE(ntCli500, ntGW500, req, 1)
	s.IKE(ntGW500, ntCli500, plain, 2)
	vp1Background(s, 20*time.Second)
	if vd := vdOnly(t, ntTwo(t, s.Packets, pt.NAT{Map: ntNAPT})); vd.DependsOnPassthrough != DependsYes {
		t.Errorf("answer without NAT-D: depends on passthrough %q, want yes", vd.DependsOnPassthrough)
	}
}

// vdOneDirection scripts what a capture that sees only the client's frames
// shows of a working NAT-T tunnel: requests with rising message IDs, the
// float, ESP out; background when twoWay, answered.
func vdOneDirection(twoWay bool) []decode.Packet {
	s := pt.New()
	req := decode.IKEMessage{Version: 2, SPIi: ntSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator,
		NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}}
	s.IKE(ntCli500, ntGW500, req, 1)
	s.After(30 * time.Millisecond)
	s.IKE(ntCli4500, ntGW4500, decode.IKEMessage{Version: 2, SPIi: ntSPIi, SPIr: ntSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}, 2)
	for i := uint32(1); i <= 10; i++ {
		s.After(time.Second)
		s.ESP(ntCli4500, ntGW4500, 0xc0ffee01, i)
		s.Other(17, ntCli+":53000", "192.0.2.53:53", uint64(i))
		if twoWay {
			s.Other(17, "192.0.2.53:53", ntCli+":53000", uint64(100+i))
		}
	}
	s.After(5 * time.Second)
	s.IKE(ntCli4500, ntGW4500, decode.IKEMessage{Version: 2, SPIi: ntSPIi, SPIr: ntSPIr, Exchange: 37, MessageID: 2, Flags: decode.IKEv2FlagInitiator, Encrypted: true}, 3)
	return s.Packets
}

// TestVerdictOneDirection checks that requests a capture shows unanswered
// but followed by the same initiator's next request do not fail the
// tunnel, and that an initiator that floated after announcing NAT-T
// negotiated it, although the capture never shows the responder.
func TestVerdictOneDirection(t *testing.T) {
	vd := vdOnly(t, ntOne(t, vdOneDirection(false)))
	if !vd.Works || !vd.NATTNegotiated || vd.Encapsulation != flows.EncapUDP || vd.DependsOnPassthrough != DependsNo {
		t.Errorf("verdict %+v; want working, NAT-T negotiated, UDP, no passthrough", vd)
	}
	// Without the last request, IKE_AUTH is never followed by another:
	// still unanswered.
	pkts := vdOneDirection(false)
	if vd := vdOnly(t, ntOne(t, pkts[:len(pkts)-1])); vd.Works {
		t.Errorf("IKE_AUTH never followed by a request: works, want a failure")
	}
}

// TestVP204OneSidedCapture checks that ESP one way in a capture that sees
// one direction of everything is not reported, and is when the capture
// shows another conversation both ways.
func TestVP204OneSidedCapture(t *testing.T) {
	if fs := dpFindings(t, dpSingle(t, vdOneDirection(false)), espOneWay{}); len(fs) != 0 {
		t.Errorf("one-sided capture: got %+v, want none", fs)
	}
	if fs := dpFindings(t, dpSingle(t, vdOneDirection(true)), espOneWay{}); len(fs) != 1 {
		t.Errorf("two-way background: got %d findings, want 1", len(fs))
	}
}
