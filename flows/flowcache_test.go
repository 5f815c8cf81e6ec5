package flows

import (
	"net/netip"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
)

// The caches of latest flows spread a concentrator's conversations over
// their slots: thousands of peers in one network, all to one port of one
// gateway, differ only in an address's last octets and in a port. Hashed
// at random, n keys fill 1-1/e of n slots (63%); the test asks for half.
func TestFlowCachesSpreadPeers(t *testing.T) {
	gw := netip.MustParseAddr("203.0.113.1")
	var keys []flowKey
	for i := range flowCacheSize {
		peer := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		p := &decode.Packet{Kind: decode.KindUDPESP, Proto: ProtoUDP, Src: peer, Dst: gw, SrcPort: 4500, DstPort: 4500}
		k, _ := packetFlowKey(p)
		keys = append(keys, k)
		// The same peer from another port, behind a NAT.
		p.SrcPort = uint16(1024 + i)
		k, _ = packetFlowKey(p)
		keys = append(keys, k)
	}
	var c flowCache
	flowSlots := map[*flowCacheEntry]bool{}
	others := newOtherSet()
	otherSlots := map[*otherEntry]bool{}
	for i := range keys {
		flowSlots[c.slot(&keys[i])] = true
		k4, ok := key4(&keys[i])
		if !ok {
			t.Fatalf("key %d is not an IPv4 conversation", i)
		}
		otherSlots[others.recentOf(k4)] = true
	}
	if n := len(flowSlots); n < flowCacheSize/2 {
		t.Errorf("%d conversations take %d of the flow cache's %d slots, want half at least", len(keys), n, flowCacheSize)
	}
	if n := len(otherSlots); n < otherRecent/2 {
		t.Errorf("%d conversations take %d of the other traffic's %d recent slots, want half at least", len(keys), n, otherRecent)
	}
}
