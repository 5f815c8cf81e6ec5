package decode

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// This file decodes the link layer of a frame: Ethernet with its VLAN tags,
// Linux cooked captures, loopback, raw IP, PPP and PPPoE, down to the IP
// header that decodeIPv4 and decodeIPv6 read.

// The faults of frames whose link layer cannot be decoded. The decoding
// functions return pointers to them, so that a frame that decodes passes
// a nil pointer up the chain; nothing changes them.
var (
	faultEmptyFrame     = &Fault{Kind: FaultTruncated, Layer: "frame", Offset: 0, Message: "empty frame"}
	faultShortEthernet  = &Fault{Kind: FaultTruncated, Layer: "ethernet", Offset: 0, Message: "truncated ethernet header"}
	faultShortSLL       = &Fault{Kind: FaultTruncated, Layer: "linux sll", Offset: 0, Message: "truncated linux sll header"}
	faultSLLAddrLen     = &Fault{Kind: FaultInvalid, Layer: "linux sll", Offset: 4, Message: "linux sll: bad address length"}
	faultShortSLL2      = &Fault{Kind: FaultTruncated, Layer: "linux sll2", Offset: 0, Message: "truncated linux sll2 header"}
	faultSLL2AddrLen    = &Fault{Kind: FaultInvalid, Layer: "linux sll2", Offset: 11, Message: "linux sll2: bad address length"}
	faultRawIPVersion   = &Fault{Kind: FaultInvalid, Layer: "raw ip", Offset: 0, Message: "raw ip: version is not 4 or 6"}
	faultShortLoopback  = &Fault{Kind: FaultTruncated, Layer: "null/loopback", Offset: 0, Message: "truncated null/loopback header"}
	faultLoopbackFamily = &Fault{Kind: FaultUnsupported, Layer: "null/loopback", Offset: 0, Message: "null/loopback: bad address family"}
	faultVLANTags       = &Fault{Kind: FaultLimit, Layer: "802.1q", Offset: -1, Message: "more than 8 vlan tags"}
	faultShortVLAN      = &Fault{Kind: FaultTruncated, Layer: "802.1q", Offset: 0, Message: "truncated 802.1q tag"}
	faultShortPPPoE     = &Fault{Kind: FaultTruncated, Layer: "pppoe", Offset: 0, Message: "truncated pppoe header"}
	faultShortPPP       = &Fault{Kind: FaultTruncated, Layer: "ppp", Offset: 0, Message: "truncated ppp header"}
)

// decodeLink decodes the link layer and what it carries. It returns the
// fault when the frame cannot be decoded at all, else nil.
func (d *Decoder) decodeLink(data []byte, lt layers.LinkType) *Fault {
	if len(data) == 0 {
		return faultEmptyFrame
	}
	switch lt {
	case layers.LinkTypeEthernet:
		if len(data) < 14 {
			return faultShortEthernet
		}
		// An EtherType (≥ 0x0600, IEEE 802.3 §3.2.6) is read in place, as
		// gopacket's Ethernet layer reads it, without filling in the
		// layer's fields for every frame; an 802.3 length goes through
		// the layer, which trims the payload to it.
		if et := layers.EthernetType(binary.BigEndian.Uint16(data[12:])); et >= 0x0600 {
			return d.decodeEtherType(et, data[14:])
		}
		if err := d.eth.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			return faultShortEthernet
		}
		return d.decodeEtherType(d.eth.EthernetType, d.eth.Payload)
	case layers.LinkTypeLinuxSLL:
		if err := d.sll.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			if len(data) < 16 {
				return faultShortSLL
			}
			return faultSLLAddrLen
		}
		return d.decodeEtherType(d.sll.EthernetType, d.sll.Payload)
	case LinkTypeLinuxSLL2:
		if err := d.sll2.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			if len(data) < 20 {
				return faultShortSLL2
			}
			return faultSLL2AddrLen
		}
		return d.decodeEtherType(d.sll2.ProtocolType, d.sll2.Payload)
	case layers.LinkTypeRaw, LinkTypeRawDLT12, LinkTypeRawDLT14:
		switch data[0] >> 4 {
		case 4:
			return d.decodeIPv4(data, 0)
		case 6:
			return d.decodeIPv6(data, 0)
		}
		return faultRawIPVersion
	case LinkTypeIPv4:
		return d.decodeIPv4(data, 0)
	case LinkTypeIPv6:
		return d.decodeIPv6(data, 0)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if err := d.loop.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			if len(data) < 4 {
				return faultShortLoopback
			}
			return faultLoopbackFamily
		}
		switch d.loop.Family {
		case 2:
			return d.decodeIPv4(d.loop.Payload, 0)
		case 24, 28, 30: // AF_INET6 of NetBSD/OpenBSD, FreeBSD, Darwin
			return d.decodeIPv6(d.loop.Payload, 0)
		}
		d.other(nil, 0)
		return nil
	case layers.LinkTypePPP, LinkTypePPPHDLC:
		return d.decodePPP(data)
	}
	if f, ok := d.unknownLinks[lt]; ok {
		return f
	}
	f := &Fault{Kind: FaultUnsupported, Layer: "link", Offset: -1, Message: "unknown link type " + itoa(int(lt))}
	d.unknownLinks[lt] = f
	return f
}

