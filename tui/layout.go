package tui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
	"github.com/rivo/tview"
)

// layout is the root of the main screen. It places the panes by the
// screen's size at every draw, so that a resize needs nothing more than a
// redraw:
//
//	title bar
//	tunnels & flows | findings        (wide: side by side)
//	packets
//	decode tree     | bytes
//	filter bar (while editing or filtering)
//	verdict of the selected tunnel
//	status line and key hints
//
// A band shows its two panes side by side when the screen is wide enough
// for both (splitTopWidth for the tables, splitBottomWidth for the tree and
// the bytes); otherwise it shows one — the one of its pair used last. On a
// screen lower than tallHeight (an 80×24 terminal) the band with the focus
// gets half the height and the verdict one line.
type layout struct {
	*tview.Box
	a *App
}

// Sizes at which the layout changes.
const (
	splitTopWidth    = 120
	splitBottomWidth = 100
	tallHeight       = 28
)

// arrange returns the primitives to draw and where, for a root of the
// given rectangle.
func (l *layout) arrange(x, y, w, h int) []placed {
	a := l.a
	var out []placed
	if w <= 0 || h <= 0 {
		return nil
	}
	put := func(p tview.Primitive, px, py, pw, ph int) {
		if pw > 0 && ph > 0 {
			out = append(out, placed{p, px, py, pw, ph})
		}
	}
	put(a.titleBar, x, y, w, 1)
	tall := h >= tallHeight
	verdictH := 1
	if tall {
		verdictH = 2
	}
	bottom := 1 + verdictH
	if a.filterShown() {
		bottom++
	}
	if h < 1+bottom+3 {
		// Too small for panes: show the focused one alone.
		if f := a.focused(); f != nil && h > 1 {
			put(f, x, y+1, w, h-1)
		}
		return out
	}
	put(a.status, x, y+h-1, w, 1)
	put(a.verdict, x, y+h-1-verdictH, w, verdictH)
	if a.filterShown() {
		put(a.filter, x, y+h-bottom, w, 1)
	}
	top, avail := y+1, h-1-bottom
	var weights [3]int
	if tall {
		weights = [3]int{3, 4, 4}
	} else {
		weights = [3]int{1, 1, 1}
		weights[a.band(a.focused())] = 2
	}
	heights := split(avail, weights[:])
	y1, y2 := top+heights[0], top+heights[0]+heights[1]
	if w >= splitTopWidth {
		left := w * 3 / 5
		put(a.tunnels, x, top, left, heights[0])
		put(a.findings, x+left, top, w-left, heights[0])
	} else {
		put(a.band1, x, top, w, heights[0])
	}
	put(a.packets, x, y1, w, heights[1])
	if w >= splitBottomWidth {
		// The bytes pane takes what a dump of 8 (16 when there is room)
		// bytes a line needs; the decode tree, whose lines are long, the
		// rest.
		hexW := 41
		if w >= 150 {
			hexW = 75
		}
		put(a.detail, x, y2, w-hexW, heights[2])
		put(a.hex, x+w-hexW, y2, hexW, heights[2])
	} else {
		put(a.band3, x, y2, w, heights[2])
	}
	return out
}

// placed is a primitive and its rectangle.
type placed struct {
	p          tview.Primitive
	x, y, w, h int
}

// split divides n rows by weights, giving the remainder to the first
// bands.
func split(n int, weights []int) []int {
	total := 0
	for _, w := range weights {
		total += w
	}
	out := make([]int, len(weights))
	used := 0
	for i, w := range weights {
		out[i] = n * w / total
		used += out[i]
	}
	for i := 0; used < n; i = (i + 1) % len(out) {
		out[i]++
		used++
	}
	return out
}

// Draw places and draws the panes.
func (l *layout) Draw(screen tcell.Screen) {
	x, y, w, h := l.GetRect()
	for _, pl := range l.arrange(x, y, w, h) {
		pl.p.SetRect(pl.x, pl.y, pl.w, pl.h)
		pl.p.Draw(screen)
	}
}

