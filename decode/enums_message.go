package decode

// This file holds the registries of exchange types and payload types
// (see enums.go).

// ExchangeType is an ISAKMP/IKEv1 (RFC 2408 §3.1, RFC 2409) or IKEv2
// (RFC 7296 §3.1) exchange type. The two registries do not overlap: IKEv1
// uses 0–6, 32 and 33, IKEv2 starts at 34.
type ExchangeType uint8

// Exchange types. IKEv1 (RFC 2408 §4, RFC 2409 §5, §6) first, then IKEv2
// (RFC 7296 §1, RFC 5723, RFC 9242, RFC 9370, G-IKEv2). As in strongSwan,
// the IKEv1 Informational exchange carries a V1 suffix because IKEv2 reuses
// the name.
const (
	ExchangeTypeNone               ExchangeType = 0
	ExchangeTypeBase               ExchangeType = 1 // RFC 2408 §4.4
	ExchangeTypeIdentityProtection ExchangeType = 2 // RFC 2408 §4.5; IKEv1 Main Mode
	ExchangeTypeAuthOnly           ExchangeType = 3 // RFC 2408 §4.6
	ExchangeTypeAggressive         ExchangeType = 4 // RFC 2408 §4.7, RFC 2409 §5
	ExchangeTypeInformationalV1    ExchangeType = 5 // RFC 2408 §4.8
	ExchangeTypeTransaction        ExchangeType = 6 // Mode Config / XAUTH (draft-ietf-ipsec-isakmp-mode-cfg)
	ExchangeTypeQuickMode          ExchangeType = 32
	ExchangeTypeNewGroup           ExchangeType = 33
	ExchangeTypeIKESAInit          ExchangeType = 34 // RFC 7296 §1.2
	ExchangeTypeIKEAuth            ExchangeType = 35 // RFC 7296 §1.2
	ExchangeTypeCreateChildSA      ExchangeType = 36 // RFC 7296 §1.3
	ExchangeTypeInformational      ExchangeType = 37 // RFC 7296 §1.4
	ExchangeTypeIKESessionResume   ExchangeType = 38 // RFC 5723
	ExchangeTypeGSAAuth            ExchangeType = 39 // G-IKEv2
	ExchangeTypeGSARegistration    ExchangeType = 40 // G-IKEv2
	ExchangeTypeGSARekey           ExchangeType = 41 // G-IKEv2
	ExchangeTypeGSAInbandRekey     ExchangeType = 42 // G-IKEv2
	ExchangeTypeIKEIntermediate    ExchangeType = 43 // RFC 9242
	ExchangeTypeIKEFollowupKE      ExchangeType = 44 // RFC 9370
	ExchangeTypeMain                            = ExchangeTypeIdentityProtection
	ExchangeTypeQuick                           = ExchangeTypeQuickMode
	exchangeTypeFirstIKEv2         ExchangeType = ExchangeTypeIKESAInit
)

var exchangeTypeNames = map[ExchangeType]string{
	ExchangeTypeNone:               "NONE",
	ExchangeTypeBase:               "Base",
	ExchangeTypeIdentityProtection: "Identity Protection (Main Mode)",
	ExchangeTypeAuthOnly:           "Authentication Only",
	ExchangeTypeAggressive:         "Aggressive",
	ExchangeTypeInformationalV1:    "Informational",
	ExchangeTypeTransaction:        "Transaction (Config Mode)",
	ExchangeTypeQuickMode:          "Quick Mode",
	ExchangeTypeNewGroup:           "New Group Mode",
	ExchangeTypeIKESAInit:          "IKE_SA_INIT",
	ExchangeTypeIKEAuth:            "IKE_AUTH",
	ExchangeTypeCreateChildSA:      "CREATE_CHILD_SA",
	ExchangeTypeInformational:      "INFORMATIONAL",
	ExchangeTypeIKESessionResume:   "IKE_SESSION_RESUME",
	ExchangeTypeGSAAuth:            "GSA_AUTH",
	ExchangeTypeGSARegistration:    "GSA_REGISTRATION",
	ExchangeTypeGSARekey:           "GSA_REKEY",
	ExchangeTypeGSAInbandRekey:     "GSA_INBAND_REKEY",
	ExchangeTypeIKEIntermediate:    "IKE_INTERMEDIATE",
	ExchangeTypeIKEFollowupKE:      "IKE_FOLLOWUP_KE",
}

