package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

// runCLI runs vpnpcap in-process and returns what it wrote and its exit
// code.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCLIContext(t, context.Background(), args...)
}

func runCLIContext(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// readableSamples copies the sample captures, all but the one that is cut
// short on purpose (capture-truncated, which makes a batch exit 2), into a
// temporary directory of the same shape, and returns it.
func readableSamples(t *testing.T) string {
	t.Helper()
	src := samplesDir(t)
	dst := filepath.Join(t.TempDir(), "samples")
	files, err := filepath.Glob(filepath.Join(src, "*", "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample captures in %s: %v", src, err)
	}
	for _, f := range files {
		scenario := filepath.Base(filepath.Dir(f))
		if scenario == "capture-truncated" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, scenario), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, scenario, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// samplesDir returns the sample captures' directory.
func samplesDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(corpus.RepoRoot(), "samples")
	if _, err := os.Stat(filepath.Join(dir, "natt-ok", "inside.pcap")); err != nil {
		t.Fatalf("sample captures missing: %v", err)
	}
	return dir
}

// checkJSON is the part of the JSON report the tests read.
type checkJSON struct {
	Summary report.BatchSummary `json:"summary"`
	Checks  []struct {
		Name     string           `json:"name"`
		Status   report.Status    `json:"status"`
		Captures []report.Capture `json:"captures"`
		Findings []struct {
			Rule      string `json:"rule"`
			Severity  string `json:"severity"`
			Baselined bool   `json:"baselined"`
		} `json:"findings"`
	} `json:"checks"`
}

func parseCheckJSON(t *testing.T, s string) checkJSON {
	t.Helper()
	var r checkJSON
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("check --format json output does not parse: %v\n%s", err, s)
	}
	return r
}

// pairWithFindings returns a sample pair on which the rules report
// something, whichever rules are registered.
func pairWithFindings(t *testing.T) string {
	t.Helper()
	dir := samplesDir(t)
	for _, name := range []string{"ah-through-nat", "passthrough-off", "natt-port-blocked", "pptp-gre-blocked"} {
		out, _, _ := runCLI(t, "check", "--format", "json", "--fail-on", "none", filepath.Join(dir, name))
		if r := parseCheckJSON(t, out); r.Summary.Findings.Total() > 0 {
			return filepath.Join(dir, name)
		}
	}
	t.Fatal("no sample gives a finding")
	return ""
}

