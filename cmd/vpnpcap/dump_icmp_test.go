package main

import (
	"bytes"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// writeICMPCapture writes a capture of ICMP errors about VPN packets, for
// the dump golden files: port unreachable for ESP in UDP (a whole quote, as
// Linux sends), fragmentation needed for raw ESP and port unreachable for
// ESP in UDP quoted as RFC 792 asks (the IP header and 8 octets), protocol
// unreachable for enhanced GRE, administratively filtered for IKE cut
// after the initiator SPI, ICMPv6 packet too big for ESP in UDP; and two
// that dump leaves out: port unreachable for DNS, and an echo request.
func writeICMPCapture(t *testing.T, path string) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcaptest.NewWriter(&buf, pcaptest.DefaultSnapLen)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr
	nat, gw, client, router := addr("198.51.100.1"), addr("198.51.100.2"), addr("10.0.0.2"), addr("192.0.2.254")
	nat6, gw6 := addr("2001:db8:1::1"), addr("2001:db8:2::2")
	mac1, mac2 := pcaptest.MustMAC("02:00:00:00:00:01"), pcaptest.MustMAC("02:00:00:00:00:02")
	esp := func(spi, seq uint32, n int) []byte {
		b := append(pcaptest.U32(spi), pcaptest.U32(seq)...)
		return append(b, bytes.Repeat([]byte{0xa5}, n)...)
	}
	datagram := func(p pcaptest.Packet) []byte {
		d, err := p.Datagram()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	frame := 0
	write := func(p pcaptest.Packet) {
		p.SrcMAC, p.DstMAC, p.TTL = mac1, mac2, 64
		fs, err := p.Frames(1500)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			frame++
			if err := w.WritePacket(t0.Add(time.Duration(frame)*time.Millisecond), f); err != nil {
				t.Fatal(err)
			}
		}
	}
	icmp := func(src, dst netip.Addr, typ, code uint8, rest uint32, quoted []byte, n int) {
		write(pcaptest.Packet{Src: src, Dst: dst, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(typ, code, rest, quoted, n)})
	}
	udpESP := pcaptest.Packet{Src: gw, Dst: nat, Proto: pcaptest.ProtoUDP, ID: 0x4ed2, TTL: 64, SrcPort: 4500, DstPort: 1042,
		ZeroUDPChecksum: true, Payload: esp(0x7aa865d2, 7, 128)}
	write(udpESP)
	icmp(nat, gw, 3, 3, 0, datagram(udpESP), 0)
	rawESP := pcaptest.Packet{Src: client, Dst: gw, Proto: pcaptest.ProtoESP, ID: 7, TTL: 64, DF: true, Payload: esp(0xc0ffee01, 9, 1400)}
	icmp(router, client, 3, 4, 1400, datagram(rawESP), 28)
	icmp(nat, gw, 3, 3, 0, datagram(udpESP), 28)
	gre, err := pcaptest.EnhancedGRE{CallID: 16384, Seq: 3, HasSeq: true}.GRE(pcaptest.PPP(pcaptest.PPPIP, bytes.Repeat([]byte{0x45}, 40)))
	if err != nil {
		t.Fatal(err)
	}
	icmp(nat, gw, 3, 2, 0, datagram(pcaptest.Packet{Src: gw, Dst: nat, Proto: pcaptest.ProtoGRE, ID: 0x4477, TTL: 64, Payload: gre}), 0)
	ike := (&pcaptest.Message{SPIi: 0xae24b8a21fcd1cfe, Version: 2, Exchange: 34, Flags: 0x08}).Marshal()
	icmp(router, nat, 3, 13, 0, datagram(pcaptest.Packet{Src: nat, Dst: gw, Proto: pcaptest.ProtoUDP, ID: 9, TTL: 64, SrcPort: 500, DstPort: 500, Payload: ike}), 36)
	esp6 := datagram(pcaptest.Packet{Src: nat6, Dst: gw6, Proto: pcaptest.ProtoUDP, TTL: 64, SrcPort: 4500, DstPort: 4500, Payload: esp(0xbeef, 4, 1400)})
	write(pcaptest.Packet{Src: gw6, Dst: nat6, Proto: pcaptest.ProtoICMPv6, Payload: pcaptest.ICMPv6Error(gw6, nat6, 2, 0, 1280, esp6, 0)})
	icmp(gw, client, 3, 3, 0, datagram(pcaptest.Packet{Src: client, Dst: gw, Proto: pcaptest.ProtoUDP, TTL: 64, SrcPort: 53000, DstPort: 53, Payload: pcaptest.DNSQuery(1, "example.org")}), 0)
	write(pcaptest.Packet{Src: client, Dst: gw, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPEcho(false, 1, 1, make([]byte, 56))})
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
