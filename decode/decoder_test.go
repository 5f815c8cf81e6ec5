package decode

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode/keys"
)

// summary is the part of a Packet the table tests compare.
type summary struct {
	Frame, FirstFrame int
	Kind              Kind
	Src, Dst          string
	SrcPort, DstPort  uint16
	Proto             uint8
	ESP, AH           ESPInfo
	GRE               GREInfo
	PPTP              PPTPInfo
	IKEExchange       ExchangeType
	NonESPMarker      bool
	MissingMarker     bool
	TCPEncap          bool
	Fragments         int
	Fragment          Fragment
	PayloadLen        int
	Fault             Fault
}

// hasFault reports whether f is of kind k with a message containing sub.
func hasFault(f Fault, k FaultKind, sub string) bool {
	return f.Kind == k && strings.Contains(f.Message, sub)
}

func summarize(ps []Packet) []summary {
	out := make([]summary, len(ps))
	for i, p := range ps {
		s := summary{
			Frame: p.Frame, FirstFrame: p.FirstFrame, Kind: p.Kind,
			SrcPort: p.SrcPort, DstPort: p.DstPort, Proto: p.Proto,
			ESP: p.ESP, AH: p.AH, GRE: p.GRE, PPTP: p.PPTP,
			NonESPMarker: p.NonESPMarker, MissingMarker: p.MissingMarker, TCPEncap: p.TCPEncap,
			Fragments: p.Fragments, Fragment: p.Fragment, PayloadLen: p.PayloadLen, Fault: p.Fault,
		}
		if p.Src.IsValid() {
			s.Src, s.Dst = p.Src.String(), p.Dst.String()
		}
		if p.IKE != nil {
			s.IKEExchange = p.IKE.Exchange
		}
		out[i] = s
	}
	return out
}