// Focus gives the focus to the App's focused pane.
func (l *layout) Focus(delegate func(p tview.Primitive)) {
	if f := l.a.focused(); f != nil {
		delegate(f)
		return
	}
	delegate(l.a.tunnels)
}

// HasFocus reports whether a pane or the filter bar has the focus.
func (l *layout) HasFocus() bool {
	for _, p := range l.a.panes() {
		if p.HasFocus() {
			return true
		}
	}
	return l.a.filter.HasFocus()
}

// InputHandler passes keys to the primitive with the focus: the App's
// input capture has handled every key but what the filter bar types.
func (l *layout) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return l.WrapInputHandler(func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
		if l.a.filter.HasFocus() {
			if h := l.a.filter.InputHandler(); h != nil {
				h(event, setFocus)
			}
			return
		}
		if f := l.a.focused(); f != nil {
			if h := f.InputHandler(); h != nil {
				h(event, setFocus)
			}
		}
	})
}

// MouseHandler passes mouse events to the pane under the pointer.
func (l *layout) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return l.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		x, y, w, h := l.GetRect()
		for _, pl := range l.arrange(x, y, w, h) {
			if h := pl.p.MouseHandler(); h != nil {
				if consumed, capture := h(action, event, setFocus); consumed {
					return true, capture
				}
			}
		}
		return false, nil
	})
}

// lineView is a one-line bar: text on the left, text on the right, each
// cut with an ellipsis when the width is short. It draws its text as
// given: no style tags.
type lineView struct {
	*tview.Box
	left, right           string
	leftStyle, rightStyle tcell.Style
	fill                  tcell.Style
}

func newLineView(fill tcell.Style) *lineView {
	return &lineView{Box: tview.NewBox(), fill: fill, leftStyle: fill, rightStyle: fill}
}

// set changes the left text and its style.
func (v *lineView) set(text string, style tcell.Style) {
	v.left, v.leftStyle = text, style
}

// Draw draws the bar. A bar higher than one line wraps its left text at
// spaces and leaves out the right text.
func (v *lineView) Draw(screen tcell.Screen) {
	x, y, w, h := v.GetRect()
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			screen.SetContent(x+i, y+j, ' ', nil, v.fill)
		}
	}
	if h > 1 {
		lines := wrapWords(v.left, w)
		for j := 0; j < h && j < len(lines); j++ {
			line := lines[j]
			if j == h-1 && len(lines) > h {
				line += " " + strings.Join(lines[h:], " ")
			}
			printCut(screen, line, x, y+j, w, v.leftStyle)
		}
		return
	}
	rw := runewidth.StringWidth(v.right)
	if rw > w/2 || runewidth.StringWidth(v.left)+rw+1 > w {
		rw = 0 // the message first; the hints when there is room
	}
	printCut(screen, v.left, x, y, w-rw-1, v.leftStyle)
	if rw > 0 {
		printCut(screen, v.right, x+w-rw, y, rw, v.rightStyle)
	}
}

// wrapWords breaks text into lines of at most width cells at spaces (a
// word longer than the width gets a line of its own, cut when printed).
func wrapWords(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	curW := 0
	for _, word := range strings.Fields(text) {
		ww := runewidth.StringWidth(word)
		if curW > 0 && curW+1+ww > width {
			lines = append(lines, cur.String())
			cur.Reset()
			curW = 0
		}
		if curW > 0 {
			cur.WriteByte(' ')
			curW++
		}
		cur.WriteString(word)
		curW += ww
	}
	if curW > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// printCut prints text from (x, y) in at most width cells, ending with an
// ellipsis when it is cut.
func printCut(screen tcell.Screen, text string, x, y, width int, style tcell.Style) {
	if width <= 0 {
		return
	}
	if runewidth.StringWidth(text) > width {
		text = runewidth.Truncate(text, width, "…")
	}
	for _, r := range text {
		rw := runewidth.RuneWidth(r)
		if rw == 0 {
			continue
		}
		screen.SetContent(x, y, r, nil, style)
		x += rw
	}
}
