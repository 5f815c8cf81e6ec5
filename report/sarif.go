package report

import (
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/vpnpcap/vpnpcap/rules"
)

// SARIFFingerprint names vpnpcap's partial fingerprint in SARIF results
// (SARIF 2.1.0 §3.27.17): the hash of the finding's baseline key, so that
// code scanning tracks a finding across runs.
const SARIFFingerprint = "vpnpcap/v1"

// sarifInformationURI is where the tool's documentation lives.
const sarifInformationURI = "https://github.com/vpnpcap/vpnpcap"

// SARIF builds the SARIF 2.1.0 log of a batch: one run whose tool
// describes every rule (with its explanation and remedy as help text), a
// result per finding located at the capture files of its evidence, and an
// invocation whose notifications name each unreadable capture and why.
// Frame numbers are in each result's message and in its properties
// ("evidence"), since a capture has no lines for a region to point at.
// With a baseline, results carry baselineState "new" or "unchanged", and
// accepted ones an external suppression (SARIF 2.1.0 §3.27.23, §3.35).
func SARIF(b *Batch) *sarif.Report {
	log := sarif.NewReport()
	run := sarif.NewRunWithInformationURI("vpnpcap", sarifInformationURI)
	index := map[string]int{}
	for i, m := range b.Rules {
		index[m.ID] = i
		run.AddRule(m.ID).
			WithName(m.Slug).
			WithShortDescription(sarif.NewMultiformatMessageString().WithText(m.Title)).
			WithFullDescription(sarif.NewMultiformatMessageString().WithText(m.Explanation)).
			WithHelp(sarif.NewMultiformatMessageString().WithText(rules.Text(m)).WithMarkdown(ruleMarkdown(m))).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(severityLevel(m.Severity))).
			WithProperties(ruleProperties(m))
	}
	inv := sarif.NewInvocation().WithExecutionSuccessful(b.Summary.Errors == 0)
	for _, c := range b.Checks {
		for _, cp := range c.Captures {
			if cp.ReadError == "" {
				continue
			}
			n := sarif.NewNotification().
				WithLevel("error").
				WithMessage(sarif.NewTextMessage(cp.Path + ": " + cp.ReadError)).
				WithLocations([]*sarif.Location{captureLocation(cp.File())})
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
		}
		for _, f := range c.Findings {
			run.AddResult(sarifResult(b, c, f, index))
		}
	}
	run.AddInvocation(inv)
	log.AddRun(run)
	return log
}

func sarifResult(b *Batch, c *Check, f CheckFinding, index map[string]int) *sarif.Result {
	idx, ok := index[f.RuleID]
	if !ok {
		idx = -1
	}
	msg := f.Message
	if ev := evidenceText(f.Evidence); ev != "" {
		msg += " (evidence: " + ev + ")"
	}
	r := sarif.NewRuleResult(f.RuleID).
		WithRuleIndex(idx).
		WithLevel(severityLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(msg)).
		WithPartialFingerprints(map[string]string{SARIFFingerprint: f.Fingerprint})
	for _, p := range findingPaths(c, f) {
		r.AddLocation(captureLocation(p))
	}
	props := sarif.NewPropertyBag().
		Add("check", c.Name).
		Add("severity", f.Severity.String()).
		Add("confidence", f.Confidence.String()).
		Add("evidence", f.Evidence).
		Add("key", f.Key)
	if f.Tunnel != 0 {
		props.Add("tunnel", f.Tunnel)
	}
	if f.Subject != "" {
		props.Add("subject", f.Subject)
	}
	r.WithProperties(props)
	if b.Baseline != nil {
		if f.Baselined {
			r.WithBaselineState("unchanged")
			r.AddSuppression(sarif.NewSuppression().
				WithKind("external").
				WithStatus("accepted").
				WithJustification("accepted by the baseline " + b.Baseline.File))
		} else {
			r.WithBaselineState("new")
		}
	}
	return r
}

// findingPaths returns the files of the captures a finding's evidence
// points into, in order of first appearance, or of the check's captures
// when it has none.
func findingPaths(c *Check, f CheckFinding) []string {
	var out []string
	for _, e := range f.Evidence {
		file := e.Capture
		for i := range c.Captures {
			if c.Captures[i].Path == e.Capture {
				file = c.Captures[i].File()
			}
		}
		if !slices.Contains(out, file) {
			out = append(out, file)
		}
	}
	if len(out) == 0 {
		for i := range c.Captures {
			out = append(out, c.Captures[i].File())
		}
	}
	return out
}

// captureLocation locates a result at a capture file: a relative URI
// reference with forward slashes, percent-encoded where a URI needs it, so
// that code scanning resolves it against the repository root.
func captureLocation(path string) *sarif.Location {
	u := (&url.URL{Path: filepath.ToSlash(path)}).String()
	return sarif.NewLocationWithPhysicalLocation(
		sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(u)))
}

func ruleMarkdown(m rules.Meta) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (`%s`): %s, %s confidence", m.Title, m.Slug, m.Severity, m.Confidence)
	if m.NeedsBoth {
		b.WriteString("; needs captures from both sides of the NAT")
	}
	fmt.Fprintf(&b, ".\n\n%s\n\n**Remedy.** %s\n", m.Explanation, m.Remedy)
	if len(m.References) > 0 {
		b.WriteString("\nReferences:\n")
		for _, r := range m.References {
			fmt.Fprintf(&b, "- %s\n", r)
		}
	}
	return b.String()
}

func ruleProperties(m rules.Meta) *sarif.PropertyBag {
	p := sarif.NewPropertyBag().
		Add("confidence", m.Confidence.String()).
		Add("needs_both_captures", m.NeedsBoth)
	if len(m.Catalogue) > 0 {
		p.WithTags(append([]string(nil), m.Catalogue...))
	}
	return p
}

// WriteSARIF writes the batch as a SARIF 2.1.0 log, indented, as it goes
// (see writeJSONStream): the bytes the library's PrettyWrite would give.
func WriteSARIF(w io.Writer, b *Batch) error {
	log := SARIF(b)
	for _, run := range log.Runs {
		if err := run.DedupeArtifacts(); err != nil {
			return fmt.Errorf("report: sarif: %w", err)
		}
	}
	if err := writeJSONStream(w, log, true, reflect.TypeFor[sarif.Report](), reflect.TypeFor[sarif.Run]()); err != nil {
		return fmt.Errorf("report: sarif: %w", err)
	}
	return nil
}

// severityLevel maps a severity to its SARIF level (SARIF 2.1.0 §3.27.10).
func severityLevel(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "error"
	case rules.Warning:
		return "warning"
	}
	return "note"
}
