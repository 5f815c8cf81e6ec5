package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// splitNAT maps the client's UDP 4500 twice: IKE to 62001, ESP to 62002.
var splitNAT = pt.NAT{Map: ntNAPT, Rewrite: func(p *decode.Packet) {
	if p.Kind == decode.KindUDPESP && p.SrcPort == 62001 {
		p.SrcPort = 62002
	}
}}

func TestIKEESPSplitMapping(t *testing.T) {
	r := ikeESPSplitMapping{}
	inside := ntNATTInside(5).Packets
	t.Run("outside capture", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: Medium,
			facts: []string{"the initiator's IKE and ESP-in-UDP of one IKE SA leave from different ports",
				"IKE from 203.0.113.5:62001 (frame 3)", "ESP (SPI 0xc0ffee01) from 203.0.113.5:62002 (frames 5, 7, 9, 11)",
				"the responder 198.51.100.7 sends its ESP to the IKE mapping 203.0.113.5:62001 (5 packets)"},
			inside: []int{3, 5, 6}}.check(t, r, checkRule(t, r, oneCapture(t, ntOutside(inside, splitNAT))))
	})
	t.Run("two captures", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:   []string{"inside the NAT both leave from 10.0.0.2:4500 (inside frames 3 and 5): the NAT made two mappings for one endpoint"},
			inside:  []int{3, 5},
			outside: []int{3, 5, 6}}.check(t, r, checkRule(t, r, ntTwo(t, inside, splitNAT)))
	})
	t.Run("one mapping", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, ntTwo(t, inside, pt.NAT{Map: ntNAPT})))
	})
	t.Run("inside capture alone", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, inside)))
	})
	t.Run("second client's ESP", func(t *testing.T) {
		// Outside capture: client B's IKE SA from :62002, then client A's
		// from :62001, then B's ESP. B's SA belongs to B's tunnel (the
		// one whose IKE used the same ports), not to the latest between
		// the two addresses; it must not count against A.
		s := pt.New()
		a4500, b4500 := testPublic+":62001", testPublic+":62002"
		const spiB = 0x4444444444444444
		s.IKE(b4500, ntGW4500, decode.IKEMessage{Version: 2, SPIi: spiB, SPIr: 7, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator}, 31)
		s.IKE(ntGW4500, b4500, decode.IKEMessage{Version: 2, SPIi: spiB, SPIr: 7, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagResponse}, 32)
		s.IKE(a4500, ntGW4500, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator}, 33)
		s.IKE(ntGW4500, a4500, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagResponse}, 34)
		for i := uint32(1); i <= 3; i++ {
			s.ESP(b4500, ntGW4500, 0xbbbb0001, i)
		}
		c := oneCapture(t, s.Packets)
		if a, b := c.Captures[0].Tunnels[1], c.Captures[0].Tunnels[0]; a.SPIi != testSPIi || len(a.ESPSAs) != 0 || len(b.ESPSAs) != 1 {
			t.Fatalf("client A's tunnel %x has %d ESP SAs and B's %d, want B's SA on B's tunnel", a.SPIi, len(a.ESPSAs), len(b.ESPSAs))
		}
		ntExpect{count: 0}.check(t, r, checkRule(t, r, c))
	})
}
