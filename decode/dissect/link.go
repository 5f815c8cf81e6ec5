package dissect

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode"
)

// Bounds on nesting, as the decoder has them.
const (
	maxVLANTags    = 8
	maxIPDepth     = 4
	maxIPv6ExtHdrs = 16
)

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// link lays out the link layer and what it carries. It returns false when
// the bytes cannot be walked to what the packet says; the caller then
// describes the packet from its values.
func (b *builder) link(root *Node, lt layers.LinkType) bool {
	d := b.data
	switch lt {
	case layers.LinkTypeEthernet:
		if len(d) < 14 {
			return false
		}
		et := be16(d[12:])
		eth := root.at("Ethernet II, "+mac(d[6:12])+" → "+mac(d[0:6]), "", 0, 14)
		eth.at("Destination", mac(d[0:6]), 0, 6)
		eth.at("Source", mac(d[6:12]), 6, 12)
		if et < 0x0600 {
			// An IEEE 802.3 length: LLC follows, which carries no IP the
			// decoder reads.
			eth.Label = "IEEE 802.3 Ethernet, " + mac(d[6:12]) + " → " + mac(d[0:6])
			eth.at("Length", strconv.Itoa(int(et)), 12, 14)
			return b.notIP(root, 14, len(d))
		}
		eth.at("Type", etherTypeName(et), 12, 14)
		return b.etherType(root, et, 14)
	case layers.LinkTypeLinuxSLL:
		if len(d) < 16 {
			return false
		}
		n := root.at("Linux cooked capture", "", 0, 16)
		n.at("Packet type", sllPacketType(be16(d[0:])), 0, 2)
		n.at("Link-layer address type", strconv.Itoa(int(be16(d[2:]))), 2, 4)
		if alen := int(be16(d[4:])); alen <= 8 {
			n.at("Source", mac(d[6:6+alen]), 6, 6+alen)
		}
		n.at("Protocol", etherTypeName(be16(d[14:])), 14, 16)
		return b.etherType(root, be16(d[14:]), 16)
	case decode.LinkTypeLinuxSLL2:
		if len(d) < 20 {
			return false
		}
		n := root.at("Linux cooked capture v2", "", 0, 20)
		n.at("Protocol", etherTypeName(be16(d[0:])), 0, 2)
		n.at("Interface index", strconv.FormatUint(uint64(be32(d[4:])), 10), 4, 8)
		n.at("Link-layer address type", strconv.Itoa(int(be16(d[8:]))), 8, 10)
		n.at("Packet type", sllPacketType(uint16(d[10])), 10, 11)
		if alen := int(d[11]); alen <= 8 {
			n.at("Source", mac(d[12:12+alen]), 12, 12+alen)
		}
		return b.etherType(root, be16(d[0:]), 20)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(d) < 4 {
			return false
		}
		// The family is in the capturing host's byte order.
		fam := binary.LittleEndian.Uint32(d)
		if fam > 0xffff {
			fam = be32(d)
		}
		root.at("Null/Loopback", "address family "+strconv.FormatUint(uint64(fam), 10), 0, 4)
		if fam == 2 || fam == 24 || fam == 28 || fam == 30 {
			return b.ip(root, 4, len(d), 0)
		}
		return b.notIP(root, 4, len(d))
	case layers.LinkTypeRaw, decode.LinkTypeRawDLT12, decode.LinkTypeRawDLT14, decode.LinkTypeIPv4, decode.LinkTypeIPv6:
		return b.ip(root, 0, len(d), 0)
	case layers.LinkTypePPP, decode.LinkTypePPPHDLC:
		off := 0
		if len(d) >= 2 && d[0] == 0xff && d[1] == 0x03 {
			root.at("PPP address and control", "ff 03", 0, 2)
			off = 2
		}
		return b.ppp(root, off)
	}
	return false
}

