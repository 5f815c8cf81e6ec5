package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/dissect"
	"github.com/vpnpcap/vpnpcap/flows"
)

// packetList is the packets pane: the packets of the selected tunnel or
// flow, one per row. With two captures it shows them side by side, the
// inside and outside sightings of one packet on one row (matched as the
// correlation matches), marks the packets that one capture saw and the
// other did not, and shows outside times on the inside clock.
type packetList struct {
	*tview.Table
	a       *App
	content *packetRows
	load    *packetLoad // the packets shown; nil before the first load
	loading string      // what is being loaded, for the title
}

var _ View = (*packetList)(nil)

// fate is what a packet row says about the NAT.
type fate uint8

const (
	fateSingle      fate = iota // one capture only: nothing to compare
	fateMatched                 // seen in both captures
	fateModified                // seen in both, changed beyond translation
	fateDropped                 // seen in one capture only, while both ran
	fateNotCompared             // seen in one capture, outside the other's time span
)

// pktRow is one row: indexes into the load's packet lists (-1: absent).
type pktRow struct {
	idx  [2]int
	fate fate
	t    time.Time // inside clock
}

// packet returns the row's packet of one side, or nil.
func (ld *packetLoad) packet(r pktRow, s flows.Side) *decode.Packet {
	if i := r.idx[s]; i >= 0 && i < len(ld.lists[s]) {
		return &ld.lists[s][i]
	}
	return nil
}

// first returns the row's packet to show by default: inside if present.
func (ld *packetLoad) first(r pktRow) (*decode.Packet, flows.Side) {
	if p := ld.packet(r, flows.SideInside); p != nil {
		return p, flows.SideInside
	}
	return ld.packet(r, flows.SideOutside), flows.SideOutside
}

// packetColumn is one column of the pane.
type packetColumn struct {
	name   string
	text   func(ld *packetLoad, r pktRow) string
	right  bool
	expand int
	max    int
}

// packetColumns returns the columns for the pane's width: single capture,
// or side by side, which leaves out the delay column when narrow.
func (l *packetList) packetColumns(width int) []packetColumn {
	ld := l.load
	two := ld != nil && ld.two
	frameCol := func(name string, s flows.Side) packetColumn {
		return packetColumn{name: name, right: true, text: func(ld *packetLoad, r pktRow) string {
			if p := ld.packet(r, s); p != nil {
				return strconv.Itoa(p.Frame)
			}
			return ""
		}}
	}
	timeFmt := "15:04:05.000000"
	if two {
		timeFmt = "15:04:05.000"
	}
	cols := []packetColumn{frameCol("Frame", flows.SideInside)}
	if two {
		cols[0].name = "In#"
	}
	cols = append(cols,
		packetColumn{name: "Time", text: func(ld *packetLoad, r pktRow) string {
			if p := ld.packet(r, flows.SideInside); p != nil {
				return p.Time.UTC().Format(timeFmt)
			}
			return ""
		}},
		packetColumn{name: " ", text: func(ld *packetLoad, r pktRow) string {
			p, s := ld.first(r)
			if p == nil {
				return ""
			}
			return ld.subj.direction(l.a.model, s, p)
		}},
		packetColumn{name: "Kind", text: func(ld *packetLoad, r pktRow) string {
			if p, _ := ld.first(r); p != nil {
				return p.Kind.String()
			}
			return ""
		}},
		packetColumn{name: "Summary", expand: 1, text: func(ld *packetLoad, r pktRow) string {
			if p, _ := ld.first(r); p != nil {
				return dissect.Summary(p)
			}
			return ""
		}},
	)
	if !two {
		if ld == nil || len(ld.lists[0]) == 0 && len(ld.lists[1]) > 0 {
			// An outside-only subject: the single column set reads side 1.
			cols[0] = frameCol("Frame", flows.SideOutside)
			cols[1].text = func(ld *packetLoad, r pktRow) string {
				if p := ld.packet(r, flows.SideOutside); p != nil {
					return p.Time.UTC().Format(timeFmt)
				}
				return ""
			}
		}
		return cols
	}
	cols = append(cols,
		packetColumn{name: "Fate", text: func(_ *packetLoad, r pktRow) string { return fateText(r) }},
		frameCol("Out#", flows.SideOutside),
		packetColumn{name: "Out time", text: func(ld *packetLoad, r pktRow) string {
			if p := ld.packet(r, flows.SideOutside); p != nil && ld.toInside != nil {
				return ld.toInside(p.Time).UTC().Format(timeFmt)
			}
			return ""
		}},
	)
	if width >= 110 {
		cols = append(cols, packetColumn{name: "Delay", right: true, text: func(ld *packetLoad, r pktRow) string {
			pi, po := ld.packet(r, flows.SideInside), ld.packet(r, flows.SideOutside)
			if pi == nil || po == nil || ld.toInside == nil {
				return ""
			}
			return formatDelay(ld.toInside(po.Time).Sub(pi.Time))
		}})
	}
	return cols
}

