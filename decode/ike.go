package decode

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// IKEHeaderLen is the length of the fixed IKE header (RFC 2408 §3.1,
// RFC 7296 §3.1).
const IKEHeaderLen = 28

// IKE is the gopacket DecodingLayer for the fixed IKE/ISAKMP header
// (RFC 2408 §3.1, RFC 7296 §3.1). Contents is the 28-byte header and Payload
// the payload chain: the bytes after the header up to the header's Length,
// clipped to the data when the capture holds less (then DecodeFromBytes
// calls SetTruncated on its feedback and succeeds). Bytes past Length are not
// part of the layer. Both slices alias the input and are valid until the
// next DecodeFromBytes.
//
// The payload chain is walked with [PayloadIter]; [ParseIKEMessage] does
// both steps and returns owned values.
type IKE struct {
	layers.BaseLayer
	SPIi, SPIr   uint64 // initiator and responder SPI (IKEv1: CKY-I, CKY-R)
	NextPayload  PayloadType
	MajorVersion uint8
	MinorVersion uint8
	Exchange     ExchangeType
	Flags        uint8
	MessageID    uint32
	Length       uint32
}

var _ gopacket.DecodingLayer = (*IKE)(nil)

// errIKEShort is the static reason for the common case of a datagram that is
// too short for the header, so that classifying non-IKE traffic on port 500
// or 4500 builds as little as possible.
var errIKEShort = errors.New("header needs 28 bytes")

// DecodeFromBytes decodes the fixed header and sets Contents and Payload.
// Every field is reset first, so a layer can be reused. It fails when data
// is shorter than 28 bytes (with [ErrTruncated]), when the major version is
// neither 1 nor 2, or when the Length field is below 28.
func (i *IKE) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*i = IKE{}
	if len(data) < IKEHeaderLen {
		if df != nil {
			df.SetTruncated()
		}
		return &Error{Layer: "ike", Field: "header", Offset: 0,
			Err: fmt.Errorf("%w: %d bytes, %w", ErrTruncated, len(data), errIKEShort)}
	}
	major := data[17] >> 4
	if major != 1 && major != 2 {
		return &Error{Layer: "ike", Field: "version", Offset: 17, Kind: FaultUnsupported,
			Err: fmt.Errorf("unsupported major version %d", major)}
	}
	length := binary.BigEndian.Uint32(data[24:28])
	if length < IKEHeaderLen {
		return &Error{Layer: "ike", Field: "length", Offset: 24,
			Err: fmt.Errorf("length %d < %d", length, IKEHeaderLen)}
	}
	end := len(data)
	if uint64(length) <= uint64(len(data)) {
		end = int(length)
	} else if df != nil {
		df.SetTruncated()
	}
	i.SPIi = binary.BigEndian.Uint64(data[0:8])
	i.SPIr = binary.BigEndian.Uint64(data[8:16])
	i.NextPayload = PayloadType(data[16])
	i.MajorVersion = major
	i.MinorVersion = data[17] & 0x0f
	i.Exchange = ExchangeType(data[18])
	i.Flags = data[19]
	i.MessageID = binary.BigEndian.Uint32(data[20:24])
	i.Length = length
	i.Contents = data[:IKEHeaderLen:IKEHeaderLen]
	i.Payload = data[IKEHeaderLen:end:end]
	return nil
}

// Clipped reports whether the capture holds fewer bytes than the header's
// Length announces, so that Payload is only the captured part of the chain.
func (i *IKE) Clipped() bool { return uint64(IKEHeaderLen+len(i.Payload)) < uint64(i.Length) }

// Encrypted reports whether the payload chain is encrypted as a whole: the
// IKEv1 E flag (RFC 2408 §3.1). IKEv2 encrypts inside the SK payload
// instead, which the chain shows.
func (i *IKE) Encrypted() bool { return i.MajorVersion == 1 && i.Flags&IKEv1FlagEncryption != 0 }

// LayerType returns [LayerTypeIKE].
func (i *IKE) LayerType() gopacket.LayerType { return LayerTypeIKE }

// CanDecode returns [LayerTypeIKE].
func (i *IKE) CanDecode() gopacket.LayerClass { return LayerTypeIKE }

// NextLayerType returns gopacket.LayerTypeZero: IKE payloads are not layers
// but are walked with [PayloadIter], so decoding ends here.
func (i *IKE) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
