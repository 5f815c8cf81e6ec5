package decode

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ESP is the cleartext header of an Encapsulating Security Payload packet
// (RFC 4303 §2): the SPI and the sequence number. Everything after them (IV,
// encrypted payload, padding, next header, ICV) is opaque without keys and is
// left in Payload.
//
// The same layer decodes ESP directly over IP (protocol 50), inside UDP
// (RFC 3948 §2.1) and inside a TCP stream (RFC 9329 §3).
type ESP struct {
	layers.BaseLayer
	SPI uint32
	Seq uint32
}

var _ gopacket.DecodingLayer = (*ESP)(nil)

// errZeroSPI is the reason for an SPI of zero, which RFC 4303 §2.1 reserves
// and which on UDP 4500 can only mean a non-ESP marker that is too short.
var errZeroSPI = errors.New("spi 0 is reserved")

// LayerType returns [LayerTypeESP].
func (e *ESP) LayerType() gopacket.LayerType { return LayerTypeESP }

// CanDecode returns [LayerTypeESP] and gopacket's LayerTypeIPSecESP, so
// that a DecodingLayerParser uses this layer for IP protocol 50.
func (e *ESP) CanDecode() gopacket.LayerClass { return layerClassESP }

// NextLayerType returns gopacket.LayerTypeZero: the payload is encrypted.
func (e *ESP) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// DecodeFromBytes decodes the SPI and sequence number. Contents aliases the
// eight header octets and Payload the rest of data; both are valid until the
// next DecodeFromBytes. An SPI of zero is an error (RFC 4303 §2.1).
func (e *ESP) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*e = ESP{}
	if len(data) < 8 {
		df.SetTruncated()
		return &Error{Layer: "esp", Field: "header", Offset: 0, Err: ErrTruncated}
	}
	e.SPI = binary.BigEndian.Uint32(data)
	e.Seq = binary.BigEndian.Uint32(data[4:])
	e.Contents = data[:8]
	e.Payload = data[8:]
	if e.SPI == 0 {
		return &Error{Layer: "esp", Field: "spi", Offset: 0, Err: errZeroSPI}
	}
	return nil
}

// AH is an Authentication Header (RFC 4302 §2): next header, SPI, sequence
// number and the integrity check value. The ICV covers the IP addresses, so
// AH cannot survive address translation (RFC 3715 §2.1).
type AH struct {
	layers.BaseLayer
	NextHeader layers.IPProtocol
	// HeaderLen is the length of the AH header in octets, computed from the
	// Payload Length field ((field+2)*4, RFC 4302 §2.2).
	HeaderLen int
	SPI       uint32
	Seq       uint32
	// ICV aliases the input; valid until the next DecodeFromBytes.
	ICV []byte
}

var _ gopacket.DecodingLayer = (*AH)(nil)

// LayerType returns [LayerTypeAH].
func (a *AH) LayerType() gopacket.LayerType { return LayerTypeAH }

// CanDecode returns [LayerTypeAH] and gopacket's LayerTypeIPSecAH, so that
// a DecodingLayerParser uses this layer for IP protocol 51.
func (a *AH) CanDecode() gopacket.LayerClass { return layerClassAH }

// NextLayerType returns the layer type of the protected protocol named by
// the Next Header field: AH authenticates but does not encrypt.
func (a *AH) NextLayerType() gopacket.LayerType {
	if a.NextHeader == layers.IPProtocolESP {
		return LayerTypeESP
	}
	return a.NextHeader.LayerType()
}

// DecodeFromBytes decodes the AH header. Contents aliases the whole header
// including the ICV and Payload the protected data; both are valid until the
// next DecodeFromBytes.
func (a *AH) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*a = AH{}
	if len(data) < 12 {
		df.SetTruncated()
		return &Error{Layer: "ah", Field: "header", Offset: 0, Err: ErrTruncated}
	}
	a.NextHeader = layers.IPProtocol(data[0])
	a.HeaderLen = (int(data[1]) + 2) * 4
	a.SPI = binary.BigEndian.Uint32(data[4:])
	a.Seq = binary.BigEndian.Uint32(data[8:])
	if a.HeaderLen < 12 {
		return &Error{Layer: "ah", Field: "payload length", Offset: 1, Err: errors.New("header length " + itoa(a.HeaderLen) + " < 12")}
	}
	if a.HeaderLen > len(data) {
		df.SetTruncated()
		return &Error{Layer: "ah", Field: "icv", Offset: 12, Err: ErrTruncated}
	}
	a.ICV = data[12:a.HeaderLen]
	a.Contents = data[:a.HeaderLen]
	a.Payload = data[a.HeaderLen:]
	if a.SPI == 0 {
		return &Error{Layer: "ah", Field: "spi", Offset: 4, Err: errZeroSPI}
	}
	return nil
}
