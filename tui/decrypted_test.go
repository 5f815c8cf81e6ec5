package tui

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// TestDecryptedShown browses the lab's ikev2-auth-failed-keys with the
// keys its daemons logged. TRUTH.md: the gateway answered IKE_AUTH (frame
// 6) with an encrypted payload holding one Notify, AUTHENTICATION_FAILED;
// in cleartext the response shows nothing of it. The packet list, the
// decode tree and the ladder each show the notify as decrypted.
func TestDecryptedShown(t *testing.T) {
	dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab", "ikev2-auth-failed-keys")
	store, _, err := keys.LoadAll([]string{filepath.Join(dir, "logs", "charon-client.log")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sampleConfig(filepath.Join(dir, "inside.pcap"), filepath.Join(dir, "outside.pcap"))
	cfg.OutDir = t.TempDir()
	cfg.Decode.Keys = store
	h := startApp(t, cfg, 160, 50, nil)
	h.settle()
	got := h.text()
	if line := line0(got, "IKE_AUTH response #1"); !strings.Contains(line, "SK; decrypted: N(AUTHENTICATION_FAILED)") {
		t.Errorf("the packet list's IKE_AUTH response %q does not say what decrypted", line)
	}
	// Its decode tree: the notify under the node that says it was
	// decrypted, with the key's file and line.
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, 'G')
	if s := h.selection(); s.frame != 6 {
		t.Fatalf("the last packet is frame %d, want 6", s.frame)
	}
	h.key(tcell.KeyRune, '4')
	h.key(tcell.KeyRune, '+')
	got = h.text()
	lines := strings.Split(got, "\n")
	decLine, decCol, notifyLine, notifyCol := -1, -1, -1, -1
	for i, l := range lines {
		if c := strings.Index(l, "Decrypted: with the key of "); c >= 0 && decLine < 0 {
			decLine, decCol = i, len([]rune(l[:c]))
		}
		if c := strings.Index(l, "Notify: AUTHENTICATION_FAILED (24)"); c >= 0 && notifyLine < 0 {
			notifyLine, notifyCol = i, len([]rune(l[:c]))
		}
	}
	if decLine < 0 || notifyLine != decLine+1 || notifyCol <= decCol {
		t.Errorf("the decode tree does not show the notify under the node that says it was decrypted:\n%s", got)
	}
	h.key(tcell.KeyRune, '+')
	// The ladder: the row's label says nothing of the notify; a line of
	// its own says it, as decrypted, in the style of what was decrypted.
	h.key(tcell.KeyRune, '6')
	got = h.text()
	if line := line0(got, "IKE_AUTH response #1"); strings.Contains(line, "AUTHENTICATION_FAILED") {
		t.Errorf("the ladder's row %q names the decrypted notify as its label", line)
	}
	st, ok := h.cellStyle("decrypted: N(AUTHENTICATION_FAILED)")
	if fg, _, attr := st.Decompose(); !ok || fg != tcell.ColorTeal || attr&tcell.AttrItalic == 0 {
		t.Errorf("the decrypted line: found %v, style %v; want teal italics:\n%s", ok, st, got)
	}
	if !strings.Contains(got, "decrypted: what the keys given revealed inside the encryption") {
		t.Errorf("the ladder does not say what decrypted means:\n%s", got)
	}
}

// TestNotDecryptedWithoutKeys: the same capture without keys says nothing
// decrypted anywhere.
func TestNotDecryptedWithoutKeys(t *testing.T) {
	dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab", "ikev2-auth-failed-keys")
	cfg := sampleConfig(filepath.Join(dir, "inside.pcap"), filepath.Join(dir, "outside.pcap"))
	cfg.Decode = decode.Options{KeepOther: true}
	h := startApp(t, cfg, 160, 50, nil)
	h.settle()
	h.key(tcell.KeyRune, '6')
	if got := h.text(); strings.Contains(got, "decrypted") {
		t.Errorf("without keys:\n%s", got)
	}
}
