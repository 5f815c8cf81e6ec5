package report

import (
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/vpnpcap/vpnpcap/internal/textwidth"
)

// table is a table of the text report. Cells may hold several lines.
type table struct {
	header []string
	rows   [][]string
	// record names a row in the record layout ("tunnel" makes "tunnel
	// 1" of a row whose first cell is 1); empty, the first cell alone
	// names it.
	record string
	// narrow is the same table in fewer, narrower columns, tried when
	// this one does not fit.
	narrow *table
	// keep names the column whose lines wrap worst (addresses): the
	// others are narrowed first, and its wrapped lines hang under their
	// first. Zero, the first column, is never kept.
	keep int
}

// table writes a table that fits the width: with its columns as wide as
// their cells when they fit, else narrowed by wrapping cells at spaces
// (and after the slashes of paths), the widest first; and when even that
// does not fit, as records, one per row, a field per line. Nothing is
// cut.
func (t *textWriter) table(tb table) {
	if t.err != nil || len(tb.rows) == 0 {
		return
	}
	widths, ok := fitColumns(tb, t.width)
	if !ok && tb.narrow != nil {
		if nw, ok := fitColumns(*tb.narrow, t.width); ok {
			tb, widths = *tb.narrow, nw
		}
	}
	if widths == nil {
		t.records(tb)
		return
	}
	render := tablewriter.NewTable(t.w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	render.Header(toAny(wrapCells(tb.header, widths, 0))...)
	for _, r := range tb.rows {
		if err := render.Append(toAny(wrapCells(r, widths, tb.keep))...); err != nil {
			t.err = err
			return
		}
	}
	t.err = render.Render()
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// hang indents the lines a cell's line wraps to.
const hang = 2

// tableWidth is the width of a table whose columns are widths wide: each
// column has a space either side and a border on its right, and the table
// a border on its left.
func tableWidth(widths []int) int {
	n := 1
	for _, w := range widths {
		n += w + 3
	}
	return n
}

// fitColumns returns the columns' widths for a table at most width wide,
// and false when it cannot fit without cutting a word.
func fitColumns(tb table, width int) ([]int, bool) {
	n := len(tb.header)
	natural, least := make([]int, n), make([]int, n)
	for _, row := range append([][]string{tb.header}, tb.rows...) {
		for c := 0; c < n && c < len(row); c++ {
			for _, line := range strings.Split(row[c], "\n") {
				rest := strings.TrimLeft(line, " ")
				natural[c] = max(natural[c], textwidth.Width(line))
				lead := len(line) - len(rest)
				if c == tb.keep && c > 0 && strings.ContainsAny(rest, " /") {
					lead += hang // it may wrap, under a hanging indent
				}
				least[c] = max(least[c], lead+textwidth.MinWidth(rest))
			}
		}
	}
	if tableWidth(least) > width {
		return nil, false
	}
	widths := append([]int(nil), natural...)
	for excess := tableWidth(widths) - width; excess > 0; excess-- {
		// Narrow the column that has most to give, the kept one last.
		best := -1
		for c := range widths {
			if widths[c] > least[c] && (best < 0 || best == tb.keep && c != tb.keep || (c == tb.keep) == (best == tb.keep) && widths[c]-least[c] > widths[best]-least[best]) {
				best = c
			}
		}
		widths[best]--
	}
	return widths, true
}

// wrapCells wraps each cell's lines at its column's width; in column keep
// (not 0) the lines a line wraps to hang under it.
func wrapCells(row []string, widths []int, keep int) []string {
	out := make([]string, len(widths))
	for c := range widths {
		if c >= len(row) {
			continue
		}
		var lines []string
		for _, line := range strings.Split(row[c], "\n") {
			// A line's indentation stays, and the lines it wraps to
			// hang under it.
			rest := strings.TrimLeft(line, " ")
			lead := line[:len(line)-len(rest)]
			if textwidth.Width(line) <= widths[c] {
				lines = append(lines, line)
				continue
			}
			h := 0
			if c == keep && c > 0 {
				h = hang
			}
			for i, l := range textwidth.Wrap(rest, widths[c]-len(lead)-h) {
				if i > 0 {
					l = strings.Repeat(" ", h) + l
				}
				lines = append(lines, lead+l)
			}
		}
		out[c] = strings.Join(lines, "\n")
	}
	return out
}

// records writes a table as a record per row: its name, then its short
// fields run together on a line ("ike v2; state established"), then each
// other field on lines of its own, its value wrapped beside its name.
func (t *textWriter) records(tb table) {
	const indent = "    "
	const short = 24 // a field value this wide or less runs with the others
	keyWidth := 0
	for c, h := range tb.header[1:] {
		for _, r := range tb.rows {
			if c+1 < len(r) && !isShort(r[c+1], short) {
				keyWidth = max(keyWidth, textwidth.Width(strings.ToLower(h)))
			}
		}
	}
	for _, r := range tb.rows {
		name := strings.ReplaceAll(r[0], "\n", " ")
		if tb.record != "" {
			name = tb.record + " " + name
		}
		t.printf("  %s\n", name)
		var run []string
		for c := 1; c < len(tb.header) && c < len(r); c++ {
			if r[c] != "" && isShort(r[c], short) {
				run = append(run, strings.ToLower(tb.header[c])+" "+r[c])
			}
		}
		t.fields(indent, run)
		for c := 1; c < len(tb.header) && c < len(r); c++ {
			if r[c] == "" || isShort(r[c], short) {
				continue
			}
			label := textwidth.Pad(strings.ToLower(tb.header[c]), keyWidth) + "  "
			for i, line := range strings.Split(r[c], "\n") {
				l := label
				if i > 0 {
					l = strings.Repeat(" ", textwidth.Width(label))
				}
				t.wrap(indent, l, line)
			}
		}
	}
}

// fields writes short fields on as few lines as fit, "; " between them,
// breaking lines between fields rather than within one.
func (t *textWriter) fields(indent string, fs []string) {
	room := t.width - textwidth.Width(indent)
	line := ""
	for _, f := range fs {
		switch {
		case line == "":
			line = f
		case textwidth.Width(line)+2+textwidth.Width(f) <= room:
			line += "; " + f
		default:
			t.wrap(indent, "", line+";")
			line = f
		}
	}
	if line != "" {
		t.wrap(indent, "", line)
	}
}

// isShort reports whether a cell is one line of at most n columns.
func isShort(cell string, n int) bool {
	return !strings.Contains(cell, "\n") && textwidth.Width(cell) <= n
}

// Header returns the table's column names, for templates.
func (tb table) Header() []string { return tb.header }

// Rows returns the table's rows, for templates.
func (tb table) Rows() [][]string { return tb.rows }
