package decode

import "net/netip"

// ICMPError is an ICMP (RFC 792) or ICMPv6 (RFC 4443) error message:
// Destination Unreachable, Packet Too Big, Time Exceeded or Parameter
// Problem, with what it quotes of the packet that caused it. A device that
// refuses a packet says why in such a message and returns the start of the
// packet, so the error can be tied to the flow, ESP SA or PPTP call it
// refused.
//
// It is a value: the quote's fields are copied out of the message, never
// aliased.
type ICMPError struct {
	IPv6 bool // an ICMPv6 message (RFC 4443); Type and Code are from its registry
	Type ICMPType
	Code ICMPCode
	// MTU is the next-hop MTU of a Fragmentation Needed message
	// (type 3 code 4, RFC 1191 §4) or of a Packet Too Big message
	// (RFC 4443 §3.2); 0 otherwise, and from routers older than RFC 1191,
	// which leave it zero.
	MTU uint32
	// Pointer is the octet offset, into the quoted packet, that a
	// Parameter Problem message points at (RFC 792, RFC 4443 §3.4); 0
	// otherwise.
	Pointer uint32
	// Quote is what the message carries of the packet that caused it.
	Quote ICMPQuote
}

// ICMPQuote is the start of the packet an ICMP error was sent for, as the
// error quotes it: RFC 792 asks for the IP header and 8 octets, RFC 1812
// §4.3.2.3 allows up to 576 octets in all (Linux sends that much), RFC 4443
// §2.4 up to the minimum IPv6 MTU of 1280. What the quote holds is decoded;
// what it cut off is left zero and said in Have.
type ICMPQuote struct {
	IPv6     bool
	Src, Dst netip.Addr
	// Proto is the quoted packet's transport protocol (for IPv6 after its
	// extension headers, as far as they are quoted).
	Proto uint8
	// IPID is the quoted IPv4 identification, or the identification of
	// the quoted IPv6 packet's fragment header.
	IPID uint32
	// Length is the quoted packet's length on the wire as its own header
	// gives it (IPv4 Total Length, 40 plus the IPv6 Payload Length);
	// Quoted is how many octets of it the error carries, and HeaderLen
	// the length of its IP header with any IPv6 extension headers.
	Length, Quoted, HeaderLen int
	// Fragment is set when the quoted packet was an IP fragment; a fragment
	// other than the first carries no transport header.
	Fragment Fragment

	// Kind is what the quoted packet is as far as the quote tells: KindIKE,
	// KindUDPESP, KindNATKeepalive (UDP 500, 4500 or an Options.IKEPorts
	// port), KindESP, KindAH, KindGRE, KindPPTP (TCP 1723) or KindTCPESP
	// (TCP on an IKE port: an RFC 9329 stream, whose segments carry IKE and
	// ESP alike). It is KindOther when the quote ends before the octets that
	// tell IKE, ESP and keepalives apart on UDP 4500, or when the quoted
	// packet is not VPN traffic (VPN tells the two apart).
	Kind Kind

	SrcPort, DstPort uint16 // UDP or TCP, with QuotePorts
	// NonESPMarker is set when the quoted IKE message follows the non-ESP
	// marker (RFC 3948 §2.2).
	NonESPMarker bool
	// ESP is the SPI and sequence number of quoted ESP (raw or in UDP) or
	// AH, with QuoteSPI and QuoteSeq.
	ESP ESPInfo
	// IKE is the quoted IKE header, with QuoteIKESPIi, QuoteIKESPIr and
	// QuoteIKEHeader.
	IKE ICMPQuotedIKE
	// GRE is the quoted GRE header, with QuoteGRE, QuoteGREKey, QuoteGRESeq
	// and QuoteGREAck.
	GRE GREInfo
	// Have says which of the fields above the quote held.
	Have QuoteFields
	// VPN is set when the quoted packet is VPN traffic: ESP, AH or GRE,
	// UDP to or from port 500, 4500 or an Options.IKEPorts port, or TCP to
	// or from port 1723 or an Options.IKEPorts port. The Decoder reports
	// only errors whose quote is VPN traffic as KindICMPError.
	VPN bool

	// tail is the offset in the quote of the octets a NAT does not
	// rewrite (after the UDP, TCP or GRE header; the whole ESP or AH
	// packet), or -1 when the quote ends before them.
	tail int
}

