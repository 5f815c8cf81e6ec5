package decode

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode/capture"
)

// icmpBytes builds an ICMP or ICMPv6 message: type, code, a zero checksum
// (the Decoder does not verify it), the four octets that follow it, and
// the quote.
func icmpBytes(typ, code uint8, rest uint32, quote []byte) []byte {
	b := []byte{typ, code, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[4:], rest)
	return append(b, quote...)
}

// icmpFrame is an Ethernet frame of an ICMP (IPv4) or ICMPv6 (IPv6)
// message from src to dst.
func icmpFrame(tb testing.TB, src, dst netip.Addr, typ, code uint8, rest uint32, quote []byte) []byte {
	tb.Helper()
	proto := layers.IPProtocolICMPv4
	if src.Is6() {
		proto = layers.IPProtocolICMPv6
	}
	return rawFrame(tb, src, dst, proto, icmpBytes(typ, code, rest, quote))
}

// cut returns the first n octets of b, or b when it is shorter.
func cut(b []byte, n int) []byte { return b[:min(n, len(b))] }

var (
	testRouter  = netip.MustParseAddr("192.0.2.254")
	testRouter6 = netip.MustParseAddr("2001:db8::fe")
)

// icmpView is what the ICMP tests compare of a decoded error: the value
// without its internal offset, with whether it quotes VPN traffic and what
// Cut says.
type icmpView struct {
	ICMPError
	VPN bool
	Cut string
}

func viewICMP(e *ICMPError) icmpView {
	v := icmpView{ICMPError: *e, VPN: e.Quote.VPN, Cut: e.Quote.Cut()}
	v.Quote.tail, v.Quote.VPN = 0, false
	return v
}

// The two lab frames, and the ICMP message in each (after Ethernet and a
// 20-octet IPv4 header).
func labICMPFrames(tb testing.TB) (udpESP, gre []byte) {
	return readHexDump(tb, "icmp-port-unreachable-udp-esp.txt"), readHexDump(tb, "icmp-protocol-unreachable-gre.txt")
}

// TestICMPErrorFixtures decodes the ICMP errors of the lab captures as
// tshark dissects them (the comments of the fixture files).
func TestICMPErrorFixtures(t *testing.T) {
	udpESP, gre := labICMPFrames(t)
	nat, gw := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")
	tests := []struct {
		name  string
		frame []byte
		want  icmpView
		sum   summary
		hash  []byte // the octets PayloadHash covers
	}{
		{
			name:  "port unreachable for esp-in-udp",
			frame: udpESP,
			want: icmpView{ICMPError: ICMPError{Type: ICMPTypeDestinationUnreachable, Code: ICMPCodePortUnreachable, Quote: ICMPQuote{
				Src: gw, Dst: nat, Proto: 17, IPID: 0x4ed2, Length: 164, Quoted: 164, HeaderLen: 20,
				Kind: KindUDPESP, SrcPort: 4500, DstPort: 1042, ESP: ESPInfo{SPI: 0x7aa865d2, Seq: 7},
				Have: QuotePorts | QuoteSPI | QuoteSeq,
			}}, VPN: true},
			sum:  summary{Kind: KindICMPError, Src: "198.51.100.1", Dst: "198.51.100.2", Proto: 1, PayloadLen: 172},
			hash: udpESP[14+20+8+28 : 14+20+8+164], // the ESP packet
		},
		{
			name:  "protocol unreachable for enhanced gre",
			frame: gre,
			want: icmpView{ICMPError: ICMPError{Type: ICMPTypeDestinationUnreachable, Code: ICMPCodeProtocolUnreachable, Quote: ICMPQuote{
				Src: gw, Dst: nat, Proto: 47, IPID: 0x4477, Length: 50, Quoted: 50, HeaderLen: 20, Kind: KindGRE,
				GRE: GREInfo{Version: 1, Protocol: 0x880b, KeyPresent: true, SeqPresent: true, AckPresent: true,
					Key: 14<<16 | 0x4000, CallID: 0x4000, PayloadLen: 14},
				Have: QuoteGRE | QuoteGREKey | QuoteGRESeq | QuoteGREAck,
			}}, VPN: true},
			sum:  summary{Kind: KindICMPError, Src: "198.51.100.1", Dst: "198.51.100.2", Proto: 1, PayloadLen: 58},
			hash: gre[14+20+8+36 : 14+20+8+50], // the PPP frame after the GRE header
		},
		{
			// RFC 792: the IP header and 8 octets, the UDP header alone.
			name:  "esp-in-udp quoted as rfc 792 asks",
			frame: icmpFrame(t, nat, gw, 3, 3, 0, cut(udpESP[14+20+8:], 28)),
			want: icmpView{ICMPError: ICMPError{Type: 3, Code: 3, Quote: ICMPQuote{
				Src: gw, Dst: nat, Proto: 17, IPID: 0x4ed2, Length: 164, Quoted: 28, HeaderLen: 20,
				Kind: KindOther, SrcPort: 4500, DstPort: 1042, Have: QuotePorts,
			}}, VPN: true, Cut: "UDP payload (IKE, ESP or keepalive)"},
			sum: summary{Kind: KindICMPError, Src: "198.51.100.1", Dst: "198.51.100.2", Proto: 1, PayloadLen: 36},
		},
		{
			name:  "esp-in-udp quoted up to the spi",
			frame: icmpFrame(t, nat, gw, 3, 3, 0, cut(udpESP[14+20+8:], 32)),
			want: icmpView{ICMPError: ICMPError{Type: 3, Code: 3, Quote: ICMPQuote{
				Src: gw, Dst: nat, Proto: 17, IPID: 0x4ed2, Length: 164, Quoted: 32, HeaderLen: 20,
				Kind: KindUDPESP, SrcPort: 4500, DstPort: 1042, ESP: ESPInfo{SPI: 0x7aa865d2}, Have: QuotePorts | QuoteSPI,
			}}, VPN: true, Cut: "sequence number"},
			sum:  summary{Kind: KindICMPError, Src: "198.51.100.1", Dst: "198.51.100.2", Proto: 1, PayloadLen: 40},
			hash: udpESP[14+20+8+28 : 14+20+8+32],
		},
		{
			name:  "enhanced gre quoted as rfc 792 asks",
			frame: icmpFrame(t, nat, gw, 3, 2, 0, cut(gre[14+20+8:], 28)),
			want: icmpView{ICMPError: ICMPError{Type: 3, Code: 2, Quote: ICMPQuote{
				Src: gw, Dst: nat, Proto: 47, IPID: 0x4477, Length: 50, Quoted: 28, HeaderLen: 20, Kind: KindGRE,
				GRE: GREInfo{Version: 1, Protocol: 0x880b, KeyPresent: true, SeqPresent: true, AckPresent: true,
					Key: 14<<16 | 0x4000, CallID: 0x4000, PayloadLen: 14},
				Have: QuoteGRE | QuoteGREKey,
			}}, VPN: true, Cut: "GRE sequence number"},
			sum: summary{Kind: KindICMPError, Src: "198.51.100.1", Dst: "198.51.100.2", Proto: 1, PayloadLen: 36},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, st := decodeFrames(t, Options{}, tc.frame)
			tc.sum.Frame, tc.sum.FirstFrame = 1, 1
			diffSummaries(t, summarize(ps), []summary{tc.sum})
			if len(ps) != 1 || ps[0].ICMP == nil {
				t.Fatalf("no ICMP error decoded: %+v", summarize(ps))
			}
			if got := viewICMP(ps[0].ICMP); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ICMP error:\ngot  %+v\nwant %+v", got, tc.want)
			}
			if want := PayloadHash(tc.hash); ps[0].PayloadHash != want {
				t.Errorf("PayloadHash = %#x, want the hash of %d quoted octets %#x", ps[0].PayloadHash, len(tc.hash), want)
			}
			if st.Kinds[KindICMPError] != 1 || st.Accounted() != 1 || len(st.Malformed) != 0 {
				t.Errorf("stats = %+v, want one icmp-error", st)
			}
		})
	}
}

