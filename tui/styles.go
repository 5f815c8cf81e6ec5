package tui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/rules"
)

// styles are the looks of the UI. Every widget gets its colours from here,
// never from tview's package-level theme, so that the monochrome set
// (NO_COLOR, https://no-color.org) is honoured everywhere: it uses the
// terminal's own foreground and background and tells things apart by
// attributes only (bold, underline, reverse).
type styles struct {
	mono bool

	normal   tcell.Style
	dim      tcell.Style
	header   tcell.Style // table headers
	selected tcell.Style // the selected row of a table or tree
	title    tcell.Style // the title bar
	border   tcell.Style
	key      tcell.Style // key names in the help and status hints
	errorMsg tcell.Style // filter errors and failures in the status line
	good     tcell.Style // NAT-D match, a working tunnel
	bad      tcell.Style // NAT-D mismatch, a failing tunnel, dropped packets
	modified tcell.Style // packets changed across the NAT
	hexMark  tcell.Style // the bytes of the selected field
	// decrypted is what keys revealed inside the encryption, in the
	// ladder.
	decrypted tcell.Style

	severity [3]tcell.Style // indexed by rules.Severity
}

// newStyles returns the colour styles, or the monochrome ones.
func newStyles(mono bool) *styles {
	base := tcell.StyleDefault.Foreground(tcell.ColorDefault).Background(tcell.ColorDefault)
	s := &styles{mono: mono, normal: base}
	if mono {
		s.dim = base
		s.header = base.Bold(true)
		s.selected = base.Reverse(true)
		s.title = base.Reverse(true)
		s.border = base
		s.key = base.Bold(true)
		s.errorMsg = base.Bold(true)
		s.good = base
		s.bad = base.Bold(true)
		s.modified = base.Underline(true)
		s.hexMark = base.Reverse(true)
		s.decrypted = base.Italic(true)
		s.severity = [3]tcell.Style{rules.Info: base, rules.Warning: base.Underline(true), rules.Error: base.Bold(true)}
		return s
	}
	s.dim = base.Foreground(tcell.ColorGray)
	s.header = base.Bold(true).Foreground(tcell.ColorTeal)
	s.selected = base.Reverse(true)
	s.title = base.Background(tcell.ColorNavy).Foreground(tcell.ColorWhite)
	s.border = base.Foreground(tcell.ColorSilver)
	s.key = base.Bold(true).Foreground(tcell.ColorYellow)
	s.errorMsg = base.Foreground(tcell.ColorRed).Bold(true)
	s.good = base.Foreground(tcell.ColorGreen)
	s.bad = base.Foreground(tcell.ColorRed)
	s.modified = base.Foreground(tcell.ColorYellow)
	s.hexMark = base.Background(tcell.ColorTeal).Foreground(tcell.ColorBlack)
	s.decrypted = base.Foreground(tcell.ColorTeal).Italic(true)
	s.severity = [3]tcell.Style{
		rules.Info:    base.Foreground(tcell.ColorTeal),
		rules.Warning: base.Foreground(tcell.ColorYellow),
		rules.Error:   base.Foreground(tcell.ColorRed),
	}
	return s
}

// sev returns the style of a severity.
func (s *styles) sev(v rules.Severity) tcell.Style {
	if int(v) < len(s.severity) {
		return s.severity[v]
	}
	return s.normal
}

// box gives a widget's frame the UI's looks: the terminal's background, the
// border style, and a title. The title is escaped: tview reads square
// brackets as style tags.
func (s *styles) box(b *tview.Box, title string) {
	fg, _, _ := s.normal.Decompose()
	b.SetBackgroundColor(tcell.ColorDefault)
	b.SetBorder(true)
	b.SetBorderStyle(s.border)
	b.SetTitleColor(fg)
	b.SetTitleAlign(tview.AlignLeft)
	b.SetTitle(" " + tview.Escape(title) + " ")
}

// text sets a text view's looks.
func (s *styles) text(t *tview.TextView) {
	t.SetTextStyle(s.normal)
	t.SetBackgroundColor(tcell.ColorDefault)
	t.SetDynamicColors(false)
}
