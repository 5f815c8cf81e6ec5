package decode

import (
	"errors"

	"github.com/vpnpcap/vpnpcap/decode/capture"
)

// ErrTruncated reports that the input ended before a structure it announced:
// a header cut short, or a length field pointing past the captured bytes
// (typically a capture taken with a small snap length). Test for it with
// [errors.Is]; the [*Error] that carries it says where. It is the value of
// capture.ErrTruncated, with which the capture reader reports a file that
// ends inside a record, so that either name finds either.
var ErrTruncated = capture.ErrTruncated

// Error is a decoding error with its position. Layer names the protocol unit
// ("ike", "esp", "gre"…), Field the structure that failed (for example
// `payload "Notify"`), Offset the byte offset of that structure from the start
// of the layer's data, and Err the reason, which may wrap a sentinel such as
// [ErrTruncated]. Kind, when set, says what kind of fault the error is; see
// [Error.FaultKind].
//
// Its message reads `ike: payload "Notify" at offset 48: length 3 < 4`.
type Error struct {
	Layer  string
	Field  string
	Offset int // negative when no position applies
	Err    error
	Kind   FaultKind
}

// Error formats the error as "layer: field at offset N: reason", leaving out
// the parts that are empty.
func (e *Error) Error() string {
	b := make([]byte, 0, 64)
	b = append(b, e.Layer...)
	b = append(b, ':')
	if e.Field != "" {
		b = append(b, ' ')
		b = append(b, e.Field...)
	}
	if e.Offset >= 0 {
		b = append(b, " at offset "...)
		b = append(b, itoa(e.Offset)...)
	}
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

// Unwrap returns the reason, so that [errors.Is] finds sentinels such as
// [ErrTruncated].
func (e *Error) Unwrap() error { return e.Err }

// FaultKind returns the kind of fault the error is: Kind when set, else
// [FaultTruncated] for an error that wraps [ErrTruncated] and
// [FaultInvalid] for any other.
func (e *Error) FaultKind() FaultKind {
	switch {
	case e.Kind != FaultNone:
		return e.Kind
	case errors.Is(e.Err, ErrTruncated):
		return FaultTruncated
	}
	return FaultInvalid
}
