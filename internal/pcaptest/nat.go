package pcaptest

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// PortPolicy says how a [NAT] picks the public port of a new UDP or TCP
// mapping.
type PortPolicy uint8

const (
	// PortRandom draws the public port at random from 1024–65535, as most
	// consumer routers and carrier-grade NATs do.
	PortRandom PortPolicy = iota
	// PortPreserve keeps the inside source port when it is free for the
	// remote endpoint, and draws a random one otherwise: Linux MASQUERADE.
	PortPreserve
)

// Fate says what a NAT did with a packet. Reason explains a drop in words
// fit for a sample's README.
type Fate struct {
	Forwarded bool
	Reason    string
}

func drop(reason string) Fate { return Fate{Reason: reason} }

var forwarded = Fate{Forwarded: true}

// Mapping is one UDP or TCP translation: the inside endpoint talking to the
// remote endpoint appears outside as Outside.
type Mapping struct {
	Proto    layers.IPProtocol
	Inside   netip.AddrPort
	Outside  netip.AddrPort
	Remote   netip.AddrPort
	Created  time.Duration
	LastUsed time.Duration
	// Expired is set once the mapping has been found idle for longer than
	// the NAT's UDP timeout.
	Expired bool
	// ESPInUDP marks the separate mapping an IPsec ALG made for
	// UDP-encapsulated ESP ([NAT.SplitESPInUDP]).
	ESPInUDP bool
	// Forwarded marks a mapping a port forward made for inbound traffic.
	Forwarded bool
}

// Forward is a static port forward: UDP or TCP arriving at the NAT's
// public address and Port goes to To.
type Forward struct {
	Proto layers.IPProtocol
	Port  uint16
	To    netip.AddrPort
}

// Entry is protocol state for traffic without ports: ESP passthrough (by
// remote address), GRE (by remote address and call ID, the GRE key's low
// 16 bits) and other protocols such as AH (by remote address).
type Entry struct {
	Proto   layers.IPProtocol
	Remote  netip.Addr
	CallID  uint16 // GRE only
	Inside  netip.Addr
	Created time.Duration
}

// SPIRewrite records an IKE ALG's replacement of an initiator SPI.
type SPIRewrite struct {
	Inside              netip.Addr
	Original, Rewritten uint64
}

type hostMAC struct {
	addr netip.Addr
	mac  net.HardwareAddr
}

