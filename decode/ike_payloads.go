package decode

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

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

// minPayloadLen is the generic payload header's length (RFC 2408 §3.2,
// RFC 7296 §3.2): Next Payload, a reserved (IKEv2: Critical) octet, and the
// 16-bit Payload Length, which counts the header itself.
const minPayloadLen = 4

// PayloadIter walks an IKE payload chain (RFC 2408 §3.2, RFC 7296 §3.2)
// without allocating, in the manner of x/net/dns/dnsmessage's Parser:
//
//	var it decode.PayloadIter
//	it.Reset(ike.Payload, ike.NextPayload, ike.MajorVersion)
//	for it.Next() {
//		switch it.Type() { … it.Body() … }
//	}
//	if err := it.Err(); err != nil { … }
//
// Each step moves forward by the payload's length, which is at least 4, so a
// walk ends after at most len(chain)/4 payloads whatever the input says. The
// walk stops at the first structural fault, which Err reports as an [*Error]
// whose offset counts from the start of the IKE message. For IKEv2 the walk
// ends at the Encrypted (SK) or Encrypted Fragment (SKF) payload, which must
// be the last one (RFC 7296 §3.14, RFC 7383 §2.5); its NextType is the type
// of the first payload inside. The chain of an IKEv1 message with the E flag
// is ciphertext and must not be walked (see [IKE.Encrypted]).
//
// Body aliases the chain and is valid as long as the chain is.
type PayloadIter struct {
	chain   []byte
	off     int         // offset in chain of the next payload's header
	next    PayloadType // type the previous header announced for it
	version uint8

	typ       PayloadType
	nextField PayloadType
	critical  bool
	body      []byte
	start     int // offset in chain of the current payload's header

	afterEncrypted bool
	done           bool
	err            error
}

// Reset starts a walk over chain, the bytes after the IKE header, whose first
// payload has type first (the header's Next Payload). version is the IKE
// major version: it decides whether the Critical bit exists (IKEv2 only) and
// whether SK and SKF end the chain.
func (it *PayloadIter) Reset(chain []byte, first PayloadType, version uint8) {
	*it = PayloadIter{chain: chain, next: first, version: version}
}

// Next advances to the next payload and reports whether there is one. It
// returns false at the end of the chain and on an error; Err tells which.
func (it *PayloadIter) Next() bool {
	if it.done {
		return false
	}
	if it.next == PayloadTypeNone {
		it.done = true
		if rest := len(it.chain) - it.off; rest > 0 {
			what := "after the last payload"
			if it.afterEncrypted {
				what = "after the encrypted payload"
			}
			it.err = &Error{Layer: "ike", Field: "payload chain", Offset: IKEHeaderLen + it.off,
				Err: fmt.Errorf("%d bytes %s", rest, what)}
		}
		return false
	}
	rest := len(it.chain) - it.off
	if rest < minPayloadLen {
		it.done = true
		if rest == 0 {
			it.err = payloadError(it.next, it.off, "missing: the message ends before it")
		} else {
			it.err = payloadError(it.next, it.off, "header needs 4 bytes, %d remaining", rest)
		}
		return false
	}
	h := it.chain[it.off:]
	length := int(binary.BigEndian.Uint16(h[2:4]))
	if length < minPayloadLen {
		it.done = true
		it.err = payloadError(it.next, it.off, "length %d < 4", length)
		return false
	}
	if length > rest {
		it.done = true
		it.err = payloadError(it.next, it.off, "length %d > %d remaining", length, rest)
		return false
	}
	it.typ = it.next
	it.nextField = PayloadType(h[0])
	it.critical = it.version == 2 && h[1]&0x80 != 0
	it.body = h[minPayloadLen:length:length]
	it.start = it.off
	it.off += length
	it.next = it.nextField
	if it.version == 2 && (it.typ == PayloadTypeSK || it.typ == PayloadTypeSKF) {
		// The Next Payload field of SK names the first payload inside the
		// encryption, not a payload after it.
		it.next = PayloadTypeNone
		it.afterEncrypted = true
	}
	return true
}

// Type returns the current payload's type.
func (it *PayloadIter) Type() PayloadType { return it.typ }

