package tui

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// field is one node of the decode tree: a label, the bytes of the frame it
// covers (start ≤ i < end; none when end ≤ start), how to show it, and its
// children.
type field struct {
	label      string
	start, end int
	tone       tone
	children   []*field
	open       bool // shown expanded at first
}

// tone says how a field is shown: plainly, as good news (a NAT-D hash that
// matches) or bad (one that does not, a malformed packet).
type tone uint8

const (
	tonePlain tone = iota
	toneGood
	toneBad
)

// hasRange reports whether the field covers bytes of the frame.
func (f *field) hasRange() bool { return f.end > f.start }

// add appends a child covering [start, end) and returns it.
func (f *field) add(label string, start, end int) *field {
	c := &field{label: label, start: start, end: end}
	f.children = append(f.children, c)
	return c
}

// note appends a child that covers no bytes.
func (f *field) note(label string) *field { return f.add(label, 0, 0) }

// dissector builds the decode tree of one packet. It walks the frame's
// bytes when it has them, to know where each header and payload lies (the
// hex view highlights them), and takes what the bytes mean from the decoded
// packet, which holds what the analysis saw: NAT-D verification, vendor ID
// names, reassembled datagrams. Every read is bounds-checked: a frame that
// ends early or does not hold what the packet says yields fields without
// ranges, never a panic.
type dissector struct {
	p    *decode.Packet
	data []byte // nil: no bytes; the tree is built from the packet alone
}

// dissect returns the decode tree of a packet, with byte ranges when fd
// holds the frame's bytes. where names the capture.
func dissect(p *decode.Packet, fd *frameData, where string) *field {
	d := &dissector{p: p}
	root := &field{open: true}
	root.label = "Frame " + strconv.Itoa(p.Frame)
	if where != "" {
		root.label += " of " + where
	}
	root.label += ": " + strconv.Itoa(p.Length) + " bytes on the wire"
	if p.CapLen > 0 {
		root.label += ", " + strconv.Itoa(p.CapLen) + " captured"
	}
	root.note("Arrival time: " + p.Time.UTC().Format("2006-01-02 15:04:05.000000000 UTC"))
	if p.FirstFrame != 0 && p.FirstFrame != p.Frame {
		root.note("Begins in frame " + strconv.Itoa(p.FirstFrame) + " (reassembled here)")
	}
	if p.Kind == decode.KindMalformed {
		m := root.note("Malformed: " + p.Err)
		m.tone = toneBad
	}
	if fd != nil && fd.frame == p.Frame && len(fd.data) > 0 {
		d.data = fd.data
		if fd.fcsLen > 0 && fd.fcsLen <= len(d.data) && fd.length <= len(d.data) {
			d.data = d.data[:len(d.data)-fd.fcsLen]
		}
		root.start, root.end = 0, len(fd.data)
		if d.link(root, fd.linkType) {
			return root
		}
	}
	// No bytes, or bytes that do not hold what the packet says: describe
	// the packet from its decoded values.
	d.fromPacket(root)
	return root
}

// fromPacket describes the packet without byte ranges.
func (d *dissector) fromPacket(root *field) {
	p := d.p
	if !p.Src.IsValid() {
		return
	}
	ver := "4"
	if p.IPv6 {
		ver = "6"
	}
	ip := root.note("Internet Protocol Version " + ver + ", " + p.Src.String() + " → " + p.Dst.String())
	ip.note("Protocol: " + decode.ProtoName(p.Proto) + " (" + strconv.Itoa(int(p.Proto)) + ")")
	ip.note("TTL: " + strconv.Itoa(int(p.TTL)))
	if p.IPID != 0 {
		ip.note("Identification: " + strconv.FormatUint(uint64(p.IPID), 10))
	}
	if p.Fragment.IsFragment() {
		ip.note(fragmentLabel(p.Fragment))
	}
	if p.Fragments > 0 {
		ip.note("Reassembled from " + strconv.Itoa(p.Fragments) + " fragments (frames " + strconv.Itoa(p.FirstFrame) + "–" + strconv.Itoa(p.Frame) + ")")
	}
	switch p.Proto {
	case flows.ProtoUDP:
		root.note("User Datagram Protocol, " + strconv.Itoa(int(p.SrcPort)) + " → " + strconv.Itoa(int(p.DstPort)))
	case flows.ProtoTCP:
		root.note("Transmission Control Protocol, " + strconv.Itoa(int(p.SrcPort)) + " → " + strconv.Itoa(int(p.DstPort)))
	}
	d.content(root, nil, 0)
}

