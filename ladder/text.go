package ladder

import (
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/textwidth"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// Glyphs are the characters a ladder is drawn with.
type Glyphs struct {
	Life, NAT, Point, Shaft, Right, Left string
	// Marks at the NAT: a packet lost there, changed there, not compared
	// (the other capture was not running), sent by the NAT itself.
	Lost, Modified, Unknown, FromNAT string
	// Count and Resent prefix a run's packet count and a message's
	// retransmissions ("×400", "⟲×5").
	Count, Resent string
	// Dash joins the ends of a range of numbers.
	Dash  string
	ascii bool
}

// UTF8 draws with box-drawing lines, arrows and marks.
var UTF8 = Glyphs{Life: "│", NAT: "║", Point: "◉", Shaft: "─", Right: "►", Left: "◄",
	Lost: "✗", Modified: "~", Unknown: "?", FromNAT: "●", Count: "×", Resent: "⟲×", Dash: "–"}

// ASCII draws with ASCII alone, for terminals that are not UTF-8 and for
// NO_COLOR.
var ASCII = Glyphs{Life: "|", NAT: "#", Point: "o", Shaft: "-", Right: ">", Left: "<",
	Lost: "X", Modified: "~", Unknown: "?", FromNAT: "*", Count: "x", Resent: "resent x", Dash: "-", ascii: true}

// asciiText replaces what labels and notes hold beyond ASCII.
var asciiText = strings.NewReplacer("–", "-", "×", "x", "…", "...", "→", "->", "←", "<-", "✗", "X", "⟲", "")

// Text adapts a label or note to the glyphs: with ASCII, it replaces
// dashes, arrows, marks and ellipses by ASCII.
func (g Glyphs) Text(s string) string {
	if g.ascii {
		return asciiText.Replace(s)
	}
	return s
}

// Columns of the text ladder.
const (
	timeWidth     = 12 // 15:04:05.000
	minWidth      = 50 // the narrowest a ladder is drawn
	minLabelWidth = 36
	minSegment    = 4
	maxSegment    = 10
)

// Lines draws the ladder as text at most width columns wide (at least 50
// are used), with the glyphs given: a header naming the ends, a line per
// row with its frames in each capture and an arrow that crosses the NAT
// or stops at it, what the row is (wrapped under it), and a legend of the
// marks used.
func (l *Ladder) Lines(width int, g Glyphs) []string {
	laid := l.Layout(width, g)
	out := make([]string, len(laid))
	for i, line := range laid {
		out[i] = line.Text
	}
	return out
}

// Line is one line of a ladder drawn as text, with what it draws, so that
// a viewer can select rows and keep the columns' heading in view.
type Line struct {
	Text string
	Part Part
	// Row is the row a PartRow line draws: its first line, or one its
	// text wraps onto.
	Row int
	// Decrypted is set on the lines of a row that say what decryption
	// revealed (Row.Decrypted).
	Decrypted bool
}

// Part is what a line of the text ladder draws.
type Part uint8

// Parts of the text ladder, from the top.
const (
	PartHeader  Part = iota // the subject and its ends
	PartColumns             // the columns' heading
	PartRow                 // a row
	PartNote                // what the ladder says under its rows
)

// Layout draws the ladder as Lines does, each line with what it draws.
func (l *Ladder) Layout(width int, g Glyphs) []Line {
	width = max(width, minWidth)
	d := newDrawing(l, width, g)
	d.header()
	for i := range l.Rows {
		d.row(i)
	}
	d.footer()
	return d.lines
}

// drawing lays a ladder out in columns.
type drawing struct {
	l          *Ladder
	g          Glyphs
	width      int
	frameWidth int
	seg        int // arrow length between a lifeline and the NAT
	lines      []Line
}

// add appends lines of one part (of row, for PartRow).
func (d *drawing) add(part Part, row int, texts ...string) {
	for _, t := range texts {
		d.lines = append(d.lines, Line{Text: t, Part: part, Row: row})
	}
}

func newDrawing(l *Ladder, width int, g Glyphs) *drawing {
	d := &drawing{l: l, g: g, width: width, frameWidth: 3}
	for _, r := range l.Rows {
		for _, f := range r.Frames {
			if len(f.First) > 0 {
				d.frameWidth = max(d.frameWidth, len(itoa(f.First[0])))
			}
		}
	}
	fixed := timeWidth + 2 + d.frameWidth + 1 + 3 + 1 + 2
	if l.Two {
		fixed += d.frameWidth
	}
	d.seg = min(maxSegment, max(minSegment, (width-fixed-minLabelWidth)/2))
	return d
}

// diagramWidth is the width of the arrows' area: two lifelines, the NAT
// (or capture point) and the segments between them.
func (d *drawing) diagramWidth() int { return 2*d.seg + 3 }

// labelWidth is what a row's text may take.
func (d *drawing) labelWidth() int {
	w := d.width - timeWidth - 2 - d.frameWidth - 1 - d.diagramWidth() - 1 - 2
	if d.l.Two {
		w -= d.frameWidth
	}
	return max(w, 12)
}

func (d *drawing) header() {
	l := d.l
	when := ""
	if t := firstTime(l); !t.IsZero() {
		when = ", " + t.UTC().Format("2006-01-02")
	}
	if l.Two {
		d.add(PartHeader, -1, d.wrap("", l.Name+": what crossed "+l.Between()+"; times on the inside clock (UTC"+when+")")...)
	} else {
		d.add(PartHeader, -1, d.wrap("", l.Name+": one capture, taken at "+d.g.Point+"; where the NAT lies is not drawn; times UTC"+when)...)
	}
	d.add(PartHeader, -1, d.wrap("  host  ", endpointText(l.Host, l.Two, true))...)
	d.add(PartHeader, -1, d.wrap("  peer  ", endpointText(l.Peer, l.Two, false))...)
	mid := "NAT"
	switch {
	case !l.Two:
		mid = "cap"
	case !l.NAT:
		mid = "mid"
	}
	diagram := []rune(strings.Repeat(" ", d.diagramWidth()))
	put := func(at int, s string) {
		for i, r := range s {
			if at+i >= 0 && at+i < len(diagram) {
				diagram[at+i] = r
			}
		}
	}
	put(0, "host")
	put(d.seg+1-1, mid)
	put(d.diagramWidth()-4, "peer")
	head := textwidth.Pad("time", timeWidth) + "  " + textwidth.PadLeft("in#", d.frameWidth) + " " + string(diagram)
	if l.Two {
		head += " " + textwidth.PadLeft("out#", d.frameWidth)
	} else {
		head = textwidth.Pad("time", timeWidth) + "  " + textwidth.PadLeft("#", d.frameWidth) + " " + string(diagram)
	}
	d.add(PartColumns, -1, strings.TrimRight(head, " "))
}

// endpointText describes one end: its address inside, its role, and its
// address on the other side of the NAT when that differs.
func endpointText(e Endpoint, two, host bool) string {
	in, out := e.Addr[flows.SideInside], e.Addr[flows.SideOutside]
	switch {
	case !two:
		return in.String() + ", the " + e.Role
	case !in.IsValid():
		return out.String() + " (seen outside only), the " + e.Role
	case !out.IsValid():
		return in.String() + " (seen inside only), the " + e.Role
	case in == out:
		return in.String() + ", the " + e.Role
	case host:
		return in.String() + ", the " + e.Role + "; outside the NAT it is " + out.String()
	}
	return in.String() + ", the " + e.Role + "; outside the NAT it is " + out.String()
}

func firstTime(l *Ladder) time.Time {
	if len(l.Rows) > 0 {
		return l.Rows[0].Time
	}
	return time.Time{}
}

// row draws row i: its first line with the time, frames and arrow, and
// under it the rest of its text beside idle lifelines.
func (d *drawing) row(i int) {
	r := &d.l.Rows[i]
	text := d.g.Text(rowText(r, d.l, d.g))
	lines := textwidth.Wrap(text, d.labelWidth())
	// What decryption revealed starts a line of its own, marked, so that
	// it is never read as what the capture showed in cleartext.
	clear := len(lines)
	if r.Decrypted != "" {
		lines = append(lines, textwidth.Wrap(d.g.Text("decrypted: "+r.Decrypted), d.labelWidth())...)
	}
	decrypted := len(lines)
	if r.NotDecrypted != "" {
		lines = append(lines, textwidth.Wrap(d.g.Text("not decrypted: "+r.NotDecrypted), d.labelWidth())...)
	}
	inFrame, outFrame := firstFrame(r.Frames[flows.SideInside]), firstFrame(r.Frames[flows.SideOutside])
	prefix := textwidth.Pad(r.Time.UTC().Format("15:04:05.000"), timeWidth) + "  " + textwidth.PadLeft(inFrame, d.frameWidth) + " " + d.arrow(r)
	if d.l.Two {
		prefix += " " + textwidth.PadLeft(outFrame, d.frameWidth)
	}
	idle := strings.Repeat(" ", timeWidth) + "  " + strings.Repeat(" ", d.frameWidth) + " " + d.idle()
	if d.l.Two {
		idle += " " + strings.Repeat(" ", d.frameWidth)
	}
	for j, line := range lines {
		p := idle
		if j == 0 {
			p = prefix
		}
		d.add(PartRow, i, strings.TrimRight(p+"  "+line, " "))
		d.lines[len(d.lines)-1].Decrypted = j >= clear && j < decrypted
	}
}

func firstFrame(f Frames) string {
	if len(f.First) == 0 {
		return "-"
	}
	return itoa(f.First[0])
}

// idle is the diagram between rows: the lifelines and the NAT.
func (d *drawing) idle() string {
	cells := d.cells()
	return strings.Join(cells, "")
}

func (d *drawing) cells() []string {
	cells := make([]string, d.diagramWidth())
	for i := range cells {
		cells[i] = " "
	}
	cells[0], cells[len(cells)-1] = d.g.Life, d.g.Life
	if d.l.Two {
		cells[d.seg+1] = d.g.NAT
	} else {
		cells[d.seg+1] = d.g.Point
	}
	return cells
}

// arrow draws a row's packets between the ends: across the NAT, stopping
// at it, or starting there.
func (d *drawing) arrow(r *Row) string {
	c := d.cells()
	g := d.g
	last, nat := len(c)-1, d.seg+1
	shaft := func(from, to int) {
		for i := from; i <= to; i++ {
			c[i] = g.Shaft
		}
	}
	mark := func(s string) { c[nat] = s }
	fate := r.Fate(d.l.Two)
	if r.Dir == Out {
		switch fate {
		case FateLost, FateNotCompared:
			shaft(1, nat-2)
			c[nat-1] = g.Right
		case FateNoOrigin, FateFromNAT:
			shaft(nat+1, last-2)
			c[last-1] = g.Right
		default:
			shaft(1, last-2)
			c[nat] = d.natCell()
			c[last-1] = g.Right
		}
	} else {
		switch fate {
		case FateLost, FateNotCompared:
			shaft(nat+2, last-1)
			c[nat+1] = g.Left
		case FateNoOrigin, FateFromNAT:
			shaft(2, nat-1)
			c[1] = g.Left
		default:
			shaft(2, last-1)
			c[nat] = d.natCell()
			c[1] = g.Left
		}
	}
	switch fate {
	case FateLost, FatePartlyLost:
		mark(g.Lost)
	case FateModified:
		mark(g.Modified)
	case FateNotCompared, FateNoOrigin:
		mark(g.Unknown)
	case FateFromNAT:
		mark(g.FromNAT)
	}
	return strings.Join(c, "")
}

func (d *drawing) natCell() string {
	if d.l.Two {
		return d.g.NAT
	}
	return d.g.Point
}

// rowText is what a row says beside its arrow: its label, the packets it
// stands for, and the frames and fates a reader checks against the
// captures.
func rowText(r *Row, l *Ladder, g Glyphs) string {
	two := l.Two
	var b strings.Builder
	b.WriteString(r.Label)
	switch {
	case r.Kind.Run() && r.Count > 1:
		b.WriteString(" " + g.Count + words.Thousands(r.Count))
	case r.Resent > 0:
		b.WriteString(" " + g.Resent + itoa(r.Resent))
	}
	var more []string
	if f := framesText(r.Frames[flows.SideInside], g); f != "" {
		where := "frames "
		if two {
			where = "inside "
		}
		more = append(more, where+f)
	}
	if f := framesText(r.Frames[flows.SideOutside], g); f != "" && two {
		more = append(more, "outside "+f)
	}
	if r.Kind.Run() && r.Count > 1 && r.End.Sub(r.Time) >= time.Second {
		more = append(more, "until "+r.End.UTC().Format("15:04:05"))
	}
	switch {
	case r.Lost > 0 && r.Lost == r.Count && r.Count > 1:
		more = append(more, g.Lost+" all lost "+l.at())
	case r.Lost > 0 && r.Count == 1:
		more = append(more, g.Lost+" lost "+l.at())
	case r.Lost > 0:
		side := "inside"
		if r.Dir == In {
			side = "outside"
		}
		s := g.Lost + " " + words.Thousands(r.Lost) + " lost " + l.at() + " (" + side + " " + numbers(r.LostFrames, g)
		if r.Lost > len(r.LostFrames) {
			s += ", …"
		}
		more = append(more, s+")")
	}
	if r.Modified > 0 {
		more = append(more, g.Modified+" "+words.Thousands(r.Modified)+" changed")
	}
	if r.NoOrigin > 0 && !r.FromNAT {
		where := "outside"
		if r.Dir == In {
			where = "inside"
		}
		more = append(more, g.Unknown+" "+words.Thousands(r.NoOrigin)+" seen "+where+" only")
	}
	if r.NotCompared > 0 && two {
		more = append(more, g.Unknown+" "+words.Thousands(r.NotCompared)+" while only one capture was running")
	}
	more = append(more, r.Notes...)
	if len(more) > 0 {
		b.WriteString("; " + strings.Join(more, "; "))
	}
	return b.String()
}

// framesText lists a row's frames in one capture when there is more than
// the one shown in the frame column: all of them when few, else the range
// and count.
func framesText(f Frames, g Glyphs) string {
	switch {
	case f.N <= 1:
		return ""
	case f.N <= len(f.First):
		return numbers(f.First, g)
	}
	return itoa(f.First[0]) + g.Dash + itoa(f.Last) + " (" + words.Thousands(f.N) + ")"
}

// numbers lists frame numbers, runs of consecutive ones as ranges:
// "5–7, 9, 27".
func numbers(ns []int, g Glyphs) string {
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, itoa(ns[i]))
		case j == i+1:
			parts = append(parts, itoa(ns[i]), itoa(ns[j]))
		default:
			parts = append(parts, itoa(ns[i])+g.Dash+itoa(ns[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

func (d *drawing) footer() {
	for _, n := range d.l.Notes(d.g) {
		d.add(PartNote, -1, d.wrap("  ", n)...)
	}
}

// RowText is what row i says beside its arrow: its label, the packets it
// stands for, their frames and fates, as the text drawing writes it; not
// what decryption revealed (Row.Decrypted), which the drawing writes on
// lines of its own.
func (l *Ladder) RowText(i int, g Glyphs) string {
	return g.Text(rowText(&l.Rows[i], l, g))
}

// Notes are what a ladder says under its rows: the rows it left out, where
// it was cut, and the meaning of the marks its rows carry.
func (l *Ladder) Notes(g Glyphs) []string {
	var out []string
	if l.OmittedRows > 0 {
		out = append(out, g.Text("… and "+words.Count(l.OmittedRows, "more row")+" ("+words.Count(l.OmittedPackets, "packet")+") not drawn: a ladder draws its first "+itoa(MaxRows)+" rows"))
	}
	if l.Truncated {
		out = append(out, "the ladder ends at "+l.Until.UTC().Format("15:04:05.000")+": a capture holds more than "+words.Thousands(limitPackets)+" packets of "+l.Name)
	}
	if !l.Blind.IsZero() && l.Two && (len(l.Rows) == 0 || l.Rows[len(l.Rows)-1].End.After(l.Blind)) {
		out = append(out, "from "+l.Blind.UTC().Format("15:04:05.000")+" packets seen in one capture only are not compared: the captures hold too many packets of other tunnels and calls to keep, among which their counterparts may be")
	}
	used := map[Fate]bool{}
	resent, decrypted := false, false
	for i := range l.Rows {
		used[l.Rows[i].Fate(l.Two)] = true
		resent = resent || l.Rows[i].Resent > 0
		decrypted = decrypted || l.Rows[i].Decrypted != ""
	}
	var legend []string
	if used[FateLost] || used[FatePartlyLost] {
		legend = append(legend, g.Lost+" lost "+l.at())
	}
	if used[FateModified] {
		legend = append(legend, g.Modified+" changed beyond translation")
	}
	if used[FateNotCompared] || used[FateNoOrigin] {
		legend = append(legend, g.Unknown+" not compared")
	}
	if used[FateFromNAT] {
		legend = append(legend, g.FromNAT+" sent by the NAT")
	}
	if resent {
		legend = append(legend, g.Resent+"N: sent again N times")
	}
	if len(legend) > 0 {
		out = append(out, strings.Join(legend, ", "))
	}
	if decrypted {
		out = append(out, DecryptedNote)
	}
	return out
}

// wrap wraps text under a label, the continuation lines indented as far.
func (d *drawing) wrap(label, text string) []string {
	w := textwidth.Width(label)
	lines := textwidth.Wrap(d.g.Text(text), max(d.width-w, 20))
	for i := range lines {
		if i == 0 {
			lines[i] = label + lines[i]
		} else {
			lines[i] = strings.Repeat(" ", w) + lines[i]
		}
	}
	return lines
}
