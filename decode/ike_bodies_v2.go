package decode

import "encoding/binary"

// This file decodes the bodies of IKEv2 payloads (RFC 7296 §3, RFC 7383)
// into an IKEMessage.

// payloadV2 decodes the current payload of an IKEv2 message into the
// message: one case per payload type of RFC 7296 §3 (and RFC 7383), kept
// in one switch so that it reads as the registry does; the longer bodies
// have methods of their own.
func (p *messageParser) payloadV2(it *PayloadIter) {
	m := p.m
	b := it.Body()
	switch it.Type() {
	case PayloadTypeSA:
		if !p.sawSA {
			p.sawSA = true
			p.proposals(it, 0)
		}
	case PayloadTypeKE:
		// Diffie-Hellman Group Num (2), RESERVED (2), data (RFC 7296 §3.4).
		if p.need(it, 4) && m.KE == nil {
			m.KE = &KeyExchange{Group: binary.BigEndian.Uint16(b[0:2]), Length: len(b) - 4}
		}
	case PayloadTypeIDi, PayloadTypeIDr:
		// ID Type, RESERVED (3), data (RFC 7296 §3.5).
		if p.need(it, 4) {
			m.IDs = append(m.IDs, Identification{Type: it.Type(), IDType: b[0], Data: p.own(b[4:])})
		}
	case PayloadTypeCert:
		if p.need(it, 1) {
			m.Certs = append(m.Certs, CertInfo{Encoding: b[0], Length: len(b) - 1})
		}
	case PayloadTypeCertReq:
		if p.need(it, 1) {
			m.CertReqs++
		}
	case PayloadTypeAuth:
		// Auth Method, RESERVED (3), data (RFC 7296 §3.8).
		if p.need(it, 4) && m.AuthMethod == 0 {
			m.AuthMethod = b[0]
		}
	case PayloadTypeNonce:
		if m.Nonce == nil {
			m.Nonce = p.own(b)
		}
	case PayloadTypeNotify:
		if p.need(it, 4) {
			p.notifyV2(it)
		}
	case PayloadTypeDelete:
		// Protocol ID, SPI Size, Num of SPIs (2), SPIs (RFC 7296 §3.11).
		if p.need(it, 4) {
			p.delete(it, 0)
		}
	case PayloadTypeVendorID:
		m.VendorIDs = append(m.VendorIDs, VendorID{Data: p.own(b), Name: VendorIDName(b)})
	case PayloadTypeTSi, PayloadTypeTSr:
		p.trafficSelectors(it)
	case PayloadTypeSK:
		m.Encrypted = true
		m.EncryptedFirst = it.NextType()
	case PayloadTypeSKF:
		// Fragment Number (2), Total Fragments (2), then the encrypted
		// fragment (RFC 7383 §2.5).
		m.Encrypted = true
		m.EncryptedFirst = it.NextType()
		if p.need(it, 4) {
			num, total := binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
			m.Fragment = &FragmentInfo{Number: num, Total: total, Last: num == total}
		}
	case PayloadTypeCP:
		// CFG Type, RESERVED (3), attributes (RFC 7296 §3.15).
		if !p.need(it, 4) || m.Config != nil {
			return
		}
		m.Config = &Config{Type: b[0]}
		p.configV2(it, 4)
	case PayloadTypeEAP:
		// Code, Identifier, Length (2), Type for requests and responses
		// (RFC 3748 §4).
		if !p.need(it, 4) || m.EAP != nil {
			return
		}
		e := &EAPMessage{Code: b[0], Identifier: b[1], Length: binary.BigEndian.Uint16(b[2:4])}
		if (e.Code == 1 || e.Code == 2) && len(b) > 4 {
			e.Type = b[4]
		}
		m.EAP = e
	}
}

