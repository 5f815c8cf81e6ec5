package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// natStaticPort500 detects a NAT (usually an "IPsec Passthrough" helper)
// that keeps UDP source port 500 for every client behind it, so that only
// one client at a time can talk IKE to a given peer: with two captures, two
// inside endpoints mapped to the same outside address and port 500, a
// client's IKE from port 500 dropped while another client holds that
// mapping, or a response delivered to the wrong client; with an inside
// capture alone, a response delivered to a host that never spoke in that
// IKE SA; with an outside capture alone, overlapping IKE SAs of different
// hosts from the same public address and port 500.
//
// Some peers reject IKE whose source port is not 500, so some NATs exempt
// UDP 500 from port translation (pfSense "static port" for ISAKMP, many
// home routers' passthrough). A NAT mapping is (public address, public
// port, remote endpoint): a second client reaching the same peer needs the
// same mapping, and the NAT either refuses it until the first one expires or
// hands the peer's answers to whichever client holds it (RFC 3715 §2.1).
//
// Turn the static-port exception off so UDP 500 is translated like any
// port (IKE does not need source port 500: RFC 7296 §2.23 and RFC 3947 §4
// expect NAT to change it), and let NAT-T move the clients to UDP 4500.
//
// Two inside tuples on one outside tuple, or a response at the wrong host,
// are proof (high confidence); a dropped first message while the port is
// held is likely (medium); overlapping IKE SAs in an outside capture only
// hint at it (low).
type natStaticPort500 struct{}

func (natStaticPort500) Meta() Meta {
	return Meta{
		ID:         "VP106",
		Slug:       "nat-static-port-500",
		Title:      "NAT keeps UDP source port 500 for several clients",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "the NAT's UDP timeout between clients' uses of port 500",
		Explanation: "The NAT does not translate the UDP source port of IKE: every client behind it leaves as public-address:500. " +
			"That is what IPsec Passthrough helpers do for old peers that insisted on source port 500, but a NAT can hold only " +
			"one mapping for public-address:500 towards a given VPN server. With two clients, the second client's IKE is dropped " +
			"until the first mapping expires, or the server's answers to both go to whichever client holds the mapping — so only " +
			"one client at a time can connect, and connections break when another client starts.",
		Remedy: "On the NAT/router, disable the static-port (port preservation) exception for UDP 500 and the IPsec Passthrough " +
			"helper, so that UDP 500 is translated like any other port (pfSense/OPNsense: remove the outbound NAT rule with " +
			"\"static port\" for ISAKMP; consumer routers: turn IPsec Passthrough off). Make sure the clients and the server " +
			"use NAT-T, which moves IKE and ESP to UDP 4500 and copes with translated ports.",
		References: []string{
			"RFC 3715 §2.1 (intrinsic NAPT issues: the fixed IKE port)",
			"RFC 3715 §2.3 (helper incompatibilities)",
			"RFC 7296 §2.23 (IKE and NAT: source ports may change)",
			"RFC 3947 §4 (changing to new ports)",
		},
		Catalogue: []string{"NT13"},
	}
}

func (r natStaticPort500) Check(c *Context, report func(Finding)) {
	reported := map[*flows.TunnelView]bool{}
	if c.Two() {
		for _, v := range c.Tunnels {
			if f, ok := r.pair(c, v); ok {
				reported[v] = true
				report(f)
			}
		}
	}
	for _, v := range c.Tunnels {
		if reported[v] {
			continue
		}
		if f, ok := r.strays(c, v); ok {
			reported[v] = true
			report(f)
		}
	}
	if !c.Two() {
		r.overlapping(c, report)
	}
}

// udpMappingsTo returns the UDP mappings onto an outside endpoint.
func udpMappingsTo(c *Context, outside netip.AddrPort) []*flows.Mapping {
	return c.Correlation.MappingsOnto(flows.ProtoUDP, outside)
}

