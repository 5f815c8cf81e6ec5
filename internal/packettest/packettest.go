// Package packettest builds sequences of decoded packets for tests of the
// flows and rules packages: scripted IKE exchanges, ESP, keepalives, GRE and
// PPTP, and a NAT model that turns what an inside capture sees into what
// the outside capture sees.
package packettest

import (
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// Script builds a packet sequence: each packet comes 10 ms after the
// previous one unless After moves the clock.
type Script struct {
	Now     time.Time
	frame   int
	Packets []decode.Packet
}

// Start is the time scripts begin at.
var Start = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// New returns an empty script starting at Start.
func New() *Script { return &Script{Now: Start} }

// After moves the clock forward.
func (s *Script) After(d time.Duration) *Script { s.Now = s.Now.Add(d); return s }

// AddrPort parses "10.0.0.2:500" or "10.0.0.2" (port 0).
func AddrPort(s string) netip.AddrPort {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap
	}
	return netip.AddrPortFrom(netip.MustParseAddr(s), 0)
}

// Add appends a packet, numbering it and stamping the time.
func (s *Script) Add(p decode.Packet) *decode.Packet {
	s.frame++
	p.Frame, p.FirstFrame, p.Time = s.frame, s.frame, s.Now
	if p.Length == 0 {
		p.Length = 200
	}
	if p.TTL == 0 {
		p.TTL = 64
	}
	p.IPID = uint32(s.frame)
	s.Packets = append(s.Packets, p)
	s.Now = s.Now.Add(10 * time.Millisecond)
	return &s.Packets[len(s.Packets)-1]
}

func base(proto uint8, src, dst string) decode.Packet {
	a, b := AddrPort(src), AddrPort(dst)
	return decode.Packet{Src: a.Addr(), Dst: b.Addr(), SrcPort: a.Port(), DstPort: b.Port(), Proto: proto}
}

// IKE adds an IKE message over UDP. hash distinguishes messages: an equal
// hash is a retransmission. On port 4500 the non-ESP marker is set.
func (s *Script) IKE(src, dst string, m decode.IKEMessage, hash uint64) *decode.Packet {
	p := base(17, src, dst)
	p.Kind = decode.KindIKE
	mm := m
	p.IKE = &mm
	p.PayloadHash = hash
	p.PayloadLen = 300
	p.NonESPMarker = p.SrcPort == 4500 || p.DstPort == 4500
	return s.Add(p)
}

// ESP adds an ESP packet: raw when src has no port, else in UDP.
func (s *Script) ESP(src, dst string, spi, seq uint32) *decode.Packet {
	p := base(50, src, dst)
	p.Kind = decode.KindESP
	if p.SrcPort != 0 {
		p.Proto, p.Kind = 17, decode.KindUDPESP
	}
	p.ESP = decode.ESPInfo{SPI: spi, Seq: seq}
	p.PayloadLen = 120
	p.PayloadHash = uint64(spi)<<32 | uint64(seq)
	return s.Add(p)
}

// AH adds an AH packet.
func (s *Script) AH(src, dst string, spi, seq uint32) *decode.Packet {
	p := base(51, src, dst)
	p.Kind = decode.KindAH
	p.AH = decode.ESPInfo{SPI: spi, Seq: seq}
	p.PayloadLen = 120
	p.PayloadHash = uint64(spi)<<32 | uint64(seq) | 1<<63
	return s.Add(p)
}

// Keepalive adds a NAT-T keepalive.
func (s *Script) Keepalive(src, dst string) *decode.Packet {
	p := base(17, src, dst)
	p.Kind = decode.KindNATKeepalive
	p.PayloadLen = 1
	p.PayloadHash = 0xff
	return s.Add(p)
}

// GRE adds an enhanced GRE (version 1) packet for a call.
func (s *Script) GRE(src, dst string, call uint16, seq uint32) *decode.Packet {
	p := base(47, src, dst)
	p.Kind = decode.KindGRE
	p.GRE = decode.GREInfo{Version: 1, Protocol: 0x880b, KeyPresent: true, SeqPresent: true, CallID: call, Seq: seq, PayloadLen: 40}
	p.PayloadLen = 40
	p.PayloadHash = uint64(seq)<<16 | uint64(call)
	return s.Add(p)
}

// PPTP adds a PPTP control message on TCP.
func (s *Script) PPTP(src, dst string, typ decode.PPTPMessageType, call, peer uint16, result uint8) *decode.Packet {
	p := base(6, src, dst)
	p.Kind = decode.KindPPTP
	p.PPTP = decode.PPTPInfo{Type: typ, CallID: call, PeerCallID: peer, ResultCode: result, HasCallID: call != 0, HasPeerCall: peer != 0}
	p.PayloadLen = 156
	p.PayloadHash = uint64(typ)<<32 | uint64(call)<<16 | uint64(peer)
	return s.Add(p)
}

