package capture

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strconv"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// This file reads capture files: pcap (the libpcap format,
// draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng), either of
// them optionally gzip-compressed (RFC 1952). Where the formats leave room for
// judgement, the reader does what Wireshark's wiretap library does (version
// 4.0, checked against tshark), so that frame numbers, time stamps and the
// files refused are the ones a user sees in Wireshark. The deliberate
// differences are listed on [Reader].

// Record is one captured frame, as [Reader.Next] returns it.
type Record struct {
	// Frame is the 1-based frame number Wireshark shows for this record:
	// every pcap record and every pcapng packet block (EPB, SPB, obsolete
	// PB) is a frame. Wireshark also numbers pcapng custom blocks, systemd
	// journal export blocks and sysdig event blocks as frames although they
	// hold no packet; the reader skips those but counts them, so the frame
	// after one is numbered as in Wireshark and Frame grows by more than one.
	Frame int
	// Time is the capture time stamp in UTC. It is the zero Time for a
	// pcapng simple packet block, which carries no time stamp (Wireshark
	// shows none either).
	Time time.Time
	// LinkType is the link-layer header type of Data: for pcapng the link
	// type of the record's interface (interfaces of one file may differ);
	// for pcap the low 16 bits of the file header's link type field, whose
	// upper bits carry FCS information (see FCSLen), not the type.
	LinkType layers.LinkType
	// Data holds the captured bytes, FCS included when the capture has one
	// (see FCSLen). It aliases the Reader's buffer and is valid until the
	// next call of Next.
	Data []byte
	// Length is the length of the frame on the wire. It may exceed
	// len(Data) (snap length) and, in damaged files, be smaller.
	Length int
	// Offset is the byte offset of the record header (pcap) or of the block
	// (pcapng) in the file; for a gzip-compressed file, in the decompressed
	// stream.
	Offset int64
	// Interface is the pcapng interface ID of the record within its section
	// (what Wireshark shows as frame.interface_id); 0 for pcap.
	Interface int
	// FCSLen is the number of bytes at the end of Data that the file
	// declares to be a frame check sequence, or 0 when it declares none or
	// does not say. The declaration comes from the pcap link type field
	// (FCS length in its top four bits, in 16-bit units, valid only with
	// the 0x04000000 "FCS length present" bit), the pcapng if_fcslen
	// interface option, or the FCS length in an enhanced packet block's
	// epb_flags. Wireshark does not strip an FCS from the frame: frame.len
	// and frame.cap_len include it and the Ethernet dissector shows it as
	// a trailer. The reader does the same, so that Data and Length match
	// Wireshark, and leaves trimming to the link-layer decoder. Without
	// the present bit the FCS bits mean nothing: tcpdump's test captures
	// carry 0x30000001 and 0x40000001, which are Ethernet without a known
	// FCS, and read so in Wireshark.
	FCSLen int
}

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
	// never allocated whole (see captureBufMax), so this only makes the
	// reader refuse what Wireshark refuses.
	maxBlockLen = 32 + 128<<20 + 128<<10
)

// Read buffer sizes. The reader reads through one buffer and hands out slices
// of it, so the record loop neither copies nor allocates.
const (
	// captureBufSize is the initial buffer size: large reads from disk,
	// and room for any pcap record of an ordinary snap length.
	captureBufSize = 256 << 10
	// captureBufMax bounds how far the buffer grows. A pcapng block up to
	// this size (every packet block of maxCaptureLen and up to about
	// 750 KiB of options) is brought into the buffer whole and parsed in
	// place; a larger block is read piecewise, its packet data copied to a
	// scratch buffer first.
	captureBufMax = 1 << 20
	// captureBufMin is the smallest buffer used for input of known size.
	captureBufMin = 4 << 10
)

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

// pcap link type field (draft-ietf-opsawg-pcap §4, libpcap pcap-common.h).
const (
	pcapLinkTypeMask    = 0x0000ffff
	pcapReservedMask    = 0x03ff0000 // must be zero; Wireshark refuses the file otherwise
	pcapFCSPresentBit   = 0x04000000
	pcapFCSLengthShift  = 28 // 4 bits, in 16-bit words
	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16
)