// pair uses both captures for the inside client of one tunnel.
func (r natStaticPort500) pair(c *Context, v *flows.TunnelView) (Finding, bool) {
	in := v.Sides[flows.SideInside]
	if in == nil || in.InitiatorFirst.Port() != 500 {
		return Finding{}, false
	}
	client := in.InitiatorFirst
	var own *flows.Mapping
	if ms := c.Correlation.MappingsOf(flows.ProtoUDP, client); len(ms) > 0 {
		own = ms[0]
	}
	var b strings.Builder
	var inFrames, outFrames []int
	conf := High
	switch {
	case own != nil && own.Outside.Port() == 500:
		var others []*flows.Mapping
		for _, m := range udpMappingsTo(c, own.Outside) {
			if m.Inside.Addr() != client.Addr() {
				others = append(others, m)
			}
		}
		if len(others) == 0 {
			break
		}
		// Report at the client that came second.
		if others[0].First.After(own.First) {
			return Finding{}, false
		}
		fmt.Fprintf(&b, "the NAT mapped %s and %s both to %s", others[0].Inside, client, own.Outside)
		for _, m := range others[1:] {
			fmt.Fprintf(&b, " (and %s)", m.Inside)
		}
		b.WriteString(": it keeps source port 500 for every client")
		inFrames = append(append(inFrames, others[0].InsideFrames.List()...), own.InsideFrames.List()...)
		outFrames = append(append(outFrames, others[0].OutsideFrames.List()...), own.OutsideFrames.List()...)
	case own == nil && in.Fate().Forwarded == 0 && in.Fate().Dropped > 0:
		if holder := r.holder(c, client, in.First); holder != nil {
			fmt.Fprintf(&b, "the NAT dropped all %s of %s (from port 500) while %s held %s",
				words.Count(in.Fate().Dropped, "IKE message"), client, holder.Inside, holder.Outside)
			inFrames = append(inFrames, holder.InsideFrames.Last())
			outFrames = append(outFrames, holder.OutsideFrames.Last())
		} else if u := r.holderIKE(c, v, in); u != nil {
			fmt.Fprintf(&b, "the NAT dropped all %s of %s (from port 500) while another client's IKE SA (SPIi 0x%016x) used %s towards %s",
				words.Count(in.Fate().Dropped, "IKE message"), client, u.SPIi, u.InitiatorFirst, u.ResponderFirst.Addr())
			outFrames = append(outFrames, u.Frames.First())
		} else {
			break
		}
		b.WriteString(": it keeps source port 500 for every client and cannot map a second one")
		inFrames = append(inFrames, in.Fate().DroppedFrames().List()...)
		conf = Medium
	}
	if b.Len() == 0 {
		return Finding{}, false
	}
	if len(in.Strays) > 0 {
		b.WriteString("; " + strayText(in))
		for _, s := range in.Strays {
			inFrames = append(inFrames, s.Frame)
		}
		conf = High
	}
	return Finding{Tunnel: v.ID, Confidence: conf, Message: b.String(), Evidence: evidenceFromBoth(c, inFrames, outFrames)}, true
}

// holder returns the mapping of another inside host onto an outside port
// 500 that was in use when a client started, within the NAT's UDP timeout.
func (natStaticPort500) holder(c *Context, client netip.AddrPort, at time.Time) *flows.Mapping {
	timeout := time.Duration(c.Config.Thresholds.NATUDPTimeout)
	for _, m := range c.Correlation.Mappings {
		if m.Protocol != flows.ProtoUDP || m.Inside.Port() != 500 || m.Outside.Port() != 500 || m.Inside.Addr() == client.Addr() {
			continue
		}
		if !at.Before(m.First) && !at.After(m.Last.Add(timeout)) {
			return m
		}
	}
	return nil
}

// holderIKE returns, when no mapping shows who held port 500, an IKE SA of
// the outside capture from a NAT address and port 500 to the client's peer
// that was active when the client started: the NAT had already given that
// port to someone else (matching may fail for it when an ALG also changed
// its messages).
func (natStaticPort500) holderIKE(c *Context, v *flows.TunnelView, in *flows.Tunnel) *flows.Tunnel {
	timeout := time.Duration(c.Config.Thresholds.NATUDPTimeout)
	for _, u := range c.Captures[flows.SideOutside].Tunnels {
		if u.InitiatorFirst.Port() != 500 || u.ResponderFirst.Addr() != in.ResponderFirst.Addr() || v.Sides[flows.SideOutside] == u {
			continue
		}
		if !c.Correlation.NATOutsideAddr(u.InitiatorFirst.Addr()) {
			continue
		}
		first, last := c.OnInsideClock(flows.SideOutside, u.First), c.OnInsideClock(flows.SideOutside, u.Last)
		if !in.First.Before(first) && !in.First.After(last.Add(timeout)) {
			return u
		}
	}
	return nil
}

// strayText describes the responses of a tunnel delivered to other hosts.
func strayText(t *flows.Tunnel) string {
	var to []string
	for _, s := range t.Strays {
		if a := s.To.String(); !slices.Contains(to, a) {
			to = append(to, a)
		}
	}
	return fmt.Sprintf("%s of the responder %s for %s's IKE SA (SPIi 0x%016x) went to %s instead",
		words.Count(t.StrayCount, "message"), t.ResponderFirst.Addr(), t.InitiatorFirst, t.SPIi, words.List(to, 0))
}

