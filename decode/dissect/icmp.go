package dissect

import (
	"strconv"

	"github.com/vpnpcap/vpnpcap/decode"
)

// icmp lays out an ICMP or ICMPv6 error (RFC 792, RFC 4443 §3) whose
// message is [start, end) of the frame, and, as a subtree, the packet it
// quotes: from the decoded values, placed on the quoted bytes where the
// frame has them. The quote's IP header, transport header and VPN header lie
// at the offsets the decoder found; what the quote cut off is said, not
// shown.
func (b *builder) icmp(parent *Node, e *decode.ICMPError, start, end int) {
	name := "Internet Control Message Protocol"
	if e.IPv6 {
		name += " v6"
	}
	value := e.TypeName()
	if n := e.Name(); n != value {
		value += " (" + n + ")"
	}
	n := parent.field(name, value)
	n.Open = true
	bs := b.span(start, end)
	if len(bs) >= 8 {
		n.place(parent, start, end)
	}
	// clip adds a field over [s, e) of the message, cut to the bytes the
	// field's parent covers; a field cut to nothing has no bytes.
	clip := func(parent *Node, label, value string, s, e int) *Node {
		s, e = start+s, start+e
		if parent.HasBytes() {
			e = min(e, parent.End)
		}
		return parent.at(label, value, s, e)
	}
	clip(n, "Type", strconv.Itoa(int(e.Type))+" ("+e.TypeName()+")", 0, 1)
	clip(n, "Code", codeText(e.Code, e.IPv6, e.Type), 1, 2)
	if len(bs) >= 8 {
		clip(n, "Checksum", "0x"+hex16(be16(bs[2:])), 2, 4)
	}
	switch {
	case e.TooBig() && e.IPv6:
		clip(n, "MTU", strconv.FormatUint(uint64(e.MTU), 10), 4, 8)
	case e.TooBig():
		clip(n, "MTU of next hop", strconv.FormatUint(uint64(e.MTU), 10), 6, 8)
	case e.Pointer != 0 && e.IPv6:
		clip(n, "Pointer", strconv.FormatUint(uint64(e.Pointer), 10), 4, 8)
	case e.Pointer != 0:
		clip(n, "Pointer", strconv.FormatUint(uint64(e.Pointer), 10), 4, 5)
	}

	quote(n, &e.Quote, clip)
}

// quote lays out the packet an ICMP error quotes, under the error's field
// n; clip places a field on the message's bytes [s, e).
func quote(n *Node, q *decode.ICMPQuote, clip func(parent *Node, label, value string, s, e int) *Node) {
	ver, kind := "4", q.Kind.String()
	if q.IPv6 {
		ver = "6"
	}
	if q.Kind == decode.KindOther {
		kind = decode.ProtoName(q.Proto)
	}
	hasPorts := q.Have.Has(decode.QuotePorts)
	src, dst := q.Src.String(), q.Dst.String()
	if hasPorts {
		src, dst = q.Source().String(), q.Destination().String()
	}
	qf := clip(n, "Quoted packet", kind+" "+src+" → "+dst+", "+strconv.Itoa(q.Quoted)+" of "+strconv.Itoa(q.Length)+" bytes", 8, 8+q.Quoted)
	qf.Open = true
	ip := clip(qf, "Internet Protocol Version "+ver+", "+q.Src.String()+" → "+q.Dst.String(), "", 8, 8+min(q.HeaderLen, q.Quoted))
	ip.field("Protocol", protocolName(q.Proto)+" ("+strconv.Itoa(int(q.Proto))+")")
	ip.field("Length", strconv.Itoa(q.Length))
	if q.IPID != 0 {
		ip.field("Identification", strconv.FormatUint(uint64(q.IPID), 10))
	}
	if q.Fragment.IsFragment() {
		ip.field("Fragment", fragmentText(q.Fragment))
	}
	t := 8 + q.HeaderLen // the quoted transport header
	switch {
	case hasPorts && q.Proto == decode.ProtoUDP:
		clip(qf, "User Datagram Protocol, "+ports(q.SrcPort, q.DstPort), "", t, t+8)
		t += 8
	case hasPorts:
		clip(qf, "Transmission Control Protocol, "+ports(q.SrcPort, q.DstPort), "", t, t+20)
	}
	if q.NonESPMarker {
		clip(qf, "Non-ESP marker (RFC 3948 §2.2)", "00 00 00 00", t, t+4)
		t += 4
	}
	quotedVPN(qf, q, t, clip)
	if c := q.Cut(); c != "" {
		qf.note("The quote ends before the " + c + ".")
	}
}

// quotedVPN lays out the quoted IKE, ESP, AH, keepalive or GRE header that
// begins at t of the message, as far as the quote holds it.
func quotedVPN(qf *Node, q *decode.ICMPQuote, t int, clip func(parent *Node, label, value string, s, e int) *Node) {
	switch {
	case q.Have.Has(decode.QuoteIKESPIi):
		h := clip(qf, "Internet Key Exchange header", "", t, t+decode.IKEHeaderLen)
		clip(h, "Initiator SPI", decode.IKESPI(q.IKE.SPIi).String(), t, t+8)
		if q.Have.Has(decode.QuoteIKESPIr) {
			clip(h, "Responder SPI", decode.IKESPI(q.IKE.SPIr).String(), t+8, t+16)
		}
		if q.Have.Has(decode.QuoteIKEHeader) {
			clip(h, "Version "+strconv.Itoa(int(q.IKE.Version))+", exchange "+q.IKE.Exchange.String()+
				", message ID "+strconv.FormatUint(uint64(q.IKE.MessageID), 10), "", t+17, t+24)
		}
	case q.Have.Has(decode.QuoteSPI):
		name, at := "Encapsulating Security Payload", t
		if q.Kind == decode.KindAH {
			name, at = "Authentication Header", t+4
		}
		h := clip(qf, name, "", t, at+8)
		clip(h, "SPI", decode.SPI(q.ESP.SPI).String(), at, at+4)
		if q.Have.Has(decode.QuoteSeq) {
			clip(h, "Sequence number", strconv.FormatUint(uint64(q.ESP.Seq), 10), at+4, at+8)
		}
	case q.Kind == decode.KindNATKeepalive:
		clip(qf, "NAT-T keepalive (RFC 3948 §2.3)", "ff", t, t+1)
	case q.Have.Has(decode.QuoteGRE):
		g := q.GRE
		h := clip(qf, "Generic Routing Encapsulation, version "+strconv.Itoa(int(g.Version)), "", t, t+4)
		h.field("Protocol", etherTypeName(g.Protocol))
		if q.Have.Has(decode.QuoteGREKey) {
			if g.Version == 1 {
				h.field("Key", "payload length "+strconv.Itoa(int(g.PayloadLen))+", call ID "+decode.CallIDString(g.CallID))
			} else {
				h.field("Key", strconv.FormatUint(uint64(g.Key), 10))
			}
		}
		if q.Have.Has(decode.QuoteGRESeq) {
			h.field("Sequence number", strconv.FormatUint(uint64(g.Seq), 10))
		}
		if q.Have.Has(decode.QuoteGREAck) {
			h.field("Acknowledgment number", strconv.FormatUint(uint64(g.Ack), 10))
		}
	}
}
