package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
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
	reported := map[*TunnelView]bool{}
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
	var out []*flows.Mapping
	for _, m := range c.Correlation.Mappings {
		if m.Protocol == flows.ProtoUDP && m.Outside == outside {
			out = append(out, m)
		}
	}
	return out
}

// pair uses both captures for the inside client of one tunnel.
func (r natStaticPort500) pair(c *Context, v *TunnelView) (Finding, bool) {
	in := v.Sides[flows.SideInside]
	if in == nil || in.InitiatorFirst.Port() != 500 {
		return Finding{}, false
	}
	client := in.InitiatorFirst
	var own *flows.Mapping
	for _, m := range c.Correlation.Mappings {
		if m.Protocol == flows.ProtoUDP && m.Inside == client {
			own = m
			break
		}
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
	case own == nil && in.Fate.Forwarded == 0 && in.Fate.Dropped > 0:
		if holder := r.holder(c, client, in.First); holder != nil {
			fmt.Fprintf(&b, "the NAT dropped all %s of %s (from port 500) while %s held %s",
				countNoun(in.Fate.Dropped, "IKE message"), client, holder.Inside, holder.Outside)
			inFrames = append(inFrames, holder.InsideFrames.Last())
			outFrames = append(outFrames, holder.OutsideFrames.Last())
		} else if u := r.holderIKE(c, v, in); u != nil {
			fmt.Fprintf(&b, "the NAT dropped all %s of %s (from port 500) while another client's IKE SA (SPIi %s) used %s towards %s",
				countNoun(in.Fate.Dropped, "IKE message"), client, decode.IKESPI(u.SPIi), u.InitiatorFirst, u.ResponderFirst.Addr())
			outFrames = append(outFrames, u.Frames.First())
		} else {
			break
		}
		b.WriteString(": it keeps source port 500 for every client and cannot map a second one")
		inFrames = append(inFrames, in.Fate.DroppedFrames.List()...)
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
	ev := c.Evidence(flows.SideInside, inFrames...)
	ev = append(ev, c.Evidence(flows.SideOutside, outFrames...)...)
	return Finding{Tunnel: v.ID, Confidence: conf, Message: b.String(), Evidence: ev}, true
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
func (natStaticPort500) holderIKE(c *Context, v *TunnelView, in *flows.Tunnel) *flows.Tunnel {
	timeout := time.Duration(c.Config.Thresholds.NATUDPTimeout)
	for _, u := range c.Captures[flows.SideOutside].Tunnels {
		if u.InitiatorFirst.Port() != 500 || u.ResponderFirst.Addr() != in.ResponderFirst.Addr() || v.Sides[flows.SideOutside] == u {
			continue
		}
		if !natOutsideAddress(c, u.InitiatorFirst.Addr()) {
			continue
		}
		first, last := c.onInsideClock(flows.SideOutside, u.First), c.onInsideClock(flows.SideOutside, u.Last)
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
	return fmt.Sprintf("%s of the responder %s for %s's IKE SA (SPIi %s) went to %s instead",
		countNoun(t.StrayCount, "message"), t.ResponderFirst.Addr(), t.InitiatorFirst, decode.IKESPI(t.SPIi), strings.Join(to, ", "))
}

// strays reports, from the inside capture alone, responses delivered to a
// host that never spoke in the IKE SA.
func (natStaticPort500) strays(c *Context, v *TunnelView) (Finding, bool) {
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

// overlapping hints at the problem from one capture outside the NAT (NAT-D
// shows the initiators translated): IKE SAs of different hosts from one
// public address and port 500 to the same peer, at the same time. Different hosts show as different ports after
// the NAT-T float (one host floats all its IKE SAs from one socket) or as
// different vendor IDs (different client software).
func (natStaticPort500) overlapping(c *Context, report func(Finding)) {
	a := c.Captures[0]
	seen := map[int]bool{}
	for i, x := range a.Tunnels {
		if x.InitiatorFirst.Port() != 500 || seen[x.ID] {
			continue
		}
		for _, y := range a.Tunnels[i+1:] {
			if y.InitiatorFirst != x.InitiatorFirst || y.ResponderFirst.Addr() != x.ResponderFirst.Addr() || y.First.After(x.Last) || seen[y.ID] {
				continue
			}
			// Only a capture outside the NAT shows several hosts as one.
			if !translatedHere(x) || !translatedHere(y) {
				continue
			}
			why := ""
			fx, okx := floatedInitiator(x)
			fy, oky := floatedInitiator(y)
			switch {
			case okx && oky && fx.Addr() == fy.Addr() && fx.Port() != fy.Port():
				why = fmt.Sprintf("after the NAT-T float they use different ports (%d and %d), so they come from different hosts", fx.Port(), fy.Port())
			case len(x.VendorIDs[flows.RoleInitiator]) > 0 && len(y.VendorIDs[flows.RoleInitiator]) > 0 &&
				!slices.Equal(x.VendorIDs[flows.RoleInitiator], y.VendorIDs[flows.RoleInitiator]):
				why = "their initiators send different vendor IDs, so they are different clients"
			default:
				continue
			}
			seen[y.ID] = true
			msg := fmt.Sprintf("two IKE SAs from %s to %s overlap in time (SPIi %s from frame %d, SPIi %s from frame %d); %s behind one NAT that keeps source port 500 for both; a capture inside the NAT would confirm",
				x.InitiatorFirst, x.ResponderFirst.Addr(), decode.IKESPI(x.SPIi), x.Frames.First(), decode.IKESPI(y.SPIi), y.Frames.First(), why)
			v := c.ViewOf(flows.SideInside, y)
			id := 0
			if v != nil {
				id = v.ID
			}
			report(Finding{Tunnel: id, Confidence: Low, Message: msg, Evidence: c.Evidence(flows.SideInside, x.Frames.First(), y.Frames.First())})
		}
	}
}
