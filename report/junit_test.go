package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

func TestWriteJUnit(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, testBatch(t, "error", nil)); err != nil {
		t.Fatal(err)
	}
	golden(t, "check.xml", buf.Bytes())

	var back JUnitTestSuites
	if err := xml.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("JUnit output does not parse: %v", err)
	}
	if len(back.Suites) != 2 {
		t.Fatalf("%d test suites, want one per check (2)", len(back.Suites))
	}
	site := back.Suites[0]
	// Two captures read, then one test case per rule.
	if site.Name != "site" || site.Tests != 2+len(testRules) || len(site.Cases) != site.Tests {
		t.Errorf("suite %q: %d tests, %d cases; want site with %d", site.Name, site.Tests, len(site.Cases), 2+len(testRules))
	}
	byName := map[string]JUnitTestCase{}
	for _, c := range site.Cases {
		byName[c.Name] = c
	}
	if c := byName["VP999 example"]; c.Failure == nil || !strings.Contains(c.Failure.Text, "inside.pcap frames 3, 4, 5, 6") || c.Failure.Type != "error" {
		t.Errorf("VP999 test case does not fail with the finding and its evidence: %+v", c)
	}
	if c := byName["VP998 capture-note"]; c.Failure != nil || !strings.Contains(c.SystemOut, "inside.pcap holds 1 DNS query") {
		t.Errorf("VP998 test case (info, below --fail-on) should pass with the finding in system-out: %+v", c)
	}
	if c := byName["VP997 needs-both"]; c.Failure != nil || c.Skipped != nil {
		t.Errorf("VP997 ran on a pair and found nothing; test case %+v", c)
	}
	if site.Failures != 1 || site.Errors != 0 {
		t.Errorf("site: %d failures, %d errors; want 1 and 0", site.Failures, site.Errors)
	}
	notes := back.Suites[1]
	if notes.Errors != 1 || notes.Cases[0].Error == nil || !strings.Contains(notes.Cases[0].Error.Message, "not a capture") {
		t.Errorf("unreadable capture is not an error test case: %+v", notes.Cases[0])
	}
	if notes.Skipped != len(testRules) {
		t.Errorf("unreadable capture: %d rules skipped, want %d", notes.Skipped, len(testRules))
	}
	if back.Tests != site.Tests+notes.Tests || back.Failures != 1 || back.Errors != 1 {
		t.Errorf("totals: %d tests, %d failures, %d errors", back.Tests, back.Failures, back.Errors)
	}
}

// TestJUnitThreshold checks that the threshold decides what fails: at
// --fail-on info the info finding fails too; at none nothing does.
func TestJUnitThreshold(t *testing.T) {
	for _, tc := range []struct {
		failOn string
		want   int
	}{{"info", 2}, {"warning", 1}, {"none", 0}} {
		if got := JUnit(testBatch(t, tc.failOn, nil)).Failures; got != tc.want {
			t.Errorf("fail on %s: %d failures, want %d", tc.failOn, got, tc.want)
		}
	}
}
