package decode

import (
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// UDPEncap is the demultiplexer of RFC 3948 §2 for UDP port 4500 (and for
// the extra ports of [Options.IKEPorts]): one UDP port carries IKE behind a
// non-ESP marker, ESP, and NAT-T keepalives. It consumes no octets; its
// NextLayerType says which of the three the payload is.
type UDPEncap struct {
	layers.BaseLayer
	// Next is the layer type of the payload, as NextLayerType returns it.
	Next gopacket.LayerType
}

var _ gopacket.DecodingLayer = (*UDPEncap)(nil)

// LayerType returns [LayerTypeUDPEncap].
func (u *UDPEncap) LayerType() gopacket.LayerType { return LayerTypeUDPEncap }

// CanDecode returns [LayerTypeUDPEncap].
func (u *UDPEncap) CanDecode() gopacket.LayerClass { return LayerTypeUDPEncap }

// NextLayerType applies the split of RFC 3948 §2: a payload that starts with
// four zero octets (the non-ESP marker, which no ESP packet can start with
// because SPI 0 is reserved) is IKE behind a [NonESPMarker]; a payload of the
// single octet 0xFF is a [NATTKeepalive] (§2.3); anything else is [ESP] —
// except a payload that is a whole IKE header (major version 1 or 2, length
// field equal to the payload's length), which is [IKE] sent without the
// marker. RFC 3948 §2.2 forbids that, and a receiver takes it for ESP whose
// SPI is the first four octets of the initiator's SPI; naming it IKE lets
// the violation be reported instead of an ESP SA that does not exist.
func (u *UDPEncap) NextLayerType() gopacket.LayerType { return u.Next }

// DecodeFromBytes records the split for data; it never fails. Payload aliases
// data.
func (u *UDPEncap) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	u.Contents = data[:0]
	u.Payload = data
	u.Next = udpEncapNext(data)
	return nil
}

// udpEncapNext is the RFC 3948 §2 classification of a UDP 4500 payload,
// with IKE that lacks the marker told apart from ESP (see NextLayerType).
func udpEncapNext(b []byte) gopacket.LayerType { return udpEncapKind(b, len(b)) }

// udpEncapKind is udpEncapNext for a payload of wire octets on the wire,
// of which b was captured: an IKE message cut by the snap length is
// compared with its length on the wire.
func udpEncapKind(b []byte, wire int) gopacket.LayerType {
	switch {
	case isNonESPMarker(b):
		return LayerTypeNonESPMarker
	case len(b) == 1 && b[0] == 0xFF:
		return LayerTypeNATTKeepalive
	case looksLikeIKE(b, wire):
		return LayerTypeIKE
	default:
		return LayerTypeESP
	}
}

// isNonESPMarker reports whether b starts with the four zero octets of the
// non-ESP marker (RFC 3948 §2.2).
func isNonESPMarker(b []byte) bool {
	return len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0
}

// NonESPMarker is the four zero octets that precede an IKE message on UDP
// port 4500 (RFC 3948 §2.2) and in an RFC 9329 TCP stream. They sit where
// ESP has its SPI, which is never zero.
type NonESPMarker struct {
	layers.BaseLayer
}

var _ gopacket.DecodingLayer = (*NonESPMarker)(nil)

var errNotMarker = errors.New("first four octets are not zero")

// LayerType returns [LayerTypeNonESPMarker].
func (m *NonESPMarker) LayerType() gopacket.LayerType { return LayerTypeNonESPMarker }

// CanDecode returns [LayerTypeNonESPMarker].
func (m *NonESPMarker) CanDecode() gopacket.LayerClass { return LayerTypeNonESPMarker }

// NextLayerType returns [LayerTypeIKE]: only IKE follows the marker.
func (m *NonESPMarker) NextLayerType() gopacket.LayerType { return LayerTypeIKE }

// DecodeFromBytes checks the marker. Contents aliases its four octets and
// Payload the IKE message; both are valid until the next DecodeFromBytes.
func (m *NonESPMarker) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*m = NonESPMarker{}
	if len(data) < 4 {
		df.SetTruncated()
		return &Error{Layer: "non-esp marker", Offset: 0, Err: ErrTruncated}
	}
	if !isNonESPMarker(data) {
		return &Error{Layer: "non-esp marker", Offset: 0, Err: errNotMarker}
	}
	m.Contents = data[:4]
	m.Payload = data[4:]
	return nil
}

// NATTKeepalive is a NAT-Traversal keepalive: a UDP payload of the single
// octet 0xFF, sent on port 4500 to keep a NAT mapping alive (RFC 3948 §2.3,
// §4).
type NATTKeepalive struct {
	layers.BaseLayer
}

var _ gopacket.DecodingLayer = (*NATTKeepalive)(nil)

var errNotKeepalive = errors.New("not a single 0xff octet")

// LayerType returns [LayerTypeNATTKeepalive].
func (k *NATTKeepalive) LayerType() gopacket.LayerType { return LayerTypeNATTKeepalive }

// CanDecode returns [LayerTypeNATTKeepalive].
func (k *NATTKeepalive) CanDecode() gopacket.LayerClass { return LayerTypeNATTKeepalive }

// NextLayerType returns gopacket.LayerTypeZero: nothing follows.
func (k *NATTKeepalive) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// DecodeFromBytes checks that data is exactly the octet 0xFF. Contents
// aliases it.
func (k *NATTKeepalive) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*k = NATTKeepalive{}
	if len(data) != 1 || data[0] != 0xFF {
		return &Error{Layer: "nat-keepalive", Offset: 0, Err: errNotKeepalive}
	}
	k.Contents = data
	return nil
}
