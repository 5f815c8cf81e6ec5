package decode

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

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

// Errors of [ParseICMPError].
var (
	errICMPNotError  = errors.New("not an error message (destination unreachable, packet too big, time exceeded, parameter problem)")
	errICMPQuote     = errors.New("quoted packet is not an ip packet of the message's version")
	errICMPQuoteHdr  = errors.New("quoted ip header length < 20")
	errICMPQuoteLen  = errors.New("quoted ip total length < header length")
	errICMPNotQuoted = errors.New("quote shorter than an ip header")
)

// icmpResult is how decoding an ICMP message went, without the allocation
// of an error value: most ICMP is not an error about VPN traffic, and that
// path must not allocate.
type icmpResult uint8

const (
	icmpVPN       icmpResult = iota // an error quoting VPN traffic
	icmpNotVPN                      // an error quoting other traffic
	icmpShort                       // shorter than the 8-octet header
	icmpNotError                    // another message type
	icmpNotQuoted                   // the quote is shorter than an IP header
	icmpBadQuote                    // the quote is not an IP header of the right version
	icmpBadHdrLen                   // the quoted IPv4 header length is below 20
	icmpBadLength                   // the quoted IPv4 total length is below the header length
)

// err returns the error a result stands for, or nil.
func (r icmpResult) err() error {
	var field string
	var off int
	var e error
	switch r {
	case icmpShort:
		field, off, e = "header", 0, ErrTruncated
	case icmpNotError:
		field, off, e = "type", 0, errICMPNotError
	case icmpNotQuoted:
		field, off, e = "quoted packet", 8, errICMPNotQuoted
	case icmpBadQuote:
		field, off, e = "quoted packet", 8, errICMPQuote
	case icmpBadHdrLen:
		field, off, e = "quoted packet", 8, errICMPQuoteHdr
	case icmpBadLength:
		field, off, e = "quoted packet", 10, errICMPQuoteLen
	default:
		return nil
	}
	return &Error{Layer: "icmp", Field: field, Offset: off, Err: e}
}

// portSet is a bit set of ports.
type portSet [65536 / 64]uint64

func (s *portSet) set(p uint16)      { s[p/64] |= 1 << (p % 64) }
func (s *portSet) has(p uint16) bool { return s[p/64]&(1<<(p%64)) != 0 }

// defaultIKEPorts holds the ports that get the RFC 3948 demultiplexing
// without Options.IKEPorts: 4500.
var defaultIKEPorts = func() *portSet {
	var s portSet
	s.set(PortIKENATT)
	return &s
}()

// ParseICMPError decodes an ICMP (ipv6 false) or ICMPv6 message b, from its
// type octet to the end of the quote, into e, with the ports of a Decoder
// of zero Options (500 and 4500). It returns an error, wrapping
// [ErrTruncated] for a message shorter than its header, when b is not an
// error message or its quote does not start with an IP header; whether the
// quoted packet is VPN traffic is e.Quote.VPN.
func ParseICMPError(b []byte, ipv6 bool, e *ICMPError) error {
	return e.decode(b, ipv6, defaultIKEPorts).err()
}

// icmpErrorType reports whether t is an error message whose body quotes the
// offending packet, and the octet of its RFC 4884 length field (0: none).
func icmpErrorType(t ICMPType, ipv6 bool) (ok bool, lengthOctet int) {
	if ipv6 {
		switch t {
		case ICMPTypeDestinationUnreachableV6, ICMPTypeTimeExceededV6:
			return true, 4 // RFC 4884 §4.2: 64-bit words
		case ICMPTypePacketTooBigV6, ICMPTypeParameterProblemV6:
			return true, 0
		}
		return false, 0
	}
	switch t {
	case ICMPTypeDestinationUnreachable, ICMPTypeTimeExceeded, ICMPTypeParameterProblem:
		return true, 5 // RFC 4884 §4.1: 32-bit words
	}
	return false, 0
}

