package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vpnpcap/vpnpcap/ladder"
)

// markdownLadderWidth is the width ladders are drawn at in Markdown: a
// ticket or an e-mail shows a code block wider than a terminal.
const markdownLadderWidth = 100

// WriteMarkdown writes the batch as Markdown, for a ticket or an e-mail:
// the verdicts on top, the ladders in code blocks, the findings with their
// evidence and the tshark commands that show it, each rule's explanation
// folded under the first finding that refers to it, then the facts. A
// batch of several checks gets an index and a section per check.
func WriteMarkdown(w io.Writer, b *Batch) error {
	m := &markdown{}
	views := batchViews(b, "–")
	if b.single {
		m.line("# vpnpcap report: %s", mdText(views[0].Name))
		m.check(views[0], 2)
	} else {
		m.line("# vpnpcap check")
		s := b.Summary
		m.line("%d checks, %d captures: %d passed, %d failed, %d with unreadable captures; findings: %s; %d at or above --fail-on %s.",
			s.Checks, s.Captures, s.Passed, s.Failed, s.Errors, severityCounts(s.Findings), s.Failing, b.FailOn)
		m.line("")
		m.line("| check | result | tunnels | findings |")
		m.line("| --- | --- | --- | --- |")
		for i, v := range views {
			c := b.Checks[i]
			m.line("| [%s](#%s) | %s | %d | %s |", mdCell(v.Name), v.Anchor, strings.ToUpper(v.Status), len(c.Tunnels), findingCounts(c.Counts))
		}
		for _, v := range views {
			m.line("")
			m.line(`<a id="%s"></a>`, v.Anchor)
			m.line("")
			m.line("## %s: %s", mdText(v.Name), strings.ToUpper(v.Status))
			m.check(v, 3)
		}
	}
	_, err := io.WriteString(w, m.b.String())
	return err
}

type markdown struct{ b strings.Builder }

func (m *markdown) line(format string, args ...any) {
	fmt.Fprintf(&m.b, format, args...)
	m.b.WriteByte('\n')
}

// check writes one check's report, its sections at heading level h.
func (m *markdown) check(v view, h int) {
	hh := strings.Repeat("#", h)
	m.line("")
	for _, u := range v.Unreadable {
		m.line("- **Unreadable**: %s", mdText(u))
	}
	for _, o := range v.Outcomes {
		m.line("- **%s** %s %s: %s", o.Label, mdText(o.Subject), mdText(o.Peers), mdText(o.Reason))
	}
	if v.Totals != "" {
		m.line("")
		m.line("%s", mdText(v.Totals))
	}
	if len(v.Ladders) > 0 {
		m.line("")
		m.line("%s %s", hh, laddersHeading(v.Ladders))
		for _, l := range v.Ladders {
			m.line("")
			m.code("text", l.Lines(markdownLadderWidth, ladder.UTF8))
		}
		if v.LaddersNote != "" {
			m.line("")
			m.line("%s", mdText(v.LaddersNote))
		}
	}
	if len(v.Summaries) > 0 {
		m.line("")
		m.line("%s Verdicts", hh)
		for _, s := range v.Summaries {
			m.line("")
			m.line("%s", mdText(s))
		}
	}
	if v.Outcomes != nil || len(v.Findings) > 0 {
		m.line("")
		m.line("%s Findings", hh)
		if len(v.Findings) == 0 {
			m.line("")
			m.line("None.")
		}
	}
	for _, f := range v.Findings {
		m.finding(f, h+1)
	}
	m.facts(v, hh)
}

// finding writes a finding: its heading, message, evidence and tshark
// commands, and its rule's explanation, folded, when it is the first to
// refer to it.
func (m *markdown) finding(f findingView, h int) {
	m.line("")
	title := strings.ToUpper(f.Severity) + " " + f.Rule + " " + f.Title
	if f.Subject != "" {
		title += " — " + f.Subject
	}
	if f.Baselined {
		title += " (baselined)"
	}
	m.line("%s %s", strings.Repeat("#", h), mdText(title))
	m.line("")
	m.line("%s (%s confidence)", mdText(f.Message), f.Confidence)
	if f.Evidence != "" {
		m.line("")
		m.line("Evidence: %s", mdText(f.Evidence))
		m.line("")
		m.code("sh", f.Commands)
	}
	for _, d := range f.Decrypted {
		m.line("")
		m.line("Decrypted: %s", mdText(d))
	}
	m.line("")
	if e := f.Explain; e != nil {
		m.line("<details><summary>Why it matters and how to fix it (%s)</summary>", mdText(e.Ref))
		m.line("")
		m.line("**Why.** %s", mdText(e.Explanation))
		m.line("")
		m.line("**Fix.** %s", mdText(e.Fix))
		m.line("")
		m.line("</details>")
	} else {
		m.line("Why it matters and how to fix it: see %s above.", mdText(f.Ref))
	}
}

// facts writes the captures and the tables of what they hold.
func (m *markdown) facts(v view, hh string) {
	if len(v.Captures) == 0 {
		return
	}
	m.line("")
	m.line("%s Captures", hh)
	m.line("")
	m.line("| role | file | frames | with VPN traffic | first | last |")
	m.line("| --- | --- | --- | --- | --- | --- |")
	for _, c := range v.Captures {
		m.line("| %s | %s | %d | %d | %s | %s |", c.Role, mdCell(c.Path), c.Frames, c.VPNFrames, c.First, c.Last)
	}
	for _, s := range v.Correlation {
		m.line("")
		m.line("%s", mdText(s))
	}
	for _, nt := range v.Tables {
		m.line("")
		m.line("%s %s", hh, nt.Title)
		m.line("")
		m.table(nt.table)
		for _, n := range nt.Notes {
			m.line("")
			m.line("%s", mdText(n))
		}
	}
}

func (m *markdown) table(t table) {
	cells := make([]string, len(t.header))
	for i, h := range t.header {
		cells[i] = mdCell(strings.ToLower(h))
	}
	m.line("| %s |", strings.Join(cells, " | "))
	m.line("|%s", strings.Repeat(" --- |", len(t.header)))
	for _, r := range t.rows {
		for i := range cells {
			cells[i] = ""
			if i < len(r) {
				cells[i] = mdCell(r[i])
			}
		}
		m.line("| %s |", strings.Join(cells, " | "))
	}
}

// code writes lines in a fenced code block, its fence longer than any run
// of backticks in them.
func (m *markdown) code(lang string, lines []string) {
	fence := "```"
	for _, l := range lines {
		for strings.Contains(l, fence) {
			fence += "`"
		}
	}
	m.line("%s%s", fence, lang)
	for _, l := range lines {
		m.line("%s", l)
	}
	m.line("%s", fence)
}

// mdText escapes what Markdown would read as markup in running text:
// code, links, HTML, table cells, headings, and emphasis — an underscore
// or asterisk within a word (IKE_AUTH) is no emphasis and stays as it is.
func mdText(s string) string {
	var b strings.Builder
	word := func(i int) bool {
		if i < 0 || i >= len(s) {
			return false
		}
		c := s[i]
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '`', '[', ']', '#', '|':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '_', '*':
			if !word(i-1) || !word(i+1) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mdCell is text in a table cell: escaped, its lines joined with <br>.
func mdCell(s string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = mdText(lines[i])
	}
	return strings.Join(lines, "<br>")
}
