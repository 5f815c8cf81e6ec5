package decode

// IKEMessage is one IKE message decoded into owned values: the header and a
// summary of every payload, with the details that flows and rules use. It is
// built by [ParseIKEMessage] and kept by later stages, so it never aliases
// packet bytes.
type IKEMessage struct {
	Version      uint8 // 1 (ISAKMP/IKEv1) or 2 (IKEv2), from the major version
	MinorVersion uint8
	SPIi, SPIr   uint64 // initiator and responder SPI (IKEv1: cookies)
	Exchange     ExchangeType
	Flags        uint8
	MessageID    uint32
	Length       uint32 // from the header

	// NextPayload is the header's Next Payload field: the type of the first
	// payload of the chain.
	NextPayload PayloadType

	// Payloads lists the payloads in order, as far as the chain could be
	// walked. For IKEv2 the SK/SKF payload is listed but its content is not.
	Payloads []PayloadSummary

	// Encrypted is set when the payloads after the header (IKEv1, flag E) or
	// inside SK/SKF (IKEv2) are encrypted.
	Encrypted bool
	// EncryptedFirst is the type of the first payload inside the encryption,
	// as far as the cleartext tells: the header's Next Payload for an IKEv1
	// message with flag E, the Next Payload field of the SK payload (or of
	// the first SKF fragment) for IKEv2. NONE otherwise.
	EncryptedFirst PayloadType

	// DOI and Situation are the IKEv1 SA payload's domain of interpretation
	// (1 = IPsec, RFC 2407 §4.2) and situation bitmap (RFC 2407 §4.6.1), from
	// the first SA payload.
	DOI       uint32
	Situation uint32

	Proposals []Proposal   // SA payload (first SA only; IKEv1 and IKEv2)
	Notifies  []Notify     // Notification / Notify payloads
	VendorIDs []VendorID   // Vendor ID payloads, named where known
	NATD      []NATD       // IKEv1 NAT-D (20 or draft 130) or IKEv2 NAT_DETECTION_* notifies
	NATOA     []NATOA      // IKEv1 NAT-OA (21 or draft 131)
	Deletes   []Delete     // Delete payloads
	KE        *KeyExchange // KE payload
	Nonce     []byte       // Nonce payload data
	IDs       []Identification
	Certs     []CertInfo // CERT payloads (type and length only)
	CertReqs  int        // number of CERTREQ / CR payloads
	TS        []TrafficSelector
	Fragment  *FragmentInfo // IKEv2 SKF (RFC 7383 §2.5) or Cisco IKEv1 fragment (payload 132)

	// Decryption is set when keys were given ([Options.Keys]) and the
	// message is encrypted: what decryption found. Decrypted payloads are
	// decoded into the fields above and below, as cleartext ones are, and
	// listed in Decryption.Payloads (Payloads lists the cleartext chain).
	Decryption *Decryption

	AuthMethod uint8       // IKEv2 AUTH payload's method (RFC 7296 §3.8); 0 when absent
	Config     *Config     // IKEv2 CP or IKEv1 Attributes payload (first one)
	EAP        *EAPMessage // IKEv2 EAP payload header (first one)
}

// IsResponse reports whether the message is a response: IKEv2 R flag
// (RFC 7296 §3.1). IKEv1 has no such flag; for it IsResponse is always false
// and flows pair messages by exchange position instead.
func (m *IKEMessage) IsResponse() bool { return m.Version == 2 && m.Flags&IKEv2FlagResponse != 0 }

// IsInitiator reports whether the sender is the original initiator of the
// IKE SA: IKEv2 I flag (RFC 7296 §3.1). For IKEv1 it is always false.
func (m *IKEMessage) IsInitiator() bool { return m.Version == 2 && m.Flags&IKEv2FlagInitiator != 0 }

// Has reports whether the message carries a payload of type t.
func (m *IKEMessage) Has(t PayloadType) bool {
	for _, p := range m.Payloads {
		if p.Type == t {
			return true
		}
	}
	return false
}

// HasNotify reports whether the message carries a notify of type t.
func (m *IKEMessage) HasNotify(t NotifyType) bool {
	for _, n := range m.Notifies {
		if n.Type == t {
			return true
		}
	}
	return false
}