// TestICMPErrorQuotes decodes synthetic errors of every type the decoder
// knows, quoting each VPN protocol, whole and cut, and errors that quote
// other traffic, which stay KindOther.
func TestICMPErrorQuotes(t *testing.T) {
	udp := func(src, dst netip.Addr, sp, dp uint16, payload []byte) []byte {
		return ipPacket(t, src, dst, layers.IPProtocolUDP, &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}, payload)
	}
	tcp := func(src, dst netip.Addr, sp, dp uint16) []byte {
		return ipPacket(t, src, dst, layers.IPProtocolTCP, &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: 7, ACK: true, Window: 512}, []byte("data"))
	}
	raw := func(src, dst netip.Addr, proto layers.IPProtocol, payload []byte) []byte {
		return ipPacket(t, src, dst, proto, nil, payload)
	}
	ikeA, ikeB := netip.AddrPortFrom(testIPA, 500), netip.AddrPortFrom(testIPB, 500)
	saInit := ikeSAInit(0x1122334455667788, ikeA, ikeB)
	ike := ICMPQuotedIKE{SPIi: 0x1122334455667788, Version: 2, Exchange: ExchangeTypeIKESAInit, Flags: 0x08, Length: uint32(len(saInit))}
	ikeHave := QuoteIKESPIi | QuoteIKESPIr | QuoteIKEHeader
	ah := func(spi, seq uint32) []byte {
		b := []byte{50, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[4:], spi)
		binary.BigEndian.PutUint32(b[8:], seq)
		return append(append(b, make([]byte, 12)...), espBytes(0x99, 1, 16)...)
	}
	// An IPv4 header with 4 octets of options, around ESP.
	withOptions := func() []byte {
		b := raw(testIPA, testIPB, layers.IPProtocolESP, espBytes(0xe5, 1, 8))
		h := append([]byte(nil), b[:20]...)
		h[0] = 0x46
		binary.BigEndian.PutUint16(h[2:], uint16(len(b)+4))
		return append(append(h, 1, 1, 1, 0), b[20:]...)
	}
	// A later fragment (offset 1480) of a datagram of protocol proto.
	laterFragment := func(proto layers.IPProtocol) []byte {
		b := raw(testIPA, testIPB, proto, make([]byte, 32))
		binary.BigEndian.PutUint16(b[6:], 1480/8)
		return b
	}
	// IPv6 with a fragment header (first fragment, more follow) before
	// UDP 4500 carrying ESP.
	v6Fragment := func() []byte {
		body := rawUDP(4500, 4500, espBytes(0x6006, 3, 24))
		b := raw(test6A, test6B, layers.IPProtocolIPv6Fragment, append([]byte{17, 0, 0, 1, 0, 0, 0xbe, 0xef}, body...))
		return b
	}
	// An RFC 4884 error: 128 octets of the datagram, then an extension
	// structure; the length octet says where the datagram ends.
	rfc4884 := func() []byte {
		q := cut(udp(testIPA, testIPB, 4500, 4500, espBytes(0x4884, 2, 1200)), 128)
		m := icmpBytes(3, 3, 128/4<<16, q)
		m = append(m, 0x20, 0, 0, 0, 0, 8, 1, 1, 0xff, 0xff, 0xff, 0xff)
		return rawFrame(t, testRouter, testIPA, layers.IPProtocolICMPv4, m)
	}
	keepalive := udp(testIPA, testIPB, 4500, 4500, []byte{0xff})
	marker := append([]byte{0, 0, 0, 0}, saInit...)

	tests := []struct {
		name  string
		opts  Options
		frame []byte
		want  *icmpView // nil: not VPN traffic, KindOther
	}{
		{"fragmentation needed for raw esp", Options{}, icmpFrame(t, testRouter, testIPA, 3, 4, 1400, cut(raw(testIPA, testIPB, layers.IPProtocolESP, espBytes(0xc0ffee01, 9, 1400)), 28)),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 4, MTU: 1400, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 50, IPID: 0x1234,
				Length: 1428, Quoted: 28, HeaderLen: 20, Kind: KindESP, ESP: ESPInfo{SPI: 0xc0ffee01, Seq: 9}, Have: QuoteSPI | QuoteSeq}}, VPN: true}},
		{"packet too big for esp-in-udp over ipv6", Options{}, icmpFrame(t, testRouter6, test6A, 2, 0, 1280, udp(test6A, test6B, 4500, 4500, espBytes(0xbeef, 4, 100))),
			&icmpView{ICMPError: ICMPError{IPv6: true, Type: ICMPTypePacketTooBigV6, MTU: 1280, Quote: ICMPQuote{IPv6: true, Src: test6A, Dst: test6B, Proto: 17,
				Length: 156, Quoted: 156, HeaderLen: 40, Kind: KindUDPESP, SrcPort: 4500, DstPort: 4500, ESP: ESPInfo{SPI: 0xbeef, Seq: 4},
				Have: QuotePorts | QuoteSPI | QuoteSeq}}, VPN: true}},
		{"ipv6 administratively prohibited for ike", Options{}, icmpFrame(t, testRouter6, test6A, 1, 1, 0, udp(test6A, test6B, 500, 500, saInit)),
			&icmpView{ICMPError: ICMPError{IPv6: true, Type: ICMPTypeDestinationUnreachableV6, Code: ICMPCodeAdminProhibitedV6, Quote: ICMPQuote{IPv6: true,
				Src: test6A, Dst: test6B, Proto: 17, Length: 48 + len(saInit), Quoted: 48 + len(saInit), HeaderLen: 40, Kind: KindIKE,
				SrcPort: 500, DstPort: 500, IKE: ike, Have: QuotePorts | ikeHave}}, VPN: true}},
		{"communication administratively filtered for ike behind the marker", Options{}, icmpFrame(t, testRouter, testIPA, 3, 13, 0, udp(testIPA, testIPB, 4500, 4500, marker)),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 13, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 17, IPID: 0x1234,
				Length: 28 + len(marker), Quoted: 28 + len(marker), HeaderLen: 20, Kind: KindIKE, SrcPort: 4500, DstPort: 4500,
				NonESPMarker: true, IKE: ike, Have: QuotePorts | ikeHave}}, VPN: true}},
		{"ike behind the marker on port 500", Options{}, icmpFrame(t, testRouter, testIPA, 3, 3, 0, udp(testIPA, testIPB, 500, 500, marker)),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 3, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 17, IPID: 0x1234,
				Length: 28 + len(marker), Quoted: 28 + len(marker), HeaderLen: 20, Kind: KindIKE, SrcPort: 500, DstPort: 500,
				NonESPMarker: true, IKE: ike, Have: QuotePorts | ikeHave}}, VPN: true}},
		{"ike quoted up to the initiator spi", Options{}, icmpFrame(t, testRouter, testIPA, 3, 1, 0, cut(udp(testIPA, testIPB, 500, 500, saInit), 36)),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 1, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 17, IPID: 0x1234,
				Length: 28 + len(saInit), Quoted: 36, HeaderLen: 20, Kind: KindIKE, SrcPort: 500, DstPort: 500,
				IKE: ICMPQuotedIKE{SPIi: ike.SPIi}, Have: QuotePorts | QuoteIKESPIi}}, VPN: true, Cut: "IKE responder SPI"}},
		{"host administratively prohibited for ah quoted as rfc 792 asks", Options{}, icmpFrame(t, testRouter, testIPA, 3, 10, 0, cut(raw(testIPA, testIPB, layers.IPProtocolAH, ah(0xa4, 5)), 28)),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 10, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 51, IPID: 0x1234,
				Length: 68, Quoted: 28, HeaderLen: 20, Kind: KindAH, ESP: ESPInfo{SPI: 0xa4}, Have: QuoteSPI}}, VPN: true, Cut: "sequence number"}},
		{"network administratively prohibited for ah", Options{}, icmpFrame(t, testRouter, testIPA, 3, 9, 0, raw(testIPA, testIPB, layers.IPProtocolAH, ah(0xa4, 5))),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 9, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 51, IPID: 0x1234,
				Length: 68, Quoted: 68, HeaderLen: 20, Kind: KindAH, ESP: ESPInfo{SPI: 0xa4, Seq: 5}, Have: QuoteSPI | QuoteSeq}}, VPN: true}},
		{"time exceeded for pptp control", Options{}, icmpFrame(t, testRouter, testIPA, 11, 0, 0, cut(tcp(testIPA, testIPB, 40000, 1723), 28)),
			&icmpView{ICMPError: ICMPError{Type: 11, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 6, IPID: 0x1234,
				Length: 44, Quoted: 28, HeaderLen: 20, Kind: KindPPTP, SrcPort: 40000, DstPort: 1723, Have: QuotePorts}}, VPN: true}},
		{"time exceeded for an rfc 9329 stream", Options{}, icmpFrame(t, testRouter, testIPA, 11, 0, 0, tcp(testIPA, testIPB, 40000, 4500)),
			&icmpView{ICMPError: ICMPError{Type: 11, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 6, IPID: 0x1234,
				Length: 44, Quoted: 44, HeaderLen: 20, Kind: KindTCPESP, SrcPort: 40000, DstPort: 4500, Have: QuotePorts}}, VPN: true}},
		{"parameter problem for gre version 0", Options{}, icmpFrame(t, testRouter, testIPA, 12, 0, 8<<24, raw(testIPA, testIPB, layers.IPProtocolGRE, []byte{0x20, 0, 0x08, 0, 0, 0, 0, 42, 0x45})),
			&icmpView{ICMPError: ICMPError{Type: 12, Pointer: 8, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 47, IPID: 0x1234,
				Length: 29, Quoted: 29, HeaderLen: 20, Kind: KindGRE, GRE: GREInfo{Protocol: 0x0800, KeyPresent: true, Key: 42},
				Have: QuoteGRE | QuoteGREKey}}, VPN: true}},
		{"host unreachable for a keepalive", Options{}, icmpFrame(t, testRouter, testIPA, 3, 1, 0, keepalive),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 1, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 17, IPID: 0x1234,
				Length: 29, Quoted: 29, HeaderLen: 20, Kind: KindNATKeepalive, SrcPort: 4500, DstPort: 4500, Have: QuotePorts}}, VPN: true}},
		{"network unreachable for esp-in-udp cut inside the spi", Options{}, icmpFrame(t, testRouter, testIPA, 3, 0, 0, cut(udp(testIPA, testIPB, 4500, 4500, espBytes(0xc0ffee02, 1, 40)), 30)),
			&icmpView{ICMPError: ICMPError{Type: 3, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 17, IPID: 0x1234,
				Length: 76, Quoted: 30, HeaderLen: 20, Kind: KindUDPESP, SrcPort: 4500, DstPort: 4500, Have: QuotePorts}}, VPN: true, Cut: "SPI"}},
		{"esp behind ip options cut inside the options", Options{}, icmpFrame(t, testRouter, testIPA, 3, 1, 0, cut(withOptions(), 22)),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 1, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 50, IPID: 0x1234,
				Length: 40, Quoted: 22, HeaderLen: 24, Kind: KindESP}}, VPN: true, Cut: "SPI"}},
		{"esp behind ip options", Options{}, icmpFrame(t, testRouter, testIPA, 3, 1, 0, withOptions()),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 1, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 50, IPID: 0x1234,
				Length: 40, Quoted: 40, HeaderLen: 24, Kind: KindESP, ESP: ESPInfo{SPI: 0xe5, Seq: 1}, Have: QuoteSPI | QuoteSeq}}, VPN: true}},
		{"later fragment of esp", Options{}, icmpFrame(t, testRouter, testIPA, 11, 1, 0, laterFragment(layers.IPProtocolESP)),
			&icmpView{ICMPError: ICMPError{Type: 11, Code: 1, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 50, IPID: 0x1234,
				Length: 52, Quoted: 52, HeaderLen: 20, Fragment: Fragment{ID: 0x1234, Offset: 1480}, Kind: KindESP}}, VPN: true}},
		{"first fragment of esp-in-udp over ipv6", Options{}, icmpFrame(t, testRouter6, test6A, 2, 0, 1400, v6Fragment()),
			&icmpView{ICMPError: ICMPError{IPv6: true, Type: 2, MTU: 1400, Quote: ICMPQuote{IPv6: true, Src: test6A, Dst: test6B, Proto: 17, IPID: 0xbeef,
				Length: 88, Quoted: 88, HeaderLen: 48, Fragment: Fragment{ID: 0xbeef, More: true}, Kind: KindUDPESP, SrcPort: 4500, DstPort: 4500,
				ESP: ESPInfo{SPI: 0x6006, Seq: 3}, Have: QuotePorts | QuoteSPI | QuoteSeq}}, VPN: true}},
		{"rfc 4884 length before extensions", Options{}, rfc4884(),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 3, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 17, IPID: 0x1234,
				Length: 1236, Quoted: 128, HeaderLen: 20, Kind: KindUDPESP, SrcPort: 4500, DstPort: 4500, ESP: ESPInfo{SPI: 0x4884, Seq: 2},
				Have: QuotePorts | QuoteSPI | QuoteSeq}}, VPN: true}},
		{"esp-in-udp on an extra ike port", Options{IKEPorts: []uint16{10500}}, icmpFrame(t, testRouter, testIPA, 3, 3, 0, udp(testIPA, testIPB, 10500, 10500, espBytes(0x105, 1, 8))),
			&icmpView{ICMPError: ICMPError{Type: 3, Code: 3, Quote: ICMPQuote{Src: testIPA, Dst: testIPB, Proto: 17, IPID: 0x1234,
				Length: 44, Quoted: 44, HeaderLen: 20, Kind: KindUDPESP, SrcPort: 10500, DstPort: 10500, ESP: ESPInfo{SPI: 0x105, Seq: 1},
				Have: QuotePorts | QuoteSPI | QuoteSeq}}, VPN: true}},
		{"udp 10500 without the option", Options{}, icmpFrame(t, testRouter, testIPA, 3, 3, 0, udp(testIPA, testIPB, 10500, 10500, espBytes(0x105, 1, 8))), nil},
		{"port unreachable for dns", Options{}, icmpFrame(t, testIPB, testIPA, 3, 3, 0, udp(testIPA, testIPB, 40000, 53, make([]byte, 30))), nil},
		{"echo request", Options{}, icmpFrame(t, testIPA, testIPB, 8, 0, 0x00010001, make([]byte, 56)), nil},
		{"ipv6 port unreachable for dns", Options{}, icmpFrame(t, test6B, test6A, 1, 4, 0, udp(test6A, test6B, 40000, 53, make([]byte, 30))), nil},
		{"later fragment of udp", Options{}, icmpFrame(t, testRouter, testIPA, 11, 1, 0, laterFragment(layers.IPProtocolUDP)), nil},
		{"udp ports cut by ip options", Options{}, icmpFrame(t, testRouter, testIPA, 3, 3, 0, func() []byte {
			b := withOptions()
			b[9] = 17
			return cut(b, 24)
		}()), nil},
		{"icmp for ipv4 inside ipv6", Options{}, rawFrame(t, test6B, test6A, layers.IPProtocolICMPv4, icmpBytes(3, 3, 0, keepalive)), nil},
		{"icmpv6 quoting ipv4", Options{}, icmpFrame(t, test6B, test6A, 1, 4, 0, keepalive), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.KeepOther = true
			ps, st := decodeFrames(t, opts, tc.frame)
			if len(ps) != 1 {
				t.Fatalf("%d packets, want 1: %+v", len(ps), summarize(ps))
			}
			p := ps[0]
			if tc.want == nil {
				if p.Kind != KindOther || p.ICMP != nil {
					t.Fatalf("kind %v (ICMP %+v), want other", p.Kind, p.ICMP)
				}
				return
			}
			if p.Kind != KindICMPError || p.ICMP == nil {
				t.Fatalf("kind %v, want icmp-error", p.Kind)
			}
			if got := viewICMP(p.ICMP); !reflect.DeepEqual(got, *tc.want) {
				t.Errorf("ICMP error:\ngot  %+v\nwant %+v", got, *tc.want)
			}
			if p.Proto != 1 && p.Proto != 58 || p.SrcPort != 0 || p.DstPort != 0 {
				t.Errorf("packet proto %d ports %d/%d, want ICMP without ports", p.Proto, p.SrcPort, p.DstPort)
			}
			if len(st.Malformed) != 0 || st.Accounted() != 1 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

// TestICMPErrorMalformed feeds ParseICMPError messages it cannot decode;
// the Decoder reports each as other traffic, never as malformed VPN
// traffic: whether they concern a VPN cannot be told.
func TestICMPErrorMalformed(t *testing.T) {
	v4 := func(b0 byte, total uint16) []byte {
		q := make([]byte, 28)
		q[0], q[9] = b0, 17
		binary.BigEndian.PutUint16(q[2:], total)
		binary.BigEndian.PutUint16(q[20:], 4500)
		binary.BigEndian.PutUint16(q[22:], 4500)
		return q
	}
	tests := []struct {
		name    string
		ipv6    bool
		data    []byte
		wantErr string
	}{
		{"empty", false, nil, "icmp: header at offset 0: truncated"},
		{"header cut", false, []byte{3, 3, 0, 0, 0, 0}, "icmp: header at offset 0: truncated"},
		{"echo reply", false, icmpBytes(0, 0, 1, nil), "icmp: type at offset 0: not an error message"},
		{"icmpv6 echo request", true, icmpBytes(128, 0, 1, nil), "icmp: type at offset 0: not an error message"},
		{"redirect", false, icmpBytes(5, 1, 0, v4(0x45, 28)), "not an error message"},
		{"no quote", false, icmpBytes(3, 3, 0, nil), "icmp: quoted packet at offset 8: quote shorter than an ip header"},
		{"quote of 19 octets", false, icmpBytes(3, 3, 0, v4(0x45, 28)[:19]), "quote shorter than an ip header"},
		{"ipv6 quote of 39 octets", true, icmpBytes(1, 4, 0, make([]byte, 39)), "quote shorter than an ip header"},
		{"quoted version 6 in icmp", false, icmpBytes(3, 3, 0, v4(0x65, 28)), "quoted packet is not an ip packet of the message's version"},
		{"quoted version 4 in icmpv6", true, icmpBytes(1, 4, 0, append(v4(0x45, 28), make([]byte, 20)...)), "not an ip packet of the message's version"},
		{"quoted header length 16", false, icmpBytes(3, 3, 0, v4(0x44, 28)), "icmp: quoted packet at offset 8: quoted ip header length < 20"},
		{"quoted total length 12", false, icmpBytes(3, 3, 0, v4(0x45, 12)), "icmp: quoted packet at offset 10: quoted ip total length < header length"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e ICMPError
			err := ParseICMPError(tc.data, tc.ipv6, &e)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseICMPError(%x) = %v, want %q", tc.data, err, tc.wantErr)
			}
			if e.Quote.VPN {
				t.Errorf("a quote that did not decode is VPN traffic")
			}
			src, dst := testIPB, testIPA
			proto := layers.IPProtocolICMPv4
			if tc.ipv6 {
				src, dst, proto = test6B, test6A, layers.IPProtocolICMPv6
			}
			ps, st := decodeFrames(t, Options{KeepOther: true}, rawFrame(t, src, dst, proto, tc.data))
			if len(ps) != 1 || ps[0].Kind != KindOther || len(st.Malformed) != 0 {
				t.Errorf("Decoder: %+v, malformed %v; want one other packet", summarize(ps), st.Malformed)
			}
		})
	}
	// The header truncation wraps the sentinel.
	var e ICMPError
	if err := ParseICMPError([]byte{3}, false, &e); !strings.Contains(err.Error(), ErrTruncated.Error()) {
		t.Errorf("short message: %v", err)
	}
}