// NextType returns the current payload's Next Payload field. For the IKEv2
// SK and SKF payloads that is the type of the first payload inside the
// encryption (for SKF, in the first fragment only).
func (it *PayloadIter) NextType() PayloadType { return it.nextField }

// Critical reports the current payload's Critical bit (RFC 7296 §2.5). IKEv1
// has no such bit; for it Critical is always false.
func (it *PayloadIter) Critical() bool { return it.critical }

// Body returns the current payload's body: the bytes after its 4-byte
// generic header. It aliases the chain.
func (it *PayloadIter) Body() []byte { return it.body }

// Length returns the current payload's Payload Length field: the length of
// its body plus the 4-byte generic header.
func (it *PayloadIter) Length() int { return len(it.body) + minPayloadLen }

// Offset returns the offset of the current payload's generic header from the
// start of the IKE message (the chain begins at offset 28, after the IKE
// header), as error messages count.
func (it *PayloadIter) Offset() int { return IKEHeaderLen + it.start }

// Err returns the error that ended the walk, or nil if the chain was well
// formed: it ended with Next Payload NONE (or, for IKEv2, with SK or SKF)
// exactly at its last byte.
func (it *PayloadIter) Err() error { return it.err }

// payloadError builds the error for payload t whose header is at chain
// offset off.
func payloadError(t PayloadType, off int, format string, args ...any) error {
	return &Error{Layer: "ike", Field: "payload " + strconv.Quote(t.String()), Offset: IKEHeaderLen + off,
		Err: fmt.Errorf(format, args...)}
}

// ParseIKEMessage decodes a whole IKE message (header and payload chain) into
// an owned [IKEMessage]: nothing in it aliases data. It decodes every payload
// it knows (RFC 2408, RFC 2407, RFC 3947, RFC 7296, RFC 7383 and the Cisco
// and draft variants described in this file) and lists every payload,
// known or not, in IKEMessage.Payloads.
//
// When the header does not decode (fewer than 28 bytes, a major version other
// than 1 or 2, a Length below 28) it returns nil and the error. When the
// header decodes but the chain or a payload's body is malformed, it returns
// the message as far as it could be decoded together with an [*Error] for the
// first fault; payloads after a malformed body are still decoded when the
// chain itself is intact. When the capture holds fewer bytes than the header's
// Length, the error wraps [ErrTruncated].
//
// An IKEv1 message with the E flag is recorded as Encrypted with the type of
// its first payload; its payloads are ciphertext and are not read. NAT-D
// hashes are copied but not verified: [NATDVerifier.Verify] does that with
// the packet's addresses.
func ParseIKEMessage(data []byte) (*IKEMessage, error) {
	var h IKE
	if err := h.DecodeFromBytes(data, nil); err != nil {
		return nil, err
	}
	m := &IKEMessage{
		Version:      h.MajorVersion,
		MinorVersion: h.MinorVersion,
		SPIi:         h.SPIi,
		SPIr:         h.SPIr,
		Exchange:     h.Exchange,
		Flags:        h.Flags,
		MessageID:    h.MessageID,
		Length:       h.Length,
		NextPayload:  h.NextPayload,
	}
	p := messageParser{m: m, version: h.MajorVersion, size: len(h.Payload)}
	err := p.parse(&h)
	if h.Clipped() {
		// A chain cut by the capture ends in a walk error that says nothing
		// about the message: report the truncation, which explains it.
		return m, &Error{Layer: "ike", Field: "message", Offset: IKEHeaderLen + len(h.Payload), Kind: FaultNotCaptured,
			Err: fmt.Errorf("%w: %d of %d bytes captured", ErrTruncated, IKEHeaderLen+len(h.Payload), h.Length)}
	}
	return m, err
}

// messageParser holds the state of one ParseIKEMessage call.
type messageParser struct {
	m       *IKEMessage
	version uint8
	size    int // length of the chain, to size the copy buffer

	buf      []byte // owned copies of payload bytes are carved from here
	sawSA    bool
	natdSeen int
	err      error // first body error
}

