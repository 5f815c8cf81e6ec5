package rules

import (
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds what the NAT traversal and IPsec Passthrough rules
// (VP3xx) share: where the NAT sits and how that is known, sums over a
// tunnel's traffic paths, NAT mappings of the correlation, and the wording
// of addresses, counts and frames.

// ntNAT says where a NAT sits between the peers of a tunnel, how that is
// known, and how sure it is.
type ntNAT struct {
	pos  flows.NATPosition
	how  string
	conf Confidence
	// natd is set when NAT-D hashes show the NAT.
	natd bool
}

// present reports whether a NAT sits in front of at least one peer.
func (n ntNAT) present() bool {
	return n.pos == flows.NATInitiator || n.pos == flows.NATResponder || n.pos == flows.NATBoth
}

// behind reports whether the peer of role r is behind the NAT.
func (n ntNAT) behind(r flows.Role) bool {
	switch n.pos {
	case flows.NATBoth:
		return true
	case flows.NATInitiator:
		return r == flows.RoleInitiator
	case flows.NATResponder:
		return r == flows.RoleResponder
	}
	return false
}

// natedRole returns the role behind the NAT, the initiator when both are.
func (n ntNAT) natedRole() flows.Role {
	if n.pos == flows.NATResponder {
		return flows.RoleResponder
	}
	return flows.RoleInitiator
}

// ntPosition combines "initiator behind a NAT" and "responder behind a
// NAT" into a position.
func ntPosition(ini, resp bool) flows.NATPosition {
	switch {
	case ini && resp:
		return flows.NATBoth
	case ini:
		return flows.NATInitiator
	case resp:
		return flows.NATResponder
	}
	return flows.NATNone
}

// ntNATOf returns where the NAT sits for a tunnel, as flows decided it
// once for all readers (flows.AssessNAT), in the words rules use: how it
// is known says, for each peer behind a NAT, what shows it.
func ntNATOf(_ *Context, v *flows.TunnelView) ntNAT {
	a := &v.NAT
	n := ntNAT{pos: a.Position, conf: Low}
	switch a.Certainty {
	case flows.NATProven:
		n.conf = High
	case flows.NATInferred:
		n.conf = Medium
	}
	var hows []string
	for _, r := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
		p := &a.Peers[r]
		if p.Behind != flows.NATYes {
			continue
		}
		for _, b := range p.Basis {
			n.natd = n.natd || b == flows.BasisNATDDestination || b == flows.BasisNATDSource
		}
		hows = append(hows, p.Reason)
	}
	switch len(hows) {
	case 1:
		n.how = hows[0]
	case 2:
		n.how = "initiator: " + hows[0] + "; responder: " + hows[1]
	}
	if a.Position == flows.NATNone {
		n.how = a.Reason
	}
	return n
}

// ntPrivate reports whether an address is private (flows.IsPrivate).
func ntPrivate(a netip.Addr) bool { return flows.IsPrivate(a) }

// ntPublic reports whether an address is a global unicast address that is
// not private.
func ntPublic(a netip.Addr) bool { return a.IsGlobalUnicast() && !ntPrivate(a) }

// ntRoleName names a role in a message: "initiator" or "responder".
func ntRoleName(r flows.Role) string { return r.String() }

// ntFirstEndpoint returns a peer's endpoint in the tunnel's first message.
func ntFirstEndpoint(t *flows.Tunnel, r flows.Role) netip.AddrPort {
	if r == flows.RoleInitiator {
		return t.InitiatorFirst
	}
	return t.ResponderFirst
}

// ntPrimary returns the tunnel a rule reads first, and its side: the inside
// capture's when there is one.
func ntPrimary(v *flows.TunnelView) (*flows.Tunnel, flows.Side) {
	if v.Sides[flows.SideInside] != nil {
		return v.Sides[flows.SideInside], flows.SideInside
	}
	return v.Sides[flows.SideOutside], flows.SideOutside
}

// ntUsesTCP reports whether the tunnel's IKE ran over TCP (RFC 9329) on
// either side: then everything is encapsulated in the stream.
func ntUsesTCP(v *flows.TunnelView) bool {
	for _, t := range v.Sides {
		if t != nil && t.TCP {
			return true
		}
	}
	return false
}

// ntAgg sums the paths of one sender and some kinds.
type ntAgg struct {
	packets, retrans      int
	first, last           time.Time
	firstFrame, lastFrame int
	frames                []int
	srcs, dsts            []netip.AddrPort
}

// ntSum sums a tunnel's paths of one sender and the given kinds.
func ntSum(t *flows.Tunnel, from flows.Role, kinds ...flows.PathKind) ntAgg {
	var g ntAgg
	if t == nil {
		return g
	}
	for _, p := range t.NATTrace.Paths {
		if p.From != from || !slices.Contains(kinds, p.Kind) {
			continue
		}
		if g.packets == 0 || p.First.Before(g.first) {
			g.first, g.firstFrame = p.First, p.FirstFrame
		}
		if g.packets == 0 || p.Last.After(g.last) {
			g.last, g.lastFrame = p.Last, p.LastFrame
		}
		g.packets += p.Packets
		g.retrans += p.Retransmissions
		g.frames = append(g.frames, p.Frames.List()...)
		if !slices.Contains(g.srcs, p.Src) {
			g.srcs = append(g.srcs, p.Src)
		}
		if !slices.Contains(g.dsts, p.Dst) {
			g.dsts = append(g.dsts, p.Dst)
		}
	}
	slices.Sort(g.frames)
	g.frames = slices.Compact(g.frames)
	return g
}

// ntUsesNATT reports whether the tunnel used NAT traversal on either side:
// IKE floated to 4500, ESP went in UDP, or keepalives were sent.
func ntUsesNATT(v *flows.TunnelView) bool {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		if t.Float || t.Keepalives.Count > 0 {
			return true
		}
		for _, sa := range t.ESPSAs {
			if sa.UDP > 0 {
				return true
			}
		}
	}
	return false
}

// ntOtherTunnelUses reports whether another IKE SA of the same capture sent
// IKE from an endpoint: then ESP and stale traffic from or to it belong to
// that IKE SA, whatever the address-pair attachment of ESP SAs says (two
// clients behind one NAT share the pair).
func ntOtherTunnelUses(a *flows.Analysis, t *flows.Tunnel, ep netip.AddrPort) bool {
	if a == nil {
		return false
	}
	for _, o := range a.Tunnels {
		if o == t {
			continue
		}
		for _, p := range o.NATTrace.Paths {
			if p.Src == ep && (p.Kind == flows.PathIKE || p.Kind == flows.PathIKEMarker) {
				return true
			}
		}
	}
	return false
}

// ntMappings returns the correlation's mappings of an inside endpoint, in
// time order. For raw ESP (port 0), any mapping of the address with
// protocol 50 counts.
func ntMappings(c *Context, proto uint8, inside netip.AddrPort) []*flows.Mapping {
	if !c.Two() {
		return nil
	}
	return c.Correlation.MappingsOf(proto, inside)
}

// ntViewSides returns the sides a view has, inside first.
func ntViewSides(v *flows.TunnelView) []flows.Side {
	var out []flows.Side
	for _, s := range []flows.Side{flows.SideInside, flows.SideOutside} {
		if v.Sides[s] != nil {
			out = append(out, s)
		}
	}
	return out
}

// ntMinConf returns the lower of two confidences.
func ntMinConf(a, b Confidence) Confidence { return min(a, b) }
