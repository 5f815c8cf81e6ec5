package decode

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// GRE is a Generic Routing Encapsulation header: version 0 (RFC 2784 with
// the key and sequence number extensions of RFC 2890, and the routing field
// of RFC 1701) and version 1, the enhanced GRE that carries PPTP data
// (RFC 2637 §4.1), where the key holds the payload length and the
// receiver's call ID and an acknowledgment number may follow the sequence
// number.
type GRE struct {
	layers.BaseLayer
	ChecksumPresent bool // C
	RoutingPresent  bool // R (RFC 1701; deprecated by RFC 2784)
	KeyPresent      bool // K
	SeqPresent      bool // S
	StrictRoute     bool // s (RFC 1701)
	AckPresent      bool // A: an acknowledgment number follows (version 1; a reserved bit in version 0, adding no field)
	Recursion       uint8
	Flags           uint8 // the flag bits between A and the version, zero on the wire
	Version         uint8
	Protocol        layers.EthernetType
	Checksum        uint16
	Offset          uint16
	Key             uint32
	Seq             uint32
	Ack             uint32
	// CallID and PayloadLength split the version 1 key (RFC 2637 §4.1):
	// the payload length in the high 16 bits, the peer's call ID in the low.
	CallID        uint16
	PayloadLength uint16
	// Routing aliases the RFC 1701 source route entries, including the
	// terminating null entry; valid until the next DecodeFromBytes.
	Routing []byte
}

var _ gopacket.DecodingLayer = (*GRE)(nil)

// LayerType returns [LayerTypeGRE].
func (g *GRE) LayerType() gopacket.LayerType { return LayerTypeGRE }

// CanDecode returns [LayerTypeGRE] and gopacket's LayerTypeGRE, so that a
// DecodingLayerParser uses this layer for IP protocol 47.
func (g *GRE) CanDecode() gopacket.LayerClass { return layerClassGRE }

// NextLayerType returns the layer type of the payload's EtherType (PPP for
// 0x880b).
func (g *GRE) NextLayerType() gopacket.LayerType { return g.Protocol.LayerType() }

var (
	errGREVersion = errors.New("unsupported version")
	errGRESRE     = errors.New("source route entry runs past the packet")
)

// DecodeFromBytes decodes a GRE header of version 0 or 1; other versions
// are an error. Contents aliases the header and Payload the encapsulated
// packet; both are valid until the next DecodeFromBytes.
func (g *GRE) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*g = GRE{}
	if len(data) < 4 {
		df.SetTruncated()
		return &Error{Layer: "gre", Field: "header", Offset: 0, Err: ErrTruncated}
	}
	f0, f1 := data[0], data[1]
	g.ChecksumPresent = f0&0x80 != 0
	g.RoutingPresent = f0&0x40 != 0
	g.KeyPresent = f0&0x20 != 0
	g.SeqPresent = f0&0x10 != 0
	g.StrictRoute = f0&0x08 != 0
	g.Recursion = f0 & 0x07
	g.AckPresent = f1&0x80 != 0
	g.Flags = (f1 >> 3) & 0x0F
	g.Version = f1 & 0x07
	g.Protocol = layers.EthernetType(binary.BigEndian.Uint16(data[2:]))
	if g.Version > 1 {
		return &Error{Layer: "gre", Field: "version", Offset: 1, Kind: FaultUnsupported, Err: errors.New(errGREVersion.Error() + " " + itoa(int(g.Version)))}
	}
	off, err := g.decodeFields(data, df)
	if err != nil {
		return err
	}
	if g.RoutingPresent {
		if off, err = g.decodeRouting(data, off, df); err != nil {
			return err
		}
	}
	g.Contents = data[:off]
	g.Payload = data[off:]
	return nil
}

// decodeFields decodes the optional 32-bit fields that the flags announce
// (checksum and offset, key, sequence and acknowledgment numbers) from
// offset 4, and returns the offset after them.
func (g *GRE) decodeFields(data []byte, df gopacket.DecodeFeedback) (int, error) {
	off := 4
	field := func(name string) (uint32, error) {
		if len(data) < off+4 {
			df.SetTruncated()
			return 0, &Error{Layer: "gre", Field: name, Offset: off, Err: ErrTruncated}
		}
		v := binary.BigEndian.Uint32(data[off:])
		off += 4
		return v, nil
	}
	if g.ChecksumPresent || g.RoutingPresent {
		v, err := field("checksum")
		if err != nil {
			return 0, err
		}
		g.Checksum, g.Offset = uint16(v>>16), uint16(v)
	}
	if g.KeyPresent {
		v, err := field("key")
		if err != nil {
			return 0, err
		}
		g.Key = v
		if g.Version == 1 {
			g.PayloadLength, g.CallID = uint16(v>>16), uint16(v)
		}
	}
	if g.SeqPresent {
		v, err := field("sequence number")
		if err != nil {
			return 0, err
		}
		g.Seq = v
	}
	// The acknowledgment number exists only in enhanced GRE; in version 0
	// that bit is reserved and says nothing about the header's length.
	if g.AckPresent && g.Version == 1 {
		v, err := field("acknowledgment number")
		if err != nil {
			return 0, err
		}
		g.Ack = v
	}
	return off, nil
}

// decodeRouting walks the routing field at off (RFC 1701 §2.1): entries of
// address family, SRE offset and SRE length, then the routing data, until
// an entry with family 0 and length 0. Each entry is at least four octets,
// so the walk ends. It returns the offset after the field.
func (g *GRE) decodeRouting(data []byte, off int, df gopacket.DecodeFeedback) (int, error) {
	start := off
	for {
		if len(data) < off+4 {
			df.SetTruncated()
			return 0, &Error{Layer: "gre", Field: "routing", Offset: off, Err: ErrTruncated}
		}
		family := binary.BigEndian.Uint16(data[off:])
		n := int(data[off+3])
		if len(data) < off+4+n {
			return 0, &Error{Layer: "gre", Field: "routing", Offset: off, Err: errGRESRE}
		}
		off += 4 + n
		if family == 0 && n == 0 {
			break
		}
	}
	g.Routing = data[start:off]
	return off, nil
}

// Info returns the header as the [GREInfo] value of a [Packet].
func (g *GRE) Info() GREInfo {
	return GREInfo{
		Version:    g.Version,
		Protocol:   uint16(g.Protocol),
		KeyPresent: g.KeyPresent,
		SeqPresent: g.SeqPresent,
		AckPresent: g.AckPresent && g.Version == 1,
		Key:        g.Key,
		CallID:     g.CallID,
		PayloadLen: g.PayloadLength,
		Seq:        g.Seq,
		Ack:        g.Ack,
	}
}
