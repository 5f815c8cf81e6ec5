package decode

// This file holds the IKE registries: exchange types, payload types, notify
// message types, protocol identifiers and IKEv2 transform types, with their
// names. Names follow Wireshark's spelling where Wireshark has one (so that
// output can be compared with tshark field by field) and the IANA registries
// ("Internet Key Exchange Version 2 (IKEv2) Parameters", "Internet Security
// Association and Key Management Protocol (ISAKMP) Identifiers") otherwise.
// Every String method falls back to the number, so an unknown value is still
// shown and never mistaken for a known one.

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

// NotifyType is an IKEv1 notify message type (RFC 2408 §3.14.1, RFC 2407
// §4.6.3) or an IKEv2 notify message type (RFC 7296 §3.10.1 and the IANA
// registry). The two registries share numbers with different meanings, so
// [NotifyType.Name] takes the IKE version; String assumes IKEv2.
type NotifyType uint16

// IKEv2 notify message types: errors (1–16383) and status types
// (16384–65535), RFC 7296 §3.10.1 and the IANA "IKEv2 Notify Message Error
// Types" and "Status Types" registries.
const (
	NotifyTypeUnsupportedCriticalPayload      NotifyType = 1
	NotifyTypeInvalidIKESPI                   NotifyType = 4
	NotifyTypeInvalidMajorVersion             NotifyType = 5
	NotifyTypeInvalidSyntax                   NotifyType = 7
	NotifyTypeInvalidMessageID                NotifyType = 9
	NotifyTypeInvalidSPI                      NotifyType = 11
	NotifyTypeNoProposalChosen                NotifyType = 14
	NotifyTypeInvalidKEPayload                NotifyType = 17
	NotifyTypeAuthenticationFailed            NotifyType = 24
	NotifyTypeSinglePairRequired              NotifyType = 34
	NotifyTypeNoAdditionalSAs                 NotifyType = 35
	NotifyTypeInternalAddressFailure          NotifyType = 36
	NotifyTypeFailedCPRequired                NotifyType = 37
	NotifyTypeTSUnacceptable                  NotifyType = 38
	NotifyTypeInvalidSelectors                NotifyType = 39
	NotifyTypeUnacceptableAddresses           NotifyType = 40 // RFC 4555
	NotifyTypeUnexpectedNATDetected           NotifyType = 41 // RFC 4555
	NotifyTypeUseAssignedHoA                  NotifyType = 42 // RFC 5026
	NotifyTypeTemporaryFailure                NotifyType = 43
	NotifyTypeChildSANotFound                 NotifyType = 44
	NotifyTypeInvalidGroupID                  NotifyType = 45 // G-IKEv2
	NotifyTypeAuthorizationFailed             NotifyType = 46 // G-IKEv2
	NotifyTypeStateNotFound                   NotifyType = 47 // RFC 8019
	NotifyTypeTSMaxQueue                      NotifyType = 48 // RFC 9611
	NotifyTypeRegistrationFailed              NotifyType = 49 // G-IKEv2
	NotifyTypeInitialContact                  NotifyType = 16384
	NotifyTypeSetWindowSize                   NotifyType = 16385
	NotifyTypeAdditionalTSPossible            NotifyType = 16386
	NotifyTypeIPCOMPSupported                 NotifyType = 16387
	NotifyTypeNATDetectionSourceIP            NotifyType = 16388 // RFC 7296 §2.23
	NotifyTypeNATDetectionDestinationIP       NotifyType = 16389 // RFC 7296 §2.23
	NotifyTypeCookie                          NotifyType = 16390 // RFC 7296 §2.6
	NotifyTypeUseTransportMode                NotifyType = 16391
	NotifyTypeHTTPCertLookupSupported         NotifyType = 16392
	NotifyTypeRekeySA                         NotifyType = 16393
	NotifyTypeESPTFCPaddingNotSupported       NotifyType = 16394
	NotifyTypeNonFirstFragmentsAlso           NotifyType = 16395
	NotifyTypeMOBIKESupported                 NotifyType = 16396 // RFC 4555
	NotifyTypeAdditionalIP4Address            NotifyType = 16397
	NotifyTypeAdditionalIP6Address            NotifyType = 16398
	NotifyTypeNoAdditionalAddresses           NotifyType = 16399
	NotifyTypeUpdateSAAddresses               NotifyType = 16400 // RFC 4555
	NotifyTypeCookie2                         NotifyType = 16401
	NotifyTypeNoNATsAllowed                   NotifyType = 16402 // RFC 4555
	NotifyTypeAuthLifetime                    NotifyType = 16403 // RFC 4478
	NotifyTypeMultipleAuthSupported           NotifyType = 16404 // RFC 4739
	NotifyTypeAnotherAuthFollows              NotifyType = 16405 // RFC 4739
	NotifyTypeRedirectSupported               NotifyType = 16406 // RFC 5685
	NotifyTypeRedirect                        NotifyType = 16407 // RFC 5685
	NotifyTypeRedirectedFrom                  NotifyType = 16408 // RFC 5685
	NotifyTypeTicketLTOpaque                  NotifyType = 16409 // RFC 5723
	NotifyTypeTicketRequest                   NotifyType = 16410
	NotifyTypeTicketAck                       NotifyType = 16411
	NotifyTypeTicketNack                      NotifyType = 16412
	NotifyTypeTicketOpaque                    NotifyType = 16413
	NotifyTypeLinkID                          NotifyType = 16414 // RFC 5739
	NotifyTypeUseWESPMode                     NotifyType = 16415 // RFC 5840
	NotifyTypeROHCSupported                   NotifyType = 16416 // RFC 5857
	NotifyTypeEAPOnlyAuthentication           NotifyType = 16417 // RFC 5998
	NotifyTypeChildlessIKEv2Supported         NotifyType = 16418 // RFC 6023
	NotifyTypeQuickCrashDetection             NotifyType = 16419 // RFC 6290
	NotifyTypeIKEv2MessageIDSyncSupported     NotifyType = 16420 // RFC 6311
	NotifyTypeIPsecReplayCounterSyncSupported NotifyType = 16421
	NotifyTypeIKEv2MessageIDSync              NotifyType = 16422
	NotifyTypeIPsecReplayCounterSync          NotifyType = 16423
	NotifyTypeSecurePasswordMethods           NotifyType = 16424 // RFC 6467
	NotifyTypePSKPersist                      NotifyType = 16425 // RFC 6631
	NotifyTypePSKConfirm                      NotifyType = 16426
	NotifyTypeERXSupported                    NotifyType = 16427 // RFC 6867
	NotifyTypeIFOMCapability                  NotifyType = 16428
	NotifyTypeSenderRequestID                 NotifyType = 16429 // GROUP_SENDER in G-IKEv2
	NotifyTypeIKEv2FragmentationSupported     NotifyType = 16430 // RFC 7383 §2.3
	NotifyTypeSignatureHashAlgorithms         NotifyType = 16431 // RFC 7427
	NotifyTypeCloneIKESASupported             NotifyType = 16432 // RFC 7791
	NotifyTypeCloneIKESA                      NotifyType = 16433
	NotifyTypePuzzle                          NotifyType = 16434 // RFC 8019
	NotifyTypeUsePPK                          NotifyType = 16435 // RFC 8784
	NotifyTypePPKIdentity                     NotifyType = 16436
	NotifyTypeNoPPKAuth                       NotifyType = 16437
	NotifyTypeIntermediateExchangeSupported   NotifyType = 16438 // RFC 9242
	NotifyTypeIP4Allowed                      NotifyType = 16439 // RFC 8983
	NotifyTypeIP6Allowed                      NotifyType = 16440
	NotifyTypeAdditionalKeyExchange           NotifyType = 16441 // RFC 9370
	NotifyTypeUseAggfrag                      NotifyType = 16442 // RFC 9347
	NotifyTypeSupportedAuthMethods            NotifyType = 16443 // RFC 9593
	NotifyTypeSAResourceInfo                  NotifyType = 16444 // RFC 9611
	NotifyTypeUsePPKInt                       NotifyType = 16445 // RFC 9867
	NotifyTypePPKIdentityKey                  NotifyType = 16446
	NotifyTypeIKESAInitFullTranscriptAuth     NotifyType = 16447
	NotifyTypeNullAuth                        NotifyType = 40960 // private use, libreswan opportunistic IPsec
	notifyTypeFirstStatus                     NotifyType = 16384
)

