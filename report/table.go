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
	if !ok {
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
	render.Header(toAny(wrapCells(tb.header, widths))...)
	for _, r := range tb.rows {
		if err := render.Append(toAny(wrapCells(r, widths))...); err != nil {
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
				natural[c] = max(natural[c], textwidth.Width(line))
				least[c] = max(least[c], textwidth.MinWidth(line))
			}
		}
	}
	if tableWidth(least) > width {
		return nil, false
	}
	widths := append([]int(nil), natural...)
	for excess := tableWidth(widths) - width; excess > 0; excess-- {
		// Narrow the column that has most to give.
		best := -1
		for c := range widths {
			if widths[c] > least[c] && (best < 0 || widths[c]-least[c] > widths[best]-least[best]) {
				best = c
			}
		}
		widths[best]--
	}
	return widths, true
}

// wrapCells wraps each cell's lines at its column's width.
func wrapCells(row []string, widths []int) []string {
	out := make([]string, len(widths))
	for c := range widths {
		if c >= len(row) {
			continue
		}
		var lines []string
		for _, line := range strings.Split(row[c], "\n") {
			lines = append(lines, textwidth.Wrap(line, widths[c])...)
		}
		out[c] = strings.Join(lines, "\n")
	}
	return out
}

// records writes a table as a record per row: its name, then each other
// field, its value wrapped beside the field's name.
func (t *textWriter) records(tb table) {
	keyWidth := 0
	for _, h := range tb.header[1:] {
		keyWidth = max(keyWidth, textwidth.Width(strings.ToLower(h)))
	}
	const indent = "    "
	for _, r := range tb.rows {
		name := strings.ReplaceAll(r[0], "\n", " ")
		if tb.record != "" {
			name = tb.record + " " + name
		}
		t.printf("  %s\n", name)
		for c := 1; c < len(tb.header) && c < len(r); c++ {
			if r[c] == "" {
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

// Header returns the table's column names, for templates.
func (tb table) Header() []string { return tb.header }

// Rows returns the table's rows, for templates.
func (tb table) Rows() [][]string { return tb.rows }
