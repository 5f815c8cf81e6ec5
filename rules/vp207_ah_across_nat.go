package rules

import (
	"fmt"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// ahAcrossNAT finds AH (IP protocol 51) on a path with address
// translation. With both captures it sees the translation itself: the same
// AH SPI with different addresses inside and outside, or AH that the NAT
// did not forward at all. With one capture it infers it: AH between a
// private and a public address, or AH of a tunnel whose NAT-D payloads
// detected a NAT.
//
// AH's integrity check value covers the IP header's addresses (RFC 4302
// §3.3.3.1), so a packet whose source or destination was translated fails
// verification at the receiver and is dropped, every one of them. No NAT
// setting, passthrough or helper can fix this: AH never survives NAT
// (RFC 3715 §2.1), and NAT-T encapsulates ESP only (RFC 3948).
//
// Fix the policy: use ESP — with NULL encryption if only integrity is
// wanted (RFC 4303 §3.2, RFC 2410) — instead of AH on any path that crosses
// a NAT, together with NAT-T; or remove the NAT from the path (public
// addresses, or route the peers' addresses untranslated).
//
// With one capture, private addresses may be routed untranslated (inside a
// corporate network or over MPLS), so the private/public inference gives
// medium confidence; NAT-D evidence or the two captures give high.
type ahAcrossNAT struct{}

func (ahAcrossNAT) Meta() Meta {
	return Meta{
		ID:         "VP207",
		Slug:       "ah-across-nat",
		Title:      "AH used across a NAT",
		Severity:   Error,
		Confidence: High,
		Explanation: "The tunnel protects its traffic with AH (IP protocol 51). AH's integrity check covers the IP " +
			"addresses, so once a NAT rewrites an address the receiver finds every packet tampered with and drops " +
			"it. Nothing on the NAT can change this: AH never survives address translation, and NAT-T only " +
			"carries ESP.",
		Remedy: "Change the IPsec policy on both peers from AH to ESP (use ESP with NULL encryption, e.g. " +
			"strongSwan esp_proposals = null-sha256, if only integrity is wanted) and enable NAT traversal; or " +
			"take the NAT out of the path between the peers.",
		References: []string{"RFC 3715 §2.1 (AH and NAT)", "RFC 4302 §3.3.3.1 (ICV covers the IP header)", "RFC 3948 §1 (NAT-T carries ESP only)", "RFC 2410 (NULL encryption)"},
		Catalogue:  []string{"NT19"},
	}
}

func (ahAcrossNAT) Check(c *Context, report func(Finding)) {
	v := c.dataPlane()
	covered := map[uint32]bool{} // SPIs reported from the inside capture
	for _, side := range c.captureSides() {
		for _, sa := range c.Captures[side].SAs {
			if !sa.AH || (side == flows.SideOutside && covered[sa.SPI]) {
				continue
			}
			f, ok := ahFinding(v, side, sa)
			if !ok {
				continue
			}
			if side == flows.SideInside {
				covered[sa.SPI] = true
			}
			f.Tunnel = v.tunnelID(side, sa.Tunnel)
			f.Subject = espSubject(sa)
			report(f)
		}
	}
}

func ahFinding(v *dataPlane, side flows.Side, sa *flows.ESPSA) (Finding, bool) {
	c := v.c
	ev := c.Evidence(side, firstFrames(sa.Frames.List(), 3)...)
	if c.Two() {
		if cp := v.counterpart(side, sa); cp != nil {
			if cp.Src == sa.Src && cp.Dst == sa.Dst {
				// Crossed untranslated: this path has no NAT for AH.
				return Finding{}, false
			}
			in, out := sa, cp
			if side == flows.SideOutside {
				in, out = cp, sa
			}
			return Finding{
				Confidence: High,
				Message: fmt.Sprintf("AH SPI %s is %s → %s inside and %s → %s outside (%s): the translated address invalidates the integrity check, so the receiver drops every packet",
					decode.SPI(sa.SPI).String(), in.Src, in.Dst, out.Src, out.Dst, words.Count(sa.Packets(), "packet")),
				Evidence: append(ev, c.Evidence(1-side, firstFrames(cp.Frames.List(), 3)...)...),
			}, true
		}
		if side == flows.SideInside && sa.Fate().Dropped > 0 && v.c.Two() && v.c.Correlation.TranslatedHost(ahInsideHost(sa)) {
			return Finding{
				Confidence: High,
				Message: fmt.Sprintf("AH %s: %d of %d packets never appeared outside; the NAT, which translates %s, does not forward AH",
					espLabel(sa), sa.Fate().Dropped, sa.Packets(), ahInsideHost(sa)),
				Evidence: ev,
			}, true
		}
	}
	// One capture's view: a tunnel whose NAT-D saw a NAT, or an AH SA
	// between a private and a public address.
	if t := captureTunnel(c, side, sa.Tunnel); t != nil {
		switch pos := t.NAT(); pos {
		case flows.NATInitiator, flows.NATResponder, flows.NATBoth:
			return Finding{
				Confidence: High,
				Message: fmt.Sprintf("AH %s (%s) belongs to a tunnel whose NAT-D payloads detected a NAT (%s): AH cannot pass it",
					espLabel(sa), words.Count(sa.Packets(), "packet"), ahNATWords(pos)),
				Evidence: c.Evidence(side, append(firstFrames(sa.Frames.List(), 3),
					t.NATD[flows.RoleInitiator].Frames.First(), t.NATD[flows.RoleResponder].Frames.First())...),
			}, true
		}
	}
	if flows.IsPrivate(sa.Src) != flows.IsPrivate(sa.Dst) {
		return Finding{
			Confidence: Medium,
			Message: fmt.Sprintf("AH %s (%s) runs between a private and a public address, so an address translation sits on its path: AH cannot pass it",
				espLabel(sa), words.Count(sa.Packets(), "packet")),
			Evidence: ev,
		}, true
	}
	return Finding{}, false
}

// ahInsideHost guesses the inside end of an inside-capture SA.
func ahInsideHost(sa *flows.ESPSA) netip.Addr {
	if flows.IsPrivate(sa.Dst) && !flows.IsPrivate(sa.Src) {
		return sa.Dst
	}
	return sa.Src
}

func ahNATWords(p flows.NATPosition) string {
	switch p {
	case flows.NATInitiator:
		return "the initiator is behind it"
	case flows.NATResponder:
		return "the responder is behind it"
	}
	return "both peers are behind one"
}
