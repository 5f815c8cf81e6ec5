package capture

import (
	"io"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// pcap link type field (draft-ietf-opsawg-pcap §4, libpcap pcap-common.h).
const (
	pcapLinkTypeMask    = 0x0000ffff
	pcapReservedMask    = 0x03ff0000 // must be zero; Wireshark refuses the file otherwise
	pcapFCSPresentBit   = 0x04000000
	pcapFCSLengthShift  = 28 // 4 bits, in 16-bit words
	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16
)

// Values of Reader.swapLens: pcap files before version 2.3 wrote the
// captured and original lengths in the other order, and some 2.3 files did
// (wiretap/libpcap.c).
const (
	lengthsNotSwapped = iota
	lengthsSwapped
	lengthsMaybeSwapped
)

// readPcapHeader reads the 24-byte pcap file header
// (draft-ietf-opsawg-pcap §4).
func (r *Reader) readPcapHeader(magic uint32) error {
	h := r.src.peek(pcapFileHeaderLen)
	if len(h) < pcapFileHeaderLen {
		return r.truncated(0, "pcap file header", uint64(len(h)), pcapFileHeaderLen)
	}
	switch magic {
	case magicPcapMicroBE:
		r.order = bigEndian
	case magicPcapNanoLE:
		r.nano = true
	case magicPcapNanoBE:
		r.order, r.nano = bigEndian, true
	}
	major, minor := r.order.u16(h[4:]), r.order.u16(h[6:])
	if major < 2 {
		return r.failf(0, "pcap version %d.%d is not supported", major, minor)
	}
	switch {
	case major == 2 && minor < 3, major == 543: // 543: DG/UX tcpdump
		r.swapLens = lengthsSwapped
	case major == 2 && minor == 3:
		r.swapLens = lengthsMaybeSwapped
	}
	r.snaplen = r.order.u32(h[16:])
	field := r.order.u32(h[20:])
	if field&pcapReservedMask != 0 {
		return r.failf(0, "pcap link type field 0x%08x has reserved bits set", field)
	}
	r.linkType = layers.LinkType(field & pcapLinkTypeMask)
	if field&pcapFCSPresentBit != 0 {
		r.fcsLen = int(field>>pcapFCSLengthShift) * 2
	}
	r.src.advance(pcapFileHeaderLen)
	return nil
}

// nextPcap reads one pcap record: a 16-byte header (seconds, fraction,
// captured length, original length) and the captured bytes.
func (r *Reader) nextPcap(rec *Record) error {
	off := r.src.off
	h := r.src.peek(pcapRecordHeaderLen)
	if end, err := r.atEnd(len(h)); end {
		if err != nil {
			return err
		}
		return io.EOF
	}
	if len(h) < pcapRecordHeaderLen {
		return r.truncated(off, "record header", uint64(len(h)), pcapRecordHeaderLen)
	}
	sec, frac := r.order.u32(h), r.order.u32(h[4:])
	incl, orig := r.order.u32(h[8:]), r.order.u32(h[12:])
	if r.swapLens == lengthsSwapped || r.swapLens == lengthsMaybeSwapped && incl > orig {
		incl, orig = orig, incl
	}
	if incl > maxCaptureLen {
		return r.failf(off, "record length %d exceeds maximum %d", incl, maxCaptureLen)
	}
	n := pcapRecordHeaderLen + int(incl)
	p := r.src.peek(n)
	if len(p) < n {
		return r.truncated(off, "record", uint64(len(p)), uint64(n))
	}
	nsec := int64(frac)
	if !r.nano {
		nsec *= 1000
	}
	r.frame++
	*rec = Record{
		Frame:    r.frame,
		Time:     time.Unix(int64(sec), nsec).UTC(),
		LinkType: r.linkType,
		Data:     p[pcapRecordHeaderLen:n:n],
		Length:   int(orig),
		Offset:   off,
		FCSLen:   r.fcsLen,
	}
	r.src.advance(n)
	return nil
}
