package pipeline

import (
	"slices"
	"testing"

	"github.com/vpnpcap/vpnpcap/rules"
)

// A suppression for one capture of a pair hides the findings about that
// capture as a whole, not those whose evidence is all in the other one.
func TestSuppressByCapture(t *testing.T) {
	fs := []rules.Finding{
		{RuleID: "VP201", Message: "evidence outside", Evidence: []rules.Evidence{{Capture: "site-outside.pcap", Frame: 7}}},
		{RuleID: "VP201", Message: "no evidence"},
		{RuleID: "VP202", Message: "another rule, no evidence"},
	}
	paths := []string{"site-inside.pcap", "site-outside.pcap"}
	cfg := &rules.Config{Suppress: []rules.Suppression{{Rule: "VP201", Capture: "*-inside.pcap"}}}
	var got []string
	for _, f := range suppressByCapture(slices.Clone(fs), cfg, paths) {
		got = append(got, f.Message)
	}
	if want := []string{"evidence outside", "another rule, no evidence"}; !slices.Equal(got, want) {
		t.Errorf("kept %q, want %q", got, want)
	}
	cfg.Suppress[0].Capture = "other-*.pcap"
	if n := len(suppressByCapture(slices.Clone(fs), cfg, paths)); n != 3 {
		t.Errorf("a suppression for a capture not in the run dropped %d findings", 3-n)
	}
}
