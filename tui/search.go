package tui

import (
	"strconv"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/filter"
)

// searchBar is the line where a packet search is typed, as less's / and
// Wireshark's Find Packet: an expression of package filter's language
// (host, net, port, spi, kind, frame, with and, or, not), the one `vpnpcap
// dump --filter` takes. While it is typed the bar says how many packets of
// the list it matches, or what does not parse; Enter goes to the first
// match from the selected packet on, and n and N go on from there. Esc
// leaves the search as it was.
type searchBar struct {
	*tview.Flex
	a       *App
	input   *tview.InputField
	info    *lineView
	editing bool
	parsed  *filter.Filter // what the text parses to; nil when it does not
	err     error
}

func newSearchBar(a *App) *searchBar {
	b := &searchBar{Flex: tview.NewFlex(), a: a, input: tview.NewInputField(), info: newLineView(a.st.dim)}
	b.SetBackgroundColor(tcell.ColorDefault)
	b.input.SetLabel("search packets: ")
	b.input.SetLabelStyle(a.st.key)
	b.input.SetFieldStyle(a.st.normal.Underline(true))
	b.input.SetPlaceholder("host 10.0.0.2, port 4500, spi c0ffee01, kind ike, frame 20-30, and, or, not")
	b.input.SetPlaceholderStyle(a.st.dim)
	b.input.SetBackgroundColor(tcell.ColorDefault)
	b.input.SetChangedFunc(b.changed)
	b.AddItem(b.input, 0, 3, true)
	b.AddItem(b.info, 0, 2, false)
	return b
}

// open starts editing, from the search in force.
func (b *searchBar) open() {
	b.editing = true
	b.input.SetText(b.a.packets.search.String())
	b.changed(b.input.GetText())
	b.a.tv.SetFocus(b.input)
}

// changed parses the text as it is typed and says what it matches.
func (b *searchBar) changed(text string) {
	b.parsed, b.err = filter.Parse(text)
	switch {
	case b.err != nil:
		b.info.set(b.err.Error(), b.a.st.errorMsg)
	case b.parsed.String() == "":
		b.info.set("Enter clears the search", b.a.st.dim)
	default:
		l := b.a.packets
		saved := l.search
		l.search = b.parsed
		n, _ := l.countMatches()
		l.search = saved
		b.info.set(strconv.Itoa(n)+" of the packets listed match", b.a.st.dim)
	}
}

// close ends editing: apply starts the search (unless the text does not
// parse), otherwise the search in force stays.
func (b *searchBar) close(apply bool) {
	if apply && b.err != nil {
		b.a.setError("the search does not parse: fix it, or Esc to cancel")
		return
	}
	b.editing = false
	b.a.focusPane(b.a.packets)
	if apply {
		b.a.push()
		b.a.packets.setSearch(b.parsed)
	}
}
