package tui

import (
	"slices"
	"strings"

	"github.com/gdamore/tcell/v2"
)

// action is what a key does. Views interpret the navigation actions in
// their own terms (a table moves its selection, the tree opens a node, the
// hex view scrolls); the others are the App's.
type action uint8

// The actions, in the order the help lists them.
const (
	actNone action = iota
	actUp
	actDown
	actLeft
	actRight
	actScrollLeft
	actScrollRight
	actTop
	actBottom
	actPageUp
	actPageDown
	actEnter
	actEscape
	actBack
	actNextPane
	actPrevPane
	actPaneTunnels
	actPaneFindings
	actPanePackets
	actPaneDetail
	actPaneHex
	actPaneLadder
	actZoom
	actFilter
	actSearch
	actNextMatch
	actPrevMatch
	actNextEvidence
	actPrevEvidence
	actTextDown
	actTextUp
	actSort
	actReverse
	actOtherSide
	actWrite
	actHelp
	actQuit
)

// binding is one entry of the keymap: a key (with the rune for KeyRune and
// the modifiers that must be held), the action it triggers, and the help
// text. The keymap is data: the same slice dispatches keys and writes the
// help overlay, so they cannot disagree.
type binding struct {
	key  tcell.Key
	r    rune
	mod  tcell.ModMask
	act  action
	help string
}

// defaultKeymap returns the keys: arrows and vi keys for moving, Tab
// between panes, and one letter per command. It returns a new slice each
// time so that an App may change its own copy.
func defaultKeymap() []binding {
	k := func(key tcell.Key, act action, help string) binding { return binding{key: key, act: act, help: help} }
	r := func(ch rune, act action, help string) binding {
		return binding{key: tcell.KeyRune, r: ch, act: act, help: help}
	}
	return []binding{
		k(tcell.KeyUp, actUp, "move up"),
		r('k', actUp, "move up"),
		k(tcell.KeyDown, actDown, "move down"),
		r('j', actDown, "move down"),
		k(tcell.KeyLeft, actLeft, "scroll left; in the decode tree, close a node"),
		r('h', actLeft, "scroll left; in the decode tree, close a node"),
		k(tcell.KeyRight, actRight, "scroll right; in the decode tree, open a node"),
		r('l', actRight, "scroll right; in the decode tree, open a node"),
		r('H', actScrollLeft, "scroll left by half a pane (the decode tree too)"),
		r('L', actScrollRight, "scroll right by half a pane (the decode tree too)"),
		k(tcell.KeyHome, actTop, "go to the first row"),
		r('g', actTop, "go to the first row"),
		k(tcell.KeyEnd, actBottom, "go to the last row"),
		r('G', actBottom, "go to the last row"),
		k(tcell.KeyPgUp, actPageUp, "page up"),
		k(tcell.KeyCtrlB, actPageUp, "page up"),
		k(tcell.KeyPgDn, actPageDown, "page down"),
		r(' ', actPageDown, "page down"),
		k(tcell.KeyEnter, actEnter, "open: packets of a tunnel, evidence of a finding, a tree node, a ladder row's frame"),
		k(tcell.KeyEscape, actEscape, "go back (after Enter, a jump or a filter); first closes help, a bar or a dialog"),
		k(tcell.KeyBackspace2, actBack, "go back, as a browser does"),
		k(tcell.KeyBackspace, actBack, "go back, as a browser does"),
		k(tcell.KeyTab, actNextPane, "next pane"),
		k(tcell.KeyBacktab, actPrevPane, "previous pane"),
		r('1', actPaneTunnels, "go to [1] tunnels and flows"),
		r('2', actPaneFindings, "go to [2] findings"),
		r('3', actPanePackets, "go to [3] packets"),
		r('4', actPaneDetail, "go to [4] the decode tree"),
		r('5', actPaneHex, "go to [5] the bytes"),
		r('6', actPaneLadder, "go to [6] the ladder of what crossed the NAT (in the packets' place)"),
		r('+', actZoom, "zoom the pane to the whole screen; + again restores"),
		r('/', actFilter, "filter tunnels and flows; in the packets pane, search the packets"),
		k(tcell.KeyCtrlF, actSearch, "search the packets (host, port, spi, kind, frame: as dump --filter)"),
		r('n', actNextMatch, "next packet the search matches; without a search, next lost or modified one"),
		r('N', actPrevMatch, "previous packet the search matches (or lost or modified one)"),
		r('e', actNextEvidence, "next evidence packet (marked ●: a finding names it)"),
		r('E', actPrevEvidence, "previous evidence packet"),
		r('J', actTextDown, "scroll the finding's explanation down"),
		r('K', actTextUp, "scroll the finding's explanation up"),
		r('s', actSort, "sort tunnels and flows by the next column"),
		r('S', actReverse, "reverse the sort order"),
		r('o', actOtherSide, "decode of the other capture's copy; side by side when wide enough"),
		r('w', actWrite, "export the packets of the tunnel, call or flow to a pcapng file"),
		r('?', actHelp, "show or hide this help"),
		r('q', actQuit, "quit (in the help: close it)"),
	}
}

