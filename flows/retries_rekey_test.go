package flows

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// An IKE SA seen only from its first encrypted exchange is tied to the
// established SA between the same endpoints whose CREATE_CHILD_SA was
// answered last before it, not to the first such SA in the table.
func TestLinkRekeysLatestAnswer(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	ini := netip.MustParseAddrPort("198.51.100.7:4500")
	resp := netip.MustParseAddrPort("203.0.113.10:4500")
	old := func(id, frame int, answered time.Time) *Tunnel {
		e := &Exchange{Type: decode.ExchangeTypeCreateChildSA, Answered: true, First: answered.Add(-time.Millisecond), Last: answered}
		e.ResponseFrames.Add(frame)
		return &Tunnel{ID: id, Version: 2, established: true, Initiator: ini, Responder: resp, Exchanges: []*Exchange{e}}
	}
	newer := &Tunnel{ID: 3, Version: 2, Midstream: true, InitiatorFirst: ini, ResponderFirst: resp,
		Exchanges: []*Exchange{{Type: decode.ExchangeTypeInformational, MessageID: 0, First: t0}}}
	tunnels := []*Tunnel{old(1, 10, t0.Add(-4*time.Second)), old(2, 20, t0.Add(-time.Second)), newer}
	linkRekeys(tunnels)
	if newer.RekeyOf != 2 || newer.RekeyFrame != 20 {
		t.Errorf("rekey of tunnel %d at frame %d, want tunnel 2 at frame 20 (answered last before)", newer.RekeyOf, newer.RekeyFrame)
	}
}
