package decode

import (
	"encoding/binary"
	"fmt"
)

// This file decodes the bodies of IKEv1 payloads (RFC 2408 §3, RFC 2407,
// the NAT-T and Mode Config drafts) into an IKEMessage.

// Payload 15 in IKEv1. RFC 6407 (GDOI) assigns 15 to the SA KEK payload, and
// Wireshark decodes it so. Cisco IOS, however, sent its pre-RFC 3947 NAT-D
// (drafts 04 to 08 of draft-ietf-ipsec-nat-t-ike) as payload 15 and NAT-OA as
// 16: the public capture ISAKMP_sa_setup.pcap (tcpdump's test suite) has two
// payload-15 bodies in each of MM3 and MM4, after the peers agreed on draft
// 07, and they are the SHA-1 NAT-D hashes of the destination and the source.
// GDOI sends its KEK only in its own exchanges (GROUPKEY-PULL and -PUSH), never
// in a Main or Aggressive Mode, so there vpnpcap reads 15 as that draft NAT-D
// and 16 as its NAT-OA, and verifies the hashes; elsewhere payload 15 is only
// listed. The NAT-D of RFC 3947 (20) and of drafts 01 to 03 (130) are read
// and verified in every exchange.

// payloadV1 decodes the current payload of an IKEv1 message into the
// message: one case per payload type of RFC 2408 §3 (and of the NAT-T and
// Mode Config drafts), kept in one switch so that it reads as the
// registry does; the longer bodies have methods of their own.
func (p *messageParser) payloadV1(it *PayloadIter) {
	m := p.m
	b := it.Body()
	switch it.Type() {
	case PayloadTypeV1SA:
		if p.need(it, 8) && !p.sawSA {
			p.saV1(it)
		}
	case PayloadTypeV1KE:
		if m.KE == nil {
			m.KE = &KeyExchange{Length: len(b)}
		}
	case PayloadTypeV1ID:
		if !p.need(it, 4) {
			return
		}
		m.IDs = append(m.IDs, Identification{Type: it.Type(), IDType: b[0], Protocol: b[1],
			Port: binary.BigEndian.Uint16(b[2:4]), Data: p.own(b[4:])})
	case PayloadTypeV1Cert:
		if p.need(it, 1) {
			m.Certs = append(m.Certs, CertInfo{Encoding: b[0], Length: len(b) - 1})
		}
	case PayloadTypeV1CR:
		if p.need(it, 1) {
			m.CertReqs++
		}
	case PayloadTypeV1Nonce:
		if m.Nonce == nil {
			m.Nonce = p.own(b)
		}
	case PayloadTypeV1Notification:
		if p.need(it, 8) {
			p.notifyV1(it)
		}
	case PayloadTypeV1Delete:
		// DOI (4), Protocol-ID, SPI Size, # of SPIs (2), SPIs (RFC 2408 §3.15).
		if p.need(it, 8) {
			p.delete(it, 4)
		}
	case PayloadTypeV1VendorID:
		m.VendorIDs = append(m.VendorIDs, VendorID{Data: p.own(b), Name: VendorIDName(b)})
	case PayloadTypeV1Attributes:
		// Type, RESERVED, Identifier (2), attributes in the data attribute
		// format (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2).
		if !p.need(it, 4) || m.Config != nil {
			return
		}
		m.Config = &Config{Type: b[0], Identifier: binary.BigEndian.Uint16(b[2:4])}
		p.configV1(it, 4)
	case PayloadTypeV1NATD, PayloadTypeV1NATDDraft, payloadTypeV1NATDCisco:
		if it.Type() == payloadTypeV1NATDCisco && !phase1Exchange(m.Exchange) {
			return
		}
		// RFC 3947 §3.2: the first NAT-D is the hash of the receiver's
		// address and port, the following ones of the sender's.
		kind := NATDSource
		if p.natdSeen == 0 {
			kind = NATDDestination
		}
		p.natdSeen++
		m.NATD = append(m.NATD, NATD{Kind: kind, PayloadType: it.Type(), Hash: p.own(b)})
	case PayloadTypeV1NATOA, PayloadTypeV1NATOADraft, payloadTypeV1NATOACisco:
		if it.Type() == payloadTypeV1NATOACisco && !phase1Exchange(m.Exchange) {
			return
		}
		// ID Type, RESERVED (3), address (RFC 3947 §5.2).
		if p.need(it, 4) {
			m.NATOA = append(m.NATOA, NATOA{PayloadType: it.Type(), IDType: b[0], Addr: p.own(b[4:])})
		}
	case PayloadTypeV1CiscoFragment:
		// Fragment ID (2), fragment number, flags (bit 0: last fragment).
		if p.need(it, 4) && m.Fragment == nil {
			m.Fragment = &FragmentInfo{ID: binary.BigEndian.Uint16(b[0:2]), Number: uint16(b[2]), Last: b[3]&1 != 0}
		}
	}
	// Hash, Signature, payload 15 (see above), the GDOI payloads and
	// private or unknown types are listed in Payloads only.
}