// etherType follows VLAN tags and PPPoE from an EtherType to IP.
func (b *builder) etherType(root *Node, et uint16, off int) bool {
	d := b.data
	for tags := 0; ; tags++ {
		switch et {
		case 0x8100, 0x88a8, 0x9100:
			if tags == maxVLANTags || off+4 > len(d) {
				return false
			}
			tci, next := be16(d[off:]), be16(d[off+2:])
			v := root.at(etherTypeName(et)+", VLAN "+strconv.Itoa(int(tci&0x0fff)), "", off, off+4)
			v.at("Priority", strconv.Itoa(int(tci>>13)), off, off+1)
			v.at("VLAN ID", strconv.Itoa(int(tci&0x0fff)), off, off+2)
			v.at("Type", etherTypeName(next), off+2, off+4)
			et, off = next, off+4
			continue
		case 0x8864:
			// PPPoE session (RFC 2516 §4): version and type, code,
			// session ID, length, then PPP.
			if off+6 > len(d) {
				return false
			}
			s := root.at("PPPoE session", "ID 0x"+hex16(be16(d[off+2:])), off, off+6)
			s.at("Session ID", "0x"+hex16(be16(d[off+2:])), off+2, off+4)
			s.at("Payload length", strconv.Itoa(int(be16(d[off+4:]))), off+4, off+6)
			return b.ppp(root, off+6)
		case 0x0800, 0x86dd:
			return b.ip(root, off, len(d), 0)
		}
		return b.notIP(root, off, len(d))
	}
}

// ppp lays out a PPP protocol field (one octet when compressed, RFC 1661
// §6.5) and the IPv4 or IPv6 after it.
func (b *builder) ppp(root *Node, off int) bool {
	d := b.data
	if off >= len(d) {
		return false
	}
	n := 2
	if d[off]&1 == 1 {
		n = 1
	}
	if off+n > len(d) {
		return false
	}
	proto := uint16(d[off])
	if n == 2 {
		proto = be16(d[off:])
	}
	name := "0x" + hex16(proto)
	switch proto {
	case 0x0021:
		name = "IPv4 (0x0021)"
	case 0x0057:
		name = "IPv6 (0x0057)"
	}
	root.at("Point-to-Point Protocol", name, off, off+n)
	if proto == 0x0021 || proto == 0x0057 {
		return b.ip(root, off+n, len(b.data), 0)
	}
	return b.notIP(root, off+n, len(d))
}

// notIP shows what a link carries that is not IP: data, as the decoder
// took it. It holds only for a packet without addresses.
func (b *builder) notIP(root *Node, off, end int) bool {
	if b.p.Src.IsValid() {
		return false
	}
	b.data0(root, off, end)
	return true
}

// ipHeader is what the transport needs of the IP header before it.
type ipHeader struct {
	src, dst netip.Addr
	frag     decode.Fragment
	depth    int
}

// ip lays out an IPv4 or IPv6 header at off and what it carries, up to end.
func (b *builder) ip(root *Node, off, end, depth int) bool {
	if off >= end || depth >= maxIPDepth {
		return false
	}
	switch b.data[off] >> 4 {
	case 4:
		return b.ipv4(root, off, end, depth)
	case 6:
		return b.ipv6(root, off, end, depth)
	}
	return false
}

func (b *builder) ipv4(root *Node, off, end, depth int) bool {
	if off+20 > end {
		return false
	}
	h := b.data[off:end]
	ihl := int(h[0]&0x0f) * 4
	if ihl < 20 || off+ihl > end {
		return false
	}
	total := int(be16(h[2:]))
	if total >= ihl && off+total < end {
		end = off + total
	}
	src, dst := netip.AddrFrom4([4]byte(h[12:16])), netip.AddrFrom4([4]byte(h[16:20]))
	proto := h[9]
	ip := root.at("Internet Protocol Version 4, "+src.String()+" → "+dst.String(), "", off, off+ihl)
	ip.at("Version and header length", "4, "+strconv.Itoa(ihl)+" bytes", off, off+1)
	ip.at("Differentiated services", "0x"+hex8(h[1]), off+1, off+2)
	ip.at("Total length", strconv.Itoa(total), off+2, off+4)
	id := be16(h[4:])
	ip.at("Identification", "0x"+hex16(id)+" ("+strconv.Itoa(int(id))+")", off+4, off+6)
	ff := be16(h[6:])
	frag := decode.Fragment{ID: uint32(id), More: ff&0x2000 != 0, Offset: int(ff&0x1fff) * 8}
	flags := "0x" + hex16(ff)
	switch {
	case frag.IsFragment():
		flags += " (fragment " + fragmentText(frag) + ")"
	case ff&0x4000 != 0:
		flags += " (don't fragment)"
	}
	ip.at("Flags and fragment offset", flags, off+6, off+8)
	ip.at("Time to live", strconv.Itoa(int(h[8])), off+8, off+9)
	ip.at("Protocol", protocolName(proto)+" ("+strconv.Itoa(int(proto))+")", off+9, off+10)
	ip.at("Header checksum", "0x"+hex16(be16(h[10:])), off+10, off+12)
	ip.at("Source", src.String(), off+12, off+16)
	ip.at("Destination", dst.String(), off+16, off+20)
	if ihl > 20 {
		ip.at("Options", strconv.Itoa(ihl-20)+" bytes", off+20, off+ihl)
	}
	return b.transport(root, proto, off+ihl, end, ipHeader{src, dst, frag, depth})
}

