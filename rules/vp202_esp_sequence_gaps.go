package rules

import (
	"fmt"

	"github.com/vpnpcap/vpnpcap/internal/words"
)

// espSequenceGaps finds ESP and AH security associations whose sequence
// numbers skip values in a capture. A sender numbers every packet of an SA
// one above the previous (RFC 4303 §3.3.3, RFC 4302 §3.3.2), so a jump
// means packets that never reached the capture point.
//
// Lost ESP is lost user traffic: TCP inside the tunnel slows down, UDP
// applications (voice, video) drop out. With one capture the loss is known
// to be upstream of the capture point, not where; with both captures the
// part lost at the NAT is VP201's, and this rule reports the part that was
// already missing before the NAT, which the NAT cannot be blamed for.
//
// Fix it where the loss happens: on the path before the capture point (the
// sender's uplink, the Internet path for inbound SAs), or on the capture
// host if it dropped packets itself. A capture on both sides of the NAT
// tells which.
//
// The capture tool may drop packets under load (tcpdump's "packets dropped
// by kernel"), and a capture filter or ECMP/LACP path split shows only part
// of an SA: both look like gaps. A jump far larger than the SA's packets
// suggests the packets are not one sequence at all (a mis-classified UDP
// flow), and lowers confidence. The first packet's number is not a gap:
// the capture may begin mid-SA.
type espSequenceGaps struct{}

func (espSequenceGaps) Meta() Meta {
	return Meta{
		ID:         "VP202",
		Slug:       "esp-sequence-gaps",
		Title:      "ESP sequence numbers missing in a capture",
		Severity:   Warning,
		Confidence: Medium,
		TimeUse:    "the order of the ESP packets",
		OrderOnly:  true,
		Explanation: "The sender of an ESP security association numbers its packets one by one, and a NAT never " +
			"changes the numbers. Numbers missing from the capture are packets lost before they reached the " +
			"capture point: the tunnel works, but loses traffic on the way.",
		Remedy: "Find the lossy hop upstream of the capture point: for outbound SAs the client's LAN or Wi-Fi, for " +
			"inbound SAs the Internet path or the peer's uplink. Check the capture host's drop counters first " +
			"(tcpdump prints \"packets dropped by kernel\"); capture with a larger buffer (-B) if it dropped. " +
			"Capture on both sides of the NAT to tell NAT loss from path loss.",
		References: []string{"RFC 4303 §3.3.3 (Sequence Number Generation)", "RFC 4302 §3.3.2 (Sequence Number Generation)"},
		Catalogue:  []string{"NT22"},
	}
}

func (espSequenceGaps) Check(c *Context, report func(Finding)) {
	v := c.dataPlane()
	min := max(c.Config.Thresholds.ESPGapPackets, 1)
	for _, side := range c.captureSides() {
		for _, sa := range c.Captures[side].SAs {
			if sa.Missing < min {
				continue
			}
			d := v.dir(side, sa.Src, sa.Dst)
			cp := v.counterpart(side, sa)
			if cp != nil && !towardOther(side, d) {
				// The far capture saw the SA first: its own gaps are the
				// ones that predate the NAT, and VP201 has the rest.
				continue
			}
			gaps := sa.GapFrames.Count()
			msg := fmt.Sprintf("%s%s: %d sequence %s missing in %s among %d packets (sequence %d to %d)",
				espLabel(sa), dirPhrase(d), sa.Missing, words.Pick(sa.Missing, "number", "numbers"), words.Count(gaps, "gap"),
				sa.Packets(), sa.FirstSeq, sa.MaxSeq)
			switch {
			case cp != nil:
				msg += fmt.Sprintf("; already missing in the %s capture, before the NAT: lost between the sender and the capture point, not at the NAT", side)
			case c.Two():
				msg += fmt.Sprintf("; the SA does not appear in the %s capture; the packets were lost before the %s capture point", 1-side, side)
			default:
				msg += "; the packets were lost before the capture point (or by the capture itself)"
			}
			conf := Medium
			if sa.Missing > 1000*sa.Packets() {
				// Jumps of this size are not lost packets of one
				// sender; more likely not one sequence at all.
				conf = Low
			}
			report(Finding{
				Confidence: conf,
				Tunnel:     v.tunnelID(side, sa.Tunnel),
				Subject:    espSubject(sa),
				Message:    msg,
				Evidence:   c.Evidence(side, sa.GapFrames.List()...),
			})
		}
	}
}
