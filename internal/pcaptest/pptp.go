package pcaptest

import "encoding/binary"

// PPTP control message types (RFC 2637 §2).
const (
	PPTPTypeStartCtrlConnRequest uint16 = 1
	PPTPTypeStartCtrlConnReply   uint16 = 2
	PPTPTypeStopCtrlConnRequest  uint16 = 3
	PPTPTypeStopCtrlConnReply    uint16 = 4
	PPTPTypeEchoRequest          uint16 = 5
	PPTPTypeEchoReply            uint16 = 6
	PPTPTypeOutgoingCallRequest  uint16 = 7
	PPTPTypeOutgoingCallReply    uint16 = 8
	PPTPTypeCallClearRequest     uint16 = 12
	PPTPTypeCallDisconnectNotify uint16 = 13
	PPTPTypeSetLinkInfo          uint16 = 15
)

// PortPPTP is the PPTP control port (RFC 2637 §1.3).
const PortPPTP = 1723

// pptpMagic is the PPTP magic cookie (RFC 2637 §1.4).
const pptpMagic = 0x1a2b3c4d

// pptp builds a control message: length, message type 1 (control), magic
// cookie, control message type, reserved, then body.
func pptp(typ uint16, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(12+len(body)))
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint32(b, pptpMagic)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = append(b, 0, 0)
	return append(b, body...)
}

func fixed(s string, n int) []byte {
	b := make([]byte, n)
	copy(b, s)
	return b
}

// PPTPStartRequest builds a Start-Control-Connection-Request (RFC 2637
// §2.1), 156 octets.
func PPTPStartRequest(host, vendor string) []byte {
	b := []byte{1, 0, 0, 0}                      // protocol version 1.0, reserved
	b = binary.BigEndian.AppendUint32(b, 1)      // framing: asynchronous
	b = binary.BigEndian.AppendUint32(b, 1)      // bearer: analog
	b = binary.BigEndian.AppendUint16(b, 0)      // maximum channels
	b = binary.BigEndian.AppendUint16(b, 0x0001) // firmware revision
	b = append(b, fixed(host, 64)...)
	b = append(b, fixed(vendor, 64)...)
	return pptp(PPTPTypeStartCtrlConnRequest, b)
}

// PPTPStartReply builds a Start-Control-Connection-Reply with result 1
// (successful channel establishment) (RFC 2637 §2.2), 156 octets.
func PPTPStartReply(host, vendor string) []byte {
	b := []byte{1, 0, 1, 0}                      // version 1.0, result 1, error 0
	b = binary.BigEndian.AppendUint32(b, 3)      // framing: async and sync
	b = binary.BigEndian.AppendUint32(b, 3)      // bearer: analog and digital
	b = binary.BigEndian.AppendUint16(b, 1)      // maximum channels
	b = binary.BigEndian.AppendUint16(b, 0x0100) // firmware revision
	b = append(b, fixed(host, 64)...)
	b = append(b, fixed(vendor, 64)...)
	return pptp(PPTPTypeStartCtrlConnReply, b)
}

// PPTPOutgoingCallRequest builds an Outgoing-Call-Request carrying the
// sender's call ID (RFC 2637 §2.7), 168 octets.
func PPTPOutgoingCallRequest(callID, serial uint16, window uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, callID)
	b = binary.BigEndian.AppendUint16(b, serial)
	b = binary.BigEndian.AppendUint32(b, 300)       // minimum BPS
	b = binary.BigEndian.AppendUint32(b, 100000000) // maximum BPS
	b = binary.BigEndian.AppendUint32(b, 3)         // bearer: any
	b = binary.BigEndian.AppendUint32(b, 3)         // framing: any
	b = binary.BigEndian.AppendUint16(b, window)    // packet receive window
	b = binary.BigEndian.AppendUint16(b, 0)         // processing delay
	b = binary.BigEndian.AppendUint16(b, 0)         // phone number length
	b = append(b, 0, 0)                             // reserved
	b = append(b, make([]byte, 64+64)...)           // phone number, subaddress
	return pptp(PPTPTypeOutgoingCallRequest, b)
}

// PPTPOutgoingCallReply builds an Outgoing-Call-Reply with result 1
// (connected): the sender's call ID and the peer's (RFC 2637 §2.8), 32
// octets.
func PPTPOutgoingCallReply(callID, peerCallID uint16, window uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, callID)
	b = binary.BigEndian.AppendUint16(b, peerCallID)
	b = append(b, 1, 0)                             // result connected, error none
	b = binary.BigEndian.AppendUint16(b, 0)         // cause
	b = binary.BigEndian.AppendUint32(b, 100000000) // connect speed
	b = binary.BigEndian.AppendUint16(b, window)
	b = binary.BigEndian.AppendUint16(b, 0) // processing delay
	b = binary.BigEndian.AppendUint32(b, 0) // physical channel ID
	return pptp(PPTPTypeOutgoingCallReply, b)
}

// PPTPSetLinkInfo builds a Set-Link-Info for the peer's call ID with the
// given ACCMs (RFC 2637 §2.15), 24 octets.
func PPTPSetLinkInfo(peerCallID uint16, sendACCM, recvACCM uint32) []byte {
	b := binary.BigEndian.AppendUint16(nil, peerCallID)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint32(b, sendACCM)
	b = binary.BigEndian.AppendUint32(b, recvACCM)
	return pptp(PPTPTypeSetLinkInfo, b)
}

// PPTPCallClearRequest builds a Call-Clear-Request for the sender's call ID
// (RFC 2637 §2.12), 16 octets.
func PPTPCallClearRequest(callID uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, callID)
	return pptp(PPTPTypeCallClearRequest, append(b, 0, 0))
}

// PPTPCallDisconnectNotify builds a Call-Disconnect-Notify for the sender's
// call ID with result 3 (call disconnected by administrative request)
// (RFC 2637 §2.13), 148 octets.
func PPTPCallDisconnectNotify(callID uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, callID)
	b = append(b, 3, 0, 0, 0, 0, 0)
	return pptp(PPTPTypeCallDisconnectNotify, append(b, make([]byte, 128)...))
}

// PPTPStopRequest builds a Stop-Control-Connection-Request with reason 1
// (general request to clear) (RFC 2637 §2.3), 16 octets.
func PPTPStopRequest() []byte { return pptp(PPTPTypeStopCtrlConnRequest, []byte{1, 0, 0, 0}) }

// PPTPStopReply builds a Stop-Control-Connection-Reply with result 1 (OK)
// (RFC 2637 §2.4), 16 octets.
func PPTPStopReply() []byte { return pptp(PPTPTypeStopCtrlConnReply, []byte{1, 0, 0, 0}) }

// PPTPMessage reports the control message type and, for an
// Outgoing-Call-Request, the call ID of the message at the start of b; it
// is what a NAT's PPTP helper looks at.
func PPTPMessage(b []byte) (typ, callID uint16, ok bool) {
	if len(b) < 16 || binary.BigEndian.Uint32(b[4:]) != pptpMagic {
		return 0, 0, false
	}
	return binary.BigEndian.Uint16(b[8:]), binary.BigEndian.Uint16(b[12:]), true
}