// IKEv1 notify message types (RFC 2408 §3.14.1 errors and status, RFC 2407
// §4.6.3 IPsec DOI status, RFC 3706 DPD, Cisco Unity).
const (
	NotifyTypeV1InvalidPayloadType      NotifyType = 1
	NotifyTypeV1DOINotSupported         NotifyType = 2
	NotifyTypeV1SituationNotSupported   NotifyType = 3
	NotifyTypeV1InvalidCookie           NotifyType = 4
	NotifyTypeV1InvalidMajorVersion     NotifyType = 5
	NotifyTypeV1InvalidMinorVersion     NotifyType = 6
	NotifyTypeV1InvalidExchangeType     NotifyType = 7
	NotifyTypeV1InvalidFlags            NotifyType = 8
	NotifyTypeV1InvalidMessageID        NotifyType = 9
	NotifyTypeV1InvalidProtocolID       NotifyType = 10
	NotifyTypeV1InvalidSPI              NotifyType = 11
	NotifyTypeV1InvalidTransformID      NotifyType = 12
	NotifyTypeV1AttributesNotSupported  NotifyType = 13
	NotifyTypeV1NoProposalChosen        NotifyType = 14
	NotifyTypeV1BadProposalSyntax       NotifyType = 15
	NotifyTypeV1PayloadMalformed        NotifyType = 16
	NotifyTypeV1InvalidKeyInformation   NotifyType = 17
	NotifyTypeV1InvalidIDInformation    NotifyType = 18
	NotifyTypeV1InvalidCertEncoding     NotifyType = 19
	NotifyTypeV1InvalidCertificate      NotifyType = 20
	NotifyTypeV1CertTypeUnsupported     NotifyType = 21
	NotifyTypeV1InvalidCertAuthority    NotifyType = 22
	NotifyTypeV1InvalidHashInformation  NotifyType = 23
	NotifyTypeV1AuthenticationFailed    NotifyType = 24
	NotifyTypeV1InvalidSignature        NotifyType = 25
	NotifyTypeV1AddressNotification     NotifyType = 26
	NotifyTypeV1NotifySALifetime        NotifyType = 27
	NotifyTypeV1CertificateUnavailable  NotifyType = 28
	NotifyTypeV1UnsupportedExchangeType NotifyType = 29
	NotifyTypeV1UnequalPayloadLengths   NotifyType = 30
	NotifyTypeV1Connected               NotifyType = 16384
	NotifyTypeV1ResponderLifetime       NotifyType = 24576 // RFC 2407 §4.6.3.1
	NotifyTypeV1ReplayStatus            NotifyType = 24577 // RFC 2407 §4.6.3.2
	NotifyTypeV1InitialContact          NotifyType = 24578 // RFC 2407 §4.6.3.3
	NotifyTypeV1RUThere                 NotifyType = 36136 // RFC 3706 §5
	NotifyTypeV1RUThereAck              NotifyType = 36137 // RFC 3706 §5
	NotifyTypeV1UnityLoadBalance        NotifyType = 40501
	NotifyTypeV1UnityUnknown            NotifyType = 40502
	NotifyTypeV1UnityGroupHash          NotifyType = 40503
)

