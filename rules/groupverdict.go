package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// groupVerdict decides the verdict of ESP SAs that belong to no tunnel:
// whether their ESP depends on IPsec Passthrough, and whether it works.
// The negotiation is not in the captures, so everything said rests on the
// ESP itself: how it travelled, whether the NAT translated it, and whether
// it flowed both ways.
func groupVerdict(c *Context, g *flows.ESPGroup, findings []Finding) Verdict {
	vd := Verdict{Group: g.ID, NAT: g.NAT.Position, Works: true}
	side := flows.SideInside
	if len(g.SAs[side]) == 0 {
		side = flows.SideOutside
	}
	var count flows.ESPCount
	for _, sa := range g.SAs[side] {
		count.Add(sa)
	}
	vd.Encapsulation = count.Encapsulation()
	host := g.Host[side]
	translated := g.NAT.Position == flows.NATHost && g.NAT.Certainty == flows.NATProven
	switch {
	case count.AH > 0 && count.ESP() == 0 && g.NAT.Present():
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = "it uses AH, whose integrity check covers the IP addresses: no NAT, with or without Passthrough, can forward it intact"
	case count.ESP() > 0 && count.Raw == 0:
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = fmt.Sprintf("all %d ESP packets travelled inside %s, which a NAT translates like any other traffic", count.UDP+count.TCP, encapWords(count.UDP, count.TCP))
	case count.Raw > 0 && translated:
		vd.DependsOnPassthrough = DependsYes
		vd.Reason = fmt.Sprintf("its raw ESP (IP protocol 50) crossed the NAT, which translated %s to %s: only IPsec Passthrough forwards raw ESP through a NAT",
			g.Host[flows.SideInside], g.Host[flows.SideOutside])
	case count.Raw > 0 && g.NAT.Present():
		vd.DependsOnPassthrough = DependsYes
		vd.Reason = fmt.Sprintf("its raw ESP (IP protocol 50) must cross the NAT in front of %s (%s), which only IPsec Passthrough does", host, g.NAT.Peers[flows.RoleInitiator].Reason)
	case count.Raw > 0 && g.NAT.Position == flows.NATNone:
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = "no NAT translates it, so raw ESP needs no help"
	default:
		vd.DependsOnPassthrough = DependsUnknown
		vd.Reason = "its ESP travels raw, but the capture does not show whether a NAT is in the path (no IKE to tell; add a capture from the other side)"
	}
	worst := worstError(findings, func(f *Finding) bool { return f.Group == g.ID })
	if worst != nil {
		vd.Works = false
		vd.Failure = worst.Title + ": " + worst.Message
	}
	vd.Summary = groupSummary(g, vd, count, side)
	groupHeadline(&vd, worst, count)
	return vd
}

// worstError returns the most severe error finding of medium or high
// confidence that about selects, a cause before a symptom; nil if none.
func worstError(findings []Finding, about func(*Finding) bool) *Finding {
	var worst *Finding
	for i := range findings {
		f := &findings[i]
		if !about(f) || f.Severity != Error || f.Confidence < Medium {
			continue
		}
		if worst == nil || symptom(worst.RuleID) && !symptom(f.RuleID) {
			worst = f
		}
	}
	return worst
}

func groupSummary(g *flows.ESPGroup, vd Verdict, count flows.ESPCount, side flows.Side) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ESP between %s and %s (no IKE in the capture) ", g.Host[side], g.Peer[side])
	var spis []string
	for _, spi := range g.SPIs() {
		spis = append(spis, decode.SPI(spi).String())
	}
	switch {
	case count.Raw > 0 && count.UDP+count.TCP > 0:
		fmt.Fprintf(&b, "mixes encapsulations: %d packets raw and %d inside UDP", count.Raw, count.UDP+count.TCP)
	case count.Raw > 0:
		fmt.Fprintf(&b, "travels raw (IP protocol 50): %s", words.Count(count.Raw, "packet"))
	case count.AH > 0 && count.ESP() == 0:
		fmt.Fprintf(&b, "uses AH: %s", words.Count(count.AH, "packet"))
	default:
		fmt.Fprintf(&b, "travels inside %s: %s", encapWords(count.UDP, count.TCP), words.Count(count.UDP+count.TCP, "packet"))
	}
	fmt.Fprintf(&b, " on SPI %s.", words.List(spis, 0))
	switch vd.DependsOnPassthrough {
	case DependsYes:
		b.WriteString(" It depends on IPsec Passthrough: " + vd.Reason + ".")
	case DependsNo:
		b.WriteString(" It does not depend on IPsec Passthrough: " + vd.Reason + ".")
	default:
		b.WriteString(" Whether it depends on IPsec Passthrough cannot be told: " + vd.Reason + ".")
	}
	if !vd.Works {
		b.WriteString(" It fails: " + strings.TrimSuffix(vd.Failure, ".") + ".")
	}
	return b.String()
}
