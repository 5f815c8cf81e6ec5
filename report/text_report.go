package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// report writes the report of one analysis: the verdict of each tunnel,
// call and ESP group and the totals first, then (unless Brief) why, the
// ladder of what crossed the NAT, the findings, each rule's explanation
// once, and the facts they rest on.
func (t *textWriter) report(c *Check) {
	r := c.Detail
	if c.judged {
		t.verdictLines("", c)
		t.wrap("", "", totals(c))
	}
	if t.opts.Brief {
		if len(c.Findings) > 0 {
			t.heading("FINDINGS")
			t.findings("  ", c, nil)
		}
		return
	}
	t.ladders(r)
	if c.judged {
		t.summaries(c)
	}
	if c.judged {
		t.heading("FINDINGS")
		if len(c.Findings) == 0 {
			t.printf("  none\n")
		} else {
			es, refs := explanations(c.Findings)
			t.findings("  ", c, refs)
			t.heading("EXPLANATIONS")
			t.explain(es)
		}
	}
	t.captures(r)
	t.tunnels(r)
	t.sessions(r)
	t.espGroups(r)
	t.mappings(r)
	if r.Flows != nil {
		t.flows(r)
	}
}

// summaries writes in full the verdicts their lines do not say all of:
// those of what fails or cannot be told, and of what depends, or may, on
// Passthrough (why it does); a tunnel that works without Passthrough is
// said by its line.
func (t *textWriter) summaries(c *Check) {
	all := outcomes(c)
	all = all[:min(len(all), MaxShown)]
	var said []outcome
	for _, o := range all {
		if o.Outcome != rules.OutcomeWorks || o.Depends != rules.DependsNo {
			said = append(said, o)
		}
	}
	if len(said) == 0 {
		return
	}
	t.heading("VERDICTS")
	for _, o := range said {
		t.wrap("  ", "", o.Summary)
	}
	if n := len(all) - len(said); n > 0 {
		t.wrap("  ", "", fmt.Sprintf("The other %s work without Passthrough: their lines above say all.", words.Count(n, "verdict")))
	}
}

// ladders draws the ladder of each tunnel, call and ESP group drawn.
func (t *textWriter) ladders(r *Report) {
	if len(r.Ladders) == 0 {
		return
	}
	t.heading(strings.ToUpper(laddersHeading(r.Ladders)))
	for i, l := range r.Ladders {
		if i > 0 {
			t.printf("\n")
		}
		t.lines("  ", l.Lines(t.width-2, t.glyphs))
	}
	if n := r.laddersNote(); n != "" {
		t.printf("\n")
		t.wrap("  ", "", n)
	}
}

// laddersHeading names the section of the ladders: what crossed the NAT,
// when a NAT sits between the captures of one of them.
func laddersHeading(ls []*ladder.Ladder) string {
	two := false
	for _, l := range ls {
		if l.NAT {
			return "What crossed the NAT"
		}
		two = two || l.Two
	}
	if two {
		return "What crossed between the captures"
	}
	return "What the capture saw"
}

// WriteCheckText writes one check of a batch: its status and name, its
// captures, a verdict line per tunnel, call and ESP group, and its
// findings with their evidence. Checks are written one by one so that
// `vpnpcap check` can print each as soon as it and those before it are
// done.
func WriteCheckText(w io.Writer, c *Check, opts TextOptions) error {
	t := newTextWriter(w, opts)
	label, color := statusStyle(c.Status)
	t.printf("%s %s\n", t.style(color, fmt.Sprintf("%-5s", label)), c.Name)
	const ind = "      "
	for _, cp := range c.Captures {
		if cp.ReadError != "" && cp.Frames == 0 {
			t.wrap(ind, fmt.Sprintf("%-7s %s: ", cp.Role, cp.Path), t.style(ansiRed, "unreadable")+": "+cp.ReadError)
			continue
		}
		t.wrap(ind, fmt.Sprintf("%-7s ", cp.Role), cp.Path+": "+frameCounts(cp))
		if cp.ReadError != "" {
			t.wrap(ind+"  ", t.style(ansiRed, "read error")+": ", cp.ReadError+" (the frames before it were checked)")
		}
		if cp.Overflow != nil {
			t.wrap(ind+"  ", "", fmt.Sprintf("flow table full: %d flows (%d packets) and %d tunnels not tracked", cp.Overflow.Flows, cp.Overflow.Packets, cp.Overflow.Tunnels))
		}
		for _, l := range cp.Reassembly.lines() {
			t.wrap(ind+"  ", "", l)
		}
	}
	t.verdictLines(ind, c)
	t.findings(ind, c, nil)
	return t.err
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

// WriteBatchSummary writes the summary: a table with a row per check
// (name, captures, tunnels, findings, baselined, result) and the totals.
func WriteBatchSummary(w io.Writer, b *Batch, opts TextOptions) error {
	t := newTextWriter(w, opts)
	t.heading("SUMMARY")
	rows := make([][]string, 0, len(b.Checks))
	for _, c := range b.Checks {
		label, _ := statusStyle(c.Status)
		rows = append(rows, []string{
			c.Name, fmt.Sprint(len(c.Captures)), fmt.Sprint(len(c.Tunnels)),
			findingCounts(c.Counts), fmt.Sprint(c.Baselined), label,
		})
	}
	t.table(table{header: []string{"CHECK", "CAPTURES", "TUNNELS", "FINDINGS", "BASELINED", "RESULT"}, rows: rows})
	s := b.Summary
	t.wrap("", "", fmt.Sprintf("%s, %s: %d passed, %d failed, %d with unreadable captures",
		words.Count(s.Checks, "check"), words.Count(s.Captures, "capture"), s.Passed, s.Failed, s.Errors))
	t.wrap("", "", fmt.Sprintf("findings: %s; %d baselined; %d at or above --fail-on %s",
		severityCounts(s.Findings), s.Baselined, s.Failing, b.FailOn))
	if bu := b.Baseline; bu != nil {
		t.wrap("", "", fmt.Sprintf("baseline %s: %d of %d accepted findings seen; %d of the captures checked no longer occur",
			bu.File, bu.Accepted, bu.Entries, bu.Unmatched))
	}
	if s.Findings.Total()+s.Baselined > 0 {
		t.wrap("", "", "'vpnpcap rules ID' explains a rule; 'vpnpcap analyze' explains a capture in full.")
	}
	return t.err
}

// findingCounts counts a check's findings by severity, leaving out
// severities with none: "1 error, 2 info", or "none".
func findingCounts(s SeverityCounts) string {
	var parts []string
	if s.Error > 0 {
		parts = append(parts, words.Count(s.Error, "error"))
	}
	if s.Warning > 0 {
		parts = append(parts, words.Count(s.Warning, "warning"))
	}
	if s.Info > 0 {
		parts = append(parts, fmt.Sprintf("%d info", s.Info))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