func (p *messageParser) parse(h *IKE) error {
	m := p.m
	if h.Encrypted() {
		m.Encrypted = true
		m.EncryptedFirst = h.NextPayload
		return nil
	}
	var it PayloadIter
	n := 0
	for it.Reset(h.Payload, h.NextPayload, h.MajorVersion); it.Next(); {
		n++
	}
	if n > 0 {
		m.Payloads = make([]PayloadSummary, 0, n)
	}
	for it.Reset(h.Payload, h.NextPayload, h.MajorVersion); it.Next(); {
		m.Payloads = append(m.Payloads, p.payload(&it, it.Offset()))
	}
	if p.err != nil {
		return p.err
	}
	return it.Err()
}

// payload decodes the current payload into the message and returns its
// summary, placing its header at offset.
func (p *messageParser) payload(it *PayloadIter, offset int) PayloadSummary {
	before := p.counts()
	if p.version == 1 {
		p.payloadV1(it)
	} else {
		p.payloadV2(it)
	}
	return PayloadSummary{Type: it.Type(), Length: it.Length(), Critical: it.Critical(), Offset: offset,
		Entry: p.entry(it.Type(), before)}
}

// entryCounts is how far the message's lists and fields were filled before
// a payload was decoded.
type entryCounts struct {
	notifies, vendorIDs, ids, certs, deletes, natd, natoa, ts int
	sa, ke, nonce, auth, config, eap, fragment                bool
}

func (p *messageParser) counts() entryCounts {
	m := p.m
	return entryCounts{
		notifies: len(m.Notifies), vendorIDs: len(m.VendorIDs), ids: len(m.IDs), certs: len(m.Certs),
		deletes: len(m.Deletes), natd: len(m.NATD), natoa: len(m.NATOA), ts: len(m.TS),
		sa: p.sawSA, ke: m.KE != nil, nonce: m.Nonce != nil, auth: m.AuthMethod != 0,
		config: m.Config != nil, eap: m.EAP != nil, fragment: m.Fragment != nil,
	}
}

// entry returns [PayloadSummary.Entry] for a payload of type t just
// decoded: the index of what it added to the message, or -1.
func (p *messageParser) entry(t PayloadType, before entryCounts) int {
	after := p.counts()
	list := func(b, a int) int {
		if a > b {
			return b
		}
		return -1
	}
	field := func(b, a bool) int {
		if a && !b {
			return 0
		}
		return -1
	}
	switch t {
	case PayloadTypeNotify, PayloadTypeV1Notification:
		return list(before.notifies, after.notifies)
	case PayloadTypeVendorID, PayloadTypeV1VendorID:
		return list(before.vendorIDs, after.vendorIDs)
	case PayloadTypeCert, PayloadTypeV1Cert:
		return list(before.certs, after.certs)
	case PayloadTypeDelete, PayloadTypeV1Delete:
		return list(before.deletes, after.deletes)
	case PayloadTypeTSi, PayloadTypeTSr:
		return list(before.ts, after.ts)
	case PayloadTypeSA, PayloadTypeV1SA:
		return field(before.sa, after.sa)
	case PayloadTypeKE, PayloadTypeV1KE:
		return field(before.ke, after.ke)
	case PayloadTypeNonce, PayloadTypeV1Nonce:
		return field(before.nonce, after.nonce)
	case PayloadTypeAuth:
		return field(before.auth, after.auth)
	case PayloadTypeCP, PayloadTypeV1Attributes:
		return field(before.config, after.config)
	case PayloadTypeEAP:
		return field(before.eap, after.eap)
	case PayloadTypeSKF, PayloadTypeV1CiscoFragment:
		return field(before.fragment, after.fragment)
	case PayloadTypeIDi, PayloadTypeIDr, PayloadTypeV1ID:
		return list(before.ids, after.ids)
	case PayloadTypeV1NATD, PayloadTypeV1NATDDraft, payloadTypeV1NATDCisco:
		return list(before.natd, after.natd)
	case PayloadTypeV1NATOA, PayloadTypeV1NATOADraft, payloadTypeV1NATOACisco:
		return list(before.natoa, after.natoa)
	}
	return -1
}

