package rules

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// ikeESPSplitMapping detects one IKE SA whose IKE (behind the non-ESP
// marker) and ESP-in-UDP leave the NATed peer's side from different outside
// ports at the same time: the NAT, or an ALG in it, created two mappings for
// what the peer sends from one UDP 4500 socket.
//
// RFC 3948 puts IKE and ESP of one SA on one UDP port pair so that one NAT
// mapping carries both. The other peer learns the port from IKE and sends
// its ESP there (or from ESP and sends IKE there); with two mappings, one
// direction goes to a port the NAT forwards elsewhere or nowhere
// (libreswan issue #2012).
//
// Make the NAT treat UDP 4500 of one inside host as one mapping: turn off
// the IPsec/ESP ALG that handles ESP-in-UDP separately, or use an
// endpoint-independent mapping (RFC 4787 §4.1) for UDP 4500.
//
// Packets of another IKE SA from the same outside address (a second client
// behind the NAT) are excluded. The two paths must be in use within one
// NATUDPTimeout of each other, which keeps a mapping that expired and was
// replaced (VP305) out. High confidence when the inside capture shows both
// leaving one inside endpoint, medium on one capture.
type ikeESPSplitMapping struct{}

func (ikeESPSplitMapping) Meta() Meta {
	return Meta{
		ID:         "VP307",
		Slug:       "ike-esp-split-mapping",
		Title:      "IKE and ESP-in-UDP of one IKE SA use different outside ports",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "which ports IKE and ESP used at the same time",
		Explanation: "The peer behind the NAT sends IKE and UDP-encapsulated ESP of the same IKE SA from one UDP 4500 socket, " +
			"but outside the NAT they leave from two different ports: the NAT (or an ESP/IPsec ALG in it) created one mapping for " +
			"IKE and another for ESP. The other peer learns one of the ports and sends everything there, so the traffic meant for " +
			"the other mapping is dropped or, worse, delivered to the wrong inside socket.",
		Remedy: "On the NAT, turn off any IPsec or ESP helper (ALG) that tracks ESP-in-UDP separately from IKE, and give UDP 4500 " +
			"an endpoint-independent mapping so that one inside endpoint keeps one outside port (RFC 4787 §4.1). On the peers " +
			"nothing needs changing; make sure both send IKE and ESP from the same port (strongSwan and libreswan do).",
		References: []string{"RFC 3948 §2", "RFC 4787 §4.1", "RFC 7296 §2.23", "libreswan issue #2012"},
		Catalogue:  []string{"NT07"},
	}
}

// ntSplit is one IKE SA's split mapping as one capture shows it.
type ntSplit struct {
	side         flows.Side
	t            *flows.Tunnel
	role         flows.Role
	ike, esp     ntSrcUse
	ikeFr, espFr []int
	espSPIs      []string
	peerToIKE    int // the other peer's ESP packets sent to the IKE mapping
	peerToIKEFr  []int
	peerToESP    int
	peerToESPFr  []int
}

func (r ikeESPSplitMapping) Check(c *Context, report func(Finding)) {
	timeout := time.Duration(c.Config.Thresholds.NATUDPTimeout)
	for _, v := range c.Tunnels {
		var sp *ntSplit
		for _, s := range []flows.Side{flows.SideOutside, flows.SideInside} {
			if t := v.Sides[s]; t != nil && sp == nil {
				sp = ntFindSplit(c, s, t, timeout)
			}
		}
		if sp == nil {
			continue
		}
		report(r.finding(c, v, sp))
	}
}

// ntSourcesOf returns the endpoints a peer sent one kind of traffic from.
func ntSourcesOf(t *flows.Tunnel, r flows.Role, kind flows.PathKind) []ntSrcUse {
	var out []ntSrcUse
	for _, u := range ntEncapSources(t, r) {
		g := sumPathsFrom(t, r, u.ep, kind)
		if g.packets > 0 {
			out = append(out, ntSrcUse{ep: u.ep, first: g.first, last: g.last, firstFrame: g.firstFrame, lastFrame: g.lastFrame})
		}
	}
	return out
}

// sumPathsFrom sums the paths of one sender and kind from one source
// endpoint.
func sumPathsFrom(t *flows.Tunnel, r flows.Role, src netip.AddrPort, kind flows.PathKind) pathSum {
	return sumPaths(t, func(p *flows.Path) bool { return p.From == r && p.Kind == kind && p.Src == src })
}

// sumPathsTo sums the paths of one sender and kind to one destination.
func sumPathsTo(t *flows.Tunnel, r flows.Role, dst netip.AddrPort, kind flows.PathKind) pathSum {
	return sumPaths(t, func(p *flows.Path) bool { return p.From == r && p.Kind == kind && p.Dst == dst })
}

