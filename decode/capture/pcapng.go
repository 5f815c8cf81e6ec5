package capture

import (
	"io"
	"math/bits"
	"time"

	"github.com/gopacket/gopacket/layers"
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

	byteOrderMagic        = 0x1a2b3c4d
	byteOrderMagicSwapped = 0x4d3c2b1a // written by a big-endian host
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

// pcapngIface is what the reader keeps of an interface description block.
type pcapngIface struct {
	linkType    layers.LinkType
	snaplen     uint32
	unitsPerSec uint64 // time stamp units per second, from if_tsresol
	tsOffset    int64  // seconds added to every time stamp, from if_tsoffset
	fcsLen      int    // bytes, from if_fcslen
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
			if err := r.readSHB(); err != nil {
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
		if length <= bufMax {
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
// which starts a section with its own byte order and interfaces.
func (r *Reader) readSHB() error {
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
	case byteOrderMagicSwapped:
		order = bigEndian
	default:
		// The file's first section header passed Sniff, which refuses
		// an unknown byte-order magic as no capture at all.
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
	if length <= bufMax {
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
// block (§4.4) or an obsolete packet block (appendix A) into rec. It runs
// once per record and stays one function: split into the fixed part, the
// data and the options, reading a pcapng file took a sixth longer
// (BenchmarkReader/pcapng).
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
	if length > bufMax {
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