var notifyTypeNamesV2 = map[NotifyType]string{
	NotifyTypeUnsupportedCriticalPayload:      "UNSUPPORTED_CRITICAL_PAYLOAD",
	NotifyTypeInvalidIKESPI:                   "INVALID_IKE_SPI",
	NotifyTypeInvalidMajorVersion:             "INVALID_MAJOR_VERSION",
	NotifyTypeInvalidSyntax:                   "INVALID_SYNTAX",
	NotifyTypeInvalidMessageID:                "INVALID_MESSAGE_ID",
	NotifyTypeInvalidSPI:                      "INVALID_SPI",
	NotifyTypeNoProposalChosen:                "NO_PROPOSAL_CHOSEN",
	NotifyTypeInvalidKEPayload:                "INVALID_KE_PAYLOAD",
	NotifyTypeAuthenticationFailed:            "AUTHENTICATION_FAILED",
	NotifyTypeSinglePairRequired:              "SINGLE_PAIR_REQUIRED",
	NotifyTypeNoAdditionalSAs:                 "NO_ADDITIONAL_SAS",
	NotifyTypeInternalAddressFailure:          "INTERNAL_ADDRESS_FAILURE",
	NotifyTypeFailedCPRequired:                "FAILED_CP_REQUIRED",
	NotifyTypeTSUnacceptable:                  "TS_UNACCEPTABLE",
	NotifyTypeInvalidSelectors:                "INVALID_SELECTORS",
	NotifyTypeUnacceptableAddresses:           "UNACCEPTABLE_ADDRESSES",
	NotifyTypeUnexpectedNATDetected:           "UNEXPECTED_NAT_DETECTED",
	NotifyTypeUseAssignedHoA:                  "USE_ASSIGNED_HoA",
	NotifyTypeTemporaryFailure:                "TEMPORARY_FAILURE",
	NotifyTypeChildSANotFound:                 "CHILD_SA_NOT_FOUND",
	NotifyTypeInvalidGroupID:                  "INVALID_GROUP_ID",
	NotifyTypeAuthorizationFailed:             "AUTHORIZATION_FAILED",
	NotifyTypeStateNotFound:                   "STATE_NOT_FOUND",
	NotifyTypeTSMaxQueue:                      "TS_MAX_QUEUE",
	NotifyTypeRegistrationFailed:              "REGISTRATION_FAILED",
	NotifyTypeInitialContact:                  "INITIAL_CONTACT",
	NotifyTypeSetWindowSize:                   "SET_WINDOW_SIZE",
	NotifyTypeAdditionalTSPossible:            "ADDITIONAL_TS_POSSIBLE",
	NotifyTypeIPCOMPSupported:                 "IPCOMP_SUPPORTED",
	NotifyTypeNATDetectionSourceIP:            "NAT_DETECTION_SOURCE_IP",
	NotifyTypeNATDetectionDestinationIP:       "NAT_DETECTION_DESTINATION_IP",
	NotifyTypeCookie:                          "COOKIE",
	NotifyTypeUseTransportMode:                "USE_TRANSPORT_MODE",
	NotifyTypeHTTPCertLookupSupported:         "HTTP_CERT_LOOKUP_SUPPORTED",
	NotifyTypeRekeySA:                         "REKEY_SA",
	NotifyTypeESPTFCPaddingNotSupported:       "ESP_TFC_PADDING_NOT_SUPPORTED",
	NotifyTypeNonFirstFragmentsAlso:           "NON_FIRST_FRAGMENTS_ALSO",
	NotifyTypeMOBIKESupported:                 "MOBIKE_SUPPORTED",
	NotifyTypeAdditionalIP4Address:            "ADDITIONAL_IP4_ADDRESS",
	NotifyTypeAdditionalIP6Address:            "ADDITIONAL_IP6_ADDRESS",
	NotifyTypeNoAdditionalAddresses:           "NO_ADDITIONAL_ADDRESSES",
	NotifyTypeUpdateSAAddresses:               "UPDATE_SA_ADDRESSES",
	NotifyTypeCookie2:                         "COOKIE2",
	NotifyTypeNoNATsAllowed:                   "NO_NATS_ALLOWED",
	NotifyTypeAuthLifetime:                    "AUTH_LIFETIME",
	NotifyTypeMultipleAuthSupported:           "MULTIPLE_AUTH_SUPPORTED",
	NotifyTypeAnotherAuthFollows:              "ANOTHER_AUTH_FOLLOWS",
	NotifyTypeRedirectSupported:               "REDIRECT_SUPPORTED",
	NotifyTypeRedirect:                        "REDIRECT",
	NotifyTypeRedirectedFrom:                  "REDIRECTED_FROM",
	NotifyTypeTicketLTOpaque:                  "TICKET_LT_OPAQUE",
	NotifyTypeTicketRequest:                   "TICKET_REQUEST",
	NotifyTypeTicketAck:                       "TICKET_ACK",
	NotifyTypeTicketNack:                      "TICKET_NACK",
	NotifyTypeTicketOpaque:                    "TICKET_OPAQUE",
	NotifyTypeLinkID:                          "LINK_ID",
	NotifyTypeUseWESPMode:                     "USE_WESP_MODE",
	NotifyTypeROHCSupported:                   "ROHC_SUPPORTED",
	NotifyTypeEAPOnlyAuthentication:           "EAP_ONLY_AUTHENTICATION",
	NotifyTypeChildlessIKEv2Supported:         "CHILDLESS_IKEV2_SUPPORTED",
	NotifyTypeQuickCrashDetection:             "QUICK_CRASH_DETECTION",
	NotifyTypeIKEv2MessageIDSyncSupported:     "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",
	NotifyTypeIPsecReplayCounterSyncSupported: "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
	NotifyTypeIKEv2MessageIDSync:              "IKEV2_MESSAGE_ID_SYNC",
	NotifyTypeIPsecReplayCounterSync:          "IPSEC_REPLAY_COUNTER_SYNC",
	NotifyTypeSecurePasswordMethods:           "SECURE_PASSWORD_METHODS",
	NotifyTypePSKPersist:                      "PSK_PERSIST",
	NotifyTypePSKConfirm:                      "PSK_CONFIRM",
	NotifyTypeERXSupported:                    "ERX_SUPPORTED",
	NotifyTypeIFOMCapability:                  "IFOM_CAPABILITY",
	NotifyTypeSenderRequestID:                 "SENDER_REQUEST_ID",
	NotifyTypeIKEv2FragmentationSupported:     "IKEV2_FRAGMENTATION_SUPPORTED",
	NotifyTypeSignatureHashAlgorithms:         "SIGNATURE_HASH_ALGORITHMS",
	NotifyTypeCloneIKESASupported:             "CLONE_IKE_SA_SUPPORTED",
	NotifyTypeCloneIKESA:                      "CLONE_IKE_SA",
	NotifyTypePuzzle:                          "PUZZLE",
	NotifyTypeUsePPK:                          "USE_PPK",
	NotifyTypePPKIdentity:                     "PPK_IDENTITY",
	NotifyTypeNoPPKAuth:                       "NO_PPK_AUTH",
	NotifyTypeIntermediateExchangeSupported:   "INTERMEDIATE_EXCHANGE_SUPPORTED",
	NotifyTypeIP4Allowed:                      "IP4_ALLOWED",
	NotifyTypeIP6Allowed:                      "IP6_ALLOWED",
	NotifyTypeAdditionalKeyExchange:           "ADDITIONAL_KEY_EXCHANGE",
	NotifyTypeUseAggfrag:                      "USE_AGGFRAG",
	NotifyTypeSupportedAuthMethods:            "SUPPORTED_AUTH_METHODS",
	NotifyTypeSAResourceInfo:                  "SA_RESOURCE_INFO",
	NotifyTypeUsePPKInt:                       "USE_PPK_INT",
	NotifyTypePPKIdentityKey:                  "PPK_IDENTITY_KEY",
	NotifyTypeIKESAInitFullTranscriptAuth:     "IKE_SA_INIT_FULL_TRANSCRIPT_AUTH",
	NotifyTypeNullAuth:                        "NULL_AUTH",
}

