package rules

import (
	"path/filepath"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// labContext correlates a lab scenario's inside and outside captures.
func labContext(t *testing.T, scenario string, cfg *Config) *Context {
	t.Helper()
	dir := filepath.Join(corpus.LabDir(t), scenario)
	cor := flows.Correlate(flows.File(filepath.Join(dir, "inside.pcap")), flows.File(filepath.Join(dir, "outside.pcap")),
		flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	return NewCorrelatedContext(cor, cfg)
}

// In the lab's ike-ipfrag scenario neither strongSwan announced IKEv2
// fragmentation and both IKE_AUTH messages crossed the NAT in two IP
// fragments each: the risk is real but did not strike here, so the
// warning becomes information — unless the configuration sets VP105's
// severity.
func TestIKEFragmentationNotNegotiatedFragmentsCrossed(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *Config
		want Severity
	}{
		{"default", DefaultConfig(), Info},
		{"severity configured", &Config{Severity: map[string]Severity{"VP105": Warning}}, Warning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := labContext(t, "ike-ipfrag", tc.cfg)
			var got []Finding
			for _, f := range Run(c) {
				if f.RuleID == "VP105" {
					got = append(got, f)
				}
			}
			if len(got) != 1 {
				t.Fatalf("%d VP105 findings, want 1", len(got))
			}
			if got[0].Severity != tc.want {
				t.Errorf("severity %s, want %s: %s", got[0].Severity, tc.want, got[0].Message)
			}
		})
	}
}
