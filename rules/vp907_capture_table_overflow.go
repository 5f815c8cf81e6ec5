package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// captureTableOverflow reports an analysis that hit its memory bounds: flows
// or IKE SAs beyond the table's caps were counted but not tracked, and
// tunnels with more exchanges than are kept lost the later ones.
//
// The bounds keep a hostile or enormous capture from exhausting memory. Past
// them, the packets of untracked flows belong to no tunnel and no finding:
// the analysis is incomplete, and a problem in the untracked part goes
// unreported.
//
// Narrow the capture to the VPN traffic of interest (a capture filter such
// as "host 198.51.100.7 and (udp port 500 or udp port 4500 or esp)"), split
// it by time (editcap -i, tcpdump -G), or raise the limits.
//
// The counts are exact: high confidence.
type captureTableOverflow struct{}

func (captureTableOverflow) Meta() Meta {
	return Meta{
		ID:         "VP907",
		Slug:       "capture-table-overflow",
		Title:      "Analysis incomplete: flow or tunnel table full",
		Severity:   Warning,
		Confidence: High,
		Explanation: "The capture holds more conversations or IKE SAs than the analysis keeps in memory. Those beyond the limit " +
			"were counted but not followed: their packets belong to no tunnel, and problems in them are not reported. The " +
			"findings cover only the part of the capture that fitted.",
		Remedy: "Analyse a narrower capture: filter it to the peers and protocols of interest (for example tshark or tcpdump " +
			"with \"host 198.51.100.7 and (udp port 500 or udp port 4500 or esp)\"), split it by time with editcap -i, or raise " +
			"the flow and tunnel limits of the analysis.",
		References: []string{
			"tcpdump(1) and pcap-filter(7) capture filters",
			"editcap(1) -i (split a capture by time)",
		},
	}
}

func (captureTableOverflow) Check(c *Context, report func(Finding)) {
	for s, a := range c.Captures {
		var parts []string
		var frames []int
		if a.OverflowFlows > 0 {
			parts = append(parts, fmt.Sprintf("%d flows (%s) were not tracked because the flow table was full", a.OverflowFlows, countNoun(a.OverflowPackets, "packet")))
		}
		if a.OverflowTunnels > 0 {
			parts = append(parts, fmt.Sprintf("%d IKE SAs were not tracked because the tunnel table was full", a.OverflowTunnels))
		}
		var busy []string
		for _, t := range a.Tunnels {
			if t.ExchangesOverflow > 0 {
				if len(busy) < 3 {
					busy = append(busy, fmt.Sprintf("IKE SA %s (%d)", decode.IKESPI(t.SPIi), t.ExchangesOverflow))
				}
				frames = append(frames, t.Frames.Last())
			}
		}
		if len(busy) > 0 {
			parts = append(parts, "exchanges beyond the number kept per tunnel were only counted: "+strings.Join(busy, ", "))
		}
		if len(parts) == 0 {
			continue
		}
		report(Finding{
			Subject:    a.Capture.Path,
			Confidence: High,
			Message:    a.Capture.Path + ": " + strings.Join(parts, "; ") + "; the analysis is incomplete",
			Evidence:   c.Evidence(flows.Side(s), frames...),
		})
	}
}