var notifyTypeNamesV1 = map[NotifyType]string{
	NotifyTypeV1InvalidPayloadType:      "INVALID-PAYLOAD-TYPE",
	NotifyTypeV1DOINotSupported:         "DOI-NOT-SUPPORTED",
	NotifyTypeV1SituationNotSupported:   "SITUATION-NOT-SUPPORTED",
	NotifyTypeV1InvalidCookie:           "INVALID-COOKIE",
	NotifyTypeV1InvalidMajorVersion:     "INVALID-MAJOR-VERSION",
	NotifyTypeV1InvalidMinorVersion:     "INVALID-MINOR-VERSION",
	NotifyTypeV1InvalidExchangeType:     "INVALID-EXCHANGE-TYPE",
	NotifyTypeV1InvalidFlags:            "INVALID-FLAGS",
	NotifyTypeV1InvalidMessageID:        "INVALID-MESSAGE-ID",
	NotifyTypeV1InvalidProtocolID:       "INVALID-PROTOCOL-ID",
	NotifyTypeV1InvalidSPI:              "INVALID-SPI",
	NotifyTypeV1InvalidTransformID:      "INVALID-TRANSFORM-ID",
	NotifyTypeV1AttributesNotSupported:  "ATTRIBUTES-NOT-SUPPORTED",
	NotifyTypeV1NoProposalChosen:        "NO-PROPOSAL-CHOSEN",
	NotifyTypeV1BadProposalSyntax:       "BAD-PROPOSAL-SYNTAX",
	NotifyTypeV1PayloadMalformed:        "PAYLOAD-MALFORMED",
	NotifyTypeV1InvalidKeyInformation:   "INVALID-KEY-INFORMATION",
	NotifyTypeV1InvalidIDInformation:    "INVALID-ID-INFORMATION",
	NotifyTypeV1InvalidCertEncoding:     "INVALID-CERT-ENCODING",
	NotifyTypeV1InvalidCertificate:      "INVALID-CERTIFICATE",
	NotifyTypeV1CertTypeUnsupported:     "CERT-TYPE-UNSUPPORTED",
	NotifyTypeV1InvalidCertAuthority:    "INVALID-CERT-AUTHORITY",
	NotifyTypeV1InvalidHashInformation:  "INVALID-HASH-INFORMATION",
	NotifyTypeV1AuthenticationFailed:    "AUTHENTICATION-FAILED",
	NotifyTypeV1InvalidSignature:        "INVALID-SIGNATURE",
	NotifyTypeV1AddressNotification:     "ADDRESS-NOTIFICATION",
	NotifyTypeV1NotifySALifetime:        "NOTIFY-SA-LIFETIME",
	NotifyTypeV1CertificateUnavailable:  "CERTIFICATE-UNAVAILABLE",
	NotifyTypeV1UnsupportedExchangeType: "UNSUPPORTED-EXCHANGE-TYPE",
	NotifyTypeV1UnequalPayloadLengths:   "UNEQUAL-PAYLOAD-LENGTHS",
	NotifyTypeV1Connected:               "CONNECTED",
	NotifyTypeV1ResponderLifetime:       "RESPONDER-LIFETIME",
	NotifyTypeV1ReplayStatus:            "REPLAY-STATUS",
	NotifyTypeV1InitialContact:          "INITIAL-CONTACT",
	NotifyTypeV1RUThere:                 "R-U-THERE",
	NotifyTypeV1RUThereAck:              "R-U-THERE-ACK",
	NotifyTypeV1UnityLoadBalance:        "UNITY-LOAD-BALANCE",
	NotifyTypeV1UnityUnknown:            "UNITY-UNKNOWN",
	NotifyTypeV1UnityGroupHash:          "UNITY-GROUP-HASH",
}

// String returns the IKEv2 name of the notify type, such as
// "NAT_DETECTION_SOURCE_IP", or, for a value IKEv2 does not assign but IKEv1
// does (INITIAL-CONTACT 24578, R-U-THERE 36136…), the IKEv1 name; otherwise
// the number. Use [NotifyType.Name] when the IKE version is known.
func (t NotifyType) String() string {
	if s, ok := notifyTypeNamesV2[t]; ok {
		return s
	}
	if s, ok := notifyTypeNamesV1[t]; ok {
		return s
	}
	return itoa(int(t))
}

// Name returns the notify type's name in the registry of the given IKE major
// version (1: RFC 2408 §3.14.1 spelling with hyphens, 2: RFC 7296 spelling
// with underscores), or the number when that registry has no name for it.
func (t NotifyType) Name(version uint8) string {
	names := notifyTypeNamesV2
	if version == 1 {
		names = notifyTypeNamesV1
	}
	if s, ok := names[t]; ok {
		return s
	}
	return itoa(int(t))
}

// IsError reports whether t is an error type: 1–16383 in both registries
// (RFC 7296 §3.10.1, RFC 2408 §3.14.1), status types being 16384 and up.
func (t NotifyType) IsError() bool { return t > 0 && t < notifyTypeFirstStatus }

// ProtocolID is a protocol identifier in proposals, notifies and deletes
// (RFC 2407 §4.4.1, RFC 7296 §3.3.1). IKEv1 and IKEv2 agree on 1–3 (the IKE
// SA, AH, ESP) but name them differently; see [ProtocolID.Name].
type ProtocolID uint8

