package decode

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

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
