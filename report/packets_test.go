package report

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// TestPacketLinePPTP checks the dump lines of enhanced GRE and PPTP
// control messages print call IDs as the rest of vpnpcap does, decimal then
// hex.
func TestPacketLinePPTP(t *testing.T) {
	at := time.Date(2026, 11, 24, 22, 54, 17, 538314000, time.UTC)
	client, server := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")
	for _, tc := range []struct {
		p    decode.Packet
		want string
	}{
		{decode.Packet{Frame: 10, Time: at, Kind: decode.KindPPTP, Proto: 6, Src: client, SrcPort: 40000, Dst: server, DstPort: 1723,
			PPTP: decode.PPTPInfo{Type: decode.PPTPMessageTypeOutgoingCallRequest, CallID: 0x9c40, HasCallID: true}},
			"10 22:54:17.538314 198.51.100.1:40000 > 198.51.100.2:1723 pptp Outgoing-Call-Request call=40000 (0x9c40)"},
		{decode.Packet{Frame: 11, Time: at, Kind: decode.KindPPTP, Proto: 6, Src: server, SrcPort: 1723, Dst: client, DstPort: 40000,
			PPTP: decode.PPTPInfo{Type: decode.PPTPMessageTypeOutgoingCallReply, CallID: 0x8001, PeerCallID: 0x9c40, HasCallID: true, HasPeerCall: true, ResultCode: 1}},
			"11 22:54:17.538314 198.51.100.2:1723 > 198.51.100.1:40000 pptp Outgoing-Call-Reply call=32769 (0x8001) peer-call=40000 (0x9c40) result=1"},
		{decode.Packet{Frame: 14, Time: at, Kind: decode.KindGRE, Proto: 47, Src: server, Dst: client,
			GRE: decode.GREInfo{Version: 1, Protocol: 0x880b, KeyPresent: true, CallID: 0x9c40, SeqPresent: true, AckPresent: true}},
			"14 22:54:17.538314 198.51.100.2 > 198.51.100.1 gre v1 proto=0x880b call=40000 (0x9c40) seq=0 ack=0"},
	} {
		if got := PacketLine(&tc.p); got != tc.want {
			t.Errorf("PacketLine = %q\n          want %q", got, tc.want)
		}
	}
}