// Protocol identifiers.
const (
	ProtocolIDReserved           ProtocolID = 0
	ProtocolIDIKE                ProtocolID = 1 // IKEv2 IKE; IKEv1 PROTO_ISAKMP
	ProtocolIDAH                 ProtocolID = 2 // IKEv2 AH; IKEv1 PROTO_IPSEC_AH
	ProtocolIDESP                ProtocolID = 3 // IKEv2 ESP; IKEv1 PROTO_IPSEC_ESP
	ProtocolIDIPCOMP             ProtocolID = 4 // IKEv1 only (RFC 2407 §4.4.1); IKEv2 FC_ESP_HEADER
	ProtocolIDGigabeamRadio      ProtocolID = 5 // IKEv1 (RFC 4705); IKEv2 FC_CT_AUTHENTICATION
	ProtocolIDGIKEUpdate         ProtocolID = 6 // IKEv2, G-IKEv2
	ProtocolIDISAKMP                        = ProtocolIDIKE
	ProtocolIDFCESPHeader                   = ProtocolIDIPCOMP
	ProtocolIDFCCTAuthentication            = ProtocolIDGigabeamRadio
)

var protocolIDNamesV2 = [...]string{"RESERVED", "IKE", "AH", "ESP", "FC_ESP_HEADER", "FC_CT_AUTHENTICATION", "GIKE_UPDATE"}
var protocolIDNamesV1 = [...]string{"RESERVED", "ISAKMP", "IPSEC_AH", "IPSEC_ESP", "IPCOMP", "GIGABEAM_RADIO"}

// String returns the IKEv2 name of the protocol ("IKE", "AH", "ESP"…) or the
// number. Use [ProtocolID.Name] for the IKEv1 spelling.
func (p ProtocolID) String() string { return p.Name(2) }

// Name returns the protocol's name in the given IKE major version's registry
// ("ISAKMP", "IPSEC_ESP" for IKEv1; "IKE", "ESP" for IKEv2), or the number.
func (p ProtocolID) Name(version uint8) string {
	if version == 1 {
		if int(p) < len(protocolIDNamesV1) {
			return protocolIDNamesV1[p]
		}
	} else if int(p) < len(protocolIDNamesV2) {
		return protocolIDNamesV2[p]
	}
	return itoa(int(p))
}

// TransformType is an IKEv2 transform type (RFC 7296 §3.3.2, RFC 9370 for
// the additional key exchanges, G-IKEv2 for 13 and 14). IKEv1 transforms have
// no type; their Transform.Type is 0.
type TransformType uint8

// IKEv2 transform types.
const (
	TransformTypeENCR   TransformType = 1  // encryption algorithm
	TransformTypePRF    TransformType = 2  // pseudorandom function
	TransformTypeINTEG  TransformType = 3  // integrity algorithm
	TransformTypeKE     TransformType = 4  // key exchange method (Diffie-Hellman group)
	TransformTypeESN    TransformType = 5  // (extended) sequence numbers
	TransformTypeADDKE1 TransformType = 6  // RFC 9370 additional key exchange 1
	TransformTypeADDKE2 TransformType = 7  // RFC 9370
	TransformTypeADDKE3 TransformType = 8  // RFC 9370
	TransformTypeADDKE4 TransformType = 9  // RFC 9370
	TransformTypeADDKE5 TransformType = 10 // RFC 9370
	TransformTypeADDKE6 TransformType = 11 // RFC 9370
	TransformTypeADDKE7 TransformType = 12 // RFC 9370
	TransformTypeKWA    TransformType = 13 // key wrap algorithm (G-IKEv2)
	TransformTypeGCAUTH TransformType = 14 // group controller authentication method (G-IKEv2)
	TransformTypeDH                   = TransformTypeKE
)

var transformTypeNames = [...]string{
	0:                   "RESERVED",
	TransformTypeENCR:   "Encryption Algorithm (ENCR)",
	TransformTypePRF:    "Pseudo-random Function (PRF)",
	TransformTypeINTEG:  "Integrity Algorithm (INTEG)",
	TransformTypeKE:     "Diffie-Hellman Group (D-H)",
	TransformTypeESN:    "Extended Sequence Numbers (ESN)",
	TransformTypeADDKE1: "Additional Key Exchange 1 (ADDKE1)",
	TransformTypeADDKE2: "Additional Key Exchange 2 (ADDKE2)",
	TransformTypeADDKE3: "Additional Key Exchange 3 (ADDKE3)",
	TransformTypeADDKE4: "Additional Key Exchange 4 (ADDKE4)",
	TransformTypeADDKE5: "Additional Key Exchange 5 (ADDKE5)",
	TransformTypeADDKE6: "Additional Key Exchange 6 (ADDKE6)",
	TransformTypeADDKE7: "Additional Key Exchange 7 (ADDKE7)",
	TransformTypeKWA:    "Key Wrap Algorithm (KWA)",
	TransformTypeGCAUTH: "Group Controller Authentication Method (GCAUTH)",
}

// String returns the transform type's name as Wireshark shows it, such as
// "Encryption Algorithm (ENCR)", or its number.
func (t TransformType) String() string {
	if int(t) < len(transformTypeNames) {
		return transformTypeNames[t]
	}
	return itoa(int(t))
}

// Names of transform IDs and SA attributes. IKEv1 names transforms per
// protocol (RFC 2407 §4.4) and puts the algorithms in attributes whose
// meaning depends on the protocol (RFC 2409 Appendix A for ISAKMP, RFC 2407
// §4.5 for AH, ESP and IPCOMP); IKEv2 names transforms per transform type
// (RFC 7296 §3.3.2) and has one attribute, Key Length (RFC 7296 §3.3.5).