// ICMPQuotedIKE is an IKE header (RFC 7296 §3.1, RFC 2408 §3.1) as far as
// an ICMP error quotes it.
type ICMPQuotedIKE struct {
	SPIi, SPIr uint64
	Version    uint8 // major version
	Exchange   ExchangeType
	Flags      uint8
	MessageID  uint32
	Length     uint32
}

// QuoteFields is a set of the fields an [ICMPQuote] holds.
type QuoteFields uint16

// The fields of a quote, in the order they appear in the quoted packet.
const (
	QuotePorts     QuoteFields = 1 << iota // UDP or TCP ports
	QuoteSPI                               // ESP or AH SPI
	QuoteSeq                               // ESP or AH sequence number
	QuoteIKESPIi                           // IKE initiator SPI
	QuoteIKESPIr                           // IKE responder SPI
	QuoteIKEHeader                         // the rest of the IKE header: version, exchange, flags, message ID, length
	QuoteGRE                               // GRE flags, version and protocol
	QuoteGREKey                            // GRE key (version 1: payload length and call ID)
	QuoteGRESeq                            // GRE sequence number
	QuoteGREAck                            // enhanced GRE acknowledgment number
)

// Has reports whether the set holds all of fs.
func (q QuoteFields) Has(fs QuoteFields) bool { return q&fs == fs }

// Cut names what the quote cut off of the fields that matter for its kind,
// such as "ESP sequence number", or returns "" when it holds them all.
func (q *ICMPQuote) Cut() string {
	switch {
	case q.Fragment.Offset > 0:
		return "" // a later fragment has no transport header to cut
	case q.Proto == 17 || q.Proto == 6:
		if !q.Have.Has(QuotePorts) {
			return "ports"
		}
	}
	switch q.Kind {
	case KindOther:
		if q.VPN {
			return "UDP payload (IKE, ESP or keepalive)"
		}
	case KindIKE:
		switch {
		case !q.Have.Has(QuoteIKESPIi):
			return "IKE SPIs"
		case !q.Have.Has(QuoteIKESPIr):
			return "IKE responder SPI"
		case !q.Have.Has(QuoteIKEHeader):
			return "IKE header after the SPIs"
		}
	case KindESP, KindUDPESP, KindAH:
		switch {
		case !q.Have.Has(QuoteSPI):
			return "SPI"
		case !q.Have.Has(QuoteSeq):
			return "sequence number"
		}
	case KindGRE:
		g := q.GRE
		switch {
		case !q.Have.Has(QuoteGRE):
			return "GRE header"
		case g.KeyPresent && !q.Have.Has(QuoteGREKey):
			if g.Version == 1 {
				return "GRE call ID"
			}
			return "GRE key"
		case g.SeqPresent && !q.Have.Has(QuoteGRESeq):
			return "GRE sequence number"
		case g.AckPresent && !q.Have.Has(QuoteGREAck):
			return "GRE acknowledgment number"
		}
	}
	return ""
}

// Source returns the quoted packet's source address and port (port 0 for
// protocols without ports, or when the quote cut them off).
func (q *ICMPQuote) Source() netip.AddrPort { return netip.AddrPortFrom(q.Src, q.SrcPort) }

// Destination returns the quoted packet's destination address and port.
func (q *ICMPQuote) Destination() netip.AddrPort { return netip.AddrPortFrom(q.Dst, q.DstPort) }

// ICMP error types of the two registries (RFC 792, RFC 4443 §3). The
// ICMPv6 ones carry a V6 suffix: the registries reuse numbers (3 is
// Destination Unreachable in ICMP, Time Exceeded in ICMPv6).
const (
	ICMPTypeDestinationUnreachable   ICMPType = 3  // RFC 792
	ICMPTypeTimeExceeded             ICMPType = 11 // RFC 792
	ICMPTypeParameterProblem         ICMPType = 12 // RFC 792
	ICMPTypeDestinationUnreachableV6 ICMPType = 1  // RFC 4443 §3.1
	ICMPTypePacketTooBigV6           ICMPType = 2  // RFC 4443 §3.2
	ICMPTypeTimeExceededV6           ICMPType = 3  // RFC 4443 §3.3
	ICMPTypeParameterProblemV6       ICMPType = 4  // RFC 4443 §3.4
)

