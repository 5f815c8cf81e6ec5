package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// TestContextJoinsBySPIs checks that an IKE SA whose messages could not be
// matched across the captures (the outside capture cut them at its snap
// length, so their bytes differ) is still one tunnel: its SPIs are the
// same on both sides.
func TestContextJoinsBySPIs(t *testing.T) {
	s := pt.New()
	ntV2Init(s, true)
	ntV2Auth(s, ntCli4500, ntGW4500)
	ntESPBoth(s, ntCli4500, ntGW4500, 5, 0)
	nat := pt.NAT{Map: ntNAPT, Rewrite: func(p *decode.Packet) {
		if p.IKE != nil {
			p.PayloadHash ^= 0xffff
		}
	}}
	c := ntTwoPkts(t, s.Packets, nat.Translate(s.Packets))
	if len(c.Tunnels) != 1 || c.Tunnels[0].Sides[0] == nil || c.Tunnels[0].Sides[1] == nil {
		t.Fatalf("got %d tunnel views, want one seen on both sides", len(c.Tunnels))
	}
	// Other SPIs outside are another IKE SA.
	nat.Rewrite = func(p *decode.Packet) {
		if p.IKE != nil {
			m := *p.IKE
			m.SPIi ^= 1
			p.IKE = &m
			p.PayloadHash ^= 0xffff
		}
	}
	if c := ntTwoPkts(t, s.Packets, nat.Translate(s.Packets)); len(c.Tunnels) != 2 {
		t.Errorf("other SPIs outside: got %d tunnel views, want 2", len(c.Tunnels))
	}
}
