package tui

import (
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/ladder"
)

// ladderView is the ladder pane: what crossed the NAT for the tunnel or
// PPTP call whose packets are listed, message by message, as the report
// draws it, built from the packets the list holds (ladder.Build). It
// shares its band with the packets pane, which it replaces while it is
// the one used last. A row is selected; Enter selects the row's first
// frame in the packets pane.
//
// Unscrolled, the ladder is drawn to the pane's width, each row's text
// wrapped under it; scrolled sideways (h/l, H/L), each row takes one line
// at its full width and the lines move under the pane, as the lists do.
// The header naming the ends and the columns' heading stay in view when
// the pane has room for them.
type ladderView struct {
	*tview.Box
	a *App
	l *ladder.Ladder
	// sel is the selected row; pending is the row to select when the
	// next ladder comes (going back to it), -1 for none.
	sel, pending int
	// top is the first line of the scrolled lines shown; hoff the
	// sideways scroll in cells (0: drawn to the pane's width).
	top, hoff int
	// At the last draw: the inner width, the width of the widest line
	// unwrapped, the lines scrolled and where they were drawn, and how
	// many rows began in view.
	innerW, lineWidth int
	body              []ladder.Line
	bodyY, bodyH      int
	rowsShown         int
}

var _ View = (*ladderView)(nil)

// unwrapped is the width the ladder is laid out at when scrolled
// sideways: wide enough that no row wraps.
const unwrapped = 10_000

func newLadderView(a *App) *ladderView {
	v := &ladderView{Box: tview.NewBox(), a: a, pending: -1}
	a.st.box(v.Box, v.Title())
	return v
}

// Title names the pane.
func (v *ladderView) Title() string { return "Ladder" }

// frameTitle is the pane's title: the subject and what its ladder counts.
func (v *ladderView) frameTitle() string {
	l := v.l
	if l == nil {
		return v.Title()
	}
	var b strings.Builder
	b.WriteString(v.Title() + " of " + l.Name + ": " + words.Count(len(l.Rows), "row"))
	if l.Lost > 0 {
		b.WriteString(", " + words.Thousands(l.Lost) + " lost")
	}
	if l.Modified > 0 {
		b.WriteString(", " + words.Thousands(l.Modified) + " changed")
	}
	if l.Two {
		b.WriteString(" at " + l.Between())
	}
	return b.String()
}

// setLadder shows a ladder (nil: none), its first row selected, or the
// row a step back returns to.
func (v *ladderView) setLadder(l *ladder.Ladder) {
	v.l = l
	v.sel, v.top, v.hoff = 0, 0, 0
	if v.pending >= 0 && l != nil && v.pending < len(l.Rows) {
		v.sel = v.pending
	}
	v.pending = -1
}

// selectRow selects a row, clamped to the rows there are.
func (v *ladderView) selectRow(r int) {
	if v.l == nil || len(v.l.Rows) == 0 {
		v.sel = 0
		return
	}
	v.sel = max(0, min(r, len(v.l.Rows)-1))
}

// selectedRow returns the selected row, or nil.
func (v *ladderView) selectedRow() *ladder.Row {
	if v.l == nil || v.sel < 0 || v.sel >= len(v.l.Rows) {
		return nil
	}
	return &v.l.Rows[v.sel]
}

// empty is what the pane says without a ladder.
func (v *ladderView) empty() string {
	a := v.a
	switch {
	case a.model == nil:
		return "The analysis is running."
	case a.packets.loading != "":
		return "Reading the packets…"
	case a.current.valid() && !a.current.hasLadder():
		return "A ladder shows a tunnel or a PPTP call, not " + a.current.name() + ": select one in [1]."
	}
	return "Select a tunnel or a PPTP call for the ladder of what crossed the NAT."
}

// glyphs are the ladder's characters: ASCII when the terminal's character
// set is not UTF-8, or without colour (NO_COLOR), as the text report does.
func (v *ladderView) glyphs(screen tcell.Screen) ladder.Glyphs {
	if v.a.cfg.Mono || !utf8Charset(screen.CharacterSet()) {
		return ladder.ASCII
	}
	return ladder.UTF8
}

