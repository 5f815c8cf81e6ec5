package rules

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// A tunnel followed for hours keeps answering dead peer detection, then
// its peer goes away: the request sent last is never answered. The verdict
// rests on that last exchange, however many came before it (they once
// filled the tunnel's exchanges, and the tunnel was said to work).
func TestLongTunnelFailsAtTheEnd(t *testing.T) {
	const dpd = 1500
	s := pt.New()
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
	for id := uint32(2); id < dpd+2; id++ {
		s.After(20 * time.Second)
		s.IKE(ini, resp, msg(id, decode.ExchangeTypeInformational, decode.IKEv2FlagInitiator), uint64(10*id))
		s.IKE(resp, ini, msg(id, decode.ExchangeTypeInformational, decode.IKEv2FlagResponse), uint64(10*id+1))
	}
	last := msg(dpd+2, decode.ExchangeTypeInformational, decode.IKEv2FlagInitiator)
	for range 6 {
		s.After(5 * time.Second)
		s.IKE(ini, resp, last, 99)
	}
	c := NewContext(flows.Analyze(flows.Packets("long.pcap", s.Packets), decode.Options{}, flows.Options{SummarizeOther: true}), DefaultConfig())
	fs := Run(c)
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.RuleID)
	}
	vs := Verdicts(c, fs)
	if len(vs) != 1 || vs[0].Outcome != OutcomeFails || vs[0].Rule != "VP101" {
		t.Errorf("verdicts %+v (findings %v), want tunnel 1 failing by VP101", vs, ids)
	}
	for _, id := range ids {
		if id == "VP907" {
			t.Errorf("findings %v: the analysis is complete, no VP907", ids)
		}
	}
}
