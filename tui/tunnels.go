package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/flows"
)

// tunnelList is the tunnels-and-flows pane: one row per tunnel (the same
// IKE SA in both captures) followed by the flows that carry it, one row per
// PPTP call followed by its control and GRE flows, then the other flows.
// Rows are coloured by the worst finding of their tunnel or call, can be
// sorted by any column and filtered by an expression.
type tunnelList struct {
	*tview.Table
	a       *App
	content *tunnelRows
	sortKey string // the column sorted by; "#" is the default order
	desc    bool   // reverse order
	flt     *filter
}

var _ View = (*tunnelList)(nil)

// tunnelColumn is one column of the pane.
type tunnelColumn struct {
	name   string
	text   func(m *model, r *row) string
	cmp    func(m *model, x, y *row) int
	right  bool // right-aligned (numbers)
	expand int
	hidden bool // sortable, not shown
}

// tunnelColumns returns the pane's columns (Side only with two captures)
// and, last, the hidden column of first sightings.
func tunnelColumns(two bool) []tunnelColumn {
	cols := []tunnelColumn{
		{name: "#", text: func(_ *model, r *row) string {
			if r.kind == rowFlow {
				return "  " + r.id
			}
			return r.id
		}, cmp: func(_ *model, x, y *row) int { return cmp.Compare(x.order, y.order) }},
	}
	if two {
		cols = append(cols, tunnelColumn{name: "Side", text: func(_ *model, r *row) string {
			switch {
			case r.kind != rowFlow && r.both:
				return "both"
			case r.kind == rowTunnel && r.view.Sides[0] == nil, r.kind == rowSession && r.call.Sides[0] == nil:
				return "out"
			case r.kind != rowFlow:
				return "in"
			case r.side == flows.SideInside:
				return "in"
			}
			return "out"
		}, cmp: func(_ *model, x, y *row) int { return cmp.Compare(x.side, y.side) }})
	}
	cols = append(cols,
		tunnelColumn{name: "Kind", text: func(_ *model, r *row) string { return r.kindText },
			cmp: func(_ *model, x, y *row) int { return strings.Compare(x.kindText, y.kindText) }},
		tunnelColumn{name: "Endpoints", expand: 1, text: func(_ *model, r *row) string { return r.endpoints },
			cmp: func(_ *model, x, y *row) int { return strings.Compare(x.endpoints, y.endpoints) }},
		tunnelColumn{name: "SPI/key", text: func(_ *model, r *row) string { return r.spiText },
			cmp: func(_ *model, x, y *row) int { return strings.Compare(x.spiText, y.spiText) }},
		tunnelColumn{name: "Pkts", right: true, text: func(_ *model, r *row) string { return r.packetText },
			cmp: func(_ *model, x, y *row) int { return cmp.Compare(x.packets, y.packets) }},
		tunnelColumn{name: "State", text: func(_ *model, r *row) string { return r.state },
			cmp: func(_ *model, x, y *row) int { return strings.Compare(x.state, y.state) }},
		tunnelColumn{name: "Tun", right: true, text: func(_ *model, r *row) string {
			switch {
			case r.kind != rowFlow:
				return ""
			case r.tunnel != 0:
				return "T" + strconv.Itoa(r.tunnel)
			case r.session != 0:
				return "P" + strconv.Itoa(r.session)
			}
			return ""
		}, cmp: func(_ *model, x, y *row) int {
			if v := cmp.Compare(x.tunnel, y.tunnel); v != 0 {
				return v
			}
			return cmp.Compare(x.session, y.session)
		}},
		tunnelColumn{name: "Findings", text: func(m *model, r *row) string { return m.findingCounts(r) }, cmp: func(m *model, x, y *row) int { return cmp.Compare(worstRank(m, x), worstRank(m, y)) }},
		tunnelColumn{name: "First seen", hidden: true, text: func(_ *model, r *row) string { return "" },
			cmp: func(_ *model, x, y *row) int { return cmp.Compare(x.first, y.first) }},
	)
	return cols
}

// worstRank orders rows by their tunnel's or PPTP call's worst finding:
// none < info < warning < error.
func worstRank(m *model, r *row) int {
	if w, ok := m.worstOf(r); ok {
		return int(w) + 1
	}
	return 0
}

