package tui

import (
	"strconv"
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
//	[1] tunnels & flows | [2] findings   (wide: side by side; narrow: one above the other)
//	[3] packets or [6] the ladder (the one of the two used last)
//	[4] decode tree     | [5] bytes      (narrow: the one of the two used last)
//	filter or search bar (while editing or filtering)
//	verdict of the selected tunnel
//	status line and key hints
//
// The findings stay in view at every size: on a narrow screen they take
// the lines their list needs (at most three findings) unless they have the
// focus, and their explanation shows when there is room. On a screen lower
// than tallHeight (an 80×24 terminal) the panes have a title line instead
// of a frame, the pane with the focus gets more of the height and the
// verdict one line. Zoomed (+), the pane with the focus takes the
// whole screen between the title bar and the verdict.
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

// framed is what the layout needs of a pane to give it a frame or a title
// line: every pane is a tview.Box underneath.
type framed interface {
	View
	SetBorder(bool) *tview.Box
	SetTitle(string) *tview.Box
	frameTitle() string
}

// paneTitle is the title line of a pane without a frame.
type paneTitle struct {
	*tview.Box
	a *App
	v View
}

// Draw draws "─ [1] Tunnels & flows (…) ───", with ═ for the pane with the
// focus.
func (t *paneTitle) Draw(screen tcell.Screen) {
	x, y, w, _ := t.GetRect()
	st := t.a.st
	rule, style := "─", st.border
	text := st.normal
	if t.v.HasFocus() {
		rule, text = "═", st.normal.Bold(true)
	}
	var l line
	l = l.add(rule+" ", style).add(cut(t.a.paneLabel(t.v), max(1, w-4)), text).add(" ", style)
	for l.width() < w {
		l = l.add(rule, style)
	}
	l.draw(screen, x, y, w, 0, st.normal)
}

// paneLabel is a pane's title with its number key: "[1] Tunnels & flows
// (14 of 14, default order)".
func (a *App) paneLabel(v View) string {
	title := v.Title()
	if f, ok := v.(framed); ok {
		title = f.frameTitle()
	}
	for i, p := range a.panes() {
		if p == v {
			return "[" + strconv.Itoa(i+1) + "] " + title
		}
	}
	return title
}

// arrange returns the primitives to draw and where, for a root of the
// given rectangle.
func (l *layout) arrange(x, y, w, h int) []placed {
	a := l.a
	if w <= 0 || h <= 0 {
		return nil
	}
	tall := h >= tallHeight
	pl := &placer{tall: tall, titles: a.titles}
	put, pane := pl.put, pl.pane
	put(a.titleBar, x, y, w, 1)
	verdictH := 1
	if tall {
		verdictH = 2
	}
	// The status line takes two lines for a message longer than one,
	// such as the path an export wrote.
	statusH := 1
	if runewidth.StringWidth(a.message) > w && h >= 12 {
		statusH = 2
	}
	bars := a.barsShown()
	bottom := statusH + verdictH + len(bars)
	focus := a.focused()
	if h < 1+bottom+3 {
		// Too small for panes: show the focused one alone.
		if focus != nil && h > 1 {
			pane(focus, x, y+1, w, h-1)
		}
		return pl.out
	}
	put(a.status, x, y+h-statusH, w, statusH)
	put(a.verdict, x, y+h-statusH-verdictH, w, verdictH)
	for i, b := range bars {
		put(b, x, y+h-bottom+i, w, 1)
	}
	top, avail := y+1, h-1-bottom
	if a.zoomed && focus != nil {
		pane(focus, x, top, w, avail)
		return pl.out
	}
	// The bands from the top: tunnels (and the findings beside them when
	// wide), the findings when narrow, the packets, the tree and bytes.
	wide := w >= splitTopWidth
	heights := l.bandHeights(avail, wide, tall, focus)
	yy := top
	if wide {
		left := w * 3 / 5
		pane(a.tunnels, x, yy, left, heights[0])
		pane(a.findings, x+left, yy, w-left, heights[0])
		yy += heights[0]
	} else {
		pane(a.tunnels, x, yy, w, heights[0])
		pane(a.findings, x, yy+heights[0], w, heights[1])
		yy += heights[0] + heights[1]
	}
	pane(a.band2, x, yy, w, heights[2])
	yy += heights[2]
	if w >= splitBottomWidth {
		// The bytes pane takes what a dump of 8 (16 when there is room)
		// bytes a line needs; the decode tree, whose lines are long, the
		// rest.
		hexW := 41
		if w >= 150 {
			hexW = 75
		}
		pane(a.detail, x, yy, w-hexW, heights[3])
		pane(a.hex, x+w-hexW, yy, hexW, heights[3])
	} else {
		pane(a.band3, x, yy, w, heights[3])
	}
	return pl.out
}

// bandHeights divides avail rows among the four bands from the top
// (tunnels, findings when narrow, packets or ladder, decode tree and
// bytes) by their weights, and gives what a short list does not need to
// the bands below.
func (l *layout) bandHeights(avail int, wide, tall bool, focus View) []int {
	a := l.a
	chrome := 1 // a title line
	if tall {
		chrome = 2 // a frame
	}
	weights, fixed := l.bandShares(wide, tall, chrome, focus)
	flexible := avail
	for _, f := range fixed {
		flexible -= f
	}
	heights := split(max(0, flexible), weights)
	for i, f := range fixed {
		heights[i] += f
	}
	// A list shorter than its band gives the rest to the packets, then
	// to the decode tree; the packets only once they are read, so that
	// the bands do not jump while a selection's packets load.
	need := []int{-1, -1, -1, -1}
	if a.band2 == View(a.packets) && a.packets.load != nil && a.packets.loading == "" {
		need[2] = chrome + 1 + max(1, a.packets.content.rowCount())
	}
	if !wide {
		need[0] = chrome + 1 + max(1, a.tunnels.content.rowCount())
	}
	surplus := 0
	for i, n := range need {
		if n >= 0 && heights[i] > n {
			surplus += heights[i] - n
			heights[i] = n
		}
	}
	for _, i := range []int{2, 3} {
		room := surplus
		if need[i] >= 0 {
			room = min(surplus, need[i]-heights[i])
		}
		heights[i] += room
		surplus -= room
	}
	return heights
}

// bandShares returns each band's weight in the rows left to share, and the
// rows it takes before that (the findings' list when narrow); chrome is a
// pane's frame or title line.
func (l *layout) bandShares(wide, tall bool, chrome int, focus View) (weights, fixed []int) {
	a := l.a
	weights = []int{2, 0, 3, 2}
	if tall {
		weights = []int{3, 0, 4, 4}
	}
	fixed = []int{0, 0, 0, 0}
	if !wide {
		if focus == View(a.findings) {
			weights[1] = weights[0]
		} else {
			// The findings take the lines their list needs: at most three
			// findings, two on a low screen.
			most := 3
			if !tall {
				most = 2
			}
			fixed[1] = chrome + 1 + max(1, min(most, a.findings.content.rowCount()))
		}
	}
	if tall && focus == View(a.ladder) {
		// A ladder's header and heading take four lines: it gets more
		// even on a tall screen.
		weights[2] += 4
	}
	if !tall {
		// The pane with the focus gets more.
		bonus := 2
		switch focus {
		case View(a.tunnels):
			weights[0] += bonus
		case View(a.findings):
			if wide {
				weights[0] += bonus
			} else {
				weights[1] += bonus
			}
		case View(a.packets), View(a.ladder):
			weights[2] += bonus
		case View(a.detail), View(a.hex):
			weights[3] += bonus
		}
	}
	return weights, fixed
}

// placer collects what arrange places, in drawing order.
type placer struct {
	out    []placed
	tall   bool
	titles map[View]*paneTitle
}

// put places a primitive, unless its rectangle is empty.
func (pl *placer) put(p tview.Primitive, px, py, pw, ph int) {
	if pw > 0 && ph > 0 {
		pl.out = append(pl.out, placed{p, px, py, pw, ph, false})
	}
}

// pane puts a pane with its frame, or with a title line on a low screen.
func (pl *placer) pane(v View, px, py, pw, ph int) {
	if pw <= 0 || ph <= 0 {
		return
	}
	if pl.tall || ph < 2 {
		pl.out = append(pl.out, placed{v, px, py, pw, ph, true})
		return
	}
	pl.put(pl.titles[v], px, py, pw, 1)
	pl.out = append(pl.out, placed{v, px, py + 1, pw, ph - 1, false})
}

// placed is a primitive and its rectangle; framed says whether a pane
// draws its frame.
type placed struct {
	p          tview.Primitive
	x, y, w, h int
	framed     bool
}

// split divides n rows by weights, giving the remainder to the first
// bands that have a weight.
func split(n int, weights []int) []int {
	total := 0
	for _, w := range weights {
		total += w
	}
	out := make([]int, len(weights))
	if total == 0 {
		return out
	}
	used := 0
	for i, w := range weights {
		out[i] = n * w / total
		used += out[i]
	}
	for i := 0; used < n; i = (i + 1) % len(out) {
		if weights[i] > 0 {
			out[i]++
			used++
		}
	}
	return out
}

// Draw places and draws the panes.
func (l *layout) Draw(screen tcell.Screen) {
	x, y, w, h := l.GetRect()
	for _, pl := range l.arrange(x, y, w, h) {
		if f, ok := pl.p.(framed); ok {
			f.SetBorder(pl.framed)
			f.SetTitle(" " + tview.Escape(l.a.paneLabel(f)) + " ")
		}
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

// HasFocus reports whether a pane or a bar has the focus.
func (l *layout) HasFocus() bool {
	for _, p := range l.a.panes() {
		if p.HasFocus() {
			return true
		}
	}
	return l.a.filter.HasFocus() || l.a.search.HasFocus()
}

// InputHandler passes keys to the primitive with the focus: the App's
// input capture has handled every key but what the bars type.
func (l *layout) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return l.WrapInputHandler(func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
		for _, bar := range []tview.Primitive{l.a.filter, l.a.search} {
			if bar.HasFocus() {
				if h := bar.InputHandler(); h != nil {
					h(event, setFocus)
				}
				return
			}
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
