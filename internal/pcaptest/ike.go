package pcaptest

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"hash"
	"math/rand/v2"
	"net/netip"
)

// IKE ports (RFC 7296 §2, RFC 3948 §2).
const (
	PortIKE  = 500
	PortNATT = 4500
)

// IKEv1 payload types (RFC 2408 §3.1; NAT-D and NAT-OA from RFC 3947 §3.2
// and §5.2, with the draft numbers 130 and 131 of draft-ietf-ipsec-nat-t-ike-02).
const (
	V1SA         uint8 = 1
	V1Proposal   uint8 = 2
	V1Transform  uint8 = 3
	V1KE         uint8 = 4
	V1ID         uint8 = 5
	V1Cert       uint8 = 6
	V1CertReq    uint8 = 7
	V1Hash       uint8 = 8
	V1Sig        uint8 = 9
	V1Nonce      uint8 = 10
	V1Notify     uint8 = 11
	V1Delete     uint8 = 12
	V1VendorID   uint8 = 13
	V1NATD       uint8 = 20
	V1NATOA      uint8 = 21
	V1NATDDraft  uint8 = 130
	V1NATOADraft uint8 = 131
)

// IKEv1 exchange types (RFC 2408 §4, RFC 2409 §5.5).
const (
	V1MainMode      uint8 = 2
	V1Aggressive    uint8 = 4
	V1Informational uint8 = 5
	V1QuickMode     uint8 = 32
)

// IKEv2 payload types (RFC 7296 §3.2, RFC 7383 §2.5).
const (
	V2SA      uint8 = 33
	V2KE      uint8 = 34
	V2IDi     uint8 = 35
	V2IDr     uint8 = 36
	V2Cert    uint8 = 37
	V2CertReq uint8 = 38
	V2Auth    uint8 = 39
	V2Nonce   uint8 = 40
	V2Notify  uint8 = 41
	V2Delete  uint8 = 42
	V2Vendor  uint8 = 43
	V2TSi     uint8 = 44
	V2TSr     uint8 = 45
	V2SK      uint8 = 46
	V2SKF     uint8 = 53
)

// IKEv2 exchange types (RFC 7296 §3.1).
const (
	V2IKESAInit     uint8 = 34
	V2IKEAuth       uint8 = 35
	V2CreateChildSA uint8 = 36
	V2Informational uint8 = 37
)

// IKE header flags (RFC 2408 §3.1, RFC 7296 §3.1).
const (
	V1FlagEncryption uint8 = 0x01
	V2FlagInitiator  uint8 = 0x08
	V2FlagResponse   uint8 = 0x20
)

// IKEv2 notify message types (RFC 7296 §3.10.1, RFC 7383, IANA registry).
const (
	NotifyNoProposalChosen        uint16 = 14
	NotifyInvalidKEPayload        uint16 = 17
	NotifyInitialContact          uint16 = 16384
	NotifyNATDetectionSourceIP    uint16 = 16388
	NotifyNATDetectionDestIP      uint16 = 16389
	NotifyMobikeSupported         uint16 = 16396
	NotifyMultipleAuthSupported   uint16 = 16404
	NotifyRedirectSupported       uint16 = 16406
	NotifyFragmentationSupported  uint16 = 16430
	NotifySignatureHashAlgorithms uint16 = 16431
)

// Protocol IDs (RFC 2407 §4.4.1, RFC 7296 §3.3.1).
const (
	ProtoIDIKE uint8 = 1
	ProtoIDAH  uint8 = 2
	ProtoIDESP uint8 = 3
)

// Well-known Vendor IDs. The NAT-T ones are MD5 of the RFC or draft name
// (RFC 3947 §3.1; the "\n" variant is what many draft-02 implementations
// hash by mistake and is recognised as such by racoon and Wireshark).
var (
	VIDRFC3947     = md5Sum("RFC 3947")
	VIDDraft02N    = md5Sum("draft-ietf-ipsec-nat-t-ike-02\n")
	VIDDraft02     = md5Sum("draft-ietf-ipsec-nat-t-ike-02")
	VIDDraft03     = md5Sum("draft-ietf-ipsec-nat-t-ike-03")
	VIDStrongSwan  = md5Sum("strongSwan")
	VIDDPD         = []byte{0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00} // RFC 3706 §7
	VIDXAuth       = []byte{0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12}
	VIDFragmentIKE = []byte{0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3, 0x80, 0x00, 0x00, 0x00} // Cisco IKE fragmentation
)

