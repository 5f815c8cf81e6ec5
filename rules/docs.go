package rules

import (
	"fmt"
	"strings"
)

// Markdown renders the rule catalogue as docs/rules.md shows it, from the
// rules' own metadata; a test keeps the file in step.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# vpnpcap rules\n\n")
	b.WriteString("Generated from the rules' metadata by `go test ./rules -run TestRulesDoc -update`; do not edit by hand.\n\n")
	b.WriteString("IDs are stable and never reused: VP1xx IKE negotiation, VP2xx ESP and AH data plane, VP3xx NAT traversal and IPsec Passthrough, VP4xx GRE and PPTP, VP9xx capture quality. ")
	b.WriteString("Severity says how bad a finding is; confidence how sure the rule is. ")
	b.WriteString("Rules marked *two captures* need a capture from each side of the NAT.\n\n")
	b.WriteString("| ID | Slug | Title | Severity | Confidence |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range All() {
		m := r.Meta()
		title := m.Title
		if m.NeedsBoth {
			title += " *(two captures)*"
		}
		fmt.Fprintf(&b, "| [%s](#%s) | `%s` | %s | %s | %s |\n", m.ID, strings.ToLower(m.ID), m.Slug, title, m.Severity, m.Confidence)
	}
	for _, r := range All() {
		m := r.Meta()
		fmt.Fprintf(&b, "\n## %s\n\n**%s** (`%s`) — %s, %s confidence", m.ID, m.Title, m.Slug, m.Severity, m.Confidence)
		if m.NeedsBoth {
			b.WriteString(", two captures")
		}
		b.WriteString(".\n\n")
		fmt.Fprintf(&b, "%s\n\n**Remedy.** %s\n", m.Explanation, m.Remedy)
		if t := timeUseText(m); t != "" {
			fmt.Fprintf(&b, "\n**Capture time.** %s\n", t)
		}
		if len(m.Catalogue) > 0 {
			fmt.Fprintf(&b, "\nFailure modes: %s.\n", strings.Join(m.Catalogue, ", "))
		}
		if len(m.References) > 0 {
			b.WriteString("\nReferences:\n")
			for _, ref := range m.References {
				fmt.Fprintf(&b, "- %s\n", ref)
			}
		}
	}
	return b.String()
}

// Text explains one rule for `vpnpcap rules ID`.
func Text(m Meta) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s)\n", m.ID, m.Title, m.Slug)
	fmt.Fprintf(&b, "severity: %s, confidence: %s", m.Severity, m.Confidence)
	if m.NeedsBoth {
		b.WriteString(", needs both captures")
	}
	b.WriteString("\n\n")
	b.WriteString(wrapText(m.Explanation, 80, ""))
	b.WriteString("\n\nRemedy:\n")
	b.WriteString(wrapText(m.Remedy, 80, "  "))
	b.WriteString("\n")
	if len(m.Catalogue) > 0 {
		fmt.Fprintf(&b, "\nFailure modes: %s\n", strings.Join(m.Catalogue, ", "))
	}
	if len(m.References) > 0 {
		b.WriteString("\nReferences:\n")
		for _, r := range m.References {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	return b.String()
}

func wrapText(s string, width int, indent string) string {
	var lines []string
	line := indent
	for _, w := range strings.Fields(s) {
		if len(line)+len(w)+1 > width && strings.TrimSpace(line) != "" {
			lines = append(lines, line)
			line = indent
		}
		if strings.TrimSpace(line) != "" {
			line += " "
		}
		line += w
	}
	if strings.TrimSpace(line) != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// timeUseText says what a rule reads from capture time and what becomes
// of its findings when the time stamps run backwards or stand still.
func timeUseText(m Meta) string {
	if m.TimeUse == "" {
		return ""
	}
	t := "Reads " + m.TimeUse + ". On a capture whose time runs backwards (VP909) its findings carry a confidence one step lower"
	switch {
	case m.OrderOnly:
		t += "; on one whose time stamps are all the same (VP910) it goes by file order."
	case m.Untimed != "":
		t += "; on one whose time stamps are all the same (VP910) too, and it goes on " + m.Untimed + "."
	default:
		t += "; on one whose time stamps are all the same (VP910) it cannot measure it."
	}
	return t
}
