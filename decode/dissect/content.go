package dissect

import (
	"strconv"

	"github.com/gopacket/gopacket"

	"github.com/vpnpcap/vpnpcap/decode"
)

// content lays out what the transport carries, [start, end) of the frame,
// as the packet's kind says it is. Built from the packet's values (no
// bytes), it goes through contentFromValues.
func (b *builder) content(parent *Node, start, end int) {
	p := b.p
	switch {
	case p.IKE != nil:
		b.ikeAfterUDP(parent, start, end)
	case espKind(p.Kind):
		b.esp(parent, start, end)
	case p.Kind == decode.KindAH && !b.ranged():
		ah := parent.field("Authentication Header", espText(p.AH))
		ah.Open = true
		ah.field("SPI", decode.SPI(p.AH.SPI).String())
		ah.field("Sequence number", strconv.FormatUint(uint64(p.AH.Seq), 10))
		ah.note(ahNote)
	case p.Kind == decode.KindNATKeepalive:
		parent.at("NAT-T keepalive (RFC 3948 §2.3)", "ff", start, start+1)
	case p.Kind == decode.KindGRE:
		b.gre(parent, start, end)
	case p.Kind == decode.KindPPTP:
		b.pptp(parent, start, end)
	case p.Kind == decode.KindICMPError && p.ICMP != nil:
		b.icmp(parent, p.ICMP, start, end)
	default:
		b.data0(parent, start, end)
	}
}

// contentFromValues lays out what the packet carries from its values
// alone, under parent: for a message that does not lie in this frame's
// bytes (one reassembled from a TCP stream), or for a packet without bytes.
// The fields are built under a node without bytes, so none of them is
// placed on the frame.
func (b *builder) contentFromValues(parent *Node) {
	tmp := &Node{}
	(&builder{p: b.p}).content(tmp, 0, 0)
	parent.Children = append(parent.Children, tmp.Children...)
}

// data0 shows bytes the tree does not dissect further.
func (b *builder) data0(parent *Node, start, end int) {
	if b.ranged() && end > start {
		parent.at("Data", strconv.Itoa(end-start)+" bytes", start, end)
	}
}

// espKind reports whether packets of kind k are ESP.
func espKind(k decode.Kind) bool {
	return k == decode.KindESP || k == decode.KindUDPESP || k == decode.KindTCPESP
}

// espText shows an ESP or AH SPI and sequence number.
func espText(e decode.ESPInfo) string {
	return "SPI " + decode.SPI(e.SPI).String() + ", sequence " + strconv.FormatUint(uint64(e.Seq), 10)
}

// ahNote is why AH matters to a NAT.
const ahNote = "The integrity check value covers the IP addresses: no NAT can keep it valid (RFC 3715 §2.1)."

// esp lays out an ESP header (RFC 4303 §2): SPI and sequence number, the
// rest being ciphertext, and what decryption made of it.
func (b *builder) esp(parent *Node, start, end int) {
	p := b.p
	e := p.ESP
	bs := b.span(start, end)
	if len(bs) >= 8 {
		e = decode.ESPInfo{SPI: be32(bs), Seq: be32(bs[4:])}
	}
	n := parent.at("Encapsulating Security Payload", espText(e), start, end)
	n.Open = true
	n.at("SPI", decode.SPI(e.SPI).String(), start, start+4)
	n.at("Sequence number", strconv.FormatUint(uint64(e.Seq), 10), start+4, start+8)
	switch {
	case len(bs) >= 8:
		n.at("Encrypted data and ICV", strconv.Itoa(len(bs)-8)+" bytes", start+8, end)
	case bs == nil && espKind(p.Kind) && p.PayloadLen > 8:
		n.field("Encrypted data and ICV", strconv.Itoa(p.PayloadLen-8)+" bytes")
	}
	if d := p.Decrypted; d != nil && espKind(p.Kind) {
		espDecryption(n, d)
	}
}

