package tui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
	"github.com/rivo/tview"
)

// gridCol is one column of a grid.
type gridCol struct {
	name  string
	right bool // right-aligned (numbers)
	// expand marks the column that takes the width the others leave, and
	// is cut first when they leave too little.
	expand bool
	// max is the widest the column is drawn while the grid fits its
	// width (longer texts are cut with "…"); 0 means no bound.
	max int
}

// gridSource is what a grid shows: its rows are pulled by index as they
// are drawn, so that a list of a million packets is never a million
// widgets.
type gridSource interface {
	// columns returns the columns for an inner width.
	columns(width int) []gridCol
	rowCount() int
	// cell returns the text and style of a cell.
	cell(row, col int) (string, tcell.Style)
	// empty is what the grid says when it has no rows.
	empty() string
}

// grid is a table of rows with a header, one selected row and two ways of
// showing rows wider than the pane. Unscrolled, it fits the width: columns
// with a bound are cut to it and the expanding column takes the rest, each
// cut text ending in "…". Scrolled sideways (h/l, H/L), every column has
// its full width and the line moves under the pane, with "…" at the edges
// where there is more, as lazygit scrolls.
type grid struct {
	*tview.Box
	st  *styles
	src gridSource
	sel int // selected row; -1 for none
	top int // first row shown
	// hoff is the sideways scroll in cells; 0 fits the width.
	hoff int
	// At the last draw: the rows shown and the full width of the lines.
	shown, lineWidth, innerW int
	changed                  func(row int)
	// owner is the pane the grid is part of, which a click focuses.
	owner tview.Primitive
}

func newGrid(st *styles, src gridSource) *grid {
	g := &grid{Box: tview.NewBox(), st: st, src: src, sel: -1}
	g.owner = g
	return g
}

// selected returns the selected row, or -1.
func (g *grid) selected() int {
	if g.sel >= g.src.rowCount() {
		return -1
	}
	return g.sel
}

// selectRow selects a row (clamped to the rows there are) and reports the
// change, when it is one, to changed.
func (g *grid) selectRow(r int) {
	n := g.src.rowCount()
	if n == 0 {
		r = -1
	} else {
		r = max(0, min(r, n-1))
	}
	if r == g.sel {
		return
	}
	g.sel = r
	if g.changed != nil {
		g.changed(r)
	}
}

// reset shows new rows: the first one selected, scrolled to the top and
// the left, the change reported.
func (g *grid) reset() {
	g.top, g.hoff, g.sel = 0, 0, -2
	g.selectRow(0)
}

// widths lays the columns out for the rows in view: fitted to width, or
// at their full widths when scrolled.
func (g *grid) widths(cols []gridCol, width, height int, fitted bool) []int {
	w := make([]int, len(cols))
	n := g.src.rowCount()
	for c, col := range cols {
		w[c] = runewidth.StringWidth(col.name)
		for r := g.top; r < g.top+height && r < n; r++ {
			text, _ := g.src.cell(r, c)
			w[c] = max(w[c], runewidth.StringWidth(text))
		}
	}
	expand := -1
	for c, col := range cols {
		if col.expand {
			expand = c
		}
		if fitted && col.max > 0 {
			w[c] = min(w[c], col.max)
		}
	}
	total := max(0, len(cols)-1)
	for _, x := range w {
		total += x
	}
	if expand < 0 {
		return w
	}
	switch {
	case total < width:
		w[expand] += width - total
	case total > width && fitted:
		w[expand] = max(min(w[expand], 12), w[expand]-(total-width))
	}
	return w
}

// rowLine lays out one row (or the header, for row -1).
func (g *grid) rowLine(cols []gridCol, w []int, row int, selected bool) line {
	var l line
	for c, col := range cols {
		text, st := col.name, g.st.header
		if row >= 0 {
			text, st = g.src.cell(row, c)
		}
		if selected {
			st = g.st.selected
		}
		if c > 0 {
			l = l.pad(1, st)
		}
		text = cut(text, w[c])
		gap := w[c] - runewidth.StringWidth(text)
		if col.right {
			l = l.pad(gap, st).add(text, st)
		} else {
			l = l.add(text, st).pad(gap, st)
		}
	}
	return l
}

