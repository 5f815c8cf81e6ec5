package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
)

// This file decodes IPv4 and IPv6 headers with the IPv6 extension header
// chain, AH, IP-in-IP nesting and IP fragments, and dispatches on the
// transport protocol.

// The faults of frames whose IP layer cannot be decoded. The decoding
// functions return pointers to them, so that a frame that decodes passes
// a nil pointer up the chain; nothing changes them.
var (
	faultShortIPv4         = &Fault{Kind: FaultTruncated, Layer: "ipv4", Offset: 0, Message: "truncated ipv4 header"}
	faultIPv4Version       = &Fault{Kind: FaultInvalid, Layer: "ipv4", Offset: 0, Message: "ipv4: version is not 4"}
	faultIPv4HeaderLen     = &Fault{Kind: FaultInvalid, Layer: "ipv4", Offset: 0, Message: "ipv4: header length < 20"}
	faultIPv4TotalLen      = &Fault{Kind: FaultInvalid, Layer: "ipv4", Offset: 2, Message: "ipv4: total length < header length"}
	faultShortIPv6         = &Fault{Kind: FaultTruncated, Layer: "ipv6", Offset: 0, Message: "truncated ipv6 header"}
	faultIPv6Version       = &Fault{Kind: FaultInvalid, Layer: "ipv6", Offset: 0, Message: "ipv6: version is not 6"}
	faultIPv6ExtHeaders    = &Fault{Kind: FaultLimit, Layer: "ipv6", Offset: -1, Message: "ipv6: more than 16 extension headers"}
	faultShortIPv6Ext      = &Fault{Kind: FaultTruncated, Layer: "ipv6", Offset: -1, Message: "truncated ipv6 extension header"}
	faultShortIPv6Fragment = &Fault{Kind: FaultTruncated, Layer: "ipv6", Offset: -1, Message: "truncated ipv6 fragment header"}
	faultIPNesting         = &Fault{Kind: FaultLimit, Layer: "ip", Offset: -1, Message: "ip: tunnels nested more than 4 deep"}
)