// NATDOf returns the NAT-D hash that payload s of the message carries, or
// nil when it carries none: an IKEv1 NAT-D payload, or an IKEv2 Notify of
// type NAT_DETECTION_SOURCE_IP or NAT_DETECTION_DESTINATION_IP, whose hash
// is in NATD in the order of those notifies.
func (m *IKEMessage) NATDOf(s PayloadSummary) *NATD {
	if s.Entry < 0 {
		return nil
	}
	if m.Version == 1 {
		switch s.Type {
		case PayloadTypeV1NATD, PayloadTypeV1NATDDraft, payloadTypeV1NATDCisco:
			if s.Entry < len(m.NATD) {
				return &m.NATD[s.Entry]
			}
		}
		return nil
	}
	if s.Type != PayloadTypeNotify || s.Entry >= len(m.Notifies) || !m.Notifies[s.Entry].Type.isNATD() {
		return nil
	}
	k := 0
	for _, n := range m.Notifies[:s.Entry] {
		if n.Type.isNATD() {
			k++
		}
	}
	if k < len(m.NATD) {
		return &m.NATD[k]
	}
	return nil
}

// isNATD reports whether an IKEv2 notify carries a NAT-D hash.
func (t NotifyType) isNATD() bool {
	return t == NotifyTypeNATDetectionSourceIP || t == NotifyTypeNATDetectionDestinationIP
}

// IKE header flags (RFC 2408 §3.1, RFC 7296 §3.1).
const (
	IKEv1FlagEncryption = 0x01
	IKEv1FlagCommit     = 0x02
	IKEv1FlagAuthOnly   = 0x04
	IKEv2FlagInitiator  = 0x08
	IKEv2FlagVersion    = 0x10
	IKEv2FlagResponse   = 0x20
)

// PayloadSummary is one payload of the chain: where it lies and where its
// content went.
type PayloadSummary struct {
	Type     PayloadType
	Length   int // payload length including the generic header
	Critical bool
	// Offset is where the payload's generic header lies: from the start of
	// the IKE message for [IKEMessage.Payloads], from the start of the
	// plaintext for [Decryption.Payloads].
	Offset int
	// Entry is where the payload's content was decoded to: its index in
	// the message's list for its type (Notifies, VendorIDs, IDs, Certs,
	// Deletes, NATOA; NATD for IKEv1 NAT-D payloads; TS for the first
	// selector of TSi and TSr), or 0 for the payload that filled a field
	// of its own (the SA whose Proposals were decoded, KE, Nonce,
	// AuthMethod, Config, EAP, Fragment). It is -1 when the content was not
	// kept: a type vpnpcap does not decode (Hash, Signature, CERTREQ, SK,
	// unknown types), a malformed body, or a second payload of a type only
	// the first of which is decoded.
	Entry int
}

// Proposal is one proposal of an SA payload (RFC 2408 §3.5, RFC 7296 §3.3.1).
type Proposal struct {
	Number     uint8
	Protocol   ProtocolID
	SPI        []byte
	Transforms []Transform
}

// Transform is one transform with its attributes (RFC 2408 §3.6, RFC 2409
// Appendix A; RFC 7296 §3.3.2). For IKEv1, Type is 0 and ID the transform ID
// (KEY_IKE, ESP_AES…); the algorithms are in the attributes.
type Transform struct {
	Number     uint8 // IKEv1 only
	Type       TransformType
	ID         uint16
	Attributes []Attribute
}

// Attribute is a data attribute (RFC 2408 §3.3). Value holds the TV value or
// the TLV value interpreted as a big-endian integer when it fits in 8 bytes;
// Data holds a longer TLV value.
type Attribute struct {
	Type  uint16
	Value uint64
	Data  []byte
}

// Notify is a Notification (IKEv1, RFC 2408 §3.14) or Notify (IKEv2,
// RFC 7296 §3.10) payload.
type Notify struct {
	Protocol ProtocolID
	SPI      []byte
	Type     NotifyType
	Data     []byte
}

// VendorID is a Vendor ID payload, with its name when known.
type VendorID struct {
	Data []byte
	Name string // empty when unknown
}

// NATDKind says which NAT-D hash a [NATD] is.
type NATDKind uint8