// saV1 decodes the first SA payload of an IKEv1 message: DOI (4),
// Situation (4), the Labeled Domain Identifier and labels where the
// situation has them, then the proposals (RFC 2408 §3.4, RFC 2407 §4.6.1).
// The body holds at least 8 octets.
func (p *messageParser) saV1(it *PayloadIter) {
	m, b := p.m, it.Body()
	p.sawSA = true
	m.DOI = binary.BigEndian.Uint32(b[0:4])
	m.Situation = binary.BigEndian.Uint32(b[4:8])
	off := 8
	if m.DOI == 1 && m.Situation&(sitSecrecy|sitIntegrity) != 0 {
		var err error
		if off, err = skipLabeledDomain(b, off, m.Situation); err != nil {
			p.fail(bodyError(it, off, "%v", err))
			return
		}
	}
	p.proposals(it, off)
}

// notifyV1 decodes an IKEv1 Notification payload: DOI (4), Protocol-ID,
// SPI Size, Notify Message Type (2), SPI, data (RFC 2408 §3.14). The body
// holds at least 8 octets.
func (p *messageParser) notifyV1(it *PayloadIter) {
	b := it.Body()
	spiSize := int(b[5])
	if 8+spiSize > len(b) {
		p.fail(bodyError(it, 5, "SPI size %d > %d remaining", spiSize, len(b)-8))
		return
	}
	p.m.Notifies = append(p.m.Notifies, Notify{Protocol: ProtocolID(b[4]), SPI: p.own(b[8 : 8+spiSize]),
		Type: NotifyType(binary.BigEndian.Uint16(b[6:8])), Data: p.own(b[8+spiSize:])})
}

// The payload numbers Cisco's draft 04–08 NAT-T used before RFC 3947 (see
// above); valid only in Main and Aggressive Mode.
const (
	payloadTypeV1NATDCisco  PayloadType = 15
	payloadTypeV1NATOACisco PayloadType = 16
)

func phase1Exchange(e ExchangeType) bool {
	return e == ExchangeTypeIdentityProtection || e == ExchangeTypeAggressive
}

// configV1 decodes IKEv1 Mode Config attributes, which use the ISAKMP data
// attribute format (RFC 2408 §3.3), leaving out the values of XAUTH secrets.
func (p *messageParser) configV1(it *PayloadIter, off int) {
	b := it.Body()
	for off < len(b) {
		if len(b)-off < 4 {
			p.fail(bodyError(it, off, "attribute needs 4 bytes, %d remaining", len(b)-off))
			return
		}
		typ := binary.BigEndian.Uint16(b[off : off+2])
		var val []byte
		next := off + 4
		if typ&0x8000 != 0 {
			typ &= 0x7fff
			val = b[off+2 : off+4]
		} else {
			n := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
			if n > len(b)-off-4 {
				p.fail(bodyError(it, off, "attribute %d length %d > %d remaining", typ, n, len(b)-off-4))
				return
			}
			val = b[off+4 : off+4+n]
			next += n
		}
		a := ConfigAttribute{Type: typ, Length: len(val)}
		if !xauthSecret(typ) {
			a.Value = p.own(val)
		}
		p.m.Config.Attributes = append(p.m.Config.Attributes, a)
		off = next
	}
}

// xauthSecret reports whether an IKEv1 configuration attribute carries a
// secret that vpnpcap must not copy out of a capture: XAUTH_USER_PASSWORD,
// XAUTH_PASSCODE, XAUTH_ANSWER (draft-beaulieu-ike-xauth-02 §6.1).
func xauthSecret(t uint16) bool { return t == 16522 || t == 16523 || t == 16529 }

// IPsec DOI situation bits (RFC 2407 §4.2).
const (
	sitSecrecy   = 0x02
	sitIntegrity = 0x04
)

// skipLabeledDomain skips the Labeled Domain Identifier and the secrecy and
// integrity level and category fields that follow the situation when
// SIT_SECRECY or SIT_INTEGRITY is set (RFC 2407 §4.6.1), returning the offset
// of the first proposal.
func skipLabeledDomain(b []byte, off int, situation uint32) (int, error) {
	if len(b)-off < 4 {
		return off, fmt.Errorf("labeled domain identifier needs 4 bytes, %d remaining", len(b)-off)
	}
	off += 4
	// Each present field is a 16-bit length (in octets for levels, in bits
	// for category bitmaps), 16 reserved bits, and the data padded to four
	// octets.
	field := func(bits bool) error {
		if len(b)-off < 4 {
			return fmt.Errorf("labeled domain field needs 4 bytes, %d remaining", len(b)-off)
		}
		n := int(binary.BigEndian.Uint16(b[off : off+2]))
		if bits {
			n = (n + 7) / 8
		}
		n = (n + 3) &^ 3
		if n > len(b)-off-4 {
			return fmt.Errorf("labeled domain field length %d > %d remaining", n, len(b)-off-4)
		}
		off += 4 + n
		return nil
	}
	for _, set := range []uint32{sitSecrecy, sitIntegrity} {
		if situation&set == 0 {
			continue
		}
		if err := field(false); err != nil {
			return off, err
		}
		if err := field(true); err != nil {
			return off, err
		}
	}
	return off, nil
}
