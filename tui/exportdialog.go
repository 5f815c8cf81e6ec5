package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// exportDialog asks where `w` writes the packets of the tunnel, PPTP call,
// flow or evidence listed, as Wireshark's Export Specified Packets does:
// the path to write (the working directory and a name after the captures
// and the subject, at first), Enter to write, Esc to cancel. An existing
// file is replaced only after y; the path written shows, in full, in the
// status line.
type exportDialog struct {
	*tview.Flex
	a     *App
	about *tview.TextView
	input *tview.InputField
	info  *tview.TextView
	open  bool
	// subj is what is exported; dir is where relative paths start.
	subj subject
	dir  string
	// confirm is the existing file awaiting y; writing is set while the
	// export runs.
	confirm string
	writing bool
	// before is the pane to give the focus back to.
	before View
}

func newExportDialog(a *App) *exportDialog {
	d := &exportDialog{Flex: tview.NewFlex().SetDirection(tview.FlexRow), a: a,
		about: tview.NewTextView(), input: tview.NewInputField(), info: tview.NewTextView()}
	a.st.box(d.Box, "Export packets")
	d.SetBackgroundColor(tcell.ColorDefault)
	for _, t := range []*tview.TextView{d.about, d.info} {
		a.st.text(t)
		t.SetWordWrap(true)
	}
	d.input.SetLabel("File: ")
	d.input.SetLabelStyle(a.st.key)
	d.input.SetFieldStyle(a.st.normal.Underline(true))
	d.input.SetBackgroundColor(tcell.ColorDefault)
	d.input.SetChangedFunc(func(string) {
		if d.confirm == "" && !d.writing {
			d.hint()
		}
	})
	d.AddItem(d.about, 2, 0, false)
	d.AddItem(d.input, 1, 0, true)
	d.AddItem(tview.NewBox().SetBackgroundColor(tcell.ColorDefault), 1, 0, false)
	d.AddItem(d.info, 0, 1, false)
	return d
}

