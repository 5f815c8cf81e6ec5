package capture

import (
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/gopacket/gopacket/layers"
)

// Limits, from Wireshark's wiretap library.
const (
	// maxCaptureLen is WTAP_MAX_PACKET_SIZE_STANDARD (wiretap/wtap.h), the
	// largest captured length Wireshark accepts for the link types carrying
	// IP. A longer record is reported as corrupt before anything is read or
	// allocated for it, so a wild length field costs nothing. (Wireshark
	// allows more for D-Bus, USB and a few other link types that carry no
	// IP; the reader does not.)
	maxCaptureLen = 262144
	// maxBlockLen is MAX_BLOCK_SIZE of wiretap/pcapng.c: an EPB with the
	// largest D-Bus message (128 MiB) and 128 KiB of options. Blocks are
	// never allocated whole (see bufMax), so this only makes the
	// reader refuse what Wireshark refuses.
	maxBlockLen = 32 + 128<<20 + 128<<10
)

// Read buffer sizes. The reader reads through one buffer and hands out slices
// of it, so the record loop neither copies nor allocates.
const (
	// bufSize is the initial buffer size: large reads from disk,
	// and room for any pcap record of an ordinary snap length.
	bufSize = 256 << 10
	// bufMax bounds how far the buffer grows. A pcapng block up to
	// this size (every packet block of maxCaptureLen and up to about
	// 750 KiB of options) is brought into the buffer whole and parsed in
	// place; a larger block is read piecewise, its packet data copied to a
	// scratch buffer first.
	bufMax = 1 << 20
	// bufMin is the smallest buffer used for input of known size.
	bufMin = 4 << 10
)

// byteOrder decodes the integers of a file or section; true means big
// endian. A bool instead of binary.ByteOrder keeps the calls inlined.
type byteOrder bool

const (
	littleEndian byteOrder = false
	bigEndian    byteOrder = true
)

