package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

// TestCheckAloneAsFullFlows checks that the options check analyses a
// capture alone with (other traffic summarised, on two goroutines, no
// payload hashes but IKE's) give the report that full flows give: the same
// findings, verdicts, tunnels and capture figures, byte for byte, on every
// sample capture and every public capture.
func TestCheckAloneAsFullFlows(t *testing.T) {
	var files []string
	for _, f := range corpus.Files(t) {
		files = append(files, filepath.Join(corpus.Dir(t), f))
	}
	ms, err := filepath.Glob(filepath.Join(samplesDir(t), "*", "*.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, ms...)
	cfg := rules.DefaultConfig()
	full := decode.Options{KeepOther: true}
	fast, fastFlows := aloneOptions(full, flows.Options{})
	if !fast.SkipPayloadHash || !fastFlows.SummarizeOther {
		t.Fatalf("aloneOptions = %+v, %+v: the test would compare full flows with themselves", fast, fastFlows)
	}
	reportOf := func(f string, dopts decode.Options, fopts flows.Options) []byte {
		rc := rules.NewContext(flows.Analyze(regularInput(f, 0).source(context.Background()), dopts, fopts), cfg)
		findings := rules.Run(rc)
		b := report.NewBatch(report.FailOn{None: true}, nil)
		b.Add(report.NewCheck(f, rc, findings, rules.Verdicts(rc, findings)))
		var buf bytes.Buffer
		if err := report.WriteBatchJSON(&buf, b); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	withFindings := 0
	for _, f := range files {
		want := reportOf(f, full, flows.Options{})
		got := reportOf(f, fast, fastFlows)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the check report differs from the one with full flows:\n%s\nwant:\n%s", f, got, want)
		}
		if bytes.Contains(want, []byte(`"rule":`)) {
			withFindings++
		}
	}
	// The comparison means something only if the captures give findings.
	if withFindings < len(ms) {
		t.Errorf("only %d of %d captures have findings", withFindings, len(files))
	}
}
