package decode

// This file holds the registries of IKEv1 and IKEv2 notify message types
// (see enums.go).

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
