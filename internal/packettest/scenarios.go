package packettest

import (
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// DeadPeerAtEnd is an IKEv2 SA from 192.0.2.10 to 203.0.113.1 on port 500
// followed for hours: negotiated, 3 ESP packets each way (SPIs 0xaaaa and
// 0xbbbb), dpd answered INFORMATIONAL exchanges 20 s apart (message IDs 2
// on), then one more INFORMATIONAL request (message ID dpd+2) sent resent
// times, 5 s apart, and never answered: the peer went away.
func DeadPeerAtEnd(dpd, resent int) []decode.Packet {
	s := New()
	ini, resp := "192.0.2.10:500", "203.0.113.1:500"
	msg := func(id uint32, x decode.ExchangeType, flags uint8) decode.IKEMessage {
		return decode.IKEMessage{Version: 2, SPIi: 0x1111, SPIr: 0x2222, Exchange: x, MessageID: id, Flags: flags, Encrypted: id > 0}
	}
	s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: 0x1111, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator}, 1)
	s.IKE(resp, ini, msg(0, decode.ExchangeTypeIKESAInit, decode.IKEv2FlagResponse), 2)
	s.IKE(ini, resp, msg(1, decode.ExchangeTypeIKEAuth, decode.IKEv2FlagInitiator), 3)
	s.IKE(resp, ini, msg(1, decode.ExchangeTypeIKEAuth, decode.IKEv2FlagResponse), 4)
	for i := range 3 {
		s.ESP("192.0.2.10", "203.0.113.1", 0xaaaa, uint32(i+1))
		s.ESP("203.0.113.1", "192.0.2.10", 0xbbbb, uint32(i+1))
	}
	for id := uint32(2); id < uint32(dpd)+2; id++ {
		s.After(20 * time.Second)
		s.IKE(ini, resp, msg(id, decode.ExchangeTypeInformational, decode.IKEv2FlagInitiator), uint64(10*id))
		s.IKE(resp, ini, msg(id, decode.ExchangeTypeInformational, decode.IKEv2FlagResponse), uint64(10*id+1))
	}
	last := msg(uint32(dpd)+2, decode.ExchangeTypeInformational, decode.IKEv2FlagInitiator)
	for range resent {
		s.After(5 * time.Second)
		s.IKE(ini, resp, last, 99)
	}
	return s.Packets
}
