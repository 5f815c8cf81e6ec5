package pcaptest

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	macA = MustMAC("3c:a9:f4:1d:52:8e")
	macB = MustMAC("00:1b:54:c2:88:01")
	in4  = netip.MustParseAddr("192.168.1.23")
	gw4  = netip.MustParseAddr("203.0.113.10")
	in6  = netip.MustParseAddr("2001:db8:1::23")
	gw6  = netip.MustParseAddr("2001:db8:2::10")
)

func testRand() *rand.Rand { return rand.New(rand.NewChaCha8([32]byte{1})) }

func udpPacket(src, dst netip.Addr, payload []byte) Packet {
	return Packet{SrcMAC: macA, DstMAC: macB, Src: src, Dst: dst, Proto: ProtoUDP, TTL: 64, ID: 0x1234,
		SrcPort: 500, DstPort: 4500, Payload: payload}
}

// checksumErrors decodes a frame with gopacket and verifies every checksum
// in it.
func checksumErrors(t *testing.T, frame []byte) (gopacket.Packet, []string) {
	t.Helper()
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	if el := p.ErrorLayer(); el != nil {
		t.Fatalf("decode: %v", el.Error())
	}
	if nl := p.NetworkLayer(); nl != nil {
		for _, l := range p.Layers() {
			if c, ok := l.(interface {
				SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
			}); ok {
				if err := c.SetNetworkLayerForChecksum(nl); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var errs []string
	for _, l := range p.Layers() {
		v, ok := l.(interface {
			VerifyChecksum() (error, gopacket.ChecksumVerificationResult)
		})
		if !ok {
			continue
		}
		err, r := v.VerifyChecksum()
		if err != nil || !r.Valid {
			errs = append(errs, fmt.Sprintf("%v checksum %#x, want %#x (%v)", l.LayerType(), r.Actual, r.Correct, err))
		}
	}
	return p, errs
}

// verify is checksumErrors failing the test on any bad checksum.
func verify(t *testing.T, frame []byte) gopacket.Packet {
	t.Helper()
	p, errs := checksumErrors(t, frame)
	for _, e := range errs {
		t.Error(e)
	}
	return p
}

func TestFramesChecksums(t *testing.T) {
	tcp := Packet{SrcMAC: macA, DstMAC: macB, Src: in4, Dst: gw4, Proto: ProtoTCP, TTL: 64, DF: true,
		SrcPort: 40000, DstPort: 443, TCP: TCPHeader{Seq: 1, Ack: 2, Flags: PSH | ACK, Window: 501}, Payload: []byte("hello")}
	tcp6 := tcp
	tcp6.Src, tcp6.Dst = in6, gw6
	for _, tc := range []struct {
		name string
		p    Packet
	}{
		{"udp4", udpPacket(in4, gw4, []byte{0, 0, 0, 0, 1, 2, 3})},
		{"udp6", udpPacket(in6, gw6, []byte{0, 0, 0, 0, 1, 2, 3})},
		{"tcp4", tcp},
		{"tcp6", tcp6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := tc.p.Frames(1500)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 {
				t.Fatalf("%d frames, want 1", len(fs))
			}
			verify(t, fs[0])
			// The check itself must see a corrupted transport checksum.
			bad := append([]byte(nil), fs[0]...)
			bad[len(bad)-1] ^= 0xff
			if _, errs := checksumErrors(t, bad); len(errs) == 0 {
				t.Error("corrupted payload passed the checksum check")
			}
		})
	}
}

func TestZeroUDPChecksum(t *testing.T) {
	for _, src := range []netip.Addr{in4, in6} {
		p := udpPacket(src, gw4, ESP(testRand(), 0xc0000001, 1, 84))
		if src.Is6() {
			p.Dst = gw6
		}
		p.ZeroUDPChecksum = true
		fs, err := p.Frames(1500)
		if err != nil {
			t.Fatal(err)
		}
		u := verify(t, fs[0]).Layer(layers.LayerTypeUDP).(*layers.UDP)
		if u.Checksum != 0 {
			t.Errorf("%v: UDP checksum %#x, want 0", src, u.Checksum)
		}
	}
}

// TestFramesUnpadded checks that short frames keep their length: padding
// is the capturing side's business.
func TestFramesUnpadded(t *testing.T) {
	p := udpPacket(in4, gw4, Keepalive)
	fs, err := p.Frames(1500)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(fs[0]), 14+20+8+1; got != want {
		t.Errorf("keepalive frame %d octets, want %d", got, want)
	}
}

func TestFragment(t *testing.T) {
	payload := make([]byte, 3000)
	for i := range payload {
		payload[i] = byte(i)
	}
	for _, tc := range []struct {
		name     string
		src, dst netip.Addr
		frags    int
	}{
		{"ipv4", in4, gw4, 3},
		{"ipv6", in6, gw6, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := udpPacket(tc.src, tc.dst, payload)
			whole, err := p.Datagram()
			if err != nil {
				t.Fatal(err)
			}
			fs, err := p.Frames(1500)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != tc.frags {
				t.Fatalf("%d fragments, want %d", len(fs), tc.frags)
			}
			var data []byte
			for i, f := range fs {
				if len(f)-14 > 1500 {
					t.Errorf("fragment %d: %d octets exceed the MTU", i, len(f)-14)
				}
				pk := verify(t, f)
				var off int
				var more bool
				var frag []byte
				if tc.src.Is4() {
					ip := pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
					off, more, frag = int(ip.FragOffset)*8, ip.Flags&layers.IPv4MoreFragments != 0, ip.Payload
					if ip.Id != 0x1234 {
						t.Errorf("fragment %d: id %#x", i, ip.Id)
					}
				} else {
					fh := pk.Layer(layers.LayerTypeIPv6Fragment).(*layers.IPv6Fragment)
					off, more, frag = int(fh.FragmentOffset)*8, fh.MoreFragments, fh.Payload
					if fh.Identification != 0x1234 || fh.NextHeader != layers.IPProtocolUDP {
						t.Errorf("fragment %d: id %#x next %v", i, fh.Identification, fh.NextHeader)
					}
				}
				if off != len(data) || more != (i < len(fs)-1) || (more && len(frag)%8 != 0) {
					t.Errorf("fragment %d: offset %d more %v length %d after %d octets", i, off, more, len(frag), len(data))
				}
				data = append(data, frag...)
			}
			hl := 20
			if tc.src.Is6() {
				hl = 40
			}
			if !bytes.Equal(data, whole[hl:]) {
				t.Error("reassembled fragments differ from the datagram")
			}
		})
	}
	p := udpPacket(in4, gw4, payload)
	p.DF = true
	if _, err := p.Frames(1500); err == nil {
		t.Error("DF datagram larger than the MTU: no error")
	}
}

// Real NAT-D hashes, recomputed. Provenance:
//   - IKEv2: zeek-plugin-ikev2 ikev2.pcap (public corpus), frame 1
//     (IKE_SA_INIT request 172.16.158.1:63995 → 172.16.158.142:500, SPIi
//     46fd10006d11e258) NAT_DETECTION_DESTINATION_IP, and frame 4 (the
//     response, SPIr 14633b5928660a90) both notifies; values as printed by
//     tshark -e isakmp.notify.data.
//   - IKEv2: zeek-spicy-ipsec ipsec_client.pcap, frame 1 (192.168.0.10:500 →
//     144.76.154.114:500, SPIi 238671c80375a0fb), both notifies.
//   - IKEv1: suricata-verify ikev1-rules/ikev1-isakmp-main-mode.pcap, frame 3
//     (MM3 192.168.12.1:500 → 192.168.12.2:500, cookies e47a591fd057587f /
//     a00b8ef0902bb8ec, SHA negotiated), both NAT-D payloads.
func TestNATDVectors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		v1         bool
		spii, spir string
		ap         string
		want       string
	}{
		{"zeek-ikev2 f1 dst", false, "46fd10006d11e258", "0000000000000000", "172.16.158.142:500", "9c1d7fb983423f62f8ef5806916604e3da683d96"},
		{"zeek-ikev2 f4 src", false, "46fd10006d11e258", "14633b5928660a90", "172.16.158.142:500", "1ff99fd1be4821670c2ba7e2e822b1f6ccd6eb81"},
		{"zeek-ikev2 f4 dst", false, "46fd10006d11e258", "14633b5928660a90", "172.16.158.1:63995", "9da1325ece03a9cf40441967413a24b63a208a08"},
		{"spicy f1 src", false, "238671c80375a0fb", "0000000000000000", "192.168.0.10:500", "ed0f45d615ee1cc7f636df4ee075fd9d18791bb1"},
		{"spicy f1 dst", false, "238671c80375a0fb", "0000000000000000", "144.76.154.114:500", "52749dfdd6970df361f69d01015724d708dc4544"},
		{"suricata mm3 dst", true, "e47a591fd057587f", "a00b8ef0902bb8ec", "192.168.12.2:500", "1574d64c0165bad16a023f038d45a07498d8d051"},
		{"suricata mm3 src", true, "e47a591fd057587f", "a00b8ef0902bb8ec", "192.168.12.1:500", "febf462f1cd75805a7baa28747e769d674f85600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := hex.DecodeString(tc.spii)
			b, _ := hex.DecodeString(tc.spir)
			ap := netip.MustParseAddrPort(tc.ap)
			var got []byte
			if tc.v1 {
				got = NATDv1(sha1.New, binary.BigEndian.Uint64(a), binary.BigEndian.Uint64(b), ap)
			} else {
				got = NATDv2(binary.BigEndian.Uint64(a), binary.BigEndian.Uint64(b), ap)
			}
			if hex.EncodeToString(got) != tc.want {
				t.Errorf("NAT-D(%s, %s, %s) = %x, want %s", tc.spii, tc.spir, tc.ap, got, tc.want)
			}
		})
	}
}

