package rules

import (
	"net/netip"

	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds what the ESP/AH (VP2xx) and GRE/PPTP (VP4xx) rules share:
// which way a one-way flow crosses the NAT, finding an SA or call in the
// other capture, and formatting.

// dpDir is the way a one-way flow (an SA, a GRE call direction) crosses
// the NAT.
type dpDir uint8

const (
	dpUnknown  dpDir = iota
	dpOutbound       // from the inside network out
	dpInbound        // from the outside in
)

func (d dpDir) String() string {
	switch d {
	case dpOutbound:
		return "outbound"
	case dpInbound:
		return "inbound"
	}
	return "unknown direction"
}

// dpHosts tells inbound from outbound. With two captures, an address seen
// only in the inside capture is an inside host and one seen only outside is
// the NAT's public address (or a host the inside never talks to), as the
// correlation itself decides; with one capture, private addresses are
// taken as inside and public ones as outside.
type dpHosts struct {
	insideOnly, outsideOnly map[netip.Addr]bool
}

// dpHosts returns the context's dpHosts, built on first use.
func (c *Context) dpHosts() *dpHosts {
	c.hostsOnce.Do(func() { c.hosts = newDPHosts(c) })
	return c.hosts
}

// dpView returns the context's dpView, built on first use.
func (c *Context) dpView() *dpView {
	c.dataPlaneOnce.Do(func() { c.dataPlane = newDPView(c) })
	return c.dataPlane
}

func newDPHosts(c *Context) *dpHosts {
	h := &dpHosts{}
	if !c.Two() {
		return h
	}
	in, out := dpAddrs(c.Captures[flows.SideInside]), dpAddrs(c.Captures[flows.SideOutside])
	h.insideOnly = make(map[netip.Addr]bool)
	h.outsideOnly = make(map[netip.Addr]bool)
	for a := range in {
		if !out[a] {
			h.insideOnly[a] = true
		}
	}
	for a := range out {
		if !in[a] {
			h.outsideOnly[a] = true
		}
	}
	return h
}

func dpAddrs(a *flows.Analysis) map[netip.Addr]bool {
	s := make(map[netip.Addr]bool)
	for _, f := range a.Flows {
		s[f.Key.A.Addr()] = true
		s[f.Key.B.Addr()] = true
	}
	return s
}

// dir says which way a packet from src to dst, seen in the capture of one
// side, crosses the NAT.
func (h *dpHosts) dir(side flows.Side, src, dst netip.Addr) dpDir {
	if h.insideOnly != nil {
		only := h.insideOnly
		if side == flows.SideOutside {
			only = h.outsideOnly
		}
		switch {
		case only[src] && !only[dst]:
			return dpOutbound
		case only[dst] && !only[src]:
			return dpInbound
		}
	}
	switch ps, pd := flows.IsPrivate(src), flows.IsPrivate(dst); {
	case ps && !pd:
		return dpOutbound
	case pd && !ps:
		return dpInbound
	}
	return dpUnknown
}

// dirPhrase returns ", outbound" or ", inbound" to follow an SA's label,
// or nothing when the direction is unknown.
func dirPhrase(d dpDir) string {
	if d == dpUnknown {
		return ""
	}
	return ", " + d.String()
}

// towardOther reports whether packets going dir, seen in the capture of
// side, travel toward the other capture: outbound seen inside, inbound
// seen outside. Their absence from the other capture is then a loss at the
// device between the captures. An unknown direction counts as toward.
func towardOther(side flows.Side, d dpDir) bool {
	switch d {
	case dpOutbound:
		return side == flows.SideInside
	case dpInbound:
		return side == flows.SideOutside
	}
	return true
}

// dpView is what the data-plane rules look SAs up in: which way addresses
// cross the NAT, and each capture's SAs by SPI and by sender and receiver.
// It is built once per Check, so that looking up the other capture's view
// of every SA costs a map access, not a scan: a capture may hold hundreds
// of thousands of SAs.
type dpView struct {
	c      *Context
	hosts  *dpHosts
	bySPI  [2]map[espSPIKey][]*flows.ESPSA
	byPair [2]map[[2]netip.Addr][]*flows.ESPSA
	// From the NAT mappings, filled on first use: inside hosts the NAT
	// translated, and the outside address of each host's raw ESP.
	mapped     bool
	translated map[netip.Addr]bool
	espOutside map[netip.Addr]netip.Addr
	// views maps each capture's tunnels to their report IDs, on first use.
	views map[*flows.Tunnel]int
}

type espSPIKey struct {
	spi uint32
	ah  bool
}

func newDPView(c *Context) *dpView {
	v := &dpView{c: c, hosts: c.dpHosts()}
	for i, a := range c.Captures {
		if i > 1 {
			break
		}
		v.bySPI[i] = make(map[espSPIKey][]*flows.ESPSA, len(a.SAs))
		v.byPair[i] = make(map[[2]netip.Addr][]*flows.ESPSA)
		for _, sa := range a.SAs {
			k := espSPIKey{sa.SPI, sa.AH}
			v.bySPI[i][k] = append(v.bySPI[i][k], sa)
			p := [2]netip.Addr{sa.Src, sa.Dst}
			v.byPair[i][p] = append(v.byPair[i][p], sa)
		}
	}
	return v
}

func (v *dpView) mappings() {
	if v.mapped || !v.c.Two() {
		return
	}
	v.mapped = true
	v.translated = map[netip.Addr]bool{}
	v.espOutside = map[netip.Addr]netip.Addr{}
	for _, m := range v.c.Correlation.Mappings {
		h := m.Inside.Addr()
		if m.Translated() {
			v.translated[h] = true
		}
		if _, ok := v.espOutside[h]; !ok && m.Protocol == flows.ProtoESP {
			v.espOutside[h] = m.Outside.Addr()
		}
	}
}

// translatedHost reports whether the correlation saw the NAT translate an
// inside host (in any protocol).
func (v *dpView) translatedHost(h netip.Addr) bool {
	v.mappings()
	return v.translated[h]
}

// rawESPOutside returns the outside address the NAT gave an inside host's
// raw ESP, or the zero Addr.
func (v *dpView) rawESPOutside(h netip.Addr) netip.Addr {
	v.mappings()
	return v.espOutside[h]
}

// dir says which way a packet from src to dst, seen in the capture of one
// side, crosses the NAT.
func (v *dpView) dir(side flows.Side, src, dst netip.Addr) dpDir { return v.hosts.dir(side, src, dst) }

// withSPI returns one capture's SAs with an SPI.
func (v *dpView) withSPI(side flows.Side, spi uint32, ah bool) []*flows.ESPSA {
	if int(side) >= len(v.c.Captures) {
		return nil
	}
	return v.bySPI[side][espSPIKey{spi, ah}]
}

// between returns one capture's SAs from src to dst.
func (v *dpView) between(side flows.Side, src, dst netip.Addr) []*flows.ESPSA {
	if int(side) >= len(v.c.Captures) {
		return nil
	}
	return v.byPair[side][[2]netip.Addr{src, dst}]
}

// counterpart returns the same SA as seen in the other capture: a NAT
// rewrites addresses but never the SPI. Among several SAs with the SPI,
// the first that shared packets with sa wins.
func (v *dpView) counterpart(side flows.Side, sa *flows.ESPSA) *flows.ESPSA {
	if !v.c.Two() {
		return nil
	}
	var best *flows.ESPSA
	for _, o := range v.withSPI(1-side, sa.SPI, sa.AH) {
		if best == nil || (best.Fate.Forwarded == 0 && o.Fate.Forwarded > 0) {
			best = o
		}
	}
	return best
}

// tunnelID returns the report's ID of the tunnel with a capture-local ID
// in one side's capture, or 0.
func (v *dpView) tunnelID(side flows.Side, id int) int {
	if v.views == nil {
		v.views = make(map[*flows.Tunnel]int, len(v.c.Tunnels))
		for _, tv := range v.c.Tunnels {
			for _, t := range tv.Sides {
				if t != nil {
					v.views[t] = tv.ID
				}
			}
		}
	}
	if t := captureTunnel(v.c, side, id); t != nil {
		return v.views[t]
	}
	return 0
}
