package report

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// Past MaxLadders, a report draws the subjects that fail first, then those
// whose outcome cannot be told, in report order, and says so.
func TestChooseLaddersFailingFirst(t *testing.T) {
	s := pt.New()
	const n = MaxLadders + 5
	for i := range n {
		peer := fmt.Sprintf("198.51.100.%d:500", i+1)
		s.IKE("10.0.0.2:500", peer, decode.IKEMessage{Version: 2, SPIi: uint64(i + 1), Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator}, uint64(i+1))
	}
	c := rules.NewContext(flows.Analyze(flows.Packets("many", s.Packets), decode.Options{}, flows.Options{}), rules.DefaultConfig())
	if len(c.Tunnels) != n {
		t.Fatalf("%d tunnels, want %d", len(c.Tunnels), n)
	}
	outcome := map[int]string{4: rules.OutcomeUnknown, 12: rules.OutcomeFails, 14: rules.OutcomeFails, 13: rules.OutcomeUnknown}
	var verdicts []rules.Verdict
	for _, v := range c.Tunnels {
		o, ok := outcome[v.ID]
		if !ok {
			o = rules.OutcomeWorks
		}
		verdicts = append(verdicts, rules.Verdict{Tunnel: v.ID, Outcome: o})
	}
	var got []int
	for _, s := range ChooseLadders(c, verdicts, Subject{}) {
		got = append(got, s.ID())
	}
	// The two that fail, the two that cannot be told, then the first six
	// that work: drawn in report order.
	if want := []int{1, 2, 3, 4, 5, 6, 7, 12, 13, 14}; !slices.Equal(got, want) {
		t.Errorf("drew tunnels %v, want %v", got, want)
	}
	if one := ChooseLadders(c, verdicts, Subject{Kind: ladder.SubjectTunnel, ID: 9}); len(one) != 1 || one[0].ID() != 9 {
		t.Errorf("a named tunnel draws %v", one)
	}

	r := Build(c, nil, verdicts, Options{Detail: true, Ladders: make([]*ladder.Ladder, MaxLadders)})
	note := r.laddersNote()
	if want := "Ladders are drawn for 10 of the 15 tunnels: the 2 that fail, then the 2 whose outcome cannot be told, then the first 6 of the 11 that work;"; !strings.HasPrefix(note, want) || !strings.Contains(note, "--tunnel N") {
		t.Errorf("note %q", note)
	}
	for i := range verdicts {
		if verdicts[i].Outcome != rules.OutcomeFails || verdicts[i].Tunnel != 12 {
			verdicts[i].Outcome = rules.OutcomeWorks
		}
	}
	one := Build(c, nil, verdicts, Options{Detail: true, Ladders: make([]*ladder.Ladder, MaxLadders)}).laddersNote()
	if want := "Ladders are drawn for 10 of the 15 tunnels: the one that fails, then the first 9 of the 14 that work;"; !strings.HasPrefix(one, want) {
		t.Errorf("note %q, want it to begin %q", one, want)
	}
	if r := Build(c, nil, verdicts, Options{Detail: true, Only: Subject{Kind: ladder.SubjectTunnel, ID: 9}, Ladders: make([]*ladder.Ladder, 1)}); r.laddersNote() != "" {
		t.Errorf("a report on one tunnel says %q", r.laddersNote())
	}
}
