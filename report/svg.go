package report

import (
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/textwidth"
	"github.com/vpnpcap/vpnpcap/ladder"
)

// The HTML report draws each ladder as SVG. This file lays a ladder out:
// where its lifelines stand, where each row's arrow starts and ends and
// what mark it carries at the NAT, and how its text wraps. The template
// (html.tmpl) draws the elements from these numbers.

// Geometry of an SVG ladder, in CSS pixels.
const (
	svgWidth      = 980
	svgTimeX      = 8
	svgInFrameX   = 150 // right edge of the inside frame numbers
	svgHostX      = 210
	svgNATX       = 340
	svgPeerX      = 470
	svgOutFrameX  = 482 // left edge of the outside frame numbers
	svgLabelX     = 536
	svgLifeTop    = 54 // where the lifelines start, under the ends' labels
	svgColumnsY   = 68 // the columns' headings
	svgTop        = 92 // first row's arrow
	svgLine       = 16 // height of a line of text
	svgRowGap     = 12
	svgLabelChars = 68 // characters of a label's line, at 12px
	// svgDecryptedChars is the same for what keys revealed, indented, in
	// payload names that run to capitals.
	svgDecryptedChars = 56
	svgLegendGap      = 28
)

// svgLadder is a ladder laid out for SVG.
type svgLadder struct {
	// ID prefixes the ids of the SVG's markers, unique in the page.
	ID                      string
	Title                   string
	Two                     bool
	Width, Height           int
	HostX, NATX, PeerX      int
	HostLabel, PeerLabel    []svgText
	MidLabel                string
	TimeX, InX, OutX, TextX int
	HeadY, LifeTop          int
	LifeEnd                 int
	Rows                    []svgRow
	Footer                  []svgText
	// DecryptedLegend, when set, says under the rows what the mark of
	// decrypted text means.
	DecryptedLegend *svgText
}

// svgRow is one row: an arrow from X1 to X2 at Y, a mark at the NAT, and
// the text beside it.
type svgRow struct {
	Y                       int
	Time, InFrame, OutFrame string
	X1, X2                  int
	Class                   string // what the arrow shows: crossed, lost, changed, unknown, nat, seen
	Mark                    string
	Lines                   []svgText
	// Decrypted are the lines that say what keys revealed, drawn apart
	// with a bar beside them from DecY1 to DecY2; the first starts with
	// the word "decrypted:" (its Label).
	Decrypted         []svgText
	DecY1, DecY2      int
	Band              bool // shade every other row
	BandY, BandHeight int
}

type svgText struct {
	Y int
	// Label, when set, is drawn in bold before the text.
	Label, Text string
}

// layoutLadder lays a ladder out; n numbers it in the page.
func layoutLadder(l *ladder.Ladder, n int) svgLadder {
	s := svgLadder{
		ID: "ladder-" + strconv.Itoa(n), Title: ladderTitle(l), Two: l.Two, Width: svgWidth,
		HostX: svgHostX, NATX: svgNATX, PeerX: svgPeerX,
		TimeX: svgTimeX, InX: svgInFrameX, OutX: svgOutFrameX, TextX: svgLabelX,
		HeadY: svgColumnsY, LifeTop: svgLifeTop,
		HostLabel: endLabel(l.Host, l.Two), PeerLabel: endLabel(l.Peer, l.Two), MidLabel: "NAT",
	}
	switch {
	case !l.Two:
		s.MidLabel = "capture"
	case !l.NAT:
		s.MidLabel = "between"
	}
	y := svgTop
	for i := range l.Rows {
		r := &l.Rows[i]
		row := svgRow{Y: y, Time: r.Time.UTC().Format("15:04:05.000"), Class: "seen", Band: i%2 == 1}
		row.InFrame = frameText(r.Frames[flows.SideInside])
		row.OutFrame = frameText(r.Frames[flows.SideOutside])
		row.X1, row.X2, row.Class, row.Mark = arrowOf(r, l.Two)
		text := l.RowText(i, ladder.UTF8)
		lineY := y + 4
		for _, line := range textwidth.Wrap(text, svgLabelChars) {
			row.Lines = append(row.Lines, svgText{Y: lineY, Text: line})
			lineY += svgLine
		}
		if r.Decrypted != "" {
			// Its own lines, indented beside a bar: never to be read as
			// the cleartext the capture shows.
			row.DecY1 = lineY - svgLine + 4
			for j, line := range textwidth.Wrap(decryptedWord+" "+r.Decrypted, svgDecryptedChars) {
				t := svgText{Y: lineY, Text: line}
				if j == 0 {
					t.Label, t.Text = decryptedWord, strings.TrimPrefix(line, decryptedWord+" ")
				}
				row.Decrypted = append(row.Decrypted, t)
				lineY += svgLine
			}
			row.DecY2 = lineY - svgLine + 6
		}
		if r.NotDecrypted != "" {
			for _, line := range textwidth.Wrap("not decrypted: "+r.NotDecrypted, svgLabelChars) {
				row.Lines = append(row.Lines, svgText{Y: lineY, Text: line})
				lineY += svgLine
			}
		}
		height := max(1, len(row.Lines)+len(row.Decrypted))*svgLine + svgRowGap
		row.BandY, row.BandHeight = y-svgLine+2, height
		s.Rows = append(s.Rows, row)
		y += height
	}
	s.LifeEnd = y
	for _, note := range ladderFooter(l) {
		if note == ladder.DecryptedNote {
			y += svgLine
			s.DecryptedLegend = &svgText{Y: y, Label: decryptedWord, Text: strings.TrimPrefix(note, decryptedWord+" ")}
			continue
		}
		for _, line := range textwidth.Wrap(note, 140) {
			y += svgLine
			s.Footer = append(s.Footer, svgText{Y: y, Text: line})
		}
	}
	s.Height = y + svgLegendGap
	return s
}