var ikev2TransformIDNames = map[TransformType]map[uint16]string{
	TransformTypeENCR: {
		1: "ENCR_DES_IV64", 2: "ENCR_DES", 3: "ENCR_3DES", 4: "ENCR_RC5", 5: "ENCR_IDEA", 6: "ENCR_CAST",
		7: "ENCR_BLOWFISH", 8: "ENCR_3IDEA", 9: "ENCR_DES_IV32", 11: "ENCR_NULL", 12: "ENCR_AES_CBC",
		13: "ENCR_AES_CTR", 14: "ENCR_AES-CCM_8", 15: "ENCR-AES-CCM_12", 16: "ENCR-AES-CCM_16",
		18: "AES-GCM with a 8 octet ICV", 19: "AES-GCM with a 12 octet ICV", 20: "AES-GCM with a 16 octet ICV",
		21: "ENCR_NULL_AUTH_AES_GMAC", 23: "ENCR_CAMELLIA_CBC", 24: "ENCR_CAMELLIA_CTR",
		25: "ENCR_CAMELLIA_CCM with an 8-octet ICV", 26: "ENCR_CAMELLIA_CCM with a 12-octet ICV",
		27: "ENCR_CAMELLIA_CCM with a 16-octet ICV", 28: "ENCR_CHACHA20_POLY1305",
		29: "ENCR_AES_CCM_8_IIV", 30: "ENCR_AES_GCM_16_IIV", 31: "ENCR_CHACHA20_POLY1305_IIV",
		32: "ENCR_KUZNYECHIK_MGM_KTREE", 33: "ENCR_MAGMA_MGM_KTREE", 34: "ENCR_KUZNYECHIK_MGM_MAC_KTREE",
		35: "ENCR_MAGMA_MGM_MAC_KTREE",
	},
	TransformTypePRF: {
		1: "PRF_HMAC_MD5", 2: "PRF_HMAC_SHA1", 3: "PRF_HMAC_TIGER", 4: "PRF_AES128_CBC", 5: "PRF_HMAC_SHA2_256",
		6: "PRF_HMAC_SHA2_384", 7: "PRF_HMAC_SHA2_512", 8: "PRF_AES128_CMAC6", 9: "PRF_HMAC_STREEBOG_512",
	},
	TransformTypeINTEG: {
		0: "NONE", 1: "AUTH_HMAC_MD5_96", 2: "AUTH_HMAC_SHA1_96", 3: "AUTH_DES_MAC", 4: "AUTH_KPDK_MD5",
		5: "AUTH_AES_XCBC_96", 6: "AUTH_HMAC_MD5_128", 7: "AUTH_HMAC_SHA1_160", 8: "AUTH_AES_CMAC_96",
		9: "AUTH_AES_128_GMAC", 10: "AUTH_AES_192_GMAC", 11: "AUTH_AES_256_GMAC", 12: "AUTH_HMAC_SHA2_256_128",
		13: "AUTH_HMAC_SHA2_384_192", 14: "AUTH_HMAC_SHA2_512_256",
	},
	TransformTypeESN: {0: "No Extended Sequence Numbers", 1: "Extended Sequence Numbers"},
}

// groupNames names Diffie-Hellman groups and key exchange methods: the IKEv1
// Group Description attribute (RFC 2409 §6, RFC 3526, RFC 5903…) and the
// IKEv2 KE transform IDs (RFC 7296 §3.3.2, RFC 9370 for ML-KEM), which share
// one registry.
var groupNames = map[uint16]string{
	0: "NONE", 1: "Default 768-bit MODP group", 2: "Alternate 1024-bit MODP group",
	3: "EC2N group on GP[2^155] group", 4: "EC2N group on GP[2^185] group", 5: "1536 bit MODP group",
	6: "EC2N group over GF[2^163]", 7: "EC2N group over GF[2^163]", 8: "EC2N group over GF[2^283]",
	9: "EC2N group over GF[2^283]", 10: "EC2N group over GF[2^409]", 11: "EC2N group over GF[2^409]",
	12: "EC2N group over GF[2^571]", 13: "EC2N group over GF[2^571]", 14: "2048 bit MODP group",
	15: "3072 bit MODP group", 16: "4096 bit MODP group", 17: "6144 bit MODP group", 18: "8192 bit MODP group",
	19: "256-bit random ECP group", 20: "384-bit random ECP group", 21: "521-bit random ECP group",
	22: "1024-bit MODP Group with 160-bit Prime Order Subgroup", 23: "2048-bit MODP Group with 224-bit Prime Order Subgroup",
	24: "2048-bit MODP Group with 256-bit Prime Order Subgroup", 25: "192-bit Random ECP Group",
	26: "224-bit Random ECP Group", 27: "224-bit Brainpool ECP group", 28: "256-bit Brainpool ECP group",
	29: "384-bit Brainpool ECP group", 30: "512-bit Brainpool ECP group", 31: "Curve25519", 32: "Curve448",
	33: "GOST3410_2012_256", 34: "GOST3410_2012_512", 35: "ML-KEM-512", 36: "ML-KEM-768", 37: "ML-KEM-1024",
}

var ikev1TransformIDNames = map[ProtocolID]map[uint16]string{
	ProtocolIDISAKMP: {1: "KEY_IKE"},
	ProtocolIDAH: {2: "AH_MD5", 3: "AH_SHA", 4: "AH_DES", 5: "AH_SHA2-256", 6: "AH_SHA2-384", 7: "AH_SHA2-512",
		8: "AH_RIPEMD", 9: "AH_AES-XCBC-MAC", 10: "AH_RSA", 11: "AH_AES-128-GMAC", 12: "AH_AES-192-GMAC", 13: "AH_AES-256-GMAC"},
	ProtocolIDESP: {1: "ESP_DES_IV64", 2: "ESP_DES", 3: "ESP_3DES", 4: "ESP_RC5", 5: "ESP_IDEA", 6: "ESP_CAST",
		7: "ESP_BLOWFISH", 8: "ESP_3IDEA", 9: "ESP_DES_IV32", 10: "ESP_RC4", 11: "ESP_NULL", 12: "ESP_AES-CBC",
		13: "ESP_AES-CTR", 14: "ESP_AES-CCM_8", 15: "ESP_AES-CCM_12", 16: "ESP_AES-CCM_16", 18: "ESP_AES-GCM_8",
		19: "ESP_AES-GCM_12", 20: "ESP_AES-GCM_16", 21: "ESP_SEED_CBC", 22: "ESP_CAMELLIA", 23: "ESP_NULL_AUTH_AES-GMAC"},
	ProtocolIDIPCOMP: {1: "IPCOMP_OUI", 2: "IPCOMP_DEFLATE", 3: "IPCOMP_LZS", 4: "IPCOMP_LZJH"},
}

// TransformIDName returns the name of a transform ID: for IKEv1 per
// protocol (KEY_IKE, ESP_AES-CBC… RFC 2407 §4.4), for IKEv2 per transform
// type (ENCR_AES_CBC, PRF_HMAC_SHA2_256, a key exchange method…; RFC 7296
// §3.3.2). It returns the number when the registry has no name.
func TransformIDName(version uint8, proto ProtocolID, t TransformType, id uint16) string {
	var names map[uint16]string
	switch {
	case version == 1:
		names = ikev1TransformIDNames[proto]
	case t == TransformTypeKE || (t >= TransformTypeADDKE1 && t <= TransformTypeADDKE7):
		names = groupNames
	default:
		names = ikev2TransformIDNames[t]
	}
	if s, ok := names[id]; ok {
		return s
	}
	return itoa(int(id))
}

