package rules

import (
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds how rules find things in what the captures show: which
// capture of a tunnel to read, a peer's endpoint, sums over a tunnel's
// traffic paths (flows.NATTrace), and whether a capture's traffic went one
// way only.

// captureSides lists the sides of the context's captures, inside first.
func (c *Context) captureSides() []flows.Side {
	if c.Two() {
		return []flows.Side{flows.SideInside, flows.SideOutside}
	}
	return []flows.Side{flows.SideInside}
}

// viewSides lists the sides whose capture saw a tunnel, inside first.
func viewSides(v *flows.TunnelView) []flows.Side {
	var out []flows.Side
	for _, s := range []flows.Side{flows.SideInside, flows.SideOutside} {
		if v.Sides[s] != nil {
			out = append(out, s)
		}
	}
	return out
}

// otherSideOf returns the other capture's side.
func otherSideOf(s flows.Side) flows.Side { return 1 - s }

// primarySide returns the tunnel a rule reads first and its side: the inside
// capture's when there is one, which is nearest to the initiator in the
// usual set-up, else the outside capture's.
func primarySide(v *flows.TunnelView) (*flows.Tunnel, flows.Side) {
	if v.Sides[flows.SideInside] != nil {
		return v.Sides[flows.SideInside], flows.SideInside
	}
	return v.Sides[flows.SideOutside], flows.SideOutside
}

// startSide returns a tunnel of the view whose capture saw the start of the
// IKE SA (the exchange that announces capabilities), preferring the inside
// capture, and its side; primarySide's when neither saw it.
func startSide(v *flows.TunnelView) (*flows.Tunnel, flows.Side) {
	for _, s := range []flows.Side{flows.SideInside, flows.SideOutside} {
		if t := v.Sides[s]; t != nil && !t.Midstream && len(t.Exchanges) > 0 {
			return t, s
		}
	}
	return primarySide(v)
}

// establishedInEither reports whether the tunnel was established in either
// capture, so that what the peers agreed on is settled.
func establishedInEither(v *flows.TunnelView) bool {
	for _, t := range v.Sides {
		if t != nil && t.Established() {
			return true
		}
	}
	return false
}

// saSender names the role of the peer that sent an SA's packets.
func saSender(t *flows.Tunnel, sa *flows.ESPSA) string {
	for _, p := range t.NATTrace.Paths {
		if p.Src.Addr() == sa.Src && p.Dst.Addr() == sa.Dst {
			return p.From.String()
		}
	}
	if sa.Src == t.Responder.Addr() || sa.Src == t.ResponderFirst.Addr() {
		return "responder"
	}
	return "initiator"
}

// captureTunnel returns the tunnel with a capture-local ID (as ESP SAs
// refer to it) in one side's capture, or nil.
func captureTunnel(c *Context, side flows.Side, id int) *flows.Tunnel {
	a := c.Capture(side)
	if a == nil || id <= 0 || id > len(a.Tunnels) {
		return nil
	}
	return a.Tunnels[id-1]
}

// firstEndpoint returns a peer's endpoint in the tunnel's first message.
func firstEndpoint(t *flows.Tunnel, r flows.Role) netip.AddrPort {
	if r == flows.RoleInitiator {
		return t.InitiatorFirst
	}
	return t.ResponderFirst
}

// ikeOverTCP reports whether the tunnel's IKE ran over TCP (RFC 9329) on
// either side: then everything is encapsulated in the stream.
func ikeOverTCP(v *flows.TunnelView) bool {
	for _, t := range v.Sides {
		if t != nil && t.TCP {
			return true
		}
	}
	return false
}

// usesNATT reports whether the tunnel used NAT traversal on either side:
// IKE floated to 4500, ESP went in UDP, or keepalives were sent. Unlike
// TunnelView.NATTNegotiated it looks at the traffic, not the negotiation.
func usesNATT(v *flows.TunnelView) bool {
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

// pathSum sums some of a tunnel's traffic paths.
type pathSum struct {
	packets, retrans      int
	first, last           time.Time
	firstFrame, lastFrame int
	frames                []int
	srcs, dsts            []netip.AddrPort
}

// sumPaths sums the paths of a tunnel that keep accepts.
func sumPaths(t *flows.Tunnel, keep func(*flows.Path) bool) pathSum {
	var g pathSum
	if t == nil {
		return g
	}
	for _, p := range t.NATTrace.Paths {
		if !keep(p) {
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

// sumPathsOf sums a tunnel's paths of one sender and the given kinds.
func sumPathsOf(t *flows.Tunnel, from flows.Role, kinds ...flows.PathKind) pathSum {
	return sumPaths(t, func(p *flows.Path) bool { return p.From == from && slices.Contains(kinds, p.Kind) })
}

// otherTunnelSendsIKEFrom reports whether another IKE SA of side's
// capture sent IKE from an endpoint: then ESP and stale traffic from or to
// it belong to that IKE SA, whatever the address-pair attachment of ESP SAs
// says (two clients behind one NAT share the pair). It looks the endpoint
// up in an index of the capture's IKE senders, built once, rather than in
// every tunnel's paths: a capture of many peers asks it for each of them.
func (c *Context) otherTunnelSendsIKEFrom(side flows.Side, t *flows.Tunnel, ep netip.AddrPort) bool {
	c.sendersOnce.Do(c.indexIKESenders)
	for _, o := range c.ikeSenders[side][ep] {
		if o != t {
			return true
		}
	}
	return false
}

// indexIKESenders indexes, for each capture, the tunnels by the endpoints
// they sent IKE from (PathIKE, PathIKEMarker), each tunnel once per
// endpoint.
func (c *Context) indexIKESenders() {
	for i, a := range c.Captures {
		if a == nil || i >= len(c.ikeSenders) {
			continue
		}
		idx := map[netip.AddrPort][]*flows.Tunnel{}
		for _, t := range a.Tunnels {
			for _, p := range t.NATTrace.Paths {
				if p.Kind != flows.PathIKE && p.Kind != flows.PathIKEMarker {
					continue
				}
				if ts := idx[p.Src]; len(ts) == 0 || ts[len(ts)-1] != t {
					idx[p.Src] = append(ts, t)
				}
			}
		}
		c.ikeSenders[i] = idx
	}
}

// sortedAddrs returns a sorted copy of addresses without repeats.
func sortedAddrs(as []netip.Addr) []netip.Addr {
	out := slices.Clone(as)
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

// ikeOneWay reports whether every IKE message of a capture went one way:
// requests and no response at all, from any peer. It returns the number of
// IKE messages.
func ikeOneWay(a *flows.Analysis) (oneWay bool, messages int) {
	if len(a.Tunnels) == 0 {
		return false, 0
	}
	oneWay = true
	for _, t := range a.Tunnels {
		messages += t.Messages()
		if !tunnelIKEOneWay(t) {
			oneWay = false
		}
	}
	return oneWay, messages
}

// looksOneSided reports whether a capture shows one direction only: IKE
// without any response, and no other conversation with packets both ways
// either. Unanswered requests in such a capture may have been answered
// where the capture could not see.
func looksOneSided(a *flows.Analysis) bool {
	oneWay, _ := ikeOneWay(a)
	if !oneWay {
		return false
	}
	twoWay, _ := a.Conversations()
	return twoWay == 0
}

// tunnelIKEOneWay reports whether no IKE message of a tunnel went from the
// responder of an exchange back to its requester.
func tunnelIKEOneWay(t *flows.Tunnel) bool {
	for _, e := range t.Exchanges {
		if e.Responses() > 0 || e.Sends.From != e.From {
			return false
		}
	}
	return len(t.Exchanges) > 0
}

// espBothWays reports whether a tunnel's ESP flowed in both directions:
// then its IKE was answered, whatever the capture shows of it. It returns
// the number of ESP packets too.
func espBothWays(t *flows.Tunnel) (bool, int) {
	var to, from, n int
	for _, sa := range t.ESPSAs {
		if sa.AH || sa.Packets() == 0 {
			continue
		}
		n += sa.Packets()
		if sa.Src == t.Initiator.Addr() || sa.Src == t.InitiatorFirst.Addr() {
			to++
		} else {
			from++
		}
	}
	return to > 0 && from > 0, n
}