// Link types that gopacket does not name (LINKTYPE_ values of
// tcpdump.org/linktypes.html).
const (
	LinkTypeRawDLT12   layers.LinkType = 12  // DLT_RAW on most BSDs
	LinkTypeRawDLT14   layers.LinkType = 14  // DLT_RAW on OpenBSD
	LinkTypePPPHDLC    layers.LinkType = 50  // PPP in HDLC-like framing
	LinkTypeIPv4       layers.LinkType = 228 // raw IPv4
	LinkTypeIPv6       layers.LinkType = 229 // raw IPv6
	LinkTypeLinuxSLL2  layers.LinkType = 276 // Linux cooked capture v2
	etherTypeVLAN9100                  = 0x9100
	etherTypePPPoESess                 = 0x8864
)

// decodeEtherType decodes what an EtherType says follows: VLAN tags
// (802.1Q, 802.1ad QinQ and the older 0x9100), IPv4, IPv6 or a PPPoE
// session. Anything else is not IP and is KindOther.
func (d *Decoder) decodeEtherType(et layers.EthernetType, b []byte) *Fault {
	for tags := 0; et == layers.EthernetTypeDot1Q || et == layers.EthernetTypeQinQ || et == etherTypeVLAN9100; tags++ {
		if tags == maxVLANTags {
			return faultVLANTags
		}
		if err := d.vlan.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
			return faultShortVLAN
		}
		et, b = d.vlan.Type, d.vlan.Payload
	}
	switch et {
	case layers.EthernetTypeIPv4:
		return d.decodeIPv4(b, 0)
	case layers.EthernetTypeIPv6:
		return d.decodeIPv6(b, 0)
	case etherTypePPPoESess:
		// RFC 2516 §4: version/type, code, session ID, length, then PPP.
		if len(b) < 6 {
			return faultShortPPPoE
		}
		return d.decodePPPProto(b[6:])
	}
	d.other(nil, 0)
	return nil
}

// decodePPP decodes a PPP frame in HDLC-like framing (RFC 1662): an
// optional address and control field, then the protocol.
func (d *Decoder) decodePPP(b []byte) *Fault {
	if len(b) >= 2 && b[0] == 0xFF && b[1] == 0x03 {
		b = b[2:]
	}
	return d.decodePPPProto(b)
}

// decodePPPProto decodes a PPP protocol field (one octet when compressed,
// RFC 1661 §6.5) and IPv4 or IPv6 after it.
func (d *Decoder) decodePPPProto(b []byte) *Fault {
	if len(b) == 0 {
		return faultShortPPP
	}
	var proto uint16
	if b[0]&1 == 1 {
		proto, b = uint16(b[0]), b[1:]
	} else {
		if len(b) < 2 {
			return faultShortPPP
		}
		proto, b = binary.BigEndian.Uint16(b), b[2:]
	}
	switch proto {
	case 0x0021:
		return d.decodeIPv4(b, 0)
	case 0x0057:
		return d.decodeIPv6(b, 0)
	}
	d.other(nil, 0)
	return nil
}
