package main

import (
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/vpnpcap/vpnpcap/report"
)

// reportFormats are the formats analyze and check both write.
var reportFormats = []string{"text", "json", "markdown", "html", "sarif", "junit"}

// maxWidth bounds --width: past it a value is a mistake, not a terminal.
const maxWidth = 1000

// textFlags are the flags that shape the text report.
type textFlags struct {
	color     string
	width     int
	maxListed int
}

func (f *textFlags) register(fs *pflag.FlagSet) {
	enumFlag(fs, &f.color, "color", "", "auto", "colour the text report `when`: auto, always or never (NO_COLOR is honoured)", "auto", "always", "never")
	intFlag(fs, &f.width, "width", "", 0, "wrap the text report and fit its tables to `columns` (at least 60 are used; default: COLUMNS, else the terminal's width, else 80)", 0, maxWidth)
	intFlag(fs, &f.maxListed, "max-listed", "", report.DefaultMaxListed, "list at most `n` tunnels, PPTP calls, ESP groups, SAs, NAT mappings and flows of each kind in the JSON report, and count the rest (the tunnels, calls and ESP groups a finding names are always listed; 0: list every one)", 0, maxMaxListed)
}

// options returns the text options for writing to w.
func (f *textFlags) options(w io.Writer, brief bool) report.TextOptions {
	return report.TextOptions{
		Color: useColor(f.color, w),
		Width: textWidth(f.width, w),
		ASCII: asciiOnly(w),
		Brief: brief,
	}
}

// textWidth decides the width of the text report: --width, else COLUMNS,
// else the terminal's width, else report.DefaultWidth.
func textWidth(flag int, w io.Writer) int {
	if flag > 0 {
		return flag
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok && isTerminal(w) {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return n
		}
	}
	return report.DefaultWidth
}

// asciiOnly reports whether the ladder diagrams must be drawn in ASCII:
// NO_COLOR is set, or w is a terminal whose locale is not UTF-8. A file
// gets UTF-8.
func asciiOnly(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return true
	}
	return isTerminal(w) && !utf8Locale()
}

// utf8Locale reports whether the locale's character set is UTF-8, as the
// C library decides it: the first of LC_ALL, LC_CTYPE and LANG that is
// set.
func utf8Locale() bool {
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := os.Getenv(name); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}

// writeReport writes a batch in a format: text as the text options say,
// JSON (the report of analyze's one check, or the batch of check's),
// Markdown, HTML, SARIF or JUnit.
func writeReport(w io.Writer, b *report.Batch, format string, text report.TextOptions) error {
	switch format {
	case "json":
		if b.Single() {
			return report.WriteJSON(w, b.Checks[0].Detail)
		}
		return report.WriteBatchJSON(w, b)
	case "sarif":
		return report.WriteSARIF(w, b)
	case "junit":
		return report.WriteJUnit(w, b)
	case "markdown":
		return report.WriteMarkdown(w, b)
	case "html":
		return report.WriteHTML(w, b)
	}
	return report.WriteText(w, b, text)
}