// IKEv1 attribute types for ISAKMP (Phase 1) proposals, RFC 2409 Appendix A.
var ikev1IKEAttrNames = map[uint16]string{
	1: "Encryption-Algorithm", 2: "Hash-Algorithm", 3: "Authentication-Method", 4: "Group-Description",
	5: "Group-Type", 6: "Group-Prime", 7: "Group-Generator-One", 8: "Group-Generator-Two", 9: "Group-Curve-A",
	10: "Group-Curve-B", 11: "Life-Type", 12: "Life-Duration", 13: "PRF", 14: "Key-Length", 15: "Field-Size",
	16: "Group-Order", 17: "Block-Size", 20: "Asymmetric-Cryptographic-Algorithm-Type",
}

// IKEv1 attribute types for IPsec (Phase 2) proposals, RFC 2407 §4.5.
var ikev1IPsecAttrNames = map[uint16]string{
	1: "SA-Life-Type", 2: "SA-Life-Duration", 3: "Group-Description", 4: "Encapsulation-Mode",
	5: "Authentication-Algorithm", 6: "Key-Length", 7: "Key-Rounds", 8: "Compress-Dictionary-Size",
	9: "Compress-Private-Algorithm", 10: "ECN Tunnel", 11: "Extended (64-bit) Sequence Number",
	12: "Authentication Key Length", 13: "Signature Encoding Algorithm", 14: "Address Preservation", 15: "SA Direction",
}

// The IKEv1 attributes whose values are enumerated, and their values.
var (
	ikev1IKEAttrValues = map[uint16]map[uint64]string{
		1: {1: "DES-CBC", 2: "IDEA-CBC", 3: "BLOWFISH-CBC", 4: "RC5-R16-B64-CBC", 5: "3DES-CBC", 6: "CAST-CBC", 7: "AES-CBC", 8: "CAMELLIA-CBC",
			127: "SM4-CBC (DEPRECATED)", 128: "SM1-CBC", 129: "SM4-CBC"},
		2: {1: "MD5", 2: "SHA", 3: "TIGER", 4: "SHA2-256", 5: "SHA2-384", 6: "SHA2-512", 20: "SM3"},
		3: {1: "Pre-shared key", 2: "DSS signatures", 3: "RSA signatures", 4: "Encryption with RSA",
			5: "Revised encryption with RSA", 9: "ECDSA with SHA-256 on the P-256 curve",
			10: "ECDSA with SHA-384 on the P-384 curve", 11: "ECDSA with SHA-512 on the P-521 curve",
			64221: "HybridInitRSA", 64222: "HybridRespRSA", 64223: "HybridInitDSS", 64224: "HybridRespDSS",
			65001: "XAUTHInitPreShared", 65002: "XAUTHRespPreShared", 65003: "XAUTHInitDSS", 65004: "XAUTHRespDSS",
			65005: "XAUTHInitRSA", 65006: "XAUTHRespRSA", 65007: "XAUTHInitRSAEncryption",
			65008: "XAUTHRespRSAEncryption", 65009: "XAUTHInitRSARevisedEncryption", 65010: "XAUTHRespRSARevisedEncryption"},
		5:  {1: "MODP", 2: "ECP", 3: "EC2N"},
		11: {1: "Seconds", 2: "Kilobytes"},
	}
	ikev1IPsecAttrValues = map[uint16]map[uint64]string{
		1: {1: "Seconds", 2: "Kilobytes"},
		4: {1: "Tunnel", 2: "Transport", 3: "UDP-Encapsulated-Tunnel", 4: "UDP-Encapsulated-Transport",
			61440: "Check Point IPSec UDP Encapsulation", 61443: "UDP-Encapsulated-Tunnel (draft)",
			61444: "UDP-Encapsulated-Transport (draft)"},
		5: {1: "HMAC-MD5", 2: "HMAC-SHA", 3: "DES-MAC", 4: "KPDK", 5: "HMAC-SHA2-256", 6: "HMAC-SHA2-384",
			7: "HMAC-SHA2-512", 8: "HMAC-RIPEMD", 9: "AES-XCBC-MAC", 10: "SIG-RSA", 11: "AES-128-GMAC",
			12: "AES-192-GMAC", 13: "AES-256-GMAC"},
		10: {1: "Allowed", 2: "Forbidden"},
		11: {1: "64-bit Sequence Number"},
	}
)

// IKEv1 IPsec DOI Encapsulation Mode values (RFC 2407 §4.5, RFC 3947 §5.1
// and the values of the NAT-T drafts, which real devices still send).
const (
	EncapsulationModeTunnel              = 1
	EncapsulationModeTransport           = 2
	EncapsulationModeUDPTunnel           = 3
	EncapsulationModeUDPTransport        = 4
	EncapsulationModeUDPTunnelDraft      = 61443
	EncapsulationModeUDPTransportDraft   = 61444
	EncapsulationModeCheckPointUDPEncaps = 61440
)

// AttributeName returns the name of an SA attribute type: IKEv1 ISAKMP
// (Phase 1) attributes (RFC 2409 Appendix A) when proto is ISAKMP, IKEv1
// IPsec attributes (RFC 2407 §4.5) otherwise, IKEv2 transform attributes
// (RFC 7296 §3.3.5: Key Length) for version 2. It returns the number when
// the registry has no name.
func AttributeName(version uint8, proto ProtocolID, attr uint16) string {
	var s string
	switch {
	case version != 1:
		if attr == 14 {
			s = "Key Length"
		}
	case proto == ProtocolIDISAKMP:
		s = ikev1IKEAttrNames[attr]
	default:
		s = ikev1IPsecAttrNames[attr]
	}
	if s == "" {
		return itoa(int(attr))
	}
	return s
}

// AttributeValueName returns the name of an enumerated IKEv1 attribute value
// (encryption and hash algorithms, authentication methods, groups, life
// types, encapsulation modes, authentication algorithms…), or the number for
// an attribute whose values are quantities (durations, key lengths) or a
// value the registry does not name.
func AttributeValueName(version uint8, proto ProtocolID, attr uint16, v uint64) string {
	if version == 1 {
		if (proto == ProtocolIDISAKMP && attr == 4) || (proto != ProtocolIDISAKMP && attr == 3) {
			if s, ok := groupNames[uint16(v)]; ok && v <= 0xffff {
				return s
			}
		}
		values := ikev1IPsecAttrValues
		if proto == ProtocolIDISAKMP {
			values = ikev1IKEAttrValues
		}
		if s, ok := values[attr][v]; ok {
			return s
		}
	}
	if v > 1<<62 {
		return "0x" + hexString(v)
	}
	return itoa(int(v))
}

