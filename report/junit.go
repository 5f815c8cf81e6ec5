package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML as CI systems read it (the Ant JUnit task's format, which
// Jenkins, GitLab, GitHub test reporters and Azure Pipelines accept): a
// test suite per check, a test case per rule, and a test case per capture
// that could not be read. A rule's test case fails when the rule has
// findings at or above --fail-on that no baseline accepts; the failure
// carries them. Findings below the threshold or baselined go to the test
// case's system-out. Time attributes are left out, so that the same input
// gives the same bytes.

// JUnitTestSuites is the root element of a JUnit report.
type JUnitTestSuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Skipped  int              `xml:"skipped,attr"`
	Suites   []JUnitTestSuite `xml:"testsuite"`
}

// JUnitTestSuite is the suite of one check.
type JUnitTestSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitTestCase `xml:"testcase"`
}

// JUnitProperty is a name and value of a suite: the captures and their
// roles, and the check's status.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitTestCase is one rule, or the reading of one capture. At most one of
// Failure, Error and Skipped is set.
type JUnitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *JUnitProblem `xml:"failure,omitempty"`
	Error     *JUnitProblem `xml:"error,omitempty"`
	Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitProblem is a failure (findings) or an error (an unreadable capture):
// a one-line message, a type (the severity, or "unreadable"), and the full
// text.
type JUnitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitSkipped says why a rule did not run.
type JUnitSkipped struct {
	Message string `xml:"message,attr"`
}

// JUnit builds the JUnit report of a batch.
func JUnit(b *Batch) *JUnitTestSuites {
	root := &JUnitTestSuites{Name: "vpnpcap check", Suites: []JUnitTestSuite{}}
	for _, c := range b.Checks {
		s := junitSuite(b, c)
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
		root.Suites = append(root.Suites, s)
	}
	return root
}

func junitSuite(b *Batch, c *Check) JUnitTestSuite {
	s := JUnitTestSuite{Name: c.Name, Cases: []JUnitTestCase{}}
	for _, cp := range c.Captures {
		s.Properties = append(s.Properties, JUnitProperty{Name: "capture." + cp.Role, Value: cp.Path})
	}
	s.Properties = append(s.Properties, JUnitProperty{Name: "status", Value: string(c.Status)})
	for _, cp := range c.Captures {
		tc := JUnitTestCase{Name: "read " + cp.Path, Classname: c.Name}
		if cp.ReadError != "" {
			text := cp.ReadError
			if c.analysed {
				text += "\nThe frames before the fault were checked."
			}
			tc.Error = &JUnitProblem{Message: cp.ReadError, Type: "unreadable", Text: text}
			s.Errors++
		}
		s.Cases = append(s.Cases, tc)
	}
	skipped := map[string]string{}
	for _, sk := range c.Skipped {
		skipped[sk.Rule] = sk.Reason
	}
	for _, m := range b.Rules {
		tc := JUnitTestCase{Name: m.ID + " " + m.Slug, Classname: c.Name}
		var failing, other []CheckFinding
		for _, f := range c.Findings {
			if f.RuleID != m.ID {
				continue
			}
			if !f.Baselined && b.failOn.Fails(f.Finding) {
				failing = append(failing, f)
			} else {
				other = append(other, f)
			}
		}
		switch {
		case len(failing) > 0:
			msg := failing[0].Message
			if len(failing) > 1 {
				msg = fmt.Sprintf("%s (and %d more)", msg, len(failing)-1)
			}
			tc.Failure = &JUnitProblem{Message: msg, Type: failing[0].Severity.String(), Text: junitFindings(failing)}
			s.Failures++
		case !c.analysed:
			tc.Skipped = &JUnitSkipped{Message: "no capture could be read"}
			s.Skipped++
		case skipped[m.ID] != "":
			tc.Skipped = &JUnitSkipped{Message: skipped[m.ID]}
			s.Skipped++
		}
		if len(other) > 0 {
			tc.SystemOut = junitFindings(other)
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	return s
}

// junitFindings writes findings as plain text, one block each.
func junitFindings(fs []CheckFinding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s %s %s", strings.ToUpper(f.Severity.String()), f.RuleID, f.Title)
		if f.Baselined {
			b.WriteString(" (baselined)")
		}
		switch {
		case f.Tunnel != 0:
			fmt.Fprintf(&b, " — tunnel %d", f.Tunnel)
		case f.Subject != "":
			b.WriteString(" — " + f.Subject)
		}
		fmt.Fprintf(&b, "\n%s\n", f.Message)
		if ev := evidenceText(f.Evidence); ev != "" {
			fmt.Fprintf(&b, "evidence: %s\n", ev)
		}
		fmt.Fprintf(&b, "why: %s\nfix: %s\n", f.Explanation, f.Remedy)
	}
	return b.String()
}

// WriteJUnit writes the batch as JUnit XML, indented.
func WriteJUnit(w io.Writer, b *Batch) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(JUnit(b)); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
