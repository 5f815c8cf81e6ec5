package decode_test

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/capture"
)

// quickModeOn4500 is frame 11 of tcpdump's isakmp4500.pcap (public capture
// corpus): an IKEv1 Quick Mode message on UDP 4500 behind the non-ESP
// marker, as `tshark -x` shows it.
const quickModeOn4500 = `
10 00 00 64 64 23 10 00 00 de ad ba 08 00 45 00
00 54 00 00 40 00 3f 11 b6 81 c0 01 02 fe c0 01
02 17 11 94 11 94 00 40 af 17 00 00 00 00 9e 89
f2 38 8f 90 bc 1e 0a 74 35 7c e3 d1 a4 bf 08 10
20 01 8b 7e 89 47 00 00 00 34 25 3b 31 86 0e 68
ec 84 15 a4 73 5a b3 f8 72 5a 3d e7 aa 09 39 24
a4 02`

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// The UDP 4500 split of RFC 3948 §2 through a gopacket DecodingLayerParser:
// UDP hands port 4500 to UDPEncap, which names the next layer from the
// payload's first octets.
func ExampleUDPEncap() {
	var (
		eth    layers.Ethernet
		ip4    layers.IPv4
		udp    layers.UDP
		encap  decode.UDPEncap
		marker decode.NonESPMarker
		ike    decode.IKE
		esp    decode.ESP
		ka     decode.NATTKeepalive
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &udp, &encap, &marker, &ike, &esp, &ka)
	var decoded []gopacket.LayerType
	if err := parser.DecodeLayers(mustHex(quickModeOn4500), &decoded); err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(decoded)
	fmt.Printf("SPIi %016x SPIr %016x exchange %d message ID %#x length %d\n", ike.SPIi, ike.SPIr, ike.Exchange, ike.MessageID, ike.Length)
	// Output:
	// [Ethernet IPv4 UDP UDPEncap NonESPMarker IKE]
	// SPIi 9e89f2388f90bc1e SPIr 0a74357ce3d1a4bf exchange 32 message ID 0x8b7e8947 length 52
}

// A Decoder turns the same frame into a Packet: a value with the
// addresses, the kind and the decoded IKE message.
func ExampleDecoder() {
	d := decode.NewDecoder(decode.Options{})
	rec := &capture.Record{Frame: 11, LinkType: layers.LinkTypeEthernet, Data: mustHex(quickModeOn4500)}
	for _, p := range d.Decode(rec) {
		fmt.Printf("frame %d: %s %v:%d -> %v:%d marker=%v\n", p.Frame, p.Kind, p.Src, p.SrcPort, p.Dst, p.DstPort, p.NonESPMarker)
		fmt.Printf("IKEv%d exchange %d, encrypted %v\n", p.IKE.Version, p.IKE.Exchange, p.IKE.Encrypted)
	}
	st := d.Stats()
	fmt.Println("frames:", st.Frames, "ike:", st.Kinds[decode.KindIKE])
	// Output:
	// frame 11: ike 192.1.2.254:4500 -> 192.1.2.23:4500 marker=true
	// IKEv1 exchange 32, encrypted true
	// frames: 1 ike: 1
}

// protocolUnreachableGRE is the ICMP message of frame 15 of the lab's
// pptp-gre-nohelper outside capture (after Ethernet and the IPv4 header):
// the NAT, which has no PPTP helper, refuses enhanced GRE for call 16384.
const protocolUnreachableGRE = `
03 02 00 3b 00 00 00 00 45 00 00 32 44 77 40 00
40 2f a1 bb c6 33 64 02 c6 33 64 01 30 81 88 0b
00 0e 40 00 00 00 00 00 00 00 00 00 ff 03 c0 21
01 01 00 0a 05 06 be ef 80 01`

// An ICMP error and the VPN packet it quotes.
func ExampleParseICMPError() {
	var e decode.ICMPError
	if err := decode.ParseICMPError(mustHex(protocolUnreachableGRE), false, &e); err != nil {
		fmt.Println("error:", err)
		return
	}
	q := e.Quote
	fmt.Printf("%s: %s\n", e.TypeName(), e.CodeName())
	fmt.Printf("quotes %v %s -> %s, %d of %d octets, VPN %v\n", q.Kind, q.Src, q.Dst, q.Quoted, q.Length, q.VPN)
	fmt.Printf("GRE version %d, call ID %d\n", q.GRE.Version, q.GRE.CallID)
	// Output:
	// Destination unreachable: Protocol unreachable
	// quotes gre 198.51.100.2 -> 198.51.100.1, 50 of 50 octets, VPN true
	// GRE version 1, call ID 16384
}
