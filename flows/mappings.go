package flows

import (
	"net/netip"
	"sync"
)

// The mappings of a busy NAT run to the hundred thousand; the rules and
// the correlation ask about them once per tunnel, per client or per ICMP
// error. A scan of all of them for each question would make the analysis
// quadratic, so the questions are answered from an index built once.

// endpointKey names one end of a mapping.
type endpointKey struct {
	proto uint8
	ep    netip.AddrPort
}

// mappingIndex indexes a correlation's Mappings, which must not change
// once it is built.
type mappingIndex struct {
	once    sync.Once
	inside  map[endpointKey][]*Mapping
	outside map[endpointKey][]*Mapping
	// natAddrs are the outside addresses of translated mappings,
	// translatedHosts their inside addresses.
	natAddrs, translatedHosts map[netip.Addr]bool
}

func (c *Correlation) index() *mappingIndex {
	x := &c.mappingIndex
	x.once.Do(func() {
		x.inside = make(map[endpointKey][]*Mapping, len(c.Mappings))
		x.outside = make(map[endpointKey][]*Mapping, len(c.Mappings))
		x.natAddrs = make(map[netip.Addr]bool)
		x.translatedHosts = make(map[netip.Addr]bool)
		for _, m := range c.Mappings {
			in, out := endpointKey{m.Protocol, m.Inside}, endpointKey{m.Protocol, m.Outside}
			x.inside[in] = append(x.inside[in], m)
			x.outside[out] = append(x.outside[out], m)
			if m.Translated() {
				x.natAddrs[m.Outside.Addr()] = true
				x.translatedHosts[m.Inside.Addr()] = true
			}
		}
	})
	return x
}

// MappingsOf returns the mappings of an inside endpoint for a protocol, in
// the order of Mappings (time order). Raw ESP, AH and GRE endpoints have
// port 0.
func (c *Correlation) MappingsOf(proto uint8, inside netip.AddrPort) []*Mapping {
	return c.index().inside[endpointKey{proto, inside}]
}

// MappingsOnto returns the mappings onto an outside endpoint for a
// protocol, in the order of Mappings.
func (c *Correlation) MappingsOnto(proto uint8, outside netip.AddrPort) []*Mapping {
	return c.index().outside[endpointKey{proto, outside}]
}

// NATOutsideAddr reports whether a is an address the device between the
// captures translated inside hosts to, as the mappings show: one of the
// NAT's outside addresses.
func (c *Correlation) NATOutsideAddr(a netip.Addr) bool {
	return c.index().natAddrs[a]
}