func diffSummaries(t *testing.T, got, want []summary) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d packets, want %d:\ngot  %+v\nwant %+v", len(got), len(want), got, want)
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("packet %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// TestDecodeFixtures decodes real frames from the public corpus, stored as
// tshark -x dumps in testdata/pipeline, and compares with what tshark shows
// for them.
func TestDecodeFixtures(t *testing.T) {
	tests := []struct {
		file string
		lt   layers.LinkType
		want []summary
	}{
		{"esp.txt", layers.LinkTypeEthernet, []summary{{Kind: KindESP, Src: "192.1.2.23", Dst: "192.1.2.45", Proto: 50, ESP: ESPInfo{SPI: 0x12345678, Seq: 1}, PayloadLen: 116}}},
		{"udp-esp.txt", layers.LinkTypeEthernet, []summary{{Kind: KindUDPESP, Src: "192.1.2.23", Dst: "192.1.2.45", SrcPort: 4500, DstPort: 4500, Proto: 17, ESP: ESPInfo{SPI: 0x12345678, Seq: 1}, PayloadLen: 116}}},
		{"nat-keepalive.txt", layers.LinkTypeEthernet, []summary{{Kind: KindNATKeepalive, Src: "192.1.2.254", Dst: "192.1.2.23", SrcPort: 4500, DstPort: 4500, Proto: 17, PayloadLen: 1}}},
		{"ike-4500-marker.txt", layers.LinkTypeEthernet, []summary{{Kind: KindIKE, Src: "192.1.2.254", Dst: "192.1.2.23", SrcPort: 4500, DstPort: 4500, Proto: 17, IKEExchange: 32, NonESPMarker: true, PayloadLen: 56}}},
		// tshark: eth:ethertype:ip:ah:esp — both are reported.
		{"ah-esp.txt", layers.LinkTypeEthernet, []summary{
			{Kind: KindAH, Src: "10.0.0.1", Dst: "10.0.0.2", Proto: 51, AH: ESPInfo{SPI: 0x8179b705, Seq: 1}, PayloadLen: 160},
			{Kind: KindESP, Src: "10.0.0.1", Dst: "10.0.0.2", Proto: 50, ESP: ESPInfo{SPI: 0x48dac2e4, Seq: 1}, PayloadLen: 136},
		}},
		// Enhanced GRE with an acknowledgment only (no payload).
		{"gre-v1-ack.txt", layers.LinkTypeEthernet, []summary{{Kind: KindGRE, Src: "20.0.0.2", Dst: "20.0.0.1", Proto: 47,
			GRE: GREInfo{Version: 1, Protocol: 0x880b, KeyPresent: true, AckPresent: true, Key: 24, CallID: 24, Ack: 6}}}},
		// VLAN, IPv6, IPv4, then PPTP's GRE.
		{"gre-pptp-vlan-4in6.txt", layers.LinkTypeEthernet, []summary{{Kind: KindGRE, Src: "16.0.0.200", Dst: "192.52.166.154", Proto: 47,
			GRE: GREInfo{Version: 1, Protocol: 0x880b, KeyPresent: true, SeqPresent: true, AckPresent: true, Key: 103<<16 | 6016, CallID: 6016, PayloadLen: 103, Seq: 430001, Ack: 539254}, PayloadLen: 103}}},
		{"gre-v0-key-vlan.txt", layers.LinkTypeEthernet, []summary{{Kind: KindGRE, Src: "10.172.64.6", Dst: "10.172.64.7", Proto: 47,
			GRE: GREInfo{KeyPresent: true, Key: 0x28}, PayloadLen: 0}}},
		// A PPTP message in one segment: reassembled and reported at once.
		{"pptp-outgoing-call-reply.txt", layers.LinkTypeEthernet, []summary{{Kind: KindPPTP, Src: "191.101.61.1", Dst: "192.168.43.22", SrcPort: 1723, DstPort: 41366, Proto: 6,
			PPTP: PPTPInfo{Type: PPTPMessageTypeOutgoingCallReply, CallID: 11755, PeerCallID: 0, ResultCode: 1, HasCallID: true, HasPeerCall: true}, PayloadLen: 32}}},
		{"ipv6-esp.txt", layers.LinkTypeEthernet, []summary{{Kind: KindESP, Src: "3ffe::1", Dst: "3ffe::2", Proto: 50, ESP: ESPInfo{SPI: 10, Seq: 1}, PayloadLen: 116}}},
		// ICMPv6 behind Hop-by-Hop options: not VPN traffic.
		{"ipv6-hopbyhop-icmp.txt", layers.LinkTypeEthernet, nil},
		{"null-ike.txt", layers.LinkTypeNull, []summary{{Kind: KindIKE, Src: "93.184.216.34", Dst: "132.213.238.7", SrcPort: 55044, DstPort: 500, Proto: 17, IKEExchange: 34, PayloadLen: 652}}},
		{"raw-ike.txt", layers.LinkTypeRaw, []summary{{Kind: KindIKE, Src: "212.158.157.2", Dst: "212.158.157.8", SrcPort: 500, DstPort: 500, Proto: 17, IKEExchange: 34, PayloadLen: 240}}},
		{"sll-gre.txt", layers.LinkTypeLinuxSLL, []summary{{Kind: KindGRE, Src: "253.120.2.55", Dst: "192.168.1.1", Proto: 47, GRE: GREInfo{Protocol: 0x00fe}, PayloadLen: 30}}},
		{"gre-in-udp.txt", layers.LinkTypeEthernet, []summary{{Kind: KindGRE, Src: "192.168.0.107", Dst: "192.168.5.1", SrcPort: 50343, DstPort: 4754, Proto: 17, GRE: GREInfo{Protocol: 0x0800}, PayloadLen: 54}}},
		{"ipv6-ike.txt", layers.LinkTypeEthernet, []summary{{Kind: KindIKE, Src: "2003:51:6012::2", Dst: "2003:51:6012::4", SrcPort: 500, DstPort: 500, Proto: 17, IKEExchange: 34, PayloadLen: 216}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data := readHexDump(t, tc.file)
			d := NewDecoder(Options{})
			got := summarize(d.Decode(recAt(1, testT0, tc.lt, data)))
			for i := range tc.want {
				tc.want[i].Frame, tc.want[i].FirstFrame = 1, 1
			}
			diffSummaries(t, got, tc.want)
			if st := d.Stats(); st.Frames != 1 || st.Accounted() != 1 || len(st.Undecodable) != 0 {
				t.Errorf("stats = %+v, want one frame accounted, nothing undecodable", st)
			}
		})
	}
}

// TestDecodeLinkTypes wraps the same IPv4 (or IPv6) UDP-encapsulated ESP
// packet in every supported link layer.
func TestDecodeLinkTypes(t *testing.T) {
	esp := espBytes(0xabcd, 9, 16)
	ip4 := ipPacket(t, testIPA, testIPB, layers.IPProtocolUDP, &layers.UDP{SrcPort: 4500, DstPort: 4500}, esp)
	ip6 := ipPacket(t, test6A, test6B, layers.IPProtocolUDP, &layers.UDP{SrcPort: 4500, DstPort: 4500}, esp)
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	be32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	vlan := func(tpid uint16, inner layers.EthernetType) []byte {
		return []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, byte(tpid >> 8), byte(tpid), 0, 10, byte(inner >> 8), byte(inner)}
	}
	// SLL: packet type, ARPHRD, address length, 8 address octets,
	// protocol.
	sll := cat([]byte{0, 0, 0, 1, 0, 6}, testMACA, []byte{0, 0, 0x08, 0x00}, ip4)
	// SLL2 (tcpdump -i any): protocol, reserved, ifindex, ARPHRD,
	// packet type, address length, 8 address octets.
	sll2 := cat([]byte{0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6}, testMACA, []byte{0, 0}, ip6)
	tests := []struct {
		name string
		lt   layers.LinkType
		data []byte
		v6   bool
	}{
		{"ethernet", layers.LinkTypeEthernet, ethFrame(t, ip4), false},
		{"ethernet-ipv6", layers.LinkTypeEthernet, ethFrame(t, ip6), true},
		{"802.1q", layers.LinkTypeEthernet, cat(vlan(0x8100, layers.EthernetTypeIPv4), ip4), false},
		{"qinq-88a8", layers.LinkTypeEthernet, cat(vlan(0x88a8, layers.EthernetTypeDot1Q), []byte{0, 20, 0x08, 0x00}, ip4), false},
		{"qinq-9100", layers.LinkTypeEthernet, cat(vlan(0x9100, layers.EthernetTypeDot1Q), []byte{0, 20, 0x86, 0xdd}, ip6), true},
		{"pppoe", layers.LinkTypeEthernet, cat(vlan(0x8864, 0)[:14], []byte{0x11, 0, 0, 1, 0, 0, 0x00, 0x21}, ip4), false},
		{"linux-sll", layers.LinkTypeLinuxSLL, sll, false},
		{"linux-sll2", LinkTypeLinuxSLL2, sll2, true},
		{"raw-101-v4", layers.LinkTypeRaw, ip4, false},
		{"raw-101-v6", layers.LinkTypeRaw, ip6, true},
		{"raw-dlt12", LinkTypeRawDLT12, ip4, false},
		{"raw-dlt14", LinkTypeRawDLT14, ip6, true},
		{"ipv4-228", LinkTypeIPv4, ip4, false},
		{"ipv6-229", LinkTypeIPv6, ip6, true},
		{"null-af2-little-endian", layers.LinkTypeNull, cat(le32(2), ip4), false},
		{"null-af24-netbsd", layers.LinkTypeNull, cat(le32(24), ip6), true},
		{"null-af28-freebsd", layers.LinkTypeNull, cat(le32(28), ip6), true},
		{"null-af30-darwin", layers.LinkTypeNull, cat(le32(30), ip6), true},
		{"null-af2-big-endian", layers.LinkTypeNull, cat(be32(2), ip4), false},
		{"loop-af30", layers.LinkTypeLoop, cat(be32(30), ip6), true},
		{"ppp", layers.LinkTypePPP, cat([]byte{0xff, 0x03, 0x00, 0x21}, ip4), false},
		{"ppp-hdlc-ipv6", LinkTypePPPHDLC, cat([]byte{0xff, 0x03, 0x00, 0x57}, ip6), true},
		{"ppp-compressed", layers.LinkTypePPP, cat([]byte{0x21}, ip4), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Options{})
			got := summarize(d.Decode(recAt(1, testT0, tc.lt, tc.data)))
			src, dst := testIPA.String(), testIPB.String()
			if tc.v6 {
				src, dst = test6A.String(), test6B.String()
			}
			want := []summary{{Frame: 1, FirstFrame: 1, Kind: KindUDPESP, Src: src, Dst: dst, SrcPort: 4500, DstPort: 4500, Proto: 17,
				ESP: ESPInfo{SPI: 0xabcd, Seq: 9}, PayloadLen: len(esp)}}
			diffSummaries(t, got, want)
		})
	}
}

