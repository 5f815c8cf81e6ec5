package dissect

import (
	"net/netip"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
)

func TestSummary(t *testing.T) {
	addr := netip.MustParseAddr
	initSA := &decode.IKEMessage{Version: 2, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator,
		Payloads: []decode.PayloadSummary{
			{Type: decode.PayloadTypeSA, Offset: 28, Entry: 0},
			{Type: decode.PayloadTypeNonce, Offset: 76, Entry: 0},
			// A notify whose body was malformed decoded to nothing: the
			// next one must still be named by its own entry.
			{Type: decode.PayloadTypeNotify, Offset: 112, Entry: -1},
			{Type: decode.PayloadTypeNotify, Offset: 116, Entry: 0},
		},
		Notifies: []decode.Notify{{Type: decode.NotifyTypeNATDetectionSourceIP}},
		NATD:     []decode.NATD{{Kind: decode.NATDSource, Match: decode.NATDMismatch}},
	}
	auth := &decode.IKEMessage{Version: 2, Exchange: decode.ExchangeTypeIKEAuth, MessageID: 1, Flags: decode.IKEv2FlagResponse,
		Encrypted: true, Payloads: []decode.PayloadSummary{{Type: decode.PayloadTypeSK, Offset: 28, Entry: -1}}}
	v1 := &decode.IKEMessage{Version: 1, Exchange: decode.ExchangeTypeIdentityProtection, Encrypted: true}
	icmp := &decode.ICMPError{Type: decode.ICMPTypeDestinationUnreachable, Code: decode.ICMPCodePortUnreachable,
		Quote: decode.ICMPQuote{Src: addr("198.51.100.2"), Dst: addr("198.51.100.1"), Proto: 17, SrcPort: 4500, DstPort: 1042,
			Kind: decode.KindUDPESP, ESP: decode.ESPInfo{SPI: 0x7aa865d2}, Have: decode.QuotePorts | decode.QuoteSPI}}
	greQuote := &decode.ICMPError{Type: decode.ICMPTypeDestinationUnreachable, Code: decode.ICMPCodeProtocolUnreachable,
		Quote: decode.ICMPQuote{Src: addr("198.51.100.2"), Dst: addr("198.51.100.1"), Proto: 47, Kind: decode.KindGRE,
			GRE: decode.GREInfo{Version: 1, CallID: 16384}, Have: decode.QuoteGRE | decode.QuoteGREKey}}
	cases := []struct {
		p    decode.Packet
		want string
	}{
		{decode.Packet{Kind: decode.KindIKE, IKE: initSA}, "IKE_SA_INIT request #0: SA Ni N N(NAT_DETECTION_SOURCE_IP) — NAT-D mismatch"},
		{decode.Packet{Kind: decode.KindIKE, IKE: auth}, "IKE_AUTH response #1: SK"},
		{decode.Packet{Kind: decode.KindIKE, IKE: v1}, "Identity Protection (Main Mode) #0: encrypted"},
		{decode.Packet{Kind: decode.KindUDPESP, ESP: decode.ESPInfo{SPI: 0xbeef, Seq: 7}}, "spi 0x0000beef seq 7"},
		{decode.Packet{Kind: decode.KindAH, AH: decode.ESPInfo{SPI: 0xcc20c544, Seq: 1}}, "spi 0xcc20c544 seq 1"},
		{decode.Packet{Kind: decode.KindNATKeepalive}, "NAT-T keepalive"},
		{decode.Packet{Kind: decode.KindGRE, GRE: decode.GREInfo{Version: 1, KeyPresent: true, CallID: 200, SeqPresent: true, Seq: 5}}, "v1 call 200 (0x00c8) seq 5"},
		{decode.Packet{Kind: decode.KindPPTP, PPTP: decode.PPTPInfo{Type: decode.PPTPMessageTypeOutgoingCallReply, CallID: 7, HasCallID: true,
			PeerCallID: 9, HasPeerCall: true, ResultCode: 1}}, "Outgoing-Call-Reply call 7 (0x0007) peer 9 (0x0009) result 1"},
		{decode.Packet{Kind: decode.KindICMPError, ICMP: icmp}, "Port unreachable for udp-esp 198.51.100.2:4500 → 198.51.100.1:1042 spi 0x7aa865d2"},
		{decode.Packet{Kind: decode.KindICMPError, ICMP: greQuote}, "Protocol unreachable for gre 198.51.100.2 → 198.51.100.1 call 16384 (0x4000)"},
		{decode.Packet{Kind: decode.KindIPFragment, Fragment: decode.Fragment{ID: 9, Offset: 1480, More: true}}, "id 9 offset 1480 more"},
		{decode.Packet{Kind: decode.KindMalformed, IKE: auth, Fault: decode.Fault{Kind: decode.FaultTruncated, Layer: "ike", Offset: 0, Message: "ike: truncated"}}, "IKE_AUTH response #1: SK: ike: truncated"},
		{decode.Packet{Kind: decode.KindOther, Proto: 17, SrcPort: 53, DstPort: 1024, Length: 90}, "udp 53 → 1024, 90 bytes"},
		{decode.Packet{Kind: decode.KindUDPESP, ESP: decode.ESPInfo{SPI: 1, Seq: 2}, Fragments: 2}, "spi 0x00000001 seq 2 (2 fragments)"},
	}
	for _, tc := range cases {
		if got := Summary(&tc.p); got != tc.want {
			t.Errorf("%v: Summary = %q, want %q", tc.p.Kind, got, tc.want)
		}
	}
}