// content describes what the transport carries: b is its payload and off
// the payload's offset in the frame (b is nil without bytes).
func (d *dissector) content(root *field, b []byte, off int) {
	p := d.p
	switch {
	case p.IKE != nil:
		if p.NonESPMarker && len(b) >= 4 {
			root.add("Non-ESP marker (RFC 3948 §2.2): 00 00 00 00", off, off+4)
			b, off = b[4:], off+4
		} else if p.NonESPMarker {
			root.note("Non-ESP marker (RFC 3948 §2.2)")
		} else if p.MissingMarker {
			root.note("No non-ESP marker: on UDP 4500 a receiver reads this as ESP (RFC 3948 §2.2)")
		}
		if p.TCPEncap {
			// RFC 9329 framing: a length, and the marker for IKE.
			b = nil
		}
		ikeTree(root, p.IKE, b, off)
	case p.Kind == decode.KindESP || p.Kind == decode.KindUDPESP || p.Kind == decode.KindTCPESP:
		espTree(root, "Encapsulating Security Payload", p.ESP, p.PayloadLen, b, off)
	case p.Kind == decode.KindAH:
		ah := root.add("Authentication Header: SPI "+decode.SPI(p.AH.SPI).String()+", sequence "+strconv.FormatUint(uint64(p.AH.Seq), 10), 0, 0)
		ah.open = true
		var h decode.AH
		if b != nil && h.DecodeFromBytes(b, gopacket.NilDecodeFeedback) == nil {
			ah.start, ah.end = off, off+h.HeaderLen
			ah.add("Next header: "+layers.IPProtocol(b[0]).String(), off, off+1)
			ah.add("SPI: "+decode.SPI(h.SPI).String(), off+4, off+8)
			ah.add("Sequence number: "+strconv.FormatUint(uint64(h.Seq), 10), off+8, off+12)
			ah.add("Integrity check value: "+strconv.Itoa(len(h.ICV))+" bytes (covers the IP addresses: no NAT can keep it valid)", off+12, off+h.HeaderLen)
		} else {
			ah.note("The integrity check value covers the IP addresses: no NAT can keep it valid (RFC 3715 §2.1)")
		}
	case p.Kind == decode.KindNATKeepalive:
		if len(b) >= 1 {
			root.add("NAT-T keepalive (RFC 3948 §2.3): ff", off, off+1)
		} else {
			root.note("NAT-T keepalive (RFC 3948 §2.3)")
		}
	case p.Kind == decode.KindGRE:
		greTree(root, p.GRE, b, off)
	case p.Kind == decode.KindPPTP:
		pptpTree(root, p.PPTP, b, off)
	case p.Kind == decode.KindICMPError && p.ICMP != nil:
		icmpTree(root, p.ICMP, b, off)
	case p.Kind == decode.KindIPFragment:
		if b != nil {
			root.add("Fragment data: "+strconv.Itoa(len(b))+" bytes at offset "+strconv.Itoa(p.Fragment.Offset), off, off+len(b))
		}
	default:
		if b != nil && len(b) > 0 {
			root.add("Data: "+strconv.Itoa(len(b))+" bytes", off, off+len(b))
		}
	}
}

// link dissects the link layer and what follows. It returns false when the
// bytes cannot be walked; the caller then describes the packet without
// ranges.
func (d *dissector) link(root *field, lt layers.LinkType) bool {
	b := d.data
	switch lt {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return false
		}
		et := binary.BigEndian.Uint16(b[12:14])
		eth := root.add(fmt.Sprintf("Ethernet II, %s → %s", macString(b[6:12]), macString(b[0:6])), 0, 14)
		eth.add("Destination: "+macString(b[0:6]), 0, 6)
		eth.add("Source: "+macString(b[6:12]), 6, 12)
		eth.add(fmt.Sprintf("Type: %s (0x%04x)", layers.EthernetType(et), et), 12, 14)
		return d.etherType(root, et, 14, 0)
	case layers.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return false
		}
		root.add("Linux cooked capture", 0, 16)
		return d.etherType(root, binary.BigEndian.Uint16(b[14:16]), 16, 0)
	case 276: // Linux SLL2
		if len(b) < 20 {
			return false
		}
		root.add("Linux cooked capture v2", 0, 20)
		return d.etherType(root, binary.BigEndian.Uint16(b[0:2]), 20, 0)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(b) < 4 {
			return false
		}
		root.add("Null/loopback", 0, 4)
		return d.ip(root, 4, 0)
	case layers.LinkTypeRaw, 12, 14, 228, 229:
		return d.ip(root, 0, 0)
	}
	return false
}

