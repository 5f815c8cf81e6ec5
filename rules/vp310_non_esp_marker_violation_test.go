package rules

import (
	"testing"

	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

func TestNonESPMarkerViolation(t *testing.T) {
	r := nonESPMarkerViolation{}
	t.Run("marker on 500", func(t *testing.T) {
		s := pt.New()
		ntV2Init(s, true)
		ntV2Auth(s, ntCli500, ntGW500)
		s.Packets[2].NonESPMarker = true
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:  []string{"1 IKE message of this IKE SA carries the non-ESP marker on UDP port 500 (frame 3)"},
			inside: []int{3}}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	markerless := func() *pt.Script {
		s := pt.New()
		ntV2Init(s, true)
		// IKE_AUTH on 4500 without the marker reads as ESP whose SPI and
		// sequence number are the initiator SPI.
		s.ESP(ntCli4500, ntGW4500, uint32(testSPIi>>32), uint32(testSPIi&0xffffffff))
		s.ESP(ntCli4500, ntGW4500, uint32(testSPIi>>32), uint32(testSPIi&0xffffffff))
		return s
	}
	t.Run("missing marker", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"2 IKE messages of this IKE SA travel on UDP port 4500 without the non-ESP marker (frames 3, 4, first 10.0.0.2:4500 to 198.51.100.7:4500)",
				"initiator SPI 0x1111111111111111 for an ESP SPI (0x11111111)"},
			inside: []int{3, 4}}.check(t, r, checkRule(t, r, oneCapture(t, markerless().Packets)))
	})
	t.Run("missing marker, two captures", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High, facts: []string{"(inside frames 3, 4"},
			inside: []int{3, 4}, outside: []int{3, 4}}.check(t, r, checkRule(t, r, ntTwo(t, markerless().Packets, pt.NAT{Map: ntNAPT})))
	})
	t.Run("reserved SPI", func(t *testing.T) {
		s := ntNATTInside(2)
		s.ESP(testClient+":4500", "192.0.2.77:4500", 7, 1)
		fs := checkRule(t, r, oneCapture(t, s.Packets))
		ntExpect{count: 1, tunnel: 0, conf: Medium, facts: []string{"carries SPI 7", "RFC 4303 reserves"}, inside: []int{len(s.Packets)}}.check(t, r, fs)
		if len(fs) == 1 && fs[0].Subject == "" {
			t.Errorf("finding has no subject")
		}
	})
	t.Run("NAT-T as it should be", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, ntTwo(t, ntNATTInside(5).Packets, pt.NAT{Map: ntNAPT})))
	})
}