// walk checks an IKE message's chain: every payload length lands inside
// the message, the last one ends exactly at its end, and returns the
// payload types.
func walk(t *testing.T, b []byte) []uint8 {
	t.Helper()
	if got := int(binary.BigEndian.Uint32(b[24:])); got != len(b) {
		t.Fatalf("header length %d, message %d", got, len(b))
	}
	var types []uint8
	next, off := b[16], 28
	for next != 0 && off < len(b) {
		types = append(types, next)
		if off+4 > len(b) {
			t.Fatalf("payload header at %d beyond %d", off, len(b))
		}
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < 4 || off+l > len(b) {
			t.Fatalf("payload %d at %d: length %d", next, off, l)
		}
		if next == V2SK {
			off += l
			break
		}
		next, off = b[off], off+l
	}
	if off != len(b) {
		t.Errorf("chain ends at %d of %d", off, len(b))
	}
	return types
}

func TestMessageMarshal(t *testing.T) {
	r := testRand()
	m := Message{SPIi: 1, Version: 2, Exchange: V2IKESAInit, Flags: V2FlagInitiator, Payloads: []Payload{
		SAv2(ProposalV2{Num: 1, Protocol: ProtoIDIKE, Transforms: []TransformV2{
			{Type: TransformENCR, ID: EncrAESCBC, KeyLen: 256}, {Type: TransformDH, ID: DHModp2048}}}),
		KEv2(DHModp2048, RandBytes(r, 256)),
		NonceV2(RandBytes(r, 32)),
		NotifyV2(0, nil, NotifyFragmentationSupported, nil),
		VendorV2(VIDStrongSwan),
	}}
	b := m.Marshal()
	if got, want := walk(t, b), []uint8{V2SA, V2KE, V2Nonce, V2Notify, V2Vendor}; !bytes.Equal(got, want) {
		t.Errorf("payloads %v, want %v", got, want)
	}
	if b[17] != 0x20 || b[18] != V2IKESAInit || b[19] != V2FlagInitiator {
		t.Errorf("header % x", b[16:20])
	}
	// The SA payload: one proposal (last), two transforms, the first with a
	// Key Length attribute.
	sa := b[28+4:]
	if sa[0] != 0 || sa[4] != 1 || sa[5] != ProtoIDIKE || sa[7] != 2 || sa[8] != 3 || !bytes.Equal(sa[16:20], []byte{0x80, 0x0e, 0x01, 0x00}) {
		t.Errorf("SA proposal % x", sa[:24])
	}

	sk := Message{SPIi: 1, SPIr: 2, Version: 2, Exchange: V2IKEAuth, Flags: V2FlagInitiator, MessageID: 1,
		Payloads: []Payload{SKv2(r, V2IDi, 300)}}
	b = sk.Marshal()
	walk(t, b)
	if b[16] != V2SK || b[28] != V2IDi || (len(b)-28-4-32)%16 != 0 {
		t.Errorf("SK: next %d inner %d length %d", b[16], b[28], len(b))
	}

	v1 := Message{SPIi: 1, Version: 1, Exchange: V1MainMode, Payloads: []Payload{
		SAv1(ProposalV1{Num: 1, Protocol: ProtoIDIKE, Transforms: []TransformV1{
			{Num: 1, ID: TransformKeyIKE, Attrs: []Attr{{Type: AttrHash, Value: Phase1SHA1}, {Type: AttrLifeDuration, Value: 86400}}}}}),
		VendorV1(VIDRFC3947),
	}}
	b = v1.Marshal()
	if got := walk(t, b); !bytes.Equal(got, []uint8{V1SA, V1VendorID}) {
		t.Errorf("IKEv1 payloads %v", got)
	}
	// DOI IPsec, SIT_IDENTITY_ONLY, proposal, transform with a TV and a
	// four-octet TLV attribute (86400 does not fit 16 bits).
	want := "00000001" + "00000001" + "0000" + "001c" + "01010001" + "0000" + "0014" + "01010000" + "80020002" + "000c0004" + "00015180"
	if got := hex.EncodeToString(b[32 : 32+36]); got != want {
		t.Errorf("IKEv1 SA body %s, want %s", got, want)
	}

	enc := Message{SPIi: 1, SPIr: 2, Version: 1, Exchange: V1MainMode, Flags: V1FlagEncryption, First: V1ID, Encrypted: make([]byte, 48)}
	b = enc.Marshal()
	if len(b) != 28+48 || b[16] != V1ID || binary.BigEndian.Uint32(b[24:]) != 76 {
		t.Errorf("encrypted IKEv1: % x", b[:28])
	}
}

