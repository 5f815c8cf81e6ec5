package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/dissect"
	"github.com/vpnpcap/vpnpcap/filter"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// packetList is the packets pane: the packets of the selected tunnel or
// flow, one per row. With two captures it shows them side by side, the
// inside and outside sightings of one packet on one row (matched as the
// correlation matches), marks the packets that one capture saw and the
// other did not, and shows outside times on the inside clock.
type packetList struct {
	*grid
	a       *App
	content *packetRows
	load    *packetLoad // the packets shown; nil before the first load
	loading string      // what is being loaded, for the title
	// search is the packet search of / and Ctrl-F, nil when there is
	// none; n and N go to the packets it matches.
	search *filter.Filter
	// marks says whether a finding gives any of the packets listed as
	// evidence: then the first column marks them.
	marks bool
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
	expand bool
	// style, when set, gives the cell a style of its own.
	style func(ld *packetLoad, r pktRow) (tcell.Style, bool)
}

// packetColumns returns the columns for the pane's width: single capture,
// or side by side, which leaves out the delay column when narrow.
func (l *packetList) packetColumns(width int) []packetColumn {
	ld := l.load
	two := ld != nil && ld.two
	timeFmt := "15:04:05.000000"
	if two {
		timeFmt = "15:04:05.000"
	}
	var cols []packetColumn
	if l.marks {
		cols = append(cols, l.markColumn())
	}
	first := len(cols)
	cols = append(cols, frameColumn("Frame", flows.SideInside))
	if two {
		cols[first].name = "In#"
	}
	cols = append(cols,
		timeColumn(flows.SideInside, timeFmt),
		packetColumn{name: " ", text: func(ld *packetLoad, r pktRow) string {
			p, s := ld.first(r)
			if p == nil {
				return ""
			}
			return ld.subj.direction(s, p)
		}},
		packetColumn{name: "Kind", text: func(ld *packetLoad, r pktRow) string {
			if p, _ := ld.first(r); p != nil {
				return p.Kind.String()
			}
			return ""
		}},
		packetColumn{name: "Summary", expand: true, text: func(ld *packetLoad, r pktRow) string {
			if p, _ := ld.first(r); p != nil {
				return dissect.Summary(p)
			}
			return ""
		}},
	)
	if !two {
		if ld == nil || len(ld.lists[0]) == 0 && len(ld.lists[1]) > 0 {
			// An outside-only subject: the single column set reads side 1.
			cols[first] = frameColumn("Frame", flows.SideOutside)
			cols[first+1] = timeColumn(flows.SideOutside, timeFmt)
		}
		return cols
	}
	return append(cols, outsideColumns(width, timeFmt)...)
}

// frameColumn is the column of one capture's frame numbers.
func frameColumn(name string, s flows.Side) packetColumn {
	return packetColumn{name: name, right: true, text: func(ld *packetLoad, r pktRow) string {
		if p := ld.packet(r, s); p != nil {
			return strconv.Itoa(p.Frame)
		}
		return ""
	}}
}

// timeColumn is the column of one capture's times, on its own clock.
func timeColumn(s flows.Side, format string) packetColumn {
	return packetColumn{name: "Time", text: func(ld *packetLoad, r pktRow) string {
		if p := ld.packet(r, s); p != nil {
			return p.Time.UTC().Format(format)
		}
		return ""
	}}
}

