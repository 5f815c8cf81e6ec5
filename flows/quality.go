package flows

import (
	"github.com/vpnpcap/vpnpcap/decode"
)

// maxMalformedLayers bounds the per-layer malformed counts; the decoder
// names a handful of layers, so the bound only guards against ones it may
// add.
const maxMalformedLayers = 32

// Quality records what in a capture limits the analysis: VPN packets cut
// short by the capture's snap length, packets that should have decoded and
// did not, IP datagrams whose fragments never all arrived, and those given
// up to keep IP reassembly within its bounds.
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
	// the layer of their fault ("ike", "esp", "udp"…), MalformedFrames
	// samples their frames and FirstFault is the fault of the first, at
	// frame FirstFaultFrame.
	Malformed       int
	MalformedBy     map[string]int
	MalformedFrames Frames
	FirstFault      decode.Fault
	FirstFaultFrame int

	// Incomplete counts IP datagrams given up with fragments missing when
	// their reassembly timed out or the capture ended, IncompleteAtEnd
	// those of them that were still incomplete when the capture ended;
	// IncompleteFrames samples the frames of their latest fragments.
	Incomplete       int
	IncompleteAtEnd  int
	IncompleteFrames Frames

	// EvictedByCount and EvictedByBytes count the IP datagrams given up
	// with fragments missing to keep reassembly within its bounds: the
	// number of datagrams in reassembly (decode.Options.MaxFragments) and
	// the octets their buffers hold (decode.Options.MaxFragmentBytes). A
	// limit of the analysis, not a loss on the network: their missing
	// fragments may have come later. They are not in Incomplete.
	EvictedByCount, EvictedByBytes Evicted

	// Duplicates counts VPN packets that are copies of a frame captured
	// just before (decode.Packet.DuplicateOf): the same packet captured
	// twice. They are left out of everything else. DuplicateFrames
	// samples the copies and DuplicatePairs the first copies with their
	// originals (copy, original), for evidence.
	Duplicates      int
	DuplicateFrames Frames
	DuplicatePairs  [][2]int
}

// Evicted describes the IP datagrams given up to keep reassembly within one
// of its bounds.
type Evicted struct {
	Datagrams int
	// Fragments counts the fragments of them that arrived, and Octets the
	// octets those brought: neither was reassembled.
	Fragments, Octets int
	// FirstFrame is the frame of the first fragment of the first datagram
	// given up, and Frames samples the frames of the latest fragment of
	// each.
	FirstFrame int
	Frames     Frames
}

// note accounts a datagram given up.
func (e *Evicted) note(p *decode.Packet) {
	if e.Datagrams == 0 {
		e.FirstFrame = p.FirstFrame
	}
	e.Datagrams++
	e.Fragments += p.Fragments
	e.Octets += p.FragmentOctets
	e.Frames.Add(p.Frame)
}

// Evicted returns the IP datagrams given up to keep reassembly within its
// bounds, both bounds together.
func (q *Quality) Evicted() int { return q.EvictedByCount.Datagrams + q.EvictedByBytes.Datagrams }

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

// noteQuality accounts what limits the analysis. It does nothing for a
// whole, well-formed packet, so the common path costs two comparisons.
func (t *Table) noteQuality(p *decode.Packet) {
	truncated := p.CapLen > 0 && p.CapLen < p.Length
	if !truncated && p.Kind != decode.KindMalformed {
		return
	}
	if p.Fault.Kind == decode.FaultNotCaptured {
		// The packet's own lengths say the capture cut it, whatever the
		// frame's original length claims: an IKE message or an IP
		// fragment.
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
	case p.Fault.Kind == decode.FaultFragmentsEvicted:
		q.EvictedByCount.note(p)
	case p.Fault.Kind == decode.FaultFragmentsEvictedBytes:
		q.EvictedByBytes.note(p)
	case p.Fault.Kind.FragmentsMissing():
		q.Incomplete++
		q.IncompleteFrames.Add(p.Frame)
		if p.Fault.Kind == decode.FaultFragmentsAtEnd {
			q.IncompleteAtEnd++
		}
		t.noteIncomplete(p)
	default:
		q.Malformed++
		q.MalformedFrames.Add(p.Frame)
		if q.FirstFault.Kind == decode.FaultNone {
			q.FirstFault, q.FirstFaultFrame = p.Fault, p.Frame
		}
		layer := p.Fault.Layer
		if layer == "" {
			layer = "unknown"
		}
		if q.MalformedBy == nil {
			q.MalformedBy = make(map[string]int)
		}
		if _, ok := q.MalformedBy[layer]; ok || len(q.MalformedBy) < maxMalformedLayers {
			q.MalformedBy[layer]++
		}
	}
}
