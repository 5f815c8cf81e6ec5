package tui

import "github.com/gdamore/tcell/v2"

// capture is the input capture: every key goes through the keymap, except
// what is typed into a bar or the export dialog.
func (a *App) capture(ev *tcell.EventKey) *tcell.EventKey {
	defer a.handled.Add(1)
	if ev.Key() == tcell.KeyCtrlC {
		a.quit()
		return nil
	}
	if a.export.open {
		return a.export.key(ev)
	}
	for _, bar := range []struct {
		focused bool
		close   func(apply bool)
	}{{a.filter.HasFocus(), a.filter.close}, {a.search.HasFocus(), a.search.close}} {
		if !bar.focused {
			continue
		}
		switch ev.Key() {
		case tcell.KeyEscape:
			bar.close(false)
			return nil
		case tcell.KeyEnter:
			bar.close(true)
			return nil
		}
		return ev
	}
	act := lookup(a.keys, ev)
	if a.help.on {
		switch act {
		case actHelp, actEscape, actBack, actQuit:
			a.toggleHelp()
		default:
			forward(a.help.text, act)
		}
		return nil
	}
	a.do(act)
	return nil
}

// do performs an action.
func (a *App) do(act action) {
	switch act {
	case actNone:
	case actQuit:
		a.quit()
	case actHelp:
		a.toggleHelp()
	case actFilter:
		if a.focused() == View(a.packets) {
			a.search.open()
		} else {
			a.filter.open()
		}
	case actSearch:
		a.focusPane(a.packets)
		a.search.open()
	case actEscape:
		a.escape()
	case actBack:
		if !a.back() {
			a.setMessage("nothing to go back to")
		}
	case actNextPane, actPrevPane:
		a.cyclePane(act == actPrevPane)
	case actPaneTunnels:
		a.focusPane(a.tunnels)
	case actPaneFindings:
		a.focusPane(a.findings)
	case actPanePackets:
		a.focusPane(a.packets)
	case actPaneDetail:
		a.focusPane(a.detail)
	case actPaneHex:
		a.focusPane(a.hex)
	case actPaneLadder:
		a.focusPane(a.ladder)
	case actZoom:
		a.toggleZoom()
	case actSort, actReverse:
		a.tunnels.Do(act)
	case actNextMatch, actPrevMatch:
		if a.focused() == View(a.ladder) {
			a.ladder.Do(act)
		} else {
			a.packets.Do(act)
		}
	case actNextEvidence, actPrevEvidence:
		step := 1
		if act == actPrevEvidence {
			step = -1
		}
		a.nextEvidence(step)
	case actTextDown, actTextUp:
		a.findings.Do(act)
	case actOtherSide:
		a.switchSide()
	case actWrite:
		a.openExport()
	default:
		if f := a.focused(); f != nil {
			f.Do(act)
		}
	}
	a.updateStatus()
}

// escape steps back (Esc): to where the last step left from, else it
// clears the filter, else the packet search.
func (a *App) escape() {
	switch {
	case a.back():
	case a.filter.applied():
		a.filter.clear()
		a.setMessage("filter cleared")
	case a.packets.search != nil:
		a.packets.setSearch(nil)
	default:
		a.setMessage("nothing to go back to")
	}
}

// cyclePane gives the focus to the next pane in Tab order, or to the
// previous one.
func (a *App) cyclePane(backwards bool) {
	ps := a.panes()
	i := 0
	for j, p := range ps {
		if p == a.focused() {
			i = j
		}
	}
	step := 1
	if backwards {
		step = len(ps) - 1
	}
	a.focusPane(ps[(i+step)%len(ps)])
}

// toggleZoom shows the pane with the focus alone (+), or all the panes
// again.
func (a *App) toggleZoom() {
	a.zoomed = !a.zoomed
	if a.zoomed {
		a.setMessage(a.focused().Title() + " zoomed: + restores the panes")
	} else {
		a.setMessage("")
	}
}