// outsideColumns are the columns side by side adds after the inside's: the
// fate, the outside's frame and time (on the inside clock), and from a
// width of 110 the delay between the two sightings.
func outsideColumns(width int, timeFmt string) []packetColumn {
	cols := []packetColumn{
		{name: "Fate", text: func(_ *packetLoad, r pktRow) string { return fateText(r) }},
		frameColumn("Out#", flows.SideOutside),
		{name: "Out time", text: func(ld *packetLoad, r pktRow) string {
			if p := ld.packet(r, flows.SideOutside); p != nil && ld.toInside != nil {
				return ld.toInside(p.Time).UTC().Format(timeFmt)
			}
			return ""
		}},
	}
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

// markColumn is the first column: ● on the packets a finding gives as
// evidence, in the colour of the worst of them.
func (l *packetList) markColumn() packetColumn {
	return packetColumn{name: " ", text: func(ld *packetLoad, r pktRow) string {
		if len(l.a.evidenceOf(ld, r)) > 0 {
			return "●"
		}
		return ""
	}, style: func(ld *packetLoad, r pktRow) (tcell.Style, bool) {
		fs := l.a.evidenceOf(ld, r)
		if len(fs) == 0 {
			return tcell.Style{}, false
		}
		worst := l.a.model.findings[fs[0]].Severity
		for _, i := range fs[1:] {
			worst = max(worst, l.a.model.findings[i].Severity)
		}
		return l.a.st.sev(worst).Bold(true), true
	}}
}

// packetRows is the pane's content.
type packetRows struct {
	l    *packetList
	cols []packetColumn
}

func (c *packetRows) rowCount() int {
	if c.l.load == nil {
		return 0
	}
	return len(c.l.load.rows)
}

func (c *packetRows) empty() string {
	switch {
	case c.l.loading != "":
		return "Reading the packets…"
	case c.l.a.model == nil:
		return "The analysis is running."
	case c.l.load == nil || !c.l.load.subj.valid():
		return "Select a tunnel, a PPTP call or a flow for its packets."
	}
	return "No packets."
}

func (c *packetRows) columns(width int) []gridCol {
	c.cols = c.l.packetColumns(width)
	out := make([]gridCol, len(c.cols))
	for i, col := range c.cols {
		out[i] = gridCol{name: col.name, right: col.right, expand: col.expand}
	}
	return out
}

func (c *packetRows) cell(r, col int) (string, tcell.Style) {
	st := c.l.a.st
	ld := c.l.load
	if ld == nil || r < 0 || r >= len(ld.rows) || col < 0 || col >= len(c.cols) {
		return "", st.normal
	}
	row := ld.rows[r]
	def := c.cols[col]
	if def.style != nil {
		if s, ok := def.style(ld, row); ok {
			return def.text(ld, row), s
		}
	}
	style := st.normal
	switch row.fate {
	case fateDropped:
		style = st.bad
	case fateModified:
		style = st.modified
	case fateNotCompared:
		style = st.dim
	}
	return def.text(ld, row), style
}

// newPacketList builds the pane.
func newPacketList(a *App) *packetList {
	l := &packetList{a: a}
	l.content = &packetRows{l: l}
	l.grid = newGrid(a.st, l.content)
	l.owner = l
	a.st.box(l.Box, l.Title())
	l.changed = func(int) { a.packetSelected() }
	return l
}

// Title names the pane.
func (l *packetList) Title() string { return "Packets" }

// setLoading shows that the packets of a subject are being read.
func (l *packetList) setLoading(what string) {
	l.loading = what
}

// setLoad shows loaded packets.
func (l *packetList) setLoad(ld *packetLoad) {
	l.load = ld
	l.loading = ""
	l.marks = false
	for _, r := range ld.rows {
		if len(l.a.evidenceOf(ld, r)) > 0 {
			l.marks = true
			break
		}
	}
	l.reset()
}

// frameTitle is the pane's title: the subject, the counts and any load in
// progress.
func (l *packetList) frameTitle() string {
	var b strings.Builder
	b.WriteString(l.Title())
	if ld := l.load; ld != nil && ld.subj.valid() {
		b.WriteString(" of " + ld.subj.name() + ": ")
		if ld.two {
			b.WriteString(words.Thousands(len(ld.lists[0])) + " inside, " + words.Thousands(len(ld.lists[1])) + " outside")
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
			b.WriteString(words.Thousands(len(ld.lists[0]) + len(ld.lists[1])))
		}
		if ld.truncated {
			b.WriteString(" (first " + strconv.Itoa(maxListPackets) + " per capture)")
		}
	}
	if l.search != nil {
		b.WriteString(" — search: " + l.search.String())
	}
	if l.loading != "" {
		b.WriteString(" — " + l.loading)
	}
	return b.String()
}

// selectedRow returns the selected row.
func (l *packetList) selectedRow() (pktRow, bool) {
	r := l.grid.selected()
	if l.load == nil || r < 0 || r >= len(l.load.rows) {
		return pktRow{}, false
	}
	return l.load.rows[r], true
}

// selectFrame selects the row of a frame of one capture and reports
// whether the list has it.
func (l *packetList) selectFrame(s flows.Side, frame int) bool {
	if l.load == nil {
		return false
	}
	for i, r := range l.load.rows {
		if p := l.load.packet(r, s); p != nil && (p.Frame == frame || p.FirstFrame == frame) {
			l.selectRow(i)
			return true
		}
	}
	return false
}

// next moves to the next (step 1) or previous (step -1) row that ok
// accepts, and reports whether there is one.
func (l *packetList) next(step int, ok func(pktRow) bool) bool {
	if l.load == nil {
		return false
	}
	for i := l.grid.selected() + step; i >= 0 && i < len(l.load.rows); i += step {
		if ok(l.load.rows[i]) {
			l.selectRow(i)
			return true
		}
	}
	return false
}

// matches reports whether the search matches a row: either capture's
// packet of it.
func (l *packetList) matches(r pktRow) bool {
	for s := range flows.Side(2) {
		if p := l.load.packet(r, s); p != nil && l.search.Match(p) {
			return true
		}
	}
	return false
}

// countMatches counts the rows the search matches, and the position of
// the selected row among them (0 when it is not one).
func (l *packetList) countMatches() (n, at int) {
	if l.load == nil || l.search == nil {
		return 0, 0
	}
	sel := l.grid.selected()
	for i, r := range l.load.rows {
		if l.matches(r) {
			n++
			if i == sel {
				at = n
			}
		}
	}
	return n, at
}

// findNext goes to the next (or previous) packet the search matches, or
// without a search, the next lost or modified one.
func (l *packetList) findNext(step int) {
	if l.search == nil {
		if !l.next(step, func(r pktRow) bool { return r.fate == fateDropped || r.fate == fateModified }) {
			l.a.setMessage("no further lost or modified packet (/ searches for others)")
		}
		return
	}
	if !l.next(step, l.matches) {
		way := "after"
		if step < 0 {
			way = "before"
		}
		l.a.setMessage("no packet " + way + " this one matches " + l.search.String())
		return
	}
	n, at := l.countMatches()
	l.a.setMessage("match " + words.Thousands(at) + " of " + words.Thousands(n) + " for " + l.search.String())
}

// setSearch starts a search: it selects the first packet it matches from
// the selected one on (wrapping round), and says how many it matches.
func (l *packetList) setSearch(f *filter.Filter) {
	if f == nil || f.String() == "" {
		l.search = nil
		l.a.setMessage("search cleared: n and N go to lost or modified packets")
		return
	}
	l.search = f
	if l.load == nil || !l.load.subj.valid() {
		l.a.setMessage("searching for " + f.String() + " in the packets listed next")
		return
	}
	n, _ := l.countMatches()
	if n == 0 {
		l.a.setError("no packet of " + l.load.subj.name() + " matches " + f.String())
		return
	}
	if r, ok := l.selectedRow(); !ok || !l.matches(r) {
		if !l.next(1, l.matches) {
			l.sel = -1
			l.next(1, l.matches)
		}
	}
	_, at := l.countMatches()
	l.a.setMessage("match " + strconv.Itoa(at) + " of " + strconv.Itoa(n) + " for " + f.String() + " (n next, N previous)")
}

// Do handles the keymap's actions for the pane.
func (l *packetList) Do(act action) bool {
	switch act {
	case actEnter:
		l.a.push()
		l.a.focusPane(l.a.detail)
		return true
	case actNextMatch, actPrevMatch:
		step := 1
		if act == actPrevMatch {
			step = -1
		}
		l.findNext(step)
		return true
	}
	return l.grid.Do(act)
}
