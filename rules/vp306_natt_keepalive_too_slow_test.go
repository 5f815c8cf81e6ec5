package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

func TestNATTKeepaliveTooSlow(t *testing.T) {
	r := nattKeepaliveTooSlow{}
	quiet := func() *pt.Script {
		s := pt.New()
		ntV2Init(s, true)
		ntV2Auth(s, ntCli4500, ntGW4500)
		seq := ntESPBoth(s, ntCli4500, ntGW4500, 3, 0)
		s.After(45 * time.Second)
		ntESPBoth(s, ntCli4500, ntGW4500, 3, seq)
		return s
	}
	t.Run("one capture", func(t *testing.T) {
		s := quiet()
		after := ntFrameOf(t, s.Packets, func(p *decode.Packet) bool { return p.ESP.Seq == 4 })
		ntExpect{count: 1, tunnel: 1, conf: Medium,
			facts: []string{"initiator 10.0.0.2, behind the NAT, and 198.51.100.7 was idle for 46.0s", "10.0.0.2 sent no NAT-T keepalives",
				"the responder's traffic still arrived afterwards"},
			inside: []int{after - 1, after}}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
		ntExpect{count: 0}.check(t, natMappingExpired{}, checkRule(t, natMappingExpired{}, oneCapture(t, s.Packets)))
	})
	t.Run("two captures", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: Medium, facts: []string{"(between inside frames 10 and 11"}, outside: []int{10, 11}}.
			check(t, r, checkRule(t, r, ntTwo(t, quiet().Packets, pt.NAT{Map: ntNAPT})))
	})
	t.Run("expired is VP305's", func(t *testing.T) {
		s, _ := rebindInside(46 * time.Second)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("short pause", func(t *testing.T) {
		s := pt.New()
		ntV2Init(s, true)
		ntV2Auth(s, ntCli4500, ntGW4500)
		seq := ntESPBoth(s, ntCli4500, ntGW4500, 3, 0)
		s.After(25 * time.Second)
		ntESPBoth(s, ntCli4500, ntGW4500, 3, seq)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
}
