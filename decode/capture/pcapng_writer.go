package capture

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"

	"github.com/gopacket/gopacket/layers"
)

// pcapng option codes the writer uses beyond those the reader reads
// (draft-ietf-opsawg-pcapng §3.5, §4.1, §4.2).
const (
	optComment       = 1 // opt_comment, in any block
	optSHBUserAppl   = 4 // shb_userappl
	optIfName        = 2 // if_name
	optIfDescription = 3 // if_description
)

// maxOptionLen is the most an option's value can hold: its length is a
// 16-bit field.
const maxOptionLen = 0xffff

// PcapngWriter writes records to a pcapng file (draft-ietf-opsawg-pcapng):
// one section, an interface description block for each interface the
// records name, and an enhanced packet block for each record with
// nanosecond time stamps and, when given, a comment (opt_comment, which
// Wireshark shows as the packet's comment and tshark as frame.comment).
// Unlike a pcap file, one pcapng file can hold frames of several captures
// and link types, each on an interface of its own: the frames of a tunnel
// as the inside and the outside capture saw them, say.
type PcapngWriter struct {
	w       io.Writer
	app     string
	started bool
	ifaces  map[pcapngIfaceKey]uint32
	buf     []byte
}

// PcapngInterface names the interface a record is written on: the capture
// it comes from. Records of one capture with different link types or FCS
// lengths go on interfaces of their own, with the same name.
type PcapngInterface struct {
	// Name is the interface's if_name, such as "inside".
	Name string
	// Description is its if_description, such as the capture file's path.
	Description string
	// Snaplen is the interface's snapshot length; 0 means none.
	Snaplen int
}

// pcapngIfaceKey identifies an interface block of the file.
type pcapngIfaceKey struct {
	name, description string
	snaplen           int
	link              layers.LinkType
	fcsLen            int
}

// ErrOptionTooLong reports a comment, name or description longer than a
// pcapng option can hold (65535 bytes).
var ErrOptionTooLong = errors.New("pcapng: option value longer than 65535 bytes")

// NewPcapngWriter returns a writer to w. app names the application in the
// section header (shb_userappl), such as "vpnpcap"; it may be empty.
func NewPcapngWriter(w io.Writer, app string) *PcapngWriter {
	return &PcapngWriter{w: w, app: app, ifaces: map[pcapngIfaceKey]uint32{}}
}

// Write writes one record on the interface iface, with its time, bytes,
// length on the wire and FCS length, and comment as the packet's comment
// when it is not empty. The section header comes before the first record,
// and an interface description block before the first record of each
// interface (and link type). Invalid UTF-8 in the texts is replaced, as
// the format wants UTF-8. A record without a time (the zero Time, or one
// before 1970) is written at the epoch: a packet block always has one.
func (pw *PcapngWriter) Write(rec *Record, iface PcapngInterface, comment string) error {
	if err := pw.start(); err != nil {
		return err
	}
	comment = strings.ToValidUTF8(comment, "\uFFFD")
	if len(comment) > maxOptionLen {
		return ErrOptionTooLong
	}
	id, err := pw.iface(iface, rec.LinkType, rec.FCSLen)
	if err != nil {
		return err
	}
	var ts uint64
	if !rec.Time.IsZero() && rec.Time.UnixNano() > 0 {
		ts = uint64(rec.Time.UnixNano())
	}
	b := pw.buf[:0]
	b = binary.LittleEndian.AppendUint32(b, blockEPB)
	b = binary.LittleEndian.AppendUint32(b, 0) // the length, set below
	b = binary.LittleEndian.AppendUint32(b, id)
	b = binary.LittleEndian.AppendUint32(b, uint32(ts>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(ts))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(rec.Data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(max(rec.Length, len(rec.Data))))
	b = append(b, rec.Data...)
	b = pad4(b)
	if comment != "" {
		b = appendOption(b, optComment, []byte(comment))
		b = appendOption(b, optEndOfOpt, nil)
	}
	pw.buf = b
	return pw.writeBlock(b)
}

// Finish writes the section header when no record was written, so that
// an empty file is still a capture. It does not close the underlying
// writer.
func (pw *PcapngWriter) Finish() error { return pw.start() }

// start writes the section header block once.
func (pw *PcapngWriter) start() error {
	if pw.started {
		return nil
	}
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, blockSHB)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, byteOrderMagic)
	b = binary.LittleEndian.AppendUint16(b, 1) // version 1.0
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, ^uint64(0)) // section length not given
	if pw.app != "" {
		app := strings.ToValidUTF8(pw.app, "\uFFFD")
		if len(app) > maxOptionLen {
			return ErrOptionTooLong
		}
		b = appendOption(b, optSHBUserAppl, []byte(app))
		b = appendOption(b, optEndOfOpt, nil)
	}
	if err := pw.writeBlock(b); err != nil {
		return err
	}
	pw.started = true
	return nil
}

// iface returns the ID of the interface for a record, writing its
// description block when it is new.
func (pw *PcapngWriter) iface(in PcapngInterface, link layers.LinkType, fcsLen int) (uint32, error) {
	k := pcapngIfaceKey{in.Name, in.Description, in.Snaplen, link, fcsLen}
	if id, ok := pw.ifaces[k]; ok {
		return id, nil
	}
	name := strings.ToValidUTF8(in.Name, "\uFFFD")
	desc := strings.ToValidUTF8(in.Description, "\uFFFD")
	if len(name) > maxOptionLen || len(desc) > maxOptionLen {
		return 0, ErrOptionTooLong
	}
	snaplen := in.Snaplen
	if snaplen < 0 || snaplen > maxCaptureLen {
		snaplen = 0
	}
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, blockIDB)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(link))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(snaplen))
	if name != "" {
		b = appendOption(b, optIfName, []byte(name))
	}
	if desc != "" {
		b = appendOption(b, optIfDescription, []byte(desc))
	}
	b = appendOption(b, optIfTsresol, []byte{9}) // nanoseconds
	if fcsLen > 0 && fcsLen*8 < 256 {
		// In bits; an FCS too long to declare stays in the frames all the
		// same, as in a pcap file.
		b = appendOption(b, optIfFCSLen, []byte{byte(fcsLen * 8)})
	}
	b = appendOption(b, optEndOfOpt, nil)
	if err := pw.writeBlock(b); err != nil {
		return 0, err
	}
	id := uint32(len(pw.ifaces))
	pw.ifaces[k] = id
	return id, nil
}

// writeBlock completes a block whose body b holds (type, a length to be
// set, then the body) with its lengths and writes it.
func (pw *PcapngWriter) writeBlock(b []byte) error {
	total := uint32(len(b) + 4)
	binary.LittleEndian.PutUint32(b[4:], total)
	b = binary.LittleEndian.AppendUint32(b, total)
	_, err := pw.w.Write(b)
	return err
}

// appendOption appends an option: its code, the length of its value, and
// the value padded to 32 bits.
func appendOption(b []byte, code uint16, value []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(value)))
	b = append(b, value...)
	return pad4(b)
}

// pad4 pads b with zeros to a multiple of four bytes.
func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