// decryptedWord marks what keys revealed, in every report.
const decryptedWord = "decrypted:"

func ladderTitle(l *ladder.Ladder) string {
	what := l.Name + ": what crossed " + l.Between() + " (times on the inside clock, UTC)"
	if !l.Two {
		what = l.Name + ": one capture; where the NAT lies is not drawn (times UTC)"
	}
	if len(l.Rows) > 0 {
		what += ", " + l.Rows[0].Time.UTC().Format("2006-01-02")
	}
	return what
}

// endLabel is the label over a lifeline, a line each: the address, its
// role, and its address beyond the NAT when that differs.
func endLabel(e ladder.Endpoint, two bool) []svgText {
	in, out := e.Addr[flows.SideInside], e.Addr[flows.SideOutside]
	lines := []string{in.String(), e.Role}
	switch {
	case !in.IsValid():
		lines[0] = out.String()
	case two && out.IsValid() && in != out:
		lines = append(lines, "outside: "+out.String())
	}
	out2 := make([]svgText, len(lines))
	for i, l := range lines {
		out2[i] = svgText{Y: 18 + i*13, Text: l}
	}
	return out2
}

func frameText(f ladder.Frames) string {
	if f.N == 0 {
		return "–"
	}
	return strconv.Itoa(f.First[0])
}

// arrowOf returns where a row's arrow starts and ends, what it shows and
// its mark at the NAT, as the text ladder draws it.
func arrowOf(r *ladder.Row, two bool) (x1, x2 int, class, mark string) {
	const gap = 4 // the arrow stops short of the lifeline it points at
	host, nat, peer := svgHostX, svgNATX, svgPeerX
	fate := r.Fate(two)
	toPeer := r.Dir == ladder.Out
	from, to := host, peer
	if !toPeer {
		from, to = peer, host
	}
	class = "crossed"
	switch fate {
	case ladder.FateSeen:
		class = "seen"
	case ladder.FateLost:
		to, class, mark = nat, "lost", "✗"
	case ladder.FateNotCompared:
		to, class, mark = nat, "unknown", "?"
	case ladder.FateNoOrigin:
		from, class, mark = nat, "unknown", "?"
	case ladder.FateFromNAT:
		from, class, mark = nat, "nat", "●"
	case ladder.FatePartlyLost:
		class, mark = "lost", "✗"
	case ladder.FateModified:
		class, mark = "changed", "~"
	}
	if to > from {
		to -= gap
	} else {
		to += gap
	}
	if from == nat {
		if to > from {
			from += 8
		} else {
			from -= 8
		}
	}
	if to == nat-gap || to == nat+gap {
		// Stop short of the mark drawn on the NAT.
		if to > from {
			to -= 6
		} else {
			to += 6
		}
	}
	return from, to, class, mark
}

// ladderFooter is what a ladder says under its rows.
func ladderFooter(l *ladder.Ladder) []string {
	return l.Notes(ladder.UTF8)
}
