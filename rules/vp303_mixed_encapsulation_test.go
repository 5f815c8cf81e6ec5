package rules

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"

	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// mixedScript is the mixed-encapsulation case: NAT-T negotiated and IKE
// floated, the gateway's ESP in UDP 4500, the client's raw.
func mixedScript() *pt.Script {
	s := pt.New()
	ntV2Init(s, true)
	ntV2Auth(s, ntCli4500, ntGW4500)
	for i := uint32(1); i <= 3; i++ {
		s.ESP(ntGW4500, ntCli4500, 0xc0ffee02, i)
		s.ESP(testClient, testGateway, 0xc0ffee01, i)
		s.After(time.Second)
	}
	return s
}

func TestMixedEncapsulation(t *testing.T) {
	r := mixedEncapsulation{}
	t.Run("one capture", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"SPI 0xc0ffee02 from the responder 198.51.100.7 in UDP 4500 (3 packets)",
				"SPI 0xc0ffee01 from the initiator 10.0.0.2 as raw IP protocol 50 (3 packets)",
				"expects it inside UDP and drops it", "only through IPsec Passthrough"},
			inside: []int{1, 2, 5, 6}}.check(t, r, checkRule(t, r, oneCapture(t, mixedScript().Packets)))
	})
	t.Run("two captures", func(t *testing.T) {
		// The NAT maps 4500 to a random port and passes raw ESP, giving
		// it the outside address.
		nat := pt.NAT{Map: map[string]string{ntCli4500: testPublic + ":62001", ntCli500: testPublic + ":41500"},
			Rewrite: func(p *decode.Packet) {
				if p.Proto == 50 && p.Src == netip.MustParseAddr(testClient) {
					p.Src = netip.MustParseAddr(testPublic)
				}
			}}
		c := ntTwo(t, mixedScript().Packets, nat)
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:   []string{"the NAT forwarded 3 of 3 outbound raw ESP packets (as 203.0.113.5): IPsec Passthrough is on"},
			inside:  []int{5, 6},
			outside: []int{1, 2}}.check(t, r, checkRule(t, r, c))
	})
	t.Run("all in UDP", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, ntNATTInside(5).Packets)))
	})
	t.Run("all raw", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, rawESPScript(3, true).Packets)))
	})
}
