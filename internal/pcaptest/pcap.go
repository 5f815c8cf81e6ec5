package pcaptest

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Pcap file constants as tcpdump writes them on a little-endian host: the
// classic microsecond-resolution format, version 2.4, snapshot length 262144
// (tcpdump's default since 4.99), link type Ethernet.
const (
	pcapMagic        = 0xa1b2c3d4
	pcapVersionMaj   = 2
	pcapVersionMin   = 4
	DefaultSnapLen   = 262144
	LinkTypeEthernet = 1
)

// Writer writes a classic pcap file in the layout tcpdump and pcapgo.Writer
// produce. It is written out here, twenty lines, so that the samples' bytes
// depend on this file alone.
type Writer struct {
	w       io.Writer
	snapLen uint32
	hdr     [16]byte
}

// NewWriter writes the pcap file header (little-endian, microsecond
// timestamps, Ethernet) and returns a Writer for the records.
func NewWriter(w io.Writer, snapLen uint32) (*Writer, error) {
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], pcapMagic)
	binary.LittleEndian.PutUint16(h[4:], pcapVersionMaj)
	binary.LittleEndian.PutUint16(h[6:], pcapVersionMin)
	// thiszone and sigfigs are zero, as every writer since libpcap 0.x sets them.
	binary.LittleEndian.PutUint32(h[16:], snapLen)
	binary.LittleEndian.PutUint32(h[20:], LinkTypeEthernet)
	if _, err := w.Write(h[:]); err != nil {
		return nil, fmt.Errorf("pcaptest: write pcap header: %w", err)
	}
	return &Writer{w: w, snapLen: snapLen}, nil
}

// WritePacket writes one record. The timestamp is truncated to the
// microsecond; frames longer than the snapshot length are cut as tcpdump
// cuts them, with the original length kept in the record header.
func (w *Writer) WritePacket(ts time.Time, frame []byte) error {
	capLen := len(frame)
	if uint32(capLen) > w.snapLen {
		capLen = int(w.snapLen)
	}
	us := ts.UnixMicro()
	binary.LittleEndian.PutUint32(w.hdr[0:], uint32(us/1e6))
	binary.LittleEndian.PutUint32(w.hdr[4:], uint32(us%1e6))
	binary.LittleEndian.PutUint32(w.hdr[8:], uint32(capLen))
	binary.LittleEndian.PutUint32(w.hdr[12:], uint32(len(frame)))
	if _, err := w.w.Write(w.hdr[:]); err != nil {
		return fmt.Errorf("pcaptest: write record header: %w", err)
	}
	if _, err := w.w.Write(frame[:capLen]); err != nil {
		return fmt.Errorf("pcaptest: write record: %w", err)
	}
	return nil
}