func hexString(v uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

// ID types (RFC 2407 §4.6.2.1 for IKEv1, RFC 7296 §3.5 for IKEv2).
var (
	idTypeNamesV1 = map[uint8]string{1: "IPV4_ADDR", 2: "FQDN", 3: "USER_FQDN", 4: "IPV4_ADDR_SUBNET", 5: "IPV6_ADDR",
		6: "IPV6_ADDR_SUBNET", 7: "IPV4_ADDR_RANGE", 8: "IPV6_ADDR_RANGE", 9: "DER_ASN1_DN", 10: "DER_ASN1_GN",
		11: "KEY_ID", 12: "LIST"}
	idTypeNamesV2 = map[uint8]string{1: "IPV4_ADDR", 2: "FQDN", 3: "RFC822_ADDR", 5: "IPV6_ADDR", 9: "DER_ASN1_DN",
		10: "DER_ASN1_GN", 11: "KEY_ID", 12: "FC_NAME", 13: "NULL"}
)

// IDTypeName returns the name of an identification type in the given IKE
// version's registry, such as "FQDN" or "IPV4_ADDR", or the number.
func IDTypeName(version uint8, t uint8) string {
	names := idTypeNamesV2
	if version == 1 {
		names = idTypeNamesV1
	}
	if s, ok := names[t]; ok {
		return s
	}
	return itoa(int(t))
}

// Certificate encodings of CERT and CERTREQ payloads (RFC 2408 §3.9,
// RFC 7296 §3.6), as the IANA registries name them.
var certEncodingNames = map[uint8]string{
	1: "PKCS #7 wrapped X.509 certificate", 2: "PGP Certificate", 3: "DNS Signed Key",
	4: "X.509 Certificate - Signature", 5: "X.509 Certificate - Key Exchange", 6: "Kerberos Tokens",
	7: "Certificate Revocation List (CRL)", 8: "Authority Revocation List (ARL)", 9: "SPKI Certificate",
	10: "X.509 Certificate - Attribute", 11: "Raw RSA Key", 12: "Hash and URL of X.509 certificate",
	13: "Hash and URL of X.509 bundle", 14: "OCSP Content", 15: "Raw Public Key",
}

// CertEncodingName names a certificate encoding, such as "X.509
// Certificate - Signature", or returns its number.
func CertEncodingName(e uint8) string {
	if s, ok := certEncodingNames[e]; ok {
		return s
	}
	return itoa(int(e))
}

// IKEv2 authentication methods (RFC 7296 §3.8, RFC 4754, RFC 6467,
// RFC 7619, RFC 7427).
var authMethodNames = map[uint8]string{
	1: "RSA Digital Signature", 2: "Shared Key Message Integrity Code", 3: "DSS Digital Signature",
	9: "ECDSA with SHA-256 on the P-256 curve", 10: "ECDSA with SHA-384 on the P-384 curve",
	11: "ECDSA with SHA-512 on the P-521 curve", 12: "Generic Secure Password Authentication Method",
	13: "NULL Authentication", 14: "Digital Signature",
}

// AuthMethodName names an IKEv2 authentication method, such as "Shared Key
// Message Integrity Code", or returns its number.
func AuthMethodName(m uint8) string {
	if s, ok := authMethodNames[m]; ok {
		return s
	}
	return itoa(int(m))
}

// ConfigTypeName names the type of a configuration payload (IKEv2 CP,
// RFC 7296 §3.15; IKEv1 Attributes, draft-ietf-ipsec-isakmp-mode-cfg-05
// §3.2, which numbers them alike), or returns its number.
func ConfigTypeName(t uint8) string {
	switch t {
	case 1:
		return "CFG_REQUEST"
	case 2:
		return "CFG_REPLY"
	case 3:
		return "CFG_SET"
	case 4:
		return "CFG_ACK"
	}
	return itoa(int(t))
}

// EAPCodeName names an EAP code (RFC 3748 §4), or returns its number.
func EAPCodeName(c uint8) string {
	switch c {
	case 1:
		return "Request"
	case 2:
		return "Response"
	case 3:
		return "Success"
	case 4:
		return "Failure"
	}
	return itoa(int(c))
}

// Configuration attribute types (RFC 7296 §3.15.1, RFC 8598; for IKEv1
// draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2, which numbers the shared ones
// alike, and the XAUTH attributes of draft-beaulieu-ike-xauth-02 §6.1).
var configAttributeNames = map[uint16]string{
	1: "INTERNAL_IP4_ADDRESS", 2: "INTERNAL_IP4_NETMASK", 3: "INTERNAL_IP4_DNS", 4: "INTERNAL_IP4_NBNS",
	5: "INTERNAL_ADDRESS_EXPIRY", 6: "INTERNAL_IP4_DHCP", 7: "APPLICATION_VERSION", 8: "INTERNAL_IP6_ADDRESS",
	9: "INTERNAL_IP6_NETMASK", 10: "INTERNAL_IP6_DNS", 11: "INTERNAL_IP6_NBNS", 12: "INTERNAL_IP6_DHCP",
	13: "INTERNAL_IP4_SUBNET", 14: "SUPPORTED_ATTRIBUTES", 15: "INTERNAL_IP6_SUBNET", 25: "INTERNAL_DNS_DOMAIN",
}

var xauthAttributeNames = map[uint16]string{
	16520: "XAUTH_TYPE", 16521: "XAUTH_USER_NAME", 16522: "XAUTH_USER_PASSWORD", 16523: "XAUTH_PASSCODE",
	16524: "XAUTH_MESSAGE", 16525: "XAUTH_CHALLENGE", 16526: "XAUTH_DOMAIN", 16527: "XAUTH_STATUS",
	16528: "XAUTH_NEXT_PIN", 16529: "XAUTH_ANSWER",
}

// ConfigAttributeName names a configuration attribute type of the given
// IKE version, such as "INTERNAL_IP4_ADDRESS", or returns its number.
func ConfigAttributeName(version uint8, t uint16) string {
	if s, ok := configAttributeNames[t]; ok && (version == 2 || t <= 15) {
		return s
	}
	if s, ok := xauthAttributeNames[t]; ok && version == 1 {
		return s
	}
	return itoa(int(t))
}