// decode decodes an ICMP message; ports are the ports with the RFC 3948
// demultiplexing besides 500. Every field of e is set, so that a reused
// value keeps nothing of the previous message.
func (e *ICMPError) decode(b []byte, ipv6 bool, ports *portSet) icmpResult {
	*e = ICMPError{IPv6: ipv6}
	e.Quote.tail = -1
	if len(b) < 8 {
		return icmpShort
	}
	e.Type, e.Code = ICMPType(b[0]), ICMPCode(b[1])
	ok, lengthOctet := icmpErrorType(e.Type, ipv6)
	if !ok {
		return icmpNotError
	}
	switch {
	case ipv6 && e.Type == ICMPTypePacketTooBigV6:
		e.MTU = binary.BigEndian.Uint32(b[4:])
	case ipv6 && e.Type == ICMPTypeParameterProblemV6:
		e.Pointer = binary.BigEndian.Uint32(b[4:])
	case !ipv6 && e.TooBig():
		e.MTU = uint32(binary.BigEndian.Uint16(b[6:]))
	case !ipv6 && e.Type == ICMPTypeParameterProblem:
		e.Pointer = uint32(b[4])
	}
	quote := b[8:]
	if lengthOctet > 0 && b[lengthOctet] != 0 {
		// RFC 4884: the original datagram is this long, and ICMP
		// extensions (MPLS labels, interface information) follow it.
		unit := 4
		if ipv6 {
			unit = 8
		}
		if n := int(b[lengthOctet]) * unit; n < len(quote) {
			quote = quote[:n]
		}
	}
	return e.Quote.decode(quote, ipv6, ports)
}

// decode decodes a quoted IP packet.
func (q *ICMPQuote) decode(b []byte, ipv6 bool, ports *portSet) icmpResult {
	q.IPv6 = ipv6
	var t []byte // the quoted transport header and what follows, if any
	if ipv6 {
		if len(b) < 40 {
			return icmpNotQuoted
		}
		if b[0]>>4 != 6 {
			return icmpBadQuote
		}
		q.Src = netip.AddrFrom16([16]byte(b[8:24]))
		q.Dst = netip.AddrFrom16([16]byte(b[24:40]))
		plen := int(binary.BigEndian.Uint16(b[4:]))
		q.Length = 40 + plen
		if plen == 0 {
			q.Length = len(b) // a jumbogram (RFC 2675)
		}
		b = b[:min(len(b), q.Length)]
		var ok bool
		if t, ok = q.walkIPv6(b); !ok {
			return q.result()
		}
	} else {
		if len(b) < 20 {
			return icmpNotQuoted
		}
		if b[0]>>4 != 4 {
			return icmpBadQuote
		}
		ihl := int(b[0]&0x0F) * 4
		if ihl < 20 {
			return icmpBadHdrLen
		}
		q.Length = int(binary.BigEndian.Uint16(b[2:]))
		switch {
		case q.Length == 0:
			q.Length = len(b) // sent before segmentation offload filled it in
		case q.Length < ihl:
			return icmpBadLength
		}
		q.Src = netip.AddrFrom4([4]byte(b[12:16]))
		q.Dst = netip.AddrFrom4([4]byte(b[16:20]))
		q.Proto = b[9]
		q.IPID = uint32(binary.BigEndian.Uint16(b[4:]))
		ff := binary.BigEndian.Uint16(b[6:])
		q.Fragment = Fragment{ID: q.IPID, Offset: int(ff&0x1FFF) * 8, More: ff&0x2000 != 0}
		if !q.Fragment.IsFragment() {
			q.Fragment.ID = 0
		}
		q.HeaderLen = ihl
		b = b[:min(len(b), q.Length)]
		if len(b) >= ihl && q.Fragment.Offset == 0 {
			t = b[ihl:]
		}
	}
	q.Quoted = len(b)
	q.transport(t, ports)
	return q.result()
}

// result says whether the decoded quote is VPN traffic.
func (q *ICMPQuote) result() icmpResult {
	if q.VPN {
		return icmpVPN
	}
	return icmpNotVPN
}