// decodeIPv4 decodes an IPv4 header (RFC 791 §3.1) and what it carries,
// reassembling fragments. The header is read here rather than with
// gopacket's IPv4 layer, which rejects the whole datagram for a malformed
// option: options matter to no VPN protocol, and Wireshark decodes such a
// datagram (tcpdump/isakmpv1-attr-oobr.pcap of the public corpus).
func (d *Decoder) decodeIPv4(b []byte, depth int) *Fault {
	if len(b) < 20 {
		return faultShortIPv4
	}
	if b[0]>>4 != 4 {
		return faultIPv4Version
	}
	ihl := int(b[0]&0x0F) * 4
	if ihl < 20 {
		return faultIPv4HeaderLen
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total == 0 {
		// Captured before TCP segmentation offload split the packet: the
		// length field is not filled in yet. Trust the captured length.
		total = len(b)
	}
	if total < ihl {
		return faultIPv4TotalLen
	}
	if len(b) < ihl {
		return faultShortIPv4
	}
	if d.ipBytes == nil {
		d.ipBytes = b[:min(total, len(b))]
	}
	payload := b[ihl:min(total, len(b))]
	id := binary.BigEndian.Uint16(b[4:])
	flagsFrag := binary.BigEndian.Uint16(b[6:])
	proto := b[9]
	d.cur.Src = netip.AddrFrom4([4]byte(b[12:16]))
	d.cur.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	d.cur.IPv6 = false
	d.cur.IPID = uint32(id)
	d.cur.TTL = b[8]
	d.cur.Proto = proto
	if d.skip(depth, proto == ProtoICMP) {
		return nil
	}
	more, off := flagsFrag&0x2000 != 0, int(flagsFrag&0x1FFF)*8
	if more || off != 0 {
		d.fragment(fragKey{src: d.cur.Src, dst: d.cur.Dst, id: uint32(id), proto: proto},
			proto, payload, total-ihl, off, more, depth)
		return nil
	}
	return d.decodeTransport(proto, payload, total-ihl, depth)
}

// decodeIPv6 decodes an IPv6 header (RFC 8200 §3). The fixed header is
// read here rather than with gopacket's IPv6 layer because that layer
// decodes Hop-by-Hop options into heap-allocated values, and the per-packet
// path must not allocate; extension headers are walked by walkIPv6.
func (d *Decoder) decodeIPv6(b []byte, depth int) *Fault {
	if len(b) < 40 {
		return faultShortIPv6
	}
	if b[0]>>4 != 6 {
		return faultIPv6Version
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	if d.ipBytes == nil {
		d.ipBytes = b
		if plen > 0 && 40+plen < len(b) {
			d.ipBytes = b[:40+plen]
		}
	}
	d.cur.Src = netip.AddrFrom16([16]byte(b[8:24]))
	d.cur.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	d.cur.IPv6 = true
	d.cur.IPID = 0
	d.cur.TTL = b[7]
	payload := b[40:]
	wire := plen
	if plen == 0 {
		// A jumbogram (RFC 2675) or a segmentation-offload capture: trust
		// the captured length.
		wire = len(payload)
	} else if plen < len(payload) {
		payload = payload[:plen]
	}
	// ICMPv6 errors come without extension headers (RFC 4443 §2.4 lets a
	// router's error be as short as it can).
	if d.skip(depth, b[6] == ProtoICMPv6) {
		return nil
	}
	return d.walkIPv6(b[6], payload, wire, depth)
}

// skip reports whether Options.Only refuses the current IP packet, an
// outer one (depth 0, not inside a tunnel) between addresses it does not
// accept and not ICMP, and notes it.
func (d *Decoder) skip(depth int, icmp bool) bool {
	if d.opts.Only == nil || depth > 0 || icmp || d.opts.Only(d.cur.Src, d.cur.Dst) {
		return false
	}
	d.curSkipped = true
	return true
}

// walkIPv6 walks the IPv6 extension headers from next header nh (RFC 8200
// §4): Hop-by-Hop, Routing, Destination Options, Mobility, HIP and Shim6
// are skipped by their length field, a Fragment header starts reassembly,
// and the first other header is the transport.
func (d *Decoder) walkIPv6(nh uint8, b []byte, wire, depth int) *Fault {
	for i := 0; ; i++ {
		switch nh {
		case 0, 43, 60, 135, 139, 140:
			if i == maxIPv6ExtHdrs {
				return faultIPv6ExtHeaders
			}
			if len(b) < 2 {
				return faultShortIPv6Ext
			}
			n := (int(b[1]) + 1) * 8
			if len(b) < n {
				return faultShortIPv6Ext
			}
			nh, b, wire = b[0], b[n:], wire-n
		case 44:
			if err := d.ip6frg.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
				return faultShortIPv6Fragment
			}
			f := &d.ip6frg
			d.cur.IPID = f.Identification
			offset, more := int(f.FragmentOffset)*8, f.MoreFragments
			if offset == 0 && !more {
				// An atomic fragment (RFC 6946): a whole datagram.
				nh, b, wire = uint8(f.NextHeader), f.Payload, wire-8
				continue
			}
			d.cur.Proto = uint8(f.NextHeader)
			d.fragment(fragKey{src: d.cur.Src, dst: d.cur.Dst, id: f.Identification, v6: true},
				uint8(f.NextHeader), f.Payload, wire-8, offset, more, depth)
			return nil
		default:
			return d.decodeTransport(nh, b, wire, depth)
		}
	}
}

// decodeTransport decodes the payload b of IP protocol proto; wire is its
// length on the wire (b may be shorter when the capture was truncated).
func (d *Decoder) decodeTransport(proto uint8, b []byte, wire, depth int) *Fault {
	d.cur.Proto = proto
	switch proto {
	case 6:
		d.decodeTCP(b, wire)
	case 17:
		d.decodeUDP(b, wire)
	case 1, 58:
		d.decodeICMP(b, wire, proto == 58)
	case 47:
		d.decodeGRE(b, wire)
	case 50:
		d.decodeESP(b, wire, KindESP)
	case 51:
		return d.decodeAH(b, wire, depth)
	case 4, 41:
		if depth+1 >= maxIPDepth {
			return faultIPNesting
		}
		if proto == 4 {
			return d.decodeIPv4(b, depth+1)
		}
		return d.decodeIPv6(b, depth+1)
	default:
		d.other(b, wire)
	}
	return nil
}

// decodeAH decodes an AH header and reports it; then it decodes what AH
// protects and reports that too when it is VPN traffic. tshark shows such a
// frame as both protocols ("ah:esp"), and rules need both: AH to tell that
// it cannot cross a NAT (RFC 3715 §2.1), the ESP SPI and sequence number to
// follow the SA. What AH protects that is not VPN traffic is not reported
// separately.
func (d *Decoder) decodeAH(b []byte, wire, depth int) *Fault {
	d.setOpaquePayload(b, wire)
	if err := d.ah.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.malformed(faultOf("ah", err))
		return nil
	}
	d.cur.AH = ESPInfo{SPI: d.ah.SPI, Seq: d.ah.Seq}
	d.emitCur(KindAH)
	if d.afterAH {
		return nil // AH behind AH: report the outer one only
	}
	next, inner, hl := uint8(d.ah.NextHeader), d.ah.Payload, d.ah.HeaderLen
	d.cur.AH, d.cur.PayloadLen, d.cur.PayloadHash = ESPInfo{}, 0, 0
	d.afterAH = true
	var r *Fault
	if d.cur.IPv6 {
		r = d.walkIPv6(next, inner, wire-hl, depth)
	} else {
		r = d.decodeTransport(next, inner, wire-hl, depth)
	}
	d.afterAH = false
	if r != nil {
		// The AH packet was reported; what it protects could not be
		// decoded, and the frame is accounted for by the AH packet.
		d.malformed(*r)
	}
	return nil
}