// strays reports, from the inside capture alone, responses delivered to a
// host that never spoke in the IKE SA.
func (natStaticPort500) strays(c *Context, v *flows.TunnelView) (Finding, bool) {
	in := v.Sides[flows.SideInside]
	if in == nil || len(in.Strays) == 0 {
		return Finding{}, false
	}
	var frames []int
	for _, s := range in.Strays {
		frames = append(frames, s.Frame)
	}
	msg := strayText(in) + ": the NAT delivered them to the wrong client, as a NAT does that maps several clients to one public port 500"
	return Finding{Tunnel: v.ID, Confidence: Medium, Message: msg, Evidence: c.Evidence(flows.SideInside, frames...)}, true
}

// overlapping looks, in a capture outside the NAT, for IKE SAs from the
// same public address and port 500 to the same responder that overlap in
// time and come from different hosts (different floated ports, different
// vendor IDs). Tunnels are grouped by those endpoints and compared only
// with the later ones that overlap them and look different: within a run
// of look-alikes (a flood of identical requests), the next different one
// is found in one step, and at most vp106Lookahead of them are tried.
func (natStaticPort500) overlapping(c *Context, report func(Finding)) {
	a := c.Captures[0]
	type key struct {
		ini  netip.AddrPort
		resp netip.Addr
	}
	groups := map[key][]*flows.Tunnel{}
	var keys []key
	for _, t := range a.Tunnels {
		if t.InitiatorFirst.Port() != 500 || !translatedHere(t) {
			continue
		}
		k := key{t.InitiatorFirst, t.ResponderFirst.Addr()}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], t)
	}
	seen := map[int]bool{}
	for _, k := range keys {
		g := groups[k]
		sig := make([]string, len(g))
		for i, t := range g {
			sig[i] = vp106Signature(t)
		}
		// nextDiff[i] is the first index after i whose signature differs
		// from i's.
		nextDiff := make([]int, len(g))
		next := len(g)
		for i := len(g) - 1; i >= 0; i-- {
			if i+1 < len(g) && sig[i+1] != sig[i] {
				next = i + 1
			}
			nextDiff[i] = next
		}
		for i, x := range g {
			if seen[x.ID] {
				continue
			}
			tried := 0
			for j := nextDiff[i]; j < len(g) && tried < vp106Lookahead; j = nextDiff[j] {
				y := g[j]
				if y.First.After(x.Last) {
					break
				}
				tried++
				if seen[y.ID] {
					continue
				}
				why := vp106Why(x, y)
				if why == "" {
					continue
				}
				seen[y.ID] = true
				msg := fmt.Sprintf("two IKE SAs from %s to %s overlap in time (SPIi 0x%016x from frame %d, SPIi 0x%016x from frame %d); %s behind one NAT that keeps source port 500 for both; a capture inside the NAT would confirm",
					x.InitiatorFirst, x.ResponderFirst.Addr(), x.SPIi, x.Frames.First(), y.SPIi, y.Frames.First(), why)
				v := c.ViewOf(flows.SideInside, y)
				id := 0
				if v != nil {
					id = v.ID
				}
				report(Finding{Tunnel: id, Confidence: Low, Message: msg, Evidence: c.Evidence(flows.SideInside, x.Frames.First(), y.Frames.First())})
			}
		}
	}
}

// vp106Lookahead bounds the later look-alike-free tunnels one tunnel is
// compared with.
const vp106Lookahead = 64

// vp106Signature is what tells two tunnels' initiators apart: the floated
// port and the vendor IDs.
func vp106Signature(t *flows.Tunnel) string {
	s := ""
	if fp, ok := floatedInitiator(t); ok {
		s = strconv.Itoa(int(fp.Port()))
	}
	return s + "|" + strings.Join(t.VendorIDs[flows.RoleInitiator], ",")
}

// vp106Why says why two tunnels come from different hosts, or "".
func vp106Why(x, y *flows.Tunnel) string {
	fx, okx := floatedInitiator(x)
	fy, oky := floatedInitiator(y)
	switch {
	case okx && oky && fx.Addr() == fy.Addr() && fx.Port() != fy.Port():
		return fmt.Sprintf("after the NAT-T float they use different ports (%d and %d), so they come from different hosts", fx.Port(), fy.Port())
	case len(x.VendorIDs[flows.RoleInitiator]) > 0 && len(y.VendorIDs[flows.RoleInitiator]) > 0 &&
		!slices.Equal(x.VendorIDs[flows.RoleInitiator], y.VendorIDs[flows.RoleInitiator]):
		return "their initiators send different vendor IDs, so they are different clients"
	}
	return ""
}