// etherType follows VLAN tags and PPPoE to IP.
func (d *dissector) etherType(root *field, et uint16, off, tags int) bool {
	b := d.data
	for {
		switch et {
		case 0x8100, 0x88a8, 0x9100:
			if tags == 8 || off+4 > len(b) {
				return false
			}
			root.add(fmt.Sprintf("802.1Q VLAN %d", binary.BigEndian.Uint16(b[off:])&0x0fff), off, off+4)
			et, off, tags = binary.BigEndian.Uint16(b[off+2:]), off+4, tags+1
			continue
		case 0x8864: // PPPoE session (RFC 2516 §4) and PPP
			if off+8 > len(b) {
				return false
			}
			root.add("PPPoE session and PPP", off, off+8)
			switch binary.BigEndian.Uint16(b[off+6:]) {
			case 0x0021, 0x0057:
				return d.ip(root, off+8, 0)
			}
			return false
		case 0x0800, 0x86dd:
			return d.ip(root, off, 0)
		}
		return false
	}
}

// ip dissects an IPv4 or IPv6 header at off and what it carries.
func (d *dissector) ip(root *field, off, depth int) bool {
	b := d.data
	if off >= len(b) || depth > 4 {
		return false
	}
	switch b[off] >> 4 {
	case 4:
		return d.ipv4(root, off, depth)
	case 6:
		return d.ipv6(root, off, depth)
	}
	return false
}

func (d *dissector) ipv4(root *field, off, depth int) bool {
	b := d.data
	if off+20 > len(b) {
		return false
	}
	h := b[off:]
	ihl := int(h[0]&0x0f) * 4
	if ihl < 20 || off+ihl > len(b) {
		return false
	}
	total := int(binary.BigEndian.Uint16(h[2:4]))
	end := len(b)
	if total >= ihl && off+total < end {
		end = off + total
	}
	src, dst := netip.AddrFrom4([4]byte(h[12:16])), netip.AddrFrom4([4]byte(h[16:20]))
	proto := h[9]
	ip := root.add("Internet Protocol Version 4, "+src.String()+" → "+dst.String(), off, off+ihl)
	ip.add("Total length: "+strconv.Itoa(total), off+2, off+4)
	ip.add(fmt.Sprintf("Identification: 0x%04x (%d)", binary.BigEndian.Uint16(h[4:6]), binary.BigEndian.Uint16(h[4:6])), off+4, off+6)
	ff := binary.BigEndian.Uint16(h[6:8])
	frag := decode.Fragment{More: ff&0x2000 != 0, Offset: int(ff&0x1fff) * 8}
	flags := "Flags and fragment offset"
	switch {
	case frag.IsFragment():
		flags += ": " + fragmentLabel(frag)
	case ff&0x4000 != 0:
		flags += ": don't fragment"
	}
	ip.add(flags, off+6, off+8)
	ip.add("Time to live: "+strconv.Itoa(int(h[8])), off+8, off+9)
	ip.add("Protocol: "+layers.IPProtocol(proto).String()+" ("+strconv.Itoa(int(proto))+")", off+9, off+10)
	ip.add("Source: "+src.String(), off+12, off+16)
	ip.add("Destination: "+dst.String(), off+16, off+20)
	if ihl > 20 {
		ip.add("Options: "+strconv.Itoa(ihl-20)+" bytes", off+20, off+ihl)
	}
	return d.transport(root, proto, off+ihl, end, frag, depth)
}

