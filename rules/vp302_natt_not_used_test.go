package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

func TestNATTNotUsed(t *testing.T) {
	r := nattNotUsed{}
	noFloat := func() *pt.Script {
		s := pt.New()
		ntV2Init(s, true)
		ntV2Auth(s, ntCli500, ntGW500)
		ntESPBoth(s, testClient, testGateway, 3, 0)
		return s
	}
	t.Run("no float, raw ESP", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"NAT-D shows a NAT in front of the initiator 10.0.0.2", "both sent NAT_DETECTION notifies",
				"2 messages after the NAT-D exchange stayed on UDP 500 without the non-ESP marker (frames 3, 4)",
				"all 6 ESP packets travel as raw IP protocol 50", "sent by the initiator and the responder"},
			inside: []int{1, 2, 3, 4, 5, 6}}.check(t, r, checkRule(t, r, oneCapture(t, noFloat().Packets)))
	})
	t.Run("float, raw ESP", func(t *testing.T) {
		s := pt.New()
		ntV2Init(s, true)
		ntV2Auth(s, ntCli4500, ntGW4500)
		ntESPBoth(s, testClient, testGateway, 2, 0)
		fs := checkRule(t, r, oneCapture(t, s.Packets))
		ntExpect{count: 1, tunnel: 1, conf: High, facts: []string{"all 4 ESP packets travel as raw"}, inside: []int{5, 6}}.check(t, r, fs)
		if len(fs) == 1 && containsAll(fs[0].Message, "never moved") {
			t.Errorf("message speaks of a missing float although IKE floated: %s", fs[0].Message)
		}
	})
	t.Run("NAT-T in use", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, ntNATTInside(5).Packets)))
	})
	t.Run("NAT-D says no NAT", func(t *testing.T) {
		s := pt.New()
		match := []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
		s.IKE(ntCli500, ntGW500, decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator, NATD: match}, 1)
		s.IKE(ntGW500, ntCli500, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse, NATD: match}, 2)
		ntV2Auth(s, ntCli500, ntGW500)
		ntESPBoth(s, testClient, testGateway, 2, 0)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("long capture, exchanges left out", func(t *testing.T) {
		s := noFloat()
		for id := uint32(2); id < 700; id++ {
			s.After(20 * time.Second)
			ntV2Info(s, ntCli500, ntGW500, id, true)
		}
		fs := checkRule(t, r, oneCapture(t, s.Packets))
		if len(fs) != 1 || !containsAll(fs[0].Message, "IKE never moved to UDP 4500: at least ") {
			t.Errorf("findings %v, want the messages counted as a lower bound", fs)
		}
	})
	t.Run("two captures", func(t *testing.T) {
		c := ntTwo(t, noFloat().Packets, pt.NAT{Map: ntKeepPorts})
		ntExpect{count: 1, tunnel: 1, conf: High, facts: []string{"frames 3, 4"},
			inside: []int{1, 2, 3, 4}, outside: []int{1, 2, 3, 4}}.check(t, r, checkRule(t, r, c))
	})
}

// containsAll reports whether s contains every one of the parts.
func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