// TestICMPErrorReuse checks that a reused ICMPError keeps nothing of the
// previous message.
func TestICMPErrorReuse(t *testing.T) {
	udpESP, gre := labICMPFrames(t)
	var e, fresh ICMPError
	if err := ParseICMPError(udpESP[34:], false, &e); err != nil {
		t.Fatal(err)
	}
	if err := ParseICMPError(gre[34:], false, &e); err != nil {
		t.Fatal(err)
	}
	if err := ParseICMPError(gre[34:], false, &fresh); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e, fresh) {
		t.Errorf("reused:\n%+v\nfresh:\n%+v", e, fresh)
	}
}

// TestICMPNames checks the names of types and codes as tshark 4.0 prints
// them with -V (it lists no value strings for most of them with -G values;
// TestNamesMatchTshark compares the ICMPv6 error types it lists), and the
// predicates rules use.
func TestICMPNames(t *testing.T) {
	tests := []struct {
		e          ICMPError
		typ, code  string
		port, prot bool
		admin, big bool
	}{
		{ICMPError{Type: 3, Code: 3}, "Destination unreachable", "Port unreachable", true, false, false, false},
		{ICMPError{Type: 3, Code: 2}, "Destination unreachable", "Protocol unreachable", false, true, false, false},
		{ICMPError{Type: 3, Code: 4}, "Destination unreachable", "Fragmentation needed", false, false, false, true},
		{ICMPError{Type: 3, Code: 9}, "Destination unreachable", "Network administratively prohibited", false, false, true, false},
		{ICMPError{Type: 3, Code: 10}, "Destination unreachable", "Host administratively prohibited", false, false, true, false},
		{ICMPError{Type: 3, Code: 13}, "Destination unreachable", "Communication administratively filtered", false, false, true, false},
		{ICMPError{Type: 3, Code: 15}, "Destination unreachable", "Precedence cutoff in effect", false, false, false, false},
		{ICMPError{Type: 3, Code: 16}, "Destination unreachable", "16", false, false, false, false},
		{ICMPError{Type: 11, Code: 0}, "Time-to-live exceeded", "Time to live exceeded in transit", false, false, false, false},
		{ICMPError{Type: 11, Code: 1}, "Time-to-live exceeded", "Fragment reassembly time exceeded", false, false, false, false},
		{ICMPError{Type: 12, Code: 2}, "Parameter problem", "Bad length", false, false, false, false},
		{ICMPError{Type: 42}, "42", "0", false, false, false, false},
		{ICMPError{IPv6: true, Type: 1, Code: 4}, "Destination Unreachable", "Port unreachable", true, false, false, false},
		{ICMPError{IPv6: true, Type: 1, Code: 1}, "Destination Unreachable", "Administratively prohibited", false, false, true, false},
		{ICMPError{IPv6: true, Type: 1, Code: 0}, "Destination Unreachable", "no route to destination", false, false, false, false},
		{ICMPError{IPv6: true, Type: 2}, "Packet Too Big", "0", false, false, false, true},
		{ICMPError{IPv6: true, Type: 3, Code: 0}, "Time Exceeded", "hop limit exceeded in transit", false, false, false, false},
		{ICMPError{IPv6: true, Type: 4, Code: 1}, "Parameter Problem", "unrecognized Next Header type encountered", false, true, false, false},
		{ICMPError{IPv6: true, Type: 4, Code: 3}, "Parameter Problem", "IPv6 First Fragment has incomplete IPv6 Header Chain", false, false, false, false},
	}
	for _, tc := range tests {
		e := tc.e
		if e.TypeName() != tc.typ || e.CodeName() != tc.code {
			t.Errorf("%+v: names %q / %q, want %q / %q", e, e.TypeName(), e.CodeName(), tc.typ, tc.code)
		}
		if e.PortUnreachable() != tc.port || e.ProtocolUnreachable() != tc.prot || e.AdminProhibited() != tc.admin || e.TooBig() != tc.big {
			t.Errorf("%+v: port %v protocol %v admin %v too big %v, want %v %v %v %v", e,
				e.PortUnreachable(), e.ProtocolUnreachable(), e.AdminProhibited(), e.TooBig(), tc.port, tc.prot, tc.admin, tc.big)
		}
	}
}

