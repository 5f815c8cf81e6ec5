// Package decode reads capture files and decodes the VPN-relevant packets in
// them: IKEv1/ISAKMP and IKEv2 messages with every cleartext payload, ESP and
// AH, UDP-encapsulated ESP and NAT-T keepalives on port 4500 (RFC 3948), IKE
// and ESP over TCP (RFC 9329), GRE versions 0 and 1, PPTP control
// messages (RFC 2637), and the ICMP and ICMPv6 errors (RFC 792, RFC 4443)
// that quote such packets: a device that refuses a VPN packet often says
// so, and why.
//
// It works in three layers:
//
//   - Package [github.com/vpnpcap/vpnpcap/decode/capture] walks a pcap or
//     pcapng file (optionally gzip-compressed) and yields records numbered
//     as Wireshark numbers frames. It reports a corrupt or truncated file
//     as an error naming the file and the byte offset of the fault; every
//     record before it is still returned.
//   - [Decoder] turns records into [Packet]s: small values holding addresses,
//     ports, the packet's [Kind] and the kind's fields. It reassembles IP
//     fragments and TCP streams (PPTP control, IKE over TCP) and keeps what it
//     needs to verify NAT-D hashes.
//   - The IKE decoding units ([IKE], [PayloadIter], [ParseIKEMessage]) work on
//     bytes and can be used alone.
//
// Contract. The per-packet path allocates nothing for traffic that is not VPN
// traffic. Slices in records and in the gopacket-style decoding layers alias
// the input and are valid until the next call; everything in a [Packet]
// (including its [IKEMessage]) is owned and may be kept. Without keys nothing is
// decrypted: encrypted IKE payloads (IKEv1 with the E flag, IKEv2 SK and SKF)
// are recognised and reported as opaque, and ESP is described by its SPI and
// sequence number only. With keys ([Options.Keys], read by package
// decode/keys) the messages and packets of the SAs they belong to are
// checked and decrypted, and the plaintext payloads are decoded by the same
// decoders as cleartext ones ([IKEMessage.Decryption], [Packet.Decrypted]).
// Bad input never panics: it yields an error value or a packet of kind
// [KindMalformed] with its [Fault]: a kind to count and branch on, the
// layer and offset, and a message for people.
package decode
