package tui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// View is one pane of the UI. It is a tview.Primitive — Draw(screen),
// SetRect, GetRect, InputHandler, MouseHandler, Focus, HasFocus and Blur,
// with tview's contract for each: Draw paints only inside the rectangle
// last given to SetRect and never blocks; the handlers run on the UI
// goroutine — plus what the App needs to drive a pane from the keymap.
//
// A View reads the model the App gives it and pulls the rows it draws by
// index (lists are virtual: see gridSource), so a capture of a million
// packets never becomes a million widgets. Views never start
// goroutines and never touch the screen outside Draw; they ask the App for
// background work.
type View interface {
	tview.Primitive
	// Do performs a keymap action and reports whether the view handled
	// it. Navigation actions move the view's selection or scroll it.
	Do(act action) bool
	// Title is the pane's name in its frame and in the help.
	Title() string
}

// navKey turns a navigation action into the key event tview's widgets
// understand, so that the help's text view scrolls as it would for the
// arrow keys.
func navKey(act action) (*tcell.EventKey, bool) {
	var k tcell.Key
	switch act {
	case actUp:
		k = tcell.KeyUp
	case actDown:
		k = tcell.KeyDown
	case actLeft:
		k = tcell.KeyLeft
	case actRight:
		k = tcell.KeyRight
	case actTop:
		k = tcell.KeyHome
	case actBottom:
		k = tcell.KeyEnd
	case actPageUp:
		k = tcell.KeyPgUp
	case actPageDown:
		k = tcell.KeyPgDn
	default:
		return nil, false
	}
	return tcell.NewEventKey(k, 0, tcell.ModNone), true
}

// forward sends a navigation action to a primitive as a key event.
func forward(p tview.Primitive, act action) bool {
	ev, ok := navKey(act)
	if !ok {
		return false
	}
	if h := p.InputHandler(); h != nil {
		h(ev, func(tview.Primitive) {})
	}
	return true
}