// openExport opens the dialog for the subject listed.
func (a *App) openExport() {
	if a.model == nil {
		a.setError("the analysis is still running")
		return
	}
	s := a.current
	if !s.valid() {
		a.setError("select a tunnel, a PPTP call or a flow first")
		return
	}
	for _, sd := range a.model.sides {
		if s.member(a.model, sd.index) != nil && (sd.src == nil || !sd.src.isFile()) {
			a.setError(sd.analysis.Capture.Path + " was given as decoded packets: there are no bytes to export")
			return
		}
	}
	dir := a.cfg.OutDir
	if dir == "" {
		dir = "."
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	d := a.export
	d.open, d.subj, d.dir, d.confirm, d.writing = true, s, dir, "", false
	d.before = a.focused()
	d.SetTitle(" " + tview.Escape("Export the packets of "+s.name()) + " ")
	what := "the packets of " + s.name()
	if a.model.two() && len(s.sides(a.model)) == 2 {
		what += ", from both captures merged in time,"
	}
	d.about.SetText("Writes " + what + " to a pcapng file. Each packet's comment gives its capture and original frame number.")
	d.input.SetText(filepath.Join(dir, defaultExportName(a.model, s)))
	d.hint()
	a.pages.ShowPage("export")
	a.tv.SetFocus(d.input)
}

// hint says what Enter will do with the path typed.
func (d *exportDialog) hint() {
	msg := "Enter writes, Esc cancels."
	path := d.path()
	if d.nextToCaptures(path) {
		msg = "This is the captures' directory: vpnpcap check DIR would take the export for a capture. " + msg
	}
	d.info.SetText(msg)
	d.info.SetTextStyle(d.a.st.dim)
}

// path is the path typed, made absolute: relative to the directory the
// dialog started in, with ~ for the home directory.
func (d *exportDialog) path() string {
	p := strings.TrimSpace(d.input.GetText())
	if p == "~" || strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	if p != "" && !filepath.IsAbs(p) {
		p = filepath.Join(d.dir, p)
	}
	return p
}

// nextToCaptures reports whether path is in a capture's directory.
func (d *exportDialog) nextToCaptures(path string) bool {
	if d.a.model == nil || path == "" {
		return false
	}
	for _, sd := range d.a.model.sides {
		if sd.src == nil {
			continue
		}
		if abs, err := filepath.Abs(sd.src.path); err == nil && filepath.Dir(abs) == filepath.Dir(path) {
			return true
		}
	}
	return false
}

// fail shows a problem in the dialog, which stays open for another path.
func (d *exportDialog) fail(msg string) {
	d.info.SetText(msg)
	d.info.SetTextStyle(d.a.st.errorMsg)
}

// key handles a key while the dialog is open, and returns the event when
// the input field is to have it.
func (d *exportDialog) key(ev *tcell.EventKey) *tcell.EventKey {
	switch {
	case d.writing:
		if ev.Key() == tcell.KeyEscape {
			d.a.setMessage("the export goes on; it cannot be taken back half-written")
		}
		return nil
	case d.confirm != "":
		switch {
		case ev.Key() == tcell.KeyRune && (ev.Rune() == 'y' || ev.Rune() == 'Y'):
			d.write(d.confirm, true)
		case ev.Key() == tcell.KeyEscape, ev.Key() == tcell.KeyRune && (ev.Rune() == 'n' || ev.Rune() == 'N'):
			d.confirm = ""
			d.hint()
		}
		return nil
	}
	switch ev.Key() {
	case tcell.KeyEscape:
		d.close()
		d.a.setMessage("export cancelled")
		return nil
	case tcell.KeyEnter:
		d.submit()
		return nil
	}
	return ev
}

// submit checks the path typed and writes, or asks before replacing a
// file.
func (d *exportDialog) submit() {
	path := d.path()
	if path == "" {
		d.fail("Type the path of the file to write.")
		return
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		// A directory: the proposed name in it.
		path = filepath.Join(path, defaultExportName(d.a.model, d.subj))
		d.input.SetText(path)
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		d.fail("There is no directory " + filepath.Dir(path) + ".")
		return
	}
	if _, err := os.Lstat(path); err == nil {
		d.confirm = path
		d.info.SetText(path + " exists. Replace it? y replaces it, n or Esc keeps it.")
		d.info.SetTextStyle(d.a.st.errorMsg)
		return
	}
	d.write(path, false)
}

// write exports in the background; the dialog closes when it is done, or
// shows why it could not.
func (d *exportDialog) write(path string, overwrite bool) {
	a := d.a
	d.confirm, d.writing = "", true
	d.info.SetText("Writing " + path + " …")
	d.info.SetTextStyle(a.st.dim)
	m, s, dopts := a.model, d.subj, a.cfg.Decode
	a.goWork(func(ctx context.Context) func() {
		res, err := exportSubject(ctx, m, s, dopts, path, overwrite)
		return func() {
			d.writing = false
			switch {
			case errors.Is(err, errExists):
				d.confirm = path
				d.info.SetText(path + " exists now. Replace it? y replaces it, n or Esc keeps it.")
				d.info.SetTextStyle(a.st.errorMsg)
			case err != nil:
				d.fail("Could not write " + path + ": " + err.Error())
			default:
				d.close()
				a.setMessage("wrote " + res.path + ": " + res.summary(m.two()))
			}
		}
	})
}

// summary counts what an export wrote: "47 packets (25 inside, 22
// outside)".
func (r exportResult) summary(two bool) string {
	n := r.packets[0] + r.packets[1]
	s := words.Count(n, "packet")
	if two {
		s += " (" + strconv.Itoa(r.packets[0]) + " inside, " + strconv.Itoa(r.packets[1]) + " outside)"
	}
	return s
}

// close hides the dialog.
func (d *exportDialog) close() {
	d.open, d.confirm = false, ""
	d.a.pages.HidePage("export")
	if d.before == nil {
		d.before = d.a.tunnels
	}
	d.a.focusPane(d.before)
}
