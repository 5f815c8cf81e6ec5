package decode

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode/capture"
)

// Builders of synthetic frames for the pipeline tests, fuzz seeds and
// benchmarks. Frames are serialized with gopacket.SerializeLayers, with
// lengths and checksums computed.

var (
	testMACA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	testMACB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
	testIPA  = netip.MustParseAddr("192.168.1.10")
	testIPB  = netip.MustParseAddr("203.0.113.5")
	test6A   = netip.MustParseAddr("2001:db8::a")
	test6B   = netip.MustParseAddr("2001:db8::b")
	testT0   = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
)

// serialize serializes layers into a frame.
func serialize(tb testing.TB, ls ...gopacket.SerializableLayer) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		tb.Fatalf("SerializeLayers: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func ethernet(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: testMACA, DstMAC: testMACB, EthernetType: t}
}

func ipv4(src, dst netip.Addr, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0x1234, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

func ipv6(src, dst netip.Addr, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

// ipPacket returns an IPv4 or IPv6 packet (no link header) carrying a
// transport built by l4 (nil for a raw payload of protocol proto).
func ipPacket(tb testing.TB, src, dst netip.Addr, proto layers.IPProtocol, l4 gopacket.SerializableLayer, payload []byte) []byte {
	tb.Helper()
	var ip gopacket.SerializableLayer
	var nl gopacket.NetworkLayer
	if src.Is4() {
		v := ipv4(src, dst, proto)
		ip, nl = v, v
	} else {
		v := ipv6(src, dst, proto)
		ip, nl = v, v
	}
	ls := []gopacket.SerializableLayer{ip}
	if l4 != nil {
		switch t := l4.(type) {
		case *layers.UDP:
			t.SetNetworkLayerForChecksum(nl)
		case *layers.TCP:
			t.SetNetworkLayerForChecksum(nl)
		}
		ls = append(ls, l4)
	}
	ls = append(ls, gopacket.Payload(payload))
	return serialize(tb, ls...)
}

// ethFrame wraps an IP packet in Ethernet.
func ethFrame(tb testing.TB, ip []byte) []byte {
	tb.Helper()
	et := layers.EthernetTypeIPv4
	if ip[0]>>4 == 6 {
		et = layers.EthernetTypeIPv6
	}
	return serialize(tb, ethernet(et), gopacket.Payload(ip))
}

// udpFrame is an Ethernet frame of UDP from src:sp to dst:dp.
func udpFrame(tb testing.TB, src, dst netip.Addr, sp, dp uint16, payload []byte) []byte {
	tb.Helper()
	return ethFrame(tb, ipPacket(tb, src, dst, layers.IPProtocolUDP, &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}, payload))
}

// tcpFrame is an Ethernet frame of a TCP segment with ACK and PSH set (and
// SYN when syn is set).
func tcpFrame(tb testing.TB, src, dst netip.Addr, sp, dp uint16, seq uint32, syn bool, payload []byte) []byte {
	tb.Helper()
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, Ack: 1, ACK: !syn, PSH: len(payload) > 0, SYN: syn, Window: 65535}
	return ethFrame(tb, ipPacket(tb, src, dst, layers.IPProtocolTCP, tcp, payload))
}

// rawFrame is an Ethernet frame of IP protocol proto carrying payload.
func rawFrame(tb testing.TB, src, dst netip.Addr, proto layers.IPProtocol, payload []byte) []byte {
	tb.Helper()
	return ethFrame(tb, ipPacket(tb, src, dst, proto, nil, payload))
}

// espBytes is an ESP packet with the given SPI and sequence number and
// n octets of opaque payload.
func espBytes(spi, seq uint32, n int) []byte {
	b := make([]byte, 8+n)
	binary.BigEndian.PutUint32(b, spi)
	binary.BigEndian.PutUint32(b[4:], seq)
	for i := 8; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	return b
}

// ikePayload appends an IKEv2 generic payload header and body.
func ikePayload(b []byte, next byte, body []byte) []byte {
	b = append(b, next, 0, 0, 0)
	binary.BigEndian.PutUint16(b[len(b)-2:], uint16(4+len(body)))
	return append(b, body...)
}

