package pcaptest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// IP protocol numbers used by the builders.
const (
	ProtoICMP = layers.IPProtocolICMPv4
	ProtoTCP  = layers.IPProtocolTCP
	ProtoUDP  = layers.IPProtocolUDP
	ProtoGRE  = layers.IPProtocolGRE
	ProtoESP  = layers.IPProtocolESP
	ProtoAH   = layers.IPProtocolAH
)

// TCP flag bits for [TCPHeader.Flags] (RFC 9293 §3.1).
const (
	FIN uint8 = 1 << iota
	SYN
	RST
	PSH
	ACK
)

// TCPHeader holds the TCP fields of a [Packet] that are not ports.
type TCPHeader struct {
	Seq, Ack uint32
	Flags    uint8 // FIN, SYN, RST, PSH, ACK
	Window   uint16
	Options  []layers.TCPOption
}

// Packet is one IP datagram as a sender writes it, plus the Ethernet
// addresses of the hop it is seen on. It is a value: a NAT rewrites a copy.
// The transport payload is in Payload; for ESP, AH and GRE Payload is the
// whole ESP, AH or GRE packet.
type Packet struct {
	SrcMAC, DstMAC net.HardwareAddr

	Src, Dst netip.Addr
	Proto    layers.IPProtocol
	TTL      uint8
	TOS      uint8
	// ID is the IPv4 identification, or the identification used in IPv6
	// fragment headers.
	ID uint32
	// DF sets the IPv4 don't-fragment flag.
	DF bool

	SrcPort, DstPort uint16 // UDP and TCP
	TCP              TCPHeader
	// ZeroUDPChecksum transmits the UDP checksum as zero, as senders of
	// UDP-encapsulated ESP do (RFC 3948 §2.1).
	ZeroUDPChecksum bool

	Payload []byte
}

// Clone returns a copy of p that shares no memory with it.
func (p Packet) Clone() Packet {
	q := p
	q.SrcMAC = append(net.HardwareAddr(nil), p.SrcMAC...)
	q.DstMAC = append(net.HardwareAddr(nil), p.DstMAC...)
	q.Payload = append([]byte(nil), p.Payload...)
	q.TCP.Options = append([]layers.TCPOption(nil), p.TCP.Options...)
	return q
}

// SrcAddrPort returns the source address and port.
func (p *Packet) SrcAddrPort() netip.AddrPort { return netip.AddrPortFrom(p.Src, p.SrcPort) }

// DstAddrPort returns the destination address and port.
func (p *Packet) DstAddrPort() netip.AddrPort { return netip.AddrPortFrom(p.Dst, p.DstPort) }

var serializeOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

// Datagram serializes p into an IP datagram (IPv4 or IPv6 by the address
// family of Src) with lengths and checksums computed.
func (p *Packet) Datagram() ([]byte, error) {
	if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() != p.Dst.Is4() {
		return nil, fmt.Errorf("pcaptest: bad address pair %v → %v", p.Src, p.Dst)
	}
	var ip interface {
		gopacket.SerializableLayer
		gopacket.NetworkLayer
	}
	if p.Src.Is4() {
		var flags layers.IPv4Flag
		if p.DF {
			flags = layers.IPv4DontFragment
		}
		src, dst := p.Src.As4(), p.Dst.As4()
		ip = &layers.IPv4{
			Version: 4, TOS: p.TOS, Id: uint16(p.ID), Flags: flags, TTL: p.TTL,
			Protocol: p.Proto, SrcIP: net.IP(src[:]), DstIP: net.IP(dst[:]),
		}
	} else {
		src, dst := p.Src.As16(), p.Dst.As16()
		ip = &layers.IPv6{
			Version: 6, TrafficClass: p.TOS, NextHeader: p.Proto, HopLimit: p.TTL,
			SrcIP: net.IP(src[:]), DstIP: net.IP(dst[:]),
		}
	}
	ls := []gopacket.SerializableLayer{ip}
	switch p.Proto {
	case ProtoUDP:
		u := &layers.UDP{SrcPort: layers.UDPPort(p.SrcPort), DstPort: layers.UDPPort(p.DstPort)}
		if err := u.SetNetworkLayerForChecksum(ip); err != nil {
			return nil, err
		}
		ls = append(ls, u)
	case ProtoTCP:
		t := &layers.TCP{
			SrcPort: layers.TCPPort(p.SrcPort), DstPort: layers.TCPPort(p.DstPort),
			Seq: p.TCP.Seq, Ack: p.TCP.Ack, Window: p.TCP.Window, Options: p.TCP.Options,
			FIN: p.TCP.Flags&FIN != 0, SYN: p.TCP.Flags&SYN != 0, RST: p.TCP.Flags&RST != 0,
			PSH: p.TCP.Flags&PSH != 0, ACK: p.TCP.Flags&ACK != 0,
		}
		if err := t.SetNetworkLayerForChecksum(ip); err != nil {
			return nil, err
		}
		ls = append(ls, t)
	}
	ls = append(ls, gopacket.Payload(p.Payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serializeOpts, ls...); err != nil {
		return nil, fmt.Errorf("pcaptest: serialize: %w", err)
	}
	b := buf.Bytes()
	if p.Proto == ProtoUDP && p.ZeroUDPChecksum {
		// gopacket always computes the checksum when asked to; RFC 3948
		// senders transmit zero, and a NAT keeps it zero.
		off := 20
		if p.Src.Is6() {
			off = 40
		}
		b[off+6], b[off+7] = 0, 0
	}
	return append([]byte(nil), b...), nil
}

// Frames serializes p into Ethernet frames, without padding (as a capture on
// the sending host shows them). A datagram longer than mtu is
// split into IP fragments as the sending host's stack does (RFC 791 §3.2,
// RFC 8200 §4.5); an IPv4 datagram with DF set that does not fit is an error.
func (p *Packet) Frames(mtu int) ([][]byte, error) {
	d, err := p.Datagram()
	if err != nil {
		return nil, err
	}
	var frags [][]byte
	if len(d) <= mtu {
		frags = [][]byte{d}
	} else if p.Src.Is4() {
		if p.DF {
			return nil, fmt.Errorf("pcaptest: %d-byte datagram with DF exceeds MTU %d", len(d), mtu)
		}
		frags, err = fragment4(d, mtu)
	} else {
		frags, err = fragment6(d, mtu, p.ID)
	}
	if err != nil {
		return nil, err
	}
	et := layers.EthernetTypeIPv4
	if p.Src.Is6() {
		et = layers.EthernetTypeIPv6
	}
	out := make([][]byte, 0, len(frags))
	for _, f := range frags {
		eth := &layers.Ethernet{SrcMAC: p.SrcMAC, DstMAC: p.DstMAC, EthernetType: et}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, serializeOpts, eth, gopacket.Payload(f)); err != nil {
			return nil, fmt.Errorf("pcaptest: serialize ethernet: %w", err)
		}
		// gopacket pads short frames to 60 octets; a sender's own capture
		// shows them unpadded, so the padding is left to the caller.
		out = append(out, append([]byte(nil), buf.Bytes()[:14+len(f)]...))
	}
	return out, nil
}