// NAT models a NAT device between a LAN and a WAN: it decrements the TTL,
// rewrites the Ethernet addresses for the next hop, translates addresses and
// ports, and keeps the state a real NAT keeps. Its fields configure the
// behaviours that break VPNs; the zero value of each is the plain
// behaviour. Times are the caller's clock (a duration since the start of
// the scenario); the NAT has no clock of its own.
type NAT struct {
	Public                      netip.Addr
	LANMAC, WANMAC, UpstreamMAC net.HardwareAddr
	Rand                        *rand.Rand

	// Routed makes the device a plain router: no translation at all.
	Routed bool
	// Ports is the port allocation policy for new mappings.
	Ports PortPolicy
	// StaticIKEPort keeps UDP source port 500 unchanged, as IPsec
	// passthrough ALGs do ("ISAKMP does not like source port changes"); a
	// second inside host using port 500 towards the same peer is dropped
	// while the first mapping lives (CATALOGUE NT13).
	StaticIKEPort bool
	// RewriteIKESPI makes the IKE ALG replace the initiator SPI of
	// outbound UDP 500 IKE messages with one of its own and restore it on
	// replies (CATALOGUE NT15).
	RewriteIKESPI bool
	// ESPPassthrough forwards ESP (protocol 50): outbound with the source
	// address translated, inbound to the inside host that first sent ESP
	// to that peer. Without it ESP is dropped.
	ESPPassthrough bool
	// PPTPHelper follows PPTP control connections on TCP 1723 and lets
	// inbound GRE through to the host whose Outgoing-Call-Request carried
	// the call ID in the GRE key. It does not translate call IDs: a second
	// host announcing a call ID already in use towards the same server
	// does not get the GRE addressed to it (CATALOGUE NT24).
	PPTPHelper bool
	// FirstFragmentOnly forwards only the first fragment of a fragmented
	// datagram: later fragments carry no ports to look up (CATALOGUE NT04).
	FirstFragmentOnly bool
	// UDPTimeout, when non-zero, expires UDP mappings idle for longer.
	UDPTimeout time.Duration
	// Filter, when set, is a firewall rule: a non-empty result drops the
	// packet with that reason.
	Filter func(outbound bool, p *Packet) string
	// ESPSPIMatching, with ESPPassthrough, demultiplexes inbound raw ESP
	// by SPI, as "SPI matching" passthrough implementations do: an inbound
	// SPI not seen before goes to the inside host that most recently began
	// a new outbound SA towards that peer, and stays bound to it.
	ESPSPIMatching bool
	// Forwards are static port forwards to a server behind the NAT.
	Forwards []Forward
	// SplitESPInUDP makes an IPsec ALG give UDP-encapsulated ESP from an
	// inside endpoint its own mapping, apart from the IKE and keepalives
	// of the same endpoint, and accept inbound ESP-in-UDP only on that
	// mapping (CATALOGUE NT07).
	SplitESPInUDP bool
	// PPTPRewriteCallID makes the PPTP helper translate the client's call
	// ID in the control connection (Outgoing-Call-Request and
	// Call-Clear-Request out, the Peer's Call ID of Outgoing-Call-Reply
	// in) but not the key of inbound GRE: a broken ALG (CATALOGUE NT24).
	// It needs PPTPHelper.
	PPTPRewriteCallID bool

	hosts    []hostMAC
	mappings []*Mapping
	entries  []Entry
	rewrites []SPIRewrite
	// spiOwner binds inbound SPIs to inside hosts, and spiPending holds,
	// per remote peer, the inside host whose outbound SA to it began last
	// (ESPSPIMatching); outSPIs are the outbound SPIs seen.
	spiOwner   map[uint32]netip.Addr
	spiPending map[netip.Addr]netip.Addr
	outSPIs    map[uint32]bool
	// callIDs are the PPTP helper's call ID translations
	// (PPTPRewriteCallID).
	callIDs []CallIDRewrite
}

// CallIDRewrite records a PPTP helper's translation of a client's call ID.
type CallIDRewrite struct {
	Inside              netip.Addr
	Original, Rewritten uint16
}

// CallIDRewrites returns the PPTP helper's call ID translations.
func (n *NAT) CallIDRewrites() []CallIDRewrite { return append([]CallIDRewrite(nil), n.callIDs...) }

// AddHost tells the NAT the MAC address of an inside host (its ARP cache).
func (n *NAT) AddHost(addr netip.Addr, mac net.HardwareAddr) {
	n.hosts = append(n.hosts, hostMAC{addr, mac})
}

// Mappings returns every UDP and TCP mapping the NAT created, in order.
func (n *NAT) Mappings() []Mapping {
	out := make([]Mapping, len(n.mappings))
	for i, m := range n.mappings {
		out[i] = *m
	}
	return out
}

// Entries returns the protocol state for ESP, GRE and other port-less
// protocols, in the order it was created.
func (n *NAT) Entries() []Entry { return append([]Entry(nil), n.entries...) }

// SPIRewrites returns the IKE ALG's SPI replacements.
func (n *NAT) SPIRewrites() []SPIRewrite { return append([]SPIRewrite(nil), n.rewrites...) }

func (n *NAT) hostMAC(a netip.Addr) net.HardwareAddr {
	for _, h := range n.hosts {
		if h.addr == a {
			return h.mac
		}
	}
	return nil
}

// alive reports whether m may still be used at now, expiring it if it has
// been idle too long.
func (n *NAT) alive(m *Mapping, now time.Duration) bool {
	if m.Expired {
		return false
	}
	if m.Proto == ProtoUDP && n.UDPTimeout > 0 && now-m.LastUsed > n.UDPTimeout {
		m.Expired = true
		return false
	}
	return true
}

func (n *NAT) portTaken(proto layers.IPProtocol, port uint16, remote netip.AddrPort, now time.Duration) bool {
	for _, m := range n.mappings {
		if m.Proto == proto && m.Outside.Port() == port && n.alive(m, now) {
			if n.Ports == PortRandom || m.Remote == remote {
				return true
			}
		}
	}
	return false
}