// ICMP codes of Destination Unreachable (RFC 792, RFC 1122 §3.2.2.1,
// RFC 1812 §5.2.7.1) and of ICMPv6 Destination Unreachable (RFC 4443 §3.1,
// with the V6 suffix), and of Time Exceeded, which both registries share.
const (
	ICMPCodeNetworkUnreachable      ICMPCode = 0
	ICMPCodeHostUnreachable         ICMPCode = 1
	ICMPCodeProtocolUnreachable     ICMPCode = 2
	ICMPCodePortUnreachable         ICMPCode = 3
	ICMPCodeFragmentationNeeded     ICMPCode = 4 // RFC 1191 §4: with the next-hop MTU
	ICMPCodeNetworkProhibited       ICMPCode = 9
	ICMPCodeHostProhibited          ICMPCode = 10
	ICMPCodeCommunicationProhibited ICMPCode = 13 // RFC 1812 §5.2.7.1: administratively filtered

	ICMPCodeNoRouteV6            ICMPCode = 0
	ICMPCodeAdminProhibitedV6    ICMPCode = 1
	ICMPCodeAddressUnreachableV6 ICMPCode = 3
	ICMPCodePortUnreachableV6    ICMPCode = 4
	// ICMPCodeUnrecognizedNextHeaderV6 is the Parameter Problem code by
	// which IPv6 says what ICMP's Protocol Unreachable says (RFC 4443 §3.4).
	ICMPCodeUnrecognizedNextHeaderV6 ICMPCode = 1

	ICMPCodeTTLExceeded            ICMPCode = 0 // ICMPv6: hop limit exceeded
	ICMPCodeReassemblyTimeExceeded ICMPCode = 1
)

// PortUnreachable reports whether the error says that no socket listens on
// the quoted packet's destination port (ICMP 3/3, ICMPv6 1/4).
func (e *ICMPError) PortUnreachable() bool {
	if e.IPv6 {
		return e.Type == ICMPTypeDestinationUnreachableV6 && e.Code == ICMPCodePortUnreachableV6
	}
	return e.Type == ICMPTypeDestinationUnreachable && e.Code == ICMPCodePortUnreachable
}

// ProtocolUnreachable reports whether the error says that the receiver does
// not handle the quoted packet's protocol (ICMP 3/2; ICMPv6 4/1,
// unrecognized Next Header).
func (e *ICMPError) ProtocolUnreachable() bool {
	if e.IPv6 {
		return e.Type == ICMPTypeParameterProblemV6 && e.Code == ICMPCodeUnrecognizedNextHeaderV6
	}
	return e.Type == ICMPTypeDestinationUnreachable && e.Code == ICMPCodeProtocolUnreachable
}

// AdminProhibited reports whether the error says that a filter refused the
// quoted packet (ICMP 3/9, 3/10, 3/13; ICMPv6 1/1).
func (e *ICMPError) AdminProhibited() bool {
	if e.IPv6 {
		return e.Type == ICMPTypeDestinationUnreachableV6 && e.Code == ICMPCodeAdminProhibitedV6
	}
	return e.Type == ICMPTypeDestinationUnreachable &&
		(e.Code == ICMPCodeNetworkProhibited || e.Code == ICMPCodeHostProhibited || e.Code == ICMPCodeCommunicationProhibited)
}

// TooBig reports whether the error says that the quoted packet was too big
// for the next hop and not fragmented (ICMP 3/4, RFC 1191; ICMPv6 Packet Too
// Big, RFC 8201).
func (e *ICMPError) TooBig() bool {
	if e.IPv6 {
		return e.Type == ICMPTypePacketTooBigV6
	}
	return e.Type == ICMPTypeDestinationUnreachable && e.Code == ICMPCodeFragmentationNeeded
}

// TypeName returns the name of the error's type, such as "Destination
// unreachable".
func (e *ICMPError) TypeName() string { return e.Type.Name(e.IPv6) }