// TestDecodeUnknownLinkType checks that an unknown link type is counted
// with its number, not dropped.
func TestDecodeUnknownLinkType(t *testing.T) {
	d := NewDecoder(Options{})
	for i := 1; i <= 3; i++ {
		if ps := d.Decode(recAt(i, testT0, 147, []byte{1, 2, 3})); len(ps) != 0 {
			t.Fatalf("Decode(link type 147) = %v, want no packet", ps)
		}
	}
	st := d.Stats()
	if st.Undecodable["unknown link type 147"] != 3 || st.Accounted() != 3 {
		t.Errorf("stats = %+v, want 3 frames of unknown link type 147", st)
	}
}

// TestDecodeKinds covers the dispatch rules with synthetic packets.
func TestDecodeKinds(t *testing.T) {
	a, b := testIPA.String(), testIPB.String()
	ike500 := ikeSAInit(0x0102030405060708, netip.AddrPortFrom(testIPA, 500), netip.AddrPortFrom(testIPB, 500))
	ikeLowSPI := ikeSAInit(0x12345678, netip.AddrPortFrom(testIPA, 500), netip.AddrPortFrom(testIPB, 500))
	marker := func(p []byte) []byte { return append([]byte{0, 0, 0, 0}, p...) }
	greV0 := []byte{0x20, 0x00, 0x08, 0x00, 0, 0, 0, 42, 0x45, 0}
	inner1, inner2 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	tests := []struct {
		name  string
		opts  Options
		frame []byte
		want  []summary
	}{
		{"ike-500", Options{}, udpFrame(t, testIPA, testIPB, 500, 500, ike500),
			[]summary{{Kind: KindIKE, Src: a, Dst: b, SrcPort: 500, DstPort: 500, Proto: 17, IKEExchange: 34, PayloadLen: len(ike500)}}},
		{"ike-4500-marker", Options{}, udpFrame(t, testIPA, testIPB, 4500, 4500, marker(ike500)),
			[]summary{{Kind: KindIKE, Src: a, Dst: b, SrcPort: 4500, DstPort: 4500, Proto: 17, IKEExchange: 34, NonESPMarker: true, PayloadLen: len(ike500) + 4}}},
		// RFC 3948 §2.2 defines the marker for 4500 only: decoded, flagged.
		{"ike-500-with-marker", Options{}, udpFrame(t, testIPA, testIPB, 500, 500, marker(ike500)),
			[]summary{{Kind: KindIKE, Src: a, Dst: b, SrcPort: 500, DstPort: 500, Proto: 17, IKEExchange: 34, NonESPMarker: true, PayloadLen: len(ike500) + 4}}},
		// An SPI whose first four octets are zero is not a marker.
		{"ike-500-spi-high-zero", Options{}, udpFrame(t, testIPA, testIPB, 500, 500, ikeLowSPI),
			[]summary{{Kind: KindIKE, Src: a, Dst: b, SrcPort: 500, DstPort: 500, Proto: 17, IKEExchange: 34, PayloadLen: len(ikeLowSPI)}}},
		{"ike-500-spi-high-zero-with-marker", Options{}, udpFrame(t, testIPA, testIPB, 500, 500, marker(ikeLowSPI)),
			[]summary{{Kind: KindIKE, Src: a, Dst: b, SrcPort: 500, DstPort: 500, Proto: 17, IKEExchange: 34, NonESPMarker: true, PayloadLen: len(ikeLowSPI) + 4}}},
		// NAT-translated source port; the destination port decides.
		{"ike-4500-from-high-port", Options{}, udpFrame(t, testIPA, testIPB, 14500, 4500, espBytes(7, 1, 8)),
			[]summary{{Kind: KindUDPESP, Src: a, Dst: b, SrcPort: 14500, DstPort: 4500, Proto: 17, ESP: ESPInfo{SPI: 7, Seq: 1}, PayloadLen: 16}}},
		{"udp-esp-on-ikeport", Options{IKEPorts: []uint16{10500}}, udpFrame(t, testIPA, testIPB, 10500, 10500, espBytes(8, 2, 8)),
			[]summary{{Kind: KindUDPESP, Src: a, Dst: b, SrcPort: 10500, DstPort: 10500, Proto: 17, ESP: ESPInfo{SPI: 8, Seq: 2}, PayloadLen: 16}}},
		{"ike-on-ikeport", Options{IKEPorts: []uint16{10500}}, udpFrame(t, testIPA, testIPB, 10500, 10500, marker(ike500)),
			[]summary{{Kind: KindIKE, Src: a, Dst: b, SrcPort: 10500, DstPort: 10500, Proto: 17, IKEExchange: 34, NonESPMarker: true, PayloadLen: len(ike500) + 4}}},
		// RFC 3948 §2.2: IKE on 4500 without the marker is IKE, flagged,
		// never ESP whose SPI is the initiator's cookie.
		{"ike-4500-without-marker", Options{}, udpFrame(t, testIPA, testIPB, 4500, 4500, ike500),
			[]summary{{Kind: KindIKE, Src: a, Dst: b, SrcPort: 4500, DstPort: 4500, Proto: 17, IKEExchange: 34, MissingMarker: true, PayloadLen: len(ike500)}}},
		{"ike-4500-without-marker-to-nat-port", Options{}, udpFrame(t, testIPA, testIPB, 4500, 55044, ike500),
			[]summary{{Kind: KindIKE, Src: a, Dst: b, SrcPort: 4500, DstPort: 55044, Proto: 17, IKEExchange: 34, MissingMarker: true, PayloadLen: len(ike500)}}},
		// An extra port is used as 500 is (IKE alone) or as 4500 is
		// (marker, ESP, keepalives): IKE without the marker is no fault
		// there, and the replies to it are not ESP.
		{"ike-on-ikeport-without-marker", Options{IKEPorts: []uint16{4501}}, udpFrame(t, testIPA, testIPB, 4501, 4501, ike500),
			[]summary{{Kind: KindIKE, Src: a, Dst: b, SrcPort: 4501, DstPort: 4501, Proto: 17, IKEExchange: 34, PayloadLen: len(ike500)}}},
		{"ike-from-500-to-ikeport", Options{IKEPorts: []uint16{10500}}, udpFrame(t, testIPB, testIPA, 500, 10500, ike500),
			[]summary{{Kind: KindIKE, Src: b, Dst: a, SrcPort: 500, DstPort: 10500, Proto: 17, IKEExchange: 34, PayloadLen: len(ike500)}}},
		{"keepalive-on-ikeport", Options{IKEPorts: []uint16{4501}}, udpFrame(t, testIPA, testIPB, 4501, 4501, []byte{0xff}),
			[]summary{{Kind: KindNATKeepalive, Src: a, Dst: b, SrcPort: 4501, DstPort: 4501, Proto: 17, PayloadLen: 1}}},
		{"ikeport-without-option", Options{}, udpFrame(t, testIPA, testIPB, 10500, 10500, espBytes(8, 2, 8)), nil},
		{"keepalive", Options{}, udpFrame(t, testIPA, testIPB, 4500, 4500, []byte{0xff}),
			[]summary{{Kind: KindNATKeepalive, Src: a, Dst: b, SrcPort: 4500, DstPort: 4500, Proto: 17, PayloadLen: 1}}},
		{"esp-ipv6", Options{}, rawFrame(t, test6A, test6B, layers.IPProtocolESP, espBytes(0x99, 3, 32)),
			[]summary{{Kind: KindESP, Src: test6A.String(), Dst: test6B.String(), Proto: 50, ESP: ESPInfo{SPI: 0x99, Seq: 3}, PayloadLen: 40}}},
		{"gre-v0-key", Options{}, rawFrame(t, testIPA, testIPB, layers.IPProtocolGRE, greV0),
			[]summary{{Kind: KindGRE, Src: a, Dst: b, Proto: 47, GRE: GREInfo{Protocol: 0x0800, KeyPresent: true, Key: 42}, PayloadLen: 2}}},
		{"ipip-esp", Options{}, rawFrame(t, testIPA, testIPB, layers.IPProtocolIPv4, ipPacket(t, inner1, inner2, layers.IPProtocolESP, nil, espBytes(5, 6, 8))),
			[]summary{{Kind: KindESP, Src: inner1.String(), Dst: inner2.String(), Proto: 50, ESP: ESPInfo{SPI: 5, Seq: 6}, PayloadLen: 16}}},
		{"4in6-esp", Options{}, rawFrame(t, test6A, test6B, layers.IPProtocolIPv4, ipPacket(t, inner1, inner2, layers.IPProtocolESP, nil, espBytes(5, 6, 8))),
			[]summary{{Kind: KindESP, Src: inner1.String(), Dst: inner2.String(), Proto: 50, ESP: ESPInfo{SPI: 5, Seq: 6}, PayloadLen: 16}}},
		{"dns-dropped", Options{}, udpFrame(t, testIPA, testIPB, 40000, 53, []byte("query")), nil},
		{"dns-kept", Options{KeepOther: true}, udpFrame(t, testIPA, testIPB, 40000, 53, []byte("query")),
			[]summary{{Kind: KindOther, Src: a, Dst: b, SrcPort: 40000, DstPort: 53, Proto: 17}}},
		{"dns-kept-hashed", Options{KeepOther: true, HashAll: true}, udpFrame(t, testIPA, testIPB, 40000, 53, []byte("query")),
			[]summary{{Kind: KindOther, Src: a, Dst: b, SrcPort: 40000, DstPort: 53, Proto: 17, PayloadLen: 5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st := decodeFrames(t, tc.opts, tc.frame)
			for i := range tc.want {
				tc.want[i].Frame, tc.want[i].FirstFrame = 1, 1
			}
			diffSummaries(t, summarize(got), tc.want)
			if st.Accounted() != st.Frames {
				t.Errorf("stats account for %d of %d frames", st.Accounted(), st.Frames)
			}
		})
	}
}

// TestPayloadHashSurvivesNAT checks that the hash of a packet does not
// depend on what a NAT rewrites (addresses, ports, checksums, IP ID).
func TestPayloadHashSurvivesNAT(t *testing.T) {
	esp := espBytes(0x4242, 17, 64)
	inside := udpFrame(t, testIPA, testIPB, 4500, 4500, esp)
	outside := udpFrame(t, netip.MustParseAddr("198.51.100.7"), testIPB, 61234, 4500, esp)
	pi, _ := decodeFrames(t, Options{}, inside)
	po, _ := decodeFrames(t, Options{}, outside)
	if len(pi) != 1 || len(po) != 1 {
		t.Fatalf("got %d and %d packets, want 1 each", len(pi), len(po))
	}
	if pi[0].PayloadHash != po[0].PayloadHash || pi[0].PayloadHash != PayloadHash(esp) || pi[0].PayloadLen != len(esp) {
		t.Errorf("hashes %#x, %#x, want both %#x (PayloadHash of the ESP packet)", pi[0].PayloadHash, po[0].PayloadHash, PayloadHash(esp))
	}
}

// TestDecodeMalformed lists inputs that must yield a malformed packet or an
// undecodable count with a reason, never a panic.
func TestDecodeMalformed(t *testing.T) {
	good := ipPacket(t, testIPA, testIPB, layers.IPProtocolUDP, &layers.UDP{SrcPort: 4500, DstPort: 4500}, espBytes(1, 1, 8))
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name       string
		lt         layers.LinkType
		frame      []byte
		undecod    string // the Stats.Undecodable reason, or
		wantKind   Kind   // the kind of the one packet (KindMalformed)
		wantErrSub string
		fault      FaultKind // the kind and layer of the fault
		layer      string
	}{
		{name: "empty", lt: layers.LinkTypeEthernet, frame: nil, undecod: "empty frame", fault: FaultTruncated, layer: "frame"},
		{name: "short ethernet", lt: layers.LinkTypeEthernet, frame: []byte{1, 2, 3}, undecod: "truncated ethernet header", fault: FaultTruncated, layer: "ethernet"},
		{name: "truncated vlan", lt: layers.LinkTypeEthernet, frame: []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0x00, 0}, undecod: "truncated 802.1q tag", fault: FaultTruncated, layer: "802.1q"},
		{name: "vlan loop", lt: layers.LinkTypeEthernet, frame: append(make([]byte, 12), bytes.Repeat([]byte{0x81, 0x00, 0, 1}, 12)...), undecod: "more than 8 vlan tags", fault: FaultLimit, layer: "802.1q"},
		{name: "short ipv4", lt: layers.LinkTypeRaw, frame: good[:12], undecod: "truncated ipv4 header", fault: FaultTruncated, layer: "ipv4"},
		{name: "ihl below 5", lt: layers.LinkTypeRaw, frame: mut(func(b []byte) []byte { b[0] = 0x44; return b }), undecod: "ipv4: header length < 20", fault: FaultInvalid, layer: "ipv4"},
		{name: "total length below ihl", lt: layers.LinkTypeRaw, frame: mut(func(b []byte) []byte { b[2], b[3] = 0, 12; return b }), undecod: "ipv4: total length < header length", fault: FaultInvalid, layer: "ipv4"},
		{name: "ihl beyond capture", lt: layers.LinkTypeRaw, frame: mut(func(b []byte) []byte { b[0], b[2], b[3] = 0x4f, 0, 100; return b[:40] }), undecod: "truncated ipv4 header", fault: FaultTruncated, layer: "ipv4"},
		{name: "ethertype ipv4 version 6", lt: layers.LinkTypeEthernet, frame: append(serialize(t, ethernet(layers.EthernetTypeIPv4)), mut(func(b []byte) []byte { b[0] = 0x65; return b })...), undecod: "ipv4: version is not 4", fault: FaultInvalid, layer: "ipv4"},
		{name: "raw version 5", lt: layers.LinkTypeRaw, frame: mut(func(b []byte) []byte { b[0] = 0x55; return b }), undecod: "raw ip: version is not 4 or 6", fault: FaultInvalid, layer: "raw ip"},
		{name: "short ipv6", lt: LinkTypeIPv6, frame: make([]byte, 39), undecod: "truncated ipv6 header", fault: FaultTruncated, layer: "ipv6"},
		{name: "ipv6 ext header truncated", lt: LinkTypeIPv6, frame: append([]byte{0x60, 0, 0, 0, 0, 8, 0, 64}, append(make([]byte, 32), 60, 4, 0, 0, 0, 0, 0, 0)...), undecod: "truncated ipv6 extension header", fault: FaultTruncated, layer: "ipv6"},
		{name: "ipv6 ext header loop", lt: LinkTypeIPv6, frame: append([]byte{0x60, 0, 0, 0, 0, 0, 60, 64}, append(make([]byte, 32), bytes.Repeat([]byte{60, 0, 0, 0, 0, 0, 0, 0}, 20)...)...), undecod: "ipv6: more than 16 extension headers", fault: FaultLimit, layer: "ipv6"},
		{name: "null bad family", lt: layers.LinkTypeNull, frame: []byte{0, 0, 1, 0, 0x45}, undecod: "null/loopback: bad address family", fault: FaultUnsupported, layer: "null/loopback"},
		{name: "sll short", lt: layers.LinkTypeLinuxSLL, frame: make([]byte, 10), undecod: "truncated linux sll header", fault: FaultTruncated, layer: "linux sll"},
		{name: "sll2 short", lt: LinkTypeLinuxSLL2, frame: make([]byte, 10), undecod: "truncated linux sll2 header", fault: FaultTruncated, layer: "linux sll2"},
		{name: "ppp short", lt: layers.LinkTypePPP, frame: []byte{0xff, 0x03, 0x00}, undecod: "truncated ppp header", fault: FaultTruncated, layer: "ppp"},
		{name: "udp length below 8", lt: layers.LinkTypeRaw, frame: mut(func(b []byte) []byte { b[24], b[25] = 0, 4; return b }), wantKind: KindMalformed, wantErrSub: "udp: length 4 < 8", fault: FaultInvalid, layer: "udp"},
		{name: "udp length beyond ip", lt: layers.LinkTypeRaw, frame: mut(func(b []byte) []byte { b[24], b[25] = 1, 0; return b }), wantKind: KindMalformed, wantErrSub: "udp: length 256 exceeds ip payload 24", fault: FaultInvalid, layer: "udp"},
		{name: "udp header cut", lt: layers.LinkTypeRaw, frame: mut(func(b []byte) []byte { b[2], b[3] = 0, 24; return b[:24] }), wantKind: KindMalformed, wantErrSub: "udp: truncated header", fault: FaultTruncated, layer: "udp"},
		{name: "esp spi 0", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolESP, nil, espBytes(0, 1, 8)), wantKind: KindMalformed, wantErrSub: "esp: spi at offset 0: spi 0 is reserved", fault: FaultInvalid, layer: "esp"},
		// Four zero octets on 4500 are a non-ESP marker, never an SPI.
		{name: "udp-4500 marker then garbage", lt: layers.LinkTypeRaw, frame: mut(func(b []byte) []byte { b[28], b[29], b[30], b[31] = 0, 0, 0, 0; return b }), wantKind: KindMalformed, wantErrSub: "ike:", fault: FaultTruncated, layer: "ike"},
		{name: "udp-esp short", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolUDP, &layers.UDP{SrcPort: 4500, DstPort: 4500}, []byte{1, 2, 3}), wantKind: KindMalformed, wantErrSub: "esp: header at offset 0: truncated", fault: FaultTruncated, layer: "esp"},
		{name: "keepalive wrong octet", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolUDP, &layers.UDP{SrcPort: 4500, DstPort: 4500}, []byte{0xfe}), wantKind: KindMalformed, wantErrSub: "esp: header at offset 0: truncated", fault: FaultTruncated, layer: "esp"},
		{name: "ike bad header", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolUDP, &layers.UDP{SrcPort: 500, DstPort: 500}, make([]byte, 20)), wantKind: KindMalformed, wantErrSub: "ike:", fault: FaultTruncated, layer: "ike"},
		{name: "esp short", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolESP, nil, []byte{1, 2}), wantKind: KindMalformed, wantErrSub: "esp: header at offset 0: truncated", fault: FaultTruncated, layer: "esp"},
		{name: "ah short", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolAH, nil, make([]byte, 8)), wantKind: KindMalformed, wantErrSub: "ah: header at offset 0: truncated", fault: FaultTruncated, layer: "ah"},
		{name: "ah length beyond", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolAH, nil, []byte{50, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}), wantKind: KindMalformed, wantErrSub: "ah: icv at offset 12: truncated", fault: FaultTruncated, layer: "ah"},
		{name: "gre short", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolGRE, nil, []byte{0x20, 0}), wantKind: KindMalformed, wantErrSub: "gre: header at offset 0: truncated", fault: FaultTruncated, layer: "gre"},
		{name: "gre version 2", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolGRE, nil, []byte{0, 2, 8, 0}), wantKind: KindMalformed, wantErrSub: "gre: version at offset 1: unsupported version 2", fault: FaultUnsupported, layer: "gre"},
		{name: "tcp short", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolTCP, nil, make([]byte, 10)), wantKind: KindMalformed, wantErrSub: "tcp: truncated header", fault: FaultTruncated, layer: "tcp"},
		{name: "tcp offset below 5", lt: layers.LinkTypeRaw, frame: ipPacket(t, testIPA, testIPB, layers.IPProtocolTCP, nil, make([]byte, 20)), wantKind: KindMalformed, wantErrSub: "tcp: data offset < 5", fault: FaultInvalid, layer: "tcp"},
		{name: "tunnels too deep", lt: layers.LinkTypeRaw, frame: func() []byte {
			p := ipPacket(t, testIPA, testIPB, layers.IPProtocolESP, nil, espBytes(1, 1, 4))
			for range 4 {
				p = ipPacket(t, testIPA, testIPB, layers.IPProtocolIPv4, nil, p)
			}
			return p
		}(), undecod: "ip: tunnels nested more than 4 deep", fault: FaultLimit, layer: "ip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Options{})
			ps := d.Decode(recAt(1, testT0, tc.lt, tc.frame))
			st := d.Stats()
			if st.Accounted() != 1 {
				t.Errorf("stats account for %d frames, want 1: %+v", st.Accounted(), st)
			}
			if tc.undecod != "" {
				if len(ps) != 0 || st.Undecodable[tc.undecod] != 1 {
					t.Errorf("Decode = %v, undecodable %v; want no packet and reason %q", summarize(ps), st.Undecodable, tc.undecod)
				}
				if f := NewDecoder(Options{}).decodeLink(tc.frame, tc.lt); f == nil || f.Kind != tc.fault || f.Layer != tc.layer || f.Message != tc.undecod {
					t.Errorf("decodeLink fault = %+v, want %v of %q: %q", f, tc.fault, tc.layer, tc.undecod)
				}
				return
			}
			if len(ps) != 1 || ps[0].Kind != tc.wantKind || !strings.Contains(ps[0].Fault.Message, tc.wantErrSub) {
				t.Fatalf("Decode = %+v, want one %v packet with error containing %q", summarize(ps), tc.wantKind, tc.wantErrSub)
			}
			if f := ps[0].Fault; f.Kind != tc.fault || f.Layer != tc.layer || st.Malformed[tc.layer] != 1 {
				t.Errorf("fault %v of %q, malformed by layer %v; want %v of %q, counted once", f.Kind, f.Layer, st.Malformed, tc.fault, tc.layer)
			}
			if ps[0].Frame != 1 || !ps[0].Src.IsValid() {
				t.Errorf("malformed packet lacks frame or addresses: %+v", summarize(ps))
			}
		})
	}
}

