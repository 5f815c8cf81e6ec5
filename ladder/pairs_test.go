package ladder

import (
	"net/netip"
	"testing"

	"github.com/vpnpcap/vpnpcap/flows"
)

// The pairs of a subject whose addresses the analysis kept only in part
// cannot tell its packets: subjectPairs says the capture is to be read
// whole.
func TestSubjectPairsIncomplete(t *testing.T) {
	a, b := netip.MustParseAddrPort("192.0.2.10:4500"), netip.MustParseAddrPort("203.0.113.1:4500")
	tunnel := func(edit func(*flows.Tunnel)) Subject {
		tun := &flows.Tunnel{ID: 1, Initiator: a, InitiatorFirst: a, Responder: b, ResponderFirst: b}
		edit(tun)
		return Subject{Tunnel: &flows.TunnelView{ID: 1, Sides: [2]*flows.Tunnel{tun}}}
	}
	sa := &flows.ESPSA{SPI: 7, Src: b.Addr(), Dst: a.Addr()}
	for name, tc := range map[string]struct {
		s    Subject
		want bool
	}{
		"whole":                {tunnel(func(*flows.Tunnel) {}), true},
		"changes past the 64":  {tunnel(func(t *flows.Tunnel) { t.EndpointChangesNotKept = 1 }), false},
		"paths past the bound": {tunnel(func(t *flows.Tunnel) { t.NATTrace.PathsOverflow = 1 }), false},
		"strays past the 16":   {tunnel(func(t *flows.Tunnel) { t.StrayCount = 1 }), false},
		"an SA that moved": {tunnel(func(t *flows.Tunnel) {
			moved := *sa
			moved.SrcMoved = true
			t.ESPSAs = []*flows.ESPSA{&moved}
		}), false},
		"a group whose SA moved": {Subject{Group: &flows.ESPGroup{ID: 1, SAs: [2][]*flows.ESPSA{{&flows.ESPSA{SrcMoved: true}}}}}, false},
	} {
		pairs, complete := subjectPairs(flows.SideInside, []Subject{tc.s})
		if complete != tc.want {
			t.Errorf("%s: complete %v, want %v", name, complete, tc.want)
		}
		if complete && !pairs[addrsKey(a.Addr(), b.Addr())] {
			t.Errorf("%s: the peers' pair is missing", name)
		}
	}
}
