package rules

import (
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// A responder that answers a hundred requests with INVALID_SYNTAX, then
// one with NO_PROPOSAL_CHOSEN: the count said is a hundred, not the number
// of sightings listed, and the later error is not crowded out.
func TestNotifyFloodCountsAndKeepsLaterErrors(t *testing.T) {
	s := pt.New()
	ini, resp := "192.0.2.10:500", "203.0.113.1:500"
	req := func(spi uint64) decode.IKEMessage {
		return decode.IKEMessage{Version: 2, SPIi: spi, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator}
	}
	refuse := func(spi uint64, n decode.NotifyType) decode.IKEMessage {
		m := req(spi)
		m.Flags = decode.IKEv2FlagResponse
		m.Notifies = []decode.Notify{{Type: n}}
		return m
	}
	const spi = 0x1111
	for i := range 100 {
		s.IKE(ini, resp, req(spi), uint64(2*i+1))
		s.IKE(resp, ini, refuse(spi, decode.NotifyTypeInvalidSyntax), uint64(2*i+2))
	}
	s.IKE(ini, resp, req(spi), 1001)
	s.IKE(resp, ini, refuse(spi, decode.NotifyTypeNoProposalChosen), 1002)
	c := NewContext(flows.Analyze(flows.Packets("flood.pcap", s.Packets), decode.Options{}, flows.Options{SummarizeOther: true}), DefaultConfig())
	var msgs []string
	for _, f := range Run(c) {
		if f.RuleID == "VP102" {
			msgs = append(msgs, f.Message)
		}
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "INVALID_SYNTAX (7) 100 times") || !strings.Contains(all, "NO_PROPOSAL_CHOSEN (14) once") {
		t.Errorf("VP102 says:\n%s\nwant INVALID_SYNTAX 100 times and NO_PROPOSAL_CHOSEN once", all)
	}
}
