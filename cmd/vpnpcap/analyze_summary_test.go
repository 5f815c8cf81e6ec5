package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

// TestAnalyzeSummaryAsFullFlows: analyze summarises a single capture's
// other traffic; its report must be the one full flows give, on every
// sample capture and public capture.
func TestAnalyzeSummaryAsFullFlows(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus.RepoRoot(), "samples", "*", "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	dir := corpus.Dir(t)
	for _, rel := range corpus.Files(t) {
		files = append(files, filepath.Join(dir, rel))
	}
	cf := captureFlags{maxFlows: flows.DefaultMaxFlows, window: flows.DefaultWindow.Seconds()}
	for _, f := range files {
		var out [2][]byte
		for i, summarize := range []bool{false, true} {
			rc := cf.analysis(testEnv(t, "analyze"), &capturePlan{first: regularInput(f, 0)}, summarize, rules.DefaultConfig())
			findings := rules.Run(rc)
			var b bytes.Buffer
			if err := report.WriteJSON(&b, report.Build(rc, report.Options{Findings: findings, Verdicts: rules.Verdicts(rc, findings)})); err != nil {
				t.Fatal(err)
			}
			out[i] = b.Bytes()
		}
		if len(out[0]) < 100 || !bytes.Equal(out[0], out[1]) {
			t.Errorf("%s: the summarised analysis reports differently from full flows", f)
		}
	}
	t.Logf("%d captures: same report summarised and with full flows", len(files))
}
