package rules

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestExampleConfig loads the documented example and checks it changed
// what it says.
func TestExampleConfig(t *testing.T) {
	c, err := LoadConfig(filepath.Join("..", "docs", "vpnpcap.example.json"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Thresholds.NATUDPTimeout) != time.Minute {
		t.Errorf("nat_udp_timeout = %v, want 1m", time.Duration(c.Thresholds.NATUDPTimeout))
	}
	if sev, configured := c.severity(Lookup("VP301").Meta()); sev != Error || !configured {
		t.Errorf("VP301 severity not overridden")
	}
	if c.enabled(Lookup("VP110").Meta()) {
		t.Errorf("VP110 still enabled")
	}
	f := Finding{RuleID: "VP208", Evidence: []Evidence{{Capture: "lab/a.pcap", Frame: 1}}}
	if !c.Suppressed(f) {
		t.Errorf("VP208 on lab/a.pcap not suppressed")
	}
	f.Evidence[0].Capture = "prod/a.pcap"
	if c.Suppressed(f) {
		t.Errorf("VP208 on prod/a.pcap suppressed")
	}
}

// TestThresholdsDocumented keeps docs/configuration.md complete.
func TestThresholdsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(Thresholds{})
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if !strings.Contains(string(doc), "| `"+name+"` |") {
			t.Errorf("threshold %q is not documented in docs/configuration.md", name)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, body, want string }{
		{"unknown key", `{"thresholds": {"nat_timeout": "30s"}}`, "unknown field"},
		{"unknown rule", `{"disabled": ["VP999"]}`, `unknown rule "VP999"`},
		{"bad duration", `{"thresholds": {"nat_udp_timeout": "soon"}}`, "invalid duration"},
		{"bad severity", `{"severity": {"VP301": "fatal"}}`, "unknown severity"},
		{"bad glob", `{"suppress": [{"rule": "VP301", "capture": "["}]}`, "glob"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "c.json")
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadConfig(%s) error = %v, want %q", tc.body, err, tc.want)
			}
		})
	}
}
