package tui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// helpOverlay is the help (?) over the panes: the keys and what the marks
// and colours mean.
type helpOverlay struct {
	text *tview.TextView
	on   bool
	// before is the pane to give the focus back to.
	before View
}

// newHelpView makes the help's scrollable text.
func (a *App) newHelpView() *tview.TextView {
	t := tview.NewTextView()
	a.st.text(t)
	a.st.box(t.Box, "Keys (j/k scroll; Esc, ? or q closes)")
	t.SetText(a.helpText())
	t.SetScrollable(true)
	return t
}

// overlay draws p in the middle of the screen, at most w×h and at most
// the screen less a margin, over what is drawn below it.
type overlay struct {
	*tview.Box
	p    tview.Primitive
	w, h int
}

func (o *overlay) Draw(screen tcell.Screen) {
	x, y, w, h := o.GetRect()
	pw, ph := min(o.w, w-2), min(o.h, h-2)
	if pw <= 0 || ph <= 0 {
		pw, ph = w, h
	}
	o.p.SetRect(x+(w-pw)/2, y+(h-ph)/2, pw, ph)
	o.p.Draw(screen)
}

func (o *overlay) Focus(delegate func(p tview.Primitive)) { delegate(o.p) }
func (o *overlay) HasFocus() bool                         { return o.p.HasFocus() }
func (o *overlay) InputHandler() func(*tcell.EventKey, func(tview.Primitive)) {
	return o.p.InputHandler()
}

// MouseHandler gives the overlay the events over it, and swallows the
// others: what is below does not take the focus while the overlay shows.
func (o *overlay) MouseHandler() func(tview.MouseAction, *tcell.EventMouse, func(tview.Primitive)) (bool, tview.Primitive) {
	return func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(tview.Primitive)) (bool, tview.Primitive) {
		if h := o.p.MouseHandler(); h != nil {
			if consumed, capture := h(action, event, setFocus); consumed {
				return true, capture
			}
		}
		return true, nil
	}
}

// helpText is the help overlay: the keymap, the filter and search
// syntax, and what the marks and colours mean.
func (a *App) helpText() string {
	var b strings.Builder
	for _, l := range helpLines(a.keys) {
		b.WriteString(l + "\n")
	}
	b.WriteString("\nFilter terms of the tunnels and flows (/; all must match; ! negates one):\n")
	b.WriteString("  esp ike udp-esp gre ah pptp nat-keepalive   rows that carried that kind of packet\n")
	b.WriteString("  udp tcp tunnels flows                       transport, or row type\n")
	b.WriteString("  10.0.0.2  10.0.0.0/8                        an address on either side\n")
	b.WriteString("  port 4500   spi=0xc0ffee01   tunnel=2       a port, an ESP or IKE SPI, a tunnel\n")
	b.WriteString("  severity>=warning   side=outside   state=failed\n")
	b.WriteString("\nPacket search (/ in the packets pane, or Ctrl-F), as vpnpcap dump --filter:\n")
	b.WriteString("  host 10.0.0.2   net 10.0.0.0/8   port 4500   src port 500   spi c0ffee01\n")
	b.WriteString("  kind udp-esp (or ike, esp, gre, …)   frame 27   frame 20-30   and or not ( )\n")
	b.WriteString("\nTunnel and PPTP call rows are coloured by their worst finding; flow rows by\n")
	b.WriteString("their own fate: red when packets were lost at the NAT, yellow when modified.\n")
	b.WriteString("With two captures the packet list shows each packet's inside and outside\n")
	b.WriteString("sightings on one row, outside times on the inside clock. Fate says:\n")
	b.WriteString("  crossed    both captures saw it\n")
	b.WriteString("  LOST →     the inside saw it and the outside did not, while both were running\n")
	b.WriteString("  ← LOST     the outside saw it and the inside did not, while both were running\n")
	b.WriteString("  MODIFIED   both saw it, changed beyond what address translation rewrites\n")
	b.WriteString("  n/c        not compared: it was captured while the other capture was not running\n")
	b.WriteString("● marks the packets a finding gives as evidence. The decode tree shows ▾ on an\n")
	b.WriteString("open node and ▸ on a closed one; side by side, ≠ marks the lines that differ.\n")
	b.WriteString("The ladder ([6]) draws what crossed the NAT, a row per message or run of packets:\n")
	b.WriteString("✗ lost at the NAT, ~ changed, ? not compared, ● sent by the NAT, ⟲×N sent again;\n")
	b.WriteString("n goes to the next row lost or changed, Enter to the row's first packet.\n")
	b.WriteString("Text that does not fit ends in …: scroll sideways (h l, H L) or zoom (+).\n")
	return b.String()
}

// toggleHelp shows or hides the help overlay.
func (a *App) toggleHelp() {
	a.help.on = !a.help.on
	if a.help.on {
		a.help.before = a.focused()
		a.pages.ShowPage("help")
		a.tv.SetFocus(a.help.text)
		return
	}
	a.pages.HidePage("help")
	a.focusPane(a.help.before)
}