// espDecryption shows what the keys made of an ESP packet.
func espDecryption(n *Node, d *decode.ESPDecryption) {
	if d.Status != decode.Decrypted {
		c := n.field("Not decrypted", d.Reason)
		c.Tone = Bad
		return
	}
	c := n.field("Decrypted", "with the key of "+d.Key.String())
	c.Open = true
	mode := "transport mode"
	if d.Inner.Tunnel {
		mode = "tunnel mode"
	}
	c.field("Next header", protocolName(d.NextHeader)+" ("+strconv.Itoa(int(d.NextHeader))+"): "+mode)
	c.field("Carries", d.Inner.String())
	c.field("Payload data", strconv.Itoa(d.Inner.Length)+" bytes")
}

// ah lays out an AH header (RFC 4302 §2) at off and what it protects.
func (b *builder) ah(root *Node, off, end int, h ipHeader) bool {
	p := b.p
	var a decode.AH
	bs := b.span(off, end)
	if bs == nil || a.DecodeFromBytes(bs, gopacket.NilDecodeFeedback) != nil {
		n := root.at("Authentication Header", espText(p.AH), off, end)
		n.note(ahNote)
		return true
	}
	hl := a.HeaderLen
	n := root.at("Authentication Header", espText(decode.ESPInfo{SPI: a.SPI, Seq: a.Seq}), off, off+hl)
	n.Open = true
	n.at("Next header", protocolName(uint8(a.NextHeader))+" ("+strconv.Itoa(int(a.NextHeader))+")", off, off+1)
	n.at("Payload length", strconv.Itoa(int(bs[1]))+" ("+strconv.Itoa(hl)+" bytes)", off+1, off+2)
	n.at("SPI", decode.SPI(a.SPI).String(), off+4, off+8)
	n.at("Sequence number", strconv.FormatUint(uint64(a.Seq), 10), off+8, off+12)
	n.at("Integrity check value", strconv.Itoa(len(a.ICV))+" bytes (covers the IP addresses: no NAT can keep it valid)", off+12, off+hl)
	if p.Kind != decode.KindAH {
		// On the way to the packet AH protects (ESP behind AH).
		return b.transport(root, uint8(a.NextHeader), off+hl, end, h)
	}
	// The AH packet: what it protects is shown as far as its bytes go.
	b.anchored = true
	if !b.transport(root, uint8(a.NextHeader), off+hl, end, h) {
		b.data0(root, off+hl, end)
	}
	return true
}