// String returns the exchange type's name, such as "IKE_SA_INIT" or
// "Identity Protection (Main Mode)", or its number when it has none.
func (e ExchangeType) String() string {
	if s, ok := exchangeTypeNames[e]; ok {
		return s
	}
	return itoa(int(e))
}

// IsIKEv2 reports whether e is from the IKEv2 range of the registry
// (RFC 7296 §3.1: 34–239 assigned or unassigned, 240–255 private use).
func (e ExchangeType) IsIKEv2() bool { return e >= exchangeTypeFirstIKEv2 }

// PayloadType is an IKE payload type (RFC 2408 §3.1, RFC 3947, RFC 7296
// §3.2, RFC 7383). IKEv1 uses 1–22 (and private 128–255), IKEv2 33 and up;
// 0 ends the chain in both.
type PayloadType uint8

// IKEv2 payload types (RFC 7296 §3.2 and the IANA registry).
const (
	PayloadTypeNone     PayloadType = 0
	PayloadTypeSA       PayloadType = 33 // RFC 7296 §3.3
	PayloadTypeKE       PayloadType = 34 // RFC 7296 §3.4
	PayloadTypeIDi      PayloadType = 35 // RFC 7296 §3.5
	PayloadTypeIDr      PayloadType = 36 // RFC 7296 §3.5
	PayloadTypeCert     PayloadType = 37 // RFC 7296 §3.6
	PayloadTypeCertReq  PayloadType = 38 // RFC 7296 §3.7
	PayloadTypeAuth     PayloadType = 39 // RFC 7296 §3.8
	PayloadTypeNonce    PayloadType = 40 // RFC 7296 §3.9
	PayloadTypeNotify   PayloadType = 41 // RFC 7296 §3.10
	PayloadTypeDelete   PayloadType = 42 // RFC 7296 §3.11
	PayloadTypeVendorID PayloadType = 43 // RFC 7296 §3.12
	PayloadTypeTSi      PayloadType = 44 // RFC 7296 §3.13
	PayloadTypeTSr      PayloadType = 45 // RFC 7296 §3.13
	PayloadTypeSK       PayloadType = 46 // RFC 7296 §3.14, Encrypted and Authenticated
	PayloadTypeCP       PayloadType = 47 // RFC 7296 §3.15
	PayloadTypeEAP      PayloadType = 48 // RFC 7296 §3.16
	PayloadTypeGSPM     PayloadType = 49 // RFC 6467
	PayloadTypeIDg      PayloadType = 50 // G-IKEv2
	PayloadTypeGSA      PayloadType = 51 // G-IKEv2
	PayloadTypeKD       PayloadType = 52 // G-IKEv2
	PayloadTypeSKF      PayloadType = 53 // RFC 7383 §2.5, Encrypted and Authenticated Fragment
	PayloadTypePS       PayloadType = 54 // RFC 8019, Puzzle Solution
)

// IKEv1 payload types (RFC 2408 §3.1, RFC 3947, RFC 6407, and the
// pre-standard NAT-T and Cisco values that real devices still send).
const (
	PayloadTypeV1SA            PayloadType = 1  // RFC 2408 §3.4
	PayloadTypeV1Proposal      PayloadType = 2  // RFC 2408 §3.5
	PayloadTypeV1Transform     PayloadType = 3  // RFC 2408 §3.6
	PayloadTypeV1KE            PayloadType = 4  // RFC 2408 §3.7
	PayloadTypeV1ID            PayloadType = 5  // RFC 2408 §3.8, RFC 2407 §4.6.2
	PayloadTypeV1Cert          PayloadType = 6  // RFC 2408 §3.9
	PayloadTypeV1CR            PayloadType = 7  // RFC 2408 §3.10
	PayloadTypeV1Hash          PayloadType = 8  // RFC 2408 §3.11
	PayloadTypeV1Sig           PayloadType = 9  // RFC 2408 §3.12
	PayloadTypeV1Nonce         PayloadType = 10 // RFC 2408 §3.13
	PayloadTypeV1Notification  PayloadType = 11 // RFC 2408 §3.14
	PayloadTypeV1Delete        PayloadType = 12 // RFC 2408 §3.15
	PayloadTypeV1VendorID      PayloadType = 13 // RFC 2408 §3.16
	PayloadTypeV1Attributes    PayloadType = 14 // Mode Config (draft-ietf-ipsec-isakmp-mode-cfg)
	PayloadTypeV1SAK           PayloadType = 15 // RFC 6407 SA KEK; see the note on payload 15 in ike_payloads.go
	PayloadTypeV1SAT           PayloadType = 16 // RFC 6407 SA TEK
	PayloadTypeV1KD            PayloadType = 17 // RFC 6407 Key Download
	PayloadTypeV1SEQ           PayloadType = 18 // RFC 6407 Sequence Number
	PayloadTypeV1POP           PayloadType = 19 // RFC 6407 Proof of Possession
	PayloadTypeV1NATD          PayloadType = 20 // RFC 3947 §3.2
	PayloadTypeV1NATOA         PayloadType = 21 // RFC 3947 §5.2
	PayloadTypeV1GAP           PayloadType = 22 // RFC 6407 Group Associated Policy
	PayloadTypeV1NATDDraft     PayloadType = 130
	PayloadTypeV1NATOADraft    PayloadType = 131
	PayloadTypeV1CiscoFragment PayloadType = 132 // Cisco IKEv1 fragmentation
)

