package flows

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// TestMappingsOfEndpoint checks the index against its definition: the
// mappings of c.Mappings with that protocol and endpoint, in their order.
// Endpoints are drawn from a few addresses and ports, so that most have
// several mappings, across protocols too.
func TestMappingsOfEndpoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	addrs := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("2001:db8::1")}
	protos := []uint8{ProtoUDP, ProtoTCP, ProtoESP}
	endpoint := func(proto uint8) netip.AddrPort {
		port := uint16(0)
		if proto != ProtoESP {
			port = []uint16{500, 4500, 1723}[rng.IntN(3)]
		}
		return netip.AddrPortFrom(addrs[rng.IntN(len(addrs))], port)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &Correlation{}
	for i := range 300 {
		proto := protos[rng.IntN(len(protos))]
		c.Mappings = append(c.Mappings, &Mapping{Protocol: proto, Inside: endpoint(proto), Outside: endpoint(proto), First: t0.Add(time.Duration(i) * time.Second)})
	}
	want := func(proto uint8, ep netip.AddrPort, end func(*Mapping) netip.AddrPort) []*Mapping {
		var out []*Mapping
		for _, m := range c.Mappings {
			if m.Protocol == proto && end(m) == ep {
				out = append(out, m)
			}
		}
		return out
	}
	check := func() (several int) {
		for _, proto := range append(protos, ProtoGRE) {
			for _, a := range addrs {
				for _, port := range []uint16{0, 500, 4500, 1723, 9} {
					ep := netip.AddrPortFrom(a, port)
					if got, w := c.MappingsOf(proto, ep), want(proto, ep, insideEnd); !slices.Equal(got, w) {
						t.Errorf("MappingsOf(%d, %v): %d mappings, want %d in the order of Mappings", proto, ep, len(got), len(w))
					} else if len(w) > 1 {
						several++
					}
					if got, w := c.MappingsOnto(proto, ep), want(proto, ep, outsideEnd); !slices.Equal(got, w) {
						t.Errorf("MappingsOnto(%d, %v): %d mappings, want %d in the order of Mappings", proto, ep, len(got), len(w))
					}
				}
			}
		}
		return several
	}
	if check() == 0 {
		t.Fatal("no endpoint has several mappings: the test checks nothing of their order")
	}
	// Callers appending to what they got must not overwrite the index.
	for _, m := range c.Mappings {
		_ = append(c.MappingsOf(m.Protocol, m.Inside), &Mapping{})
		_ = append(c.MappingsOnto(m.Protocol, m.Outside), &Mapping{})
	}
	check()
}
