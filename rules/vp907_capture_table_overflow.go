package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// captureTableOverflow reports an analysis that hit its memory bounds: flows
// or IKE SAs beyond the table's caps were counted but not tracked, tunnels
// with more exchanges than are kept lost the later ones, and IP datagrams
// were given up unreassembled to keep IP reassembly within its bounds (the
// number of datagrams in reassembly, the octets their buffers hold).
//
// The bounds keep a hostile or enormous capture from exhausting memory. Past
// them, the packets of untracked flows belong to no tunnel and no finding,
// and what the datagrams given up carried is not analysed: the analysis is
// incomplete, and a problem in the untracked part goes unreported. Those
// datagrams were vpnpcap's to give up, not the network's to lose: their
// missing fragments may have come later, so they are not reported as lost
// fragments (VP104, VP906).
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
			"them are not reported. Likewise IP reassembly holds at most " + strconv.Itoa(decode.DefaultMaxFragments) + " datagrams " +
			"waiting for fragments, in buffers of at most 1/128 of --max-memory (" + bytesWords(decode.DefaultMaxFragmentBytes) + " by default, as Linux bounds its " +
			"own, ipfrag_high_thresh); past either, the oldest are given up unreassembled, and what they carried is not " +
			"analysed. The findings cover only the part of the capture that fitted.",
		Remedy: "Analyse a narrower capture: filter it to the peers and protocols of interest (for example tshark or tcpdump " +
			"with \"host 198.51.100.7 and (udp port 500 or udp port 4500 or esp)\"), split it by time with editcap -i, or raise " +
			"the bound (--max-memory, which IP reassembly's buffers get 1/128 of, or --max-flows; the number of datagrams in reassembly is fixed).",
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
		var busy, noisy []string
		for _, t := range a.Tunnels {
			if t.ExchangesOverflow > 0 {
				if len(busy) < 3 {
					busy = append(busy, fmt.Sprintf("IKE SA %s (%d)", decode.IKESPI(t.SPIi), t.ExchangesOverflow))
				}
				frames = append(frames, t.Frames.Last())
			}
			if t.NotifiesNotKept > 0 && len(noisy) < 3 {
				noisy = append(noisy, fmt.Sprintf("IKE SA %s (%d)", decode.IKESPI(t.SPIi), t.NotifiesNotKept))
			}
		}
		if len(busy) > 0 {
			parts = append(parts, "exchanges beyond the number kept per tunnel were only counted: "+words.List(busy, 0))
		}
		if len(noisy) > 0 {
			parts = append(parts, "notifies of more kinds than are kept per tunnel were only counted: "+words.List(noisy, 0))
		}
		r := a.Capture.Stats.Reassembly
		for _, ev := range []struct {
			e     *flows.Evicted
			bound string
		}{
			{&a.Quality.EvictedByCount, reassemblyBound(r.MaxDatagrams, decode.DefaultMaxFragments, words.Count(r.MaxDatagrams, "datagram")+" in reassembly at once", "on the datagrams in reassembly at once")},
			{&a.Quality.EvictedByBytes, reassemblyBound(r.MaxBytes, decode.DefaultMaxFragmentBytes, bytesWords(int64(r.MaxBytes))+" of buffers for the datagrams in reassembly", "on the buffers of the datagrams in reassembly")},
		} {
			e := ev.e
			if e.Datagrams == 0 {
				continue
			}
			first := "the first began"
			if e.Datagrams == 1 {
				first = "it began"
			}
			parts = append(parts, fmt.Sprintf("IP reassembly reached %s: %s with fragments still missing %s given up, %s %s (%s) not reassembled; %s at frame %d",
				ev.bound, words.Count(e.Datagrams, "IP datagram"), words.Pick(e.Datagrams, "was", "were"), words.Pick(e.Datagrams, "its", "their"),
				words.Count(e.Fragments, "fragment"), words.Count(e.Octets, "octet"), first, e.FirstFrame))
			frames = append(frames, e.FirstFrame)
			frames = append(frames, e.Frames.List()...)
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

// reassemblyBound names a bound of IP reassembly: its value said by said,
// and whether it is vpnpcap's default; unknown (zero) it is only named.
func reassemblyBound(value, def int, said, unknown string) string {
	switch value {
	case 0:
		return "its bound " + unknown
	case def:
		return "its bound of " + said + " (vpnpcap's default)"
	}
	return "its bound of " + said
}

// bytesWords says a size in MiB, or in bytes below one.
func bytesWords(n int64) string {
	if n < 1<<20 {
		return words.Count(int(n), "byte")
	}
	return fmt.Sprintf("%d MiB", n>>20)
}
