package flows

import (
	"net/netip"

	"github.com/vpnpcap/vpnpcap/decode"
)

// Dir is the direction of a packet within its flow: DirAB when it goes from
// Key.A to Key.B.
type Dir uint8

// Directions.
const (
	DirAB Dir = iota
	DirBA
)

// Key identifies a flow. It is a comparable value, canonicalized so that both
// directions of a conversation map to one key: A is the lower endpoint.
//
// UDP and TCP flows are keyed by their 5-tuple. ESP and AH flows are
// unidirectional security associations keyed by SPI and direction: A is the
// sender, B the receiver, and they are not swapped. GRE flows are keyed by
// the address pair and the key (version 0) or the receiver's call ID
// (version 1), which makes them directional too.
type Key struct {
	Proto uint8
	A, B  netip.AddrPort
	ID    uint32 // SPI for ESP/AH, GRE key or call ID; 0 for UDP/TCP
}

// Directional reports whether flows of this protocol are one-way (keyed by
// SPI or call ID).
func (k Key) Directional() bool {
	return k.Proto == ProtoESP || k.Proto == ProtoAH || k.Proto == ProtoGRE
}

// IP protocol numbers used in keys: decode's.
const (
	ProtoTCP = decode.ProtoTCP
	ProtoUDP = decode.ProtoUDP
	ProtoGRE = decode.ProtoGRE
	ProtoESP = decode.ProtoESP
	ProtoAH  = decode.ProtoAH
)

// NewKey builds the key of a packet from src to dst and says in which
// direction the packet travels.
func NewKey(proto uint8, src, dst netip.AddrPort, id uint32) (Key, Dir) {
	k := Key{Proto: proto, A: src, B: dst, ID: id}
	if k.Directional() {
		return k, DirAB
	}
	if less(dst, src) {
		k.A, k.B = dst, src
		return k, DirBA
	}
	return k, DirAB
}

func less(a, b netip.AddrPort) bool {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c < 0
	}
	return a.Port() < b.Port()
}

// Compare orders keys: by protocol, then A, then B, then ID.
func (k Key) Compare(o Key) int {
	if k.Proto != o.Proto {
		return int(k.Proto) - int(o.Proto)
	}
	if c := k.A.Compare(o.A); c != 0 {
		return c
	}
	if c := k.B.Compare(o.B); c != 0 {
		return c
	}
	switch {
	case k.ID < o.ID:
		return -1
	case k.ID > o.ID:
		return 1
	}
	return 0
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// String shows a key as "udp 10.0.0.2:500 <-> 198.51.100.7:500" or, for
// one-way flows, "esp 10.0.0.2 -> 198.51.100.7 spi 0xc0ffee01".
func (k Key) String() string {
	switch k.Proto {
	case ProtoESP, ProtoAH:
		return decode.ProtoName(k.Proto) + " " + k.A.Addr().String() + " -> " + k.B.Addr().String() + " spi " + decode.SPI(k.ID).String()
	case ProtoGRE:
		return "gre " + k.A.Addr().String() + " -> " + k.B.Addr().String() + " key " + itoa(int(k.ID))
	}
	return decode.ProtoName(k.Proto) + " " + k.A.String() + " <-> " + k.B.String()
}