// Other adds a packet that is not VPN traffic (DNS, HTTPS…).
func (s *Script) Other(proto uint8, src, dst string, hash uint64) *decode.Packet {
	p := base(proto, src, dst)
	p.PayloadLen = 60
	p.PayloadHash = hash
	return s.Add(p)
}

// NATD builds an IKEv2 NAT_DETECTION hash result.
func NATD(kind decode.NATDKind, match decode.NATDMatch) decode.NATD {
	return decode.NATD{Kind: kind, Match: match, PayloadType: 41}
}

// ICMPError adds an ICMP error (ICMPv6 when src is IPv6) that src sends to
// dst; e holds its type, code and quote ([Quote], [CutQuote]).
func (s *Script) ICMPError(src, dst string, e decode.ICMPError) *decode.Packet {
	a, b := AddrPort(src), AddrPort(dst)
	p := decode.Packet{Src: a.Addr(), Dst: b.Addr(), Proto: 1, Kind: decode.KindICMPError, IPv6: a.Addr().Is6()}
	if p.IPv6 {
		p.Proto = 58
	}
	e.IPv6 = p.IPv6
	p.ICMP = &e
	q := &e.Quote
	p.PayloadLen = 8 + q.Quoted
	p.PayloadHash = uint64(q.ESP.SPI)<<32 | uint64(q.ESP.Seq) ^ q.IKE.SPIi ^ uint64(q.GRE.CallID)<<16 ^ uint64(e.Type)<<56 ^ uint64(e.Code)<<48
	return s.Add(p)
}

// Quote returns the quote of a packet as a whole ICMP quote holds it: its
// addresses, protocol and ports, and its ESP or AH SPI and sequence
// number, IKE SPIs and header, or GRE header.
func Quote(p *decode.Packet) decode.ICMPQuote {
	q := decode.ICMPQuote{
		IPv6: p.IPv6, Src: p.Src, Dst: p.Dst, Proto: p.Proto, IPID: p.IPID, Kind: p.Kind, VPN: true,
		SrcPort: p.SrcPort, DstPort: p.DstPort, NonESPMarker: p.NonESPMarker,
	}
	q.HeaderLen = 20
	if p.IPv6 {
		q.HeaderLen = 40
	}
	q.Length = q.HeaderLen + p.PayloadLen
	switch p.Proto {
	case 6:
		q.Length += 20
	case 17:
		q.Length += 8
	}
	q.Quoted = min(q.Length, 576)
	if p.Proto == 6 || p.Proto == 17 {
		q.Have |= decode.QuotePorts
	}
	switch p.Kind {
	case decode.KindESP, decode.KindUDPESP:
		q.ESP = p.ESP
		q.Have |= decode.QuoteSPI | decode.QuoteSeq
	case decode.KindAH:
		q.ESP = p.AH
		q.Have |= decode.QuoteSPI | decode.QuoteSeq
	case decode.KindIKE:
		if m := p.IKE; m != nil {
			q.IKE = decode.ICMPQuotedIKE{SPIi: m.SPIi, SPIr: m.SPIr, Version: m.Version, Exchange: m.Exchange,
				Flags: m.Flags, MessageID: m.MessageID, Length: m.Length}
			q.Have |= decode.QuoteIKESPIi | decode.QuoteIKESPIr | decode.QuoteIKEHeader
		}
	case decode.KindGRE:
		q.GRE = p.GRE
		q.Have |= decode.QuoteGRE
		if q.GRE.KeyPresent {
			q.Have |= decode.QuoteGREKey
		}
		if q.GRE.SeqPresent {
			q.Have |= decode.QuoteGRESeq
		}
		if q.GRE.AckPresent {
			q.Have |= decode.QuoteGREAck
		}
	}
	return q
}

// CutQuote cuts a quote as RFC 792 asks routers to: the IP header and 8
// octets, which hold UDP or TCP ports, an ESP SPI and sequence number, an
// AH SPI, a GRE header up to its key, and nothing of what follows UDP.
func CutQuote(q decode.ICMPQuote) decode.ICMPQuote {
	q.Quoted = min(q.Length, q.HeaderLen+8)
	keep := decode.QuotePorts
	switch q.Kind {
	case decode.KindESP:
		keep |= decode.QuoteSPI | decode.QuoteSeq
	case decode.KindAH:
		keep |= decode.QuoteSPI
		q.ESP.Seq = 0
	case decode.KindGRE:
		keep |= decode.QuoteGRE | decode.QuoteGREKey
		q.GRE.Seq, q.GRE.Ack = 0, 0
	case decode.KindUDPESP, decode.KindIKE, decode.KindNATKeepalive:
		// The UDP header fills the 8 octets: what it carries is cut off.
		// Port 500 carries IKE alone; on 4500 it cannot be told.
		if q.DstPort != 500 && (q.DstPort == 4500 || q.SrcPort != 500) {
			q.Kind = decode.KindOther
		}
		q.NonESPMarker = false
		q.ESP, q.IKE = decode.ESPInfo{}, decode.ICMPQuotedIKE{}
	}
	q.Have &= keep
	return q
}
