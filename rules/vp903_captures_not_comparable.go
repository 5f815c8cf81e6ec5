package rules

import (
	"fmt"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// capturesNotComparable reports two captures that cannot be correlated: no
// packet of one appears in the other, or their time spans do not overlap.
//
// Correlation pairs the same packets seen on both sides of the NAT (by what
// a NAT leaves unchanged: SPIs, sequence numbers, payload bytes) and derives
// the clock offset from them. Without a single common packet there is no
// offset, no fate and no NAT mapping: every two-capture finding is missing,
// and what remains is two single-capture analyses.
//
// Capture at the same time on both sides of the NAT, the same traffic (do
// not filter one side to other hosts or ports), and start both captures
// before the tunnel is brought up.
//
// When nothing matches, the captures may also be of different traffic
// altogether; the rule cannot tell, hence one finding with high confidence
// that they were not compared.
type capturesNotComparable struct{}

func (capturesNotComparable) Meta() Meta {
	return Meta{
		ID:         "VP903",
		Slug:       "captures-not-comparable",
		Title:      "Inside and outside captures share no traffic",
		Severity:   Warning,
		Confidence: High,
		Explanation: "The two captures were meant to show the same traffic on both sides of the NAT, but no packet of one " +
			"appears in the other (or their time spans do not overlap). They were taken at different times, on paths that do " +
			"not carry the same tunnel, or with capture filters that exclude each other's traffic. Nothing could be compared: " +
			"no packet fates, no NAT mappings, no clock offset; only the single-capture findings remain.",
		Remedy: "Capture at the same time on the LAN side and on the WAN side of the NAT device, without filters that drop the " +
			"VPN traffic on one side (capture udp port 500 or udp port 4500 or esp on both), start both captures before the " +
			"tunnel is brought up, and stop them after it failed or worked.",
		References: []string{
			"RFC 3715 §2 (what a NAT changes and what it leaves alone)",
			"RFC 4303 §2 (SPI and sequence number identify an ESP packet end to end)",
		},
		NeedsBoth: true,
	}
}

func (capturesNotComparable) Check(c *Context, report func(Finding)) {
	cor := c.Correlation
	if cor == nil {
		return
	}
	in, out := &cor.Inside.Capture, &cor.Outside.Capture
	var msg string
	switch {
	case cor.Anchors == 0:
		msg = fmt.Sprintf("no packet of %s (%s, %s) appears in %s (%s, %s): the captures share no traffic and were not compared",
			in.Path, words.Count(in.Packets, "VPN packet"), spanText(in.First, in.Last),
			out.Path, words.Count(out.Packets, "VPN packet"), spanText(out.First, out.Last))
	case !cor.Overlaps:
		msg = fmt.Sprintf("the captures do not overlap in time: %s covers %s, %s covers %s on the inside clock (offset %s); nothing was compared",
			in.Path, spanText(in.First, in.Last), out.Path, spanText(cor.ToInside(out.First), cor.ToInside(out.Last)), fmtDuration(cor.Offset))
	default:
		return
	}
	report(Finding{Subject: in.Path + " / " + out.Path, Confidence: High, Message: msg,
		Evidence: append(c.Evidence(flows.SideInside, min(in.Frames, 1)), c.Evidence(flows.SideOutside, min(out.Frames, 1))...)})
}

// spanText shows a capture's time span: "09:00:00.000–09:05:12.250 UTC".
func spanText(first, last time.Time) string {
	if first.IsZero() {
		return "no packets"
	}
	const layout = "15:04:05.000"
	s := first.UTC().Format(layout) + "–" + last.UTC().Format(layout) + " UTC"
	if first.UTC().YearDay() != last.UTC().YearDay() || first.Year() != last.Year() {
		s = first.UTC().Format("2006-01-02 ") + first.UTC().Format(layout) + "–" + last.UTC().Format("2006-01-02 ") + last.UTC().Format(layout) + " UTC"
	}
	return s
}
