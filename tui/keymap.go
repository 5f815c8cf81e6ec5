package tui

import (
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
	actTop
	actBottom
	actPageUp
	actPageDown
	actEnter
	actNextPane
	actPrevPane
	actPaneTunnels
	actPaneFindings
	actPanePackets
	actPaneDetail
	actPaneHex
	actFilter
	actEscape
	actSort
	actReverse
	actNextMark
	actPrevMark
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
		k(tcell.KeyLeft, actLeft, "scroll left; in the tree, close a node"),
		r('h', actLeft, "scroll left; in the tree, close a node"),
		k(tcell.KeyRight, actRight, "scroll right; in the tree, open a node"),
		r('l', actRight, "scroll right; in the tree, open a node"),
		k(tcell.KeyHome, actTop, "go to the first row"),
		r('g', actTop, "go to the first row"),
		k(tcell.KeyEnd, actBottom, "go to the last row"),
		r('G', actBottom, "go to the last row"),
		k(tcell.KeyPgUp, actPageUp, "page up"),
		k(tcell.KeyCtrlB, actPageUp, "page up"),
		k(tcell.KeyPgDn, actPageDown, "page down"),
		k(tcell.KeyCtrlF, actPageDown, "page down"),
		r(' ', actPageDown, "page down"),
		k(tcell.KeyEnter, actEnter, "open: packets of a tunnel, evidence of a finding, a tree node"),
		k(tcell.KeyTab, actNextPane, "next pane"),
		k(tcell.KeyBacktab, actPrevPane, "previous pane"),
		r('1', actPaneTunnels, "go to tunnels and flows"),
		r('2', actPaneFindings, "go to findings"),
		r('3', actPanePackets, "go to packets"),
		r('4', actPaneDetail, "go to the decode tree"),
		r('5', actPaneHex, "go to the bytes"),
		r('/', actFilter, "filter tunnels and flows (esp, ike, spi=0x…, 10.0.0.2, port 4500, severity>=warning, tunnel=2, pptp, session=1)"),
		k(tcell.KeyEscape, actEscape, "close help or the filter bar; clear the filter"),
		r('s', actSort, "sort tunnels and flows by the next column"),
		r('S', actReverse, "reverse the sort order"),
		r('n', actNextMark, "next dropped or modified packet"),
		r('N', actPrevMark, "previous dropped or modified packet"),
		r('o', actOtherSide, "show the other capture's copy of a matched packet"),
		r('w', actWrite, "write the selected tunnel's packets to pcap files for Wireshark"),
		r('?', actHelp, "show or hide this help"),
		r('q', actQuit, "quit"),
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
		e.keys = append(e.keys, keyName(b))
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