// walkIPv6 walks the quoted IPv6 packet b's extension headers as
// decodeIPv6 does, setting Proto, HeaderLen and Fragment. It returns the
// transport header and what follows, and false when the quote ends inside
// the extension headers (Proto is then the header it ends in).
func (q *ICMPQuote) walkIPv6(b []byte) ([]byte, bool) {
	nh, off := b[6], 40
	q.HeaderLen = off
	for i := 0; ; i++ {
		switch nh {
		case 0, 43, 60, 135, 139, 140:
			if i == maxIPv6ExtHdrs || len(b) < off+2 || len(b) < off+(int(b[off+1])+1)*8 {
				q.Proto = nh
				return nil, false
			}
			nh, off = b[off], off+(int(b[off+1])+1)*8
		case 44:
			if i == maxIPv6ExtHdrs || len(b) < off+8 {
				q.Proto = nh
				return nil, false
			}
			fo := binary.BigEndian.Uint16(b[off+2:])
			q.IPID = binary.BigEndian.Uint32(b[off+4:])
			q.Fragment = Fragment{ID: q.IPID, Offset: int(fo>>3) * 8, More: fo&1 != 0}
			if !q.Fragment.IsFragment() {
				q.Fragment.ID = 0 // an atomic fragment (RFC 6946)
			}
			nh, off = b[off], off+8
		default:
			q.Proto, q.HeaderLen = nh, off
			if q.Fragment.Offset > 0 {
				return nil, true
			}
			return b[off:], true
		}
		q.HeaderLen = off
	}
}

// transport decodes the quoted transport header t (nil when it is not in
// the quote or not in this fragment) and decides whether the quoted packet
// is VPN traffic.
func (q *ICMPQuote) transport(t []byte, ports *portSet) {
	switch q.Proto {
	case 50:
		q.VPN, q.Kind = true, KindESP
		q.espHeader(t, 0)
		if t != nil {
			q.tail = q.HeaderLen
		}
	case 51:
		q.VPN, q.Kind = true, KindAH
		q.espHeader(t, 4)
		if t != nil {
			q.tail = q.HeaderLen
		}
	case 47:
		q.VPN, q.Kind = true, KindGRE
		q.greHeader(t)
	case 17:
		q.udp(t, ports)
	case 6:
		q.tcp(t, ports)
	}
}

// espHeader reads an ESP SPI and sequence number at offset off of t (AH
// keeps them 4 octets in, RFC 4302 §2).
func (q *ICMPQuote) espHeader(t []byte, off int) {
	if len(t) >= off+4 {
		q.ESP.SPI = binary.BigEndian.Uint32(t[off:])
		q.Have |= QuoteSPI
	}
	if len(t) >= off+8 {
		q.ESP.Seq = binary.BigEndian.Uint32(t[off+4:])
		q.Have |= QuoteSeq
	}
}

// udp decodes a quoted UDP header and, on the IKE ports, as much of the
// payload as tells what it carries. The destination port decides first,
// as decodeUDP decides.
func (q *ICMPQuote) udp(t []byte, ports *portSet) {
	if len(t) < 4 {
		return
	}
	q.SrcPort, q.DstPort = binary.BigEndian.Uint16(t), binary.BigEndian.Uint16(t[2:])
	q.Have |= QuotePorts
	encap, ike := false, false
	for _, p := range [2]uint16{q.DstPort, q.SrcPort} {
		if ports.has(p) {
			encap = true
			break
		}
		if p == PortIKE {
			ike = true
			break
		}
	}
	if !encap && !ike {
		return
	}
	q.VPN = true
	// The UDP payload: its length on the wire when the UDP length field is
	// quoted, and the octets of it quoted.
	wire := -1
	var payload []byte
	if len(t) >= 8 {
		payload = t[8:]
		q.tail = q.HeaderLen + 8
		if ulen := int(binary.BigEndian.Uint16(t[4:])); ulen >= 8 {
			wire = ulen - 8
			payload = payload[:min(len(payload), wire)]
		}
	}
	if ike {
		q.Kind = KindIKE
		if isNonESPMarker(payload) && wire >= 4 && !ikeLength(payload, wire) && ikeLength(payload[4:], wire-4) {
			q.NonESPMarker = true
			payload = payload[4:]
		}
		q.ikeHeader(payload)
		return
	}
	// RFC 3948 §2, as udpEncapNext applies it, on the octets there are.
	switch {
	case isNonESPMarker(payload):
		q.Kind, q.NonESPMarker = KindIKE, true
		q.ikeHeader(payload[4:])
	case wire == 1 && len(payload) == 1 && payload[0] == 0xFF:
		q.Kind = KindNATKeepalive
	case wire > 1 && len(payload) > 0 && payload[0] != 0,
		len(payload) >= 4:
		// The first octet is not zero, so this is no marker: ESP, as
		// far as its SPI and sequence number are quoted.
		q.Kind = KindUDPESP
		q.espHeader(payload, 0)
	}
}

