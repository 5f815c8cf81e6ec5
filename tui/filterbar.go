package tui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// filterBar is the line where the filter expression of the tunnels-and-
// flows pane is typed. The filter applies as it is typed; a term that does
// not parse shows its error at the right of the bar and leaves the last
// valid filter in force. Enter closes the bar (an invalid expression keeps
// it open), Esc closes it and restores the filter it started with. The bar
// stays visible, unfocused, while a filter is in force.
type filterBar struct {
	*tview.Flex
	a       *App
	input   *tview.InputField
	errText *lineView
	editing bool
	before  string // the filter text when editing began
	valid   string // the last text that parsed
	bad     bool
	// from is where the user was when editing began: a new filter
	// leaves it in the history.
	from navState
}

func newFilterBar(a *App) *filterBar {
	f := &filterBar{Flex: tview.NewFlex(), a: a, input: tview.NewInputField(), errText: newLineView(a.st.errorMsg)}
	f.SetBackgroundColor(tcell.ColorDefault)
	f.input.SetLabel("/ ")
	f.input.SetLabelStyle(a.st.key)
	f.input.SetFieldStyle(a.st.normal.Underline(true))
	f.input.SetPlaceholder("esp, ike, 10.0.0.2, port 4500, spi=0x…, severity>=warning, tunnel=2")
	f.input.SetPlaceholderStyle(a.st.dim)
	f.input.SetBackgroundColor(tcell.ColorDefault)
	f.input.SetChangedFunc(f.changed)
	f.AddItem(f.input, 0, 3, true)
	f.AddItem(f.errText, 0, 2, false)
	return f
}

// open starts editing the filter.
func (f *filterBar) open() {
	f.editing = true
	f.before = f.valid
	f.from = f.a.state()
	f.input.SetText(f.valid)
	f.bad = false
	f.errText.set("", f.a.st.errorMsg)
	f.a.tv.SetFocus(f.input)
}

// close ends editing: apply keeps the filter (unless it does not parse),
// otherwise the filter from before editing comes back.
func (f *filterBar) close(apply bool) {
	if apply && f.bad {
		f.a.setError("the filter does not parse: fix it, or Esc to cancel")
		return
	}
	if !apply {
		f.input.SetText(f.before) // runs changed, which applies it
	}
	f.editing = false
	if apply && f.valid != f.before {
		f.a.pushState(f.from)
	}
	f.a.focusPane(f.a.tunnels)
	f.describe()
}

// set applies a filter without editing it (going back to an earlier one).
func (f *filterBar) set(text string) {
	f.input.SetText(text)
	f.editing = false
	f.describe()
}

// clear removes the filter.
func (f *filterBar) clear() {
	f.input.SetText("")
	f.editing = false
	f.describe()
}

// applied reports whether a filter is in force.
func (f *filterBar) applied() bool { return f.valid != "" }

// changed parses the text as it is typed and applies it when it parses.
func (f *filterBar) changed(text string) {
	flt, err := parseFilter(text)
	if err != nil {
		f.bad = true
		f.errText.set(err.Error(), f.a.st.errorMsg)
		return
	}
	f.bad = false
	f.valid = flt.text
	f.errText.set("", f.a.st.errorMsg)
	f.a.tunnels.setFilter(flt)
	f.describe()
}

// describe shows, while not editing, what the filter keeps.
func (f *filterBar) describe() {
	if f.bad || f.editing && f.input.HasFocus() {
		if !f.bad {
			f.errText.set(f.count(), f.a.st.dim)
		}
		return
	}
	if f.valid == "" {
		f.errText.set("", f.a.st.dim)
		return
	}
	f.errText.set(f.count()+" (Esc clears)", f.a.st.dim)
}

// count says how many rows the filter keeps.
func (f *filterBar) count() string {
	if f.a.model == nil {
		return ""
	}
	return words.Thousands(len(f.a.tunnels.content.rows)) + " of " + words.Count(len(f.a.model.rows), "row")
}

// filterShown reports whether the layout shows the filter bar.
func (a *App) filterShown() bool { return a.filter.editing || a.filter.applied() || a.filter.bad }

// barsShown returns the bars the layout shows above the verdict: the
// filter bar while a filter is edited or in force, the search bar while a
// search is typed.
func (a *App) barsShown() []tview.Primitive {
	var bars []tview.Primitive
	if a.filterShown() {
		bars = append(bars, a.filter)
	}
	if a.search.editing {
		bars = append(bars, a.search)
	}
	return bars
}
