package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// validateSARIF parses a SARIF log back, strictly, and validates it against
// the official SARIF 2.1.0 JSON schema that go-sarif carries.
func validateSARIF(t *testing.T, b []byte) *sarif.Report {
	t.Helper()
	log, err := sarif.FromBytes(b, sarif.WithStrictValidation())
	if err != nil {
		t.Fatalf("SARIF output does not parse: %v", err)
	}
	if err := log.Validate(); err != nil {
		t.Fatalf("SARIF output fails the 2.1.0 schema: %v", err)
	}
	return log
}

func TestWriteSARIF(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, testBatch(t, "error", nil)); err != nil {
		t.Fatal(err)
	}
	golden(t, "check.sarif", buf.Bytes())
	log := validateSARIF(t, buf.Bytes())
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	if n := len(run.Tool.Driver.Rules); n != len(testRules) {
		t.Errorf("%d rules, want %d", n, len(testRules))
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.Help == nil || r.Help.Text == nil || !strings.Contains(*r.Help.Text, "Remedy") {
			t.Errorf("rule %s has no help text with the remedy", *r.ID)
		}
	}
	if len(run.Results) != 2 {
		t.Fatalf("%d results, want 2", len(run.Results))
	}
	res := run.Results[0]
	if *res.RuleID != "VP999" || res.Level != "error" || res.RuleIndex != 2 {
		t.Errorf("first result: rule %s level %s index %d, want VP999 error 2", *res.RuleID, res.Level, res.RuleIndex)
	}
	if !strings.Contains(*res.Message.Text, "inside.pcap frames 3, 4, 5, 6") {
		t.Errorf("message %q does not name the evidence frames", *res.Message.Text)
	}
	var uris []string
	for _, l := range res.Locations {
		uris = append(uris, *l.PhysicalLocation.ArtifactLocation.URI)
	}
	if strings.Join(uris, " ") != "inside.pcap outside.pcap" {
		t.Errorf("locations %v, want inside.pcap outside.pcap", uris)
	}
	if res.PartialFingerprints[SARIFFingerprint] == "" {
		t.Errorf("result has no %s partial fingerprint", SARIFFingerprint)
	}
	if _, ok := res.Properties.Properties["evidence"]; !ok {
		t.Errorf("result properties lack the evidence frames")
	}
	if res.BaselineState != nil || len(res.Suppressions) != 0 {
		t.Errorf("without a baseline, result has baselineState %v and %d suppressions", res.BaselineState, len(res.Suppressions))
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful == nil || *inv.ExecutionSuccessful {
		t.Errorf("invocation says execution was successful despite an unreadable capture")
	}
	if len(inv.ToolExecutionNotifications) != 1 || !strings.Contains(*inv.ToolExecutionNotifications[0].Message.Text, "notes.pcap: not a capture") {
		t.Errorf("notifications do not name the unreadable capture: %+v", inv.ToolExecutionNotifications)
	}
}

func TestWriteSARIFBaseline(t *testing.T) {
	var doc bytes.Buffer
	if err := WriteBaseline(&doc, testBatch(t, "error", nil)); err != nil {
		t.Fatal(err)
	}
	// Accept only the error finding.
	base, err := ReadBaseline(strings.NewReader(strings.Replace(doc.String(), `"rule": "VP998"`, `"rule": "VP000"`, 1)), "accepted.json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, testBatch(t, "error", base)); err != nil {
		t.Fatal(err)
	}
	log := validateSARIF(t, buf.Bytes())
	states := map[string]string{}
	for _, r := range log.Runs[0].Results {
		states[*r.RuleID] = *r.BaselineState
		if suppressed := len(r.Suppressions) > 0; suppressed != (*r.BaselineState == "unchanged") {
			t.Errorf("%s: baselineState %s with %d suppressions", *r.RuleID, *r.BaselineState, len(r.Suppressions))
		}
	}
	if states["VP999"] != "unchanged" || states["VP998"] != "new" {
		t.Errorf("baseline states %v, want VP999 unchanged and VP998 new", states)
	}
}

func TestCaptureLocationEscapes(t *testing.T) {
	l := captureLocation("site a/inside#1.pcap")
	if got := *l.PhysicalLocation.ArtifactLocation.URI; got != "site%20a/inside%231.pcap" {
		t.Errorf("captureLocation URI = %q, want %q", got, "site%20a/inside%231.pcap")
	}
}