// utf8Charset reports whether a terminal character set, as tcell names it
// from the locale ("UTF-8", "utf8"; empty where it cannot tell), is UTF-8.
func utf8Charset(cs string) bool {
	cs = strings.ToLower(strings.ReplaceAll(cs, "-", ""))
	return cs == "" || cs == "utf8"
}

// Draw draws the header and the columns' heading, then the lines in view,
// the selected row's reversed and the others coloured by what became of
// their packets.
func (v *ladderView) Draw(screen tcell.Screen) {
	v.DrawForSubclass(screen, v)
	x, y, w, h := v.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	v.innerW = w
	st := v.a.st
	if v.l == nil {
		for i, l := range wrapWords(v.empty(), w) {
			if i < h {
				line(nil).add(l, st.dim).draw(screen, x, y+i, w, 0, st.normal)
			}
		}
		v.body, v.bodyH = nil, 0
		return
	}
	g := v.glyphs(screen)
	full := v.l.Layout(unwrapped, g)
	v.lineWidth = 0
	for _, l := range full {
		v.lineWidth = max(v.lineWidth, runewidth.StringWidth(l.Text))
	}
	v.hoff = max(0, min(v.hoff, v.lineWidth-w))
	lines := full
	if v.hoff == 0 {
		lines = v.l.Layout(w, g)
	}
	var header, heading, body []ladder.Line
	for _, l := range lines {
		switch l.Part {
		case ladder.PartHeader:
			header = append(header, l)
		case ladder.PartColumns:
			heading = append(heading, l)
		default:
			body = append(body, l)
		}
	}
	// The header and the columns' heading stay in view when they leave
	// room for three lines; otherwise they scroll with the rows.
	fixed := append(header, heading...)
	if len(fixed)+3 > h {
		body = append(fixed, body...)
		fixed = nil
	}
	for i, l := range fixed {
		style := st.normal
		if l.Part == ladder.PartColumns {
			style = st.header
		}
		line(nil).add(l.Text, style).draw(screen, x, y+i, w, v.hoff, st.normal)
	}
	v.body, v.bodyY, v.bodyH = body, y+len(fixed), max(0, h-len(fixed))
	v.scrollToSelected()
	v.rowsShown = 0
	for i := 0; i < v.bodyH && v.top+i < len(body); i++ {
		l := body[v.top+i]
		style := v.lineStyle(l)
		fill := st.normal
		if l.Part == ladder.PartRow && l.Row == v.sel {
			fill = style
		}
		if l.Part == ladder.PartRow && (v.top+i == 0 || body[v.top+i-1].Row != l.Row) {
			v.rowsShown++
		}
		line(nil).add(l.Text, style).draw(screen, x, v.bodyY+i, w, v.hoff, fill)
	}
}

// lineStyle is the style of a line: the selected row's reversed, what
// keys revealed in a style of its own, a row coloured by what became of
// its packets at the NAT, the notes dim.
func (v *ladderView) lineStyle(l ladder.Line) tcell.Style {
	st := v.a.st
	switch {
	case l.Part == ladder.PartNote:
		return st.dim
	case l.Part != ladder.PartRow:
		return st.normal
	case l.Row == v.sel:
		return st.selected
	case l.Decrypted:
		return st.decrypted
	}
	switch v.l.Rows[l.Row].Fate(v.l.Two) {
	case ladder.FateLost, ladder.FatePartlyLost:
		return st.bad
	case ladder.FateModified:
		return st.modified
	case ladder.FateNotCompared, ladder.FateNoOrigin:
		return st.dim
	}
	return st.normal
}

