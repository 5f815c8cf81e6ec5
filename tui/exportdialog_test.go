package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/decode"
)

// TestExportDialog exports from the UI as Wireshark's Export Specified
// Packets does: w asks for the path, proposing the directory configured
// (the working directory by default) and a name after the captures and
// the subject; Enter writes and the status line shows the full path; an
// existing file is replaced only after y.
func TestExportDialog(t *testing.T) {
	in, out := samplePair(t, "natt-port-blocked")
	cfg := sampleConfig(in, out)
	cfg.OutDir = t.TempDir()
	want := filepath.Join(cfg.OutDir, "inside+outside-tunnel1.pcapng")
	h := startApp(t, cfg, 120, 34, nil)
	h.settle()
	h.key(tcell.KeyRune, 'w')
	got := h.text()
	for _, s := range []string{"Export the packets of tunnel 1", "File: " + want, "Enter writes, Esc cancels.", "original frame number"} {
		if !strings.Contains(got, s) {
			t.Errorf("the dialog lacks %q:\n%s", s, got)
		}
	}
	if strings.Contains(got, "captures' directory") {
		t.Errorf("the dialog warns of the captures' directory for another one:\n%s", got)
	}
	h.key(tcell.KeyEnter, 0)
	if m := h.message(); !strings.HasPrefix(m, "wrote "+want+": ") || !strings.Contains(m, "inside, ") {
		t.Fatalf("Enter: message %q, want the full path written", m)
	}
	if got := h.text(); !strings.Contains(got, want) || strings.Contains(got, "Enter writes") {
		t.Errorf("after writing: the dialog is open, or the path not shown:\n%s", got)
	}
	st, err := decode.ReadFile(want, decode.Options{}, func(*decode.Packet) {})
	if err != nil || st.Kinds[decode.KindIKE] == 0 {
		t.Fatalf("%s: %v, %d IKE; want the tunnel's IKE messages", want, err, st.Kinds[decode.KindIKE])
	}
	before, _ := os.ReadFile(want)

	// Again: the file exists; n keeps it, and the dialog stays.
	h.key(tcell.KeyRune, 'w')
	h.key(tcell.KeyEnter, 0)
	if got := h.text(); !strings.Contains(got, "exists. Replace it?") || !strings.Contains(got, "n or Esc keeps it.") {
		t.Fatalf("Enter on an existing file: no question:\n%s", got)
	}
	h.key(tcell.KeyRune, 'n')
	if got := h.text(); !strings.Contains(got, "Enter writes, Esc cancels.") {
		t.Errorf("n: want the dialog back to the path:\n%s", got)
	}
	h.key(tcell.KeyEscape, 0)
	if m := h.message(); m != "export cancelled" {
		t.Errorf("Esc: message %q", m)
	}
	if after, _ := os.ReadFile(want); string(after) != string(before) {
		t.Error("the file changed without y")
	}
	// A path in a directory that does not exist is refused in the dialog.
	h.key(tcell.KeyRune, 'w')
	h.typeText("/nope")
	h.key(tcell.KeyEnter, 0)
	if got := h.text(); !strings.Contains(got, "There is no directory "+cfg.OutDir+"/inside+outside-tunnel1.pcapng.") {
		t.Errorf("a path under a file: no complaint:\n%s", got)
	}
	// y replaces the file.
	for range len("/nope") {
		h.key(tcell.KeyBackspace2, 0)
	}
	h.key(tcell.KeyEnter, 0)
	h.key(tcell.KeyRune, 'y')
	if m := h.message(); !strings.HasPrefix(m, "wrote "+want+": ") {
		t.Errorf("y: message %q", m)
	}
	entries, _ := os.ReadDir(cfg.OutDir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory after replacing, want 1", len(entries))
	}
	// Nothing was written beside the captures.
	for _, dir := range []string{filepath.Dir(in)} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "inside.pcap" && e.Name() != "outside.pcap" {
				t.Errorf("%s was written beside the captures", e.Name())
			}
		}
	}
}

// TestExportDialogNextToCaptures warns when the directory proposed or
// typed is the captures' own, and writes into a directory typed as the
// path under the name proposed.
func TestExportDialogNextToCaptures(t *testing.T) {
	in, out := samplePair(t, "natt-ok")
	cfg := sampleConfig(in, out) // OutDir: the captures' directory
	h := startApp(t, cfg, 120, 34, nil)
	h.settle()
	h.key(tcell.KeyRune, 'w')
	if got := h.text(); !strings.Contains(got, "This is the captures' directory: vpnpcap check DIR would take the export for a capture.") {
		t.Errorf("no warning for the captures' directory:\n%s", got)
	}
	other := t.TempDir()
	h.onUI(func() { h.a.export.input.SetText(other) })
	h.key(tcell.KeyEnter, 0)
	want := filepath.Join(other, "inside+outside-tunnel1.pcapng")
	if m := h.message(); !strings.HasPrefix(m, "wrote "+want+": ") {
		t.Errorf("a directory as the path: message %q, want %s written", m, want)
	}
}

// TestExportDialogModal clicks beside the dialog: the panes below do not
// take the focus, and what is typed still goes into the path.
func TestExportDialogModal(t *testing.T) {
	in, out := samplePair(t, "natt-ok")
	cfg := sampleConfig(in, out)
	cfg.OutDir = t.TempDir()
	h := startApp(t, cfg, 120, 34, nil)
	h.settle()
	h.key(tcell.KeyRune, 'w')
	h.s.InjectMouse(3, 4, tcell.Button1, tcell.ModNone)
	h.s.InjectMouse(3, 4, tcell.ButtonNone, tcell.ModNone)
	time.Sleep(50 * time.Millisecond)
	h.settle()
	h.typeText("x")
	var text string
	h.onUI(func() { text = h.a.export.input.GetText() })
	if !strings.HasSuffix(text, ".pcapngx") {
		t.Errorf("after a click beside the dialog, typing gave the path %q", text)
	}
	h.key(tcell.KeyEscape, 0)
	if s := h.selection(); s.focus != "Tunnels & flows" {
		t.Errorf("Esc: focus %q, want the tunnels, where it was", s.focus)
	}
}
