package flows

import (
	"encoding/binary"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/decode"
)

// flowKey is the table's own form of a [Key]: the same conversation, held in
// a comparable value without pointers. A map hashes such a key as one block
// of memory, where a Key's netip values (whose zone is a pointer) are hashed
// and compared field by field, several times slower; the flow lookup runs
// for every packet of a capture. Decoded packets carry no IPv6 zone, so
// leaving zones out merges nothing.
type flowKey struct {
	a, b   [16]byte // the endpoints' addresses in their 16-octet form, A first
	pa, pb uint16   // their ports
	id     uint32   // as Key.ID
	proto  uint8
	fam    uint8 // family of A | family of B << 2 (addrFamily)
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
func endpointLess(fx uint8, x [16]byte, px uint16, fy uint8, y [16]byte, py uint16) bool {
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
	k := flowKey{proto: p.Proto}
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
	fs, fd := addrFamily(p.Src), addrFamily(p.Dst)
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

// directional reports whether the key is of a one-way flow, as
// Key.Directional.
func (k *flowKey) directional() bool {
	return k.proto == ProtoESP || k.proto == ProtoAH || k.proto == ProtoGRE
}

// saKey identifies an ESP or AH SA: its SPI and destination (RFC 4301
// §4.1), in a pointer-free form for the same reason as flowKey.
type saKey struct {
	dst [16]byte
	spi uint32
	ah  bool
	fam uint8
}

func newSAKey(spi uint32, ah bool, dst netip.Addr) saKey {
	return saKey{dst: dst.As16(), spi: spi, ah: ah, fam: addrFamily(dst)}
}