// fail records the first error found in a payload body.
func (p *messageParser) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// own returns a copy of b that does not alias the input, or nil for an
// empty b. Copies are carved from one buffer sized to the chain, so a
// message costs one allocation for all its byte slices.
func (p *messageParser) own(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if cap(p.buf)-len(p.buf) < len(b) {
		p.buf = make([]byte, 0, max(len(b), p.size))
	}
	start := len(p.buf)
	p.buf = append(p.buf, b...)
	return p.buf[start:len(p.buf):len(p.buf)]
}

// bodyError is the error for a malformed body of the current payload; rel is
// the offset of the fault within the body.
func bodyError(it *PayloadIter, rel int, format string, args ...any) error {
	return &Error{Layer: "ike", Field: "payload " + strconv.Quote(it.Type().String()),
		Offset: it.Offset() + minPayloadLen + rel, Err: fmt.Errorf(format, args...)}
}

// need checks that the current payload's body has at least n bytes.
func (p *messageParser) need(it *PayloadIter, n int) bool {
	if len(it.Body()) < n {
		p.fail(bodyError(it, 0, "body %d bytes < %d", len(it.Body()), n))
		return false
	}
	return true
}

func (p *messageParser) payloadV1(it *PayloadIter) {
	m := p.m
	b := it.Body()
	switch it.Type() {
	case PayloadTypeV1SA:
		if !p.need(it, 8) {
			return
		}
		if p.sawSA {
			return
		}
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
		// DOI (4), Protocol-ID, SPI Size, Notify Message Type (2), SPI, data
		// (RFC 2408 §3.14).
		if !p.need(it, 8) {
			return
		}
		spiSize := int(b[5])
		if 8+spiSize > len(b) {
			p.fail(bodyError(it, 5, "SPI size %d > %d remaining", spiSize, len(b)-8))
			return
		}
		m.Notifies = append(m.Notifies, Notify{Protocol: ProtocolID(b[4]), SPI: p.own(b[8 : 8+spiSize]),
			Type: NotifyType(binary.BigEndian.Uint16(b[6:8])), Data: p.own(b[8+spiSize:])})
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

// The payload numbers Cisco's draft 04–08 NAT-T used before RFC 3947 (see
// above); valid only in Main and Aggressive Mode.
const (
	payloadTypeV1NATDCisco  PayloadType = 15
	payloadTypeV1NATOACisco PayloadType = 16
)

func phase1Exchange(e ExchangeType) bool {
	return e == ExchangeTypeIdentityProtection || e == ExchangeTypeAggressive
}

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
		// Protocol ID, SPI Size, Notify Message Type (2), SPI, data
		// (RFC 7296 §3.10).
		if !p.need(it, 4) {
			return
		}
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

// proposals decodes the Proposal and Transform substructures of an SA
// payload's body from off (RFC 2408 §3.5, §3.6; RFC 7296 §3.3.1, §3.3.2).
// Both versions share the layout: a 0 or 2 (IKEv2: last or more) octet, a
// reserved octet, a 16-bit length, then the proposal's fields. IKEv1
// transforms have a number and an 8-bit ID; IKEv2 ones a type and a 16-bit
// ID.
func (p *messageParser) proposals(it *PayloadIter, off int) {
	b := it.Body()
	for off < len(b) {
		if len(b)-off < 8 {
			p.fail(bodyError(it, off, "proposal header needs 8 bytes, %d remaining", len(b)-off))
			return
		}
		more := b[off]
		length := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if length < 8 || length > len(b)-off {
			p.fail(bodyError(it, off, "proposal length %d outside 8..%d", length, len(b)-off))
			return
		}
		pb := b[off : off+length]
		spiSize := int(pb[6])
		if 8+spiSize > length {
			p.fail(bodyError(it, off+6, "proposal SPI size %d > %d remaining", spiSize, length-8))
			return
		}
		prop := Proposal{Number: pb[4], Protocol: ProtocolID(pb[5]), SPI: p.own(pb[8 : 8+spiSize])}
		count := int(pb[7])
		if count > 0 {
			prop.Transforms = make([]Transform, 0, min(count, (length-8-spiSize)/8))
		}
		if !p.transforms(it, &prop, pb, off, 8+spiSize, count) {
			p.m.Proposals = append(p.m.Proposals, prop)
			return
		}
		p.m.Proposals = append(p.m.Proposals, prop)
		off += length
		switch {
		case more == 0 && off < len(b):
			p.fail(bodyError(it, off, "%d bytes after the last proposal", len(b)-off))
			return
		case more != 0 && off >= len(b):
			p.fail(bodyError(it, off-length, "proposal announces another, none follows"))
			return
		}
	}
}

// transforms decodes count transforms of the proposal pb (at body offset
// base) starting at pb[off:]. It reports whether the proposal was well formed.
func (p *messageParser) transforms(it *PayloadIter, prop *Proposal, pb []byte, base, off, count int) bool {
	n := 0
	for off < len(pb) {
		if len(pb)-off < 8 {
			p.fail(bodyError(it, base+off, "transform header needs 8 bytes, %d remaining", len(pb)-off))
			return false
		}
		length := int(binary.BigEndian.Uint16(pb[off+2 : off+4]))
		if length < 8 || length > len(pb)-off {
			p.fail(bodyError(it, base+off, "transform length %d outside 8..%d", length, len(pb)-off))
			return false
		}
		tb := pb[off : off+length]
		var t Transform
		if p.version == 1 {
			t.Number = tb[4]
			t.ID = uint16(tb[5])
		} else {
			t.Type = TransformType(tb[4])
			t.ID = binary.BigEndian.Uint16(tb[6:8])
		}
		attrs, ok := p.attributes(it, tb, base+off, 8)
		t.Attributes = attrs
		prop.Transforms = append(prop.Transforms, t)
		n++
		if !ok {
			return false
		}
		off += length
		if tb[0] == 0 && off < len(pb) {
			p.fail(bodyError(it, base+off, "%d bytes after the last transform", len(pb)-off))
			return false
		}
	}
	if n != count {
		p.fail(bodyError(it, base+7, "proposal announces %d transforms, holds %d", count, n))
		return false
	}
	return true
}

// attributes decodes data attributes (RFC 2408 §3.3, RFC 7296 §3.3.5) in
// b[off:]: a 16-bit type whose top bit (AF) selects the TV form (a 16-bit
// value follows) or the TLV form (a 16-bit length and the value). base is
// the body offset of b, for errors.
func (p *messageParser) attributes(it *PayloadIter, b []byte, base, off int) ([]Attribute, bool) {
	var attrs []Attribute
	for off < len(b) {
		if len(b)-off < 4 {
			p.fail(bodyError(it, base+off, "attribute needs 4 bytes, %d remaining", len(b)-off))
			return attrs, false
		}
		typ := binary.BigEndian.Uint16(b[off : off+2])
		v := binary.BigEndian.Uint16(b[off+2 : off+4])
		if typ&0x8000 != 0 {
			attrs = append(attrs, Attribute{Type: typ & 0x7fff, Value: uint64(v)})
			off += 4
			continue
		}
		n := int(v)
		if n > len(b)-off-4 {
			p.fail(bodyError(it, base+off, "attribute %d length %d > %d remaining", typ, n, len(b)-off-4))
			return attrs, false
		}
		val := b[off+4 : off+4+n]
		a := Attribute{Type: typ}
		if n <= 8 {
			for _, c := range val {
				a.Value = a.Value<<8 | uint64(c)
			}
		} else {
			a.Data = p.own(val)
		}
		attrs = append(attrs, a)
		off += 4 + n
	}
	return attrs, true
}

// delete decodes a Delete payload from its Protocol-ID field at body offset
// off: IKEv1 has a 4-byte DOI before it (RFC 2408 §3.15), IKEv2 not
// (RFC 7296 §3.11).
func (p *messageParser) delete(it *PayloadIter, off int) {
	b := it.Body()
	d := Delete{Protocol: ProtocolID(b[off])}
	size := int(b[off+1])
	count := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
	spis := b[off+4:]
	if size*count != len(spis) {
		p.fail(bodyError(it, off+1, "%d SPIs of %d bytes do not fill %d bytes", count, size, len(spis)))
		return
	}
	if size > 0 && count > 0 {
		d.SPIs = make([][]byte, count)
		for i := range d.SPIs {
			d.SPIs[i] = p.own(spis[i*size : (i+1)*size])
		}
	}
	p.m.Deletes = append(p.m.Deletes, d)
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
