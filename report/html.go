package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/vpnpcap/vpnpcap/internal/words"
)

// html.tmpl is the page: one self-contained file, its style inline, no
// script, font or image fetched from anywhere, ladders drawn as inline SVG.
//
//go:embed html.tmpl
var htmlTemplate string

var htmlPage = template.Must(template.New("page").Funcs(template.FuncMap{
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"lines": func(s string) []string { return strings.Split(s, "\n") },
	"add":   func(a, b int) int { return a + b },
	"sub":   func(a, b int) int { return a - b },
}).Parse(htmlTemplate))

// htmlView is what the template renders.
type htmlView struct {
	Title  string
	Single bool
	// Summary and Index describe a batch of several checks.
	Summary string
	Index   []htmlIndexRow
	Checks  []htmlCheck
	// Decrypted is set when the page shows what keys revealed: it then
	// styles the mark of decrypted text.
	Decrypted bool
}

type htmlIndexRow struct {
	Anchor, Name, Status, Findings string
	Tunnels                        int
}

// htmlCheck is a check's view with its ladders laid out for SVG.
type htmlCheck struct {
	view
	SVG        []svgLadder
	SVGHeading string
	// DecryptedFindings is set when a finding says what keys revealed:
	// the findings then open with what its mark means.
	DecryptedFindings bool
}

// WriteHTML writes the batch as one self-contained HTML page: the verdicts
// on top, each ladder drawn as SVG, the findings with their evidence and
// the tshark commands that show it, each rule's explanation folded under
// the first finding that refers to it (and unfolded on paper), then the
// facts. A batch of several checks gets an index and a section per check.
func WriteHTML(w io.Writer, b *Batch) error {
	v := htmlView{Single: b.single}
	n := 0
	for i, cv := range batchViews(b, "–") {
		hc := htmlCheck{view: cv, SVGHeading: laddersHeading(cv.Ladders)}
		for _, f := range cv.Findings {
			hc.DecryptedFindings = hc.DecryptedFindings || len(f.Decrypted) > 0
		}
		for _, l := range cv.Ladders {
			n++
			s := layoutLadder(l, n)
			hc.SVG = append(hc.SVG, s)
			v.Decrypted = v.Decrypted || s.DecryptedLegend != nil
		}
		v.Decrypted = v.Decrypted || hc.DecryptedFindings
		v.Checks = append(v.Checks, hc)
		c := b.Checks[i]
		v.Index = append(v.Index, htmlIndexRow{Anchor: cv.Anchor, Name: cv.Name, Status: string(c.Status),
			Tunnels: len(c.Tunnels), Findings: findingCounts(c.Counts)})
	}
	if b.single {
		v.Title = "vpnpcap report: " + v.Checks[0].Name
	} else {
		s := b.Summary
		v.Title = "vpnpcap check"
		v.Summary = fmt.Sprintf("%s, %s: %d passed, %d failed, %d with unreadable captures; findings: %s; %d at or above --fail-on %s.",
			words.Count(s.Checks, "check"), words.Count(s.Captures, "capture"), s.Passed, s.Failed, s.Errors,
			severityCounts(s.Findings), s.Failing, b.FailOn)
	}
	return htmlPage.Execute(w, v)
}