func (n *NAT) randomPort(proto layers.IPProtocol, remote netip.AddrPort, now time.Duration) uint16 {
	for range 1000 {
		p := uint16(1024 + n.Rand.IntN(65536-1024))
		if !n.portTaken(proto, p, remote, now) {
			return p
		}
	}
	for p := 65535; p >= 1024; p-- {
		if !n.portTaken(proto, uint16(p), remote, now) {
			return uint16(p)
		}
	}
	return 0
}

// Outbound translates a packet leaving the LAN at time now.
func (n *NAT) Outbound(now time.Duration, p Packet) (Packet, Fate) {
	q := p.Clone()
	if n.Filter != nil {
		if r := n.Filter(true, &q); r != "" {
			return q, drop(r)
		}
	}
	if q.TTL <= 1 {
		return q, drop("TTL exceeded")
	}
	q.TTL--
	q.SrcMAC, q.DstMAC = n.WANMAC, n.UpstreamMAC
	if n.Routed {
		return q, forwarded
	}
	switch q.Proto {
	case ProtoUDP, ProtoTCP:
		return n.outboundPorts(now, q)
	case ProtoESP:
		if !n.ESPPassthrough {
			return q, drop("ESP (protocol 50) has no ports to translate and IPsec passthrough is off")
		}
		n.entry(now, q.Proto, q.Dst, 0, q.Src)
		if n.ESPSPIMatching && len(q.Payload) >= 4 {
			n.noteOutboundSPI(q.Dst, q.Src, binary.BigEndian.Uint32(q.Payload))
		}
	case ProtoGRE:
		if id, ok := greCallID(q.Payload); ok {
			n.entry(now, q.Proto, q.Dst, id, q.Src)
		}
	default:
		n.entry(now, q.Proto, q.Dst, 0, q.Src)
	}
	q.Src = n.Public
	return q, forwarded
}

// noteOutboundSPI records a new outbound SA from an inside host to a
// remote peer: the next unknown inbound SPI from that peer is its.
func (n *NAT) noteOutboundSPI(remote, inside netip.Addr, spi uint32) {
	if n.outSPIs == nil {
		n.outSPIs = map[uint32]bool{}
		n.spiPending = map[netip.Addr]netip.Addr{}
		n.spiOwner = map[uint32]netip.Addr{}
	}
	if !n.outSPIs[spi] {
		n.outSPIs[spi] = true
		n.spiPending[remote] = inside
	}
}

// spiMatch returns the inside host of an inbound SPI from a remote peer,
// binding an unknown SPI to the host whose outbound SA began last.
func (n *NAT) spiMatch(remote netip.Addr, spi uint32) (netip.Addr, bool) {
	if h, ok := n.spiOwner[spi]; ok {
		return h, true
	}
	h, ok := n.spiPending[remote]
	if !ok {
		return netip.Addr{}, false
	}
	n.spiOwner[spi] = h
	return h, true
}

// isESPInUDP reports whether a UDP payload is UDP-encapsulated ESP: not the
// non-ESP marker of IKE, not a keepalive (RFC 3948 §2).
func isESPInUDP(b []byte) bool {
	return len(b) >= 8 && binary.BigEndian.Uint32(b) != 0
}

// entry adds protocol state unless the same key is already owned by a
// host: first come, first served, as passthrough implementations do.
func (n *NAT) entry(now time.Duration, proto layers.IPProtocol, remote netip.Addr, callID uint16, inside netip.Addr) {
	for _, e := range n.entries {
		if e.Proto == proto && e.Remote == remote && e.CallID == callID {
			return
		}
	}
	n.entries = append(n.entries, Entry{Proto: proto, Remote: remote, CallID: callID, Inside: inside, Created: now})
}