// fateText is the Fate column: which way a lost packet went missing.
func fateText(r pktRow) string {
	switch r.fate {
	case fateMatched:
		return "crossed"
	case fateModified:
		return "MODIFIED"
	case fateDropped:
		if r.idx[flows.SideInside] >= 0 {
			return "LOST →"
		}
		return "← LOST"
	case fateNotCompared:
		return "n/c"
	}
	return ""
}

// formatDelay shows a forwarding delay compactly: "+1.2ms", "-3µs".
func formatDelay(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	switch {
	case d < time.Millisecond:
		return sign + strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < time.Second:
		return sign + strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
	}
	return sign + strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
}

// packetRows is the pane's virtual table content.
type packetRows struct {
	tview.TableContentReadOnly
	l    *packetList
	cols []packetColumn
}

func (c *packetRows) GetRowCount() int {
	if c.l.load == nil {
		return 1
	}
	return len(c.l.load.rows) + 1
}

func (c *packetRows) GetColumnCount() int { return len(c.cols) }

func (c *packetRows) GetCell(r, col int) *tview.TableCell {
	if col < 0 || col >= len(c.cols) {
		return nil
	}
	st := c.l.a.st
	def := c.cols[col]
	var cell *tview.TableCell
	if r == 0 {
		cell = tview.NewTableCell(tview.Escape(def.name)).SetStyle(st.header).SetSelectable(false)
	} else {
		ld := c.l.load
		if ld == nil || r-1 >= len(ld.rows) {
			return nil
		}
		row := ld.rows[r-1]
		style := st.normal
		switch row.fate {
		case fateDropped:
			style = st.bad
		case fateModified:
			style = st.modified
		case fateNotCompared:
			style = st.dim
		}
		cell = tview.NewTableCell(tview.Escape(def.text(ld, row))).SetStyle(style)
		if def.max > 0 {
			cell.SetMaxWidth(def.max)
		}
	}
	cell.SetExpansion(def.expand)
	if def.right {
		cell.SetAlign(tview.AlignRight)
	}
	return cell
}

// newPacketList builds the pane.
func newPacketList(a *App) *packetList {
	l := &packetList{Table: tview.NewTable(), a: a}
	l.content = &packetRows{l: l}
	l.content.cols = l.packetColumns(100)
	l.SetContent(l.content)
	l.SetFixed(1, 0)
	l.SetSelectable(true, false)
	a.st.box(l.Box, l.Title())
	a.st.table(l.Table)
	l.SetSelectionChangedFunc(func(r, _ int) { a.packetSelected() })
	return l
}

// Title names the pane.
func (l *packetList) Title() string { return "Packets" }

