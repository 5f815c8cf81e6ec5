package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// forcedScript: the initiator's own NAT-D hash does not match (portZero:
// it matches with port 0), every other hash matches, both float and ESP
// travels in UDP.
func forcedScript(portZero bool) *pt.Script {
	s := pt.New()
	src := pt.NATD(decode.NATDSource, decode.NATDMismatch)
	src.PortZero = portZero
	match := []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
	s.IKE(ntCli500, ntGW500, decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator,
		NATD: []decode.NATD{src, pt.NATD(decode.NATDDestination, decode.NATDMatched)}}, 1)
	s.IKE(ntGW500, ntCli500, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse, NATD: match}, 2)
	ntV2Auth(s, ntCli4500, ntGW4500)
	ntESPBoth(s, ntCli4500, ntGW4500, 2, 0)
	return s
}

func TestForcedEncapsulation(t *testing.T) {
	r := forcedEncapsulation{}
	t.Run("libreswan port 0", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"the initiator 10.0.0.2 fakes NAT detection", "matches only with port 0, as libreswan's encapsulation=yes computes it (frame 1)",
				"4 ESP packets travelled in UDP", "without any NAT in the path"},
			inside: []int{1, 3, 5}}.check(t, r, checkRule(t, r, oneCapture(t, forcedScript(true).Packets)))
	})
	t.Run("strongSwan, two captures", func(t *testing.T) {
		c := ntTwo(t, forcedScript(false).Packets, pt.NAT{Map: map[string]string{}})
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:  []string{"does not match 10.0.0.2:500, yet the device between the captures did not translate that address and port"},
			inside: []int{1}, outside: []int{1}}.check(t, r, checkRule(t, r, c))
	})
	t.Run("strongSwan, one capture", func(t *testing.T) {
		// Without the other capture the fake looks like a NAT.
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, forcedScript(false).Packets)))
	})
	t.Run("real NAT", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, ntTwo(t, ntNATTInside(3).Packets, pt.NAT{Map: ntNAPT})))
	})
}