func (n *NAT) outboundPorts(now time.Duration, q Packet) (Packet, Fate) {
	inside, remote := q.SrcAddrPort(), q.DstAddrPort()
	esp := n.SplitESPInUDP && q.Proto == ProtoUDP && isESPInUDP(q.Payload)
	var m *Mapping
	for _, c := range n.mappings {
		if c.Proto == q.Proto && c.Inside == inside && c.Remote == remote && c.ESPInUDP == esp && n.alive(c, now) {
			m = c
			break
		}
	}
	if m == nil {
		var port uint16
		switch {
		case n.StaticIKEPort && q.Proto == ProtoUDP && q.SrcPort == PortIKE:
			if n.portTaken(q.Proto, PortIKE, remote, now) {
				return q, drop("the IKE ALG keeps source port 500 and the public port 500 towards this peer is already mapped to another host")
			}
			port = PortIKE
		case n.Ports == PortPreserve && !n.portTaken(q.Proto, q.SrcPort, remote, now):
			port = q.SrcPort
		default:
			port = n.randomPort(q.Proto, remote, now)
		}
		m = &Mapping{Proto: q.Proto, Inside: inside, Outside: netip.AddrPortFrom(n.Public, port), Remote: remote, Created: now, ESPInUDP: esp}
		n.mappings = append(n.mappings, m)
	}
	m.LastUsed = now
	if n.RewriteIKESPI && q.Proto == ProtoUDP && q.DstPort == PortIKE && len(q.Payload) >= 28 {
		orig := binary.BigEndian.Uint64(q.Payload)
		binary.BigEndian.PutUint64(q.Payload, n.rewriteSPI(q.Src, orig))
	}
	if n.PPTPHelper && q.Proto == ProtoTCP && q.DstPort == PortPPTP {
		if typ, id, ok := PPTPMessage(q.Payload); ok && typ == PPTPTypeOutgoingCallRequest {
			if n.PPTPRewriteCallID {
				id = n.rewriteCallID(q.Src, id)
				binary.BigEndian.PutUint16(q.Payload[12:], id)
			}
			n.entry(now, ProtoGRE, q.Dst, id, q.Src)
		} else if ok && typ == PPTPTypeCallClearRequest && n.PPTPRewriteCallID {
			binary.BigEndian.PutUint16(q.Payload[12:], n.rewriteCallID(q.Src, id))
		}
	}
	q.Src, q.SrcPort = n.Public, m.Outside.Port()
	return q, forwarded
}

// rewriteCallID returns the helper's translation of an inside host's call
// ID, drawing a new one the first time.
func (n *NAT) rewriteCallID(inside netip.Addr, orig uint16) uint16 {
	for _, r := range n.callIDs {
		if r.Inside == inside && r.Original == orig {
			return r.Rewritten
		}
	}
	r := CallIDRewrite{Inside: inside, Original: orig, Rewritten: uint16(0x8000 + n.Rand.IntN(0x7000))}
	n.callIDs = append(n.callIDs, r)
	return r.Rewritten
}

func (n *NAT) rewriteSPI(inside netip.Addr, orig uint64) uint64 {
	for _, r := range n.rewrites {
		if r.Inside == inside && r.Original == orig {
			return r.Rewritten
		}
	}
	r := SPIRewrite{Inside: inside, Original: orig, Rewritten: n.Rand.Uint64()}
	n.rewrites = append(n.rewrites, r)
	return r.Rewritten
}

// Inbound translates a packet arriving from the WAN at time now.
func (n *NAT) Inbound(now time.Duration, p Packet) (Packet, Fate) {
	q := p.Clone()
	if n.Filter != nil {
		if r := n.Filter(false, &q); r != "" {
			return q, drop(r)
		}
	}
	if q.TTL <= 1 {
		return q, drop("TTL exceeded")
	}
	q.TTL--
	if !n.Routed {
		if q.Dst != n.Public {
			return q, drop("not addressed to the NAT's public address")
		}
		var f Fate
		switch q.Proto {
		case ProtoUDP, ProtoTCP:
			f = n.inboundPorts(now, &q)
		case ProtoESP:
			if !n.ESPPassthrough {
				return q, drop("ESP (protocol 50) has no ports to translate and IPsec passthrough is off")
			}
			if n.ESPSPIMatching && len(q.Payload) >= 4 {
				h, ok := n.spiMatch(q.Src, binary.BigEndian.Uint32(q.Payload))
				if !ok {
					return q, drop("no host behind the NAT has begun an SA with this peer")
				}
				q.Dst = h
				f = forwarded
				break
			}
			f = n.inboundEntry(&q, 0, "no host behind the NAT has sent ESP to this peer")
		case ProtoGRE:
			id, ok := greCallID(q.Payload)
			if !ok {
				return q, drop("GRE packet without a key")
			}
			f = n.inboundEntry(&q, id, "no GRE state for this call ID: the NAT does not follow the PPTP control connection")
		default:
			f = n.inboundEntry(&q, 0, "no state for this protocol and peer")
		}
		if !f.Forwarded {
			return q, f
		}
	}
	mac := n.hostMAC(q.Dst)
	if mac == nil {
		return q, drop("no ARP entry for the inside host")
	}
	q.SrcMAC, q.DstMAC = n.LANMAC, mac
	return q, forwarded
}

