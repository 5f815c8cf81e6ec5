package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
)

// Severity is how bad a finding is.
type Severity uint8

// Severities, from least to most severe.
const (
	Info Severity = iota
	Warning
	Error
)

var severityNames = [...]string{Info: "info", Warning: "warning", Error: "error"}

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// MarshalText encodes the severity by name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// ParseSeverity parses "info", "warning" or "error".
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("rules: unknown severity %q (want info, warning or error)", name)
}

// Confidence is how sure a rule is of a finding: separate from severity, so
// that "no IKE_AUTH response" can be an error of medium confidence when the
// capture may have started or stopped mid-exchange.
type Confidence uint8

// Confidences.
const (
	Low Confidence = iota
	Medium
	High
)

var confidenceNames = [...]string{Low: "low", Medium: "medium", High: "high"}

// String returns "low", "medium" or "high".
func (c Confidence) String() string {
	if int(c) < len(confidenceNames) {
		return confidenceNames[c]
	}
	return fmt.Sprintf("confidence(%d)", uint8(c))
}

// MarshalText encodes the confidence by name.
func (c Confidence) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// ParseConfidence parses "low", "medium" or "high".
func ParseConfidence(name string) (Confidence, error) {
	for i, n := range confidenceNames {
		if strings.EqualFold(name, n) {
			return Confidence(i), nil
		}
	}
	return 0, fmt.Errorf("rules: unknown confidence %q (want low, medium or high)", name)
}

// Meta describes a rule. It is plain data: the CLI, the docs and the TUI
// render it.
type Meta struct {
	ID         string // "VP303"; stable, never reused
	Slug       string // "natt-port-4500-blocked"
	Title      string // one line
	Severity   Severity
	Confidence Confidence
	// Explanation is the failure mode in plain words; Remedy says what to
	// change, on which device.
	Explanation string
	Remedy      string
	// References cite RFC sections and implementation documentation.
	References []string
	// Catalogue lists the failure-mode catalogue rows the rule covers.
	Catalogue []string
	// NeedsBoth is set for rules that only work with both captures.
	NeedsBoth bool
	// Symptom is set for rules that report what a failure looks like
	// (requests unanswered, ESP one way) rather than why: a verdict
	// names a more specific cause when another rule found one.
	Symptom bool
	// TimeUse says, in a few words, what the rule reads from the capture's
	// time stamps (their order, or intervals measured with them); empty
	// for a rule that needs none. On a capture whose time runs backwards
	// (VP909) or stands still (VP910) such a rule's findings carry a
	// confidence one step lower and say why, and VP910 names the rule
	// among the checks that could not measure time.
	TimeUse string
	// OrderOnly is set when the rule reads only the order of packets, not
	// intervals: file order is capture order in a capture whose time
	// stands still, so there its findings stand as they are.
	OrderOnly bool
	// Untimed says how the rule goes on without usable time stamps, when
	// it does ("recognised by identical content"); VP910 says so.
	Untimed string
}

// Rule inspects an analysis and reports findings through report; a rule may
// report zero or more findings.
type Rule interface {
	Meta() Meta
	Check(c *Context, report func(Finding))
}

// Evidence is a frame of one capture that shows what a finding says.
type Evidence struct {
	Capture string     `json:"capture"` // the file's path as given
	Side    flows.Side `json:"-"`
	Frame   int        `json:"frame"`
}

// Finding is one problem found. It is flat, stable data; JSON names are
// snake_case. Adding a field is fine; renaming one breaks users.
type Finding struct {
	RuleID     string     `json:"rule"`
	Slug       string     `json:"slug"`
	Title      string     `json:"title"`
	Severity   Severity   `json:"severity"`
	Confidence Confidence `json:"confidence"`
	// Tunnel is the tunnel's ID in the report (0 when the finding is not
	// about a tunnel), Session the PPTP call's (0 when it is not about
	// one call) and Group the ESP group's (SAs without a tunnel); Subject
	// names what else it is about (a flow, an SA, a
	// capture).
	Tunnel      int        `json:"tunnel,omitempty"`
	Session     int        `json:"session,omitempty"`
	Group       int        `json:"esp_group,omitempty"`
	Subject     string     `json:"subject,omitempty"`
	Message     string     `json:"message"`
	Evidence    []Evidence `json:"evidence"`
	Explanation string     `json:"explanation"`
	Remedy      string     `json:"remedy"`
	// Milder is set by a rule when the captures show the risk it names
	// did not strike here (a large IKE message that crossed the NAT in
	// IP fragments, say): the finding is one severity below the rule's,
	// unless the configuration sets the rule's severity.
	Milder bool `json:"-"`
	// Decrypted is set by a rule when the finding rests on what keys
	// decrypted (an error notify read inside the encryption): the reports
	// then say what its evidence frames revealed.
	Decrypted bool `json:"-"`
}
