package rules

import (
	"fmt"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// captureOneDirection reports a capture that seems to see one direction of
// the traffic only: IKE requests with not a single response anywhere, and
// either no conversation at all with packets both ways, or ESP of the same
// tunnel flowing both ways (which cannot happen unless IKE was answered).
//
// A mirror (SPAN) port configured for ingress or egress only, asymmetric
// routing around the capture point, or a capture filter on one direction
// ("src host …") all produce such captures. Every request then looks
// unanswered; rules about unanswered requests (VP101) lower their
// confidence accordingly.
//
// Capture where both directions pass: mirror both directions of the port
// (monitor session … both, or rx and tx), capture on the host itself, or
// drop the direction-specific capture filter.
//
// High confidence when ESP of the tunnel flows both ways or when many
// conversations are all one-way; medium when the capture holds too little
// other traffic to tell.
type captureOneDirection struct{}

func (captureOneDirection) Meta() Meta {
	return Meta{
		ID:         "VP908",
		Slug:       "capture-one-direction",
		Title:      "Capture seems to see one direction only",
		Severity:   Info,
		Confidence: High,
		Explanation: "The capture holds IKE requests but not one response, and nothing in it shows traffic in the other " +
			"direction — or the same tunnel's ESP flows both ways, which means IKE was answered out of sight. The capture " +
			"point probably sees only one direction: a mirror port copying only received or only sent packets, asymmetric " +
			"routing, or a capture filter on one direction. Requests that look unanswered may well have been answered.",
		Remedy: "Capture where both directions are visible: configure the mirror/SPAN session for both directions (Cisco " +
			"monitor session N source interface X both), capture on the VPN client or server itself, or remove capture " +
			"filters that select one direction (src/dst host).",
		References: []string{
			"RFC 7296 §1.2 (every IKE request has a response)",
			"pcap-filter(7) (direction qualifiers src, dst, inbound, outbound)",
		},
	}
}

// vp908MinFlows is how many one-way conversations besides IKE make a
// one-direction capture likely rather than merely a quiet one.
const vp908MinFlows = 3

func (captureOneDirection) Check(c *Context, report func(Finding)) {
	for s, a := range c.Captures {
		side := flows.Side(s)
		// A tunnel whose IKE went one way while its ESP went both ways.
		found := false
		for _, t := range a.Tunnels {
			if !tunnelIKEOneWay(t) {
				continue
			}
			both, n := espBothWays(t)
			if !both {
				continue
			}
			found = true
			v := c.ViewOf(side, t)
			id := 0
			if v != nil {
				id = v.ID
			}
			msg := fmt.Sprintf("%s: the IKE SA 0x%016x shows %s from the %s %s and none back, yet its %d ESP packets flow both ways: IKE was answered where the capture could not see",
				a.Capture.Path, t.SPIi, words.Count(t.Messages(), "IKE message"), flows.RoleInitiator, t.InitiatorFirst.Addr(), n)
			var frames []int
			for _, sa := range t.ESPSAs {
				frames = append(frames, sa.Frames.First())
			}
			frames = append(frames, t.Frames.First())
			report(Finding{Tunnel: id, Subject: a.Capture.Path, Confidence: High, Message: msg, Evidence: c.Evidence(side, frames...)})
		}
		if found {
			continue
		}
		oneWay, messages := ikeOneWay(a)
		if !oneWay || messages < 2 {
			continue
		}
		twoWay, total := a.Conversations()
		if twoWay > 0 {
			// Other traffic went both ways here: the IKE silence is real,
			// and VP101 reports it.
			continue
		}
		ikeFlows := 0
		for _, f := range a.Flows {
			if f.Tunnel != 0 && !f.Key.Directional() {
				ikeFlows++
			}
		}
		others := total - ikeFlows
		conf := High
		msg := fmt.Sprintf("%s: %s of %s and not one response, and none of the %d other conversations has packets in both directions: the capture point probably sees one direction only",
			a.Capture.Path, words.Count(messages, "IKE message"), words.Count(len(a.Tunnels), "IKE SA"), others)
		switch {
		case others == 0:
			conf = Medium
			msg = fmt.Sprintf("%s: %s of %s and not one response, and no other traffic to tell whether the capture point sees both directions",
				a.Capture.Path, words.Count(messages, "IKE message"), words.Count(len(a.Tunnels), "IKE SA"))
		case others < vp908MinFlows:
			conf = Medium
			msg = fmt.Sprintf("%s: %s of %s and not one response, and too little other traffic (%s, all one-way) to tell whether the capture point sees both directions",
				a.Capture.Path, words.Count(messages, "IKE message"), words.Count(len(a.Tunnels), "IKE SA"), words.Count(others, "conversation"))
		}
		var frames []int
		for _, t := range a.Tunnels {
			if len(frames) < 4 {
				frames = append(frames, t.Frames.First())
			}
		}
		report(Finding{Subject: a.Capture.Path, Confidence: conf, Message: msg, Evidence: c.Evidence(side, frames...)})
	}
}
