// Package capture reads capture files: pcap (the libpcap format,
// draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng), either of
// them optionally gzip-compressed (RFC 1952), recognised by their content
// ([Sniff]) and never by their name. Where the formats leave room for
// judgement, the [Reader] does what Wireshark's wiretap library does
// (version 4.0, checked against tshark), so that frame numbers, time stamps
// and the files refused are the ones a user sees in Wireshark. The
// deliberate differences are listed on [Reader].
//
// Contract. Reading allocates nothing per record, and [Record.Data] aliases
// the reader's buffer until the next record. A damaged file yields every
// record before the damage, then a [*FormatError] naming the file and the
// byte offset of the record or block at fault. The package knows no
// protocol: package decode turns records into packets.
package capture