func md5Sum(s string) []byte {
	h := md5.Sum([]byte(s))
	return h[:]
}

// Payload is one IKE payload: its type and its body without the four-octet
// generic payload header (RFC 2408 §3.2, RFC 7296 §3.2), which Marshal adds.
type Payload struct {
	Type     uint8
	Critical bool
	Body     []byte
	// Inner is the type of the first payload inside an IKEv2 SK or SKF
	// payload, which the SK payload's Next Payload field names
	// (RFC 7296 §3.14).
	Inner uint8
}

// Message is an IKEv1 (ISAKMP) or IKEv2 message.
type Message struct {
	SPIi, SPIr uint64 // IKEv1: initiator and responder cookies
	Version    uint8  // 1 or 2
	Exchange   uint8
	Flags      uint8
	MessageID  uint32
	Payloads   []Payload
	// Encrypted holds the ciphertext of an IKEv1 message with the E flag
	// (RFC 2408 §3.1); Payloads is then empty and First names the first
	// encrypted payload, which the header's Next Payload field carries.
	Encrypted []byte
	First     uint8
}

// Marshal encodes the message: the 28-octet header, then the payload chain
// with each payload's Next Payload and Length filled in.
func (m *Message) Marshal() []byte {
	n := 28 + len(m.Encrypted)
	for _, p := range m.Payloads {
		n += 4 + len(p.Body)
	}
	b := make([]byte, 28, n)
	binary.BigEndian.PutUint64(b[0:], m.SPIi)
	binary.BigEndian.PutUint64(b[8:], m.SPIr)
	switch {
	case len(m.Payloads) > 0:
		b[16] = m.Payloads[0].Type
	default:
		b[16] = m.First
	}
	b[17] = m.Version << 4
	b[18] = m.Exchange
	b[19] = m.Flags
	binary.BigEndian.PutUint32(b[20:], m.MessageID)
	binary.BigEndian.PutUint32(b[24:], uint32(n))
	for i, p := range m.Payloads {
		var next uint8
		switch {
		case p.Type == V2SK || p.Type == V2SKF:
			next = p.Inner
		case i+1 < len(m.Payloads):
			next = m.Payloads[i+1].Type
		}
		b = appendGeneric(b, next, p.Critical, p.Body)
	}
	b = append(b, m.Encrypted...)
	return b
}

func appendGeneric(b []byte, next uint8, critical bool, body []byte) []byte {
	var flags uint8
	if critical {
		flags = 0x80
	}
	b = append(b, next, flags)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
	return append(b, body...)
}

// RandBytes returns n bytes from r.
func RandBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

// --- IKEv2 payloads (RFC 7296 §3.3–3.14) ---

// TransformV2 is one IKEv2 transform; KeyLen, when non-zero, is sent as the
// Key Length attribute (type 14, TV format).
type TransformV2 struct {
	Type   uint8
	ID     uint16
	KeyLen uint16
}

// IKEv2 transform types and the IDs the samples use (RFC 7296 §3.3.2,
// IANA "IKEv2 Transform Attribute Types").
const (
	TransformENCR  uint8 = 1
	TransformPRF   uint8 = 2
	TransformINTEG uint8 = 3
	TransformDH    uint8 = 4
	TransformESN   uint8 = 5

	EncrAESCBC     uint16 = 12
	EncrAESGCM16   uint16 = 20
	PRFHMACSHA1    uint16 = 2
	PRFHMACSHA256  uint16 = 5
	IntegSHA196    uint16 = 2
	IntegSHA256128 uint16 = 12
	DHModp1024     uint16 = 2
	DHModp2048     uint16 = 14
	DHCurve25519   uint16 = 31
	ESNNone        uint16 = 0
)

// ProposalV2 is one IKEv2 proposal substructure.
type ProposalV2 struct {
	Num        uint8
	Protocol   uint8
	SPI        []byte
	Transforms []TransformV2
}

// SAv2 builds an IKEv2 SA payload.
func SAv2(props ...ProposalV2) Payload {
	var b []byte
	for i, p := range props {
		var tb []byte
		for j, t := range p.Transforms {
			last := uint8(3)
			if j == len(p.Transforms)-1 {
				last = 0
			}
			l := 8
			if t.KeyLen != 0 {
				l += 4
			}
			tb = append(tb, last, 0)
			tb = binary.BigEndian.AppendUint16(tb, uint16(l))
			tb = append(tb, t.Type, 0)
			tb = binary.BigEndian.AppendUint16(tb, t.ID)
			if t.KeyLen != 0 {
				tb = binary.BigEndian.AppendUint16(tb, 0x800e)
				tb = binary.BigEndian.AppendUint16(tb, t.KeyLen)
			}
		}
		last := uint8(2)
		if i == len(props)-1 {
			last = 0
		}
		b = append(b, last, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(8+len(p.SPI)+len(tb)))
		b = append(b, p.Num, p.Protocol, uint8(len(p.SPI)), uint8(len(p.Transforms)))
		b = append(b, p.SPI...)
		b = append(b, tb...)
	}
	return Payload{Type: V2SA, Body: b}
}

