package flows

import (
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
)

// maxMalformedComponents bounds the per-component malformed counts; the
// decoder names a handful of components, so the bound only guards against
// reasons it may add.
const maxMalformedComponents = 32

// Quality records what in a capture limits the analysis: VPN packets cut
// short by the capture's snap length, packets that should have decoded and
// did not, and IP datagrams whose fragments never all arrived.
type Quality struct {
	// TruncatedIKE, TruncatedESP and TruncatedOther count VPN packets
	// captured shorter than they were on the wire: IKE messages (whose
	// payloads are then partly lost), ESP and UDP-encapsulated ESP, and
	// the rest (AH, GRE, PPTP, fragments, malformed). TruncatedFrames
	// samples their frames and SnapLen is the largest captured length
	// among them: the capture's snap length, as far as they tell.
	TruncatedIKE, TruncatedESP, TruncatedOther int
	TruncatedFrames                            Frames
	TruncatedIKEFrames                         Frames
	SnapLen                                    int

	// Malformed counts malformed packets that are neither truncated by the
	// snap length nor IP datagrams with fragments missing; MalformedBy by
	// the decoder component that rejected them ("ike", "esp", "udp"…),
	// MalformedFrames samples their frames and FirstError is the reason
	// given for the first.
	Malformed       int
	MalformedBy     map[string]int
	MalformedFrames Frames
	FirstError      string
	FirstErrorFrame int

	// Incomplete counts IP datagrams given up with fragments missing,
	// IncompleteAtEnd those of them that were still incomplete when the
	// capture ended; IncompleteFrames samples the frames of their latest
	// fragments.
	Incomplete       int
	IncompleteAtEnd  int
	IncompleteFrames Frames

	// Duplicates counts VPN packets that are copies of a frame captured
	// just before (decode.Packet.DuplicateOf): the same packet captured
	// twice. They are left out of everything else. DuplicateFrames
	// samples the copies and DuplicatePairs the first copies with their
	// originals (copy, original), for evidence.
	Duplicates      int
	DuplicateFrames Frames
	DuplicatePairs  [][2]int
}

// maxDuplicatePairs bounds Quality.DuplicatePairs.
const maxDuplicatePairs = 8

// noteDuplicate accounts a packet that is a copy of an earlier frame.
func (q *Quality) noteDuplicate(p *decode.Packet) {
	if q.DuplicateFrames.Count() > 0 && q.DuplicateFrames.Last() == p.Frame {
		return // another packet of the same copied frame
	}
	q.Duplicates++
	q.DuplicateFrames.Add(p.Frame)
	if len(q.DuplicatePairs) < maxDuplicatePairs {
		q.DuplicatePairs = append(q.DuplicatePairs, [2]int{p.Frame, int(p.DuplicateOf)})
	}
}

// Truncated returns the VPN packets captured shorter than on the wire.
func (q *Quality) Truncated() int { return q.TruncatedIKE + q.TruncatedESP + q.TruncatedOther }

// isEndOfCapture reports whether a reassembly failure reason is the end of
// the capture rather than a fragment that never came in time.
func isEndOfCapture(reason string) bool { return strings.Contains(reason, "capture ended") }

// isIncomplete reports whether a malformed packet stands for an IP datagram
// given up with fragments missing: timed out, evicted from a full table, or
// still open when the capture ended. The decoder's reasons for those, and
// only those, speak of "reassembly" ("reassembled datagram" is a whole
// datagram whose content is malformed).
func isIncomplete(p *decode.Packet) bool {
	return p.Fragments > 0 && p.IKE == nil && strings.Contains(p.Err, "reassembly")
}

// isSnapTruncated reports whether a malformed packet is the capture's
// fault: an IKE message or fragment cut short by the snap length. The
// decoder says so with "captured" (ike: "300 of 1400 bytes captured") or
// "in capture" (ipv4: "fragment truncated in capture").
func isSnapTruncated(p *decode.Packet) bool {
	return strings.Contains(p.Err, "bytes captured") || strings.Contains(p.Err, "in capture")
}

// noteQuality accounts what limits the analysis. It does nothing for a
// whole, well-formed packet, so the common path costs two comparisons.
func (t *Table) noteQuality(p *decode.Packet) {
	truncated := p.CapLen > 0 && p.CapLen < p.Length
	if !truncated && p.Kind != decode.KindMalformed {
		return
	}
	if !truncated && isSnapTruncated(p) {
		truncated = true
	}
	q := &t.quality
	switch {
	case truncated && (p.Kind == decode.KindOther || p.Kind == decode.KindICMPError):
		// Not VPN traffic, or an ICMP error, whose quote is decoded as far
		// as it goes whatever cut it: the decoder's Stats.Truncated counts
		// it.
	case truncated:
		switch {
		case p.IKE != nil:
			q.TruncatedIKE++
			q.TruncatedIKEFrames.Add(p.Frame)
		case p.Kind == decode.KindESP || p.Kind == decode.KindUDPESP || p.Kind == decode.KindTCPESP:
			q.TruncatedESP++
		default:
			q.TruncatedOther++
		}
		q.TruncatedFrames.Add(p.Frame)
		q.SnapLen = max(q.SnapLen, p.CapLen)
	case isIncomplete(p):
		q.Incomplete++
		q.IncompleteFrames.Add(p.Frame)
		if isEndOfCapture(p.Err) {
			q.IncompleteAtEnd++
		}
		t.noteIncomplete(p)
	default:
		q.Malformed++
		q.MalformedFrames.Add(p.Frame)
		if q.FirstError == "" {
			q.FirstError, q.FirstErrorFrame = p.Err, p.Frame
		}
		comp := p.Err
		if i := strings.IndexByte(comp, ':'); i >= 0 {
			comp = comp[:i]
		}
		if comp == "" {
			comp = "unknown"
		}
		if q.MalformedBy == nil {
			q.MalformedBy = make(map[string]int)
		}
		if _, ok := q.MalformedBy[comp]; ok || len(q.MalformedBy) < maxMalformedComponents {
			q.MalformedBy[comp]++
		}
	}
}
