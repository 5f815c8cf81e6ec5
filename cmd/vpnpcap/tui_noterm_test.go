//go:build linux || darwin

package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTUIWithoutTerminal runs `vpnpcap tui` in a session of its own, which
// has no controlling terminal (as under cron, a service, or ssh without
// -t): it says that it needs a terminal, suggests analyze with the same
// captures, and exits with code 2.
func TestTUIWithoutTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "vpnpcap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	in, out := samplePairFiles(t, "natt-ok", dir)
	for _, tc := range []struct {
		args    []string
		suggest string
	}{
		{[]string{"tui", in, out}, "run: vpnpcap analyze " + in + " " + out},
		{[]string{"tui", "--inside", in, "--outside", out}, "run: vpnpcap analyze --inside " + in + " --outside " + out},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
			t.Errorf("%q: %v, want exit code %d", tc.args, err, exitUsage)
		}
		msg := stderr.String()
		if !strings.HasPrefix(msg, "vpnpcap tui: the terminal UI needs a terminal, and there is none (") || !strings.Contains(msg, tc.suggest) {
			t.Errorf("%q: stderr %q, want the need for a terminal and %q", tc.args, msg, tc.suggest)
		}
	}
}

func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{
		"samples/x/inside.pcap": "samples/x/inside.pcap",
		"my captures/in.pcap":   "'my captures/in.pcap'",
		"it's.pcap":             `'it'\''s.pcap'`,
		"":                      "''",
	} {
		if got := shellWord(in); got != want {
			t.Errorf("shellWord(%q) = %q, want %q", in, got, want)
		}
	}
}