// NAT-D kinds. IKEv1 NAT-D payloads are positional: the first is the hash of
// the peer's (destination) address and port, the others of the sender's own
// (RFC 3947 §3.2). IKEv2 names them by notify type (RFC 7296 §2.23).
const (
	NATDSource      NATDKind = iota + 1 // hash of the sender's address and port
	NATDDestination                     // hash of the receiver's address and port
)

// NATDMatch is the result of recomputing a NAT-D hash from the packet's own
// addresses and ports as captured.
type NATDMatch uint8

// NAT-D verification results.
const (
	NATDUnknown  NATDMatch = iota // not verifiable (IKEv1 hash algorithm not learned yet)
	NATDMatched                   // the hash equals the hash of the captured address and port
	NATDMismatch                  // it does not: the address or port was different where it was computed
)

// NATD is one NAT-D hash and its verification against the packet.
type NATD struct {
	Kind        NATDKind
	PayloadType PayloadType // IKEv1: 20 or 130; IKEv2: 41 (Notify)
	Hash        []byte
	Match       NATDMatch
	// PortZero is set when the hash did not match the captured tuple but
	// matches it with port 0: libreswan's forced encapsulation.
	PortZero bool
}

// NATOA is an IKEv1 NAT original address payload (RFC 3947 §5.2).
type NATOA struct {
	PayloadType PayloadType
	IDType      uint8
	Addr        []byte
}

// Delete is a Delete payload (RFC 2408 §3.15, RFC 7296 §3.11).
type Delete struct {
	Protocol ProtocolID
	SPIs     [][]byte
}

// KeyExchange is a KE payload: the DH group (IKEv2 only; 0 for IKEv1) and the
// key data length.
type KeyExchange struct {
	Group  uint16
	Length int
}

// Identification is an ID payload (RFC 2407 §4.6.2, RFC 7296 §3.5).
type Identification struct {
	Type     PayloadType // ID (IKEv1), IDi or IDr (IKEv2)
	IDType   uint8
	Protocol uint8  // IKEv1 only: IP protocol, 0 = any (RFC 2407 §4.6.2)
	Port     uint16 // IKEv1 only: port, 0 = any
	Data     []byte
}

// CertInfo is a CERT payload's encoding and length.
type CertInfo struct {
	Encoding uint8
	Length   int
}

// TrafficSelector is one traffic selector of TSi or TSr (RFC 7296 §3.13.1).
type TrafficSelector struct {
	Initiator  bool // TSi
	Type       uint8
	Protocol   uint8
	StartPort  uint16
	EndPort    uint16
	Start, End []byte
}

// FragmentInfo is the header of an IKEv2 Encrypted Fragment payload
// (RFC 7383 §2.5) or of a Cisco IKEv1 fragmentation payload (type 132).
// Cisco fragments carry no total: Total is 0 and Last marks the final one.
type FragmentInfo struct {
	Number, Total uint16
	ID            uint16 // Cisco IKEv1 only: the fragmented message's identifier
	Last          bool   // this is the final fragment
}

// Config is a Configuration payload (IKEv2 CP, RFC 7296 §3.15) or an IKEv1
// Attributes payload (Mode Config and XAUTH, draft-ietf-ipsec-isakmp-mode-cfg
// §3.2).
type Config struct {
	Type       uint8  // CFG_REQUEST 1, CFG_REPLY 2, CFG_SET 3, CFG_ACK 4
	Identifier uint16 // IKEv1 only
	Attributes []ConfigAttribute
}

// ConfigAttribute is one configuration attribute (RFC 7296 §3.15.1). Value
// holds the attribute's bytes (for an IKEv1 TV attribute, its two value
// bytes). Secrets (XAUTH passwords and passcodes) are not kept: their Value is
// nil and only Length tells that one was sent.
type ConfigAttribute struct {
	Type   uint16
	Length int
	Value  []byte
}

// EAPMessage is the header of the EAP message in an IKEv2 EAP payload
// (RFC 7296 §3.16, RFC 3748 §4). Type is 0 for Success and Failure, which
// have none. The rest of the message (identities, credentials) is not kept.
type EAPMessage struct {
	Code       uint8
	Identifier uint8
	Length     uint16
	Type       uint8
}
