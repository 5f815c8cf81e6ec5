package decode

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// This file parses ICMP and ICMPv6 error messages and the packet they
// quote, as far as the quote goes.

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
		if isNonESPMarker(payload) && wire >= 4 && !looksLikeIKE(payload, wire) && looksLikeIKE(payload[4:], wire-4) {
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
