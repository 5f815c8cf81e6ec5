package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// rawESPThroughNAT detects a tunnel whose ESP crosses a NAT as raw IP
// protocol 50, or would: a NAT sits between the peers, and either NAT
// traversal was not negotiated (no common RFC 3947 vendor ID in IKEv1, no
// NAT_DETECTION notifies in IKEv2) or the captured ESP is raw all the same.
//
// Raw ESP has no ports, so a NAPT device cannot demultiplex it; it crosses
// only when the NAT's "IPsec Passthrough" forwards protocol 50 by SPI or by
// remembering one inside host per gateway. That works for one client at a
// time and stops when Passthrough is off or the device is replaced: the
// tunnel depends on Passthrough (RFC 3715 §2.1, §2.2).
//
// Fix it by enabling NAT traversal on both peers so that ESP travels in UDP
// 4500 (RFC 3947, RFC 3948, RFC 7296 §2.23); Passthrough then stops
// mattering. With two captures the finding says whether the NAT forwarded
// the raw ESP.
//
// The NAT comes from NAT-D, from the two captures, or — with medium
// confidence — from a private address talking to a public one. No finding
// without NAT evidence, for tunnels whose ESP travels in UDP or TCP (VP303
// covers a mix), or for AH (it cannot cross a NAT at all). A tunnel with no
// ESP yet is reported with medium confidence, and only once the IKE SA is
// established: before that, what the peers agree on is not known.
type rawESPThroughNAT struct{}

func (rawESPThroughNAT) Meta() Meta {
	return Meta{
		ID:         "VP301",
		Slug:       "raw-esp-through-nat",
		Title:      "Raw ESP crosses a NAT: the tunnel relies on IPsec Passthrough",
		Severity:   Warning,
		Confidence: High,
		Explanation: "A NAT sits between the peers, but their ESP travels as raw IP protocol 50 rather than inside UDP 4500, " +
			"usually because NAT traversal was not negotiated (no common NAT-T vendor ID in IKEv1, no NAT_DETECTION notifies in IKEv2, " +
			"or NAT-T disabled). Raw ESP carries no ports, so a NAT can only forward it with an IPsec Passthrough helper that guesses " +
			"which inside host an SPI belongs to. The tunnel works while that helper is on and only one client behind the NAT talks " +
			"to the gateway; it breaks when Passthrough is off, on another router, or with a second client.",
		Remedy: "Enable NAT traversal on both peers so that ESP is UDP-encapsulated on port 4500: on strongSwan it is on by default " +
			"(check that the kernel supports UDP encapsulation), on libreswan remove nat-ikev1-method=none and encapsulation=no, on " +
			"Cisco enable crypto isakmp nat-traversal, on Windows use IKEv2 or L2TP/IPsec with NAT-T. On the NAT, allow UDP 500 and " +
			"4500; once ESP travels in UDP, IPsec Passthrough can be turned off.",
		References: []string{"RFC 3715 §2.1, §2.2", "RFC 3947 §3", "RFC 3948 §2", "RFC 7296 §2.23", "libreswan nat-ikev1-method, encapsulation"},
		Catalogue:  []string{"NT01"},
	}
}

func (r rawESPThroughNAT) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		if !v.NAT.Present() || ikeOverTCP(v) {
			continue
		}
		raw, udp, tcp, ah := v.ESPCounts()
		if udp+tcp > 0 || raw == 0 && (v.NATTNegotiated() || ah > 0 || !establishedInEither(v)) {
			// Without ESP and before the IKE SA is up, nothing says yet
			// how the peers would carry ESP.
			continue
		}
		report(r.finding(c, v, raw))
	}
	for _, g := range c.Groups {
		if f, ok := r.groupFinding(c, g); ok {
			report(f)
		}
	}
}

// groupFinding reports raw ESP without a tunnel in the capture that a NAT
// translated, or that a private host sends to a public peer: the
// negotiation is not there to say why NAT-T is not used, but the ESP
// shows that it is not.
func (rawESPThroughNAT) groupFinding(c *Context, g *flows.ESPGroup) (Finding, bool) {
	if !g.NAT.Present() {
		return Finding{}, false
	}
	var raw [2]int
	var spis []string
	var frames [2][]int
	for s, sas := range g.SAs {
		for _, sa := range sas {
			if sa.AH || sa.Raw == 0 {
				continue
			}
			raw[s] += sa.Raw
			if !slices.Contains(spis, decode.SPI(sa.SPI).String()) {
				spis = append(spis, decode.SPI(sa.SPI).String())
			}
			frames[s] = append(frames[s], firstFrames(sa.Frames.List(), 2)...)
		}
	}
	side := flows.SideInside
	if raw[side] == 0 {
		side = flows.SideOutside
	}
	if raw[side] == 0 {
		return Finding{}, false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "a NAT sits in front of %s (%s); the %s between it and %s travel as raw IP protocol 50 (SPI %s), not inside UDP 4500, so no NAT traversal is in use (the negotiation is not in the capture)",
		g.Host[side], g.NAT.Peers[flows.RoleInitiator].Reason, words.Count(raw[side], "ESP packet"), g.Peer[side], words.List(spis, 0))
	conf := High
	if g.NAT.Certainty != flows.NATProven {
		conf = Medium
	} else {
		b.WriteString(": the NAT forwards it only through IPsec Passthrough, which keeps one protocol-50 mapping per gateway for one inside host at a time")
	}
	return Finding{
		Confidence: conf,
		Group:      g.ID,
		Subject:    fmt.Sprintf("esp %s <-> %s", g.Host[side], g.Peer[side]),
		Message:    b.String(),
		Evidence:   evidenceFromBoth(c, frames[flows.SideInside], frames[flows.SideOutside]),
	}, true
}

