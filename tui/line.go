package tui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
)

// scell is one character of a line being laid out, with its style and its
// width in cells (1, or 2 for a wide character).
type scell struct {
	r  rune
	w  int
	st tcell.Style
}

// line is a styled line of text, laid out before it is drawn so that it can
// be scrolled sideways and cut with an ellipsis at either end.
type line []scell

// add appends text in a style. Control characters, which a capture's
// strings may hold, are shown as "?" rather than sent to the terminal.
func (l line) add(text string, st tcell.Style) line {
	for _, r := range text {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			r = '?'
		}
		w := runewidth.RuneWidth(r)
		if w == 0 {
			continue
		}
		l = append(l, scell{r, w, st})
	}
	return l
}

// pad appends n spaces in a style.
func (l line) pad(n int, st tcell.Style) line {
	for range n {
		l = append(l, scell{' ', 1, st})
	}
	return l
}

// width is the line's width in cells.
func (l line) width() int {
	n := 0
	for _, c := range l {
		n += c.w
	}
	return n
}

// draw draws the cells [hoff, hoff+width) of the line at (x, y), filling
// what the line leaves with fill. Where the line goes on beyond the right
// edge the last cell shows "…", and where it was scrolled past at the left
// the first cell does: text is never cut without a sign of it.
func (l line) draw(screen tcell.Screen, x, y, width, hoff int, fill tcell.Style) {
	if width <= 0 {
		return
	}
	for i := range width {
		screen.SetContent(x+i, y, ' ', nil, fill)
	}
	total := l.width()
	pos := 0
	for _, c := range l {
		start := pos
		pos += c.w
		if start < hoff || pos > hoff+width {
			continue // off screen, or a wide character across an edge
		}
		screen.SetContent(x+start-hoff, y, c.r, nil, c.st)
	}
	if total > hoff+width {
		screen.SetContent(x+width-1, y, '…', nil, l.styleAt(hoff+width-1, fill))
	}
	if hoff > 0 && total > 0 {
		screen.SetContent(x, y, '…', nil, l.styleAt(hoff, fill))
	}
}

// styleAt returns the style of the character at a cell position, or fill
// past the end.
func (l line) styleAt(at int, fill tcell.Style) tcell.Style {
	pos := 0
	for _, c := range l {
		if at < pos+c.w {
			return c.st
		}
		pos += c.w
	}
	return fill
}

// cut shortens text to at most width cells, ending it with "…" when it is
// cut.
func cut(text string, width int) string {
	if width <= 0 {
		return ""
	}
	if runewidth.StringWidth(text) <= width {
		return text
	}
	return runewidth.Truncate(text, width, "…")
}