// writeSeverityConfig writes a rules configuration that sets every rule to
// one severity.
func writeSeverityConfig(t *testing.T, sev rules.Severity) string {
	t.Helper()
	m := map[string]string{}
	for _, r := range rules.All() {
		m[r.Meta().ID] = sev.String()
	}
	b, err := json.Marshal(map[string]any{"severity": m})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sev.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckExitCodes checks the exit code for each --fail-on threshold, on
// findings made info, warning or error by the configuration.
func TestCheckExitCodes(t *testing.T) {
	pair := pairWithFindings(t)
	for _, sev := range []rules.Severity{rules.Info, rules.Warning, rules.Error} {
		cfg := writeSeverityConfig(t, sev)
		for _, failOn := range []string{"info", "warning", "error", "none"} {
			want := exitOK
			if th, err := rules.ParseSeverity(failOn); err == nil && sev >= th {
				want = exitFindings
			}
			_, stderr, code := runCLI(t, "check", "--config", cfg, "--fail-on", failOn, pair)
			if code != want {
				t.Errorf("findings of severity %s, --fail-on %s: exit %d, want %d\n%s", sev, failOn, code, want, stderr)
			}
		}
	}
	// The default threshold is error.
	if _, _, code := runCLI(t, "check", "--config", writeSeverityConfig(t, rules.Warning), pair); code != exitOK {
		t.Errorf("warnings with the default --fail-on: exit %d, want 0", code)
	}
}

// TestCheckSameBytesAnyJobs checks that the report does not depend on the
// number of parallel checks, in every format, over the samples and the
// public captures.
func TestCheckSameBytesAnyJobs(t *testing.T) {
	dirs := []string{readableSamples(t), corpus.Dir(t)}
	for _, format := range []string{"text", "json", "sarif", "junit"} {
		var outs [2]string
		var codes [2]int
		for i, j := range []string{"1", "8"} {
			var stderr string
			outs[i], stderr, codes[i] = runCLI(t, append([]string{"check", "-j", j, "--format", format, "--color", "never"}, dirs...)...)
			if codes[i] == exitUsage {
				t.Fatalf("%s, -j %s: exit 2\n%s", format, j, stderr)
			}
		}
		if codes[0] != codes[1] || outs[0] != outs[1] {
			t.Errorf("%s: -j 1 and -j 8 differ (exit %d and %d)", format, codes[0], codes[1])
		}
	}
}

// makeBadBatch builds a directory of good captures, a truncated one, a
// non-capture with a capture's name and a README, and returns it with a
// non-capture file outside it.
func makeBadBatch(t *testing.T) (dir, extra string) {
	t.Helper()
	src := samplesDir(t)
	dir = t.TempDir()
	good, err := os.ReadFile(filepath.Join(src, "natt-ok", "inside.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	nonat, err := os.ReadFile(filepath.Join(src, "no-nat", "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.pcap", good)
	write("cut.pcap", good[:len(good)*2/3]) // ends inside a record
	write("notes.pcap", []byte("these are not packets\n"))
	write("README.md", []byte("# captures\n"))
	write("sub/nonat.pcap", nonat)
	extra = filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(extra, []byte("good.pcap\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, extra
}

// TestCheckUnreadable checks a batch with a truncated capture and two
// non-capture files among good captures: both are reported with path and
// reason, the rest are checked, and the exit code is 2.
func TestCheckUnreadable(t *testing.T) {
	dir, extra := makeBadBatch(t)
	out, stderr, code := runCLI(t, "check", "--format", "json", "--fail-on", "none", dir, extra)
	if code != exitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	r := parseCheckJSON(t, out)
	byPath := map[string]int{}
	for i, c := range r.Checks {
		for _, cp := range c.Captures {
			byPath[filepath.Base(cp.Path)] = i
		}
	}
	if _, ok := byPath["README.md"]; ok {
		t.Errorf("README.md found in a walked directory was reported; it should be skipped")
	}
	for _, tc := range []struct {
		file, reason string
		frames       bool // some frames were read and checked
	}{
		{"cut.pcap", "truncated", true},
		{"notes.pcap", "not a capture file", false},
		{"list.txt", "not a capture file", false},
	} {
		i, ok := byPath[tc.file]
		if !ok {
			t.Errorf("%s not reported", tc.file)
			continue
		}
		c := r.Checks[i]
		cp := c.Captures[0]
		if c.Status != report.StatusError || !strings.Contains(cp.ReadError, tc.reason) {
			t.Errorf("%s: status %s, read error %q; want error with %q", tc.file, c.Status, cp.ReadError, tc.reason)
		}
		if (cp.Frames > 0) != tc.frames {
			t.Errorf("%s: %d frames checked", tc.file, cp.Frames)
		}
		if !strings.Contains(stderr, cp.Path) {
			t.Errorf("stderr does not name %s:\n%s", cp.Path, stderr)
		}
	}
	for _, file := range []string{"good.pcap", "nonat.pcap"} {
		i, ok := byPath[file]
		if !ok {
			t.Errorf("%s not checked", file)
			continue
		}
		if c := r.Checks[i]; c.Status == report.StatusError || c.Captures[0].Frames == 0 {
			t.Errorf("%s: status %s with %d frames; want it checked", file, c.Status, c.Captures[0].Frames)
		}
	}
	if r.Summary.Unreadable != 3 || r.Summary.Checks != 5 {
		t.Errorf("summary: %d unreadable of %d checks, want 3 of 5", r.Summary.Unreadable, r.Summary.Checks)
	}

	// The SARIF log of the same batch is valid and names the unreadable
	// files in its notifications.
	out, _, code = runCLI(t, "check", "--format", "sarif", dir, extra)
	if code != exitUsage {
		t.Errorf("sarif: exit %d, want 2", code)
	}
	log := validateSARIF(t, out)
	var notes []string
	for _, n := range log.Runs[0].Invocations[0].ToolExecutionNotifications {
		notes = append(notes, *n.Message.Text)
	}
	if len(notes) != 3 {
		t.Errorf("SARIF notifications %q, want 3", notes)
	}
}

// validateSARIF parses a SARIF log and validates it against the SARIF
// 2.1.0 schema.
func validateSARIF(t *testing.T, s string) *sarif.Report {
	t.Helper()
	log, err := sarif.FromBytes([]byte(s), sarif.WithStrictValidation())
	if err != nil {
		t.Fatalf("SARIF output does not parse: %v", err)
	}
	if err := log.Validate(); err != nil {
		t.Fatalf("SARIF output fails the 2.1.0 schema: %v", err)
	}
	return log
}

func TestCheckSARIFSamples(t *testing.T) {
	out, stderr, code := runCLI(t, "check", "--format", "sarif", readableSamples(t))
	if code == exitUsage {
		t.Fatalf("exit 2\n%s", stderr)
	}
	log := validateSARIF(t, out)
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(rules.All()) {
		t.Errorf("%d SARIF rules, want %d", len(run.Tool.Driver.Rules), len(rules.All()))
	}
	for _, res := range run.Results {
		if res.RuleIndex < 0 || *run.Tool.Driver.Rules[res.RuleIndex].ID != *res.RuleID {
			t.Errorf("result %s has rule index %d", *res.RuleID, res.RuleIndex)
		}
		for _, l := range res.Locations {
			if uri := *l.PhysicalLocation.ArtifactLocation.URI; !strings.HasSuffix(uri, ".pcap") {
				t.Errorf("result %s located at %q, not a capture", *res.RuleID, uri)
			}
		}
	}
}

func TestCheckJUnitSamples(t *testing.T) {
	dir := readableSamples(t)
	jout, _, _ := runCLI(t, "check", "--format", "json", dir)
	want := parseCheckJSON(t, jout)
	out, stderr, code := runCLI(t, "check", "--format", "junit", dir)
	if code == exitUsage {
		t.Fatalf("exit 2\n%s", stderr)
	}
	var back report.JUnitTestSuites
	if err := xml.Unmarshal([]byte(out), &back); err != nil {
		t.Fatalf("JUnit output does not parse: %v", err)
	}
	if len(back.Suites) != len(want.Checks) {
		t.Fatalf("%d test suites, want %d (one per check)", len(back.Suites), len(want.Checks))
	}
	for i, s := range back.Suites {
		c := want.Checks[i]
		failing := map[string]bool{}
		for _, f := range c.Findings {
			if f.Severity == "error" {
				failing[f.Rule] = true
			}
		}
		if s.Name != c.Name || s.Failures != len(failing) {
			t.Errorf("suite %q: %d failures; want %q with %d (rules with errors)", s.Name, s.Failures, c.Name, len(failing))
		}
	}
}

// TestCheckBaseline writes a baseline, then checks that it accepts every
// finding, and that a finding taken out of it fails again.
func TestCheckBaseline(t *testing.T) {
	dir := readableSamples(t)
	tmp := t.TempDir()
	base := filepath.Join(tmp, "baseline.json")
	out, _, code := runCLI(t, "check", "--format", "json", "--write-baseline", base, dir)
	first := parseCheckJSON(t, out)
	if first.Summary.Failing == 0 || code != exitFindings {
		t.Fatalf("samples: exit %d with %d failing findings; the test needs some", code, first.Summary.Failing)
	}
	out, stderr, code := runCLI(t, "check", "--format", "json", "--baseline", base, dir)
	second := parseCheckJSON(t, out)
	if code != exitOK {
		t.Errorf("with the baseline: exit %d, want 0\n%s", code, stderr)
	}
	total := first.Summary.Findings.Total()
	if second.Summary.Baselined != total || second.Summary.Findings.Total() != 0 {
		t.Errorf("with the baseline: %d baselined, %d not; want %d and 0", second.Summary.Baselined, second.Summary.Findings.Total(), total)
	}

	// Drop the first error entry: its findings fail again.
	raw, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	var doc report.BaselineFile
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(doc.Findings, func(e report.BaselineEntry) bool { return e.Severity == "error" })
	dropped := doc.Findings[i]
	doc.Findings = slices.Delete(doc.Findings, i, i+1)
	edited := filepath.Join(tmp, "edited.json")
	b, _ := json.Marshal(doc)
	if err := os.WriteFile(edited, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = runCLI(t, "check", "--format", "json", "--baseline", edited, dir)
	third := parseCheckJSON(t, out)
	if code != exitFindings || third.Summary.Failing != dropped.Count {
		t.Errorf("baseline without %s: exit %d with %d failing; want 1 with %d", dropped.Rule, code, third.Summary.Failing, dropped.Count)
	}

	// Text and SARIF show the baselined findings as such.
	text, _, _ := runCLI(t, "check", "--baseline", base, "--color", "never", dir)
	if !strings.Contains(text, "(baselined)") {
		t.Errorf("text report does not mark baselined findings")
	}
	sout, _, _ := runCLI(t, "check", "--format", "sarif", "--baseline", base, dir)
	for _, r := range validateSARIF(t, sout).Runs[0].Results {
		if r.BaselineState == nil || *r.BaselineState != "unchanged" || len(r.Suppressions) != 1 {
			t.Errorf("SARIF result %s: not marked unchanged and suppressed", *r.RuleID)
		}
	}
}

// TestCheckOutputFile checks that the report file is written although the
// exit code is not zero, with the summary on stdout.
func TestCheckOutputFile(t *testing.T) {
	dir, extra := makeBadBatch(t)
	file := filepath.Join(t.TempDir(), "out.sarif")
	stdout, _, code := runCLI(t, "check", "--format", "sarif", "-o", file, dir, extra)
	if code != exitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("report file not written: %v", err)
	}
	validateSARIF(t, string(b))
	if !strings.Contains(stdout, "SUMMARY") || strings.Contains(stdout, `"version"`) {
		t.Errorf("stdout should hold the text summary only:\n%s", stdout)
	}
}

func TestCheckUsageErrors(t *testing.T) {
	tmp := t.TempDir()
	badPairs := filepath.Join(tmp, "pairs.json")
	if err := os.WriteFile(badPairs, []byte(`{"version": 2, "pairs": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sample := filepath.Join(samplesDir(t), "no-nat")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no-paths", nil, "Usage: vpnpcap check"},
		{"unknown-format", []string{"--format", "xml", sample}, `invalid argument "xml" for "--format" flag: want text, json, markdown, html, sarif, junit`},
		{"unknown-fail-on", []string{"--fail-on", "fatal", sample}, `invalid argument "fatal" for "--fail-on" flag: want info, warning, error, none`},
		{"jobs-zero", []string{"-j", "0", sample}, `invalid argument "0" for "-j, --jobs" flag: want a whole number from 1 to 1024`},
		{"jobs-absurd", []string{"-j", "100000", sample}, `for "-j, --jobs" flag`},
		{"missing-baseline", []string{"--baseline", filepath.Join(tmp, "none.json"), sample}, "baseline"},
		{"bad-pairs", []string{"--pairs", badPairs, sample}, "version 2, want 1"},
		{"bad-glob", []string{filepath.Join(tmp, "[")}, "syntax error in pattern"},
		{"unwritable-output", []string{"-o", filepath.Join(tmp, "no", "such", "dir", "r.json"), sample}, "no such file"},
		{"unknown-flag", []string{"--frobnicate", sample}, "unknown flag"},
		{"no-captures", []string{tmp}, "no capture found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, append([]string{"check"}, tc.args...)...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.wantErr)
			}
			if stdout != "" {
				t.Errorf("usage error wrote a report: %q", stdout)
			}
		})
	}
}

// TestCheckProgress checks that the progress bar goes to stderr only.
func TestCheckProgress(t *testing.T) {
	dir := samplesDir(t)
	quiet, _, _ := runCLI(t, "check", "--progress", "never", dir)
	loud, stderr, _ := runCLI(t, "check", "--progress", "always", dir)
	if quiet != loud {
		t.Errorf("the progress bar changed the report")
	}
	if strings.Contains(quiet, "\r") {
		t.Errorf("report holds a carriage return")
	}
	// The bar may not be drawn in the time the samples take, but it is
	// always erased.
	if !strings.HasSuffix(stderr, "\r\x1b[K") && strings.Contains(stderr, "checking") {
		t.Errorf("progress bar not erased at the end: %q", stderr)
	}
}

// TestCheckCancelled checks that a cancelled run stops reading and reports
// the captures as unreadable rather than passing.
func TestCheckCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, stderr, code := runCLIContext(t, ctx, "check", filepath.Join(samplesDir(t), "no-nat"))
	if code != exitUsage || !strings.Contains(stderr, context.Canceled.Error()) {
		t.Errorf("cancelled: exit %d, stderr %q; want 2 naming the cancellation", code, stderr)
	}
}

// writeFile writes a file, making its directory.
func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pcapHeader is a pcap file header alone: enough for discovery, which looks
// at magic numbers only.
var pcapHeader = []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}

// pcapngHeader is a pcapng section header block (little-endian, version
// 1.0, section length unknown) and an Ethernet interface: a capture with no
// packets.
var pcapngHeader = []byte{
	0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
	1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 20, 0, 0, 0,
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDiscover checks how paths become checks: pairs by name and by
// manifest, captures recognised by magic number, what is reported and what
// is skipped.
func TestDiscover(t *testing.T) {
	root := t.TempDir()
	w := func(name string, b []byte) { writeFile(t, filepath.Join(root, name), b) }
	w("a/inside.pcap", pcapHeader)
	w("a/outside.pcap", pcapHeader)
	w("b/site-inside.pcapng.gz", gzipped(t, pcapngHeader))
	w("b/site-outside.pcap", pcapHeader)
	w("b/lone.pcap", pcapHeader)
	w("c/inside.pcap", pcapHeader) // two inside captures: no pairing
	w("c/inside.pcapng", pcapngHeader)
	w("c/outside.pcap", pcapHeader)
	w("d/vpnpcap-pairs.json", []byte(`{"version": 1, "pairs": [{"name": "office", "inside": "lan.pcap", "outside": "wan.pcap"}]}`))
	w("d/lan.pcap", pcapHeader)
	w("d/wan.pcap", pcapHeader)
	w("e/README.md", []byte("# notes\n"))
	w("e/broken.cap", []byte("not a capture"))
	w("e/.hidden/x.pcap", pcapHeader)
	w("e/empty.pcapng", nil)
	w("f/data.gz", gzipped(t, []byte("plain text")))
	w("f/arch.tgz", gzipped(t, []byte("plain text")))
	w("g/trace.dump", pcapHeader)
	w("h/vpnpcap-pairs.json", []byte(`{"version": 1, "pairs": [{"inside": "ok.pcap", "outside": "missing.pcap"}]}`))
	w("h/ok.pcap", pcapHeader)

	units, _, err := discover([]string{root}, nil, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range units {
		rel := func(p string) string {
			r, err := filepath.Rel(root, p)
			if err != nil {
				return p
			}
			return filepath.ToSlash(r)
		}
		s := rel(u.name) + ": " + strings.Join(mapStrings(u.paths, rel), " + ")
		if u.problems != nil {
			s += " (" + strings.Join(u.problems, " | ") + ")"
		}
		got = append(got, s)
	}
	want := []string{
		"a: a/inside.pcap + a/outside.pcap",
		"b/lone.pcap: b/lone.pcap",
		"b/site: b/site-inside.pcapng.gz + b/site-outside.pcap",
		"c/inside.pcap: c/inside.pcap",
		"c/inside.pcapng: c/inside.pcapng",
		"c/outside.pcap: c/outside.pcap",
		"d/office: d/lan.pcap + d/wan.pcap",
		"e/broken.cap: e/broken.cap (not a capture file: unknown magic number 0x20746f6e)",
		"e/empty.pcapng: e/empty.pcapng (not a capture file: empty file)",
		"f/data.gz: f/data.gz (not a capture file: gzip-compressed, but unknown magic number 0x69616c70 inside)",
		"g/trace.dump: g/trace.dump",
		"h/ok: h/ok.pcap + h/missing.pcap ( | no such file or directory)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("discover:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A glob, a missing path, and a file named twice.
	units, _, err = discover([]string{filepath.Join(root, "a", "*.pcap"), filepath.Join(root, "nothing"), filepath.Join(root, "g", "trace.dump"), filepath.Join(root, "g", "..", "g", "trace.dump")}, nil, testInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != 3 || !units[0].pair() || units[1].name != filepath.Join(root, "g", "trace.dump") || units[2].problems == nil {
		t.Errorf("glob, missing path, duplicate: got %+v", units)
	}
}

func mapStrings(s []string, f func(string) string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

func TestLoadManifestErrors(t *testing.T) {
	tests := []struct {
		name, doc, wantErr string
	}{
		{"version", `{"version": 2, "pairs": []}`, "version 2, want 1"},
		{"missing-outside", `{"version": 1, "pairs": [{"inside": "a.pcap"}]}`, "inside and outside are required"},
		{"same-file", `{"version": 1, "pairs": [{"inside": "a.pcap", "outside": "./a.pcap"}]}`, "the same file"},
		{"unknown-field", `{"version": 1, "pairs": [{"inside": "a.pcap", "outsde": "b.pcap"}]}`, "unknown field"},
		{"not-json", `pairs`, "invalid character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "pairs.json")
			writeFile(t, p, []byte(tc.doc))
			if _, err := loadManifest(p); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("loadManifest(%s) = %v, want error containing %q", tc.name, err, tc.wantErr)
			}
		})
	}
}

// TestSourceMatchesReadFile checks that the commands' reading (counted,
// cancellable) delivers exactly what decode.ReadFile does, over the samples
// and the public captures.
func TestSourceMatchesReadFile(t *testing.T) {
	files := append(corpus.Paths(t), corpus.SamplePaths(t)...)
	opts := decode.Options{KeepOther: true}
	for _, f := range files {
		var want, got []decode.Packet
		wst, werr := decode.ReadFile(f, opts, func(p *decode.Packet) { want = append(want, *p) })
		var n atomic.Int64
		gst, gerr := regularInput(f, 0).source(context.Background(), &n, nil).Read(opts, func(p *decode.Packet) { got = append(got, *p) })
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gst, wst) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Errorf("%s: source gives %d packets, error %v; ReadFile %d, error %v", f, len(got), gerr, len(want), werr)
		}
		if st, _ := os.Stat(f); n.Load() != st.Size() {
			t.Errorf("%s: counted %d bytes of %d", f, n.Load(), st.Size())
		}
	}
}
