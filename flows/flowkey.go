package flows

import (
	"encoding/binary"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/decode"
)

// flowKey is the table's own form of a [Key]: the same conversation, held in
// a comparable value without pointers or padding. A map hashes and compares
// such a key as one block of memory, where a Key's netip values (whose zone
// is a pointer) go field by field; the flow lookup runs for every packet of
// a capture. Decoded packets carry no IPv6 zone, so leaving zones out merges
// nothing.
type flowKey struct {
	a, b   [16]byte // the endpoints' addresses in their 16-octet form, A first
	pa, pb uint16   // their ports
	id     uint32   // as Key.ID
	proto  uint16   // the protocol; 16 bits, as fam, so that the key has no padding
	fam    uint16   // family of A | family of B << 2 (addrFamily)
}

// addrFamily orders address families as netip.Addr.Compare does (by bit
// length): invalid, IPv4, IPv6. IPv4 and IPv4-mapped IPv6 addresses have the
// same 16-octet form and differ only here, as they differ as netip values.
func addrFamily(a netip.Addr) uint8 {
	switch {
	case a.Is4():
		return 1
	case a.Is6():
		return 2
	}
	return 0
}

// endpointLess reports whether endpoint x sorts before y in the order of
// [NewKey]: netip.Addr.Compare (bit length, then address), then port.
func endpointLess(fx uint16, x [16]byte, px uint16, fy uint16, y [16]byte, py uint16) bool {
	if fx != fy {
		return fx < fy
	}
	if hx, hy := binary.BigEndian.Uint64(x[:8]), binary.BigEndian.Uint64(y[:8]); hx != hy {
		return hx < hy
	}
	if lx, ly := binary.BigEndian.Uint64(x[8:]), binary.BigEndian.Uint64(y[8:]); lx != ly {
		return lx < ly
	}
	return px < py
}

// packetFlowKey returns the table's key of a packet's flow and the packet's
// direction in it: the flowKey form of [PacketKey], canonicalised alike.
func packetFlowKey(p *decode.Packet) (flowKey, Dir) {
	k := flowKey{proto: uint16(p.Proto)}
	switch p.Kind {
	case decode.KindESP:
		k.id = p.ESP.SPI
	case decode.KindAH:
		k.id = p.AH.SPI
	case decode.KindGRE:
		if p.GRE.Version == 1 {
			k.id = uint32(p.GRE.CallID)
		} else {
			k.id = p.GRE.Key
		}
	}
	sa, da := p.Src.As16(), p.Dst.As16()
	fs, fd := uint16(addrFamily(p.Src)), uint16(addrFamily(p.Dst))
	switch p.Proto {
	case ProtoESP, ProtoAH, ProtoGRE:
		// One-way flows, without ports (Key.Directional).
		k.a, k.b, k.fam = sa, da, fs|fd<<2
		return k, DirAB
	}
	if endpointLess(fd, da, p.DstPort, fs, sa, p.SrcPort) {
		k.a, k.b, k.pa, k.pb, k.fam = da, sa, p.DstPort, p.SrcPort, fd|fs<<2
		return k, DirBA
	}
	k.a, k.b, k.pa, k.pb, k.fam = sa, da, p.SrcPort, p.DstPort, fs|fd<<2
	return k, DirAB
}

// addrs returns the key's two addresses.
func (k *flowKey) addrs() (a, b netip.Addr) {
	return addrOfFamily(k.a, k.fam&3), addrOfFamily(k.b, k.fam>>2&3)
}

// addrOfFamily returns an address from its 16-octet form and its family
// (addrFamily).
func addrOfFamily(a [16]byte, fam uint16) netip.Addr {
	switch fam {
	case 1:
		return netip.AddrFrom16(a).Unmap()
	case 2:
		return netip.AddrFrom16(a)
	}
	return netip.Addr{}
}

// directional reports whether the key is of a one-way flow, as
// Key.Directional.
func (k *flowKey) directional() bool {
	return k.proto == ProtoESP || k.proto == ProtoAH || k.proto == ProtoGRE
}

// flowCache holds, by a hash of their keys, the flows latest looked up. A
// capture has many more flows than fit in a core's caches, but its packets
// come in bursts: most lookups end here, without a miss in the flow map.
// Flows are never removed from a table, so what it holds stays true.
type flowCache [flowCacheSize]flowCacheEntry

// flowCacheSize is the size of a flowCache: 4,096 entries, 224 KiB.
const flowCacheSize = 1 << 12

type flowCacheEntry struct {
	key  flowKey
	flow *Flow
}

// slot returns the entry where k is, or would be.
func (c *flowCache) slot(k *flowKey) *flowCacheEntry {
	return &c[k.hash()&(flowCacheSize-1)]
}

// hash returns a hash of every field of k, each bit of it depending on
// all of them. Addresses differ in their last octets and conversations in
// their ports, while an IPv4 address's 16-octet form is mostly constant:
// a hash that took its slot from a few bits of each field put the flows of
// a concentrator's peers, one port and one network, in a few dozen slots.
func (k *flowKey) hash() uint64 {
	h := binary.LittleEndian.Uint64(k.a[:8])
	h = h*hashPrime + binary.LittleEndian.Uint64(k.a[8:])
	h = h*hashPrime + binary.LittleEndian.Uint64(k.b[:8])
	h = h*hashPrime + binary.LittleEndian.Uint64(k.b[8:])
	h = h*hashPrime + (uint64(k.pa)<<48 | uint64(k.pb)<<32 | uint64(k.id))
	h = h*hashPrime + (uint64(k.proto)<<16 | uint64(k.fam))
	return mix64(h)
}

// hashPrime is XXH64's first prime: odd, with its bits well spread.
const hashPrime = 11400714785074694791

