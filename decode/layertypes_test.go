package decode

import (
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Tests of the gopacket registrations (layertypes.go).

// TestPacketAPI decodes through gopacket.NewPacket, which uses the port
// registrations of layertypes.go (for TCP only when segments are decoded
// as datagrams).
func TestPacketAPI(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		want  []gopacket.LayerType
	}{
		{"keepalive", udpFrame(t, testIPA, testIPB, 4500, 4500, []byte{0xff}),
			[]gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeUDP, LayerTypeUDPEncap, LayerTypeNATTKeepalive}},
		{"udp-esp", udpFrame(t, testIPA, testIPB, 4500, 4500, espBytes(5, 5, 8)),
			[]gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeUDP, LayerTypeUDPEncap, LayerTypeESP}},
		{"pptp", tcpFrame(t, testIPA, testIPB, 40000, 1723, 1, false, pptpMessage(PPTPMessageTypeEchoRequest, 0, 0, 0)),
			[]gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeTCP, LayerTypePPTP}},
	}
	for _, tc := range tests {
		p := gopacket.NewPacket(tc.frame, layers.LayerTypeEthernet, gopacket.DecodeOptions{DecodeStreamsAsDatagrams: true})
		var got []gopacket.LayerType
		for _, l := range p.Layers() {
			got = append(got, l.LayerType())
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: layers %v, want %v (error layer: %v)", tc.name, got, tc.want, p.ErrorLayer())
		}
	}
}

// TestDecodingLayerParserProtocols checks that ESP, AH and GRE take the
// place of gopacket's own layers for IP protocols 50, 51 and 47.
func TestDecodingLayerParserProtocols(t *testing.T) {
	var (
		eth layers.Ethernet
		ip4 layers.IPv4
		esp ESP
		ah  AH
		gre GRE
	)
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &esp, &ah, &gre)
	p.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	ahESP := append([]byte{50, 1, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1}, espBytes(0x77, 2, 4)...)
	for _, tc := range []struct {
		frame []byte
		check func() bool
	}{
		{rawFrame(t, testIPA, testIPB, layers.IPProtocolESP, espBytes(0x66, 1, 4)), func() bool { return esp.SPI == 0x66 }},
		{rawFrame(t, testIPA, testIPB, layers.IPProtocolAH, ahESP), func() bool { return ah.SPI == 9 && esp.SPI == 0x77 && esp.Seq == 2 }},
		{rawFrame(t, testIPA, testIPB, layers.IPProtocolGRE, testGREv1SeqAck), func() bool { return gre.CallID == 0x1780 }},
	} {
		if err := p.DecodeLayers(tc.frame, &decoded); err != nil || !tc.check() {
			t.Errorf("DecodeLayers = %v, decoded %v, esp %+v ah %+v gre %+v", err, decoded, esp, ah, gre)
		}
	}
}
