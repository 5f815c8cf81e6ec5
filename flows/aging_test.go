package flows

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// An IKE SA followed for hours reaches maxExchanges with dead peer
// detection alone: the oldest answered INFORMATIONAL exchanges make room,
// so that the negotiation and what happens last are both kept.
func TestLongTunnelKeepsItsLastExchanges(t *testing.T) {
	const dpd = 1500
	s := pt.New()
	ini, resp := "192.0.2.10:500", "203.0.113.1:500"
	spiR := uint64(0x2222)
	msg := func(id uint32, x decode.ExchangeType, flags uint8) decode.IKEMessage {
		return decode.IKEMessage{Version: 2, SPIi: 0x1111, SPIr: spiR, Exchange: x, MessageID: id, Flags: flags, Encrypted: id > 0}
	}
	s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: 0x1111, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator}, 1)
	s.IKE(resp, ini, msg(0, decode.ExchangeTypeIKESAInit, decode.IKEv2FlagResponse), 2)
	s.IKE(ini, resp, msg(1, decode.ExchangeTypeIKEAuth, decode.IKEv2FlagInitiator), 3)
	s.IKE(resp, ini, msg(1, decode.ExchangeTypeIKEAuth, decode.IKEv2FlagResponse), 4)
	for id := uint32(2); id < dpd+2; id++ {
		s.After(20 * time.Second)
		s.IKE(ini, resp, msg(id, decode.ExchangeTypeInformational, decode.IKEv2FlagInitiator), uint64(10*id))
		s.IKE(resp, ini, msg(id, decode.ExchangeTypeInformational, decode.IKEv2FlagResponse), uint64(10*id+1))
	}
	last := msg(dpd+2, decode.ExchangeTypeInformational, decode.IKEv2FlagInitiator)
	for range 4 { // the peer is gone: sent again, never answered
		s.After(5 * time.Second)
		s.IKE(ini, resp, last, 99)
	}
	a := Analyze(Packets("long.pcap", s.Packets), decode.Options{}, Options{SummarizeOther: true})
	if len(a.Tunnels) != 1 {
		t.Fatalf("%d tunnels", len(a.Tunnels))
	}
	tun := a.Tunnels[0]
	ex := tun.Exchanges
	if len(ex) > maxExchanges || ex[0].Type != decode.ExchangeTypeIKESAInit || ex[1].Type != decode.ExchangeTypeIKEAuth {
		t.Fatalf("%d exchanges, the first %v and %v", len(ex), ex[0].Type, ex[1].Type)
	}
	e := ex[len(ex)-1]
	if e.MessageID != dpd+2 || e.Answered || e.Requests != 4 || e.Retransmissions != 3 {
		t.Errorf("last exchange: message ID %d, answered %v, %d requests, %d retransmissions; want the unanswered %d sent 4 times",
			e.MessageID, e.Answered, e.Requests, e.Retransmissions, dpd+2)
	}
	if tun.ExchangesOverflow != 0 || tun.ExchangesAged+len(ex) != dpd+3 {
		t.Errorf("%d kept, %d aged, %d not kept; want %d in all, none lost", len(ex), tun.ExchangesAged, tun.ExchangesOverflow, dpd+3)
	}
	for i := 2; i < len(ex)-1; i++ {
		if ex[i].MessageID <= ex[i-1].MessageID {
			t.Fatalf("exchange %d (message ID %d) after %d: out of order", i, ex[i].MessageID, ex[i-1].MessageID)
		}
	}
}
