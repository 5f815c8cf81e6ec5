package capture

import (
	"encoding/binary"
	"errors"
	"io"

	"github.com/gopacket/gopacket/layers"
)

// PcapWriter writes records to a pcap file (draft-ietf-opsawg-pcap) with
// nanosecond time stamps, as Wireshark writes one, so that frames [Reader]
// read can be saved again: the packets of one tunnel, say. A pcap file has
// one link type and FCS length, those of its first record.
type PcapWriter struct {
	w       io.Writer
	snaplen uint32
	started bool
	link    layers.LinkType
	fcsLen  int
	hdr     [pcapRecordHeaderLen]byte
}

// ErrLinkType reports a record whose link type or FCS length is not the
// file's: a pcap file holds one of each (pcapng files can hold several).
var ErrLinkType = errors.New("pcap: the record's link type or FCS length is not the file's")

// NewPcapWriter returns a writer to w whose file header gives snaplen (the
// reader's [Reader.Snaplen], or 262144 when that is unknown).
func NewPcapWriter(w io.Writer, snaplen int) *PcapWriter {
	if snaplen <= 0 || snaplen > maxCaptureLen {
		snaplen = maxCaptureLen
	}
	return &PcapWriter{w: w, snaplen: uint32(snaplen)}
}

// Write writes one record: its time, its bytes and its length on the wire.
// The first record writes the file header with its link type and FCS
// length; a later record with others is refused with [ErrLinkType] and
// nothing is written.
func (pw *PcapWriter) Write(rec *Record) error {
	if !pw.started {
		if err := pw.header(rec.LinkType, rec.FCSLen); err != nil {
			return err
		}
	} else if rec.LinkType != pw.link || rec.FCSLen != pw.fcsLen {
		return ErrLinkType
	}
	var sec, nsec uint32
	if !rec.Time.IsZero() {
		sec, nsec = uint32(rec.Time.Unix()), uint32(rec.Time.Nanosecond())
	}
	h := pw.hdr[:]
	binary.LittleEndian.PutUint32(h[0:], sec)
	binary.LittleEndian.PutUint32(h[4:], nsec)
	binary.LittleEndian.PutUint32(h[8:], uint32(len(rec.Data)))
	binary.LittleEndian.PutUint32(h[12:], uint32(max(rec.Length, len(rec.Data))))
	if _, err := pw.w.Write(h); err != nil {
		return err
	}
	_, err := pw.w.Write(rec.Data)
	return err
}

// Finish writes the file header when no record was written, so that an
// empty file is still a capture (of Ethernet frames). It does not close the
// underlying writer.
func (pw *PcapWriter) Finish() error {
	if pw.started {
		return nil
	}
	return pw.header(layers.LinkTypeEthernet, 0)
}

// header writes the 24-byte file header; an FCS length goes into the link
// type field's FCS bits, as libpcap defines them.
func (pw *PcapWriter) header(link layers.LinkType, fcsLen int) error {
	field := uint32(link) & pcapLinkTypeMask
	if fcsLen > 0 && fcsLen%2 == 0 && fcsLen/2 < 16 {
		// An FCS of another length cannot be declared; the frames keep it
		// all the same, as Wireshark's writer does.
		field |= pcapFCSPresentBit | uint32(fcsLen/2)<<pcapFCSLengthShift
	}
	var h [pcapFileHeaderLen]byte
	binary.LittleEndian.PutUint32(h[0:], magicPcapNanoLE)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], pw.snaplen)
	binary.LittleEndian.PutUint32(h[20:], field)
	if _, err := pw.w.Write(h[:]); err != nil {
		return err
	}
	pw.started, pw.link, pw.fcsLen = true, link, fcsLen
	return nil
}
