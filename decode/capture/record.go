package capture

import (
	"time"

	"github.com/gopacket/gopacket/layers"
)

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
