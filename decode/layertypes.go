package decode

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Layer types of this package's decoding units, registered with gopacket in
// its range for application layer types (1000–1999), which gopacket resolves
// by array index rather than by map. Every gopacket registration of the
// package is in this file, as in gopacket's own layers/layertypes.go.
var (
	// LayerTypeIKE is the ISAKMP/IKEv1 or IKEv2 header ([IKE]).
	LayerTypeIKE = gopacket.RegisterLayerType(1000, gopacket.LayerTypeMetadata{Name: "IKE", Decoder: decoderFor[IKE]()})
	// LayerTypeUDPEncap is the RFC 3948 §2 demultiplexer of UDP port 4500
	// ([UDPEncap]).
	LayerTypeUDPEncap = gopacket.RegisterLayerType(1001, gopacket.LayerTypeMetadata{Name: "UDPEncap", Decoder: decoderFor[UDPEncap]()})
	// LayerTypeNonESPMarker is the four zero octets before IKE on port 4500
	// ([NonESPMarker], RFC 3948 §2.2).
	LayerTypeNonESPMarker = gopacket.RegisterLayerType(1002, gopacket.LayerTypeMetadata{Name: "NonESPMarker", Decoder: decoderFor[NonESPMarker]()})
	// LayerTypeNATTKeepalive is the one-octet NAT-T keepalive
	// ([NATTKeepalive], RFC 3948 §2.3).
	LayerTypeNATTKeepalive = gopacket.RegisterLayerType(1003, gopacket.LayerTypeMetadata{Name: "NATTKeepalive", Decoder: decoderFor[NATTKeepalive]()})
	// LayerTypeESP is an ESP header ([ESP], RFC 4303 §2).
	LayerTypeESP = gopacket.RegisterLayerType(1004, gopacket.LayerTypeMetadata{Name: "ESP", Decoder: decoderFor[ESP]()})
	// LayerTypeAH is an AH header ([AH], RFC 4302 §2).
	LayerTypeAH = gopacket.RegisterLayerType(1005, gopacket.LayerTypeMetadata{Name: "AH", Decoder: decoderFor[AH]()})
	// LayerTypeGRE is a GRE header of version 0 or 1 ([GRE], RFC 2784,
	// RFC 2890, RFC 2637 §4.1).
	LayerTypeGRE = gopacket.RegisterLayerType(1006, gopacket.LayerTypeMetadata{Name: "GRE", Decoder: decoderFor[GRE]()})
	// LayerTypePPTP is one PPTP control message ([PPTP], RFC 2637 §2).
	LayerTypePPTP = gopacket.RegisterLayerType(1007, gopacket.LayerTypeMetadata{Name: "PPTP", Decoder: decoderFor[PPTP]()})
)

// The layer classes returned by CanDecode. ESP, AH and GRE also claim
// gopacket's own layer types for those protocols, because gopacket's IPv4 and
// IPv6 layers name those as the next layer for IP protocols 50, 51 and 47: a
// DecodingLayerParser given this package's layers then decodes them with
// these instead.
var (
	layerClassESP = gopacket.NewLayerClass([]gopacket.LayerType{LayerTypeESP, layers.LayerTypeIPSecESP})
	layerClassAH  = gopacket.NewLayerClass([]gopacket.LayerType{LayerTypeAH, layers.LayerTypeIPSecAH})
	layerClassGRE = gopacket.NewLayerClass([]gopacket.LayerType{LayerTypeGRE, layers.LayerTypeGRE})
)

// Well-known ports (IANA; RFC 7296 §2, RFC 3948 §2, RFC 2637 §1.3).
const (
	PortIKE      = 500
	PortIKENATT  = 4500
	PortPPTP     = 1723
	PortGREInUDP = 4754 // RFC 8086 §3
)

func init() {
	// UDP 500 carries IKE without a marker; UDP 4500 is demultiplexed by the
	// first octets (RFC 3948 §2). TCP 1723 is the PPTP control connection.
	layers.RegisterUDPPortLayerType(PortIKE, LayerTypeIKE)
	layers.RegisterUDPPortLayerType(PortIKENATT, LayerTypeUDPEncap)
	layers.RegisterTCPPortLayerType(PortPPTP, LayerTypePPTP)
}

// decodingLayer is what decoderFor needs of a layer: a DecodingLayer that is
// also a gopacket.Layer, behind a pointer.
type decodingLayer[T any] interface {
	*T
	gopacket.DecodingLayer
	gopacket.Layer
}

// decoderFor adapts a DecodingLayer to gopacket's packet API
// (gopacket.NewPacket), which needs a Decoder per layer type.
func decoderFor[T any, P decodingLayer[T]]() gopacket.Decoder {
	return gopacket.DecodeFunc(func(data []byte, p gopacket.PacketBuilder) error {
		l := P(new(T))
		if err := l.DecodeFromBytes(data, p); err != nil {
			return err
		}
		p.AddLayer(l)
		next := l.NextLayerType()
		if next == gopacket.LayerTypeZero {
			return nil
		}
		return p.NextDecoder(next)
	})
}
