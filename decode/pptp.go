package decode

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The PPTP control message types (RFC 2637 §2.1, §2.2–§2.16).
const (
	PPTPMessageTypeStartControlConnectionRequest PPTPMessageType = 1
	PPTPMessageTypeStartControlConnectionReply   PPTPMessageType = 2
	PPTPMessageTypeStopControlConnectionRequest  PPTPMessageType = 3
	PPTPMessageTypeStopControlConnectionReply    PPTPMessageType = 4
	PPTPMessageTypeEchoRequest                   PPTPMessageType = 5
	PPTPMessageTypeEchoReply                     PPTPMessageType = 6
	PPTPMessageTypeOutgoingCallRequest           PPTPMessageType = 7
	PPTPMessageTypeOutgoingCallReply             PPTPMessageType = 8
	PPTPMessageTypeIncomingCallRequest           PPTPMessageType = 9
	PPTPMessageTypeIncomingCallReply             PPTPMessageType = 10
	PPTPMessageTypeIncomingCallConnected         PPTPMessageType = 11
	PPTPMessageTypeCallClearRequest              PPTPMessageType = 12
	PPTPMessageTypeCallDisconnectNotify          PPTPMessageType = 13
	PPTPMessageTypeWANErrorNotify                PPTPMessageType = 14
	PPTPMessageTypeSetLinkInfo                   PPTPMessageType = 15
)

// PPTPMagicCookie is the constant in every PPTP control message header
// (RFC 2637 §1.4), used to check that the stream is in sync.
const PPTPMagicCookie = 0x1A2B3C4D

// pptpHeaderLen is the length of the header common to all control messages:
// length, PPTP message type, magic cookie, control message type, reserved.
const pptpHeaderLen = 12

// pptpMaxLen bounds a control message. The longest defined one is 220 octets
// (Incoming-Call-Request); a larger length means the stream is out of sync.
const pptpMaxLen = 1024

// pptpLayout says where each control message type keeps the fields that
// PPTPInfo holds, as offsets from the start of the message (0 = absent),
// and the message's length per RFC 2637.
type pptpLayout struct {
	name                   string
	length                 int
	callID, peerID, result int
}

var pptpLayouts = [16]pptpLayout{
	PPTPMessageTypeStartControlConnectionRequest: {name: "Start-Control-Connection-Request", length: 156},
	PPTPMessageTypeStartControlConnectionReply:   {name: "Start-Control-Connection-Reply", length: 156, result: 14},
	PPTPMessageTypeStopControlConnectionRequest:  {name: "Stop-Control-Connection-Request", length: 16},
	PPTPMessageTypeStopControlConnectionReply:    {name: "Stop-Control-Connection-Reply", length: 16, result: 12},
	PPTPMessageTypeEchoRequest:                   {name: "Echo-Request", length: 16},
	PPTPMessageTypeEchoReply:                     {name: "Echo-Reply", length: 20, result: 16},
	PPTPMessageTypeOutgoingCallRequest:           {name: "Outgoing-Call-Request", length: 168, callID: 12},
	PPTPMessageTypeOutgoingCallReply:             {name: "Outgoing-Call-Reply", length: 32, callID: 12, peerID: 14, result: 16},
	PPTPMessageTypeIncomingCallRequest:           {name: "Incoming-Call-Request", length: 220, callID: 12},
	PPTPMessageTypeIncomingCallReply:             {name: "Incoming-Call-Reply", length: 24, callID: 12, peerID: 14, result: 16},
	PPTPMessageTypeIncomingCallConnected:         {name: "Incoming-Call-Connected", length: 28, peerID: 12},
	PPTPMessageTypeCallClearRequest:              {name: "Call-Clear-Request", length: 16, callID: 12},
	PPTPMessageTypeCallDisconnectNotify:          {name: "Call-Disconnect-Notify", length: 148, callID: 12, result: 14},
	PPTPMessageTypeWANErrorNotify:                {name: "WAN-Error-Notify", length: 40, peerID: 12},
	PPTPMessageTypeSetLinkInfo:                   {name: "Set-Link-Info", length: 24, peerID: 12},
}

// String returns the RFC 2637 name of the message type, such as
// "Outgoing-Call-Request", or "PPTPMessageType(N)" for an unknown type.
func (t PPTPMessageType) String() string {
	if int(t) < len(pptpLayouts) && pptpLayouts[t].name != "" {
		return pptpLayouts[t].name
	}
	return "PPTPMessageType(" + itoa(int(t)) + ")"
}

// FieldOffsets says where a control message of this type keeps its Call
// ID, its Peer's Call ID and its Result Code, as offsets from the start of
// the message (RFC 2637 §2); 0 for a field the type does not have.
func (t PPTPMessageType) FieldOffsets() (callID, peerCallID, result int) {
	if int(t) >= len(pptpLayouts) {
		return 0, 0, 0
	}
	l := &pptpLayouts[t]
	return l.callID, l.peerID, l.result
}