// ntNear reports whether two uses of endpoints overlap in time or follow
// each other within d.
func ntNear(a, b ntSrcUse, d time.Duration) bool {
	start, end := a.first, a.last
	if b.first.After(start) {
		start = b.first
	}
	if b.last.Before(end) {
		end = b.last
	}
	return start.Sub(end) < d
}

func ntFindSplit(c *Context, s flows.Side, t *flows.Tunnel, timeout time.Duration) *ntSplit {
	for _, role := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
		for _, ike := range ntSourcesOf(t, role, flows.PathIKEMarker) {
			for _, esp := range ntSourcesOf(t, role, flows.PathESPInUDP) {
				if ike.ep.Addr() != esp.ep.Addr() || ike.ep == esp.ep || !ntNear(ike, esp, timeout) ||
					c.otherTunnelSendsIKEFrom(s, t, esp.ep) {
					continue
				}
				// A port that carried both IKE and ESP is no split: after a
				// NAT rebinding the peer's whole traffic moves from one
				// mapping to the next (VP110, VP308), each carrying both.
				if sumPathsFrom(t, role, ike.ep, flows.PathESPInUDP).packets > 0 || sumPathsFrom(t, role, esp.ep, flows.PathIKEMarker).packets > 0 {
					continue
				}
				sp := &ntSplit{side: s, t: t, role: role, ike: ike, esp: esp,
					ikeFr: sumPathsFrom(t, role, ike.ep, flows.PathIKEMarker).frames,
					espFr: sumPathsFrom(t, role, esp.ep, flows.PathESPInUDP).frames}
				for _, sa := range t.ESPSAs {
					if sa.Src == esp.ep.Addr() && sa.UDP > 0 {
						sp.espSPIs = append(sp.espSPIs, decode.SPI(sa.SPI).String())
					}
				}
				toIKE := sumPathsTo(t, 1-role, ike.ep, flows.PathESPInUDP)
				toESP := sumPathsTo(t, 1-role, esp.ep, flows.PathESPInUDP)
				sp.peerToIKE, sp.peerToIKEFr = toIKE.packets, toIKE.frames
				sp.peerToESP, sp.peerToESPFr = toESP.packets, toESP.frames
				return sp
			}
		}
	}
	return nil
}

func (ikeESPSplitMapping) finding(c *Context, v *flows.TunnelView, sp *ntSplit) Finding {
	t := sp.t
	var b strings.Builder
	fmt.Fprintf(&b, "the %s's IKE and ESP-in-UDP of one IKE SA leave from different ports at the same time: IKE from %s (%s), ESP",
		sp.role.String(), sp.ike.ep, sideFrameList(c, sp.side, firstFrames(sp.ikeFr, 4)))
	if len(sp.espSPIs) > 0 {
		fmt.Fprintf(&b, " (SPI %s)", words.List(sp.espSPIs, 0))
	}
	fmt.Fprintf(&b, " from %s (%s)", sp.esp.ep, sideFrameList(c, sp.side, firstFrames(sp.espFr, 4)))
	var in, out []int
	addSideFrames(sp.side, append(firstFrames(sp.ikeFr, 4), firstFrames(sp.espFr, 4)...), &in, &out)
	conf := Medium
	if o := v.Sides[flows.SideInside]; c.Two() && sp.side == flows.SideOutside && o != nil {
		ik := ntSourcesOf(o, sp.role, flows.PathIKEMarker)
		es := ntSourcesOf(o, sp.role, flows.PathESPInUDP)
		for _, x := range ik {
			for _, y := range es {
				if x.ep == y.ep {
					fmt.Fprintf(&b, "; inside the NAT both leave from %s (inside frames %d and %d): the NAT made two mappings for one endpoint",
						x.ep, x.firstFrame, y.firstFrame)
					addSideFrames(flows.SideInside, []int{x.firstFrame, y.firstFrame}, &in, &out)
					conf = High
					break
				}
			}
			if conf == High {
				break
			}
		}
	}
	if sp.peerToIKE > 0 {
		fmt.Fprintf(&b, "; the %s sends its ESP to the IKE mapping %s (%s)", peerAddr(t, 1-sp.role), sp.ike.ep,
			words.Count(sp.peerToIKE, "packet"))
		if sp.peerToESP > 0 {
			fmt.Fprintf(&b, " as well as to %s (%s)", sp.esp.ep, words.Count(sp.peerToESP, "packet"))
		}
		addSideFrames(sp.side, firstFrames(sp.peerToIKEFr, 4), &in, &out)
	} else if sp.peerToESP > 0 {
		fmt.Fprintf(&b, "; the %s sends its ESP to %s and its IKE to %s", peerAddr(t, 1-sp.role), sp.esp.ep, sp.ike.ep)
	}
	return Finding{Confidence: conf, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)}
}