// TestICMPErrorAllocs checks that an ICMP error quoting VPN traffic costs
// one allocation, the ICMPError the packet keeps (the non-VPN ICMP cases
// are in TestDecodeNoAllocs).
func TestICMPErrorAllocs(t *testing.T) {
	udpESP, _ := labICMPFrames(t)
	d := NewDecoder(Options{})
	r := rec(1, udpESP)
	d.Decode(r)
	if n := testing.AllocsPerRun(1000, func() { d.Decode(r) }); n != 1 {
		t.Errorf("%v allocations per Decode, want 1", n)
	}
}

// rawIPv6 builds an IPv6 header around payload with next header nh.
func rawIPv6(nh uint8, payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	b[0], b[6], b[7] = 0x60, nh, 64
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	copy(b[8:], test6B.AsSlice())
	copy(b[24:], test6A.AsSlice())
	return append(b, payload...)
}

func FuzzICMPError(f *testing.F) {
	udpESP, gre := labICMPFrames(f)
	f.Add(false, uint16(28), udpESP[34:])
	f.Add(false, uint16(36), gre[34:])
	saInit := ikeSAInit(0x0102030405060708, netip.AddrPortFrom(test6A, 500), netip.AddrPortFrom(test6B, 500))
	v6 := ipPacket(f, test6A, test6B, layers.IPProtocolUDP, &layers.UDP{SrcPort: 4500, DstPort: 4500}, append([]byte{0, 0, 0, 0}, saInit...))
	f.Add(true, uint16(60), icmpBytes(1, 1, 0, v6))
	f.Add(true, uint16(50), icmpBytes(2, 0, 1280, ipPacket(f, test6A, test6B, layers.IPProtocolESP, nil, espBytes(7, 8, 40))))
	f.Add(false, uint16(20), icmpBytes(3, 4, 1400, rawIPv4(51, []byte{50, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 9})))
	f.Add(false, uint16(30), icmpBytes(11, 0, 0, rawIPv4(6, rawTCP(40000, 1723, 1, nil))))
	f.Add(false, uint16(9), icmpBytes(3, 3, 0, rawIPv4(17, rawUDP(53, 53, nil))))
	f.Add(false, uint16(2), icmpBytes(8, 0, 0, nil))
	f.Fuzz(func(t *testing.T, ipv6 bool, cutAt uint16, data []byte) {
		if len(data) > 4096 {
			return
		}
		var e, again ICMPError
		err := ParseICMPError(data, ipv6, &e)
		err2 := ParseICMPError(data, ipv6, &again)
		if !reflect.DeepEqual(e, again) || (err == nil) != (err2 == nil) {
			t.Fatal("decoding twice differs")
		}
		q := &e.Quote
		if err != nil && q.VPN {
			t.Fatalf("error %v, and the quote is VPN traffic", err)
		}
		if err == nil {
			checkQuote(t, data, q)
			// A shorter quote never changes what it still holds.
			n := int(cutAt) % (len(data) + 1)
			var c ICMPError
			if ParseICMPError(data[:n], ipv6, &c) == nil {
				checkPrefix(t, &e, &c)
			}
		}
		// The Decoder reports exactly the errors that quote VPN traffic,
		// as ParseICMPError decodes them.
		frame, proto := rawIPv4(1, data), uint8(1)
		if ipv6 {
			frame, proto = rawIPv6(58, data), 58
		}
		ps, st := decodeTwice(t, Options{KeepOther: true}, []*capture.Record{recAt(1, testT0, layers.LinkTypeRaw, frame)})
		checkPackets(t, ps, st, 1)
		if len(ps) != 1 || ps[0].Proto != proto {
			t.Fatalf("%d packets (%+v), want one of protocol %d", len(ps), summarize(ps), proto)
		}
		p := ps[0]
		vpn := err == nil && q.VPN
		if (p.Kind == KindICMPError) != vpn || (p.Kind != KindICMPError && p.Kind != KindOther) {
			t.Fatalf("decoder says %v, ParseICMPError %v (VPN %v)", p.Kind, err, q.VPN)
		}
		if vpn && !reflect.DeepEqual(*p.ICMP, e) {
			t.Fatalf("decoder:\n%+v\nParseICMPError:\n%+v", *p.ICMP, e)
		}
	})
}

