package decode

// ExchangeType is an ISAKMP/IKEv1 (RFC 2408 §3.1, RFC 2409) or IKEv2
// (RFC 7296 §3.1) exchange type.
type ExchangeType uint8

// PayloadType is an IKE payload type (RFC 2408 §3.1, RFC 3947, RFC 7296
// §3.2, RFC 7383).
type PayloadType uint8

// NotifyType is an IKEv1 notify message type (RFC 2408 §3.14.1) or IKEv2
// notify message type (RFC 7296 §3.10.1 and the IANA registry).
type NotifyType uint16

// ProtocolID is a protocol identifier in proposals, notifies and deletes
// (RFC 2407 §4.4.1, RFC 7296 §3.3.1).
type ProtocolID uint8

// TransformType is an IKEv2 transform type (RFC 7296 §3.3.2).
type TransformType uint8