// mix64 is MurmurHash3's 64-bit finaliser: each bit of its result depends
// on every bit of h, so the low bits make a fair slot index.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// lookup returns the flow of k in flows, through the cache.
func (c *flowCache) lookup(k *flowKey, flows map[flowKey]*Flow) *Flow {
	e := c.slot(k)
	if e.flow != nil && e.key == *k {
		return e.flow
	}
	f := flows[*k]
	if f != nil {
		*e = flowCacheEntry{*k, f}
	}
	return f
}

// saKey identifies an ESP or AH SA: its SPI and destination (RFC 4301
// §4.1), in a pointer-free form for the same reason as flowKey.
type saKey struct {
	dst [16]byte
	spi uint32
	ah  uint16 // 1 for AH
	fam uint16
}

func newSAKey(spi uint32, ah bool, dst netip.Addr) saKey {
	k := saKey{dst: dst.As16(), spi: spi, fam: uint16(addrFamily(dst))}
	if ah {
		k.ah = 1
	}
	return k
}

// otherSet holds the conversations that Options.SummarizeOther summarises:
// of each, the directions (bit 1<<Dir) of its packets. Conversations
// between two IPv4 addresses, most of a capture's, are kept by a key a
// third the size of a flowKey, which makes the set smaller and its lookups,
// one per packet of other traffic, faster.
type otherSet struct {
	v4  map[flowKey4]uint8
	all map[flowKey]uint8 // the others
	// recent holds, by a hash of the short key, the IPv4 conversations
	// latest looked up, with their directions as v4 holds them. A busy
	// capture has a hundred thousand conversations or more, too many for
	// the processor's caches, but its packets come in bursts: on the
	// yardstick's capture 85% of the lookups find their conversation here
	// and cost no miss in v4.
	recent *[otherRecent]otherEntry
}

// otherRecent is the size of otherSet.recent: 4096 entries, 96 KiB, which
// stay in a core's second-level cache.
const otherRecent = 1 << 12

// otherEntry is a conversation of otherSet.recent; dirs 0 marks an empty
// entry (a conversation held has a direction).
type otherEntry struct {
	key  flowKey4
	dirs uint8
}

// recentOf returns the entry of otherSet.recent where k is, or would be.
func (s *otherSet) recentOf(k flowKey4) *otherEntry {
	h := mix64((uint64(k.a)<<32|uint64(k.b))*hashPrime + (uint64(k.pa)<<48 | uint64(k.pb)<<32 | uint64(k.proto)))
	return &s.recent[h&(otherRecent-1)]
}

// flowKey4 is a flowKey between two IPv4 addresses, without an ID (which
// only ESP, AH and GRE have).
type flowKey4 struct {
	a, b   uint32
	pa, pb uint16
	proto  uint32
}

func newOtherSet() *otherSet {
	return &otherSet{v4: make(map[flowKey4]uint8), all: make(map[flowKey]uint8), recent: new([otherRecent]otherEntry)}
}

// key4 returns the short key of k, and false when k needs the long one.
func key4(k *flowKey) (flowKey4, bool) {
	if k.fam != 1|1<<2 || k.id != 0 {
		return flowKey4{}, false
	}
	return flowKey4{
		a: binary.BigEndian.Uint32(k.a[12:]), b: binary.BigEndian.Uint32(k.b[12:]),
		pa: k.pa, pb: k.pb, proto: uint32(k.proto),
	}, true
}

// long returns the flowKey of a short key.
func (k flowKey4) long() flowKey {
	f := flowKey{pa: k.pa, pb: k.pb, proto: uint16(k.proto), fam: 1 | 1<<2}
	f.a[10], f.a[11], f.b[10], f.b[11] = 0xff, 0xff, 0xff, 0xff
	binary.BigEndian.PutUint32(f.a[12:], k.a)
	binary.BigEndian.PutUint32(f.b[12:], k.b)
	return f
}

func (s *otherSet) len() int {
	if s == nil {
		return 0
	}
	return len(s.v4) + len(s.all)
}

// has reports whether the set holds a conversation; a nil set holds none.
func (s *otherSet) has(k *flowKey) bool {
	if s == nil {
		return false
	}
	if k4, ok := key4(k); ok {
		_, seen := s.v4[k4]
		return seen
	}
	_, seen := s.all[*k]
	return seen
}

// note adds direction bit to a conversation of the set and returns true,
// or returns false when the set does not hold the conversation.
func (s *otherSet) note(k *flowKey, bit uint8) bool {
	if k4, ok := key4(k); ok {
		e := s.recentOf(k4)
		if e.dirs != 0 && e.key == k4 {
			if e.dirs&bit == 0 {
				e.dirs |= bit
				s.v4[k4] = e.dirs
			}
			return true
		}
		seen, ok := s.v4[k4]
		if !ok {
			return false
		}
		if seen&bit == 0 {
			seen |= bit
			s.v4[k4] = seen
		}
		*e = otherEntry{k4, seen}
		return true
	}
	seen, ok := s.all[*k]
	if ok && seen&bit == 0 {
		s.all[*k] = seen | bit
	}
	return ok
}

// insert adds a conversation with its first direction.
func (s *otherSet) insert(k *flowKey, bit uint8) {
	if k4, ok := key4(k); ok {
		s.v4[k4] = bit
		*s.recentOf(k4) = otherEntry{k4, bit}
		return
	}
	s.all[*k] = bit
}

// each calls fn for every conversation of the set.
func (s *otherSet) each(fn func(k flowKey, dirs uint8)) {
	for k, dirs := range s.v4 {
		fn(k.long(), dirs)
	}
	for k, dirs := range s.all {
		fn(k, dirs)
	}
}