func (d *dissector) ipv6(root *field, off, depth int) bool {
	b := d.data
	if off+40 > len(b) {
		return false
	}
	h := b[off:]
	src, dst := netip.AddrFrom16([16]byte(h[8:24])), netip.AddrFrom16([16]byte(h[24:40]))
	plen := int(binary.BigEndian.Uint16(h[4:6]))
	end := len(b)
	if plen > 0 && off+40+plen < end {
		end = off + 40 + plen
	}
	ip := root.add("Internet Protocol Version 6, "+src.String()+" → "+dst.String(), off, off+40)
	ip.add("Payload length: "+strconv.Itoa(plen), off+4, off+6)
	ip.add("Next header: "+layers.IPProtocol(h[6]).String(), off+6, off+7)
	ip.add("Hop limit: "+strconv.Itoa(int(h[7])), off+7, off+8)
	ip.add("Source: "+src.String(), off+8, off+24)
	ip.add("Destination: "+dst.String(), off+24, off+40)
	nh, pos := h[6], off+40
	var frag decode.Fragment
	for i := 0; i < 16; i++ {
		switch nh {
		case 0, 43, 60, 135, 139, 140:
			if pos+2 > end {
				return false
			}
			n := (int(b[pos+1]) + 1) * 8
			if pos+n > end {
				return false
			}
			ip.add("Extension header "+layers.IPProtocol(nh).String()+": "+strconv.Itoa(n)+" bytes", pos, pos+n)
			nh, pos = b[pos], pos+n
			continue
		case 44:
			if pos+8 > end {
				return false
			}
			fo := binary.BigEndian.Uint16(b[pos+2:])
			frag = decode.Fragment{ID: binary.BigEndian.Uint32(b[pos+4:]), Offset: int(fo>>3) * 8, More: fo&1 != 0}
			ip.add("Fragment header: "+fragmentLabel(frag), pos, pos+8)
			nh, pos = b[pos], pos+8
			continue
		}
		break
	}
	return d.transport(root, nh, pos, end, frag, depth)
}

// fragmentLabel describes an IP fragment.
func fragmentLabel(f decode.Fragment) string {
	s := "fragment at offset " + strconv.Itoa(f.Offset)
	if f.More {
		s += ", more follow"
	} else {
		s += ", the last"
	}
	return s
}

// transport dissects the IP payload [off, end) of protocol proto.
func (d *dissector) transport(root *field, proto uint8, off, end int, frag decode.Fragment, depth int) bool {
	b := d.data
	p := d.p
	if frag.IsFragment() && (frag.Offset > 0 || p.Fragments > 0 || p.Kind == decode.KindIPFragment) {
		// Only the fragment is in this frame. For the datagram that it
		// completes, show its content from the decoded values.
		root.add("IP fragment data: "+strconv.Itoa(end-off)+" bytes at offset "+strconv.Itoa(frag.Offset), off, end)
		if p.Kind != decode.KindIPFragment {
			r := root.note("Reassembled from " + strconv.Itoa(p.Fragments) + " fragments (frames " + strconv.Itoa(p.FirstFrame) + "–" + strconv.Itoa(p.Frame) + "); byte offsets below are not shown")
			r.open = true
			switch p.Proto {
			case flows.ProtoUDP:
				r.note("User Datagram Protocol, " + strconv.Itoa(int(p.SrcPort)) + " → " + strconv.Itoa(int(p.DstPort)))
			}
			d.content(r, nil, 0)
		}
		return true
	}
	switch proto {
	case 4, 41:
		return d.ip(root, off, depth+1)
	case 17:
		if off+8 > end {
			return false
		}
		sp, dp := binary.BigEndian.Uint16(b[off:]), binary.BigEndian.Uint16(b[off+2:])
		u := root.add("User Datagram Protocol, "+strconv.Itoa(int(sp))+" → "+strconv.Itoa(int(dp)), off, off+8)
		u.add("Source port: "+strconv.Itoa(int(sp)), off, off+2)
		u.add("Destination port: "+strconv.Itoa(int(dp)), off+2, off+4)
		u.add("Length: "+strconv.Itoa(int(binary.BigEndian.Uint16(b[off+4:]))), off+4, off+6)
		u.add(fmt.Sprintf("Checksum: 0x%04x", binary.BigEndian.Uint16(b[off+6:])), off+6, off+8)
		d.content(root, b[off+8:end], off+8)
		return true
	case 6:
		if off+20 > end {
			return false
		}
		hl := int(b[off+12]>>4) * 4
		if hl < 20 || off+hl > end {
			return false
		}
		sp, dp := binary.BigEndian.Uint16(b[off:]), binary.BigEndian.Uint16(b[off+2:])
		t := root.add("Transmission Control Protocol, "+strconv.Itoa(int(sp))+" → "+strconv.Itoa(int(dp)), off, off+hl)
		t.add("Source port: "+strconv.Itoa(int(sp)), off, off+2)
		t.add("Destination port: "+strconv.Itoa(int(dp)), off+2, off+4)
		t.add("Sequence number: "+strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[off+4:])), 10), off+4, off+8)
		if p.TCPEncap || p.FirstFrame != p.Frame {
			// RFC 9329 and PPTP messages may span segments: show the
			// segment's data, and the message from its decoded values.
			if end > off+hl {
				root.add("TCP data: "+strconv.Itoa(end-off-hl)+" bytes", off+hl, end)
			}
			d.content(root, nil, 0)
			return true
		}
		d.content(root, b[off+hl:end], off+hl)
		return true
	case 47, 50, 51:
		d.content(root, b[off:end], off)
		return true
	}
	d.content(root, b[off:end], off)
	return true
}

