package tui

import (
	"fmt"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// hexView shows the selected frame's bytes as a hex dump — offset, bytes,
// and their printable characters — with the bytes of the field selected in
// the decode tree highlighted. It fits 16, 8 or 4 bytes to a line,
// whichever the width allows.
type hexView struct {
	*tview.Box
	a      *App
	data   []byte
	msg    string // shown when there are no bytes
	mark   [2]int // highlighted bytes [mark[0], mark[1])
	top    int    // first line shown
	reveal bool   // scroll the mark into view at the next draw
	lines  int    // lines of the dump at the last draw's width
	height int    // inner height at the last draw
	// of names the frame shown, for the title: "frame 27 of inside.pcap".
	of string
}

var _ View = (*hexView)(nil)

// newHexView builds the pane.
func newHexView(a *App) *hexView {
	h := &hexView{Box: tview.NewBox(), a: a, msg: "No packet selected."}
	a.st.box(h.Box, h.Title())
	return h
}

// Title names the pane.
func (h *hexView) Title() string { return "Bytes" }

// frameTitle is the pane's title: the frame whose bytes it shows.
func (h *hexView) frameTitle() string {
	if h.of == "" || len(h.data) == 0 {
		return h.Title()
	}
	return h.Title() + " of " + h.of
}

// setData shows a frame's bytes, or a message when there are none; of
// names the frame.
func (h *hexView) setData(data []byte, msg, of string) {
	h.data, h.msg, h.of = data, msg, of
	h.mark = [2]int{}
	h.top = 0
}

// setMark highlights bytes and scrolls them into view.
func (h *hexView) setMark(start, end int) {
	if start < 0 || end > len(h.data) || end <= start {
		h.mark = [2]int{}
		return
	}
	h.mark = [2]int{start, end}
	h.reveal = true
}

// perLine chooses the bytes per line for an inner width.
func (h *hexView) perLine(width int) int {
	offW := h.offsetWidth()
	for _, n := range []int{16, 8, 4} {
		if offW+3+4*n <= width {
			return n
		}
	}
	return 4
}

// offsetWidth is the number of hex digits of the offset column.
func (h *hexView) offsetWidth() int {
	if len(h.data) > 0xffff {
		return 6
	}
	return 4
}

// Draw draws the dump inside the frame.
func (h *hexView) Draw(screen tcell.Screen) {
	h.DrawForSubclass(screen, h)
	x, y, w, ht := h.GetInnerRect()
	if w <= 0 || ht <= 0 {
		return
	}
	st := h.a.st
	h.height = ht
	if len(h.data) == 0 {
		for i, l := range wrapWords(h.msg, w) {
			if i < ht {
				line(nil).add(l, st.dim).draw(screen, x, y+i, w, 0, st.normal)
			}
		}
		h.lines = 0
		return
	}
	n := h.perLine(w)
	h.lines = (len(h.data) + n - 1) / n
	if h.reveal {
		h.reveal = false
		first, last := h.mark[0]/n, (h.mark[1]-1)/n
		switch {
		case first < h.top:
			h.top = first
		case last >= h.top+ht:
			h.top = min(first, last-ht+1)
		}
	}
	h.top = max(0, min(h.top, h.lines-ht))
	offW := h.offsetWidth()
	for line := 0; line < ht && h.top+line < h.lines; line++ {
		start := (h.top + line) * n
		cx := x
		put := func(s string, style tcell.Style) {
			for _, r := range s {
				if cx < x+w {
					screen.SetContent(cx, y+line, r, nil, style)
				}
				cx++
			}
		}
		put(fmt.Sprintf("%0*x  ", offW, start), st.dim)
		for i := 0; i < n; i++ {
			if start+i >= len(h.data) {
				put("   ", st.normal)
				continue
			}
			style := st.normal
			if h.marked(start + i) {
				style = st.hexMark
			}
			put(fmt.Sprintf("%02x", h.data[start+i]), style)
			// The gap after a byte is marked when the next one is too,
			// so that a field reads as one block.
			gap := st.normal
			if h.marked(start+i) && h.marked(start+i+1) && i+1 < n {
				gap = st.hexMark
			}
			put(" ", gap)
		}
		put(" ", st.normal)
		for i := 0; i < n && start+i < len(h.data); i++ {
			c := h.data[start+i]
			r := '.'
			if c >= 0x20 && c < 0x7f {
				r = rune(c)
			}
			style := st.normal
			if h.marked(start + i) {
				style = st.hexMark
			}
			put(string(r), style)
		}
	}
}

// marked reports whether byte i is highlighted.
func (h *hexView) marked(i int) bool { return i >= h.mark[0] && i < h.mark[1] }

// scroll moves the view by lines.
func (h *hexView) scroll(lines int) {
	h.top = max(0, min(h.top+lines, h.lines-h.height))
}

// Do scrolls the dump.
func (h *hexView) Do(act action) bool {
	page := max(1, h.height-1)
	switch act {
	case actUp:
		h.scroll(-1)
	case actDown:
		h.scroll(1)
	case actPageUp:
		h.scroll(-page)
	case actPageDown:
		h.scroll(page)
	case actTop:
		h.top = 0
	case actBottom:
		h.scroll(h.lines)
	default:
		return false
	}
	return true
}

// MouseHandler scrolls with the wheel and takes the focus on a click.
func (h *hexView) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return h.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if !h.InRect(event.Position()) {
			return false, nil
		}
		switch action {
		case tview.MouseLeftDown, tview.MouseLeftClick:
			setFocus(h)
			return true, nil
		case tview.MouseScrollUp:
			h.scroll(-1)
			return true, nil
		case tview.MouseScrollDown:
			h.scroll(1)
			return true, nil
		}
		return false, nil
	})
}
