package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// captureMalformedPackets reports VPN packets that should have decoded and
// did not — malformed IKE messages, ESP too short for its header, UDP with a
// broken length — and IP datagrams given up because fragments were missing,
// with counts by component and the first frames.
//
// What does not decode is not analysed: a malformed IKE message contributes
// its header at most, and a datagram missing fragments contributes nothing.
// They are counted and reported so that nothing is dropped silently. Many
// malformed IKE messages from one peer may point at a device that alters
// packets (see VP107) or at an implementation bug; missing fragments at
// IP fragmentation trouble (see VP104).
//
// Open the frames listed in Wireshark to see what is wrong with them; if a
// middlebox mangles IKE, take the capture on both sides of it.
//
// Datagrams still incomplete when the capture ended are mentioned but do not
// raise the finding by themselves: their last fragments may simply have come
// after the capture stopped; nor do IKE datagrams of a tunnel, which VP104
// reports with their context. Packets cut by the snap length are left to
// VP902.
type captureMalformedPackets struct{}

func (captureMalformedPackets) Meta() Meta {
	return Meta{
		ID:         "VP906",
		Slug:       "capture-malformed-packets",
		Title:      "Malformed VPN packets in the capture",
		Severity:   Warning,
		Confidence: High,
		Explanation: "Some packets on the VPN ports or protocols could not be decoded: an IKE message whose payload chain is " +
			"broken, an ESP packet too short for its header, an IP datagram whose fragments never all arrived. They are not " +
			"part of the analysis, so the findings may miss what they carried. Malformed IKE can come from a device that " +
			"alters packets or from an implementation bug; missing fragments point at IP fragmentation trouble on the path.",
		Remedy: "Open the listed frames in Wireshark to see what is wrong with them. If IKE is malformed only after a NAT or " +
			"firewall, disable its IPsec ALG/passthrough helper; if fragments are missing, see the IKE fragmentation " +
			"advice (enable IKE fragmentation, let the firewall pass fragments).",
		References: []string{
			"RFC 7296 §3.2 (generic payload header and chaining)",
			"RFC 4303 §2 (ESP packet format)",
			"RFC 791 §3.2 (IP fragmentation and reassembly)",
		},
	}
}

func (captureMalformedPackets) Check(c *Context, report func(Finding)) {
	for s, a := range c.Captures {
		q := &a.Quality
		// Incomplete IKE datagrams of a tunnel are VP104's to report.
		lost := q.Incomplete - q.IncompleteAtEnd
		for _, t := range a.Tunnels {
			fr := t.IKEFragments()
			lost -= fr.Incomplete - fr.IncompleteAtEnd
		}
		if q.Malformed == 0 && lost <= 0 {
			continue
		}
		var parts []string
		var frames []int
		if q.Malformed > 0 {
			var by []string
			for _, comp := range slices.Sorted(maps.Keys(q.MalformedBy)) {
				by = append(by, fmt.Sprintf("%s %d", comp, q.MalformedBy[comp]))
			}
			parts = append(parts, fmt.Sprintf("%s could not be decoded (%s); the first, frame %d: %s",
				words.Count(q.Malformed, "VPN packet"), words.List(by, 0), q.FirstFaultFrame, q.FirstFault.Message))
			frames = append(frames, q.MalformedFrames.List()...)
		}
		if q.Incomplete > 0 {
			p := fmt.Sprintf("%s given up with fragments missing", wasWere(q.Incomplete, "IP datagram"))
			if q.IncompleteAtEnd > 0 {
				p += fmt.Sprintf(" (%d of them still incomplete when the capture ended)", q.IncompleteAtEnd)
			}
			parts = append(parts, p)
			frames = append(frames, q.IncompleteFrames.List()...)
		}
		report(Finding{
			Subject:    a.Capture.Path,
			Confidence: High,
			Message:    a.Capture.Path + ": " + strings.Join(parts, "; "),
			Evidence:   c.Evidence(flows.Side(s), frames...),
		})
	}
}
