package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// A tunnel followed for hours keeps answering dead peer detection, then
// its peer goes away: the request sent last is never answered. The verdict
// rests on that last exchange, however many came before it (they once
// filled the tunnel's exchanges, and the tunnel was said to work).
func TestLongTunnelFailsAtTheEnd(t *testing.T) {
	pkts := pt.DeadPeerAtEnd(1500, 6)
	c := NewContext(flows.Analyze(flows.Packets("long.pcap", pkts), decode.Options{}, flows.Options{SummarizeOther: true}), DefaultConfig())
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