// TestDecodeNoAllocs checks that frames that are not VPN traffic decode
// without allocating, with and without Options.HashAll, and that the
// reused output slice does not grow. Keys for other SAs (Options.Keys)
// change nothing for them.
func TestDecodeNoAllocs(t *testing.T) {
	otherKeys := &keys.Store{ESP: []keys.ESPSA{{SPI: 0xdeadbeef, Cipher: keys.CipherNull, Integrity: keys.IntegrityNone}},
		IKEv1: []keys.IKEv1SA{{CookieI: 1, Key: make([]byte, 16)}}}
	for _, opts := range []Options{{}, {HashAll: true, KeepOther: true}, {Keys: otherKeys}} {
		for _, fx := range frameFixtures(t) {
			if fx.vpn {
				continue
			}
			d := NewDecoder(opts)
			r := rec(1, fx.data)
			d.Decode(r) // warm up: first use sizes reused buffers
			if n := testing.AllocsPerRun(1000, func() { d.Decode(r) }); n != 0 {
				t.Errorf("%s (%+v): %v allocations per Decode, want 0", fx.name, opts, n)
			}
		}
	}
	// Frames whose kind is VPN but whose decoding keeps nothing allocate
	// nothing either.
	for _, fx := range frameFixtures(t) {
		if fx.name == "esp" || fx.name == "udp-esp" || fx.name == "nat-keepalive" {
			for _, opts := range []Options{{}, {Keys: otherKeys}} {
				d := NewDecoder(opts)
				r := rec(1, fx.data)
				d.Decode(r)
				if n := testing.AllocsPerRun(1000, func() { d.Decode(r) }); n != 0 {
					t.Errorf("%s (keys %v): %v allocations per Decode, want 0", fx.name, opts.Keys != nil, n)
				}
			}
		}
	}
}

