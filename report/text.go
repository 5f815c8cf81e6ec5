package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vpnpcap/vpnpcap/internal/textwidth"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// TextOptions configure the text report.
type TextOptions struct {
	// Color uses ANSI colours (on a terminal, unless NO_COLOR is set).
	Color bool
	// Width is the width of the terminal: prose wraps and tables fit in
	// it. 0 means DefaultWidth.
	Width int
	// ASCII draws the ladder diagrams with ASCII alone (a terminal that is
	// not UTF-8, or NO_COLOR).
	ASCII bool
	// Brief prints the verdicts and the findings, without the rules'
	// explanations or the details.
	Brief bool
}

// DefaultWidth is the width of the text report when the output is not a
// terminal.
const DefaultWidth = 80

// minWidth is the narrowest the text report lays itself out for.
const minWidth = 60

// textWriter writes the text report: the one writer of both analyze's
// report and check's, which differ in how much of each check they show.
type textWriter struct {
	w      io.Writer
	opts   TextOptions
	err    error
	width  int
	glyphs ladder.Glyphs
}

func newTextWriter(w io.Writer, opts TextOptions) *textWriter {
	t := &textWriter{w: w, opts: opts, width: opts.Width, glyphs: ladder.UTF8}
	if t.width <= 0 {
		t.width = DefaultWidth
	}
	t.width = max(t.width, minWidth)
	if opts.ASCII {
		t.glyphs = ladder.ASCII
	}
	return t
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

func (t *textWriter) style(code, s string) string {
	if !t.opts.Color {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) heading(s string) {
	t.printf("\n%s\n", t.style(ansiBold, s))
}

// severityColor returns the ANSI colour of a severity.
func severityColor(s rules.Severity) string {
	switch s {
	case rules.Error:
		return ansiRed
	case rules.Warning:
		return ansiYellow
	}
	return ansiCyan
}

// wrap writes prose wrapped at the width, after indent and label; the
// lines after the first are indented as far as the label reaches. styled,
// when not empty, is the label as printed (coloured), which must take the
// label's columns.
func (t *textWriter) wrap(indent, label, text string) {
	t.wrapStyled(indent, label, label, text)
}

func (t *textWriter) wrapStyled(indent, label, styled, text string) {
	hang := textwidth.Width(indent) + textwidth.Width(label)
	lines := textwidth.Wrap(text, t.width-hang)
	for i, line := range lines {
		if i == 0 {
			t.printf("%s%s%s\n", indent, styled, line)
			continue
		}
		t.printf("%s%s\n", strings.Repeat(" ", hang), line)
	}
}

// lines writes lines as they are, indented.
func (t *textWriter) lines(indent string, lines []string) {
	for _, l := range lines {
		t.printf("%s%s\n", indent, l)
	}
}

// WriteText writes the batch as text for people. A batch of one analysis
// (NewSingle) is its report: the verdicts first, then, unless Brief, the
// details; a batch of checks is each check in brief, then the summary.
func WriteText(w io.Writer, b *Batch, opts TextOptions) error {
	if b.single {
		t := newTextWriter(w, opts)
		t.report(b.Checks[0])
		return t.err
	}
	for _, c := range b.Checks {
		if err := WriteCheckText(w, c, opts); err != nil {
			return err
		}
	}
	return WriteBatchSummary(w, b, opts)
}