// espTree describes an ESP header: SPI and sequence number (RFC 4303 §2),
// the rest being ciphertext.
func espTree(root *field, name string, e decode.ESPInfo, length int, b []byte, off int) {
	f := root.add(name+": SPI "+decode.SPI(e.SPI).String()+", sequence "+strconv.FormatUint(uint64(e.Seq), 10), 0, 0)
	f.open = true
	if len(b) >= 8 {
		f.start, f.end = off, off+len(b)
		f.add("SPI: "+decode.SPI(e.SPI).String(), off, off+4)
		f.add("Sequence number: "+strconv.FormatUint(uint64(e.Seq), 10), off+4, off+8)
		f.add("Encrypted data and ICV: "+strconv.Itoa(len(b)-8)+" bytes", off+8, off+len(b))
		return
	}
	f.note("SPI: " + decode.SPI(e.SPI).String())
	f.note("Sequence number: " + strconv.FormatUint(uint64(e.Seq), 10))
	if length > 8 {
		f.note("Encrypted data and ICV: " + strconv.Itoa(length-8) + " bytes")
	}
}

// greTree describes a GRE header (RFC 2784, RFC 2890; enhanced GRE of
// RFC 2637 §4.1 for version 1).
func greTree(root *field, g decode.GREInfo, b []byte, off int) {
	name := "Generic Routing Encapsulation"
	if g.Version == 1 {
		name += " (enhanced, PPTP)"
	}
	f := root.add(name, 0, 0)
	f.open = true
	var h decode.GRE
	ranged := b != nil && h.DecodeFromBytes(b, gopacket.NilDecodeFeedback) == nil
	pos := off + 4
	add := func(label string, present bool) {
		if !present {
			return
		}
		if ranged {
			f.add(label, pos, pos+4)
			pos += 4
		} else {
			f.note(label)
		}
	}
	if ranged {
		f.start, f.end = off, off+len(h.Contents)
		f.add(fmt.Sprintf("Flags and version: key %t, sequence %t, ack %t, version %d", g.KeyPresent, g.SeqPresent, g.AckPresent, g.Version), off, off+2)
		f.add(fmt.Sprintf("Protocol: 0x%04x", g.Protocol), off+2, off+4)
		if h.ChecksumPresent || h.RoutingPresent {
			pos += 4
		}
	} else {
		f.note(fmt.Sprintf("Version %d, protocol 0x%04x", g.Version, g.Protocol))
	}
	if g.Version == 1 {
		add("Key: payload length "+strconv.Itoa(int(g.PayloadLen))+", call ID "+decode.CallIDString(g.CallID), g.KeyPresent)
	} else {
		add("Key: "+strconv.FormatUint(uint64(g.Key), 10), g.KeyPresent)
	}
	add("Sequence number: "+strconv.FormatUint(uint64(g.Seq), 10), g.SeqPresent)
	add("Acknowledgment number: "+strconv.FormatUint(uint64(g.Ack), 10), g.AckPresent)
	if ranged && off+len(h.Contents) < off+len(b) {
		root.add("Payload: "+strconv.Itoa(len(h.Payload))+" bytes", off+len(h.Contents), off+len(b))
	}
}

