package rules

import (
	"fmt"
)

// espSequenceRepeated finds ESP and AH packets whose sequence number is at
// or below the highest already seen on their SA: duplicated or reordered
// packets (RFC 4303 §3.4.3, RFC 4302 §3.4.3).
//
// The receiver's anti-replay check drops every duplicate and every packet
// that falls behind its replay window (commonly 32 or 64 packets; strongSwan
// replay_window, Linux XFRM replay-window). Duplicates are wasted
// bandwidth; reordering beyond the window is silent loss inside the tunnel.
// A NAT or load balancer that spreads an SA over several queues or paths
// reorders it; a loop or a mirrored port duplicates it.
//
// Fix the device that reorders: keep an SA on one queue or path (per-flow
// hashing that includes protocol 50, or UDP 4500 ports), remove the loop,
// or widen the replay window on the receiver (strongSwan
// replay_window = 128, Linux "ip xfrm state ... replay-window") when
// reordering cannot be avoided.
//
// A capture that records every packet twice — tcpdump -i any on the NAT
// itself, or on a bridge and its port — shows an SA where nearly every
// packet repeats: that is the capture, not the network, and confidence is
// low. With both captures the rule reports repeats where they first
// appear, so that repeats already present before the NAT are not blamed on
// it.
type espSequenceRepeated struct{}

func (espSequenceRepeated) Meta() Meta {
	return Meta{
		ID:         "VP203",
		Slug:       "esp-sequence-repeated",
		Title:      "ESP packets duplicated or reordered",
		Severity:   Warning,
		Confidence: Medium,
		TimeUse:    "the order of the ESP packets",
		OrderOnly:  true,
		Explanation: "Some ESP packets carried a sequence number at or below the highest one already seen on their " +
			"security association: they were duplicated or arrived out of order. The receiver's anti-replay " +
			"check discards duplicates and packets that fall too far behind, so the tunnel loses traffic that " +
			"did arrive.",
		Remedy: "Find the device that reorders or duplicates: a multi-queue NAT or load balancer spreading one SA " +
			"over several paths (make its hashing keep protocol 50, or the UDP 4500 flow, on one path), a " +
			"switching loop, or a mirror port. If reordering is unavoidable, widen the receiver's replay window " +
			"(strongSwan replay_window, Linux \"ip xfrm state ... replay-window\").",
		References: []string{"RFC 4303 §3.4.3 (Sequence Number Verification)", "RFC 4302 §3.4.3 (Sequence Number Verification)"},
	}
}

func (espSequenceRepeated) Check(c *Context, report func(Finding)) {
	v := c.dataPlane()
	min := max(c.Config.Thresholds.ESPRepeatedPackets, 1)
	for _, side := range c.captureSides() {
		for _, sa := range c.Captures[side].SAs {
			if sa.Repeated < min {
				continue
			}
			d := v.dir(side, sa.Src, sa.Dst)
			cp := v.counterpart(side, sa)
			var where string
			switch {
			case cp != nil && !towardOther(side, d):
				// Downstream of the other capture: only repeats the
				// other capture did not already show are new here.
				n := sa.Repeated - cp.Repeated
				if n < min {
					continue
				}
				where = fmt.Sprintf("; %d more than the %s capture shows (%d): introduced between the captures", n, 1-side, cp.Repeated)
			case cp != nil:
				where = fmt.Sprintf("; already in the %s capture, before the NAT", side)
			}
			msg := fmt.Sprintf("%s%s: %d of %d packets carried a sequence number at or below the highest already seen (duplicates or reordering)%s",
				espLabel(sa), dirPhrase(d), sa.Repeated, sa.Packets(), where)
			conf := Medium
			if sa.Repeated >= 4 && 2*sa.Repeated >= sa.Packets()-1 {
				conf = Low
				msg += "; nearly every packet appears twice, which is what a capture recording each packet on two interfaces shows"
			}
			report(Finding{
				Confidence: conf,
				Tunnel:     v.tunnelID(side, sa.Tunnel),
				Subject:    espSubject(sa),
				Message:    msg,
				Evidence:   c.Evidence(side, sa.DupFrames.List()...),
			})
		}
	}
}