// gre lays out a GRE header (RFC 2784, RFC 2890; the enhanced GRE of
// RFC 2637 §4.1 for version 1) and its payload.
func (b *builder) gre(parent *Node, start, end int) {
	p := b.p
	var h decode.GRE
	bs := b.span(start, end)
	ranged := bs != nil && h.DecodeFromBytes(bs, gopacket.NilDecodeFeedback) == nil
	g := p.GRE
	if ranged {
		g = h.Info()
	}
	name := "Generic Routing Encapsulation"
	if g.Version == 1 {
		name += " (enhanced, PPTP)"
	}
	n := parent.field(name, "")
	n.Open = true
	if !ranged {
		n.field("Version "+strconv.Itoa(int(g.Version))+", protocol 0x"+hex16(g.Protocol), "")
		greFields(n, g, -1)
		return
	}
	hl := len(h.Contents)
	n.place(parent, start, start+hl)
	flags := []string{}
	for _, f := range []struct {
		on   bool
		name string
	}{{h.ChecksumPresent, "checksum"}, {h.RoutingPresent, "routing"}, {h.KeyPresent, "key"}, {h.SeqPresent, "sequence"}, {h.AckPresent, "acknowledgment"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	fv := "version " + strconv.Itoa(int(g.Version))
	if len(flags) > 0 {
		fv = joinComma(flags) + "; " + fv
	}
	n.at("Flags and version", fv, start, start+2)
	n.at("Protocol", etherTypeName(g.Protocol), start+2, start+4)
	pos := start + 4
	if h.ChecksumPresent || h.RoutingPresent {
		n.at("Checksum and offset", "0x"+hex16(h.Checksum)+", "+strconv.Itoa(int(h.Offset)), pos, pos+4)
		pos += 4
	}
	greFields(n, g, pos)
	if hl < len(bs) {
		what := "Payload"
		if g.Protocol == 0x880b {
			what = "PPP payload"
		}
		parent.at(what, strconv.Itoa(len(bs)-hl)+" bytes", start+hl, end)
	}
}

// greFields adds the optional GRE fields, each 4 bytes from pos on in the
// frame, or without bytes when pos is negative.
func greFields(n *Node, g decode.GREInfo, pos int) {
	add := func(label, value string, present bool) {
		if !present {
			return
		}
		if pos < 0 {
			n.field(label, value)
			return
		}
		n.at(label, value, pos, pos+4)
		pos += 4
	}
	if g.Version == 1 {
		add("Key", "payload length "+strconv.Itoa(int(g.PayloadLen))+", call ID "+decode.CallIDString(g.CallID), g.KeyPresent)
	} else {
		add("Key", strconv.FormatUint(uint64(g.Key), 10), g.KeyPresent)
	}
	add("Sequence number", strconv.FormatUint(uint64(g.Seq), 10), g.SeqPresent)
	add("Acknowledgment number", strconv.FormatUint(uint64(g.Ack), 10), g.AckPresent)
}

// pptp lays out a PPTP control message (RFC 2637 §2).
func (b *builder) pptp(parent *Node, start, end int) {
	pp := b.p.PPTP
	n := parent.field("PPTP control message", pp.Type.String())
	n.Open = true
	// A segment may hold several messages: only the first has its bytes
	// where the segment's data starts, and it is this packet's when its
	// type is.
	bs := b.span(start, end)
	if len(bs) >= 12 && be32(bs[4:]) == decode.PPTPMagicCookie && decode.PPTPMessageType(be16(bs[8:])) == pp.Type {
		l := int(be16(bs))
		n.place(parent, start, start+min(max(l, 12), len(bs)))
		n.at("Length", strconv.Itoa(l), start, start+2)
		n.at("PPTP message type", strconv.Itoa(int(be16(bs[2:])))+" (control)", start+2, start+4)
		n.at("Magic cookie", "0x1a2b3c4d", start+4, start+8)
		n.at("Control message type", pp.Type.String()+" ("+strconv.Itoa(int(pp.Type))+")", start+8, start+10)
	}
	callAt, peerAt, resultAt := pp.Type.FieldOffsets()
	field := func(label, value string, off int) {
		if n.HasBytes() && off > 0 {
			n.at(label, value, start+off, start+off+2)
		} else {
			n.field(label, value)
		}
	}
	if pp.HasCallID {
		field("Call ID", decode.CallIDString(pp.CallID), callAt)
	}
	if pp.HasPeerCall {
		field("Peer's call ID", decode.CallIDString(pp.PeerCallID), peerAt)
	}
	if resultAt > 0 && (pp.ResultCode != 0 || pp.ErrorCode != 0) {
		field("Result and error code", strconv.Itoa(int(pp.ResultCode))+", "+strconv.Itoa(int(pp.ErrorCode)), resultAt)
	}
}

// icmpOther lays out an ICMP message that is not an error about VPN
// traffic: its type and code.
func (b *builder) icmpOther(parent *Node, proto uint8, off, end int) {
	bs := b.span(off, end)
	v6 := proto == decode.ProtoICMPv6
	name := "Internet Control Message Protocol"
	if v6 {
		name += " v6"
	}
	if len(bs) < 2 {
		b.data0(parent, off, end)
		return
	}
	t, c := decode.ICMPType(bs[0]), decode.ICMPCode(bs[1])
	n := parent.at(name, t.Name(v6), off, end)
	n.at("Type", strconv.Itoa(int(t))+" ("+t.Name(v6)+")", off, off+1)
	n.at("Code", codeText(c, v6, t), off+1, off+2)
}

// codeText shows an ICMP code with its name where it has one.
func codeText(c decode.ICMPCode, v6 bool, t decode.ICMPType) string {
	s := strconv.Itoa(int(c))
	if n := c.Name(v6, t); n != s {
		s += " (" + n + ")"
	}
	return s
}