// TestDecodeTruncatedCapture checks that a frame cut by the snap length is
// counted, and still decoded as far as it goes.
func TestDecodeTruncatedCapture(t *testing.T) {
	f := udpFrame(t, testIPA, testIPB, 4500, 4500, espBytes(0x77, 5, 200))
	d := NewDecoder(Options{})
	r := rec(1, f[:60])
	r.Length = len(f)
	ps := d.Decode(r)
	if len(ps) != 1 || ps[0].Kind != KindUDPESP || ps[0].ESP.SPI != 0x77 || ps[0].PayloadLen != 208 || ps[0].CapLen != 60 || ps[0].Length != len(f) {
		t.Fatalf("Decode(truncated) = %+v, want UDP-ESP with SPI 0x77, PayloadLen 208, CapLen 60", summarize(ps))
	}
	if st := d.Stats(); st.Truncated != 1 {
		t.Errorf("Truncated = %d, want 1", st.Truncated)
	}
}

// TestDecodeFCS checks that a declared frame check sequence is not taken
// for payload.
func TestDecodeFCS(t *testing.T) {
	f := udpFrame(t, testIPA, testIPB, 4500, 4500, []byte{0xff})
	// Ethernet pads to 60 octets; then four FCS octets.
	f = append(append(f, make([]byte, 60-len(f))...), 0xde, 0xad, 0xbe, 0xef)
	r := rec(1, f)
	r.FCSLen = 4
	ps := NewDecoder(Options{}).Decode(r)
	if len(ps) != 1 || ps[0].Kind != KindNATKeepalive {
		t.Fatalf("Decode(frame with FCS) = %+v, want a keepalive", summarize(ps))
	}
}