func TestESPLen(t *testing.T) {
	for _, tc := range []struct{ inner, want int }{{84, 136}, {52, 104}, {60, 104}, {14, 56}} {
		if got := ESPLen(tc.inner); got != tc.want {
			t.Errorf("ESPLen(%d) = %d, want %d", tc.inner, got, tc.want)
		}
		if got := len(ESP(testRand(), 1, 1, tc.inner)); got != tc.want {
			t.Errorf("len(ESP(%d)) = %d, want %d", tc.inner, got, tc.want)
		}
	}
	rec := TCPRecordIKE([]byte{1, 2, 3})
	if !bytes.Equal(rec, []byte{0, 9, 0, 0, 0, 0, 1, 2, 3}) {
		t.Errorf("TCPRecordIKE = % x", rec)
	}
	if rec := TCPRecordESP([]byte{1, 2, 3}); !bytes.Equal(rec, []byte{0, 5, 1, 2, 3}) {
		t.Errorf("TCPRecordESP = % x", rec)
	}
}

func TestPPTPLengths(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  []byte
		typ  uint16
		want int
	}{
		{"SCCRQ", PPTPStartRequest("h", "v"), PPTPTypeStartCtrlConnRequest, 156},
		{"SCCRP", PPTPStartReply("h", "v"), PPTPTypeStartCtrlConnReply, 156},
		{"OCRQ", PPTPOutgoingCallRequest(7, 1, 64), PPTPTypeOutgoingCallRequest, 168},
		{"OCRP", PPTPOutgoingCallReply(9, 7, 64), PPTPTypeOutgoingCallReply, 32},
		{"SLI", PPTPSetLinkInfo(9, 0, 0), PPTPTypeSetLinkInfo, 24},
		{"CCRQ", PPTPCallClearRequest(7), PPTPTypeCallClearRequest, 16},
		{"CDN", PPTPCallDisconnectNotify(9), PPTPTypeCallDisconnectNotify, 148},
		{"StopCCRQ", PPTPStopRequest(), PPTPTypeStopCtrlConnRequest, 16},
		{"StopCCRP", PPTPStopReply(), PPTPTypeStopCtrlConnReply, 16},
	} {
		if len(tc.msg) != tc.want || int(binary.BigEndian.Uint16(tc.msg)) != tc.want {
			t.Errorf("%s: %d octets, length field %d, want %d", tc.name, len(tc.msg), binary.BigEndian.Uint16(tc.msg), tc.want)
		}
		typ, _, ok := PPTPMessage(tc.msg)
		if !ok || typ != tc.typ {
			t.Errorf("%s: PPTPMessage type %d ok %v, want %d", tc.name, typ, ok, tc.typ)
		}
	}
	if _, id, _ := PPTPMessage(PPTPOutgoingCallRequest(0x4242, 1, 64)); id != 0x4242 {
		t.Errorf("OCRQ call ID %#x", id)
	}
	if _, _, ok := PPTPMessage([]byte("not pptp at all")); ok {
		t.Error("PPTPMessage accepted garbage")
	}
}

