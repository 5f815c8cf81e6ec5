package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// tunnelList is the tunnels-and-flows pane: one row per tunnel (the same
// IKE SA in both captures) followed by the flows that carry it, one row per
// PPTP call followed by its control and GRE flows, then the other flows.
// Tunnel and call rows are coloured by their worst finding, flow rows by
// their own fate across the NAT; rows can be sorted by any column and
// filtered by an expression.
type tunnelList struct {
	*grid
	a       *App
	content *tunnelRows
	sortKey string // the column sorted by; "#" is the default order
	desc    bool   // reverse order
	flt     *rowFilter
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

// shortColumn is the most the Kind and State columns take while the pane
// fits its width; longer texts are cut, the Endpoints column matters more.
const shortColumn = 14

// tunnelRows is the pane's content: the filtered, sorted rows.
type tunnelRows struct {
	l    *tunnelList
	cols []tunnelColumn // the columns shown, as of the last call of columns
	rows []*row
}

func (c *tunnelRows) rowCount() int { return len(c.rows) }

func (c *tunnelRows) empty() string {
	if c.l.a.model == nil {
		return "The analysis is running."
	}
	if c.l.flt != nil {
		return "No tunnel or flow matches the filter (Esc clears it)."
	}
	return "No tunnels and no flows."
}

// columns chooses the columns for an inner width: SPI/key and Tun only
// when there is room.
func (c *tunnelRows) columns(width int) []gridCol {
	two := c.l.a.model != nil && c.l.a.model.two()
	c.cols = c.cols[:0]
	var out []gridCol
	for _, col := range tunnelColumns(two) {
		if col.hidden || width < 110 && (col.name == "SPI/key" || col.name == "Tun") {
			continue
		}
		c.cols = append(c.cols, col)
		name := col.name
		if col.name == c.l.sortKey && (col.name != "#" || c.l.desc) {
			if c.l.desc {
				name += " ▼"
			} else {
				name += " ▲"
			}
		}
		gc := gridCol{name: name, right: col.right, expand: col.expand > 0}
		if col.name == "Kind" || col.name == "State" {
			gc.max = shortColumn
		}
		out = append(out, gc)
	}
	return out
}

func (c *tunnelRows) cell(r, col int) (string, tcell.Style) {
	m := c.l.a.model
	if m == nil || r < 0 || r >= len(c.rows) || col < 0 || col >= len(c.cols) {
		return "", c.l.a.st.normal
	}
	rw := c.rows[r]
	return c.cols[col].text(m, rw), c.l.a.rowStyle(rw)
}

// rowStyle colours what failed: a tunnel or PPTP call by its worst
// finding (bold, as a heading of its flows), a flow by its own fate across
// the NAT — lost packets red, modified ones yellow — and not by its
// tunnel's findings, so that the flows that crossed read as such.
func (a *App) rowStyle(r *row) tcell.Style {
	st := a.st
	if r.kind != rowFlow {
		style := st.normal
		if w, ok := a.model.worstOf(r); ok {
			style = st.sev(w)
		}
		return style.Bold(true)
	}
	switch fa := r.flow.Fate(); {
	case fa.Dropped > 0:
		return st.bad
	case fa.Modified > 0:
		return st.modified
	}
	return st.normal
}

// newTunnelList builds the pane.
func newTunnelList(a *App) *tunnelList {
	l := &tunnelList{a: a, sortKey: "#"}
	l.content = &tunnelRows{l: l}
	l.grid = newGrid(a.st, l.content)
	l.owner = l
	a.st.box(l.Box, l.Title())
	l.changed = func(int) { a.rowSelected(l.selected()) }
	return l
}

// Title names the pane.
func (l *tunnelList) Title() string { return "Tunnels & flows" }

// frameTitle is the pane's title: the rows shown and the order.
func (l *tunnelList) frameTitle() string {
	m := l.a.model
	if m == nil {
		return l.Title()
	}
	return l.Title() + " (" + words.Thousands(len(l.content.rows)) + " of " + words.Thousands(len(m.rows)) + ", " + l.sortName() + ")"
}

// setModel fills the pane from a new model.
func (l *tunnelList) setModel(m *model) {
	l.sortKey, l.desc = "#", false
	l.refresh(nil)
}

// setFilter applies a filter, keeping the selection when it still shows.
func (l *tunnelList) setFilter(f *rowFilter) {
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
	if len(l.content.cols) == 0 {
		l.content.columns(200)
	}
	l.content.rows = rows
	idx := 0
	if keep != nil {
		if i := slices.Index(rows, keep); i >= 0 {
			idx = i
		}
	}
	l.sel = -2 // report the selection even when its index did not change
	l.selectRow(idx)
}

// selected returns the selected row, or nil.
func (l *tunnelList) selected() *row {
	r := l.grid.selected()
	if r < 0 || r >= len(l.content.rows) {
		return nil
	}
	return l.content.rows[r]
}

// selectRowOf selects a row and reports whether it is shown.
func (l *tunnelList) selectRowOf(r *row) bool {
	if i := slices.Index(l.content.rows, r); i >= 0 {
		l.selectRow(i)
		return true
	}
	return false
}

// selectSession selects a PPTP call's row and reports whether it is
// shown.
func (l *tunnelList) selectSession(id int) bool {
	for i, r := range l.content.rows {
		if r.kind == rowSession && r.session == id {
			l.selectRow(i)
			return true
		}
	}
	return false
}

// selectTunnel selects a tunnel's row and reports whether it is shown.
func (l *tunnelList) selectTunnel(id int) bool {
	for i, r := range l.content.rows {
		if r.kind == rowTunnel && r.tunnel == id {
			l.selectRow(i)
			return true
		}
	}
	return false
}

// Do handles the keymap's actions for the pane.
func (l *tunnelList) Do(act action) bool {
	switch act {
	case actEnter:
		l.a.push()
		l.a.focusPane(l.a.packets)
		return true
	case actSort, actReverse:
		l.cycleSort(act == actReverse)
		l.a.setMessage("tunnels and flows sorted " + l.sortName())
		return true
	}
	return l.grid.Do(act)
}