// scrollToSelected moves the lines in view so that the selected row shows,
// all of its lines when they fit; at the first row the lines above it
// show, and at the last row the notes under it, when there is room.
func (v *ladderView) scrollToSelected() {
	first, last := -1, -1
	for i, l := range v.body {
		if l.Part == ladder.PartRow && l.Row == v.sel {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	h := v.bodyH
	if first < 0 || h <= 0 {
		v.top = max(0, min(v.top, len(v.body)-h))
		return
	}
	if v.sel == len(v.l.Rows)-1 {
		last = len(v.body) - 1
	}
	if v.sel == 0 {
		first = 0
	}
	if last >= v.top+h {
		v.top = last - h + 1
	}
	if first < v.top || last-first >= h {
		v.top = first
	}
	v.top = max(0, min(v.top, len(v.body)-h))
}

// Do moves the selection and scrolls; Enter selects the row's first frame
// in the packets pane.
func (v *ladderView) Do(act action) bool {
	page := max(1, v.rowsShown-1)
	switch act {
	case actUp:
		v.selectRow(v.sel - 1)
	case actDown:
		v.selectRow(v.sel + 1)
	case actPageUp:
		v.selectRow(v.sel - page)
	case actPageDown:
		v.selectRow(v.sel + page)
	case actTop:
		v.selectRow(0)
	case actBottom:
		if v.l != nil {
			v.selectRow(len(v.l.Rows) - 1)
		}
	case actLeft:
		v.scrollX(-scrollStep)
	case actRight:
		v.scrollX(scrollStep)
	case actScrollLeft:
		v.scrollX(-max(scrollStep, v.innerW/2))
	case actScrollRight:
		v.scrollX(max(scrollStep, v.innerW/2))
	case actEnter:
		v.open()
	case actNextMatch, actPrevMatch:
		step := 1
		if act == actPrevMatch {
			step = -1
		}
		v.nextChanged(step)
	default:
		return false
	}
	return true
}

// scrollX scrolls sideways by cells.
func (v *ladderView) scrollX(cells int) {
	v.hoff = max(0, min(v.hoff+cells, v.lineWidth-v.innerW))
}

// nextChanged selects the next (step 1) or previous (step -1) row whose
// packets were lost or changed at the NAT.
func (v *ladderView) nextChanged(step int) {
	if v.l == nil {
		return
	}
	for i := v.sel + step; i >= 0 && i < len(v.l.Rows); i += step {
		switch v.l.Rows[i].Fate(v.l.Two) {
		case ladder.FateLost, ladder.FatePartlyLost, ladder.FateModified:
			v.selectRow(i)
			return
		}
	}
	v.a.setMessage("no further row lost or changed at the NAT")
}

// open selects the selected row's first frame in the packets pane: the
// inside capture's when it saw the row's packets, else the outside's.
// Esc comes back to the row.
func (v *ladderView) open() {
	r := v.selectedRow()
	if r == nil {
		return
	}
	side := flows.SideInside
	if r.Frames[side].N == 0 {
		side = flows.SideOutside
	}
	if r.Frames[side].N == 0 {
		v.a.setError("the row has no frame")
		return
	}
	frame := r.Frames[side].First[0]
	a := v.a
	a.push()
	a.focusPane(a.packets)
	where := "frame " + strconv.Itoa(frame) + " of " + a.sideName(side)
	if !a.packets.selectFrame(side, frame) {
		a.setError(where + " is not among the packets listed")
		return
	}
	a.setMessage(where + ": the first of the ladder's row " + strconv.Itoa(v.sel+1) + ", " + r.Label)
}

// MouseHandler selects the row clicked on and scrolls with the wheel.
func (v *ladderView) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return v.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if !v.InRect(event.Position()) {
			return false, nil
		}
		switch action {
		case tview.MouseLeftDown:
			setFocus(v)
			return true, nil
		case tview.MouseLeftClick:
			setFocus(v)
			if _, my := event.Position(); my >= v.bodyY && my < v.bodyY+v.bodyH {
				if i := v.top + my - v.bodyY; i < len(v.body) && v.body[i].Part == ladder.PartRow {
					v.selectRow(v.body[i].Row)
				}
			}
			return true, nil
		case tview.MouseScrollUp:
			v.selectRow(v.sel - 1)
			return true, nil
		case tview.MouseScrollDown:
			v.selectRow(v.sel + 1)
			return true, nil
		}
		return false, nil
	})
}