// pcapng block types (draft-ietf-opsawg-pcapng §4 and §10.1), and the
// non-packet blocks that Wireshark numbers as frames.
const (
	blockSHB                = 0x0a0d0d0a
	blockIDB                = 0x00000001
	blockPB                 = 0x00000002 // obsolete Packet Block, appendix A
	blockSPB                = 0x00000003
	blockNRB                = 0x00000004
	blockISB                = 0x00000005
	blockEPB                = 0x00000006
	blockJournal            = 0x00000009 // systemd Journal Export Block
	blockDSB                = 0x0000000a
	blockSysdigEvent        = 0x00000204
	blockSysdigEventV2      = 0x00000216
	blockSysdigEventV2Large = 0x00000221
	blockCustom             = 0x00000bad
	blockCustomNoCopy       = 0x40000bad

	byteOrderMagic = 0x1a2b3c4d
)

// Minimum lengths of pcapng blocks, as wiretap/pcapng.c checks them: the
// 12 bytes of type, length and trailing length plus each block's fixed part.
const (
	minBlockLen   = 12
	minSHBLen     = minBlockLen + 16
	minIDBLen     = minBlockLen + 8
	minEPBLen     = minBlockLen + 20
	minPBLen      = minBlockLen + 20
	minSPBLen     = minBlockLen + 4
	minNRBLen     = minBlockLen + 4
	minISBLen     = minBlockLen + 12
	minDSBLen     = minBlockLen + 8
	minCustomLen  = minBlockLen + 4
	minJournalLen = minBlockLen + 23 // "__REALTIME_TIMESTAMP=0\n"
	minSysdigLen  = minBlockLen + 24
	minSysdig2Len = minBlockLen + 28
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

type captureFormat uint8

const (
	formatPcap captureFormat = iota + 1
	formatPcapng
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

// pcapngIface is what the reader keeps of an interface description block.
type pcapngIface struct {
	linkType    layers.LinkType
	snaplen     uint32
	unitsPerSec uint64 // time stamp units per second, from if_tsresol
	tsOffset    int64  // seconds added to every time stamp, from if_tsoffset
	fcsLen      int    // bytes, from if_fcslen
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
	src        captureSource
	format     captureFormat
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

// Values of Reader.swapLens: pcap files before version 2.3 wrote the
// captured and original lengths in the other order, and some 2.3 files did
// (wiretap/libpcap.c).
const (
	lengthsNotSwapped = iota
	lengthsSwapped
	lengthsMaybeSwapped
)

// NewReader returns a Reader for the capture in r. The name is used in error
// messages only. NewReader reads the file header (for pcapng, the first
// section header block and the blocks before the first packet) and fails with
// a [*FormatError] if r holds no capture; a fault after the header is
// reported by the first call of Next. Closing the Reader does not close r.
func NewReader(r io.Reader, name string) (*Reader, error) {
	size := captureBufSize
	type lener interface{ Len() int }    // bytes.Reader, strings.Reader, bytes.Buffer
	type sizer interface{ Size() int64 } // io.SectionReader
	switch l := r.(type) {
	case lener:
		size = captureBufSizeFor(int64(l.Len()))
	case sizer:
		size = captureBufSizeFor(l.Size())
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
	size := captureBufSize
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = captureBufSizeFor(fi.Size())
	}
	r, err := newReader(f, path, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// captureBufSizeFor sizes the read buffer for input of n bytes: no larger
// than needed to hold it all, which keeps opening many small files cheap.
func captureBufSizeFor(n int64) int {
	n++ // room to see the end of the input in the same read
	switch {
	case n < captureBufMin:
		return captureBufMin
	case n < captureBufSize:
		return int(n)
	}
	return captureBufSize
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
	if p := r.src.peek(2); len(p) == 2 && littleEndian.u16(p) == magicGzip {
		raw := new(captureSource)
		*raw = r.src
		zr, err := gzip.NewReader(raw)
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("%w: gzip header cut short", ErrTruncated)
			}
			return r.fail(0, err)
		}
		r.gz = zr
		r.compressed = true
		r.src = captureSource{}
		r.src.init(zr, captureBufSize)
	}
	p := r.src.peek(4)
	if len(p) < 4 {
		if err := r.readError(); err != nil {
			return r.fail(0, err)
		}
		if len(p) == 0 {
			return r.fail(0, fmt.Errorf("%w: empty file", ErrNotCapture))
		}
		return r.fail(0, fmt.Errorf("%w: only %d bytes", ErrNotCapture, len(p)))
	}
	switch magic := littleEndian.u32(p); magic {
	case magicPcapMicroLE, magicPcapMicroBE, magicPcapNanoLE, magicPcapNanoBE:
		r.format = formatPcap
		return r.readPcapHeader(magic)
	case blockSHB:
		r.format = formatPcapng
		if err := r.readSHB(true); err != nil {
			return err
		}
		// Read the interface descriptions (and whatever else precedes the
		// first packet) now, so that Snaplen means something before the
		// first Next. A fault there is reported by Next, after the
		// records before it, of which there are none.
		if err := r.readBlocks(nil); err != nil {
			r.err = err
		}
		return nil
	case magicPcapModLE, magicPcapModBE:
		return r.fail(0, fmt.Errorf("modified pcap format (magic 0x%08x) is not supported", magic))
	default:
		if r.compressed {
			return r.fail(0, fmt.Errorf("%w: gzip-compressed, but unknown magic number 0x%08x inside", ErrNotCapture, magic))
		}
		return r.fail(0, fmt.Errorf("%w: unknown magic number 0x%08x", ErrNotCapture, magic))
	}
}

// Close releases the Reader and closes the file if Open opened it. Next
// returns an error after Close.
func (r *Reader) Close() error {
	var err error
	if r.gz != nil {
		err = r.gz.Close()
		r.gz = nil
	}
	if r.file != nil {
		if cerr := r.file.Close(); err == nil {
			err = cerr
		}
		r.file = nil
	}
	if r.err == nil {
		r.err = r.fail(r.src.off, os.ErrClosed)
	}
	return err
}

// Format returns "pcap" or "pcapng".
func (r *Reader) Format() string {
	if r.format == formatPcapng {
		return "pcapng"
	}
	return "pcap"
}

// Compressed reports whether the file is gzip-compressed.
func (r *Reader) Compressed() bool { return r.compressed }

// Snaplen returns the snapshot length: for pcap the file header's, for
// pcapng the largest of the interfaces read so far (NewReader reads those
// before the first packet). 0 means unlimited: a pcapng interface with snap
// length 0, or a pcap header saying 0.
func (r *Reader) Snaplen() int {
	if r.format == formatPcapng {
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
	if r.format == formatPcapng {
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

// roundUp4 rounds a block or option length up to a multiple of four. Wireshark
// does so rather than refuse a length that leaves out the padding, as some
// writers do (wiretap/pcapng.c, pcapng_read_block).
func roundUp4(n uint64) uint64 { return (n + 3) &^ 3 }

// isFrameBlock reports whether Wireshark numbers blocks of type typ as frames.
func isFrameBlock(typ uint32) bool {
	switch typ {
	case blockEPB, blockSPB, blockPB,
		blockCustom, blockCustomNoCopy, blockJournal,
		blockSysdigEvent, blockSysdigEventV2, blockSysdigEventV2Large:
		return true
	}
	return false
}

// readBlocks reads pcapng blocks until one yields a packet into rec. With a
// nil rec it stops instead before the first block numbered as a frame, or at
// the end of the input.
func (r *Reader) readBlocks(rec *Record) error {
	for {
		off := r.src.off
		h := r.src.peek(8)
		if end, err := r.atEnd(len(h)); end {
			if err != nil {
				return err
			}
			if rec == nil {
				return nil
			}
			return io.EOF
		}
		if len(h) < 8 {
			return r.truncated(off, "block header", uint64(len(h)), 8)
		}
		// The SHB's type reads the same in both byte orders; its length
		// can only be read once its byte-order magic is known.
		if littleEndian.u32(h) == blockSHB {
			if err := r.readSHB(false); err != nil {
				return err
			}
			continue
		}
		typ := r.order.u32(h)
		length := roundUp4(uint64(r.order.u32(h[4:])))
		if length < minBlockLen {
			return r.failf(off, "block length %d is less than the minimum %d", length, minBlockLen)
		}
		if length > maxBlockLen {
			return r.failf(off, "block length %d exceeds maximum %d", length, maxBlockLen)
		}
		if rec == nil && isFrameBlock(typ) {
			return nil
		}
		if length <= captureBufMax {
			// Bring the whole block into the buffer: everything below
			// is then parsed in place, and a block cut short is
			// reported as such before it is parsed.
			if p := r.src.peek(int(length)); uint64(len(p)) < length {
				return r.truncated(off, "block", uint64(len(p)), length)
			}
		}
		var err error
		switch typ {
		case blockEPB, blockPB, blockSPB:
			return r.readPacketBlock(rec, off, typ, length)
		case blockIDB:
			err = r.readIDB(off, length)
		case blockCustom, blockCustomNoCopy:
			err = r.skipFrameBlock(off, length, minCustomLen, "custom")
		case blockJournal:
			err = r.skipFrameBlock(off, length, minJournalLen, "journal export")
		case blockSysdigEvent:
			err = r.skipFrameBlock(off, length, minSysdigLen, "sysdig event")
		case blockSysdigEventV2, blockSysdigEventV2Large:
			err = r.skipFrameBlock(off, length, minSysdig2Len, "sysdig event")
		case blockNRB:
			err = r.skipBlock(off, length, minNRBLen, "name resolution")
		case blockISB:
			err = r.skipBlock(off, length, minISBLen, "interface statistics")
		case blockDSB:
			err = r.skipBlock(off, length, minDSBLen, "decryption secrets")
		default:
			err = r.skipBlock(off, length, minBlockLen, "unknown")
		}
		if err != nil {
			return err
		}
	}
}

// readSHB reads a section header block (draft-ietf-opsawg-pcapng §4.1),
// which starts a section with its own byte order and interfaces. first says
// it is the file's first block, where a bad byte-order magic means the file
// is not pcapng at all.
func (r *Reader) readSHB(first bool) error {
	off := r.src.off
	const fixed = 24 // type, length, byte-order magic, version, section length
	h := r.src.peek(fixed)
	if len(h) < fixed {
		return r.truncated(off, "section header block", uint64(len(h)), fixed)
	}
	var order byteOrder
	switch bom := littleEndian.u32(h[8:]); bom {
	case byteOrderMagic:
		order = littleEndian
	case 0x4d3c2b1a:
		order = bigEndian
	default:
		if first {
			return r.failf(off, "%w: pcapng section header with unknown byte-order magic 0x%08x", ErrNotCapture, bom)
		}
		return r.failf(off, "section header block has unknown byte-order magic 0x%08x", bom)
	}
	length := roundUp4(uint64(order.u32(h[4:])))
	if length < minSHBLen {
		return r.failf(off, "section header block length %d is less than the minimum %d", length, minSHBLen)
	}
	if length > maxBlockLen {
		return r.failf(off, "block length %d exceeds maximum %d", length, maxBlockLen)
	}
	// Version 1.2 is written by some programs and read by Wireshark as
	// 1.0; other versions Wireshark refuses.
	if major, minor := order.u16(h[12:]), order.u16(h[14:]); major != 1 || minor != 0 && minor != 2 {
		return r.failf(off, "pcapng version %d.%d is not supported", major, minor)
	}
	if length <= captureBufMax {
		if p := r.src.peek(int(length)); uint64(len(p)) < length {
			return r.truncated(off, "block", uint64(len(p)), length)
		}
	}
	r.order = order
	r.ifaces = r.ifaces[:0]
	r.src.advance(fixed)
	var opts optionWalker
	opts.left = length - minSHBLen
	for {
		_, _, ok, err := r.nextOption(off, &opts)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
	}
	return r.readTrailer(off, length)
}

// readIDB reads an interface description block (draft-ietf-opsawg-pcapng
// §4.2): link type, snap length and the options that govern time stamps and
// the FCS.
func (r *Reader) readIDB(off int64, length uint64) error {
	if length < minIDBLen {
		return r.failf(off, "interface description block length %d is less than the minimum %d", length, minIDBLen)
	}
	h := r.src.peek(minIDBLen - 4)
	if len(h) < minIDBLen-4 {
		return r.truncated(off, "interface description block", uint64(len(h)), length)
	}
	iface := pcapngIface{
		linkType:    layers.LinkType(r.order.u16(h[8:])),
		snaplen:     r.order.u32(h[12:]),
		unitsPerSec: 1e6, // the default resolution, 10^-6 s
	}
	r.src.advance(minIDBLen - 4)
	var opts optionWalker
	opts.left = length - minIDBLen
	// Wireshark keeps the first of each option that may appear once and
	// ignores one of the wrong length.
	var haveTsresol, haveFCSLen, haveTsoffset bool
	for {
		code, val, ok, err := r.nextOption(off, &opts)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch {
		case code == optIfTsresol && len(val) == 1 && !haveTsresol:
			haveTsresol = true
			// The high bit selects a power of two, else of ten; the
			// rest is the negative exponent (§4.2, if_tsresol). The
			// limits are those of Wireshark: units per second must fit
			// in 64 bits.
			exp := uint(val[0] & 0x7f)
			if val[0]&0x80 != 0 {
				if exp > 63 {
					return r.failf(off, "interface time stamp resolution 2^-%d is not supported", exp)
				}
				iface.unitsPerSec = 1 << exp
			} else {
				if exp > 19 {
					return r.failf(off, "interface time stamp resolution 10^-%d is not supported", exp)
				}
				iface.unitsPerSec = 1
				for range exp {
					iface.unitsPerSec *= 10
				}
			}
		case code == optIfFilter && len(val) == 0:
			// The filter type octet is missing; Wireshark refuses it.
			return r.failf(off, "interface filter option is empty")
		case code == optIfFCSLen && len(val) == 1 && !haveFCSLen:
			haveFCSLen = true
			iface.fcsLen = int(val[0]) / 8 // the option is in bits
		case code == optIfTsoffset && len(val) == 8 && !haveTsoffset:
			haveTsoffset = true
			iface.tsOffset = int64(r.order.u64(val))
		}
	}
	if err := r.readTrailer(off, length); err != nil {
		return err
	}
	r.ifaces = append(r.ifaces, iface)
	if iface.snaplen == 0 {
		r.unlimited = true
	} else if iface.snaplen > r.maxSnap {
		r.maxSnap = iface.snaplen
	}
	return nil
}

// readPacketBlock reads an enhanced packet block (§4.3), a simple packet
// block (§4.4) or an obsolete packet block (appendix A) into rec.
func (r *Reader) readPacketBlock(rec *Record, off int64, typ uint32, length uint64) error {
	// fixed is the length of the block's fixed part, from its start to the
	// packet data.
	var fixed uint64
	var name string
	switch typ {
	case blockEPB:
		fixed, name = minEPBLen-4, "enhanced packet block"
	case blockPB:
		fixed, name = minPBLen-4, "packet block"
	default:
		fixed, name = minSPBLen-4, "simple packet block"
	}
	if length < fixed+4 {
		return r.failf(off, "%s length %d is less than the minimum %d", name, length, fixed+4)
	}
	h := r.src.peek(int(fixed))
	if uint64(len(h)) < fixed {
		return r.truncated(off, name, uint64(len(h)), length)
	}
	var ifid, tsHigh, tsLow, caplen, origlen uint32
	var iface *pcapngIface
	switch typ {
	case blockEPB:
		ifid, tsHigh, tsLow = r.order.u32(h[8:]), r.order.u32(h[12:]), r.order.u32(h[16:])
		caplen, origlen = r.order.u32(h[20:]), r.order.u32(h[24:])
	case blockPB:
		ifid = uint32(r.order.u16(h[8:])) // then a 16-bit drops count
		tsHigh, tsLow = r.order.u32(h[12:]), r.order.u32(h[16:])
		caplen, origlen = r.order.u32(h[20:]), r.order.u32(h[24:])
	default:
		// An SPB belongs to the section's first interface and holds
		// min(original length, snap length) bytes (§4.4).
		if len(r.ifaces) == 0 {
			return r.failf(off, "simple packet block before any interface description block")
		}
		iface = &r.ifaces[0]
		origlen = r.order.u32(h[8:])
		caplen = origlen
		if iface.snaplen != 0 && caplen > iface.snaplen {
			caplen = iface.snaplen
		}
	}
	padded := roundUp4(uint64(caplen))
	if length < fixed+4+padded {
		return r.failf(off, "%s length %d is too small for %d bytes of packet data", name, length, caplen)
	}
	if iface == nil {
		if uint64(ifid) >= uint64(len(r.ifaces)) {
			return r.failf(off, "%s refers to interface %d, but the section defines %d", name, ifid, len(r.ifaces))
		}
		iface = &r.ifaces[ifid]
	}
	if caplen > maxCaptureLen {
		return r.failf(off, "record length %d exceeds maximum %d", caplen, maxCaptureLen)
	}
	end := int(fixed) + int(caplen)
	p := r.src.peek(end)
	if len(p) < end {
		return r.truncated(off, name, uint64(len(p)), length)
	}
	data := p[fixed:end:end]
	if length > captureBufMax {
		// The options that follow do not fit in the buffer: keep the
		// data before reading them moves it.
		if cap(r.scratch) < len(data) {
			r.scratch = make([]byte, len(data), maxCaptureLen)
		}
		data = r.scratch[:copy(r.scratch[:len(data)], data):len(data)]
	}
	if n := r.src.discard(fixed + padded); n < fixed+padded {
		return r.truncated(off, name, n, length)
	}
	fcsLen := iface.fcsLen
	if typ == blockSPB {
		// Wireshark reads the trailing length right after an SPB's data
		// and goes on from there, whatever the block length says.
		if err := r.readTrailer(off, length); err != nil {
			return err
		}
	} else {
		var opts optionWalker
		opts.left = length - fixed - padded - 4
		for {
			code, val, ok, err := r.nextOption(off, &opts)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if fcs, err := packetOption(code, val, r.order); err != nil {
				return r.fail(off, err)
			} else if fcs > 0 {
				fcsLen = fcs
			}
		}
		if err := r.readTrailer(off, length); err != nil {
			return err
		}
	}
	r.frame++
	*rec = Record{
		Frame:     r.frame,
		LinkType:  iface.linkType,
		Data:      data,
		Length:    int(origlen),
		Offset:    off,
		Interface: int(ifid),
		FCSLen:    fcsLen,
	}
	if typ != blockSPB {
		rec.Time = iface.timestamp(uint64(tsHigh)<<32 | uint64(tsLow))
	}
	return nil
}

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

// timestamp converts a pcapng time stamp in the interface's units to UTC.
func (f *pcapngIface) timestamp(ts uint64) time.Time {
	sec, rem := ts/f.unitsPerSec, ts%f.unitsPerSec
	// rem*1e9 may not fit in 64 bits for resolutions finer than 10^-10 s;
	// the quotient, below 1e9, does.
	hi, lo := bits.Mul64(rem, 1e9)
	nsec, _ := bits.Div64(hi, lo, f.unitsPerSec)
	return time.Unix(int64(sec)+f.tsOffset, int64(nsec)).UTC()
}

// skipFrameBlock skips a block that Wireshark numbers as a frame but that
// holds no packet, and counts the frame.
func (r *Reader) skipFrameBlock(off int64, length, minLen uint64, name string) error {
	if err := r.skipBlock(off, length, minLen, name); err != nil {
		return err
	}
	r.frame++
	r.skipped++
	return nil
}

// skipBlock skips a block whose content the reader does not need, after
// checking its minimum length and its trailing length.
func (r *Reader) skipBlock(off int64, length, minLen uint64, name string) error {
	if length < minLen {
		return r.failf(off, "%s block length %d is less than the minimum %d", name, length, minLen)
	}
	if n := r.src.discard(length - 4); n < length-4 {
		return r.truncated(off, "block", n, length)
	}
	return r.readTrailer(off, length)
}

// readTrailer reads a block's trailing length and checks it against the
// leading one. Both are rounded up to a multiple of four, as Wireshark does.
func (r *Reader) readTrailer(off int64, length uint64) error {
	t := r.src.peek(4)
	if len(t) < 4 {
		have := uint64(r.src.off-off) + uint64(len(t))
		return r.truncated(off, "block", have, length)
	}
	if trail := roundUp4(uint64(r.order.u32(t))); trail != length {
		return r.failf(off, "block length %d does not match its trailing length %d", length, trail)
	}
	r.src.advance(4)
	return nil
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

// captureSource is a read buffer that tracks the stream offset. Unlike
// bufio.Reader it grows on demand (up to captureBufMax) so that a whole block
// can be parsed in place, and it can skip any distance without allocating.
type captureSource struct {
	rd     io.Reader
	buf    []byte
	r, w   int   // buf[r:w] is read but not consumed
	off    int64 // stream offset of buf[r]
	err    error // the error that stopped reading; io.EOF at the end
	empty  int   // consecutive reads that returned nothing
	bufMax int
}

func (s *captureSource) init(rd io.Reader, size int) {
	*s = captureSource{rd: rd, buf: make([]byte, size), bufMax: max(size, captureBufMax)}
}

// fill reads until n bytes are buffered or reading stops. n must not exceed
// s.bufMax.
func (s *captureSource) fill(n int) {
	n = min(n, s.bufMax)
	if s.r == s.w {
		s.r, s.w = 0, 0
	}
	for s.w-s.r < n && s.err == nil {
		if s.r+n > len(s.buf) {
			if n > len(s.buf) {
				size := min(max(2*len(s.buf), n), s.bufMax)
				nb := make([]byte, size)
				s.w = copy(nb, s.buf[s.r:s.w])
				s.r, s.buf = 0, nb
			} else {
				s.w = copy(s.buf, s.buf[s.r:s.w])
				s.r = 0
			}
		}
		m, err := s.rd.Read(s.buf[s.w:])
		if m < 0 || m > len(s.buf)-s.w {
			s.err = errors.New("reader returned an invalid count")
			return
		}
		s.w += m
		switch {
		case err != nil:
			s.err = err
		case m > 0:
			s.empty = 0
		default:
			// As bufio does, give up on a reader that keeps
			// returning nothing.
			if s.empty++; s.empty >= 100 {
				s.err = io.ErrNoProgress
			}
		}
	}
}

// peek returns the next n bytes without consuming them, or fewer if the
// input ends first. n must not exceed s.bufMax.
func (s *captureSource) peek(n int) []byte {
	if s.w-s.r < n {
		s.fill(n)
		if s.w-s.r < n {
			return s.buf[s.r:s.w]
		}
	}
	return s.buf[s.r : s.r+n]
}

// advance consumes n buffered bytes.
func (s *captureSource) advance(n int) {
	s.r += n
	s.off += int64(n)
}

// discard consumes up to n bytes, reading past the buffer as needed, and
// returns how many it consumed.
func (s *captureSource) discard(n uint64) uint64 {
	var done uint64
	for done < n {
		if s.r == s.w {
			s.fill(1)
			if s.r == s.w {
				break
			}
		}
		k := uint64(s.w - s.r)
		if k > n-done {
			k = n - done
		}
		s.advance(int(k))
		done += k
	}
	return done
}

// Read implements io.Reader, so that a gzip.Reader can read the raw stream
// through the bytes already buffered.
func (s *captureSource) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if s.r == s.w {
		s.fill(1)
		if s.r == s.w {
			return 0, s.err
		}
	}
	n := copy(p, s.buf[s.r:s.w])
	s.advance(n)
	return n, nil
}

// ReadByte implements io.ByteReader, which spares gzip a bufio.Reader.
func (s *captureSource) ReadByte() (byte, error) {
	if s.r == s.w {
		s.fill(1)
		if s.r == s.w {
			return 0, s.err
		}
	}
	b := s.buf[s.r]
	s.advance(1)
	return b, nil
}
