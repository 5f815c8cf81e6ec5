package tui

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/rules"
)

// setMessage shows a message in the status line until the next one.
func (a *App) setMessage(msg string) {
	a.message, a.messageBad = msg, false
	a.updateStatus()
}

// setError shows an error in the status line.
func (a *App) setError(msg string) {
	a.message, a.messageBad = msg, true
	a.updateStatus()
}

// updateStatus writes the status line.
func (a *App) updateStatus() {
	style := a.st.normal
	if a.messageBad {
		style = a.st.errorMsg
	}
	a.status.set(a.message, style)
}

// updateTitle writes the title bar: the captures, and the analysis's
// progress while it runs.
func (a *App) updateTitle() {
	var b strings.Builder
	b.WriteString(" vpnpcap")
	if a.model == nil {
		if a.analysisErr != nil {
			b.WriteString(" │ analysis failed: " + a.analysisErr.Error())
			a.titleBar.set(b.String(), a.st.title)
			return
		}
		b.WriteString(" │ analysing")
		for _, c := range a.caps {
			b.WriteString(" " + shortPath(c.path) + ": " + groupDigits(c.frames.Load()) + " frames")
			if c.pass.Load() > 1 {
				b.WriteString(" (matching)")
			}
		}
		b.WriteString(" …")
		a.titleBar.set(b.String(), a.st.title)
		return
	}
	m := a.model
	for _, sd := range m.sides {
		c := sd.analysis.Capture
		if m.two() {
			b.WriteString(" │ " + strings.TrimSuffix(sd.index.String(), "side") + ": ")
		} else {
			b.WriteString(" │ ")
		}
		b.WriteString(shortPath(c.Path) + " (" + groupDigits(int64(c.Frames)) + " frames)")
	}
	if cor := m.rc.Correlation; cor != nil {
		if cor.Anchors > 0 {
			b.WriteString(" │ clock " + formatOffset(cor.Offset))
		} else {
			b.WriteString(" │ clock unknown: no packet seen in both")
		}
	}
	b.WriteString(" │ " + words.Count(len(m.rc.Tunnels), "tunnel") + ", " + words.Count(len(m.findings), "finding"))
	a.titleBar.set(b.String(), a.st.title)
}

// updateVerdict writes the verdict line of the selected tunnel or PPTP
// call.
func (a *App) updateVerdict() {
	var vd *rules.Verdict
	switch {
	case a.model == nil:
		a.verdict.set("Verdicts come when the analysis is done.", a.st.dim)
		return
	case a.current.call != nil:
		if vd = a.model.sessionVerdicts[a.current.call.ID]; vd == nil {
			a.verdict.set("No verdict for PPTP call "+strconv.Itoa(a.current.call.ID)+".", a.st.dim)
			return
		}
	case a.current.view == nil:
		switch r := a.tunnels.selected(); {
		case r != nil && r.session != 0:
			a.verdict.set("Select PPTP call P"+strconv.Itoa(r.session)+" for its verdict.", a.st.dim)
		case r != nil && r.tunnel == 0:
			a.verdict.set("This flow carries no tunnel.", a.st.dim)
		default:
			a.verdict.set("Select a tunnel for its verdict.", a.st.dim)
		}
		return
	default:
		if vd = a.model.verdicts[a.current.view.ID]; vd == nil {
			a.verdict.set("No verdict for tunnel "+strconv.Itoa(a.current.view.ID)+".", a.st.dim)
			return
		}
	}
	style := a.st.good
	mark := "✓ "
	if !vd.Works {
		style, mark = a.st.bad, "✗ "
	}
	a.verdict.set(mark+vd.Summary, style)
}

// shortPath shows a capture's path by its last two elements, which tell
// captures apart in the title bar: "natt-port-blocked/inside.pcap".
func shortPath(p string) string {
	dir, base := filepath.Split(filepath.Clean(p))
	parent := filepath.Base(dir)
	if dir == "" || parent == "." || parent == string(filepath.Separator) {
		return base
	}
	return filepath.Join(parent, base)
}

// groupDigits writes a count with thousands separators: 1,234,567.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