// shortColumn is the most the Kind and State columns take; longer texts
// are cut, the Endpoints column matters more.
const shortColumn = 14

// tunnelRows is the pane's virtual table content: it builds the cells of
// the rows tview draws, when it draws them.
type tunnelRows struct {
	tview.TableContentReadOnly
	l    *tunnelList
	cols []tunnelColumn // the columns shown
	rows []*row         // the filtered, sorted rows
	// endpointsWidth is the most the Endpoints column may take.
	endpointsWidth int
}

func (c *tunnelRows) GetRowCount() int    { return len(c.rows) + 1 }
func (c *tunnelRows) GetColumnCount() int { return len(c.cols) }

func (c *tunnelRows) GetCell(r, col int) *tview.TableCell {
	st := c.l.a.st
	if col < 0 || col >= len(c.cols) {
		return nil
	}
	def := c.cols[col]
	if r == 0 {
		name := def.name
		if def.name == c.l.sortKey && (def.name != "#" || c.l.desc) {
			if c.l.desc {
				name += " ▼"
			} else {
				name += " ▲"
			}
		}
		cell := tview.NewTableCell(tview.Escape(name)).SetStyle(st.header).SetSelectable(false).SetExpansion(def.expand)
		if def.right {
			cell.SetAlign(tview.AlignRight)
		}
		return cell
	}
	m := c.l.a.model
	if r-1 >= len(c.rows) || m == nil {
		return nil
	}
	rw := c.rows[r-1]
	style := st.normal
	if w, ok := m.worstOf(rw); ok {
		style = st.sev(w)
	}
	if rw.kind != rowFlow {
		style = style.Bold(true)
	}
	cell := tview.NewTableCell(tview.Escape(def.text(m, rw))).SetStyle(style).SetExpansion(def.expand).SetReference(rw)
	if def.right {
		cell.SetAlign(tview.AlignRight)
	}
	switch def.name {
	case "Endpoints":
		cell.SetMaxWidth(c.endpointsWidth)
	case "Kind", "State":
		cell.SetMaxWidth(shortColumn)
	}
	return cell
}

// fit chooses the columns for an inner width and how wide Endpoints may
// be, so that every column shows: Endpoints gets what the others leave
// (tview cuts it with an ellipsis) and the expansion gives it any rest.
// The others are measured on the rows in view only, as tview measures.
func (c *tunnelRows) fit(width, offset, height int) {
	m := c.l.a.model
	c.cols = c.cols[:0]
	for _, col := range tunnelColumns(m.two()) {
		if col.hidden || width < 110 && (col.name == "SPI/key" || col.name == "Tun") {
			continue
		}
		c.cols = append(c.cols, col)
	}
	used := 0
	for _, col := range c.cols {
		if col.name == "Endpoints" {
			continue
		}
		w := runewidth.StringWidth(col.name)
		if col.name == c.l.sortKey {
			w += 2 // the sort mark
		}
		for i := offset; i < offset+height && i < len(c.rows); i++ {
			w = max(w, runewidth.StringWidth(col.text(m, c.rows[i])))
		}
		if col.name == "Kind" || col.name == "State" {
			w = min(w, shortColumn)
		}
		used += w + 1
	}
	c.endpointsWidth = max(12, width-used)
}

// newTunnelList builds the pane.
func newTunnelList(a *App) *tunnelList {
	l := &tunnelList{Table: tview.NewTable(), a: a, sortKey: "#"}
	l.content = &tunnelRows{l: l}
	for _, c := range tunnelColumns(false) {
		if !c.hidden {
			l.content.cols = append(l.content.cols, c)
		}
	}
	l.SetContent(l.content)
	l.SetFixed(1, 0)
	l.SetSelectable(true, false)
	a.st.box(l.Box, l.Title())
	a.st.table(l.Table)
	l.SetSelectionChangedFunc(func(r, _ int) { a.rowSelected(l.selected()) })
	return l
}

// Title names the pane.
func (l *tunnelList) Title() string { return "Tunnels & flows" }