func TestEnhancedGRE(t *testing.T) {
	ppp := PPP(PPPLCP, PPPControl(ConfRequest, 1, PPPOption{Type: 5, Data: U32(0xdeadbeef)}))
	b, err := EnhancedGRE{CallID: 0x1234, Seq: 5, HasSeq: true, Ack: 3, HasAck: true}.GRE(ppp)
	if err != nil {
		t.Fatal(err)
	}
	// Flags K and S, A and version 1, protocol PPP, key = length | call ID.
	want := "3081880b" + "000e1234" + "00000005" + "00000003" + "ff03c021" + "0101000a" + "0506deadbeef"
	if got := hex.EncodeToString(b); got != want {
		t.Errorf("GRE = %s, want %s", got, want)
	}
	if id, ok := greCallID(b); !ok || id != 0x1234 {
		t.Errorf("greCallID = %#x %v", id, ok)
	}
}

func TestPcapWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, 64)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 3, 14, 9, 0, 0, 123456789, time.UTC)
	if err := w.WritePacket(ts, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	wantHdr := "d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "40000000" + "01000000"
	if got := hex.EncodeToString(b[:24]); got != wantHdr {
		t.Errorf("file header %s, want %s", got, wantHdr)
	}
	rec := b[24:40]
	if sec := binary.LittleEndian.Uint32(rec); int64(sec) != ts.Unix() ||
		binary.LittleEndian.Uint32(rec[4:]) != 123456 ||
		binary.LittleEndian.Uint32(rec[8:]) != 64 || binary.LittleEndian.Uint32(rec[12:]) != 100 {
		t.Errorf("record header % x", rec)
	}
	if len(b) != 24+16+64 {
		t.Errorf("file %d octets, want %d", len(b), 24+16+64)
	}
}

func TestTCPConn(t *testing.T) {
	c := NewTCPConn(testRand(), netip.MustParseAddrPort("192.168.1.23:40000"), netip.MustParseAddrPort("192.0.2.80:443"))
	syn := c.SYN()
	synack := c.SYNACK()
	ack := c.ACK(true)
	data := c.Data(true, []byte("abc"))
	resp := c.Data(false, []byte("defg"))
	fin := c.FIN(true)
	if synack.TCP.Ack != syn.TCP.Seq+1 || ack.TCP.Seq != syn.TCP.Seq+1 || ack.TCP.Ack != synack.TCP.Seq+1 ||
		data.TCP.Seq != ack.TCP.Seq || resp.TCP.Ack != data.TCP.Seq+3 || fin.TCP.Seq != data.TCP.Seq+3 || fin.TCP.Ack != resp.TCP.Seq+4 {
		t.Errorf("sequence numbers incoherent: %+v %+v %+v %+v %+v %+v", syn.TCP, synack.TCP, ack.TCP, data.TCP, resp.TCP, fin.TCP)
	}
	if syn.TCP.Ack != 0 || syn.TCP.Flags != SYN {
		t.Errorf("SYN %+v", syn.TCP)
	}
}