func (rawESPThroughNAT) finding(c *Context, v *flows.TunnelView, raw int) Finding {
	t, _ := primarySide(v)
	nated := natedRole(&v.NAT)
	var b strings.Builder
	fmt.Fprintf(&b, "a NAT sits in front of the %s (%s); ", peerAddr(t, nated), howNATIsKnown(&v.NAT))
	b.WriteString(ntWhyNoNATT(v, t))
	conf := natConfidence(&v.NAT)
	if raw > 0 {
		var spis []string
		for _, st := range v.Sides {
			if st == nil {
				continue
			}
			for _, sa := range st.ESPSAs {
				if sa.Raw > 0 && !sa.AH && !slices.Contains(spis, decode.SPI(sa.SPI).String()) {
					spis = append(spis, decode.SPI(sa.SPI).String())
				}
			}
		}
		verb, spiWord := "travel", "SPIs"
		if raw == 1 {
			verb = "travels"
		}
		if len(spis) == 1 {
			spiWord = "SPI"
		}
		fmt.Fprintf(&b, "; its %s %s as raw IP protocol 50 (%s %s), which only IPsec Passthrough on the NAT forwards",
			words.Count(raw, "ESP packet"), verb, spiWord, words.List(spis, 0))
	} else {
		b.WriteString("; no ESP was captured, but it would travel as raw IP protocol 50 and need IPsec Passthrough on the NAT")
		conf = min(conf, Medium)
	}
	if c.Two() {
		if s := rawESPFate(c, v, nated); s != "" {
			b.WriteString("; " + s)
		}
	}
	var in, out []int
	for _, s := range viewSides(v) {
		st := v.Sides[s]
		frames := append(firstIKEFrames(st, 2), firstSAFrames(st, 2, func(sa *flows.ESPSA) bool { return sa.Raw > 0 && !sa.AH })...)
		addSideFrames(s, frames, &in, &out)
	}
	return Finding{
		Confidence: conf,
		Tunnel:     v.ID,
		Message:    b.String(),
		Evidence:   evidenceFromBoth(c, in, out),
	}
}

// ntWhyNoNATT says why a tunnel's ESP is not UDP-encapsulated, from what
// the peers announced.
func ntWhyNoNATT(v *flows.TunnelView, t *flows.Tunnel) string {
	if v.NATTNegotiated() {
		return "the peers negotiated NAT traversal, yet neither encapsulates its ESP in UDP"
	}
	ini, resp := flows.RoleInitiator, flows.RoleResponder
	if t.Version == 2 {
		si, sr := t.NATD[ini].Sent, t.NATD[resp].Sent
		switch {
		case !si && !sr:
			return "neither peer sent NAT_DETECTION notifies in IKE_SA_INIT, so NAT traversal is off"
		case si:
			return "only the initiator sent NAT_DETECTION notifies; the responder does not support or has disabled NAT traversal"
		}
		return "only the responder sent NAT_DETECTION notifies; the initiator does not support or has disabled NAT traversal"
	}
	vi, vr := t.NATTVendorIDs[ini], t.NATTVendorIDs[resp]
	switch {
	case len(vi) == 0 && len(vr) == 0:
		return "neither peer sent a NAT-T vendor ID (RFC 3947 or a draft), so NAT traversal is off"
	case len(vr) == 0:
		return fmt.Sprintf("the initiator offered NAT traversal (%s) but the responder sent no NAT-T vendor ID", strings.Join(vi, ", "))
	case len(vi) == 0:
		return fmt.Sprintf("the responder announced NAT traversal (%s) but the initiator sent no NAT-T vendor ID", strings.Join(vr, ", "))
	}
	return fmt.Sprintf("the peers' NAT-T vendor IDs have no method in common (initiator: %s; responder: %s), so NAT traversal is off",
		strings.Join(vi, ", "), strings.Join(vr, ", "))
}