func (b *builder) ipv6(root *Node, off, end, depth int) bool {
	if off+40 > end {
		return false
	}
	h := b.data[off:end]
	src, dst := netip.AddrFrom16([16]byte(h[8:24])), netip.AddrFrom16([16]byte(h[24:40]))
	plen := int(be16(h[4:]))
	if plen > 0 && off+40+plen < end {
		end = off + 40 + plen
	}
	ip := root.at("Internet Protocol Version 6, "+src.String()+" → "+dst.String(), "", off, off+40)
	vtf := be32(h)
	ip.at("Traffic class and flow label", "0x"+hex8(uint8(vtf>>20))+", 0x"+strconv.FormatUint(uint64(vtf&0xfffff), 16), off, off+4)
	ip.at("Payload length", strconv.Itoa(plen), off+4, off+6)
	ip.at("Next header", protocolName(h[6])+" ("+strconv.Itoa(int(h[6]))+")", off+6, off+7)
	ip.at("Hop limit", strconv.Itoa(int(h[7])), off+7, off+8)
	ip.at("Source", src.String(), off+8, off+24)
	ip.at("Destination", dst.String(), off+24, off+40)
	nh, pos := h[6], off+40
	var frag decode.Fragment
	for i := 0; ; i++ {
		switch nh {
		case 0, 43, 60, 135, 139, 140:
			if i == maxIPv6ExtHdrs || pos+2 > end {
				return false
			}
			n := (int(b.data[pos+1]) + 1) * 8
			if pos+n > end {
				return false
			}
			x := root.at("IPv6 extension header: "+protocolName(nh), strconv.Itoa(n)+" bytes", pos, pos+n)
			x.at("Next header", protocolName(b.data[pos])+" ("+strconv.Itoa(int(b.data[pos]))+")", pos, pos+1)
			nh, pos = b.data[pos], pos+n
			continue
		case 44:
			if pos+8 > end {
				return false
			}
			fo := be16(b.data[pos+2:])
			frag = decode.Fragment{ID: be32(b.data[pos+4:]), Offset: int(fo>>3) * 8, More: fo&1 != 0}
			x := root.at("IPv6 fragment header", fragmentText(frag), pos, pos+8)
			x.at("Next header", protocolName(b.data[pos])+" ("+strconv.Itoa(int(b.data[pos]))+")", pos, pos+1)
			x.at("Fragment offset and more fragments", fragmentText(frag), pos+2, pos+4)
			x.at("Identification", "0x"+strconv.FormatUint(uint64(frag.ID), 16), pos+4, pos+8)
			nh, pos = b.data[pos], pos+8
			continue
		}
		break
	}
	return b.transport(root, nh, pos, end, ipHeader{src, dst, frag, depth})
}

// transport lays out the IP payload [off, end) of protocol proto.
func (b *builder) transport(root *Node, proto uint8, off, end int, h ipHeader) bool {
	p := b.p
	if proto == 4 || proto == 41 {
		if h.frag.IsFragment() {
			return false // tunnelled fragments: the decoder reassembles the outer datagram first
		}
		return b.ip(root, off, end, h.depth+1)
	}
	// The bytes must be this packet's: its addresses are those of the IP
	// header in front of its own protocol. AH is passed through on the way
	// to the packet it protects, unless the packet is the AH one; what
	// follows the AH packet's header is shown whatever it holds.
	mine := proto != decode.ProtoAH || p.Kind == decode.KindAH
	if mine && !b.anchored && p.Src.IsValid() && (h.src != p.Src || h.dst != p.Dst) {
		return false
	}
	if h.frag.IsFragment() && (h.frag.Offset > 0 || p.Fragments > 0 || p.Kind == decode.KindIPFragment) {
		// Only this fragment is in the frame. For the datagram it
		// completes, the content is shown from the decoded values.
		root.at("IP fragment data", strconv.Itoa(end-off)+" bytes at offset "+strconv.Itoa(h.frag.Offset), off, end)
		if p.Kind != decode.KindIPFragment {
			r := root.field("Reassembled from", reassembledText(p))
			r.note("The datagram's fields are shown without their bytes: they lie in several frames.")
			r.Open = true
			transportFromValues(p, r)
			b.contentFromValues(r)
		}
		return true
	}
	switch proto {
	case decode.ProtoUDP:
		return b.udp(root, off, end)
	case decode.ProtoTCP:
		return b.tcp(root, off, end)
	case decode.ProtoAH:
		return b.ah(root, off, end, h)
	case decode.ProtoESP:
		b.esp(root, off, end)
	case decode.ProtoGRE:
		b.gre(root, off, end)
	case decode.ProtoICMP, decode.ProtoICMPv6:
		if p.Kind == decode.KindICMPError && p.ICMP != nil {
			b.icmp(root, p.ICMP, off, end)
		} else {
			b.icmpOther(root, proto, off, end)
		}
	default:
		b.data0(root, off, end)
	}
	return true
}