func TestDNS(t *testing.T) {
	q := DNSQuery(0xbeef, "vpn.example.net")
	a := DNSAnswer(0xbeef, "vpn.example.net", 300, gw4)
	for _, tc := range []struct {
		name string
		b    []byte
		qr   bool
	}{{"query", q, false}, {"answer", a, true}} {
		var d layers.DNS
		if err := d.DecodeFromBytes(tc.b, gopacket.NilDecodeFeedback); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d.ID != 0xbeef || d.QR != tc.qr || len(d.Questions) != 1 || string(d.Questions[0].Name) != "vpn.example.net" || len(d.Additionals) != 1 {
			t.Errorf("%s: %+v", tc.name, d)
		}
		if tc.qr && (len(d.Answers) != 1 || !d.Answers[0].IP.Equal(gw4.AsSlice()) || string(d.Answers[0].Name) != "vpn.example.net") {
			t.Errorf("%s: answers %+v", tc.name, d.Answers)
		}
	}
}

func TestTLSRecords(t *testing.T) {
	r := testRand()
	ch := TLSClientHello(r, "www.example.com")
	sh := TLSServerHello(r, ch, 1000)
	for _, b := range [][]byte{ch, sh} {
		// Walk the records: each length must land inside the buffer and
		// the last end exactly at its end.
		off := 0
		for off < len(b) {
			if off+5 > len(b) {
				t.Fatalf("record header at %d beyond %d", off, len(b))
			}
			off += 5 + int(binary.BigEndian.Uint16(b[off+3:]))
		}
		if off != len(b) {
			t.Errorf("records end at %d of %d", off, len(b))
		}
	}
	if !bytes.Contains(ch, []byte("www.example.com")) || !bytes.Equal(sh[44:76], ch[44:76]) {
		t.Error("ClientHello lacks the SNI or ServerHello does not echo the session ID")
	}
}

func TestICMPEcho(t *testing.T) {
	b := ICMPEcho(false, 1, 2, []byte("ping"))
	var ic layers.ICMPv4
	if err := ic.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if err, r := ic.VerifyChecksum(); err != nil || !r.Valid {
		t.Errorf("ICMP checksum %#x, want %#x", r.Actual, r.Correct)
	}
}

func newNAT() *NAT {
	n := &NAT{Public: netip.MustParseAddr("198.51.100.7"), LANMAC: MustMAC("50:c7:bf:62:31:a0"),
		WANMAC: MustMAC("50:c7:bf:62:31:a1"), UpstreamMAC: macB, Rand: testRand()}
	n.AddHost(in4, macA)
	n.AddHost(netip.MustParseAddr("192.168.1.31"), MustMAC("f0:18:98:4a:07:c3"))
	return n
}

func TestNATTranslatesUDP(t *testing.T) {
	n := newNAT()
	p := udpPacket(in4, gw4, []byte("x"))
	q, f := n.Outbound(0, p)
	if !f.Forwarded || q.Src != n.Public || q.SrcPort == 0 || q.TTL != 63 || q.ID != p.ID ||
		!bytes.Equal(q.SrcMAC, n.WANMAC) || !bytes.Equal(q.DstMAC, n.UpstreamMAC) || q.Dst != gw4 || q.DstPort != p.DstPort {
		t.Fatalf("outbound: %+v %+v", q, f)
	}
	if p.Src != in4 {
		t.Error("Outbound modified its argument")
	}
	reply := Packet{Src: gw4, Dst: n.Public, Proto: ProtoUDP, SrcPort: 4500, DstPort: q.SrcPort, TTL: 55, Payload: []byte("y")}
	r, f := n.Inbound(time.Second, reply)
	if !f.Forwarded || r.Dst != in4 || r.DstPort != 500 || r.TTL != 54 || !bytes.Equal(r.DstMAC, macA) {
		t.Fatalf("inbound: %+v %+v", r, f)
	}
	reply.SrcPort = 4501
	if _, f := n.Inbound(time.Second, reply); f.Forwarded {
		t.Error("inbound from another remote port forwarded")
	}
}

func TestNATPortPolicies(t *testing.T) {
	n := newNAT()
	n.Ports = PortPreserve
	a := udpPacket(in4, gw4, nil)
	b := udpPacket(netip.MustParseAddr("192.168.1.31"), gw4, nil)
	qa, _ := n.Outbound(0, a)
	qb, _ := n.Outbound(0, b)
	if qa.SrcPort != 500 || qb.SrcPort == 500 || qb.SrcPort == 0 {
		t.Errorf("preserve: A %d B %d, want 500 and another", qa.SrcPort, qb.SrcPort)
	}
	n = newNAT()
	n.StaticIKEPort = true
	qa, fa := n.Outbound(0, a)
	_, fb := n.Outbound(0, b)
	if !fa.Forwarded || qa.SrcPort != 500 || fb.Forwarded || !strings.Contains(fb.Reason, "500") {
		t.Errorf("static IKE port: A %d %+v, B %+v", qa.SrcPort, fa, fb)
	}
}

func TestNATUDPTimeout(t *testing.T) {
	n := newNAT()
	n.UDPTimeout = 30 * time.Second
	p := udpPacket(in4, gw4, nil)
	q1, _ := n.Outbound(0, p)
	q2, _ := n.Outbound(10*time.Second, p)
	q3, _ := n.Outbound(50*time.Second, p)
	if q1.SrcPort != q2.SrcPort || q3.SrcPort == q1.SrcPort {
		t.Errorf("ports %d %d %d: want the same within the timeout and a new one after", q1.SrcPort, q2.SrcPort, q3.SrcPort)
	}
	old := Packet{Src: gw4, Dst: n.Public, Proto: ProtoUDP, SrcPort: 4500, DstPort: q1.SrcPort, TTL: 55}
	if _, f := n.Inbound(51*time.Second, old); f.Forwarded {
		t.Error("packet to the expired mapping forwarded")
	}
	ms := n.Mappings()
	if len(ms) != 2 || !ms[0].Expired || ms[1].Expired {
		t.Errorf("mappings %+v", ms)
	}
}

