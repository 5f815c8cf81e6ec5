package decode

import "errors"

// FaultKind says why a packet or a frame did not decode. Code that counts
// or branches on faults reads the kind; [Fault.Message] is for people and
// may be reworded at any time.
type FaultKind uint8

// The fault kinds. The string form of each is stable.
const (
	// FaultNone is the kind of a packet that decoded.
	FaultNone FaultKind = iota
	// FaultTruncated: the data ends before a header or field the protocol
	// requires. The packet is shorter than its own structure, as the
	// sender or an enclosing header delimits it.
	FaultTruncated
	// FaultNotCaptured: a length field announces octets that the capture
	// does not hold. The capture cut the packet (its snap length), not the
	// sender: an IKE message whose Length exceeds the captured octets, an
	// IP fragment shorter in the capture than its IP header says.
	FaultNotCaptured
	// FaultInvalid: a field holds a value the protocol does not allow, or
	// two fields contradict each other.
	FaultInvalid
	// FaultUnsupported: a version, type or link type that this package
	// does not decode.
	FaultUnsupported
	// FaultLimit: a bound that keeps hostile input from costing unbounded
	// time or memory was reached (VLAN tags, tunnel nesting, IPv6
	// extension headers, fragments per datagram, TCP streams).
	FaultLimit
	// FaultFragmentsTimedOut: an IP datagram given up with fragments
	// missing when its reassembly time ran out.
	FaultFragmentsTimedOut
	// FaultFragmentsEvicted: an IP datagram given up with fragments
	// missing to keep the datagrams in reassembly within their number
	// (Options.MaxFragments). A bound of the decoder's, not a loss on the
	// network: the missing fragments may still have come.
	FaultFragmentsEvicted
	// FaultFragmentsEvictedBytes: an IP datagram given up with fragments
	// missing to keep the octets held in reassembly within their bound
	// (Options.MaxFragmentBytes). A bound of the decoder's, as for
	// FaultFragmentsEvicted.
	FaultFragmentsEvictedBytes
	// FaultFragmentsAtEnd: an IP datagram still missing fragments when the
	// capture ended; they may simply have come after it stopped.
	FaultFragmentsAtEnd
	// FaultStreamGap: octets missing from a TCP stream (PPTP control, RFC
	// 9329) inside a message or before it, so that the message is lost.
	FaultStreamGap
	// FaultStreamEnded: a TCP stream ended inside a message.
	FaultStreamEnded
	numFaultKinds
)

// NumFaultKinds is the number of fault kinds, for arrays indexed by
// FaultKind.
const NumFaultKinds = int(numFaultKinds)

var faultKindNames = [numFaultKinds]string{
	FaultNone:                  "none",
	FaultTruncated:             "truncated",
	FaultNotCaptured:           "not-captured",
	FaultInvalid:               "invalid",
	FaultUnsupported:           "unsupported",
	FaultLimit:                 "limit",
	FaultFragmentsTimedOut:     "fragments-timed-out",
	FaultFragmentsEvicted:      "fragments-evicted",
	FaultFragmentsEvictedBytes: "fragments-evicted-bytes",
	FaultFragmentsAtEnd:        "fragments-at-end",
	FaultStreamGap:             "stream-gap",
	FaultStreamEnded:           "stream-ended",
}

// String returns the kind's stable name, such as "not-captured".
func (k FaultKind) String() string {
	if k < numFaultKinds {
		return faultKindNames[k]
	}
	return "fault(" + itoa(int(k)) + ")"
}

// FragmentsMissing reports whether the kind stands for an IP datagram given
// up with fragments missing: timed out, evicted, or still incomplete at the
// end of the capture.
func (k FaultKind) FragmentsMissing() bool {
	return k == FaultFragmentsTimedOut || k.FragmentsEvicted() || k == FaultFragmentsAtEnd
}

// FragmentsEvicted reports whether the kind stands for an IP datagram that
// the decoder gave up to stay within a bound of its own
// (FaultFragmentsEvicted, FaultFragmentsEvictedBytes), rather than one the
// network or the capture left incomplete.
func (k FaultKind) FragmentsEvicted() bool {
	return k == FaultFragmentsEvicted || k == FaultFragmentsEvictedBytes
}

// Fault describes why a packet is [KindMalformed], or why a frame could
// not be decoded at all ([Stats.Undecodable]).
type Fault struct {
	// Kind is what went wrong, for counting and branching.
	Kind FaultKind
	// Layer names the protocol unit that failed: "ike", "esp", "udp",
	// "ipv4", "ike-tcp"… For a datagram reassembled from fragments whose
	// content failed it is "ip".
	Layer string
	// Offset is the byte offset of the failing structure from the start of
	// the layer's data, or -1 when no position applies.
	Offset int
	// Message says what went wrong, for people, such as
	// `ike: payload "Notify" at offset 48: length 3 < 4` or "truncated
	// ipv4 header". Nothing counts or branches on it.
	Message string
}

// String returns the message.
func (f Fault) String() string { return f.Message }

// newFault returns a fault of the given kind, layer, offset and message; it
// keeps the decoders' calls on one line.
func newFault(kind FaultKind, layer string, offset int, message string) Fault {
	return Fault{Kind: kind, Layer: layer, Offset: offset, Message: message}
}

// faultOf turns an error of this package's decoders into a Fault. An
// [*Error] gives its layer, offset and kind; any other error is an invalid
// structure of layer.
func faultOf(layer string, err error) Fault {
	var e *Error
	if errors.As(err, &e) {
		return Fault{Kind: e.FaultKind(), Layer: e.Layer, Offset: e.Offset, Message: err.Error()}
	}
	return Fault{Kind: FaultInvalid, Layer: layer, Offset: -1, Message: err.Error()}
}