// KEv2 builds an IKEv2 KE payload for a DH group.
func KEv2(group uint16, data []byte) Payload {
	b := binary.BigEndian.AppendUint16(nil, group)
	b = append(b, 0, 0)
	return Payload{Type: V2KE, Body: append(b, data...)}
}

// NonceV2 builds an IKEv2 Nonce payload.
func NonceV2(n []byte) Payload { return Payload{Type: V2Nonce, Body: n} }

// NotifyV2 builds an IKEv2 Notify payload (RFC 7296 §3.10).
func NotifyV2(proto uint8, spi []byte, typ uint16, data []byte) Payload {
	b := []byte{proto, uint8(len(spi))}
	b = binary.BigEndian.AppendUint16(b, typ)
	b = append(b, spi...)
	return Payload{Type: V2Notify, Body: append(b, data...)}
}

// VendorV2 builds an IKEv2 Vendor ID payload.
func VendorV2(id []byte) Payload { return Payload{Type: V2Vendor, Body: id} }

// CertReqV2 builds an IKEv2 CERTREQ payload with X.509 signature encoding
// (4) and the SHA-1 hashes of the accepted CAs' public keys.
func CertReqV2(caHashes ...[]byte) Payload {
	b := []byte{4}
	for _, h := range caHashes {
		b = append(b, h...)
	}
	return Payload{Type: V2CertReq, Body: b}
}

