package report

import (
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/rules"
)

// explanation is a rule's why and fix, as a report prints it once however
// many findings refer to it. A rule that words its remedy for the case at
// hand (VP102 for each notify) has one explanation per wording.
type explanation struct {
	// Ref is how findings refer to it: the rule's ID, with a number for
	// the second wording on ("VP102 (2)").
	Ref, Rule, Title string
	Explanation, Fix string
}

// explanations lists the distinct explanations of findings in order of
// first use, and the reference of each finding's.
func explanations(fs []CheckFinding) ([]explanation, []string) {
	var out []explanation
	refs := make([]string, len(fs))
	for i, f := range fs {
		n, found := 0, -1
		for j, e := range out {
			if e.Rule != f.RuleID {
				continue
			}
			n++
			if e.Explanation == f.Explanation && e.Fix == f.Remedy {
				found = j
				break
			}
		}
		if found < 0 {
			ref := f.RuleID
			if n > 0 {
				ref += " (" + strconv.Itoa(n+1) + ")"
			}
			out = append(out, explanation{Ref: ref, Rule: f.RuleID, Title: f.Title, Explanation: f.Explanation, Fix: f.Remedy})
			found = len(out) - 1
		}
		refs[i] = out[found].Ref
	}
	return out, refs
}

// findingSubject names what a finding is about: "tunnel 1", "PPTP call 2",
// or the subject the rule names.
func findingSubject(f rules.Finding) string {
	switch {
	case f.Tunnel != 0:
		return "tunnel " + strconv.Itoa(f.Tunnel)
	case f.Session != 0 && !strings.Contains(f.Subject, "call"):
		return "PPTP call " + strconv.Itoa(f.Session)
	case f.Group != 0 && f.Subject == "":
		return "ESP group " + strconv.Itoa(f.Group)
	}
	return f.Subject
}

// findingHead is a finding's first line: its severity, rule and title,
// and what it is about.
func (t *textWriter) findingHead(indent string, f CheckFinding) {
	sev := strings.ToUpper(f.Severity.String())
	label := sev + strings.Repeat(" ", 8-len(sev))
	head := f.RuleID + " " + f.Title
	if f.Baselined {
		head += " (baselined)"
	}
	if s := findingSubject(f.Finding); s != "" {
		head += " — " + s
	}
	t.wrapStyled(indent, label, t.style(severityColor(f.Severity), sev)+strings.Repeat(" ", 8-len(sev)), head)
}

// findings writes findings with their messages and evidence; with refs,
// each ends with where its explanation is, else the explanations are left
// out (--brief, and check's report).
func (t *textWriter) findings(indent string, c *Check, refs []string) {
	for i, f := range c.Findings {
		if refs != nil && i > 0 {
			t.printf("\n")
		}
		t.findingHead(indent, f)
		body := indent + "        "
		msg := f.Message
		if refs != nil {
			msg += " (" + f.Confidence.String() + " confidence)"
		}
		t.wrap(body, "", msg)
		if ev := evidenceFrames(f.Evidence, c.Captures, t.glyphs.Dash); ev != "" {
			t.wrap(body, "evidence: ", ev)
		}
		for _, d := range decryptedEvidence(f.Finding, c, t.glyphs.Dash) {
			t.wrap(body, "decrypted: ", t.glyphs.Text(d))
		}
		if refs != nil {
			t.wrap(body, "", "why and how to fix it: "+refs[i]+" under EXPLANATIONS")
		}
	}
}

// explain writes each explanation once.
func (t *textWriter) explain(es []explanation) {
	for i, e := range es {
		if i > 0 {
			t.printf("\n")
		}
		t.wrap("  ", e.Ref+" ", e.Title)
		t.wrap("    ", "why: ", e.Explanation)
		t.wrap("    ", "fix: ", e.Fix)
	}
}
