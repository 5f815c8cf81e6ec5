package rules

import (
	"testing"

	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

func TestNATTPassthroughMixedMappings(t *testing.T) {
	r := nattPassthroughMixedMappings{}
	inside := ntNATTInside(3).Packets
	t.Run("static 500, random 4500", func(t *testing.T) {
		nat := pt.NAT{Map: map[string]string{ntCli500: testPublic + ":500", ntCli4500: testPublic + ":62001"}}
		ntExpect{count: 1, tunnel: 1, conf: Medium,
			facts: []string{"10.0.0.2:500 left as 203.0.113.5:500 (port preserved", "translated the NAT-T endpoint 10.0.0.2:4500 to 203.0.113.5:62001",
				"a second client behind this NAT cannot hold port 500"},
			inside: []int{1, 2, 3}, outside: []int{1, 2, 3}}.check(t, r, checkRule(t, r, ntTwo(t, inside, nat)))
	})
	t.Run("two outside addresses", func(t *testing.T) {
		nat := pt.NAT{Map: map[string]string{ntCli500: testPublic + ":41500", ntCli4500: "203.0.113.9:62001"}}
		ntExpect{count: 1, tunnel: 1, conf: Medium,
			facts:  []string{"UDP 500 the outside address 203.0.113.5 and its UDP 4500 the address 203.0.113.9"},
			inside: []int{1, 3}, outside: []int{1, 3}}.check(t, r, checkRule(t, r, ntTwo(t, inside, nat)))
	})
	t.Run("both randomised", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, ntTwo(t, inside, pt.NAT{Map: ntNAPT})))
	})
	t.Run("both kept", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, ntTwo(t, inside, pt.NAT{Map: ntKeepPorts})))
	})
	t.Run("one capture", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, inside)))
	})
}