// CodeName returns the name of the error's code, such as "Port
// unreachable", or the number when it has none.
func (e *ICMPError) CodeName() string { return e.Code.Name(e.IPv6, e.Type) }

// ICMPType is the type of an ICMP (RFC 792) or ICMPv6 (RFC 4443) message;
// the two registries differ, so its name depends on the IP version
// ([ICMPType.Name]).
type ICMPType uint8

// ICMPCode is the code of an ICMP or ICMPv6 message; its meaning depends on
// the type and the IP version ([ICMPCode.Name]).
type ICMPCode uint8

// The names of the error types and codes, as Wireshark spells them
// (packet-icmp.c, packet-icmpv6.c) and, where Wireshark has none, the IANA
// registries ("Internet Control Message Protocol (ICMP) Parameters", "ICMPv6
// Parameters").
var (
	icmpTypeNames = map[ICMPType]string{
		0: "Echo (ping) reply", 3: "Destination unreachable", 4: "Source quench (flow control)",
		5: "Redirect", 8: "Echo (ping) request", 9: "Router advertisement", 10: "Router solicitation",
		11: "Time-to-live exceeded", 12: "Parameter problem", 13: "Timestamp request", 14: "Timestamp reply",
	}
	icmpTypeNamesV6 = map[ICMPType]string{
		1: "Destination Unreachable", 2: "Packet Too Big", 3: "Time Exceeded", 4: "Parameter Problem",
		128: "Echo (ping) request", 129: "Echo (ping) reply", 133: "Router Solicitation",
		134: "Router Advertisement", 135: "Neighbor Solicitation", 136: "Neighbor Advertisement", 137: "Redirect",
	}
	icmpCodeNames = map[ICMPType][]string{
		ICMPTypeDestinationUnreachable: {
			"Network unreachable", "Host unreachable", "Protocol unreachable", "Port unreachable",
			"Fragmentation needed", "Source route failed", "Destination network unknown",
			"Destination host unknown", "Source host isolated", "Network administratively prohibited",
			"Host administratively prohibited", "Network unreachable for TOS", "Host unreachable for TOS",
			"Communication administratively filtered", "Host precedence violation", "Precedence cutoff in effect",
		},
		ICMPTypeTimeExceeded:     {"Time to live exceeded in transit", "Fragment reassembly time exceeded"},
		ICMPTypeParameterProblem: {"Pointer indicates the error", "Required option missing", "Bad length"},
	}
	icmpCodeNamesV6 = map[ICMPType][]string{
		ICMPTypeDestinationUnreachableV6: {
			"no route to destination", "Administratively prohibited", "Beyond scope of source address",
			"Address unreachable", "Port unreachable", "Source address failed ingress/egress policy",
			"Reject route to destination", "Error in Source Routing Header", "Headers too long",
		},
		ICMPTypeTimeExceededV6: {"hop limit exceeded in transit", "fragment reassembly time exceeded"},
		ICMPTypeParameterProblemV6: {
			"erroneous header field encountered", "unrecognized Next Header type encountered",
			"unrecognized IPv6 option encountered", "IPv6 First Fragment has incomplete IPv6 Header Chain",
			"SR Upper-layer Header Error", "Unrecognized Next Header type encountered by intermediate node",
			"Extension header too big", "Extension header chain too long", "Too many extension headers",
			"Too many options in extension header", "Option too big",
		},
	}
)

// Name returns the type's name in the ICMPv6 registry (ipv6) or the ICMP
// one, such as "Destination unreachable", or its number when it has none.
func (t ICMPType) Name(ipv6 bool) string {
	names := icmpTypeNames
	if ipv6 {
		names = icmpTypeNamesV6
	}
	if s, ok := names[t]; ok {
		return s
	}
	return itoa(int(t))
}

// Name returns the code's name for messages of type t in the ICMPv6
// registry (ipv6) or the ICMP one, such as "Port unreachable", or its
// number when it has none (Packet Too Big has no codes).
func (c ICMPCode) Name(ipv6 bool, t ICMPType) string {
	names := icmpCodeNames[t]
	if ipv6 {
		names = icmpCodeNamesV6[t]
	}
	if int(c) < len(names) {
		return names[c]
	}
	return itoa(int(c))
}
