package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
)

// nattPassthroughMixedMappings detects a NAT that maps one IKE SA's two
// UDP endpoints inconsistently: it keeps the source port of UDP 500 (as an
// IPsec Passthrough / ISAKMP helper does, "ISAKMP doesn't like source-port
// changes") while translating the NAT-T port 4500 to a random port, or it
// gives the two ports different outside addresses.
//
// Two mechanisms then handle one IKE SA: the Passthrough helper on 500,
// plain NAPT on 4500. Port 500 held static serves one inside host at a
// time, so a second client's IKE is blocked or misdelivered (CATALOGUE
// NT13); an ALG on 500 may rewrite IKE (NT15); and a change of outside
// address at the float makes the responder see the IKE SA move.
//
// With NAT-T in use, turn IPsec Passthrough (the ISAKMP/ESP helper) off on
// the NAT, so that UDP 500 and 4500 are translated alike; on NATs with
// address pools, use paired pooling (RFC 4787 §4.1, REQ-2).
//
// Needs both captures: only the correlation shows the mappings. A NAT that
// keeps both ports, or randomises both, is consistent and not reported.
// Medium confidence: the mappings are facts, the harm depends on the other
// hosts behind the NAT.
type nattPassthroughMixedMappings struct{}

func (nattPassthroughMixedMappings) Meta() Meta {
	return Meta{
		ID:         "VP313",
		Slug:       "natt-passthrough-mixed-mappings",
		Title:      "NAT-T and Passthrough both active: UDP 500 and 4500 of one IKE SA mapped inconsistently",
		Severity:   Warning,
		Confidence: Medium,
		NeedsBoth:  true,
		Explanation: "The NAT translated the two UDP endpoints of one IKE SA in different ways: it kept the source port of IKE on " +
			"UDP 500 — the behaviour of an IPsec Passthrough or ISAKMP helper — while it translated the NAT-T port 4500 to a " +
			"random port like any other UDP flow, or it gave the two ports different outside addresses. Two mechanisms then " +
			"handle one tunnel: port 500 held static serves only one client at a time, an ALG on it may rewrite IKE, and a change " +
			"of outside address at the float makes the responder see the IKE SA move.",
		Remedy: "Since the peers use NAT traversal, turn IPsec Passthrough (the ISAKMP/ESP helper) off on the NAT so that UDP 500 " +
			"and 4500 are translated alike (on pfSense, clear the static-port outbound NAT rule for UDP 500; on consumer routers, " +
			"disable \"IPsec Passthrough\"). On NATs with several outside addresses, use paired pooling so that one inside host " +
			"keeps one outside address.",
		References: []string{"RFC 3715 §2.3", "RFC 4787 §4.1", "RFC 3947 §4", "Cisco NAT-T guide", "opnsense/core issue #697"},
		Catalogue:  []string{"NT16"},
	}
}

func (r nattPassthroughMixedMappings) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		in := v.Sides[flows.SideInside]
		if in == nil || v.Sides[flows.SideOutside] == nil {
			continue
		}
		for _, role := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
			ike, nt := sumPathsOf(in, role, flows.PathIKE), sumPathsOf(in, role, flows.PathIKEMarker)
			if len(ike.srcs) == 0 || len(nt.srcs) == 0 {
				continue
			}
			m500, m4500 := c.Correlation.MappingsOf(flows.ProtoUDP, ike.srcs[0]), c.Correlation.MappingsOf(flows.ProtoUDP, nt.srcs[0])
			if len(m500) == 0 || len(m4500) == 0 {
				continue
			}
			if f, ok := r.finding(c, v, in, role, m500[0], m4500[0]); ok {
				report(f)
				break
			}
		}
	}
}

func (nattPassthroughMixedMappings) finding(c *Context, v *flows.TunnelView, in *flows.Tunnel, role flows.Role, a, b *flows.Mapping) (Finding, bool) {
	static500 := a.Outside.Port() == a.Inside.Port()
	random4500 := b.Outside.Port() != b.Inside.Port()
	addrs := a.Outside.Addr() != b.Outside.Addr()
	if !a.Translated() && !b.Translated() || !(static500 && random4500) && !addrs {
		return Finding{}, false
	}
	var parts []string
	if static500 && random4500 {
		parts = append(parts, fmt.Sprintf("the NAT kept the source port of the %s's IKE: %s left as %s (port preserved, as an IPsec Passthrough helper does for UDP 500), "+
			"but it translated the NAT-T endpoint %s to %s like any other UDP flow", peerAddr(in, role), a.Inside, a.Outside, b.Inside, b.Outside))
	}
	if addrs {
		parts = append(parts, fmt.Sprintf("the NAT gave the %s's UDP 500 the outside address %s and its UDP 4500 the address %s, so the responder sees the IKE SA move to another address at the float",
			peerAddr(in, role), a.Outside.Addr(), b.Outside.Addr()))
	}
	var s strings.Builder
	s.WriteString(strings.Join(parts, "; "))
	s.WriteString(": two mechanisms handle one IKE SA")
	if static500 && random4500 {
		if others := ntOthersOn(c, a); len(others) > 0 {
			fmt.Fprintf(&s, "; %s also use the static outside endpoint %s", joinWithAnd(others), a.Outside)
		} else {
			s.WriteString("; a second client behind this NAT cannot hold port 500 at the same time")
		}
	}
	var inF, outF []int
	for _, m := range []*flows.Mapping{a, b} {
		inF = append(inF, firstFrames(m.InsideFrames.List(), 3)...)
		outF = append(outF, firstFrames(m.OutsideFrames.List(), 3)...)
	}
	return Finding{Confidence: Medium, Tunnel: v.ID, Message: s.String(), Evidence: evidenceFromBoth(c, inF, outF)}, true
}

// ntOthersOn lists other inside endpoints the correlation saw mapped to
// the same outside endpoint as m.
func ntOthersOn(c *Context, m *flows.Mapping) []string {
	var out []string
	seen := map[netip.AddrPort]bool{m.Inside: true}
	for _, x := range c.Correlation.MappingsOnto(m.Protocol, m.Outside) {
		if !seen[x.Inside] {
			seen[x.Inside] = true
			out = append(out, x.Inside.String())
		}
	}
	return out
}