// notifyV2 decodes an IKEv2 Notify payload: Protocol ID, SPI Size, Notify
// Message Type (2), SPI, data (RFC 7296 §3.10). The NAT_DETECTION notifies
// are NAT-D hashes too (RFC 7296 §2.23). The body holds at least 4 octets.
func (p *messageParser) notifyV2(it *PayloadIter) {
	m, b := p.m, it.Body()
	spiSize := int(b[1])
	if 4+spiSize > len(b) {
		p.fail(bodyError(it, 1, "SPI size %d > %d remaining", spiSize, len(b)-4))
		return
	}
	n := Notify{Protocol: ProtocolID(b[0]), SPI: p.own(b[4 : 4+spiSize]),
		Type: NotifyType(binary.BigEndian.Uint16(b[2:4])), Data: p.own(b[4+spiSize:])}
	m.Notifies = append(m.Notifies, n)
	switch n.Type {
	case NotifyTypeNATDetectionSourceIP:
		m.NATD = append(m.NATD, NATD{Kind: NATDSource, PayloadType: PayloadTypeNotify, Hash: n.Data})
	case NotifyTypeNATDetectionDestinationIP:
		m.NATD = append(m.NATD, NATD{Kind: NATDDestination, PayloadType: PayloadTypeNotify, Hash: n.Data})
	}
}

// trafficSelectors decodes a TSi or TSr payload (RFC 7296 §3.13): Number of
// TSs, RESERVED (3), then selectors of TS Type, IP Protocol ID, Selector
// Length (2), Start Port, End Port, and two addresses.
func (p *messageParser) trafficSelectors(it *PayloadIter) {
	b := it.Body()
	if !p.need(it, 4) {
		return
	}
	count := int(b[0])
	initiator := it.Type() == PayloadTypeTSi
	off, n := 4, 0
	for off < len(b) {
		if len(b)-off < 8 {
			p.fail(bodyError(it, off, "traffic selector needs 8 bytes, %d remaining", len(b)-off))
			return
		}
		length := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if length < 8 || length > len(b)-off {
			p.fail(bodyError(it, off, "traffic selector length %d outside 8..%d", length, len(b)-off))
			return
		}
		ts := TrafficSelector{Initiator: initiator, Type: b[off], Protocol: b[off+1],
			StartPort: binary.BigEndian.Uint16(b[off+4 : off+6]), EndPort: binary.BigEndian.Uint16(b[off+6 : off+8])}
		addrs := b[off+8 : off+length]
		switch ts.Type {
		case tsIPv4AddrRange, tsIPv6AddrRange:
			want := 8
			if ts.Type == tsIPv6AddrRange {
				want = 32
			}
			if len(addrs) != want {
				p.fail(bodyError(it, off+2, "traffic selector type %d length %d, want %d", ts.Type, length, 8+want))
				return
			}
			ts.Start = p.own(addrs[:want/2])
			ts.End = p.own(addrs[want/2:])
		}
		p.m.TS = append(p.m.TS, ts)
		n++
		off += length
	}
	if n != count {
		p.fail(bodyError(it, 0, "payload announces %d traffic selectors, holds %d", count, n))
	}
}

// Traffic selector types (RFC 7296 §3.13.1).
const (
	tsIPv4AddrRange = 7
	tsIPv6AddrRange = 8
)

// configV2 decodes IKEv2 configuration attributes (RFC 7296 §3.15.1): a
// reserved bit and a 15-bit type, a 16-bit length, the value.
func (p *messageParser) configV2(it *PayloadIter, off int) {
	b := it.Body()
	for off < len(b) {
		if len(b)-off < 4 {
			p.fail(bodyError(it, off, "attribute needs 4 bytes, %d remaining", len(b)-off))
			return
		}
		typ := binary.BigEndian.Uint16(b[off:off+2]) & 0x7fff
		n := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if n > len(b)-off-4 {
			p.fail(bodyError(it, off, "attribute %d length %d > %d remaining", typ, n, len(b)-off-4))
			return
		}
		p.m.Config.Attributes = append(p.m.Config.Attributes, ConfigAttribute{Type: typ, Length: n, Value: p.own(b[off+4 : off+4+n])})
		off += 4 + n
	}
}
