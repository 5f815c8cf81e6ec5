package flows

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// TestPPTPGREAllocs: attaching a GRE packet to its call allocates nothing.
func TestPPTPGREAllocs(t *testing.T) {
	client, server := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("198.51.100.2")
	at := time.Date(2026, 11, 24, 22, 54, 17, 0, time.UTC)
	tr := newPPTPTracker()
	for i, m := range []decode.PPTPInfo{
		{Type: pptpStartControlReply, ResultCode: 1},
		{Type: pptpOutgoingCallRequest, CallID: 0x4000, HasCallID: true},
		{Type: pptpOutgoingCallReply, CallID: 0x8001, PeerCallID: 0x4000, HasCallID: true, HasPeerCall: true, ResultCode: 1},
	} {
		tr.add(&decode.Packet{Frame: i + 1, Time: at, Kind: decode.KindPPTP, Proto: 6, Src: client, SrcPort: 40000, Dst: server, DstPort: 1723, PPTP: m})
	}
	p := &decode.Packet{Frame: 4, Time: at, Kind: decode.KindGRE, Proto: 47, Src: server, Dst: client,
		GRE: decode.GREInfo{Version: 1, KeyPresent: true, CallID: 0x4000, SeqPresent: true}}
	if n := testing.AllocsPerRun(1000, func() { p.GRE.Seq++; tr.add(p) }); n != 0 {
		t.Errorf("%v allocations per GRE packet, want 0", n)
	}
	if s := tr.sessions[0]; s.GREIn == 0 || s.GREInShared != 0 {
		t.Errorf("GRE in %d, shared %d; want it counted for the call", s.GREIn, s.GREInShared)
	}
}
