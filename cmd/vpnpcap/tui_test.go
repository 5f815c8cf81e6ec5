package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestTUIUsage covers what `vpnpcap tui` says before it takes the screen.
func TestTUIUsage(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.pcap")
	writeFile(t, notCapture, []byte("these are notes\n"))
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no capture", []string{"tui"}, exitUsage, "Usage: vpnpcap tui"},
		{"missing file", []string{"tui", "does-not-exist.pcap"}, exitUsage, "vpnpcap tui: does-not-exist.pcap: no such file or directory"},
		{"three captures", []string{"tui", "a", "b", "c"}, exitUsage, "at most two captures"},
		{"bad colour", []string{"tui", "--color", "pink", "a.pcap"}, exitUsage, `invalid argument "pink" for "--color" flag: want auto, always, never`},
		{"half roles", []string{"tui", "--inside", "a.pcap"}, exitUsage, "--inside and --outside go together"},
		{"not a capture", []string{"tui", notCapture}, exitUsage, "vpnpcap tui: " + notCapture + ": not a capture file: unknown magic number"},
		{"standard input", []string{"tui", "-"}, exitUsage, "vpnpcap tui: -: not a file: the terminal UI reads a capture again"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.stderr)
			}
		})
	}
}