// fragment4 splits an IPv4 datagram (20-byte header, no options) into
// fragments of at most mtu bytes, each with its own header checksum.
func fragment4(d []byte, mtu int) ([][]byte, error) {
	hl := int(d[0]&0x0f) * 4
	if hl != 20 || len(d) < hl {
		return nil, errors.New("pcaptest: fragmenting needs a 20-byte IPv4 header")
	}
	step := (mtu - hl) &^ 7
	if step <= 0 {
		return nil, fmt.Errorf("pcaptest: MTU %d too small", mtu)
	}
	data := d[hl:]
	var out [][]byte
	for off := 0; off < len(data); off += step {
		end := min(off+step, len(data))
		f := make([]byte, hl+end-off)
		copy(f, d[:hl])
		copy(f[hl:], data[off:end])
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		ff := uint16(off / 8)
		if end < len(data) {
			ff |= 0x2000 // more fragments
		}
		binary.BigEndian.PutUint16(f[6:], ff)
		f[10], f[11] = 0, 0
		binary.BigEndian.PutUint16(f[10:], ipChecksum(f[:hl]))
		out = append(out, f)
	}
	return out, nil
}

// fragment6 splits an IPv6 datagram without extension headers by inserting
// a Fragment header (RFC 8200 §4.5) in each fragment.
func fragment6(d []byte, mtu int, id uint32) ([][]byte, error) {
	const hl, fl = 40, 8
	if len(d) < hl {
		return nil, errors.New("pcaptest: short IPv6 datagram")
	}
	step := (mtu - hl - fl) &^ 7
	if step <= 0 {
		return nil, fmt.Errorf("pcaptest: MTU %d too small", mtu)
	}
	next := d[6]
	data := d[hl:]
	var out [][]byte
	for off := 0; off < len(data); off += step {
		end := min(off+step, len(data))
		f := make([]byte, hl+fl+end-off)
		copy(f, d[:hl])
		f[6] = byte(layers.IPProtocolIPv6Fragment)
		binary.BigEndian.PutUint16(f[4:], uint16(fl+end-off))
		f[hl] = next
		fo := uint16(off)
		if end < len(data) {
			fo |= 1 // M flag
		}
		binary.BigEndian.PutUint16(f[hl+2:], fo)
		binary.BigEndian.PutUint32(f[hl+4:], id)
		copy(f[hl+fl:], data[off:end])
		out = append(out, f)
	}
	return out, nil
}

// ipChecksum is the Internet checksum of b (RFC 1071).
func ipChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// MustMAC parses a MAC address literal and panics on a malformed one, like
// regexp.MustCompile; it is meant for constants in code, not for input.
func MustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic("pcaptest: bad MAC literal " + s)
	}
	return m
}
