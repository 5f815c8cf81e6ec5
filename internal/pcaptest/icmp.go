package pcaptest

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// ProtoICMPv6 is the IP protocol (next header) of ICMPv6.
const ProtoICMPv6 = layers.IPProtocolICMPv6

// Quote lengths as Linux quotes the packet an error is about: up to the
// 576 octets of RFC 1812 §4.3.2.3 for ICMP, the 1280 of RFC 4443 §2.4 for
// ICMPv6, the outer IP and ICMP headers included.
const (
	QuoteMax4 = 576 - 20 - 8
	QuoteMax6 = 1280 - 40 - 8
)

// ICMPError builds an ICMP error message (RFC 792) of type typ and code
// about the datagram quoted (as [Packet.Datagram] builds it), quoting its
// first n octets (all of them, up to QuoteMax4, when n ≤ 0; RFC 792 asks
// for the IP header and 8). rest is the word after the checksum: the
// next-hop MTU of fragmentation needed in its low 16 bits (RFC 1191 §4),
// the pointer of a parameter problem in its top 8. The checksum is set.
func ICMPError(typ, code uint8, rest uint32, quoted []byte, n int) []byte {
	b := icmpMessage(typ, code, rest, quoted, n, QuoteMax4)
	binary.BigEndian.PutUint16(b[2:], ipChecksum(b))
	return b
}

// ICMPv6Error builds an ICMPv6 error message (RFC 4443) from src to dst,
// as ICMPError does (up to QuoteMax6 octets; rest is the MTU of packet too
// big, RFC 4443 §3.2), with the checksum over the IPv6 pseudo-header
// (RFC 4443 §2.3).
func ICMPv6Error(src, dst netip.Addr, typ, code uint8, rest uint32, quoted []byte, n int) []byte {
	b := icmpMessage(typ, code, rest, quoted, n, QuoteMax6)
	pseudo := make([]byte, 0, 40+len(b))
	s, d := src.As16(), dst.As16()
	pseudo = append(pseudo, s[:]...)
	pseudo = append(pseudo, d[:]...)
	pseudo = binary.BigEndian.AppendUint32(pseudo, uint32(len(b)))
	pseudo = append(pseudo, 0, 0, 0, uint8(ProtoICMPv6))
	binary.BigEndian.PutUint16(b[2:], ipChecksum(append(pseudo, b...)))
	return b
}

func icmpMessage(typ, code uint8, rest uint32, quoted []byte, n, max int) []byte {
	if n <= 0 || n > max {
		n = max
	}
	b := []byte{typ, code, 0, 0}
	b = binary.BigEndian.AppendUint32(b, rest)
	return append(b, quoted[:min(n, len(quoted))]...)
}
