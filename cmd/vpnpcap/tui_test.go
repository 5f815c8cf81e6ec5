package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestTUIUsage covers what `vpnpcap tui` says before it takes the screen.
func TestTUIUsage(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no capture", []string{"tui"}, exitUsage, "Usage: vpnpcap tui"},
		{"help", []string{"tui", "--help"}, exitOK, "Press ? for the keys"},
		{"missing file", []string{"tui", "does-not-exist.pcap"}, exitUsage, "vpnpcap tui: open does-not-exist.pcap"},
		{"three captures", []string{"tui", "a", "b", "c"}, exitUsage, "at most two captures"},
		{"bad colour", []string{"tui", "--color", "pink", "a.pcap"}, exitUsage, `--color: unknown value "pink"`},
		{"half roles", []string{"tui", "--inside", "a.pcap"}, exitUsage, "--inside and --outside go together"},
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
