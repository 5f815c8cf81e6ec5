package decode

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vpnpcap/vpnpcap/decode/capture"
)

// benchCapture builds, in memory, a pcap of a mixed capture: per 100 frames
// 60 of background traffic (25 HTTPS data segments and 15 ACKs over IPv4,
// 15 DNS queries and answers, 5 IPv6 HTTPS and DNS frames) and 40 of VPN
// traffic (5 IKE_SA_INIT, 15 ESP, 12 UDP-encapsulated ESP, 3 NAT-T
// keepalives, 5 PPTP enhanced GRE). It returns the file and its frame
// count.
func benchCapture(tb testing.TB, frames int) ([]byte, int) {
	tb.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		tb.Fatal(err)
	}
	https := bytes.Repeat([]byte{0x17, 0x03, 0x03, 0x42}, 350)
	dnsQ := bytes.Repeat([]byte{0x01}, 40)
	dnsA := bytes.Repeat([]byte{0x02}, 110)
	ppp := append([]byte{0xff, 0x03, 0x00, 0x21}, bytes.Repeat([]byte{0x45}, 96)...)
	client, server := netip.AddrPortFrom(testIPA, 500), netip.AddrPortFrom(testIPB, 500)
	greV1 := func(seq uint32) []byte {
		b := []byte{0x30, 0x81, 0x88, 0x0b, 0, byte(len(ppp)), 0x40, 0x01, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[8:], seq)
		return append(b, ppp...)
	}
	for i := 0; i < frames; i++ {
		n := uint32(i)
		var f []byte
		switch k := i % 100; {
		case k < 25:
			f = tcpFrame(tb, testIPA, testIPB, 50000+uint16(k), 443, 1000+n*1400, false, https)
		case k < 40:
			f = tcpFrame(tb, testIPB, testIPA, 443, 50000+uint16(k), 7000+n, false, nil)
		case k < 48:
			f = udpFrame(tb, testIPA, testIPB, 40000+uint16(k), 53, dnsQ)
		case k < 55:
			f = udpFrame(tb, testIPB, testIPA, 53, 40000+uint16(k), dnsA)
		case k < 58:
			f = tcpFrame(tb, test6A, test6B, 50000+uint16(k), 443, n*1200, false, https[:1200])
		case k < 60:
			f = udpFrame(tb, test6A, test6B, 40000+uint16(k), 53, dnsQ)
		case k < 65:
			f = udpFrame(tb, testIPA, testIPB, 500, 500, ikeSAInit(0x1122334400000000+uint64(i), client, server))
		case k < 80:
			f = rawFrame(tb, testIPA, testIPB, layers.IPProtocolESP, espBytes(0xc0ffee01, n+1, 1392))
		case k < 92:
			f = udpFrame(tb, testIPA, testIPB, 4500, 4500, espBytes(0xc0ffee02, n+1, 1384))
		case k < 95:
			f = udpFrame(tb, testIPA, testIPB, 4500, 4500, []byte{0xff})
		default:
			f = rawFrame(tb, testIPA, testIPB, layers.IPProtocolGRE, greV1(n))
		}
		ci := gopacket.CaptureInfo{Timestamp: testT0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes(), frames
}

const benchFrames = 5000

// BenchmarkDecode runs the Reader and the Decoder over the mixed capture.
func BenchmarkDecode(b *testing.B) {
	data, n := benchCapture(b, benchFrames)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := capture.NewReader(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		d := NewDecoder(Options{})
		var rec capture.Record
		for {
			if err := r.Next(&rec); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			d.Decode(&rec)
		}
		d.Flush()
		if st := d.Stats(); st.Frames != n {
			b.Fatalf("decoded %d frames, want %d", st.Frames, n)
		}
	}
}

// BenchmarkBaselineGopacket is the yardstick for BenchmarkDecode: a bare
// gopacket loop (pcapgo reader, zero-copy reads, a DecodingLayerParser over
// Ethernet, IPv4, IPv6, UDP and TCP) over the same bytes.
func BenchmarkBaselineGopacket(b *testing.B) {
	data, n := benchCapture(b, benchFrames)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var (
		eth layers.Ethernet
		ip4 layers.IPv4
		ip6 layers.IPv6
		udp layers.UDP
		tcp layers.TCP
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &udp, &tcp)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	for b.Loop() {
		r, err := pcapgo.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for {
			frame, _, err := r.ZeroCopyReadPacketData()
			if err != nil {
				break
			}
			_ = parser.DecodeLayers(frame, &decoded)
			count++
		}
		if count != n {
			b.Fatalf("read %d frames, want %d", count, n)
		}
	}
}

// BenchmarkDecodeFrame decodes single frames, one sub-benchmark per kind.
func BenchmarkDecodeFrame(b *testing.B) {
	for _, fx := range frameFixtures(b) {
		b.Run(fx.name, func(b *testing.B) {
			d := NewDecoder(Options{})
			r := rec(1, fx.data)
			b.ReportAllocs()
			b.SetBytes(int64(len(fx.data)))
			for b.Loop() {
				d.Decode(r)
			}
		})
	}
}

// frameFixtures are one synthetic frame per common shape, the non-VPN
// ones first (these must decode without allocating).
type frameFixture struct {
	name string
	data []byte
	vpn  bool
}

func frameFixtures(tb testing.TB) []frameFixture {
	tb.Helper()
	client, server := netip.AddrPortFrom(testIPA, 500), netip.AddrPortFrom(testIPB, 500)
	return []frameFixture{
		{"eth-ipv4-tcp-https", tcpFrame(tb, testIPA, testIPB, 50000, 443, 1, false, bytes.Repeat([]byte{0x17}, 1200)), false},
		{"eth-ipv4-tcp-ack", tcpFrame(tb, testIPB, testIPA, 443, 50000, 1, false, nil), false},
		{"eth-ipv4-udp-dns", udpFrame(tb, testIPA, testIPB, 40000, 53, bytes.Repeat([]byte{1}, 40)), false},
		{"eth-ipv6-udp-dns", udpFrame(tb, test6A, test6B, 40000, 53, bytes.Repeat([]byte{1}, 40)), false},
		{"eth-ipv6-tcp-https", tcpFrame(tb, test6A, test6B, 50000, 443, 1, false, bytes.Repeat([]byte{0x17}, 1200)), false},
		{"eth-arp", serialize(tb, ethernet(layers.EthernetTypeARP), gopacket.Payload(make([]byte, 28))), false},
		{"eth-ipv4-icmp-echo", icmpFrame(tb, testIPA, testIPB, 8, 0, 0x00010001, bytes.Repeat([]byte{0x61}, 56)), false},
		// ICMP errors about traffic that is not VPN traffic: their quotes
		// are decoded, and nothing is kept.
		{"eth-ipv4-icmp-port-unreachable-dns", icmpFrame(tb, testIPB, testIPA, 3, 3, 0,
			ipPacket(tb, testIPA, testIPB, layers.IPProtocolUDP, &layers.UDP{SrcPort: 40000, DstPort: 53}, bytes.Repeat([]byte{1}, 40))), false},
		{"eth-ipv6-icmp-too-big-https", icmpFrame(tb, test6B, test6A, 2, 0, 1280,
			ipPacket(tb, test6A, test6B, layers.IPProtocolTCP, &layers.TCP{SrcPort: 50000, DstPort: 443, ACK: true}, bytes.Repeat([]byte{0x17}, 1100))), false},
		{"esp", rawFrame(tb, testIPA, testIPB, layers.IPProtocolESP, espBytes(0x1001, 1, 1392)), true},
		{"udp-esp", udpFrame(tb, testIPA, testIPB, 4500, 4500, espBytes(0x1002, 1, 1384)), true},
		{"nat-keepalive", udpFrame(tb, testIPA, testIPB, 4500, 4500, []byte{0xff}), true},
		{"ike-sa-init", udpFrame(tb, testIPA, testIPB, 500, 500, ikeSAInit(0x7777777700000007, client, server)), true},
		{"icmp-port-unreachable-udp-esp", icmpFrame(tb, testIPB, testIPA, 3, 3, 0,
			ipPacket(tb, testIPA, testIPB, layers.IPProtocolUDP, &layers.UDP{SrcPort: 4500, DstPort: 4500}, espBytes(0x1003, 1, 200))), true},
	}
}