// icmpTree describes an ICMP or ICMPv6 error (RFC 792, RFC 4443 §3) and,
// as a subtree, the packet it quotes: from the decoded values, placed on
// the message's bytes b (at off) where it has them. The quote's IP header,
// transport header and VPN header lie at the offsets the decoder found;
// what the quote cut off is said, not shown.
func icmpTree(root *field, e *decode.ICMPError, b []byte, off int) {
	name := "Internet Control Message Protocol"
	if e.IPv6 {
		name += " v6"
	}
	name += ": " + e.TypeName()
	if n := e.Name(); n != e.TypeName() {
		name += " (" + n + ")"
	}
	f := root.add(name, 0, 0)
	f.open = true
	ranged := len(b) >= 8
	// at adds a field over [start, end) of the message, clipped to the
	// bytes there are and to the parent's; without them, a note.
	at := func(parent *field, label string, start, end int) *field {
		lo, hi := off+start, off+min(end, len(b))
		if parent.hasRange() {
			hi = min(hi, parent.end)
		}
		if !ranged || lo >= hi {
			return parent.note(label)
		}
		return parent.add(label, lo, hi)
	}
	if ranged {
		f.start, f.end = off, off+len(b)
	}
	at(f, "Type: "+strconv.Itoa(int(e.Type))+" ("+e.TypeName()+")", 0, 1)
	code := "Code: " + strconv.Itoa(int(e.Code))
	if n := e.CodeName(); n != strconv.Itoa(int(e.Code)) {
		code += " (" + n + ")"
	}
	at(f, code, 1, 2)
	if ranged {
		f.add(fmt.Sprintf("Checksum: 0x%04x", binary.BigEndian.Uint16(b[2:4])), off+2, off+4)
	}
	switch {
	case e.TooBig() && e.IPv6:
		at(f, "MTU: "+strconv.FormatUint(uint64(e.MTU), 10), 4, 8)
	case e.TooBig():
		at(f, "MTU of next hop: "+strconv.FormatUint(uint64(e.MTU), 10), 6, 8)
	case e.Pointer != 0 && e.IPv6:
		at(f, "Pointer: "+strconv.FormatUint(uint64(e.Pointer), 10), 4, 8)
	case e.Pointer != 0:
		at(f, "Pointer: "+strconv.FormatUint(uint64(e.Pointer), 10), 4, 5)
	}

	q := &e.Quote
	ver, kind := "4", q.Kind.String()
	if q.IPv6 {
		ver = "6"
	}
	if q.Kind == decode.KindOther {
		kind = decode.ProtoName(q.Proto)
	}
	ports := q.Have.Has(decode.QuotePorts)
	src, dst := q.Src.String(), q.Dst.String()
	if ports {
		src, dst = q.Source().String(), q.Destination().String()
	}
	qf := at(f, "Quoted packet: "+kind+" "+src+" → "+dst+", "+strconv.Itoa(q.Quoted)+" of "+strconv.Itoa(q.Length)+" bytes", 8, 8+q.Quoted)
	qf.open = true
	ip := at(qf, "Internet Protocol Version "+ver+", "+q.Src.String()+" → "+q.Dst.String(), 8, 8+min(q.HeaderLen, q.Quoted))
	ip.note("Protocol: " + decode.ProtoName(q.Proto) + " (" + strconv.Itoa(int(q.Proto)) + ")")
	ip.note("Length: " + strconv.Itoa(q.Length))
	if q.IPID != 0 {
		ip.note("Identification: " + strconv.FormatUint(uint64(q.IPID), 10))
	}
	if q.Fragment.IsFragment() {
		ip.note(fragmentLabel(q.Fragment))
	}
	t := 8 + q.HeaderLen // the quoted transport header
	switch {
	case ports && q.Proto == flows.ProtoUDP:
		at(qf, "User Datagram Protocol, "+strconv.Itoa(int(q.SrcPort))+" → "+strconv.Itoa(int(q.DstPort)), t, t+8)
		t += 8
	case ports:
		at(qf, "Transmission Control Protocol, "+strconv.Itoa(int(q.SrcPort))+" → "+strconv.Itoa(int(q.DstPort)), t, t+20)
	}
	if q.NonESPMarker {
		at(qf, "Non-ESP marker (RFC 3948 §2.2): 00 00 00 00", t, t+4)
		t += 4
	}
	switch {
	case q.Have.Has(decode.QuoteIKESPIi):
		h := at(qf, "Internet Key Exchange header", t, t+decode.IKEHeaderLen)
		at(h, "Initiator SPI: "+decode.IKESPI(q.IKE.SPIi).String(), t, t+8)
		if q.Have.Has(decode.QuoteIKESPIr) {
			at(h, "Responder SPI: "+decode.IKESPI(q.IKE.SPIr).String(), t+8, t+16)
		}
		if q.Have.Has(decode.QuoteIKEHeader) {
			at(h, "Version "+strconv.Itoa(int(q.IKE.Version))+", exchange "+q.IKE.Exchange.String()+
				", message ID "+strconv.FormatUint(uint64(q.IKE.MessageID), 10), t+17, t+24)
		}
	case q.Have.Has(decode.QuoteSPI):
		name, at0 := "Encapsulating Security Payload", t
		if q.Kind == decode.KindAH {
			name, at0 = "Authentication Header", t+4
		}
		h := at(qf, name, t, at0+8)
		at(h, "SPI: "+decode.SPI(q.ESP.SPI).String(), at0, at0+4)
		if q.Have.Has(decode.QuoteSeq) {
			at(h, "Sequence number: "+strconv.FormatUint(uint64(q.ESP.Seq), 10), at0+4, at0+8)
		}
	case q.Kind == decode.KindNATKeepalive:
		at(qf, "NAT-T keepalive (RFC 3948 §2.3): ff", t, t+1)
	case q.Have.Has(decode.QuoteGRE):
		g := q.GRE
		h := at(qf, "Generic Routing Encapsulation, version "+strconv.Itoa(int(g.Version)), t, t+4)
		h.note(fmt.Sprintf("Protocol: 0x%04x", g.Protocol))
		if q.Have.Has(decode.QuoteGREKey) {
			if g.Version == 1 {
				h.note("Key: payload length " + strconv.Itoa(int(g.PayloadLen)) + ", call ID " + strconv.Itoa(int(g.CallID)))
			} else {
				h.note("Key: " + strconv.FormatUint(uint64(g.Key), 10))
			}
		}
		if q.Have.Has(decode.QuoteGRESeq) {
			h.note("Sequence number: " + strconv.FormatUint(uint64(g.Seq), 10))
		}
	}
	if c := q.Cut(); c != "" {
		qf.note("The quote ends before the " + c)
	}
}