func TestNATESPPassthrough(t *testing.T) {
	esp := func(src, dst netip.Addr) Packet {
		return Packet{Src: src, Dst: dst, Proto: ProtoESP, TTL: 64, Payload: ESP(testRand(), 0xc0000001, 1, 84)}
	}
	n := newNAT()
	if _, f := n.Outbound(0, esp(in4, gw4)); f.Forwarded {
		t.Error("ESP forwarded with passthrough off")
	}
	n.ESPPassthrough = true
	b := netip.MustParseAddr("192.168.1.31")
	if q, f := n.Outbound(0, esp(in4, gw4)); !f.Forwarded || q.Src != n.Public {
		t.Errorf("ESP out: %+v", f)
	}
	n.Outbound(0, esp(b, gw4))
	// Inbound ESP goes to the first host, whatever the SPI.
	if r, f := n.Inbound(0, esp(gw4, n.Public)); !f.Forwarded || r.Dst != in4 {
		t.Errorf("ESP in: %v %+v", r.Dst, f)
	}
}

func TestNATESPSPIMatching(t *testing.T) {
	esp := func(src, dst netip.Addr, spi uint32) Packet {
		return Packet{Src: src, Dst: dst, Proto: ProtoESP, TTL: 64, Payload: ESP(testRand(), spi, 1, 84)}
	}
	n := newNAT()
	n.ESPPassthrough, n.ESPSPIMatching = true, true
	b := netip.MustParseAddr("192.168.1.31")
	if _, f := n.Inbound(0, esp(gw4, n.Public, 0xc0000009)); f.Forwarded {
		t.Error("inbound SPI with no outbound SA forwarded")
	}
	n.Outbound(0, esp(in4, gw4, 0xc0000001))
	if r, f := n.Inbound(0, esp(gw4, n.Public, 0xc0000002)); !f.Forwarded || r.Dst != in4 {
		t.Errorf("A's inbound SPI went to %v %+v", r.Dst, f)
	}
	n.Outbound(0, esp(b, gw4, 0xc0000003))
	n.Outbound(0, esp(in4, gw4, 0xc0000001)) // an old SA does not make A the newest
	if r, f := n.Inbound(0, esp(gw4, n.Public, 0xc0000004)); !f.Forwarded || r.Dst != b {
		t.Errorf("B's inbound SPI went to %v %+v", r.Dst, f)
	}
	if r, _ := n.Inbound(0, esp(gw4, n.Public, 0xc0000002)); r.Dst != in4 {
		t.Errorf("A's SPI rebound to %v", r.Dst)
	}
}

func TestNATForwards(t *testing.T) {
	n := newNAT()
	srv := netip.AddrPortFrom(in4, 500)
	n.Forwards = []Forward{{Proto: ProtoUDP, Port: 500, To: srv}, {Proto: ProtoUDP, Port: 4500, To: srv}}
	client := netip.MustParseAddrPort("203.0.113.50:4500")
	in := Packet{Src: client.Addr(), Dst: n.Public, Proto: ProtoUDP, SrcPort: 4500, DstPort: 4500, TTL: 55, Payload: []byte{0, 0, 0, 0, 1}}
	r, f := n.Inbound(0, in)
	if !f.Forwarded || r.DstAddrPort() != srv {
		t.Fatalf("forward: %v %+v", r.DstAddrPort(), f)
	}
	q, f := n.Outbound(time.Second, Packet{Src: in4, Dst: client.Addr(), Proto: ProtoUDP, SrcPort: 500, DstPort: 4500, TTL: 64})
	if !f.Forwarded || q.SrcAddrPort() != netip.AddrPortFrom(n.Public, 4500) {
		t.Errorf("reply through the forward: %v %+v", q.SrcAddrPort(), f)
	}
	in.DstPort = 4501
	if _, f := n.Inbound(0, in); f.Forwarded {
		t.Error("port without a forward forwarded")
	}
}

func TestNATSplitESPInUDP(t *testing.T) {
	n := newNAT()
	n.SplitESPInUDP = true
	ike := udpPacket(in4, gw4, WithMarker((&Message{SPIi: 1, Version: 2, Exchange: V2IKEAuth}).Marshal()))
	ike.SrcPort, ike.DstPort = 4500, 4500
	esp := udpPacket(in4, gw4, ESP(testRand(), 0xc0000001, 1, 84))
	esp.SrcPort, esp.DstPort = 4500, 4500
	qi, _ := n.Outbound(0, ike)
	qe, _ := n.Outbound(0, esp)
	if qi.SrcPort == qe.SrcPort {
		t.Fatalf("IKE and ESP share public port %d", qi.SrcPort)
	}
	back := Packet{Src: gw4, Dst: n.Public, Proto: ProtoUDP, SrcPort: 4500, TTL: 55, Payload: ESP(testRand(), 0xc0000002, 1, 84)}
	back.DstPort = qi.SrcPort
	if _, f := n.Inbound(0, back); f.Forwarded {
		t.Error("ESP to the IKE mapping forwarded")
	}
	back.DstPort = qe.SrcPort
	if r, f := n.Inbound(0, back); !f.Forwarded || r.DstPort != 4500 {
		t.Errorf("ESP to the ESP mapping: %+v", f)
	}
	if ms := n.Mappings(); len(ms) != 2 || ms[0].ESPInUDP || !ms[1].ESPInUDP {
		t.Errorf("mappings %+v", ms)
	}
}

