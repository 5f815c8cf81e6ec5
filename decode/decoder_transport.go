package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
)

// This file decodes the transports that carry VPN traffic: UDP with the
// port demultiplexing of IKE, NAT-T and ESP in UDP (RFC 3948), ESP, GRE,
// TCP (handed to stream reassembly) and the ICMP errors that quote VPN
// packets.

// decodeUDP decodes a UDP header (RFC 768) and dispatches on the ports:
// the RFC 3948 demultiplexing on 4500, IKE on 500 and on Options.IKEPorts,
// GRE on 4754 (RFC 8086). The destination port decides first, because it
// names the receiving socket and so how the receiver reads the payload; a
// packet from 4500 to 500 is read as port 500 reads it.
func (d *Decoder) decodeUDP(b []byte, wire int) {
	if len(b) < 8 {
		d.malformed(newFault(FaultTruncated, "udp", 0, "udp: truncated header"))
		return
	}
	ulen := int(binary.BigEndian.Uint16(b[4:]))
	if ulen == 0 && d.cur.IPv6 {
		ulen = wire // RFC 2675 §4: jumbogram
	}
	switch {
	case ulen < 8:
		d.malformed(newFault(FaultInvalid, "udp", 4, "udp: length "+itoa(ulen)+" < 8"))
		return
	case ulen > wire:
		d.malformed(newFault(FaultInvalid, "udp", 4, "udp: length "+itoa(ulen)+" exceeds ip payload "+itoa(wire)))
		return
	}
	if err := d.udp.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.malformed(newFault(FaultTruncated, "udp", 0, "udp: truncated header"))
		return
	}
	sp, dp := uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
	d.cur.SrcPort, d.cur.DstPort = sp, dp
	payload := b[8:]
	if len(payload) > ulen-8 {
		payload = payload[:ulen-8]
	}
	n := ulen - 8
	for _, p := range [2]uint16{dp, sp} {
		switch {
		case p == PortIKENATT:
			d.udpEncap(payload, n)
			return
		case p == PortIKE:
			d.ikeOnPort500(payload, n)
			return
		case d.isIKEPort(p):
			// One of Options.IKEPorts: 4500 was taken above.
			d.ikeOnExtraPort(payload, n)
			return
		case p == PortGREInUDP:
			d.decodeGRE(payload, n)
			return
		}
	}
	d.other(payload, n)
}

// udpEncap applies the RFC 3948 §2 demultiplexing to a UDP payload on port
// 4500. An IKE header without the non-ESP marker in front is IKE all the
// same (its sender left the marker out), not ESP: it is decoded as IKE and
// marked MissingMarker, since a receiver on 4500 reads it as ESP whose SPI
// is the first four octets of the initiator's SPI (RFC 3948 §2.2) and drops
// it. An ESP packet passes for an IKE header only if its octet 17 holds
// major version 1 or 2 and its octets 24–27 happen to equal its length.
func (d *Decoder) udpEncap(b []byte, n int) {
	switch udpEncapKind(b, n) {
	case LayerTypeNonESPMarker:
		d.setPayload(b, n)
		d.cur.NonESPMarker = true
		d.ike(b[4:])
	case LayerTypeNATTKeepalive:
		d.setOpaquePayload(b, n)
		d.emitCur(KindNATKeepalive)
	case LayerTypeIKE:
		d.setPayload(b, n)
		d.cur.MissingMarker = true
		d.ike(b)
	default:
		d.setOpaquePayload(b, n)
		d.espBody(b, KindUDPESP)
	}
}

