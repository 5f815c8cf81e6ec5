// Package textwidth lays text out in columns of a terminal: it measures
// text in the columns it takes (an arrow or a check mark one, a wide CJK
// character two) and wraps it at spaces, so that the text report and the
// ladder diagrams fit the width they are given.
package textwidth

import (
	"strings"

	"github.com/mattn/go-runewidth"
)

// Width returns the columns s takes.
func Width(s string) int { return runewidth.StringWidth(s) }

// Wrap breaks text into lines of at most width columns: at spaces, and
// after a slash within a word that does not fit (a file's path); a word
// longer than a line is broken where the line ends. Runs of spaces count
// as one. It returns one empty line for empty text.
func Wrap(text string, width int) []string {
	width = max(width, 1)
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		for Width(w) > width-Width(line)-sep(line) && Width(w) > width {
			// Too long for any line: fill this one, at a slash if
			// there is one, and go on with the rest.
			room := width - Width(line) - sep(line)
			cut := breakAt(w, room)
			if cut == "" {
				lines = append(lines, line)
				line = ""
				continue
			}
			if line != "" {
				line += " "
			}
			lines = append(lines, line+cut)
			line = ""
			w = w[len(cut):]
		}
		switch {
		case line == "":
			line = w
		case Width(line)+1+Width(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

func sep(line string) int {
	if line == "" {
		return 0
	}
	return 1
}

// breakAt returns the longest head of w that fits room columns, ending
// after a slash when one is there, or "" when not even a character fits
// (or a slash-ended head would be too short to be worth it on a line that
// has text).
func breakAt(w string, room int) string {
	if room <= 0 {
		return ""
	}
	head := runewidth.Truncate(w, room, "")
	if i := strings.LastIndexByte(head, '/'); i > 0 {
		return head[:i+1]
	}
	return head
}

// MinWidth returns the widest piece of text that Wrap cannot break short
// of breaking a word: its longest word, or, for a word with slashes, its
// longest part up to a slash.
func MinWidth(text string) int {
	n := 0
	for _, w := range strings.Fields(text) {
		for _, part := range strings.SplitAfter(w, "/") {
			n = max(n, Width(part))
		}
	}
	return n
}

// Pad pads s with spaces to width columns.
func Pad(s string, width int) string {
	if w := Width(s); w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

// PadLeft pads s with spaces on the left to width columns.
func PadLeft(s string, width int) string {
	if w := Width(s); w < width {
		return strings.Repeat(" ", width-w) + s
	}
	return s
}