// lookup returns the action bound to a key event, or actNone.
func lookup(km []binding, ev *tcell.EventKey) action {
	for _, b := range km {
		if b.key != ev.Key() {
			continue
		}
		if b.key == tcell.KeyRune {
			if b.r == ev.Rune() && ev.Modifiers()&(tcell.ModAlt|tcell.ModCtrl) == b.mod {
				return b.act
			}
			continue
		}
		// Shift is part of the key for Backtab and implied for control
		// keys in some terminals; only Alt and Ctrl must agree.
		if ev.Modifiers()&tcell.ModAlt == b.mod&tcell.ModAlt {
			return b.act
		}
	}
	return actNone
}

// keyName names a binding's key as the help shows it.
func keyName(b binding) string {
	if b.key == tcell.KeyRune {
		if b.r == ' ' {
			return "Space"
		}
		return string(b.r)
	}
	switch b.key {
	case tcell.KeyUp:
		return "↑"
	case tcell.KeyDown:
		return "↓"
	case tcell.KeyLeft:
		return "←"
	case tcell.KeyRight:
		return "→"
	case tcell.KeyBacktab:
		return "Shift-Tab"
	case tcell.KeyEscape:
		return "Esc"
	case tcell.KeyEnter:
		return "Enter"
	case tcell.KeyTab:
		return "Tab"
	case tcell.KeyPgUp:
		return "PgUp"
	case tcell.KeyPgDn:
		return "PgDn"
	case tcell.KeyBackspace, tcell.KeyBackspace2:
		return "Backspace"
	}
	if name, ok := tcell.KeyNames[b.key]; ok {
		return name
	}
	return "?"
}

// helpLines renders the keymap for the help overlay: one line per action,
// with every key bound to it, in keymap order.
func helpLines(km []binding) []string {
	type entry struct {
		keys []string
		help string
	}
	var order []action
	entries := map[action]*entry{}
	for _, b := range km {
		e := entries[b.act]
		if e == nil {
			e = &entry{help: b.help}
			entries[b.act] = e
			order = append(order, b.act)
		}
		if name := keyName(b); !slices.Contains(e.keys, name) {
			e.keys = append(e.keys, name)
		}
	}
	width := 0
	for _, a := range order {
		if n := len([]rune(strings.Join(entries[a].keys, " "))); n > width {
			width = n
		}
	}
	lines := make([]string, 0, len(order))
	for _, a := range order {
		e := entries[a]
		keys := strings.Join(e.keys, " ")
		lines = append(lines, keys+strings.Repeat(" ", width-len([]rune(keys)))+"  "+e.help)
	}
	return lines
}
