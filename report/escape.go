package report

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// SafeText returns s as a terminal, a log or a text report can show it
// without being steered by it: control characters (C0, DEL and C1: ESC, a
// newline, a carriage return…) are written as Go escapes ("\x1b", "\n"),
// as are Unicode's bidirectional formatting characters, which reorder what
// follows them on screen, and bytes that are not UTF-8 ("\xff"). Everything
// else is kept, backslashes included, so that ordinary names (Windows paths
// among them) read as given; s itself is returned when nothing needs
// escaping.
//
// vpnpcap names a capture by SafeText of its path in every report, message
// and table, so that a file name can neither move the cursor, recolour the
// terminal, forge a line of the report nor hide text. The JSON reports keep
// the exact bytes too (Capture.PathBytes).
func SafeText(s string) string {
	i := unsafeIndex(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[i])&0xf, 16))
		case unsafeRune(r):
			q := strconv.QuoteRuneToASCII(r) // 'x' with x escaped
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeIndex returns the index of the first byte of s that SafeText
// escapes, or -1.
func unsafeIndex(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports whether SafeText escapes r: a control character or a
// bidirectional formatting character (Unicode's Bidi_Control property:
// the marks, embeddings, overrides and isolates).
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// File returns the capture's file name exactly as given: PathBytes when
// set, else Path.
func (c *Capture) File() string {
	if c.PathBytes != nil {
		return string(c.PathBytes)
	}
	return c.Path
}