// ikeOnPort500 decodes IKE on port 500. A non-ESP marker does not belong
// there (RFC 3948 §2.2 defines it for 4500 only), but a sender that adds it
// still sends IKE: decode it, and set NonESPMarker so that rules can flag
// the mismatch. Four leading zero octets are also what an IKE header whose
// SPI starts with them looks like, so the marker is recognised only when
// the octets after it hold a consistent IKE header and the payload itself
// does not.
func (d *Decoder) ikeOnPort500(b []byte, n int) {
	d.setPayload(b, n)
	if isNonESPMarker(b) && !looksLikeIKE(b, n) && looksLikeIKE(b[4:], n-4) {
		d.cur.NonESPMarker = true
		b = b[4:]
	}
	d.ike(b)
}

// ikeOnExtraPort decodes a UDP payload on one of Options.IKEPorts: a port
// the user named as carrying IKE, whose role the port number does not tell.
// RFC 3947 §4 and RFC 3948 §2 tie the non-ESP marker and UDP-encapsulated
// ESP to the port IKE floats to, not to the number 4500; peers configured
// for other ports (strongSwan charon.port and charon.port_nat_t, a port
// forward, a NAT that translated 500 or 4500 to another port) use one port
// as 500 is used, IKE alone, and another as 4500 is used, IKE behind the
// marker beside ESP and keepalives. So the payload decides: a consistent
// IKE header is IKE without a marker, and no fault on such a port; four zero
// octets are the marker, with IKE behind it; a single 0xFF octet is a
// keepalive; anything else is ESP.
func (d *Decoder) ikeOnExtraPort(b []byte, n int) {
	switch {
	case looksLikeIKE(b, n):
		d.setPayload(b, n)
		d.ike(b)
	case isNonESPMarker(b):
		d.setPayload(b, n)
		d.cur.NonESPMarker = true
		d.ike(b[4:])
	case len(b) == 1 && b[0] == 0xFF:
		d.setOpaquePayload(b, n)
		d.emitCur(KindNATKeepalive)
	default:
		d.setOpaquePayload(b, n)
		d.espBody(b, KindUDPESP)
	}
}

// looksLikeIKE reports whether b starts with an ISAKMP/IKE header of major
// version 1 or 2 whose length field is wire, the payload's length on the
// wire (RFC 2408 §3.1, RFC 7296 §3.1); b may be cut short by the snap
// length.
func looksLikeIKE(b []byte, wire int) bool {
	if len(b) < 28 {
		return false
	}
	v := b[17] >> 4
	return (v == 1 || v == 2) && int64(binary.BigEndian.Uint32(b[24:])) == int64(max(wire, len(b)))
}

// ike parses an IKE message and emits it, verifying its NAT-D hashes
// against the captured addresses and ports.
func (d *Decoder) ike(b []byte) {
	m, err := ParseIKEMessage(b)
	d.cur.IKE = m
	if len(b) >= 16 {
		// The SPIs are left out of the hash: an ALG that rewrites them
		// (RFC 3715 §2.3) must not stop the two sightings of the message
		// from matching; the correlation then shows the rewrite.
		d.cur.PayloadHash = PayloadHash(b[16:])
	}
	if m != nil && d.dec != nil && err == nil {
		d.dec.message(m, b, d.cur.PayloadHash)
	}
	if m != nil {
		d.natd.Verify(m, netip.AddrPortFrom(d.cur.Src, d.cur.SrcPort), netip.AddrPortFrom(d.cur.Dst, d.cur.DstPort))
	}
	if err != nil {
		d.malformed(faultOf("ike", err))
		return
	}
	d.emitCur(KindIKE)
}

// decodeESP decodes ESP over IP (or in a stream) and emits it as kind k.
func (d *Decoder) decodeESP(b []byte, wire int, k Kind) {
	d.setOpaquePayload(b, wire)
	d.espBody(b, k)
}

// espBody decodes an ESP header whose payload length and hash are set.
func (d *Decoder) espBody(b []byte, k Kind) {
	if err := d.esp.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.malformed(faultOf("esp", err))
		return
	}
	d.cur.ESP = ESPInfo{SPI: d.esp.SPI, Seq: d.esp.Seq}
	if d.dec != nil && d.dec.store.HasESP() {
		d.dec.esp(&d.cur, b)
	}
	d.emitCur(k)
}