// Draw chooses the columns for the width, then draws the table. Summary
// may take what the other columns leave, measured on the rows in view, so
// that the Fate and outside columns always show.
func (l *packetList) Draw(screen tcell.Screen) {
	_, _, w, h := l.GetInnerRect()
	cols := l.packetColumns(w)
	used := 0
	for _, c := range cols {
		if c.name == "Summary" {
			continue
		}
		cw := runewidth.StringWidth(c.name)
		if ld := l.load; ld != nil {
			off, _ := l.GetOffset()
			for i := off; i < off+h && i < len(ld.rows); i++ {
				cw = max(cw, runewidth.StringWidth(c.text(ld, ld.rows[i])))
			}
		}
		used += cw + 1
	}
	for i := range cols {
		if cols[i].name == "Summary" {
			cols[i].max = max(16, w-used)
		}
	}
	l.content.cols = cols
	keepSelectionVisible(l.Table)
	l.Table.Draw(screen)
}

// setLoading shows that the packets of a subject are being read.
func (l *packetList) setLoading(what string) {
	l.loading = what
	l.updateTitle()
}

// setLoad shows loaded packets.
func (l *packetList) setLoad(ld *packetLoad) {
	l.load = ld
	l.loading = ""
	l.updateTitle()
	l.Select(1, 0)
	l.ScrollToBeginning()
	l.a.packetSelected()
}

// updateTitle writes the subject, the counts and any load in progress in
// the frame.
func (l *packetList) updateTitle() {
	var b strings.Builder
	b.WriteString(l.Title())
	if ld := l.load; ld != nil && ld.subj.valid() {
		b.WriteString(" of " + ld.subj.name() + ": ")
		if ld.two {
			b.WriteString(strconv.Itoa(len(ld.lists[0])) + " inside, " + strconv.Itoa(len(ld.lists[1])) + " outside")
			if ld.dropped > 0 {
				b.WriteString(", " + strconv.Itoa(ld.dropped) + " lost")
			}
			if ld.modified > 0 {
				b.WriteString(", " + strconv.Itoa(ld.modified) + " modified")
			}
			if ld.offset != "" {
				b.WriteString(", outside times " + ld.offset)
			}
		} else {
			b.WriteString(strconv.Itoa(len(ld.lists[0]) + len(ld.lists[1])))
		}
		if ld.truncated {
			b.WriteString(" (first " + strconv.Itoa(maxListPackets) + " per capture)")
		}
	}
	if l.loading != "" {
		b.WriteString(" — " + l.loading)
	}
	l.SetTitle(" " + tview.Escape(b.String()) + " ")
}

// selectedRow returns the selected row.
func (l *packetList) selectedRow() (pktRow, bool) {
	r, _ := l.GetSelection()
	if l.load == nil || r < 1 || r-1 >= len(l.load.rows) {
		return pktRow{}, false
	}
	return l.load.rows[r-1], true
}

// selectFrame selects the row of a frame of one capture and reports
// whether the list has it.
func (l *packetList) selectFrame(s flows.Side, frame int) bool {
	if l.load == nil {
		return false
	}
	for i, r := range l.load.rows {
		if p := l.load.packet(r, s); p != nil && (p.Frame == frame || p.FirstFrame == frame) {
			l.Select(i+1, 0)
			return true
		}
	}
	return false
}

// nextMark moves to the next (or previous) dropped or modified packet.
func (l *packetList) nextMark(step int) bool {
	if l.load == nil || len(l.load.rows) == 0 {
		return false
	}
	r, _ := l.GetSelection()
	for i := r - 1 + step; i >= 0 && i < len(l.load.rows); i += step {
		if f := l.load.rows[i].fate; f == fateDropped || f == fateModified {
			l.Select(i+1, 0)
			return true
		}
	}
	return false
}

// Do handles the keymap's actions for the pane.
func (l *packetList) Do(act action) bool {
	switch act {
	case actEnter:
		l.a.focusPane(l.a.detail)
		return true
	case actNextMark, actPrevMark:
		step := 1
		if act == actPrevMark {
			step = -1
		}
		if !l.nextMark(step) {
			l.a.setMessage("no further dropped or modified packet")
		}
		return true
	}
	return forward(l.Table, act)
}
