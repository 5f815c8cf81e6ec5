package rules

import (
	"net/netip"

	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds the data-plane view the ESP/AH rules and the verdicts
// share: which way a packet crosses the NAT, and each capture's SAs indexed
// by SPI and by sender and receiver, built once per context.

// direction is the way a one-way flow (an SA, a GRE call direction) crosses
// the NAT.
type direction uint8

const (
	dirUnknown  direction = iota
	dirOutbound           // from the inside network out
	dirInbound            // from the outside in
)

func (d direction) String() string {
	switch d {
	case dirOutbound:
		return "outbound"
	case dirInbound:
		return "inbound"
	}
	return "unknown direction"
}

// hostSides tells inbound from outbound by the side of the NAT each address
// is on. With two captures, an address seen only in the inside capture is
// an inside host and one seen only outside is the NAT's public address (or
// a host the inside never talks to), as the correlation itself decides
// (flows.Correlation.OnlyIn); with one capture, private addresses are taken
// as inside and public ones as outside.
type hostSides struct {
	cor *flows.Correlation // nil with one capture
}

// hostSides returns the context's hostSides, built on first use.
func (c *Context) hostSides() *hostSides {
	c.hostsOnce.Do(func() {
		c.hosts = &hostSides{}
		if c.Two() {
			c.hosts.cor = c.Correlation
		}
	})
	return c.hosts
}

// dataPlane returns the context's dataPlane, built on first use.
func (c *Context) dataPlane() *dataPlane {
	c.planeOnce.Do(func() { c.plane = newDataPlane(c) })
	return c.plane
}

// dir says which way a packet from src to dst, seen in the capture of one
// side, crosses the NAT.
func (h *hostSides) dir(side flows.Side, src, dst netip.Addr) direction {
	if h.cor != nil {
		switch os, od := h.cor.OnlyIn(side, src), h.cor.OnlyIn(side, dst); {
		case os && !od:
			return dirOutbound
		case od && !os:
			return dirInbound
		}
	}
	switch ps, pd := flows.IsPrivate(src), flows.IsPrivate(dst); {
	case ps && !pd:
		return dirOutbound
	case pd && !ps:
		return dirInbound
	}
	return dirUnknown
}

// dirPhrase returns ", outbound" or ", inbound" to follow an SA's label,
// or nothing when the direction is unknown.
func dirPhrase(d direction) string {
	if d == dirUnknown {
		return ""
	}
	return ", " + d.String()
}

// towardOther reports whether packets going dir, seen in the capture of
// side, travel toward the other capture: outbound seen inside, inbound
// seen outside. Their absence from the other capture is then a loss at the
// device between the captures. An unknown direction counts as toward.
func towardOther(side flows.Side, d direction) bool {
	switch d {
	case dirOutbound:
		return side == flows.SideInside
	case dirInbound:
		return side == flows.SideOutside
	}
	return true
}

// dataPlane is what the data-plane rules look SAs up in: which way addresses
// cross the NAT, and each capture's SAs by SPI and by sender and receiver.
// It is built once per context, so that looking up the other capture's view
// of every SA costs a map access, not a scan: a capture may hold hundreds
// of thousands of SAs.
type dataPlane struct {
	c      *Context
	hosts  *hostSides
	bySPI  [2]map[espSPIKey][]*flows.ESPSA
	byPair [2]map[[2]netip.Addr][]*flows.ESPSA
}

type espSPIKey struct {
	spi uint32
	ah  bool
}

func newDataPlane(c *Context) *dataPlane {
	v := &dataPlane{c: c, hosts: c.hostSides()}
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

// rawESPOutside returns the outside address the NAT gave an inside host's
// raw ESP (its first such mapping), or the zero Addr.
func (v *dataPlane) rawESPOutside(h netip.Addr) netip.Addr {
	if !v.c.Two() {
		return netip.Addr{}
	}
	if ms := v.c.Correlation.MappingsOf(flows.ProtoESP, netip.AddrPortFrom(h, 0)); len(ms) > 0 {
		return ms[0].Outside.Addr()
	}
	return netip.Addr{}
}

// dir says which way a packet from src to dst, seen in the capture of one
// side, crosses the NAT.
func (v *dataPlane) dir(side flows.Side, src, dst netip.Addr) direction {
	return v.hosts.dir(side, src, dst)
}

// withSPI returns one capture's SAs with an SPI.
func (v *dataPlane) withSPI(side flows.Side, spi uint32, ah bool) []*flows.ESPSA {
	if int(side) >= len(v.c.Captures) {
		return nil
	}
	return v.bySPI[side][espSPIKey{spi, ah}]
}

// between returns one capture's SAs from src to dst.
func (v *dataPlane) between(side flows.Side, src, dst netip.Addr) []*flows.ESPSA {
	if int(side) >= len(v.c.Captures) {
		return nil
	}
	return v.byPair[side][[2]netip.Addr{src, dst}]
}

// counterpart returns the same SA as seen in the other capture: a NAT
// rewrites addresses but never the SPI. Among several SAs with the SPI,
// the first that shared packets with sa wins.
func (v *dataPlane) counterpart(side flows.Side, sa *flows.ESPSA) *flows.ESPSA {
	if !v.c.Two() {
		return nil
	}
	var best *flows.ESPSA
	for _, o := range v.withSPI(1-side, sa.SPI, sa.AH) {
		if best == nil || (best.Fate().Forwarded == 0 && o.Fate().Forwarded > 0) {
			best = o
		}
	}
	return best
}

// tunnelID returns the report's ID of the tunnel with a capture-local ID
// in one side's capture, or 0.
func (v *dataPlane) tunnelID(side flows.Side, id int) int {
	if tv := v.c.ViewOf(side, captureTunnel(v.c, side, id)); tv != nil {
		return tv.ID
	}
	return 0
}
