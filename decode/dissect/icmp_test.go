package dissect

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// icmpFrames builds and decodes frames of ICMP errors about VPN packets:
// port unreachable for ESP in UDP (a whole quote), fragmentation needed for
// raw ESP quoted as RFC 792 asks, protocol unreachable for enhanced GRE,
// administratively filtered for IKE behind the marker, ICMPv6 packet too
// big for ESP in UDP, and port unreachable for ESP in UDP quoted as RFC 792
// asks, which cuts off what tells ESP from IKE.
func icmpFrames(t *testing.T) []frame {
	t.Helper()
	addr := netip.MustParseAddr
	nat, gw, client := addr("198.51.100.1"), addr("198.51.100.2"), addr("10.0.0.2")
	nat6, gw6 := addr("2001:db8:1::1"), addr("2001:db8:2::2")
	esp := func(spi, seq uint32, n int) []byte {
		return append(append(pcaptest.U32(spi), pcaptest.U32(seq)...), make([]byte, n)...)
	}
	datagram := func(p pcaptest.Packet) []byte {
		p.TTL = 64
		d, err := p.Datagram()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	udpESP := datagram(pcaptest.Packet{Src: gw, Dst: nat, Proto: pcaptest.ProtoUDP, SrcPort: 4500, DstPort: 1042, Payload: esp(0x7aa865d2, 7, 128)})
	rawESP := datagram(pcaptest.Packet{Src: client, Dst: gw, Proto: pcaptest.ProtoESP, Payload: esp(0xc0ffee01, 9, 1400)})
	gre, err := pcaptest.EnhancedGRE{CallID: 16384, Seq: 3, HasSeq: true}.GRE(make([]byte, 40))
	if err != nil {
		t.Fatal(err)
	}
	greDatagram := datagram(pcaptest.Packet{Src: gw, Dst: nat, Proto: pcaptest.ProtoGRE, Payload: gre})
	ike := pcaptest.WithMarker((&pcaptest.Message{SPIi: 0x1122334455667788, SPIr: 0x99, Version: 2, Exchange: 37, Flags: 0x08, MessageID: 2}).Marshal())
	ikeDatagram := datagram(pcaptest.Packet{Src: nat, Dst: gw, Proto: pcaptest.ProtoUDP, SrcPort: 4500, DstPort: 4500, Payload: ike})
	esp6 := datagram(pcaptest.Packet{Src: nat6, Dst: gw6, Proto: pcaptest.ProtoUDP, SrcPort: 4500, DstPort: 4500, Payload: esp(0xbeef, 4, 1400)})
	packets := []pcaptest.Packet{
		{Src: nat, Dst: gw, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 3, 0, udpESP, 0)},
		{Src: addr("192.0.2.254"), Dst: client, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 4, 1400, rawESP, 28)},
		{Src: nat, Dst: gw, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 2, 0, greDatagram, 0)},
		{Src: gw, Dst: nat, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 13, 0, ikeDatagram, 0)},
		{Src: gw6, Dst: nat6, Proto: pcaptest.ProtoICMPv6, Payload: pcaptest.ICMPv6Error(gw6, nat6, 2, 0, 1280, esp6, 0)},
		{Src: nat, Dst: gw, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 3, 0, udpESP, 28)},
	}
	d := decode.NewDecoder(decode.Options{})
	var out []frame
	for i, p := range packets {
		p.TTL = 64
		p.SrcMAC, p.DstMAC = pcaptest.MustMAC("02:00:00:00:00:01"), pcaptest.MustMAC("02:00:00:00:00:02")
		fs, err := p.Frames(1500)
		if err != nil {
			t.Fatal(err)
		}
		rec := capture.Record{Frame: i + 1, LinkType: layers.LinkTypeEthernet, Data: fs[0], Length: len(fs[0])}
		ps := d.Decode(&rec)
		if len(ps) != 1 || ps[0].Kind != decode.KindICMPError {
			t.Fatalf("frame %d decodes as %v, want one icmp-error", i+1, ps)
		}
		out = append(out, frame{ps[0], rec})
	}
	return out
}

// TestICMP checks the trees of ICMP errors: the ICMP header, and the
// quoted packet as a subtree whose fields lie on the quoted bytes.
func TestICMP(t *testing.T) {
	want := [][]string{
		{"Internet Control Message Protocol: Destination unreachable (Port unreachable)", "Type: 3 (Destination unreachable)",
			"Quoted packet: udp-esp 198.51.100.2:4500 → 198.51.100.1:1042, 164 of 164 bytes", "User Datagram Protocol, 4500 → 1042",
			"Encapsulating Security Payload", "Sequence number: 7"},
		{"Internet Control Message Protocol: Destination unreachable (Fragmentation needed)", "MTU of next hop: 1400",
			"Quoted packet: esp 10.0.0.2 → 198.51.100.2, 28 of 1428 bytes", "SPI: 0xc0ffee01", "Sequence number: 9"},
		{"Internet Control Message Protocol: Destination unreachable (Protocol unreachable)",
			"Generic Routing Encapsulation, version 1", "Key: payload length 40, call ID 16384 (0x4000)"},
		{"Communication administratively filtered", "Non-ESP marker (RFC 3948 §2.2): 00 00 00 00",
			"Initiator SPI: 0x1122334455667788", "Version 2, exchange INFORMATIONAL, message ID 2"},
		{"Internet Control Message Protocol v6: Packet Too Big\n", "Code: 0\n", "MTU: 1280",
			"Quoted packet: udp-esp [2001:db8:1::1]:4500 → [2001:db8:2::2]:4500, 1232 of 1456 bytes", "SPI: 0x0000beef"},
		{"Quoted packet: udp 198.51.100.2:4500 → 198.51.100.1:1042, 28 of 164 bytes",
			"The quote ends before the UDP payload (IKE, ESP or keepalive)."},
	}
	for i, f := range icmpFrames(t) {
		where := "frame " + strconv.Itoa(f.p.Frame)
		root := checkFrame(t, where, &f)
		all := strings.Join(lines(root), "\n") + "\n"
		for _, w := range want[i] {
			if !strings.Contains(all, w) {
				t.Errorf("%s: no line %q in\n%s", where, w, all)
			}
		}
		// The quoted SPI lies on the SPI's bytes.
		if q := f.p.ICMP.Quote; q.Have.Has(decode.QuoteSPI) {
			n := root.Find("SPI: ")
			if n == nil || !n.HasBytes() || n.End-n.Start != 4 || binary.BigEndian.Uint32(f.rec.Data[n.Start:]) != q.ESP.SPI {
				t.Errorf("%s: SPI field %+v does not cover the quoted SPI %s", where, n, decode.SPI(q.ESP.SPI))
			}
		}
		if n := root.Find("Initiator SPI: "); n != nil && (!n.HasBytes() || binary.BigEndian.Uint64(f.rec.Data[n.Start:]) != f.p.ICMP.Quote.IKE.SPIi) {
			t.Errorf("%s: initiator SPI field [%d,%d) does not hold it", where, n.Start, n.End)
		}
		cutEverywhere(t, where, &f)
		if Packet(&f.p, nil).Find("Quoted packet: ") == nil {
			t.Errorf("%s without bytes: no quoted packet", where)
		}
	}
}