// ikeSAInit builds an IKEv2 IKE_SA_INIT request (RFC 7296 §1.2) from
// initiator src to responder dst: SA (one IKE proposal, AES-CBC-128,
// HMAC-SHA1, HMAC-SHA1-96, group 14), KE, Nonce, and the two NAT-D
// notifies of RFC 7296 §2.23 computed for src and dst, so that they match.
func ikeSAInit(spii uint64, src, dst netip.AddrPort) []byte {
	transforms := []byte{
		3, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x0e, 0, 128, // ENCR AES-CBC, key length 128
		3, 0, 0, 8, 2, 0, 0, 2, // PRF HMAC-SHA1
		3, 0, 0, 8, 3, 0, 0, 2, // INTEG HMAC-SHA1-96
		0, 0, 0, 8, 4, 0, 0, 14, // D-H group 14
	}
	prop := append([]byte{0, 0, 0, 0, 1, 1, 0, 4}, transforms...)
	binary.BigEndian.PutUint16(prop[2:], uint16(len(prop)))
	ke := append([]byte{0, 14, 0, 0}, bytes.Repeat([]byte{0x5a}, 32)...)
	nonce := bytes.Repeat([]byte{0xa5}, 32)
	natd := func(ap netip.AddrPort) []byte {
		h := sha1.New()
		binary.Write(h, binary.BigEndian, spii)
		h.Write(make([]byte, 8))
		h.Write(ap.Addr().AsSlice())
		binary.Write(h, binary.BigEndian, ap.Port())
		return h.Sum(nil)
	}
	notify := func(typ uint16, data []byte) []byte {
		return append([]byte{0, 0, byte(typ >> 8), byte(typ)}, data...)
	}
	var p []byte
	p = ikePayload(p, 34, prop) // SA, next KE
	p = ikePayload(p, 40, ke)   // KE, next Nonce
	p = ikePayload(p, 41, nonce)
	p = ikePayload(p, 41, notify(16388, natd(src)))
	p = ikePayload(p, 0, notify(16389, natd(dst)))
	hdr := make([]byte, 28)
	binary.BigEndian.PutUint64(hdr, spii)
	hdr[16] = 33   // first payload SA
	hdr[17] = 0x20 // version 2.0
	hdr[18] = 34   // IKE_SA_INIT
	hdr[19] = 0x08 // initiator
	binary.BigEndian.PutUint32(hdr[24:], uint32(28+len(p)))
	return append(hdr, p...)
}

// pptpMessage builds a PPTP control message of type t with the RFC 2637
// length for the type, call ID fields filled where the type has them.
func pptpMessage(t PPTPMessageType, callID, peerID uint16, result uint8) []byte {
	lay := pptpLayouts[t]
	b := make([]byte, lay.length)
	binary.BigEndian.PutUint16(b, uint16(lay.length))
	binary.BigEndian.PutUint16(b[2:], 1)
	binary.BigEndian.PutUint32(b[4:], PPTPMagicCookie)
	binary.BigEndian.PutUint16(b[8:], uint16(t))
	if lay.callID != 0 {
		binary.BigEndian.PutUint16(b[lay.callID:], callID)
	}
	if lay.peerID != 0 {
		binary.BigEndian.PutUint16(b[lay.peerID:], peerID)
	}
	if lay.result != 0 {
		b[lay.result] = result
	}
	return b
}

// rec makes a record of an Ethernet frame.
func rec(frame int, data []byte) *capture.Record {
	return recAt(frame, testT0.Add(time.Duration(frame)*time.Millisecond), layers.LinkTypeEthernet, data)
}

func recAt(frame int, ts time.Time, lt layers.LinkType, data []byte) *capture.Record {
	return &capture.Record{Frame: frame, Time: ts, LinkType: lt, Data: data, Length: len(data)}
}

// decodeFrames runs frames (Ethernet) through a fresh Decoder and Flush and
// returns every packet, copied.
func decodeFrames(tb testing.TB, opts Options, frames ...[]byte) ([]Packet, Stats) {
	tb.Helper()
	d := NewDecoder(opts)
	var out []Packet
	for i, f := range frames {
		out = append(out, d.Decode(rec(i+1, f))...)
	}
	out = append(out, d.Flush()...)
	return out, d.Stats()
}

// readHexDump reads a fixture in testdata/pipeline: lines starting with #
// are provenance; the rest is `tshark -x` output (offset, hex octets,
// ASCII), of which the hex octets are kept.
func readHexDump(tb testing.TB, name string) []byte {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "pipeline", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		// "0000  45 00 00 54 ...   E..T": the offset, two spaces, 16
		// columns of "xx " (48 characters), then the ASCII column, which
		// must not be read as hex.
		i := strings.Index(line, "  ")
		if i < 0 {
			continue
		}
		off, err := strconv.ParseUint(line[:i], 16, 32)
		if err != nil {
			continue
		}
		if int(off) != len(out) {
			break // a second data source (a reassembled buffer) follows
		}
		cols := line[i+2:]
		if len(cols) > 48 {
			cols = cols[:48]
		}
		for _, h := range strings.Fields(cols) {
			v, err := hex.DecodeString(h)
			if err != nil {
				tb.Fatalf("%s: bad hex %q", name, h)
			}
			out = append(out, v...)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
