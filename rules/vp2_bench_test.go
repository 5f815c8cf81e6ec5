package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// BenchmarkDataPlaneRules runs the ESP/AH and GRE/PPTP rules over a
// concentrator-sized capture: 2,000 raw-ESP clients, each with an IKE SA and
// a one-way SA pair with gaps and repeats, and 500 PPTP calls. It guards
// against lookups that scan every SA or call per SA or call.
func BenchmarkDataPlaneRules(b *testing.B) {
	s := pt.New()
	for i := range 2000 {
		host := fmt.Sprintf("10.1.%d.%d", i>>8&255, i&255)
		dpIKEv2(s, host, testGateway, uint64(i+1)<<20|uint64(i+1), uint64(i+1)<<24, false)
		for seq := uint32(1); seq <= 8; seq++ {
			s.ESP(host, testGateway, 0x10000000+uint32(i), seq*2)
			s.ESP(host, testGateway, 0x10000000+uint32(i), seq)
		}
		s.After(10 * time.Millisecond)
	}
	for i := range 500 {
		client := fmt.Sprintf("10.200.%d.%d:40000", i>>8&255, i&255)
		dpPPTPCall(s, client, uint16(i+1), uint16(i+1000), 6, true, false)
	}
	c := oneCapture(b, s.Packets)
	var rules []Rule
	for _, r := range All() {
		if id := r.Meta().ID; strings.HasPrefix(id, "VP2") || strings.HasPrefix(id, "VP4") {
			rules = append(rules, r)
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(s.Packets)))
	n := 0
	for b.Loop() {
		for _, r := range rules {
			r.Check(c, func(Finding) { n++ })
		}
	}
	if n == 0 {
		b.Fatal("no findings: the benchmark exercises nothing")
	}
}