func (n *NAT) inboundEntry(q *Packet, callID uint16, miss string) Fate {
	for _, e := range n.entries {
		if e.Proto == q.Proto && e.Remote == q.Src && e.CallID == callID {
			q.Dst = e.Inside
			return forwarded
		}
	}
	return drop(miss)
}

func (n *NAT) inboundPorts(now time.Duration, q *Packet) Fate {
	remote := q.SrcAddrPort()
	esp := n.SplitESPInUDP && q.Proto == ProtoUDP && isESPInUDP(q.Payload)
	for _, m := range n.mappings {
		if m.Proto != q.Proto || m.Outside.Port() != q.DstPort || m.Remote != remote {
			continue
		}
		if !n.alive(m, now) {
			continue
		}
		if n.SplitESPInUDP && esp != m.ESPInUDP && m.Inside.Port() == PortNATT {
			return drop("the IPsec ALG accepts ESP-in-UDP only on the mapping it made for ESP, not on the IKE mapping")
		}
		m.LastUsed = now
		if n.PPTPRewriteCallID && q.Proto == ProtoTCP && q.SrcPort == PortPPTP && len(q.Payload) >= 16 {
			if typ, _, ok := PPTPMessage(q.Payload); ok && typ == PPTPTypeOutgoingCallReply {
				peer := binary.BigEndian.Uint16(q.Payload[14:])
				for _, r := range n.callIDs {
					if r.Inside == m.Inside.Addr() && r.Rewritten == peer {
						binary.BigEndian.PutUint16(q.Payload[14:], r.Original)
					}
				}
			}
		}
		if n.RewriteIKESPI && q.Proto == ProtoUDP && q.SrcPort == PortIKE && len(q.Payload) >= 28 {
			spi := binary.BigEndian.Uint64(q.Payload)
			for _, r := range n.rewrites {
				if r.Rewritten == spi {
					binary.BigEndian.PutUint64(q.Payload, r.Original)
					break
				}
			}
		}
		q.Dst, q.DstPort = m.Inside.Addr(), m.Inside.Port()
		return forwarded
	}
	for _, fw := range n.Forwards {
		if fw.Proto == q.Proto && fw.Port == q.DstPort {
			m := &Mapping{Proto: q.Proto, Inside: fw.To, Outside: netip.AddrPortFrom(n.Public, fw.Port), Remote: remote,
				Created: now, LastUsed: now, Forwarded: true}
			n.mappings = append(n.mappings, m)
			q.Dst, q.DstPort = fw.To.Addr(), fw.To.Port()
			return forwarded
		}
	}
	if q.Proto == ProtoUDP && n.UDPTimeout > 0 {
		return drop("no live UDP mapping for this port (mappings idle for longer than the NAT's UDP timeout are gone)")
	}
	return drop("no mapping for this port")
}

// greCallID returns the call ID in the key of a GRE packet (the low 16
// bits; RFC 2637 §4.1), if the key is present.
func greCallID(b []byte) (uint16, bool) {
	if len(b) < 8 || b[0]&0x20 == 0 {
		return 0, false
	}
	off := 4
	if b[0]&0xc0 != 0 { // checksum or routing present
		off += 4
	}
	if len(b) < off+4 {
		return 0, false
	}
	return binary.BigEndian.Uint16(b[off+2:]), true
}