// TestDecodeFrameNumbers checks that a record without a frame number gets
// the running count, so every packet has a frame ≥ 1.
func TestDecodeFrameNumbers(t *testing.T) {
	d := NewDecoder(Options{})
	f := udpFrame(t, testIPA, testIPB, 4500, 4500, []byte{0xff})
	for i := 1; i <= 3; i++ {
		r := rec(0, f)
		if ps := d.Decode(r); len(ps) != 1 || ps[0].Frame != i || !ps[0].Time.Equal(r.Time) {
			t.Fatalf("Decode #%d = %+v, want frame %d", i, summarize(ps), i)
		}
	}
}

// TestDecodeTimeUTC checks that packet times are UTC.
func TestDecodeTimeUTC(t *testing.T) {
	f := udpFrame(t, testIPA, testIPB, 4500, 4500, []byte{0xff})
	loc := time.FixedZone("X", 3600)
	ps := NewDecoder(Options{}).Decode(recAt(1, testT0.In(loc), layers.LinkTypeEthernet, f))
	if len(ps) != 1 || ps[0].Time.Location() != time.UTC || !ps[0].Time.Equal(testT0) {
		t.Fatalf("Time = %v, want %v in UTC", ps[0].Time, testT0)
	}
}

// TestClock checks what Clock tells of a capture's time stamps.
func TestClock(t *testing.T) {
	at := func(sec float64) time.Time { return testT0.Add(time.Duration(sec * float64(time.Second))) }
	epoch := time.Unix(0, 0).UTC()
	tests := []struct {
		name                       string
		times                      []time.Time
		unusable, epoch, fine      bool
		backward, first, largestAt int
		largest                    time.Duration
	}{
		{name: "monotonic", times: []time.Time{at(0), at(0.001), at(1)}, fine: true},
		{name: "two steps back", times: []time.Time{at(0), at(5), at(2), at(3), at(1)},
			backward: 2, first: 3, largest: 3 * time.Second, largestAt: 3},
		{name: "all the epoch", times: []time.Time{epoch, epoch, epoch}, unusable: true, epoch: true},
		{name: "all equal", times: []time.Time{at(7), at(7)}, unusable: true},
		{name: "one frame", times: []time.Time{epoch}, epoch: true},
		{name: "no stamps", times: []time.Time{{}, {}}, unusable: true},
		{name: "one stamp", times: []time.Time{{}, at(3)}, unusable: true},
		{name: "equal then moving", times: []time.Time{at(1), at(1), at(2)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Clock
			for i, ts := range tc.times {
				c.Note(i+1, ts)
			}
			if c.Unusable() != tc.unusable || c.AtEpoch() != tc.epoch || c.Fine != tc.fine {
				t.Errorf("Unusable, AtEpoch, Fine = %v, %v, %v; want %v, %v, %v", c.Unusable(), c.AtEpoch(), c.Fine, tc.unusable, tc.epoch, tc.fine)
			}
			if c.Backward != tc.backward || c.FirstBackwardFrame != tc.first || c.LargestBackward != tc.largest || c.LargestBackwardFrame != tc.largestAt {
				t.Errorf("backward %d first %d largest %s at %d; want %d, %d, %s at %d",
					c.Backward, c.FirstBackwardFrame, c.LargestBackward, c.LargestBackwardFrame, tc.backward, tc.first, tc.largest, tc.largestAt)
			}
		})
	}
}

