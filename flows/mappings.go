package flows

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
)

// The mappings of a busy NAT run to the hundred thousand; the rules and
// the correlation ask about them once per tunnel, per client or per ICMP
// error. A scan of all of them for each question would make the analysis
// quadratic, so the questions are answered from an index built once.

// mappingIndex indexes a correlation's Mappings, which must not change
// once it is built: two copies of the list, sorted by inside and by
// outside endpoint (protocol first), each a fifth of what a map of the same
// endpoints takes. A lookup is a binary search, and the mappings of one
// endpoint stay in the order of Mappings (time order).
type mappingIndex struct {
	once            sync.Once
	inside, outside []*Mapping
	// natAddrs are the outside addresses of translated mappings,
	// translatedHosts their inside addresses.
	natAddrs, translatedHosts map[netip.Addr]bool
}

func (c *Correlation) index() *mappingIndex {
	x := &c.mappingIndex
	x.once.Do(func() {
		x.inside = slices.Clone(c.Mappings)
		slices.SortStableFunc(x.inside, func(a, b *Mapping) int { return compareEndpoint(a.Protocol, a.Inside, b.Protocol, b.Inside) })
		x.outside = slices.Clone(c.Mappings)
		slices.SortStableFunc(x.outside, func(a, b *Mapping) int { return compareEndpoint(a.Protocol, a.Outside, b.Protocol, b.Outside) })
		x.natAddrs = make(map[netip.Addr]bool)
		x.translatedHosts = make(map[netip.Addr]bool)
		for _, m := range c.Mappings {
			if m.Translated() {
				x.natAddrs[m.Outside.Addr()] = true
				x.translatedHosts[m.Inside.Addr()] = true
			}
		}
	})
	return x
}

func compareEndpoint(protoA uint8, a netip.AddrPort, protoB uint8, b netip.AddrPort) int {
	if c := cmp.Compare(protoA, protoB); c != 0 {
		return c
	}
	return a.Compare(b)
}

// mappingsAt returns the run of sorted, which end (the inside or outside
// endpoint) orders, whose end is ep: a slice of the index, which callers
// cannot append over.
func mappingsAt(sorted []*Mapping, end func(*Mapping) netip.AddrPort, proto uint8, ep netip.AddrPort) []*Mapping {
	lo, _ := slices.BinarySearchFunc(sorted, ep, func(m *Mapping, ep netip.AddrPort) int {
		return compareEndpoint(m.Protocol, end(m), proto, ep)
	})
	hi := lo
	for hi < len(sorted) && sorted[hi].Protocol == proto && end(sorted[hi]) == ep {
		hi++
	}
	if hi == lo {
		return nil
	}
	return sorted[lo:hi:hi]
}

func insideEnd(m *Mapping) netip.AddrPort  { return m.Inside }
func outsideEnd(m *Mapping) netip.AddrPort { return m.Outside }

// MappingsOf returns the mappings of an inside endpoint for a protocol, in
// the order of Mappings (time order). Raw ESP, AH and GRE endpoints have
// port 0.
func (c *Correlation) MappingsOf(proto uint8, inside netip.AddrPort) []*Mapping {
	return mappingsAt(c.index().inside, insideEnd, proto, inside)
}

// MappingsOnto returns the mappings onto an outside endpoint for a
// protocol, in the order of Mappings.
func (c *Correlation) MappingsOnto(proto uint8, outside netip.AddrPort) []*Mapping {
	return mappingsAt(c.index().outside, outsideEnd, proto, outside)
}

// NATOutsideAddr reports whether a is an address the device between the
// captures translated inside hosts to, as the mappings show: one of the
// NAT's outside addresses.
func (c *Correlation) NATOutsideAddr(a netip.Addr) bool {
	return c.index().natAddrs[a]
}
