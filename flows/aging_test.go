package flows

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// An IKE SA followed for hours reaches maxExchanges with dead peer
// detection alone: the oldest answered INFORMATIONAL exchanges make room,
// so that the negotiation and what happens last are both kept.
func TestLongTunnelKeepsItsLastExchanges(t *testing.T) {
	const dpd = 1500
	pkts := pt.DeadPeerAtEnd(dpd, 4)
	a := Analyze(Packets("long.pcap", pkts), decode.Options{}, Options{SummarizeOther: true})
	if len(a.Tunnels) != 1 {
		t.Fatalf("%d tunnels", len(a.Tunnels))
	}
	tun := a.Tunnels[0]
	ex := tun.Exchanges
	if len(ex) > maxExchanges || ex[0].Type != decode.ExchangeTypeIKESAInit || ex[1].Type != decode.ExchangeTypeIKEAuth {
		t.Fatalf("%d exchanges, the first %v and %v", len(ex), ex[0].Type, ex[1].Type)
	}
	e := ex[len(ex)-1]
	if e.MessageID != dpd+2 || e.Answered || e.Requests() != 4 || e.Retransmissions != 3 {
		t.Errorf("last exchange: message ID %d, answered %v, %d requests, %d retransmissions; want the unanswered %d sent 4 times",
			e.MessageID, e.Answered, e.Requests(), e.Retransmissions, dpd+2)
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