// TestDecodeDuplicates checks that a VPN frame captured twice within
// DuplicateWindow is marked as a copy, and that the same bytes sent again
// later, or at an instant the clock cannot resolve, are not.
func TestDecodeDuplicates(t *testing.T) {
	esp := udpFrame(t, testIPA, testIPB, 4500, 4500, espBytes(7, 1, 64))
	esp2 := udpFrame(t, testIPA, testIPB, 4500, 4500, espBytes(7, 2, 64))
	dns := udpFrame(t, testIPA, testIPB, 40000, 53, []byte("query"))
	type frame struct {
		at   time.Duration
		data []byte
	}
	tests := []struct {
		name  string
		recs  []frame
		want  []int // DuplicateOf per packet
		count int
	}{
		{"copy 20µs later", []frame{{0, esp}, {20 * time.Microsecond, esp}, {time.Millisecond, esp2}}, []int{0, 1, 0}, 1},
		{"sent again 1 s later", []frame{{0, esp}, {time.Second, esp}}, []int{0, 0}, 0},
		{"three copies", []frame{{0, esp}, {5 * time.Microsecond, esp}, {9 * time.Microsecond, esp}}, []int{0, 1, 1}, 2},
		// Every frame at one instant: a copy cannot be told from a resend.
		{"clock stands still", []frame{{0, esp}, {0, esp2}, {0, esp}}, []int{0, 0, 0}, 0},
		// Not VPN traffic: not tracked.
		{"other traffic", []frame{{0, dns}, {time.Microsecond, dns}}, []int{0, 0}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Options{KeepOther: true})
			var got []int
			for i, f := range tc.recs {
				for _, p := range d.Decode(recAt(i+1, testT0.Add(f.at), layers.LinkTypeEthernet, f.data)) {
					got = append(got, int(p.DuplicateOf))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("DuplicateOf = %v, want %v", got, tc.want)
			}
			if st := d.Stats(); st.Duplicates != tc.count {
				t.Errorf("Stats.Duplicates = %d, want %d", st.Duplicates, tc.count)
			}
		})
	}
}
