package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// mixedEncapsulation detects a tunnel whose ESP travels partly as raw IP
// protocol 50 and partly inside UDP (or TCP): typically one peer
// encapsulates and the other does not, or one SA was installed without
// UDP encapsulation.
//
// RFC 3948 fixes the encapsulation per SA once NAT traversal is negotiated,
// and receivers drop the other form (Linux counts XfrmInStateMismatch). The
// raw half also crosses a NAT only through IPsec Passthrough: the tunnel
// depends on Passthrough for part of its traffic, and breaks at the peer
// even when Passthrough forwards it.
//
// Make the peer that sends raw ESP install its SAs with UDP encapsulation:
// update it, check its kernel's NAT-T support, remove one-sided settings
// that disable encapsulation. Do not rely on Passthrough.
//
// Not reported when the captures prove there is no NAT. Confidence is high
// when NAT traversal was negotiated and a NAT is known to sit between the
// peers, medium otherwise.
type mixedEncapsulation struct{}

func (mixedEncapsulation) Meta() Meta {
	return Meta{
		ID:         "VP303",
		Slug:       "mixed-encapsulation",
		Title:      "One tunnel's ESP is partly raw, partly UDP-encapsulated",
		Severity:   Error,
		Confidence: High,
		Explanation: "The tunnel's ESP travels in two forms: some SAs (or some packets) as raw IP protocol 50, others inside " +
			"UDP 4500. Encapsulation is a property of each SA: once NAT traversal is negotiated, the receiver expects UDP-encapsulated " +
			"ESP and drops raw ESP for the same SA. Through a NAT, the raw part moreover crosses only if IPsec Passthrough forwards " +
			"protocol 50, so this tunnel depends on Passthrough for part of its traffic and usually fails in one direction.",
		Remedy: "Make the peer that sends raw ESP install its SAs with UDP encapsulation: update its IKE daemon, check that its " +
			"kernel supports UDP-encapsulated ESP (Linux xfrm UDP_ENCAP, strongSwan kernel-netlink), and remove settings that " +
			"disable encapsulation on one side only (libreswan encapsulation=no). On the NAT allow UDP 500 and 4500 and do not " +
			"rely on IPsec Passthrough.",
		References: []string{"RFC 3948 §2, §5", "RFC 7296 §2.23", "RFC 3715 §2.2"},
		Catalogue:  []string{"NT01", "NT02"},
	}
}

func (r mixedEncapsulation) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		if v.NAT.Position == flows.NATNone {
			continue
		}
		side, ok := ntMixedSide(v)
		if !ok {
			continue
		}
		report(r.finding(c, v, side))
	}
}

// ntMixedSide returns a side (the inside first) whose capture shows the
// tunnel's ESP both raw and encapsulated.
func ntMixedSide(v *flows.TunnelView) (flows.Side, bool) {
	for _, s := range viewSides(v) {
		var raw, enc int
		for _, sa := range v.Sides[s].ESPSAs {
			if sa.AH {
				continue
			}
			raw += sa.Raw
			enc += sa.UDP + sa.TCP
		}
		if raw > 0 && enc > 0 {
			return s, true
		}
	}
	return 0, false
}

func (mixedEncapsulation) finding(c *Context, v *flows.TunnelView, side flows.Side) Finding {
	t := v.Sides[side]
	var parts []string
	for _, sa := range t.ESPSAs {
		if sa.AH || sa.Packets() == 0 {
			continue
		}
		who := saSender(t, sa) + " " + sa.Src.String()
		var how string
		switch {
		case sa.Raw > 0 && sa.UDP+sa.TCP > 0:
			how = fmt.Sprintf("partly as raw IP protocol 50 (%d) and partly in %s (%d)", sa.Raw, ntEncapName(sa), sa.UDP+sa.TCP)
		case sa.Raw > 0:
			how = "as raw IP protocol 50 (" + words.Count(sa.Raw, "packet") + ")"
		default:
			how = fmt.Sprintf("in %s (%s)", ntEncapName(sa), words.Count(sa.UDP+sa.TCP, "packet"))
		}
		parts = append(parts, fmt.Sprintf("SPI %s from the %s %s", decode.SPI(sa.SPI).String(), who, how))
	}
	var b strings.Builder
	b.WriteString("the tunnel's ESP travels in two forms: ")
	b.WriteString(strings.Join(parts, "; "))
	conf := Medium
	if v.NATTNegotiated() {
		b.WriteString("; NAT traversal was negotiated, so the receiver of the raw ESP expects it inside UDP and drops it")
		if v.NAT.Present() {
			conf = natConfidence(&v.NAT)
		}
	}
	switch {
	case v.NAT.Present():
		fmt.Fprintf(&b, "; the raw part crosses the NAT in front of the %s (%s) only through IPsec Passthrough", natedPeers(t, &v.NAT), howNATIsKnown(&v.NAT))
		if c.Two() {
			if s := rawESPFate(c, v, natedRole(&v.NAT)); s != "" {
				b.WriteString("; " + s)
			}
		}
	default:
		b.WriteString("; if a NAT sits between the peers, the raw part needs IPsec Passthrough to cross it")
	}
	var in, out []int
	for _, s := range viewSides(v) {
		st := v.Sides[s]
		frames := append(firstIKEFrames(st, 2), firstSAFrames(st, 2, func(sa *flows.ESPSA) bool { return !sa.AH })...)
		addSideFrames(s, frames, &in, &out)
	}
	return Finding{Confidence: conf, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)}
}

// ntEncapName names how an SA's encapsulated packets travelled.
func ntEncapName(sa *flows.ESPSA) string {
	switch {
	case sa.TCP > 0 && sa.UDP == 0:
		return "TCP (RFC 9329)"
	case sa.UDP > 0 && (sa.SrcPort == 4500 || sa.DstPort == 4500):
		return "UDP 4500"
	}
	return "UDP"
}