func TestNATPPTPRewriteCallID(t *testing.T) {
	srv := netip.MustParseAddr("203.0.113.20")
	n := newNAT()
	n.PPTPHelper, n.PPTPRewriteCallID = true, true
	ocrq := Packet{Src: in4, Dst: srv, Proto: ProtoTCP, SrcPort: 40000, DstPort: PortPPTP, TTL: 64,
		TCP: TCPHeader{Flags: PSH | ACK}, Payload: PPTPOutgoingCallRequest(7, 1, 64)}
	q, _ := n.Outbound(0, ocrq)
	_, id, _ := PPTPMessage(q.Payload)
	if id == 7 {
		t.Fatal("call ID not translated")
	}
	reply := Packet{Src: srv, Dst: n.Public, Proto: ProtoTCP, SrcPort: PortPPTP, DstPort: q.SrcPort, TTL: 55,
		TCP: TCPHeader{Flags: PSH | ACK}, Payload: PPTPOutgoingCallReply(900, id, 64)}
	r, f := n.Inbound(0, reply)
	if !f.Forwarded || binary.BigEndian.Uint16(r.Payload[14:]) != 7 {
		t.Errorf("reply's peer call ID %d, want 7 restored", binary.BigEndian.Uint16(r.Payload[14:]))
	}
	gre, err := EnhancedGRE{CallID: id, HasSeq: true}.GRE(PPP(PPPLCP, PPPControl(ConfRequest, 1)))
	if err != nil {
		t.Fatal(err)
	}
	g, f := n.Inbound(0, Packet{Src: srv, Dst: n.Public, Proto: ProtoGRE, TTL: 55, Payload: gre})
	if key, _ := greCallID(g.Payload); !f.Forwarded || g.Dst != in4 || key != id {
		t.Errorf("GRE in: forwarded %v to %v with key %d, want key %d left untranslated", f.Forwarded, g.Dst, key, id)
	}
	if rs := n.CallIDRewrites(); len(rs) != 1 || rs[0].Original != 7 || rs[0].Rewritten != id {
		t.Errorf("rewrites %+v", rs)
	}
}