// Draw draws the header and the rows in view, the selected one reversed.
func (g *grid) Draw(screen tcell.Screen) {
	g.DrawForSubclass(screen, g)
	x, y, width, height := g.GetInnerRect()
	if width <= 0 || height <= 0 {
		return
	}
	g.innerW = width
	rows := height - 1
	g.shown = max(rows, 0)
	n := g.src.rowCount()
	if sel := g.selected(); sel >= 0 && rows > 0 {
		if sel < g.top {
			g.top = sel
		}
		if sel >= g.top+rows {
			g.top = sel - rows + 1
		}
	}
	g.top = max(0, min(g.top, n-rows))
	cols := g.src.columns(width)
	full := g.widths(cols, width, rows, false)
	g.lineWidth = max(0, len(cols)-1)
	for _, x := range full {
		g.lineWidth += x
	}
	g.hoff = max(0, min(g.hoff, g.lineWidth-width))
	w := full
	if g.hoff == 0 {
		w = g.widths(cols, width, rows, true)
	}
	normal := g.st.normal
	g.rowLine(cols, w, -1, false).draw(screen, x, y, width, g.hoff, normal)
	if n == 0 && rows > 0 {
		for i, l := range wrapWords(g.src.empty(), width) {
			if i < rows {
				line(nil).add(l, g.st.dim).draw(screen, x, y+1+i, width, 0, normal)
			}
		}
		return
	}
	for i := 0; i < rows && g.top+i < n; i++ {
		r := g.top + i
		sel := r == g.selected()
		fill := normal
		if sel {
			fill = g.st.selected
		}
		g.rowLine(cols, w, r, sel).draw(screen, x, y+1+i, width, g.hoff, fill)
	}
}

// scrollX scrolls sideways by cells and reports whether it moved.
func (g *grid) scrollX(cells int) bool {
	before := g.hoff
	g.hoff = max(0, min(g.hoff+cells, g.lineWidth-g.innerW))
	return g.hoff != before
}

// Do moves the selection and scrolls.
func (g *grid) Do(act action) bool {
	page := max(1, g.shown-1)
	switch act {
	case actUp:
		g.selectRow(g.selected() - 1)
	case actDown:
		g.selectRow(g.selected() + 1)
	case actPageUp:
		g.selectRow(g.selected() - page)
	case actPageDown:
		g.selectRow(g.selected() + page)
	case actTop:
		g.selectRow(0)
	case actBottom:
		g.selectRow(g.src.rowCount() - 1)
	case actLeft:
		g.scrollX(-scrollStep)
	case actRight:
		g.scrollX(scrollStep)
	case actScrollLeft:
		g.scrollX(-max(scrollStep, g.innerW/2))
	case actScrollRight:
		g.scrollX(max(scrollStep, g.innerW/2))
	default:
		return false
	}
	return true
}

// scrollStep is how far h and l scroll sideways.
const scrollStep = 8

// MouseHandler selects the row clicked on and scrolls with the wheel.
func (g *grid) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return g.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if !g.InRect(event.Position()) {
			return false, nil
		}
		switch action {
		case tview.MouseLeftDown:
			setFocus(g.owner)
			return true, nil
		case tview.MouseLeftClick:
			setFocus(g.owner)
			_, y, _, _ := g.GetInnerRect()
			if _, my := event.Position(); my > y {
				g.selectRow(g.top + my - y - 1)
			}
			return true, nil
		case tview.MouseScrollUp:
			g.selectRow(g.selected() - 1)
			return true, nil
		case tview.MouseScrollDown:
			g.selectRow(g.selected() + 1)
			return true, nil
		}
		return false, nil
	})
}
