package pcaptest

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// EnhancedGRE describes a PPTP enhanced GRE header (RFC 2637 §4.1): version
// 1, protocol 0x880B (PPP), key present holding the payload length and the
// receiver's call ID, with an optional sequence number (present when the
// packet carries a payload) and acknowledgment number.
type EnhancedGRE struct {
	CallID uint16 // the receiver's (peer's) call ID
	Seq    uint32
	HasSeq bool
	Ack    uint32
	HasAck bool
}

// GRE builds the GRE packet: header and PPP payload.
func (g EnhancedGRE) GRE(payload []byte) ([]byte, error) {
	h := &layers.GRE{
		Version: 1, Protocol: layers.EthernetTypePPP, KeyPresent: true,
		Key:        uint32(len(payload))<<16 | uint32(g.CallID),
		SeqPresent: g.HasSeq, Seq: g.Seq, AckPresent: g.HasAck, Ack: g.Ack,
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{}, h, gopacket.Payload(payload)); err != nil {
		return nil, err
	}
	return append([]byte(nil), buf.Bytes()...), nil
}

// PPP protocol numbers (RFC 1661, RFC 1332, RFC 1994, RFC 1962).
const (
	PPPIP   uint16 = 0x0021
	PPPComp uint16 = 0x00fd // compressed datagram (MPPE)
	PPPIPCP uint16 = 0x8021
	PPPCCP  uint16 = 0x80fd
	PPPLCP  uint16 = 0xc021
	PPPCHAP uint16 = 0xc223
)

// Control protocol codes (RFC 1661 §5, RFC 1994 §4).
const (
	ConfRequest uint8 = 1
	ConfAck     uint8 = 2
	ConfNak     uint8 = 3
	ConfReject  uint8 = 4
	TermRequest uint8 = 5
	TermAck     uint8 = 6

	CHAPChallenge uint8 = 1
	CHAPResponse  uint8 = 2
	CHAPSuccess   uint8 = 3
)

// PPP frames a PPP packet with the HDLC-like address and control octets
// 0xFF 0x03 and the protocol field, as PPTP carries it (RFC 1662 §3.1,
// RFC 2637 §4).
func PPP(proto uint16, info []byte) []byte {
	b := []byte{0xff, 0x03}
	b = binary.BigEndian.AppendUint16(b, proto)
	return append(b, info...)
}

// PPPOption is one configuration option (RFC 1661 §6).
type PPPOption struct {
	Type uint8
	Data []byte
}

// PPPControl builds a control-protocol packet (LCP, IPCP, CCP): code,
// identifier, length, then the options (RFC 1661 §5).
func PPPControl(code, id uint8, opts ...PPPOption) []byte {
	var body []byte
	for _, o := range opts {
		body = append(body, o.Type, uint8(2+len(o.Data)))
		body = append(body, o.Data...)
	}
	return PPPPacket(code, id, body)
}

// PPPPacket builds a control-protocol packet with a raw body.
func PPPPacket(code, id uint8, body []byte) []byte {
	b := []byte{code, id}
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
	return append(b, body...)
}

// U32 returns v as four big-endian octets, for option data.
func U32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