// udp lays out a UDP header (RFC 768) and what it carries.
func (b *builder) udp(root *Node, off, end int) bool {
	if off+8 > end {
		return false
	}
	d := b.data
	sp, dp, ulen := be16(d[off:]), be16(d[off+2:]), int(be16(d[off+4:]))
	u := root.at("User Datagram Protocol, "+ports(sp, dp), "", off, off+8)
	u.at("Source port", strconv.Itoa(int(sp)), off, off+2)
	u.at("Destination port", strconv.Itoa(int(dp)), off+2, off+4)
	u.at("Length", strconv.Itoa(ulen), off+4, off+6)
	sum := "0x" + hex16(be16(d[off+6:]))
	if be16(d[off+6:]) == 0 {
		sum += " (none)"
	}
	u.at("Checksum", sum, off+6, off+8)
	if ulen >= 8 && off+ulen < end {
		end = off + ulen
	}
	b.content(root, off+8, end)
	return true
}

// tcp lays out a TCP header (RFC 9293 §3.1) and what the segment carries.
func (b *builder) tcp(root *Node, off, end int) bool {
	if off+20 > end {
		return false
	}
	d := b.data
	hl := int(d[off+12]>>4) * 4
	if hl < 20 || off+hl > end {
		return false
	}
	sp, dp := be16(d[off:]), be16(d[off+2:])
	t := root.at("Transmission Control Protocol, "+ports(sp, dp), "", off, off+hl)
	t.at("Source port", strconv.Itoa(int(sp)), off, off+2)
	t.at("Destination port", strconv.Itoa(int(dp)), off+2, off+4)
	t.at("Sequence number", strconv.FormatUint(uint64(be32(d[off+4:])), 10), off+4, off+8)
	t.at("Acknowledgment number", strconv.FormatUint(uint64(be32(d[off+8:])), 10), off+8, off+12)
	t.at("Header length", strconv.Itoa(hl)+" bytes", off+12, off+13)
	t.at("Flags", tcpFlags(d[off+13]), off+13, off+14)
	t.at("Window", strconv.Itoa(int(be16(d[off+14:]))), off+14, off+16)
	t.at("Checksum", "0x"+hex16(be16(d[off+16:])), off+16, off+18)
	if hl > 20 {
		t.at("Options", strconv.Itoa(hl-20)+" bytes", off+20, off+hl)
	}
	p := b.p
	start := off + hl
	if p.TCPEncap || p.FirstFrame != p.Frame {
		// RFC 9329 records and PPTP messages may span segments: show the
		// segment's data, and the message from its decoded values.
		if end > start {
			root.at("TCP data", strconv.Itoa(end-start)+" bytes", start, end)
		}
		if p.TCPEncap {
			root.field("RFC 9329 stream", "IKE and ESP framed in TCP; the message is shown without its bytes")
		}
		b.contentFromValues(root)
		return true
	}
	b.content(root, start, end)
	return true
}

// tcpFlags names the set TCP flags.
func tcpFlags(f uint8) string {
	names := [8]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}
	s := ""
	for i, n := range names {
		if f&(1<<i) != 0 {
			if s != "" {
				s += ", "
			}
			s += n
		}
	}
	if s == "" {
		s = "none"
	}
	return "0x" + hex8(f) + " (" + s + ")"
}

// sllPacketType names a Linux cooked capture packet type.
func sllPacketType(t uint16) string {
	names := []string{"unicast to us", "broadcast", "multicast", "unicast to another host", "sent by us"}
	if int(t) < len(names) {
		return names[t] + " (" + strconv.Itoa(int(t)) + ")"
	}
	return strconv.Itoa(int(t))
}