// CallIDString formats a PPTP call ID (a control message's Call ID or Peer's
// Call ID, an enhanced GRE key's call ID) the one way vpnpcap prints it:
// decimal, as Wireshark and tcpdump show it, then the hex that NAT state
// (Linux conntrack's srckey/dstkey) and vendor logs use, such as
// "16384 (0x4000)".
func CallIDString(id uint16) string {
	const digits = "0123456789abcdef"
	return itoa(int(id)) + " (0x" + string([]byte{digits[id>>12], digits[id>>8&0xf], digits[id>>4&0xf], digits[id&0xf]}) + ")"
}

// PPTP is one PPTP control message (RFC 2637 §1.4, §2): the common header
// and the fields that identify calls. Messages arrive on a TCP connection to
// port 1723; one segment may carry several, or part of one.
type PPTP struct {
	layers.BaseLayer
	Length uint16
	// MessageType is the PPTP message type of the header: 1 for a control
	// message, the only kind RFC 2637 defines.
	MessageType uint16
	MagicCookie uint32
	ControlType PPTPMessageType
	// CallID is the sender's call ID, PeerCallID the peer's, where the
	// message type has them (HasCallID, HasPeerCallID).
	CallID        uint16
	PeerCallID    uint16
	HasCallID     bool
	HasPeerCallID bool
	// ResultCode and ErrorCode are set for replies and
	// Call-Disconnect-Notify (HasResult).
	ResultCode uint8
	ErrorCode  uint8
	HasResult  bool
}

var _ gopacket.DecodingLayer = (*PPTP)(nil)

var errPPTPCookie = errors.New("bad magic cookie")

// LayerType returns [LayerTypePPTP].
func (p *PPTP) LayerType() gopacket.LayerType { return LayerTypePPTP }

// CanDecode returns [LayerTypePPTP].
func (p *PPTP) CanDecode() gopacket.LayerClass { return LayerTypePPTP }

// NextLayerType returns [LayerTypePPTP] when more octets follow the message
// (the next message of the same segment) and gopacket.LayerTypeZero
// otherwise.
func (p *PPTP) NextLayerType() gopacket.LayerType {
	if len(p.Payload) > 0 {
		return LayerTypePPTP
	}
	return gopacket.LayerTypeZero
}

// DecodeFromBytes decodes the control message at the start of data.
// Contents aliases the message and Payload whatever follows it; both are
// valid until the next DecodeFromBytes. A message shorter than its type
// requires, an unknown type, a message type other than control, and a bad
// magic cookie are errors; so is a length field shorter than the header or
// longer than any control message, which means the stream is out of sync.
func (p *PPTP) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*p = PPTP{}
	if len(data) < pptpHeaderLen {
		df.SetTruncated()
		return &Error{Layer: "pptp", Field: "header", Offset: 0, Err: ErrTruncated}
	}
	p.Length = binary.BigEndian.Uint16(data)
	p.MessageType = binary.BigEndian.Uint16(data[2:])
	p.MagicCookie = binary.BigEndian.Uint32(data[4:])
	p.ControlType = PPTPMessageType(binary.BigEndian.Uint16(data[8:]))
	if p.MagicCookie != PPTPMagicCookie {
		return &Error{Layer: "pptp", Field: "magic cookie", Offset: 4, Err: errPPTPCookie}
	}
	n := int(p.Length)
	if n < pptpHeaderLen || n > pptpMaxLen {
		return &Error{Layer: "pptp", Field: "length", Offset: 0, Err: errors.New("length " + itoa(n) + " out of range")}
	}
	if n > len(data) {
		df.SetTruncated()
		return &Error{Layer: "pptp", Field: "message", Offset: 0, Err: ErrTruncated}
	}
	p.Contents = data[:n]
	p.Payload = data[n:]
	if p.MessageType != 1 {
		return &Error{Layer: "pptp", Field: "message type", Offset: 2, Kind: FaultUnsupported, Err: errors.New("message type " + itoa(int(p.MessageType)) + " is not control (1)")}
	}
	if int(p.ControlType) >= len(pptpLayouts) || pptpLayouts[p.ControlType].name == "" {
		return &Error{Layer: "pptp", Field: "control message type", Offset: 8, Kind: FaultUnsupported, Err: errors.New("unknown type " + itoa(int(p.ControlType)))}
	}
	lay := &pptpLayouts[p.ControlType]
	if n < lay.length {
		return &Error{Layer: "pptp", Field: lay.name, Offset: 0, Err: errors.New("length " + itoa(n) + " < " + itoa(lay.length))}
	}
	msg := p.Contents
	if lay.callID != 0 {
		p.CallID, p.HasCallID = binary.BigEndian.Uint16(msg[lay.callID:]), true
	}
	if lay.peerID != 0 {
		p.PeerCallID, p.HasPeerCallID = binary.BigEndian.Uint16(msg[lay.peerID:]), true
	}
	if lay.result != 0 {
		p.ResultCode, p.ErrorCode, p.HasResult = msg[lay.result], msg[lay.result+1], true
	}
	return nil
}

// Info returns the message as the [PPTPInfo] value of a [Packet].
func (p *PPTP) Info() PPTPInfo {
	return PPTPInfo{
		Type:        p.ControlType,
		CallID:      p.CallID,
		PeerCallID:  p.PeerCallID,
		ResultCode:  p.ResultCode,
		ErrorCode:   p.ErrorCode,
		HasCallID:   p.HasCallID,
		HasPeerCall: p.HasPeerCallID,
	}
}