// SKv2 builds an IKEv2 Encrypted payload holding plainLen octets of inner
// payloads as AES-CBC with HMAC-SHA2-256-128 would carry them: a 16-octet
// IV, the ciphertext of the payloads plus padding and the pad-length octet
// rounded up to the block size, and a 16-octet ICV (RFC 7296 §3.14). The
// bytes are random: nothing in a capture can tell them from real ciphertext.
func SKv2(r *rand.Rand, inner uint8, plainLen int) Payload {
	return Payload{Type: V2SK, Inner: inner, Body: RandBytes(r, 16+roundUp(plainLen+1, 16)+16)}
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// NATDv2 computes an IKEv2 NAT detection hash, SHA-1(SPIi | SPIr | IP |
// Port), with the SPIs as they appear in the message header and SPIr zero in
// the IKE_SA_INIT request (RFC 7296 §2.23).
func NATDv2(spii, spir uint64, ap netip.AddrPort) []byte {
	return natd(sha1.New, spii, spir, ap)
}

// NATDv1 computes an IKEv1 NAT-D hash, HASH(CKY-I | CKY-R | IP | Port) with
// the negotiated hash algorithm (RFC 3947 §3.2).
func NATDv1(h func() hash.Hash, ckyI, ckyR uint64, ap netip.AddrPort) []byte {
	return natd(h, ckyI, ckyR, ap)
}

func natd(h func() hash.Hash, a, b uint64, ap netip.AddrPort) []byte {
	var buf [8 + 8 + 16 + 2]byte
	binary.BigEndian.PutUint64(buf[0:], a)
	binary.BigEndian.PutUint64(buf[8:], b)
	n := 16
	if ap.Addr().Is4() {
		a4 := ap.Addr().As4()
		n += copy(buf[n:], a4[:])
	} else {
		a16 := ap.Addr().As16()
		n += copy(buf[n:], a16[:])
	}
	binary.BigEndian.PutUint16(buf[n:], ap.Port())
	hh := h()
	hh.Write(buf[:n+2])
	return hh.Sum(nil)
}

// --- IKEv1 payloads (RFC 2408 §3, RFC 2409, RFC 3947) ---

// Attr is an ISAKMP data attribute (RFC 2408 §3.3). Values below 65536 are
// written in the basic (TV) format, others as a four-octet TLV.
type Attr struct {
	Type  uint16
	Value uint32
}

// IKEv1 Phase 1 attribute types and values (RFC 2409 Appendix A).
const (
	AttrEncryption   uint16 = 1
	AttrHash         uint16 = 2
	AttrAuthMethod   uint16 = 3
	AttrGroup        uint16 = 4
	AttrLifeType     uint16 = 11
	AttrLifeDuration uint16 = 12
	AttrKeyLength    uint16 = 14

	Phase1AESCBC    uint32 = 7
	Phase1SHA1      uint32 = 2
	Phase1SHA256    uint32 = 4
	Phase1PSK       uint32 = 1
	Phase1RSASig    uint32 = 3
	LifeSeconds     uint32 = 1
	TransformKeyIKE uint8  = 1
)

// IPsec DOI attribute types and values for Quick Mode ESP transforms
// (RFC 2407 §4.5, RFC 3947 §5.1).
const (
	AttrIPsecLifeType     uint16 = 1
	AttrIPsecLifeDuration uint16 = 2
	AttrEncapsulationMode uint16 = 4
	AttrAuthAlgorithm     uint16 = 5
	AttrIPsecKeyLength    uint16 = 6

	EncapTunnel       uint32 = 1
	EncapTransport    uint32 = 2
	EncapUDPTunnel    uint32 = 3
	EncapUDPTransport uint32 = 4
	AuthHMACSHA       uint32 = 2
	TransformESPAES   uint8  = 12
)

// IKEv1 identification types (RFC 2407 §4.6.2.1).
const IDIPv4Addr uint8 = 1

// IDv1 builds an IKEv1 Identification payload in the IPsec DOI (RFC 2407
// §4.6.2): ID type, protocol, port, then the identification data.
func IDv1(idType, proto uint8, port uint16, data []byte) Payload {
	b := []byte{idType, proto}
	b = binary.BigEndian.AppendUint16(b, port)
	return Payload{Type: V1ID, Body: append(b, data...)}
}

// HashV1 builds an IKEv1 Hash payload.
func HashV1(h []byte) Payload { return Payload{Type: V1Hash, Body: h} }

// TransformV1 is one IKEv1 transform payload.
type TransformV1 struct {
	Num   uint8
	ID    uint8
	Attrs []Attr
}

// ProposalV1 is one IKEv1 proposal payload.
type ProposalV1 struct {
	Num        uint8
	Protocol   uint8
	SPI        []byte
	Transforms []TransformV1
}

// SAv1 builds an IKEv1 SA payload in the IPsec DOI (1) with situation
// SIT_IDENTITY_ONLY (RFC 2407 §4.2, §4.6.1).
func SAv1(props ...ProposalV1) Payload {
	b := []byte{0, 0, 0, 1, 0, 0, 0, 1}
	for i, p := range props {
		var tb []byte
		for j, t := range p.Transforms {
			var body []byte
			body = append(body, t.Num, t.ID, 0, 0)
			for _, a := range t.Attrs {
				if a.Value < 1<<16 {
					body = binary.BigEndian.AppendUint16(body, 0x8000|a.Type)
					body = binary.BigEndian.AppendUint16(body, uint16(a.Value))
				} else {
					body = binary.BigEndian.AppendUint16(body, a.Type)
					body = binary.BigEndian.AppendUint16(body, 4)
					body = binary.BigEndian.AppendUint32(body, a.Value)
				}
			}
			next := V1Transform
			if j == len(p.Transforms)-1 {
				next = 0
			}
			tb = appendGeneric(tb, next, false, body)
		}
		body := []byte{p.Num, p.Protocol, uint8(len(p.SPI)), uint8(len(p.Transforms))}
		body = append(body, p.SPI...)
		body = append(body, tb...)
		next := V1Proposal
		if i == len(props)-1 {
			next = 0
		}
		b = appendGeneric(b, next, false, body)
	}
	return Payload{Type: V1SA, Body: b}
}

// KEv1 builds an IKEv1 Key Exchange payload.
func KEv1(data []byte) Payload { return Payload{Type: V1KE, Body: data} }

// NonceV1 builds an IKEv1 Nonce payload.
func NonceV1(n []byte) Payload { return Payload{Type: V1Nonce, Body: n} }

// VendorV1 builds an IKEv1 Vendor ID payload.
func VendorV1(id []byte) Payload { return Payload{Type: V1VendorID, Body: id} }

// NATDPayloadV1 builds an IKEv1 NAT-D payload of type 20 (RFC 3947) or 130
// (draft-ietf-ipsec-nat-t-ike-02/03).
func NATDPayloadV1(typ uint8, h []byte) Payload { return Payload{Type: typ, Body: h} }
