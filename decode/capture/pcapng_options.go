package capture

import (
	"fmt"
)

// pcapng option codes (draft-ietf-opsawg-pcapng §3.5, §4.2, §4.3).
const (
	optEndOfOpt   = 0
	optIfTsresol  = 9
	optIfFilter   = 11
	optIfFCSLen   = 13
	optIfTsoffset = 14
	optEPBFlags   = 2
	optEPBDropcnt = 4
	optEPBPacket  = 5
	optEPBQueue   = 6
	optEPBVerdict = 7

	// Custom options (§3.5.1) of any block: UTF-8 or binary, copied or
	// not. Each starts with a 4-byte Private Enterprise Number.
	optCustomStr       = 2988
	optCustomBin       = 2989
	optCustomStrNoCopy = 19372
	optCustomBinNoCopy = 19373
)

// packetOption checks an option of a packet block as Wireshark does, and
// returns the FCS length in bytes that an epb_flags option declares (§4.3.1:
// bits 5 to 8, in octets).
func packetOption(code uint16, val []byte, order byteOrder) (fcsLen int, err error) {
	want := 0
	switch code {
	case optEPBFlags:
		if len(val) == 4 {
			return int(order.u32(val) >> 5 & 0xf), nil
		}
		want = 4
	case optEPBDropcnt, optEPBPacket:
		want = 8
	case optEPBQueue:
		want = 4
	case optEPBVerdict:
		// A verdict is a type octet and its data; the eBPF TC and XDP
		// types (1, 2) carry 8 bytes.
		if len(val) == 0 {
			return 0, fmt.Errorf("packet block verdict option is empty")
		}
		if (val[0] == 1 || val[0] == 2) && len(val) != 9 {
			return 0, fmt.Errorf("packet block verdict option length %d is not 9", len(val))
		}
		return 0, nil
	default:
		return 0, nil
	}
	if len(val) != want {
		return 0, fmt.Errorf("packet block option %d length %d is not %d", code, len(val), want)
	}
	return 0, nil
}

// optionWalker walks the options of a block (§3.5), which start at the
// current position.
type optionWalker struct {
	left uint64 // bytes of the options area not yet read
}

// nextOption returns the next option of the block at off; its value aliases
// the read buffer until the next read. It returns ok false after the last
// option or at opt_endofopt, whatever follows it (Wireshark ignores it too).
func (r *Reader) nextOption(off int64, w *optionWalker) (code uint16, val []byte, ok bool, err error) {
	if w.left == 0 {
		return 0, nil, false, nil
	}
	if w.left < 4 {
		return 0, nil, false, r.failf(off, "option header needs 4 bytes, block has %d left", w.left)
	}
	h := r.src.peek(4)
	if len(h) < 4 {
		return 0, nil, false, r.truncated(off, "option header", uint64(len(h)), 4)
	}
	code, n := r.order.u16(h), uint64(r.order.u16(h[2:]))
	r.src.advance(4)
	w.left -= 4
	padded := roundUp4(n)
	if padded > w.left {
		return 0, nil, false, r.failf(off, "option %d length %d exceeds the %d bytes left in the block", code, n, w.left)
	}
	switch code {
	case optCustomStr, optCustomBin, optCustomStrNoCopy, optCustomBinNoCopy:
		if n < 4 {
			return 0, nil, false, r.failf(off, "custom option %d length %d is less than 4", code, n)
		}
	}
	if code == optEndOfOpt {
		rest := w.left
		w.left = 0
		if got := r.src.discard(rest); got < rest {
			return 0, nil, false, r.truncated(off, "options", got, rest)
		}
		return 0, nil, false, nil
	}
	p := r.src.peek(int(padded))
	if uint64(len(p)) < padded {
		return 0, nil, false, r.truncated(off, "option", uint64(len(p)), padded)
	}
	val = p[:n:n]
	r.src.advance(int(padded))
	w.left -= padded
	return code, val, true, nil
}