func TestNATGRE(t *testing.T) {
	gre := func(src, dst netip.Addr, callID uint16) Packet {
		b, err := EnhancedGRE{CallID: callID, HasSeq: true}.GRE(PPP(PPPLCP, PPPControl(ConfRequest, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return Packet{Src: src, Dst: dst, Proto: ProtoGRE, TTL: 64, Payload: b}
	}
	srv := netip.MustParseAddr("203.0.113.20")
	for _, helper := range []bool{false, true} {
		n := newNAT()
		n.PPTPHelper = helper
		ocrq := Packet{Src: in4, Dst: srv, Proto: ProtoTCP, SrcPort: 40000, DstPort: PortPPTP, TTL: 64,
			TCP: TCPHeader{Flags: PSH | ACK}, Payload: PPTPOutgoingCallRequest(7, 1, 64)}
		n.Outbound(0, ocrq)
		if _, f := n.Outbound(0, gre(in4, srv, 900)); !f.Forwarded {
			t.Errorf("helper %v: GRE out dropped", helper)
		}
		r, f := n.Inbound(0, gre(srv, n.Public, 7))
		if f.Forwarded != helper || (helper && r.Dst != in4) {
			t.Errorf("helper %v: GRE in forwarded %v to %v", helper, f.Forwarded, r.Dst)
		}
	}
}

func TestNATRewritesIKESPI(t *testing.T) {
	n := newNAT()
	n.StaticIKEPort, n.RewriteIKESPI = true, true
	msg := (&Message{SPIi: 0x1111, Version: 2, Exchange: V2IKESAInit, Flags: V2FlagInitiator}).Marshal()
	p := udpPacket(in4, gw4, msg)
	p.DstPort = 500
	q, _ := n.Outbound(0, p)
	spi := binary.BigEndian.Uint64(q.Payload)
	if spi == 0x1111 || !bytes.Equal(q.Payload[8:], msg[8:]) || binary.BigEndian.Uint64(p.Payload) != 0x1111 {
		t.Fatalf("outbound SPIi %#x", spi)
	}
	resp := (&Message{SPIi: spi, SPIr: 0x2222, Version: 2, Exchange: V2IKESAInit, Flags: V2FlagResponse}).Marshal()
	r, f := n.Inbound(0, Packet{Src: gw4, Dst: n.Public, Proto: ProtoUDP, SrcPort: 500, DstPort: q.SrcPort, TTL: 55, Payload: resp})
	if !f.Forwarded || binary.BigEndian.Uint64(r.Payload) != 0x1111 {
		t.Errorf("inbound SPIi %#x, want it restored", binary.BigEndian.Uint64(r.Payload))
	}
	if rs := n.SPIRewrites(); len(rs) != 1 || rs[0].Original != 0x1111 || rs[0].Rewritten != spi {
		t.Errorf("rewrites %+v", rs)
	}
}

func TestNATRoutedAndFilter(t *testing.T) {
	n := newNAT()
	n.Routed = true
	p := udpPacket(in4, gw4, nil)
	q, f := n.Outbound(0, p)
	if !f.Forwarded || q.Src != in4 || q.SrcPort != 500 || q.TTL != 63 {
		t.Errorf("routed: %+v", q)
	}
	n.Filter = func(out bool, p *Packet) string {
		if out && p.DstPort == 4500 {
			return "blocked"
		}
		return ""
	}
	if _, f := n.Outbound(0, p); f.Forwarded || f.Reason != "blocked" {
		t.Errorf("filter: %+v", f)
	}
	p.TTL = 1
	p.DstPort = 500
	if _, f := n.Outbound(0, p); f.Forwarded {
		t.Error("TTL 1 forwarded")
	}
}

// FuzzNAT feeds arbitrary payloads of every protocol the NAT inspects
// (IKE on UDP 500, PPTP control on TCP 1723, GRE keys) through both
// directions of a NAT with every helper on: it must never panic, and a
// forwarded packet always loses exactly one TTL.
func FuzzNAT(f *testing.F) {
	gre, err := EnhancedGRE{CallID: 7, HasSeq: true}.GRE(PPP(PPPLCP, PPPControl(ConfRequest, 1)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(ProtoUDP), uint16(500), (&Message{SPIi: 1, Version: 2, Exchange: V2IKESAInit}).Marshal())
	f.Add(uint8(ProtoTCP), uint16(PortPPTP), PPTPOutgoingCallRequest(7, 1, 64))
	f.Add(uint8(ProtoGRE), uint16(0), gre)
	f.Add(uint8(ProtoESP), uint16(0), ESP(testRand(), 1, 1, 20))
	f.Fuzz(func(t *testing.T, proto uint8, port uint16, payload []byte) {
		n := newNAT()
		n.StaticIKEPort, n.RewriteIKESPI, n.ESPPassthrough, n.PPTPHelper = true, true, true, true
		n.ESPSPIMatching, n.SplitESPInUDP, n.PPTPRewriteCallID = true, true, true
		n.Forwards = []Forward{{Proto: layers.IPProtocol(proto), Port: port, To: netip.AddrPortFrom(in4, port)}}
		p := Packet{Src: in4, Dst: gw4, Proto: layers.IPProtocol(proto), SrcPort: port, DstPort: port, TTL: 64, Payload: payload}
		q, fo := n.Outbound(0, p)
		if fo.Forwarded && q.TTL != 63 {
			t.Fatalf("outbound TTL %d", q.TTL)
		}
		back := Packet{Src: gw4, Dst: n.Public, Proto: p.Proto, SrcPort: port, DstPort: q.SrcPort, TTL: 50, Payload: payload}
		r, fi := n.Inbound(time.Second, back)
		if fi.Forwarded && r.TTL != 49 {
			t.Fatalf("inbound TTL %d", r.TTL)
		}
	})
}

// TestICMPErrorBuilders checks the checksums of ICMP and ICMPv6 errors
// and how much of the packet they quote.
func TestICMPErrorBuilders(t *testing.T) {
	esp := udpPacket(in4, gw4, bytes.Repeat([]byte{0xc0}, 1000))
	d, err := esp.Datagram()
	if err != nil {
		t.Fatal(err)
	}
	esp6 := udpPacket(in6, gw6, bytes.Repeat([]byte{0xc0}, 1500))
	d6, err := esp6.Datagram()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		p      Packet
		quoted int
	}{
		{"rfc 792", Packet{Src: gw4, Dst: in4, Proto: ProtoICMP, Payload: ICMPError(3, 4, 1400, d, 28)}, 28},
		{"linux", Packet{Src: gw4, Dst: in4, Proto: ProtoICMP, Payload: ICMPError(3, 3, 0, d, 0)}, QuoteMax4},
		{"icmpv6 packet too big", Packet{Src: gw6, Dst: in6, Proto: ProtoICMPv6, Payload: ICMPv6Error(gw6, in6, 2, 0, 1280, d6, 0)}, QuoteMax6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.SrcMAC, tc.p.DstMAC, tc.p.TTL = macB, macA, 64
			frames, err := tc.p.Frames(1500)
			if err != nil {
				t.Fatal(err)
			}
			p, errs := checksumErrors(t, frames[0])
			if len(errs) != 0 {
				t.Errorf("checksum errors: %v", errs)
			}
			if got := len(tc.p.Payload) - 8; got != tc.quoted {
				t.Errorf("quotes %d octets, want %d", got, tc.quoted)
			}
			if p.Layer(layers.LayerTypeICMPv4) == nil && p.Layer(layers.LayerTypeICMPv6) == nil {
				t.Errorf("no ICMP layer in %v", p.Layers())
			}
		})
	}
	// The ICMP checksum covers the message: it sums to zero.
	if m := ICMPError(3, 3, 0, d, 0); ipChecksum(m) != 0 {
		t.Errorf("ICMP checksum does not verify")
	}
}