// decodeICMP decodes an ICMP (RFC 792) or ICMPv6 (RFC 4443) message. An
// error message that quotes VPN traffic is reported as KindICMPError, with
// the quote decoded; every other ICMP message is KindOther, as it was,
// without allocating. The payload hash covers what a NAT that translates
// the error leaves alone (the quoted packet after its UDP, TCP or GRE
// header), so that the error can be matched across the NAT.
func (d *Decoder) decodeICMP(b []byte, wire int, v6 bool) {
	e := &d.icmp
	if v6 != d.cur.IPv6 || e.decode(b, v6, &d.ikePorts) != icmpVPN {
		d.other(b, wire)
		return
	}
	d.cur.PayloadLen = max(wire, len(b))
	d.cur.PayloadHash = PayloadHash(e.Quote.invariant(b[8:]))
	m := new(ICMPError)
	*m = *e
	d.cur.ICMP = m
	d.emitCur(KindICMPError)
}

// decodeGRE decodes a GRE header (over IP, or in UDP on port 4754). The
// payload hash covers what follows the GRE header: a PPTP ALG rewrites the
// call ID in the key, and the payload is what survives.
func (d *Decoder) decodeGRE(b []byte, wire int) {
	if err := d.gre.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.setOpaquePayload(b, wire)
		d.malformed(faultOf("gre", err))
		return
	}
	d.setOpaquePayload(d.gre.Payload, wire-len(d.gre.Contents))
	d.cur.GRE = d.gre.Info()
	d.emitCur(KindGRE)
}

// decodeTCP decodes a TCP header (RFC 9293 §3.1). Segments of PPTP control
// connections (port 1723) and of RFC 9329 streams (port 4500 and
// Options.IKEPorts) go to stream reassembly; no other TCP is tracked.
func (d *Decoder) decodeTCP(b []byte, wire int) {
	if len(b) >= 20 {
		sp, dp := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		off := int(b[12]>>4) * 4
		if off >= 20 && off <= len(b) && sp != PortPPTP && dp != PortPPTP && !d.isIKEPort(dp) && !d.isIKEPort(sp) {
			// Other traffic, most of a busy capture's: its ports and
			// payload are all it needs, and gopacket's parsing of the
			// options (allocating for some) is spared. The checks are
			// gopacket's: a segment it refuses takes the path below.
			d.cur.SrcPort, d.cur.DstPort = sp, dp
			d.other(b[off:], wire-off)
			return
		}
	}
	if err := d.tcp.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		switch {
		case len(b) < 20:
			d.malformed(newFault(FaultTruncated, "tcp", 0, "tcp: truncated header"))
		case b[12]>>4 < 5:
			d.malformed(newFault(FaultInvalid, "tcp", 12, "tcp: data offset < 5"))
		default:
			d.malformed(newFault(FaultTruncated, "tcp", 0, "tcp: header longer than the segment"))
		}
		return
	}
	sp, dp := uint16(d.tcp.SrcPort), uint16(d.tcp.DstPort)
	d.cur.SrcPort, d.cur.DstPort = sp, dp
	n := wire - len(d.tcp.Contents)
	switch {
	case sp == PortPPTP || dp == PortPPTP:
		d.tcpStream(streamPPTP)
	case d.isIKEPort(dp) || d.isIKEPort(sp):
		d.tcpStream(streamIKE)
	default:
		d.other(d.tcp.Payload, n)
	}
}

// tcpStream hands the decoded TCP segment to stream reassembly.
func (d *Decoder) tcpStream(kind streamKind) {
	if d.streams == nil {
		d.streams = newTCPStreams(d)
	}
	if !d.streams.assemble(kind) {
		d.malformed(newFault(FaultLimit, "tcp", -1, "tcp: stream limit reached, segment not reassembled"))
		return
	}
	d.curStream = true
}