// fragment reports an IP fragment as KindIPFragment and adds it to
// reassembly; a datagram it completes is decoded and reported too. proto
// is the IPv4 protocol or the IPv6 next header after the fragment header,
// b the fragment's data (wire octets on the wire) at octet offset off.
func (d *Decoder) fragment(key fragKey, proto uint8, b []byte, wire, off int, more bool, depth int) {
	base := d.cur
	d.cur.Fragment = Fragment{ID: key.id, Offset: off, More: more}
	// Hash what a NAT leaves alone: in the first fragment, skip the
	// transport header, whose ports and checksum it rewrites.
	h, hn := b, wire
	if off == 0 {
		var sp, dp uint16
		var hl int
		switch proto {
		case 17:
			if len(b) >= 8 {
				hl = 8
			}
		case 6:
			if len(b) >= 20 && int(b[12]>>4)*4 <= len(b) {
				hl = int(b[12]>>4) * 4
			}
		}
		if hl > 0 {
			sp, dp = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
			h, hn = b[hl:], wire-hl
		}
		d.cur.SrcPort, d.cur.DstPort = sp, dp
	}
	d.setOpaquePayload(h, hn)
	d.emitCur(KindIPFragment)
	if depth == 0 && d.checkCopy() {
		// The same fragment captured twice: given to reassembly again it
		// would count twice, or start a datagram that never completes.
		return
	}

	st := d.frags.add(d, key, proto, b, wire, off, more)
	if st == nil {
		return
	}
	// The datagram is complete: decode it at this frame, as Wireshark
	// reports a reassembled datagram at its last fragment.
	d.stats.Reassembled++
	d.cur = base
	d.cur.FirstFrame = st.firstFrame
	d.cur.Fragments = st.count
	data := st.data[:st.total]
	var r *Fault
	if key.v6 {
		r = d.walkIPv6(st.proto, data, len(data), depth)
	} else {
		r = d.decodeTransport(proto, data, len(data), depth)
	}
	if r != nil {
		d.malformed(newFault(r.Kind, "ip", -1, "ip: reassembled datagram: "+r.Message))
	}
	d.frags.release(st)
}