// checkQuote asserts what holds of every decoded quote of message data.
func checkQuote(t *testing.T, data []byte, q *ICMPQuote) {
	t.Helper()
	if q.Quoted > len(data)-8 || q.Quoted > q.Length || q.Quoted < 0 {
		t.Fatalf("quoted %d of %d octets, message of %d", q.Quoted, q.Length, len(data))
	}
	if q.Kind != KindOther && !q.VPN {
		t.Fatalf("kind %v but not VPN traffic", q.Kind)
	}
	kinds := map[QuoteFields][]Kind{
		QuoteSPI: {KindESP, KindUDPESP, KindAH}, QuoteSeq: {KindESP, KindUDPESP, KindAH},
		QuoteIKESPIi: {KindIKE}, QuoteIKESPIr: {KindIKE}, QuoteIKEHeader: {KindIKE},
		QuoteGRE: {KindGRE}, QuoteGREKey: {KindGRE}, QuoteGRESeq: {KindGRE}, QuoteGREAck: {KindGRE},
	}
	for f, ks := range kinds {
		if q.Have.Has(f) && !containsKind(ks, q.Kind) {
			t.Fatalf("field %b in a quote of kind %v", f, q.Kind)
		}
	}
	if q.Have.Has(QuotePorts) && q.Proto != 6 && q.Proto != 17 {
		t.Fatalf("ports in a quote of protocol %d", q.Proto)
	}
	if q.Have.Has(QuoteSeq) && !q.Have.Has(QuoteSPI) || q.Have.Has(QuoteIKESPIr) && !q.Have.Has(QuoteIKESPIi) {
		t.Fatalf("a later field without an earlier one: %b", q.Have)
	}
	if inv := q.invariant(data[8:]); len(inv) > q.Quoted {
		t.Fatalf("%d invariant octets of %d quoted", len(inv), q.Quoted)
	}
}

func containsKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// checkPrefix asserts that the quote of a cut message c holds no field the
// whole message's quote e lacks, and that the fields it holds are equal.
func checkPrefix(t *testing.T, e, c *ICMPError) {
	t.Helper()
	full, part := &e.Quote, &c.Quote
	if e.Type != c.Type || e.Code != c.Code || e.MTU != c.MTU || e.Pointer != c.Pointer {
		t.Fatalf("header differs: %+v, cut %+v", e, c)
	}
	if full.NonESPMarker != part.NonESPMarker {
		// On port 500 only the IKE Length says whether four zero octets
		// are a marker or the start of an SPI, and the cut lost it.
		return
	}
	if part.Have&^full.Have != 0 {
		t.Fatalf("the cut quote has fields %b the whole one lacks (%b)", part.Have, full.Have)
	}
	if full.Src != part.Src || full.Dst != part.Dst || full.Proto != part.Proto && part.Quoted >= full.HeaderLen {
		t.Fatalf("addresses differ: %+v, cut %+v", full, part)
	}
	if part.Kind != KindOther && part.Kind != full.Kind {
		t.Fatalf("kind %v, cut %v", full.Kind, part.Kind)
	}
	same := func(f QuoteFields, a, b any) {
		if part.Have.Has(f) && !reflect.DeepEqual(a, b) {
			t.Fatalf("field %b: %v, cut %v", f, a, b)
		}
	}
	same(QuotePorts, [2]uint16{full.SrcPort, full.DstPort}, [2]uint16{part.SrcPort, part.DstPort})
	same(QuoteSPI, full.ESP.SPI, part.ESP.SPI)
	same(QuoteSeq, full.ESP.Seq, part.ESP.Seq)
	same(QuoteIKESPIi, full.IKE.SPIi, part.IKE.SPIi)
	same(QuoteIKESPIr, full.IKE.SPIr, part.IKE.SPIr)
	same(QuoteIKEHeader, full.IKE, part.IKE)
	same(QuoteGREKey, full.GRE.Key, part.GRE.Key)
	same(QuoteGRESeq, full.GRE.Seq, part.GRE.Seq)
	same(QuoteGREAck, full.GRE.Ack, part.GRE.Ack)
	if part.Quoted > full.Quoted {
		t.Fatalf("cut quotes %d octets, whole %d", part.Quoted, full.Quoted)
	}
}
