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

// Notifies of more kinds than a tunnel lists are counted, and VP907 says
// so: the analysis of them is incomplete.
func TestNotifyKindsPastTheBound(t *testing.T) {
	s := pt.New()
	ini, resp := "192.0.2.10:500", "203.0.113.1:500"
	for i := range 40 {
		m := decode.IKEMessage{Version: 2, SPIi: 0x1111, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagResponse,
			Notifies: []decode.Notify{{Type: decode.NotifyType(40000 + i)}}}
		s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: 0x1111, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator}, uint64(2*i+1))
		s.IKE(resp, ini, m, uint64(2*i+2))
	}
	a := flows.Analyze(flows.Packets("kinds.pcap", s.Packets), decode.Options{}, flows.Options{SummarizeOther: true})
	if got := a.Tunnels[0].NotifiesNotKept; got != 8 {
		t.Errorf("%d notifies not kept, want 8 (40 kinds, 32 kept)", got)
	}
	var said []string
	for _, f := range Run(NewContext(a, DefaultConfig())) {
		if f.RuleID == "VP907" {
			said = append(said, f.Message)
		}
	}
	if len(said) != 1 || !strings.Contains(said[0], "notifies of more kinds than are kept per tunnel were only counted: IKE SA 0x0000000000001111 (8)") {
		t.Errorf("VP907 says %q", said)
	}
}