// pptpTree describes a PPTP control message (RFC 2637 §2).
func pptpTree(root *field, pp decode.PPTPInfo, b []byte, off int) {
	f := root.add("PPTP control message: "+pp.Type.String(), 0, 0)
	f.open = true
	// A segment may hold several messages: only the first has its bytes
	// where the segment's data starts.
	if len(b) >= 12 && binary.BigEndian.Uint32(b[4:8]) == 0x1a2b3c4d && decode.PPTPMessageType(binary.BigEndian.Uint16(b[8:10])) == pp.Type {
		n := int(binary.BigEndian.Uint16(b[0:2]))
		f.start, f.end = off, off+min(max(n, 12), len(b))
		f.add("Length: "+strconv.Itoa(n), off, off+2)
		f.add("Magic cookie: 0x1a2b3c4d", off+4, off+8)
		f.add("Control message type: "+pp.Type.String(), off+8, off+10)
	}
	if pp.HasCallID {
		f.note("Call ID: " + decode.CallIDString(pp.CallID))
	}
	if pp.HasPeerCall {
		f.note("Peer call ID: " + decode.CallIDString(pp.PeerCallID))
	}
	if pp.ResultCode != 0 {
		f.note("Result code: " + strconv.Itoa(int(pp.ResultCode)))
	}
}

// macString formats a MAC address.
func macString(b []byte) string {
	var s strings.Builder
	for i, x := range b {
		if i > 0 {
			s.WriteByte(':')
		}
		s.WriteString(hex.EncodeToString([]byte{x}))
	}
	return s.String()
}

// printable shows identification data as text when it is text, else as
// hex.
func printable(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	s := string(b)
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return shortHex(b)
		}
	}
	return strconv.Quote(s)
}

// shortHex shows bytes as hex, eliding the middle of long values.
func shortHex(b []byte) string {
	if len(b) <= 20 {
		return hex.EncodeToString(b)
	}
	return hex.EncodeToString(b[:8]) + "…" + hex.EncodeToString(b[len(b)-4:]) + " (" + strconv.Itoa(len(b)) + " bytes)"
}
