package tui

import (
	"strconv"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// navState is where the user was: what a step back returns to. Enter on a
// tunnel, a packet or a finding, a search and a new filter each leave one
// behind; Esc and Backspace go back to it, as a browser goes back (and as
// Esc does in k9s).
type navState struct {
	focus   View
	filter  string
	row     *row // the selected row of the tunnels pane
	finding int  // the selected finding
	subject subject
	// side and frame are the selected packet; frame is 0 for none.
	side  flows.Side
	frame int
	// ladderRow is the ladder's selected row.
	ladderRow int
}

// maxHistory bounds the steps remembered.
const maxHistory = 100

// state returns where the user is.
func (a *App) state() navState {
	st := navState{
		focus:   a.focused(),
		filter:  a.filter.valid,
		row:     a.tunnels.selected(),
		finding: a.findings.list.selected(),
		subject: a.current,

		ladderRow: a.ladder.sel,
	}
	if r, ok := a.packets.selectedRow(); ok && a.load != nil {
		if p, s := a.load.first(r); p != nil {
			st.side, st.frame = s, p.Frame
		}
	}
	return st
}

// same reports whether two states are one place.
func (s navState) same(o navState) bool {
	return s.focus == o.focus && s.filter == o.filter && s.row == o.row && s.finding == o.finding &&
		s.subject.same(o.subject) && s.side == o.side && s.frame == o.frame && s.ladderRow == o.ladderRow
}

// push remembers where the user is, before a step away from it.
func (a *App) push() {
	a.pushState(a.state())
}

// pushState remembers a state, unless it is where the last step left from.
func (a *App) pushState(st navState) {
	if a.model == nil {
		return
	}
	if n := len(a.history); n > 0 && a.history[n-1].same(st) {
		return
	}
	if len(a.history) == maxHistory {
		a.history = append(a.history[:0], a.history[1:]...)
	}
	a.history = append(a.history, st)
}

// back returns to where the last step left from, and reports whether there
// was one.
func (a *App) back() bool {
	n := len(a.history)
	if n == 0 {
		return false
	}
	st := a.history[n-1]
	a.history = a.history[:n-1]
	a.restore(st)
	msg := "back"
	if st.focus != nil {
		msg += " to " + st.focus.Title()
	}
	if st.frame > 0 && st.subject.valid() {
		msg += ", frame " + strconv.Itoa(st.frame) + " of " + st.subject.name()
	}
	if n > 1 {
		msg += " (" + words.Count(n-1, "more step") + " back)"
	}
	a.setMessage(msg)
	return true
}

// restore goes to a state: the filter, the row and its packets, the
// packet (once the packets are read again), the finding and the pane.
func (a *App) restore(st navState) {
	if st.filter != a.filter.valid {
		a.filter.set(st.filter)
	}
	if st.row != nil {
		a.tunnels.selectRowOf(st.row)
	}
	a.show(st.subject)
	if st.finding >= 0 {
		a.findings.list.selectRow(st.finding)
	}
	if a.ladder.l != nil && a.loadCancel == nil && st.subject.same(a.load.subj) {
		a.ladder.selectRow(st.ladderRow)
	} else {
		a.ladder.pending = st.ladderRow
	}
	if st.frame > 0 {
		if a.load != nil && a.loadCancel == nil && st.subject.same(a.load.subj) {
			a.packets.selectFrame(st.side, st.frame)
		} else {
			a.pending = &pendingFrame{side: st.side, frame: st.frame}
		}
	}
	if st.focus != nil {
		a.focusPane(st.focus)
	}
}
