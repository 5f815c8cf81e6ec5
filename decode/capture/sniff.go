package capture

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

// Format is the format of a capture file.
type Format uint8

// The formats a [Reader] reads.
const (
	FormatPcap   Format = iota + 1 // libpcap (draft-ietf-opsawg-pcap)
	FormatPcapng                   // pcapng (draft-ietf-opsawg-pcapng)
)

// String returns "pcap" or "pcapng".
func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapng:
		return "pcapng"
	}
	return "format(" + fmt.Sprint(uint8(f)) + ")"
}

// File magic numbers, as the first four bytes read little-endian.
const (
	magicPcapMicroLE = 0xa1b2c3d4 // written by a little-endian host
	magicPcapMicroBE = 0xd4c3b2a1
	magicPcapNanoLE  = 0xa1b23c4d
	magicPcapNanoBE  = 0x4d3cb2a1
	magicPcapModLE   = 0xa1b2cd34 // Kuznetzov's modified pcap (ss990915/ss991029)
	magicPcapModBE   = 0x34cdb2a1
	magicGzip        = 0x8b1f // RFC 1952 §2.3.1 ID1 ID2
)

// Sniff reads the start of a file from rd, through gzip when the file is
// gzip-compressed, and tells which capture format it holds, exactly as
// [NewReader] and [Open] recognise it: pcap by its magic number (with
// microsecond or nanosecond time stamps, written in either byte order), or
// pcapng by its section header block type and byte-order magic. The name is
// used in error messages only.
//
// Input that is no capture file (empty, shorter than a magic number, an
// unknown magic number, gzip holding something else) is reported with a
// [*FormatError] wrapping [ErrNotCapture]; a gzip header cut short with one
// wrapping [ErrTruncated]; Kuznetzov's modified pcap, a capture format the
// reader does not read, with one wrapping neither; and a read error with one
// wrapping it. Only the start is read: a file Sniff accepts may still turn
// out damaged further on.
func Sniff(rd io.Reader, name string) (f Format, compressed bool, err error) {
	r := &Reader{name: name}
	r.src.init(rd, bufMin)
	f, _, err = r.sniff(bufMin)
	return f, r.compressed, err
}

// SniffFile is [Sniff] for the file at path. Errors opening the file are
// returned as they come from the operating system.
func SniffFile(path string) (f Format, compressed bool, err error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer file.Close()
	return Sniff(file, path)
}

// sniff recognises the format at the start of the input and returns it with
// the magic number. A gzip-compressed input is opened, and the rest of the
// reader reads its decompressed stream through a buffer of gzBuf bytes.
func (r *Reader) sniff(gzBuf int) (Format, uint32, error) {
	if p := r.src.peek(2); len(p) == 2 && littleEndian.u16(p) == magicGzip {
		raw := new(source)
		*raw = r.src
		zr, err := gzip.NewReader(raw)
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("%w: gzip header cut short", ErrTruncated)
			}
			return 0, 0, r.fail(0, err)
		}
		r.gz = zr
		r.raw = raw
		r.compressed = true
		r.src = source{}
		r.src.init(zr, gzBuf)
	}
	p := r.src.peek(4)
	if len(p) < 4 {
		if err := r.readError(); err != nil {
			return 0, 0, r.fail(0, err)
		}
		if len(p) == 0 {
			return 0, 0, r.fail(0, fmt.Errorf("%w: empty file", ErrNotCapture))
		}
		return 0, 0, r.fail(0, fmt.Errorf("%w: only %d bytes", ErrNotCapture, len(p)))
	}
	switch magic := littleEndian.u32(p); magic {
	case magicPcapMicroLE, magicPcapMicroBE, magicPcapNanoLE, magicPcapNanoBE:
		return FormatPcap, magic, nil
	case blockSHB:
		// The block type is four characters of text ("\n\r\r\n"); the
		// byte-order magic after the block length tells a pcapng file.
		// A file shorter than the header's fixed part is pcapng cut
		// short, which the section header's reader reports.
		if h := r.src.peek(24); len(h) == 24 {
			if bom := littleEndian.u32(h[8:]); bom != byteOrderMagic && bom != byteOrderMagicSwapped {
				return 0, 0, r.failf(0, "%w: pcapng section header with unknown byte-order magic 0x%08x", ErrNotCapture, bom)
			}
		}
		return FormatPcapng, magic, nil
	case magicPcapModLE, magicPcapModBE:
		return 0, 0, r.fail(0, fmt.Errorf("modified pcap format (magic 0x%08x) is not supported", magic))
	default:
		if r.compressed {
			return 0, 0, r.fail(0, fmt.Errorf("%w: gzip-compressed, but unknown magic number 0x%08x inside", ErrNotCapture, magic))
		}
		return 0, 0, r.fail(0, fmt.Errorf("%w: unknown magic number 0x%08x", ErrNotCapture, magic))
	}
}
