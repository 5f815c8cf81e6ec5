package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vpnpcap/vpnpcap/internal/words"

	"github.com/vpnpcap/vpnpcap/rules"
)

// WriteBatchText writes the batch as text for people: each check, then the
// summary table and totals.
func WriteBatchText(w io.Writer, b *Batch, opts TextOptions) error {
	for _, c := range b.Checks {
		if err := WriteCheckText(w, c, opts); err != nil {
			return err
		}
	}
	return WriteBatchSummary(w, b, opts)
}

func newTextWriter(w io.Writer, opts TextOptions) *textWriter {
	t := &textWriter{w: w, opts: opts, width: opts.Width}
	if t.width <= 0 {
		t.width = 100
	}
	return t
}

// statusStyle returns the label and colour of a status.
func statusStyle(s Status) (string, string) {
	switch s {
	case StatusPass:
		return "PASS", ansiGreen
	case StatusFail:
		return "FAIL", ansiRed
	}
	return "ERROR", ansiRed + ansiBold
}

// WriteCheckText writes one check: its status and name, its captures, a
// line per tunnel, and its findings with their evidence. Checks are
// written one by one so that `vpnpcap check` can print each as soon as it
// and those before it are done.
func WriteCheckText(w io.Writer, c *Check, opts TextOptions) error {
	t := newTextWriter(w, opts)
	label, color := statusStyle(c.Status)
	t.printf("%s %s\n", t.style(color, fmt.Sprintf("%-5s", label)), c.Name)
	const ind = "      "
	for _, cp := range c.Captures {
		switch {
		case cp.ReadError != "" && cp.Frames == 0:
			t.wrap(ind, fmt.Sprintf("%-7s %s: ", cp.Role, cp.Path), t.style(ansiRed, "unreadable")+": "+cp.ReadError)
			continue
		default:
			t.printf("%s%-7s %s: %s\n", ind, cp.Role, cp.Path, frameCounts(cp))
		}
		if cp.ReadError != "" {
			t.wrap(ind+"  ", t.style(ansiRed, "read error")+": ", cp.ReadError+" (the frames before it were checked)")
		}
		if cp.Overflow != nil {
			t.printf("%s  flow table full: %d flows (%d packets) and %d tunnels not tracked\n", ind, cp.Overflow.Flows, cp.Overflow.Packets, cp.Overflow.Tunnels)
		}
	}
	for _, tn := range c.Tunnels {
		t.wrap(ind, fmt.Sprintf("tunnel %d: ", tn.ID), tunnelLine(tn))
	}
	for _, o := range c.Others {
		what := "PPTP call"
		if o.Kind == "esp" {
			what = "ESP without IKE"
		}
		t.wrap(ind, fmt.Sprintf("%s %d: ", what, o.ID), outcomeWords(o.Outcome)+"; depends on "+passthroughName(o.Kind)+": "+o.DependsOnPassthrough)
	}
	for _, f := range c.Findings {
		sev := t.style(severityColor(f.Severity), fmt.Sprintf("%-7s", strings.ToUpper(f.Severity.String())))
		subject := f.Subject
		if f.Tunnel != 0 {
			subject = fmt.Sprintf("tunnel %d", f.Tunnel)
		}
		head := fmt.Sprintf("%s %s %s", sev, f.RuleID, f.Slug)
		if f.Baselined {
			head += " (baselined)"
		}
		if subject != "" {
			head += " — " + subject
		}
		t.printf("%s%s\n", ind, head)
		t.wrap(ind+"        ", "", f.Message)
		if ev := evidenceText(f.Evidence); ev != "" {
			t.wrap(ind+"        ", "evidence: ", ev)
		}
	}
	return t.err
}

// outcomeWords says a verdict's outcome.
func outcomeWords(outcome string) string {
	switch outcome {
	case rules.OutcomeUnknown:
		return "cannot tell whether it works"
	case rules.OutcomeWorks:
		return "works"
	}
	return "fails"
}

func passthroughName(kind string) string {
	if kind == "pptp" {
		return "PPTP passthrough"
	}
	return "IPsec Passthrough"
}

func tunnelLine(tn CheckTunnel) string {
	parts := []string{
		fmt.Sprintf("IKEv%d %s → %s", tn.IKEVersion, tn.Initiator, tn.Responder),
		"NAT " + tn.NAT,
		"ESP " + tn.Encapsulation,
		tn.State,
	}
	parts = append(parts, outcomeWords(tn.Outcome))
	if tn.DependsOnPassthrough != "" {
		parts = append(parts, "depends on IPsec Passthrough: "+tn.DependsOnPassthrough)
	}
	return strings.Join(parts, "; ")
}

// WriteBatchSummary writes the summary: a table with a row per check
// (name, captures, tunnels, findings by severity, baselined, verdict) and
// the totals.
func WriteBatchSummary(w io.Writer, b *Batch, opts TextOptions) error {
	t := newTextWriter(w, opts)
	t.heading("SUMMARY")
	rows := make([][]string, 0, len(b.Checks))
	for _, c := range b.Checks {
		label, _ := statusStyle(c.Status)
		rows = append(rows, []string{
			c.Name, fmt.Sprint(len(c.Captures)), fmt.Sprint(len(c.Tunnels)),
			fmt.Sprint(c.Counts.Error), fmt.Sprint(c.Counts.Warning), fmt.Sprint(c.Counts.Info),
			fmt.Sprint(c.Baselined), label,
		})
	}
	if len(rows) > 0 {
		t.table([]string{"CHECK", "CAPTURES", "TUNNELS", "ERROR", "WARNING", "INFO", "BASELINED", "VERDICT"}, rows)
	}
	s := b.Summary
	t.printf("%s, %s: %d passed, %d failed, %d with unreadable captures\n",
		words.Count(s.Checks, "check"), words.Count(s.Captures, "capture"), s.Passed, s.Failed, s.Errors)
	t.printf("findings: %s, %s, %d info; %d baselined; %d at or above --fail-on %s\n",
		words.Count(s.Findings.Error, "error"), words.Count(s.Findings.Warning, "warning"), s.Findings.Info, s.Baselined, s.Failing, b.FailOn)
	if bu := b.Baseline; bu != nil {
		t.printf("baseline %s: %d of %d accepted findings seen; %d of the captures checked no longer occur\n",
			bu.File, bu.Accepted, bu.Entries, bu.Unmatched)
	}
	if s.Findings.Total()+s.Baselined > 0 {
		t.printf("'vpnpcap rules ID' explains a rule; 'vpnpcap analyze' explains a capture in full.\n")
	}
	return t.err
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