func (o byteOrder) u16(b []byte) uint16 {
	_ = b[1]
	if o == bigEndian {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

func (o byteOrder) u32(b []byte) uint32 {
	_ = b[3]
	if o == bigEndian {
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	return uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}

func (o byteOrder) u64(b []byte) uint64 {
	_ = b[7]
	if o == bigEndian {
		return uint64(o.u32(b))<<32 | uint64(o.u32(b[4:]))
	}
	return uint64(o.u32(b[4:]))<<32 | uint64(o.u32(b))
}

// Reader reads the records of a pcap or pcapng file, optionally
// gzip-compressed, recognising the format by its magic number and never by
// the file name. Records come back numbered as Wireshark numbers frames (see
// [Record.Frame]). A damaged file yields every record before the damage, then
// a [*FormatError] naming the offset of the record or block at fault.
//
// Reading allocates nothing per record: records are parsed in place in one
// read buffer, and Record.Data points into it. A length field is checked
// against the limits Wireshark applies before anything is read or allocated
// for it, so no input makes the reader allocate more than about a megabyte
// beyond what the file holds, and every step consumes input, so it always
// ends.
//
// Deliberate differences from Wireshark, all on damaged or exotic input: the
// pcap variants that Wireshark guesses by reading the first records
// (ss990417, Nokia, AIX) and the Kuznetzov and Ixia magic numbers are not
// read, so such files are refused or, when they carry the standard magic,
// read as standard pcap; records of any link type are limited to 262144
// bytes; link-type pseudo-headers are not stripped from Data; name
// resolution, statistics and secrets blocks are checked only for their
// minimum size; a time stamp finer than a nanosecond is converted without
// the overflow Wireshark's arithmetic has for resolutions finer than about
// 10^-10 s; an if_tsresol too fine for 64 bits is refused, as current
// Wireshark does (4.0 overflows silently); and a microsecond field of a
// million or more is normalised into the seconds rather than printed as
// Wireshark does.
type Reader struct {
	name       string
	file       *os.File // opened by Open, closed by Close
	gz         *gzip.Reader
	src        source
	raw        *source // the file's bytes under gz; nil when src reads them
	format     Format
	compressed bool
	// err is returned by every Next once set: io.EOF after a clean end,
	// else a *FormatError.
	err error
	// frame counts the frames numbered so far; skipped counts those among
	// them that carry no packet and were not returned.
	frame   int
	skipped int

	order byteOrder // of the file (pcap) or of the current section (pcapng)

	// pcap: from the file header.
	nano     bool  // nanosecond time stamps
	swapLens uint8 // lengthsNotSwapped, lengthsSwapped or lengthsMaybeSwapped
	linkType layers.LinkType
	fcsLen   int
	snaplen  uint32

	// pcapng
	ifaces    []pcapngIface // of the current section, by interface ID
	maxSnap   uint32        // largest interface snap length seen
	unlimited bool          // an interface has snap length 0
	scratch   []byte        // packet data of blocks too large for the buffer
}

// NewReader returns a Reader for the capture in r. The name is used in error
// messages only. NewReader reads the file header (for pcapng, the first
// section header block and the blocks before the first packet) and fails with
// a [*FormatError] if r holds no capture; a fault after the header is
// reported by the first call of Next. Closing the Reader does not close r.
func NewReader(r io.Reader, name string) (*Reader, error) {
	size := bufSize
	type lener interface{ Len() int }    // bytes.Reader, strings.Reader, bytes.Buffer
	type sizer interface{ Size() int64 } // io.SectionReader
	switch l := r.(type) {
	case lener:
		size = bufSizeFor(int64(l.Len()))
	case sizer:
		size = bufSizeFor(l.Size())
	}
	return newReader(r, name, size)
}

// Open opens the capture file at path for reading. Errors opening the file
// are returned as they come from the operating system; errors in its content
// as a [*FormatError] naming path. Close closes the file.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return OpenFile(f, path)
}

// OpenFile is [Open] for a file already open, named name in errors. The
// Reader owns f: Close closes it, and so does OpenFile when it fails. A
// large regular file is mapped into memory rather than read (see [Reader.Protect]).
func OpenFile(f *os.File, name string) (*Reader, error) {
	r := &Reader{name: name, file: f}
	if m := openMapped(f); m != nil {
		r.src.initMapped(m)
	} else {
		size := bufSize
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = bufSizeFor(fi.Size())
		}
		r.src.init(f, size)
	}
	if err := r.open(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// bufSizeFor sizes the read buffer for input of n bytes: no larger
// than needed to hold it all, which keeps opening many small files cheap.
func bufSizeFor(n int64) int {
	n++ // room to see the end of the input in the same read
	switch {
	case n < bufMin:
		return bufMin
	case n < bufSize:
		return int(n)
	}
	return bufSize
}

func newReader(r io.Reader, name string, size int) (*Reader, error) {
	rd := &Reader{name: name}
	rd.src.init(r, size)
	if err := rd.open(); err != nil {
		return nil, err
	}
	return rd, nil
}

// open detects the format and reads the file header.
func (r *Reader) open() error {
	f, magic, err := r.sniff(bufSize)
	if err != nil {
		return err
	}
	r.format = f
	if f == FormatPcap {
		return r.readPcapHeader(magic)
	}
	if err := r.readSHB(); err != nil {
		return err
	}
	// Read the interface descriptions (and whatever else precedes the
	// first packet) now, so that Snaplen means something before the first
	// Next. A fault there is reported by Next, after the records before
	// it, of which there are none.
	if err := r.readBlocks(nil); err != nil {
		r.err = err
	}
	return nil
}

// Close releases the Reader and closes the file if Open opened it. Next
// returns an error after Close.
func (r *Reader) Close() error {
	var err error
	if r.gz != nil {
		err = r.gz.Close()
		r.gz = nil
	}
	if r.err == nil {
		r.err = r.fail(r.src.off, os.ErrClosed)
	}
	if m := r.src.mapped; m != nil {
		// Nothing reads the mapping after Close: Next fails from now on.
		unmap(m.data)
		r.src = source{off: r.src.off, mark: math.MaxInt}
	}
	if r.file != nil {
		if cerr := r.file.Close(); err == nil {
			err = cerr
		}
		r.file = nil
	}
	return err
}

// Format returns "pcap" or "pcapng".
func (r *Reader) Format() string { return r.format.String() }

// Compressed reports whether the file is gzip-compressed.
func (r *Reader) Compressed() bool { return r.compressed }

// Snaplen returns the snapshot length: for pcap the file header's, for
// pcapng the largest of the interfaces read so far (NewReader reads those
// before the first packet). 0 means unlimited: a pcapng interface with snap
// length 0, or a pcap header saying 0.
func (r *Reader) Snaplen() int {
	if r.format == FormatPcapng {
		if r.unlimited {
			return 0
		}
		return int(r.maxSnap)
	}
	return int(r.snaplen)
}

// Offset returns the number of bytes consumed so far (of the decompressed
// stream for a gzip-compressed file): after a successful Next, the offset
// just past the returned record.
func (r *Reader) Offset() int64 { return r.src.off }

// Next reads the next record into rec, overwriting every field. It returns
// io.EOF at the clean end of the file; otherwise a [*FormatError], and the
// same error again on every later call.
func (r *Reader) Next(rec *Record) error {
	if r.err != nil {
		return r.err
	}
	var err error
	if r.format == FormatPcapng {
		err = r.readBlocks(rec)
	} else {
		err = r.nextPcap(rec)
	}
	if err != nil {
		r.err = err
	}
	return err
}

// fail returns a *FormatError at offset off.
func (r *Reader) fail(off int64, err error) error {
	return &FormatError{File: r.name, Offset: off, Err: err}
}

func (r *Reader) failf(off int64, format string, args ...any) error {
	return r.fail(off, fmt.Errorf(format, args...))
}

// readError returns the error that stopped reading, if it is not the end of
// the input.
func (r *Reader) readError() error {
	switch err := r.src.err; err {
	case nil, io.EOF:
		return nil
	case io.ErrUnexpectedEOF: // a gzip stream cut short
		return fmt.Errorf("%w: compressed stream ends early", ErrTruncated)
	default:
		return err
	}
}

// truncated reports the structure at off, of which the file holds only have
// of want bytes.
func (r *Reader) truncated(off int64, what string, have, want uint64) error {
	if err := r.readError(); err != nil {
		return r.fail(off, fmt.Errorf("reading %s: %w", what, err))
	}
	return r.failf(off, "%w: %s has %d of %d bytes", ErrTruncated, what, have, want)
}

// atEnd reports whether the input ended cleanly at the current offset. It
// returns a non-nil error if the input is empty because reading failed.
func (r *Reader) atEnd(have int) (bool, error) {
	if have != 0 {
		return false, nil
	}
	if err := r.readError(); err != nil {
		return true, r.fail(r.src.off, err)
	}
	return true, nil
}
