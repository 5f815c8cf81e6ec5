package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// testRules is the rule catalogue the batch goldens use, fixed so that
// rules added to the registry do not change them.
var testRules = []rules.Meta{
	{ID: "VP997", Slug: "needs-both", Title: "A rule for two captures", Severity: rules.Warning, Confidence: rules.Medium,
		Explanation: "It compares the captures.", Remedy: "Capture both sides.", NeedsBoth: true},
	{ID: "VP998", Slug: "capture-note", Title: "A note about a capture", Severity: rules.Info, Confidence: rules.High,
		Explanation: "It notes something.", Remedy: "Nothing to do.", Catalogue: []string{"NT99"}, References: []string{"RFC 3948 §2.3"}},
	{ID: "VP999", Slug: "example", Title: "Example finding", Severity: rules.Error, Confidence: rules.High,
		Explanation: "The NAT drops UDP 4500.", Remedy: "Allow UDP 4500 on the NAT."},
}

// batchFindings are the fixture's finding and a capture-level note.
func batchFindings(c *rules.Context) []rules.Finding {
	f := fixtureFindings(c)
	f = append(f, rules.Finding{
		RuleID: "VP998", Slug: "capture-note", Title: "A note about a capture", Severity: rules.Info, Confidence: rules.High,
		Subject: "capture inside.pcap", Message: "inside.pcap holds 1 DNS query",
		Evidence: c.Evidence(flows.SideInside, 7), Explanation: "It notes something.", Remedy: "Nothing to do.",
	})
	rules.SortFindings(f)
	return f
}

// testBatch is a batch of the fixture pair and of a file that is not a
// capture, judged against failOn.
func testBatch(t *testing.T, failOn string, base *Baseline) *Batch {
	t.Helper()
	fo, err := ParseFailOn(failOn)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(fo, base)
	b.Rules = testRules
	c := fixture()
	f := batchFindings(c)
	b.Add(NewCheck("site", c, f, rules.Verdicts(c, f), Options{}))
	b.Add(NewUnreadableCheck("notes.pcap", []string{"notes.pcap"}, []string{"not a capture file: no pcap, pcapng or gzip magic number"}))
	return b
}

func TestWriteBatchText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, testBatch(t, "error", nil), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "check.txt", buf.Bytes())
}

func TestWriteBatchTextColor(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, testBatch(t, "error", nil), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{ansiRed + "FAIL ", ansiRed + "ERROR" + ansiReset} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("coloured check report lacks %q", want)
		}
	}
}

func TestWriteBatchJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBatchJSON(&buf, testBatch(t, "error", nil)); err != nil {
		t.Fatal(err)
	}
	golden(t, "check.json", buf.Bytes())
	// Read back what CI scripts read; findings stay raw.
	var back struct {
		Schema  string       `json:"schema"`
		Summary BatchSummary `json:"summary"`
		Checks  []struct {
			Status   Status            `json:"status"`
			Counts   SeverityCounts    `json:"counts"`
			Failing  int               `json:"failing"`
			Captures []Capture         `json:"captures"`
			Findings []json.RawMessage `json:"findings"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if back.Schema != BatchSchema || len(back.Checks) != 2 {
		t.Fatalf("read back schema %q with %d checks, want %q with 2", back.Schema, len(back.Checks), BatchSchema)
	}
	site := back.Checks[0]
	if site.Status != StatusFail || site.Counts != (SeverityCounts{Error: 1, Info: 1}) || site.Failing != 1 {
		t.Errorf("site: status %s, counts %+v, failing %d; want fail, 1 error and 1 info, 1 failing", site.Status, site.Counts, site.Failing)
	}
	if got := back.Checks[1]; got.Status != StatusError || got.Captures[0].ReadError == "" {
		t.Errorf("notes.pcap: status %s, read error %q; want error with a reason", got.Status, got.Captures[0].ReadError)
	}
	want := BatchSummary{Checks: 2, Captures: 3, Unreadable: 1, Tunnels: 1, Failed: 1, Errors: 1,
		Findings: SeverityCounts{Error: 1, Info: 1}, Failing: 1}
	if back.Summary != want {
		t.Errorf("summary = %+v, want %+v", back.Summary, want)
	}
}

func TestParseFailOn(t *testing.T) {
	tests := []struct {
		in      string
		fails   []rules.Severity // severities that fail
		wantErr bool
	}{
		{"info", []rules.Severity{rules.Info, rules.Warning, rules.Error}, false},
		{"warning", []rules.Severity{rules.Warning, rules.Error}, false},
		{"error", []rules.Severity{rules.Error}, false},
		{"ERROR", []rules.Severity{rules.Error}, false},
		{"none", nil, false},
		{"fatal", nil, true},
		{"", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			fo, err := ParseFailOn(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseFailOn(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			for _, s := range []rules.Severity{rules.Info, rules.Warning, rules.Error} {
				want := false
				for _, f := range tc.fails {
					want = want || f == s
				}
				if got := fo.Fails(rules.Finding{Severity: s, Confidence: rules.High}); got != want {
					t.Errorf("ParseFailOn(%q).Fails(%s) = %v, want %v", tc.in, s, got, want)
				}
				if fo.Fails(rules.Finding{Severity: s, Confidence: rules.Low}) {
					t.Errorf("ParseFailOn(%q) fails a low-confidence %s finding", tc.in, s)
				}
			}
		})
	}
}

// TestBatchExitCode checks the exit code for each threshold: 1 exactly when
// a finding outside the baseline is at or above it, 2 when a capture is
// unreadable, whatever the findings.
func TestBatchExitCode(t *testing.T) {
	tests := []struct {
		failOn     string
		unreadable bool
		want       int
	}{
		{"info", false, 1}, {"warning", false, 1}, {"error", false, 1}, {"none", false, 0},
		{"info", true, 2}, {"none", true, 2},
	}
	for _, tc := range tests {
		fo, _ := ParseFailOn(tc.failOn)
		b := NewBatch(fo, nil)
		c := fixture()
		f := batchFindings(c)
		b.Add(NewCheck("site", c, f, rules.Verdicts(c, f), Options{}))
		if tc.unreadable {
			b.Add(NewUnreadableCheck("x.pcap", []string{"x.pcap"}, []string{"empty"}))
		}
		if got := b.ExitCode(); got != tc.want {
			t.Errorf("fail on %s, unreadable %v: ExitCode() = %d, want %d", tc.failOn, tc.unreadable, got, tc.want)
		}
	}
	// Only the info finding: it fails at info, not at warning.
	for _, tc := range []struct {
		failOn string
		want   int
	}{{"info", 1}, {"warning", 0}, {"error", 0}} {
		fo, _ := ParseFailOn(tc.failOn)
		b := NewBatch(fo, nil)
		c := fixture()
		f := batchFindings(c)[1:]
		b.Add(NewCheck("site", c, f, rules.Verdicts(c, f), Options{}))
		if got := b.ExitCode(); got != tc.want {
			t.Errorf("info finding, fail on %s: ExitCode() = %d, want %d", tc.failOn, got, tc.want)
		}
	}
}

// TestWriteBatchMarkdownHTML: a batch of checks is an index, then a
// section per check, the unreadable one included, in Markdown and HTML.
func TestWriteBatchMarkdownHTML(t *testing.T) {
	var md, html bytes.Buffer
	b := testBatch(t, "error", nil)
	if err := WriteMarkdown(&md, b); err != nil {
		t.Fatal(err)
	}
	golden(t, "check.md", md.Bytes())
	if err := WriteHTML(&html, b); err != nil {
		t.Fatal(err)
	}
	golden(t, "check.html", html.Bytes())
	for _, want := range []string{`<a href="#check-1">site</a>`, `<section id="check-2">`, "not a capture file"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}