// ikeLength reports whether b starts with an ISAKMP/IKE header of major
// version 1 or 2 whose Length is n (looksLikeIKE for a payload known by its
// length on the wire rather than by the octets captured).
func ikeLength(b []byte, n int) bool {
	if len(b) < 28 {
		return false
	}
	v := b[17] >> 4
	return (v == 1 || v == 2) && int(binary.BigEndian.Uint32(b[24:])) == n
}

// ikeHeader reads as much of an IKE header as b holds.
func (q *ICMPQuote) ikeHeader(b []byte) {
	h := &q.IKE
	if len(b) >= 8 {
		h.SPIi = binary.BigEndian.Uint64(b)
		q.Have |= QuoteIKESPIi
	}
	if len(b) >= 16 {
		h.SPIr = binary.BigEndian.Uint64(b[8:])
		q.Have |= QuoteIKESPIr
	}
	if len(b) >= 28 {
		h.Version = b[17] >> 4
		h.Exchange = ExchangeType(b[18])
		h.Flags = b[19]
		h.MessageID = binary.BigEndian.Uint32(b[20:])
		h.Length = binary.BigEndian.Uint32(b[24:])
		q.Have |= QuoteIKEHeader
	}
}

// tcp decodes a quoted TCP header: PPTP control (1723) and RFC 9329 streams
// (the IKE ports) are VPN traffic.
func (q *ICMPQuote) tcp(t []byte, ports *portSet) {
	if len(t) < 4 {
		return
	}
	q.SrcPort, q.DstPort = binary.BigEndian.Uint16(t), binary.BigEndian.Uint16(t[2:])
	q.Have |= QuotePorts
	switch {
	case q.SrcPort == PortPPTP || q.DstPort == PortPPTP:
		q.VPN, q.Kind = true, KindPPTP
	case ports.has(q.DstPort) || ports.has(q.SrcPort):
		q.VPN, q.Kind = true, KindTCPESP
	default:
		return
	}
	if len(t) >= 13 {
		if hl := int(t[12]>>4) * 4; hl >= 20 && hl <= len(t) {
			q.tail = q.HeaderLen + hl
		}
	}
}

// greHeader reads as much of a GRE header (RFC 2784, RFC 2890, RFC 2637
// §4.1) as t holds, in the order of GRE.DecodeFromBytes.
func (q *ICMPQuote) greHeader(t []byte) {
	if len(t) < 4 {
		return
	}
	g := &q.GRE
	f0, f1 := t[0], t[1]
	g.KeyPresent, g.SeqPresent = f0&0x20 != 0, f0&0x10 != 0
	g.Version = f1 & 0x07
	g.AckPresent = f1&0x80 != 0 && g.Version == 1
	g.Protocol = binary.BigEndian.Uint16(t[2:])
	q.Have |= QuoteGRE
	if g.Version > 1 || f0&0x40 != 0 {
		// Another version, or RFC 1701 routing: the fields that follow
		// are not the ones read here.
		return
	}
	off := 4
	if f0&0x80 != 0 { // checksum and offset
		off += 4
	}
	field := func(have QuoteFields) (uint32, bool) {
		if len(t) < off+4 {
			return 0, false
		}
		v := binary.BigEndian.Uint32(t[off:])
		off += 4
		q.Have |= have
		return v, true
	}
	if g.KeyPresent {
		v, ok := field(QuoteGREKey)
		if !ok {
			return
		}
		g.Key = v
		if g.Version == 1 {
			g.PayloadLen, g.CallID = uint16(v>>16), uint16(v)
		}
	}
	if g.SeqPresent {
		v, ok := field(QuoteGRESeq)
		if !ok {
			return
		}
		g.Seq = v
	}
	if g.AckPresent {
		v, ok := field(QuoteGREAck)
		if !ok {
			return
		}
		g.Ack = v
	}
	q.tail = q.HeaderLen + off
}

// invariant returns the octets of the quote b (the ICMP message after its
// 8-octet header) that a NAT translating the error leaves alone: what
// follows the quoted UDP, TCP or GRE header, or the whole ESP or AH packet.
func (q *ICMPQuote) invariant(b []byte) []byte {
	if q.tail < 0 || q.tail > len(b) {
		return nil
	}
	return b[q.tail:min(len(b), q.Quoted)]
}

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
