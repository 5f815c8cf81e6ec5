package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
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
		Title:      "Analysis incomplete: a memory bound was reached",
		Severity:   Warning,
		Confidence: High,
		Explanation: "The capture holds more conversations, ESP SAs or IKE SAs than the analysis keeps in memory: its memory " +
			"bound (--max-memory; every flow, SA, tunnel and exchange counts at an estimate of its size) or the flow and tunnel " +
			"counts. Those beyond the bound were counted but not followed: their packets belong to no tunnel, and problems in " +
			"them are not reported. The findings cover only the part of the capture that fitted.",
		Remedy: "Analyse a narrower capture: filter it to the peers and protocols of interest (for example tshark or tcpdump " +
			"with \"host 198.51.100.7 and (udp port 500 or udp port 4500 or esp)\"), split it by time with editcap -i, or raise " +
			"the bound (--max-memory, --max-flows).",
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
		atLeast := ""
		if a.OverflowFlowsAtLeast {
			atLeast = "at least "
		}
		var left []string
		if a.OverflowFlows > 0 {
			left = append(left, fmt.Sprintf("%s%s (%s)", atLeast, words.Count(a.OverflowFlows, "flow"), words.Count(a.OverflowPackets, "packet")))
		}
		if a.OverflowSAs > 0 {
			left = append(left, words.Count(a.OverflowSAs, "packet")+" of ESP or AH SAs")
		}
		if a.OverflowTunnels > 0 {
			left = append(left, words.Count(a.OverflowTunnels, "IKE message")+" of IKE SAs")
		}
		if len(left) > 0 {
			why := "the flow or tunnel table was full"
			if b := a.Budget; b.Exceeded() {
				why = fmt.Sprintf("the memory bound of %s was reached at frame %d", bytesWords(b.Limit), b.FirstFrame)
				frames = append(frames, b.FirstFrame)
			}
			parts = append(parts, fmt.Sprintf("%s: not tracked: %s", why, strings.Join(left, ", ")))
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
			parts = append(parts, "exchanges beyond the number kept per tunnel were only counted: "+words.List(busy, 0))
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

// bytesWords says a size in MiB, or in bytes below one.
func bytesWords(n int64) string {
	if n < 1<<20 {
		return words.Count(int(n), "byte")
	}
	return fmt.Sprintf("%d MiB", n>>20)
}
