package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/samples"
)

// samplePair puts a sample scenario's captures into a temporary directory
// (so that exports do not write into the repository) and returns their
// paths: the files under samples/ when they are there, else the ones the
// sample generator makes, which are the same bytes.
func samplePair(t *testing.T, name string) (inside, outside string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"inside.pcap", "outside.pcap"} {
		b, err := os.ReadFile(filepath.Join("..", "samples", name, f))
		if err != nil {
			r, err := samples.Build(name)
			if err != nil {
				t.Fatalf("samples.Build(%q): %v", name, err)
			}
			names, data, err := r.Files()
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range names {
				if filepath.Base(n) == f {
					b = data[i]
				}
			}
		}
		if len(b) == 0 {
			t.Fatalf("sample %s has no %s", name, f)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "inside.pcap"), filepath.Join(dir, "outside.pcap")
}

// sampleConfig is the configuration of the real program for a pair.
func sampleConfig(inside, outside string) Config {
	return Config{
		Captures:   []Capture{{Path: inside}, {Path: outside}},
		RolesGiven: true,
		Decode:     decode.Options{KeepOther: true},
		OutDir:     filepath.Dir(inside),
	}
}

// TestSamplePair browses the natt-port-blocked sample — NAT-T negotiated,
// UDP 4500 blocked outbound — from files, with the real rules: the IKE_AUTH
// retransmissions show as lost between the captures, the decode tree and
// the bytes come from the file, and `w` writes the tunnel for Wireshark.
func TestSamplePair(t *testing.T) {
	in, out := samplePair(t, "natt-port-blocked")
	h := startApp(t, sampleConfig(in, out), 100, 30, nil)
	h.settle()
	got := h.text()
	for _, want := range []string{"T1 ", "both", "Packets of tunnel 1:", "IKE_SA_INIT request", "crossed", "LOST →", "Decode", "0028  "} {
		if !strings.Contains(got, want) {
			t.Errorf("sample screen lacks %q:\n%s", want, got)
		}
	}
	// The first lost packet is an IKE_AUTH request on 4500: its tree
	// shows the non-ESP marker, and its bytes are there to highlight.
	h.key(tcell.KeyRune, '3')
	h.key(tcell.KeyRune, 'n')
	got = h.text()
	for _, want := range []string{"Non-ESP marker", "Internet Key Exchange version 2: IKE_AUTH request"} {
		if !strings.Contains(got, want) {
			t.Errorf("lost IKE_AUTH: screen lacks %q:\n%s", want, got)
		}
	}
	var mark [2]int
	var n int
	h.onUI(func() { mark, n = h.hexMark(), len(h.a.hex.data) })
	if n == 0 || mark[1] <= mark[0] || mark[1] > n {
		t.Errorf("hex view: %d bytes, mark %v; want the selected IKE message highlighted", n, mark)
	}

}

// hexMark returns the highlighted bytes (on the UI goroutine).
func (h *harness) hexMark() [2]int { return h.a.hex.mark }