// Draw fits the columns to the width, then draws the table.
func (l *tunnelList) Draw(screen tcell.Screen) {
	if l.a.model != nil {
		_, _, w, h := l.GetInnerRect()
		off, _ := l.GetOffset()
		l.content.fit(w, off, h)
	}
	keepSelectionVisible(l.Table)
	l.Table.Draw(screen)
}

// setModel fills the pane from a new model.
func (l *tunnelList) setModel(m *model) {
	l.sortKey, l.desc = "#", false
	l.content.fit(200, 0, 0)
	l.refresh(nil)
}

// setFilter applies a filter, keeping the selection when it still shows.
func (l *tunnelList) setFilter(f *filter) {
	l.flt = f
	l.refresh(l.selected())
}

// cycleSort sorts by the next column (the shown ones, then first
// sightings), or reverses the order.
func (l *tunnelList) cycleSort(reverse bool) {
	if reverse {
		l.desc = !l.desc
	} else {
		var names []string
		for _, c := range l.content.cols {
			names = append(names, c.name)
		}
		names = append(names, "First seen")
		i := slices.Index(names, l.sortKey)
		l.sortKey = names[(i+1)%len(names)]
		l.desc = false
	}
	l.refresh(l.selected())
}

// sortName names the current sort for titles and the status line.
func (l *tunnelList) sortName() string {
	name := "default order"
	if l.sortKey != "#" {
		name = "by " + strings.ToLower(l.sortKey)
	}
	if l.desc {
		name += ", reversed"
	}
	return name
}

// refresh recomputes the visible rows and selects keep (or the first row).
func (l *tunnelList) refresh(keep *row) {
	m := l.a.model
	if m == nil {
		return
	}
	rows := l.content.rows[:0:0]
	for _, r := range m.rows {
		if l.flt.matches(m, r) {
			rows = append(rows, r)
		}
	}
	for _, col := range tunnelColumns(m.two()) {
		if col.name != l.sortKey {
			continue
		}
		slices.SortStableFunc(rows, func(x, y *row) int {
			v := col.cmp(m, x, y)
			if v == 0 {
				v = cmp.Compare(x.order, y.order)
			}
			if l.desc {
				return -v
			}
			return v
		})
	}
	l.content.rows = rows
	l.SetTitle(" " + tview.Escape(l.Title()+" ("+strconv.Itoa(len(rows))+" of "+strconv.Itoa(len(m.rows))+", "+l.sortName()+")") + " ")
	idx := 0
	if keep != nil {
		if i := slices.Index(rows, keep); i >= 0 {
			idx = i
		}
	}
	// tview keeps a table scrolled to its end once it was shorter than
	// its frame (as it was before the model came): start from the top,
	// and let Select scroll to the selection.
	l.ScrollToBeginning()
	if len(rows) == 0 {
		l.Select(0, 0)
		l.a.rowSelected(nil)
		return
	}
	l.Select(idx+1, 0)
	// Select does not report a selection that did not change row.
	l.a.rowSelected(l.selected())
}

// selected returns the selected row, or nil.
func (l *tunnelList) selected() *row {
	r, _ := l.GetSelection()
	if r < 1 || r-1 >= len(l.content.rows) {
		return nil
	}
	return l.content.rows[r-1]
}

// selectSession selects a PPTP call's row and reports whether it is
// shown.
func (l *tunnelList) selectSession(id int) bool {
	for i, r := range l.content.rows {
		if r.kind == rowSession && r.session == id {
			l.Select(i+1, 0)
			return true
		}
	}
	return false
}

// selectTunnel selects a tunnel's row and reports whether it is shown.
func (l *tunnelList) selectTunnel(id int) bool {
	for i, r := range l.content.rows {
		if r.kind == rowTunnel && r.tunnel == id {
			l.Select(i+1, 0)
			return true
		}
	}
	return false
}

// Do handles the keymap's actions for the pane.
func (l *tunnelList) Do(act action) bool {
	switch act {
	case actEnter:
		l.a.focusPane(l.a.packets)
		return true
	case actSort, actReverse:
		l.cycleSort(act == actReverse)
		l.a.setMessage("tunnels and flows sorted " + l.sortName())
		return true
	}
	return forward(l.Table, act)
}
