package capture

import (
	"errors"
	"strconv"
)

// ErrNotCapture reports input that is neither a pcap nor a pcapng file, nor
// a gzip-compressed one. It is wrapped in a [*FormatError]; test for it with
// [errors.Is]. (A file cut short is reported with [ErrTruncated] instead.)
var ErrNotCapture = errors.New("not a capture file")

// ErrTruncated reports a file that ends inside a record or block, or a
// compressed stream that ends early. It is wrapped in a [*FormatError];
// test for it with [errors.Is]. Package decode reports packets shorter
// than their headers with the same value, as decode.ErrTruncated.
var ErrTruncated = errors.New("truncated")

// FormatError reports a file that is not a capture or that is damaged. It
// names the file and the byte offset of the fault: the start of the record or
// block at fault, or of the file header. For a compressed file the offset is
// in the decompressed stream. Err says what is wrong and may wrap
// [ErrNotCapture], [ErrTruncated] or the read error that stopped the reader.
type FormatError struct {
	File   string
	Offset int64
	Err    error
}

// Error formats the error as "capture: FILE: offset N: reason".
func (e *FormatError) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "capture: "...)
	if e.File != "" {
		b = append(b, e.File...)
		b = append(b, ": "...)
	}
	b = append(b, "offset "...)
	b = strconv.AppendInt(b, e.Offset, 10)
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

// Unwrap returns the reason, so that [errors.Is] finds [ErrNotCapture] and
// [ErrTruncated].
func (e *FormatError) Unwrap() error { return e.Err }
