package rules

import (
	"fmt"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// captureDuplicateFrames reports VPN frames captured twice: a frame whose
// IP packet repeats one captured less than decode.DuplicateWindow before
// it (the same length, headers, checksums and ESP sequence number).
//
// A capture on two interfaces the traffic crosses (a bridge and its port,
// "tcpdump -i any" on a host that forwards at layer 2), or a tap or mirror
// port that copies some packets twice, records each packet twice, within
// microseconds. A peer does not send the same IP packet again that soon:
// IKE retransmits after half a second or more, and ESP numbers every packet
// anew. Counted as traffic, the copies would pass for IKE retransmissions
// and repeated ESP sequence numbers; vpnpcap counts them here and leaves
// them out of everything else.
//
// Capture on one interface, or filter the copies out (editcap -D), or fix
// the mirror configuration that duplicates.
//
// High confidence when the capture's clock ticks finely enough to place the
// copies within the window (a capture whose time stands still, VP910, is
// not searched for copies at all).
type captureDuplicateFrames struct{}

func (captureDuplicateFrames) Meta() Meta {
	return Meta{
		ID:         "VP911",
		Slug:       "capture-duplicate-frames",
		Title:      "VPN packets captured twice",
		Severity:   Info,
		Confidence: High,
		Explanation: "Some VPN frames appear twice in the capture, identical at the IP layer (headers, checksums, sequence numbers) and a few " +
			"microseconds apart: the capture recorded the same packet twice, on two interfaces it crossed or through a tap or " +
			"mirror port that duplicates. No IKE peer retransmits that fast and no ESP sender repeats a packet, so these copies " +
			"are not traffic: vpnpcap counts them here and leaves them out of retransmission counts, ESP sequence checks and " +
			"every other finding.",
		Remedy: "Capture on one interface (not 'any' on a bridging host), remove the copies from this file with editcap -D, or " +
			"configure the mirror or tap so that it copies each packet once.",
		References: []string{
			"editcap(1) -D (remove duplicate packets)",
			"RFC 7296 §2.1 (retransmission timers)",
			"RFC 4303 §3.3.3 (a sequence number is never reused)",
		},
	}
}

func (captureDuplicateFrames) Check(c *Context, report func(Finding)) {
	for s, a := range c.Captures {
		q := &a.Quality
		if q.Duplicates == 0 {
			continue
		}
		var pairs []string
		var frames []int
		for i, p := range q.DuplicatePairs {
			if i == 4 {
				break
			}
			pairs = append(pairs, fmt.Sprintf("frame %d repeats frame %d", p[0], p[1]))
			frames = append(frames, p[0], p[1])
		}
		vpn := a.Capture.Stats.VPNFrames
		msg := fmt.Sprintf("%s: %s of %s %s the same packet captured a second time, within %s of the first (%s); "+
			"they are left out of retransmission counts, ESP sequence checks and every other finding",
			a.Capture.Path, words.Count(q.Duplicates, "VPN frame"), words.Thousands(vpn), words.Pick(q.Duplicates, "is", "are"),
			fmtDuration(decode.DuplicateWindow), words.List(pairs, 0))
		if q.Duplicates*2 == vpn {
			msg += "; every VPN packet was captured twice"
		}
		report(Finding{Subject: a.Capture.Path, Confidence: High, Message: msg, Evidence: c.Evidence(flows.Side(s), frames...)})
	}
}
