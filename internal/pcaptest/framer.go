package pcaptest

import (
	"encoding/binary"
	"net/netip"
)

// Framer builds Ethernet frames around IPv4 or IPv6 packets fast, in one
// reused buffer: for generators that write millions of frames. One host,
// Local, sits on the captured link's near side; frames to it carry its MAC
// as destination, frames from it as source.
type Framer struct {
	Local             netip.Addr
	LocalMAC, PeerMAC []byte
	buf               []byte
	ipid              uint16
}

// NewFramer returns a Framer for a link with the given near host.
func NewFramer(local netip.Addr, localMAC, peerMAC []byte) *Framer {
	return &Framer{Local: local, LocalMAC: localMAC, PeerMAC: peerMAC, buf: make([]byte, 0, 2048)}
}

// UDP builds a UDP datagram's frame. The frame is valid until the next
// call.
func (f *Framer) UDP(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	var h [8]byte
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return f.Frame(src, dst, 17, 6, h[:], payload)
}

// TCP builds a TCP segment's frame (ACK, PSH with a payload).
func (f *Framer) TCP(src, dst netip.Addr, sport, dport uint16, seq uint32, payload []byte) []byte {
	var h [20]byte
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], seq)
	binary.BigEndian.PutUint32(h[8:], seq^0x5a5a5a5a)
	h[12] = 5 << 4
	h[13] = 0x10 // ACK
	if len(payload) > 0 {
		h[13] |= 0x08 // PSH
	}
	binary.BigEndian.PutUint16(h[14:], 501)
	return f.Frame(src, dst, 6, 16, h[:], payload)
}

// Frame builds Ethernet, IPv4 or IPv6 and the transport header l4 (whose
// checksum field is at csumOff, computed over the pseudo-header) around
// payload. Without l4, payload is the whole IP payload (ESP, GRE).
func (f *Framer) Frame(src, dst netip.Addr, proto uint8, csumOff int, l4, payload []byte) []byte {
	b := f.ether(dst)
	l4start := 0
	n := len(l4) + len(payload)
	if src.Is4() {
		b = f.ipv4(b, src, dst, proto, n, 0, false)
		l4start = len(b)
	} else {
		b = append(b, 0x86, 0xdd)
		s, d := src.As16(), dst.As16()
		b = append(b, 0x60, 0, 0, 0, byte(n>>8), byte(n), proto, 64)
		b = append(b, s[:]...)
		b = append(b, d[:]...)
		l4start = len(b)
	}
	b = append(b, l4...)
	b = append(b, payload...)
	if len(l4) > 0 {
		var ps uint32
		if src.Is4() {
			s, d := src.As4(), dst.As4()
			ps = sum(s[:], ps)
			ps = sum(d[:], ps)
		} else {
			s, d := src.As16(), dst.As16()
			ps = sum(s[:], ps)
			ps = sum(d[:], ps)
		}
		ps += uint32(proto) + uint32(n)
		c := ^fold(sum(b[l4start:], ps))
		if c == 0 && proto == 17 {
			c = 0xffff // RFC 768: a computed zero is sent as all ones
		}
		binary.BigEndian.PutUint16(b[l4start+csumOff:], c)
	}
	f.buf = b
	return b
}

// Fragment4 builds the frame of one IPv4 fragment carrying data at offset
// (in octets, a multiple of 8) of a datagram with identification id; more
// says more fragments follow.
func (f *Framer) Fragment4(src, dst netip.Addr, proto uint8, id uint16, offset int, more bool, data []byte) []byte {
	b := f.ether(dst)
	f.ipid = id - 1
	b = f.ipv4(b, src, dst, proto, len(data), offset, more)
	b = append(b, data...)
	f.buf = b
	return b
}

func (f *Framer) ether(dst netip.Addr) []byte {
	b := f.buf[:0]
	if dst == f.Local {
		b = append(b, f.LocalMAC...)
		b = append(b, f.PeerMAC...)
	} else {
		b = append(b, f.PeerMAC...)
		b = append(b, f.LocalMAC...)
	}
	return b
}

func (f *Framer) ipv4(b []byte, src, dst netip.Addr, proto uint8, n, offset int, more bool) []byte {
	b = append(b, 0x08, 0x00)
	ip := len(b)
	f.ipid++
	s, d := src.As4(), dst.As4()
	frag := uint16(offset / 8)
	if more {
		frag |= 0x2000
	}
	if offset == 0 && !more {
		frag = 0x4000 // don't fragment
	}
	b = append(b, 0x45, 0, byte((20+n)>>8), byte(20+n), byte(f.ipid>>8), byte(f.ipid), byte(frag>>8), byte(frag), 64, proto, 0, 0)
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	binary.BigEndian.PutUint16(b[ip+10:], ^fold(sum(b[ip:ip+20], 0)))
	return b
}

// sum adds b as big-endian 16-bit words to s (RFC 1071).
func sum(b []byte, s uint32) uint32 {
	for len(b) >= 8 {
		s += uint32(binary.BigEndian.Uint16(b)) + uint32(binary.BigEndian.Uint16(b[2:])) +
			uint32(binary.BigEndian.Uint16(b[4:])) + uint32(binary.BigEndian.Uint16(b[6:]))
		b = b[8:]
		if s > 0x7fffffff {
			s = s&0xffff + s>>16
		}
	}
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