var payloadTypeNames = map[PayloadType]string{
	PayloadTypeNone:            "NONE",
	PayloadTypeV1SA:            "Security Association",
	PayloadTypeV1Proposal:      "Proposal",
	PayloadTypeV1Transform:     "Transform",
	PayloadTypeV1KE:            "Key Exchange",
	PayloadTypeV1ID:            "Identification",
	PayloadTypeV1Cert:          "Certificate",
	PayloadTypeV1CR:            "Certificate Request",
	PayloadTypeV1Hash:          "Hash",
	PayloadTypeV1Sig:           "Signature",
	PayloadTypeV1Nonce:         "Nonce",
	PayloadTypeV1Notification:  "Notification",
	PayloadTypeV1Delete:        "Delete",
	PayloadTypeV1VendorID:      "Vendor ID",
	PayloadTypeV1Attributes:    "Attributes",
	PayloadTypeV1SAK:           "SA KEK Payload",
	PayloadTypeV1SAT:           "SA TEK Payload",
	PayloadTypeV1KD:            "Key Download",
	PayloadTypeV1SEQ:           "Sequence Number",
	PayloadTypeV1POP:           "Proof of Possession",
	PayloadTypeV1NATD:          "NAT-D (RFC 3947)",
	PayloadTypeV1NATOA:         "NAT-OA (RFC 3947)",
	PayloadTypeV1GAP:           "Group Associated Policy",
	PayloadTypeSA:              "Security Association",
	PayloadTypeKE:              "Key Exchange",
	PayloadTypeIDi:             "Identification - Initiator",
	PayloadTypeIDr:             "Identification - Responder",
	PayloadTypeCert:            "Certificate",
	PayloadTypeCertReq:         "Certificate Request",
	PayloadTypeAuth:            "Authentication",
	PayloadTypeNonce:           "Nonce",
	PayloadTypeNotify:          "Notify",
	PayloadTypeDelete:          "Delete",
	PayloadTypeVendorID:        "Vendor ID",
	PayloadTypeTSi:             "Traffic Selector - Initiator",
	PayloadTypeTSr:             "Traffic Selector - Responder",
	PayloadTypeSK:              "Encrypted and Authenticated",
	PayloadTypeCP:              "Configuration",
	PayloadTypeEAP:             "Extensible Authentication",
	PayloadTypeGSPM:            "Generic Secure Password Method",
	PayloadTypeIDg:             "Group Identification",
	PayloadTypeGSA:             "Group Security Association",
	PayloadTypeKD:              "Key Download",
	PayloadTypeSKF:             "Encrypted and Authenticated Fragment",
	PayloadTypePS:              "Puzzle Solution",
	PayloadTypeV1NATDDraft:     "NAT-D (draft-ietf-ipsec-nat-t-ike-01 to 03)",
	PayloadTypeV1NATOADraft:    "NAT-OA (draft-ietf-ipsec-nat-t-ike-01 to 03)",
	PayloadTypeV1CiscoFragment: "Cisco-Fragmentation",
}

// String returns the payload type's name as Wireshark shows it, such as
// "Notify" or "Security Association", or its number when it has none.
func (t PayloadType) String() string {
	if s, ok := payloadTypeNames[t]; ok {
		return s
	}
	return itoa(int(t))
}
