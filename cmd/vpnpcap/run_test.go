package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// runCase is one CLI behaviour: arguments, and the golden file holding
// the expected exit code, stdout and stderr.
type runCase struct {
	name string
	args []string
}

// sample names a sample capture relative to the working directory, which
// TestRun makes a temporary directory holding a link to samples/: the
// reports then name captures the same way wherever the repository is
// checked out (the text report wraps by length).
func sample(parts ...string) string {
	return filepath.Join(append([]string{"samples"}, parts...)...)
}

// samplePath is a sample capture's absolute path.
func samplePath(parts ...string) string {
	return filepath.Join(append([]string{corpus.RepoRoot(), "samples"}, parts...)...)
}

// TestRun drives the CLI in-process and compares exit code, stdout and
// stderr with testdata/<case>.golden (go test ./cmd/vpnpcap -update
// rewrites them). Paths are made relative to the repository so the golden
// files do not depend on where it is checked out.
func TestRun(t *testing.T) {
	// Work in a temporary directory, so the damaged files below have
	// short relative names whatever the machine's temporary path (the
	// text report wraps by length).
	dir := t.TempDir()
	if err := os.Symlink(samplePath(), filepath.Join(dir, "samples")); err != nil {
		t.Fatal(err)
	}
	goldenDir := filepath.Join(corpus.RepoRoot(), "cmd", "vpnpcap", "testdata")
	t.Chdir(dir)
	corrupt := "truncated.pcap"
	whole, err := os.ReadFile(sample("natt-ok", "inside.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, whole[:len(whole)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	notCapture := "notes.pcap"
	if err := os.WriteFile(notCapture, []byte("these are notes, not packets\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	icmpCapture := "icmp-errors.pcap"
	writeICMPCapture(t, icmpCapture)
	if err := os.WriteFile("empty.pcap", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A name that would recolour the terminal and forge a line.
	evil := "evil\x1b[31m\nname.pcap"
	if err := os.WriteFile(evil, whole, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []runCase{
		{"no-args", nil},
		{"help", []string{"--help"}},
		{"unknown-command", []string{"frobnicate"}},
		{"analyze-no-capture", []string{"analyze"}},
		{"analyze-unknown-flag", []string{"analyze", "--bogus", sample("no-nat", "capture.pcap")}},
		{"analyze-bad-format", []string{"analyze", "--format", "xml", sample("no-nat", "capture.pcap")}},
		{"analyze-three-captures", []string{"analyze", "a", "b", "c"}},
		{"analyze-missing-file", []string{"analyze", "absent.pcap"}},
		{"analyze-not-capture", []string{"analyze", notCapture}},
		{"analyze-truncated", []string{"analyze", "--fail-on", "none", corrupt}},
		{"analyze-port-blocked-text", []string{"analyze", "--color", "never", sample("natt-port-blocked", "inside.pcap"), sample("natt-port-blocked", "outside.pcap")}},
		{"analyze-port-blocked-json", []string{"analyze", "--format", "json", sample("natt-port-blocked", "inside.pcap"), sample("natt-port-blocked", "outside.pcap")}},
		{"analyze-roles-given", []string{"analyze", "--color", "never", "--outside", sample("natt-ok", "outside.pcap"), "--inside", sample("natt-ok", "inside.pcap")}},
		{"analyze-no-nat", []string{"analyze", "--color", "never", sample("no-nat", "capture.pcap")}},
		{"analyze-fail-on-none", []string{"analyze", "--format", "json", "--fail-on", "none", sample("passthrough-off", "inside.pcap"), sample("passthrough-off", "outside.pcap")}},
		{"flows-json", []string{"flows", "--format", "json", sample("pptp-ok", "inside.pcap"), sample("pptp-ok", "outside.pcap")}},
		{"flows-text", []string{"flows", sample("natt-ok", "inside.pcap")}},
		{"dump-text", []string{"dump", sample("natt-ok-ikev1", "inside.pcap")}},
		{"dump-json", []string{"dump", "--format", "json", sample("ike-fragments-dropped", "inside.pcap")}},
		{"dump-icmp-text", []string{"dump", icmpCapture}},
		{"dump-icmp-json", []string{"dump", "--format", "json", icmpCapture}},
		{"help-analyze", []string{"help", "analyze"}},
		{"help-dump", []string{"help", "dump"}},
		{"help-rules", []string{"rules", "--help"}},
		{"help-unknown", []string{"help", "frobnicate"}},
		{"analyze-dir", []string{"analyze", "--color", "never", sample("natt-ok")}},
		{"analyze-dir-many", []string{"analyze", "samples"}},
		{"analyze-dir-and-file", []string{"analyze", sample("natt-ok"), sample("natt-ok", "inside.pcap")}},
		{"analyze-same-file", []string{"analyze", "-q", sample("natt-ok", "inside.pcap"), "./" + sample("natt-ok", "inside.pcap")}},
		{"analyze-roles-swapped", []string{"analyze", "-q", "--inside", sample("natt-ok", "outside.pcap"), "--outside", sample("natt-ok", "inside.pcap")}},
		{"analyze-half-pair-empty", []string{"analyze", "--color", "never", "empty.pcap", sample("natt-ok", "outside.pcap")}},
		{"analyze-half-pair-missing", []string{"analyze", "-q", sample("natt-ok", "inside.pcap"), "absent.pcap"}},
		{"analyze-match-window-nan", []string{"analyze", "--match-window", "NaN", sample("no-nat", "capture.pcap")}},
		{"analyze-match-window-negative", []string{"analyze", "--match-window", "-1", sample("no-nat", "capture.pcap")}},
		{"analyze-nat-udp-timeout-negative", []string{"analyze", "--nat-udp-timeout", "-5s", sample("no-nat", "capture.pcap")}},
		{"analyze-max-flows-negative", []string{"analyze", "--max-flows", "-1", sample("no-nat", "capture.pcap")}},
		{"check-ike-port-zero", []string{"check", "--ike-port", "0", sample("no-nat", "capture.pcap")}},
		{"flows-fifo-timeout-negative", []string{"flows", "--fifo-timeout", "-1s", sample("no-nat", "capture.pcap")}},
		{"analyze-control-chars", []string{"analyze", "--color", "never", "--fail-on", "none", evil}},
		{"analyze-control-chars-missing", []string{"analyze", "missing\x1b[2J\n.pcap"}},
		{"check-control-chars", []string{"check", "--color", "never", "--fail-on", "none", evil}},
		{"dump-control-chars", []string{"dump", "--filter", "frame 1-3", evil, sample("natt-ok", "inside.pcap")}},
		{"dump-filter", []string{"dump", "--filter", "(udp-esp or keepalive) and frame 25- and src host 192.168.1.23 and not spi 0xcdec9332", sample("natt-ok", "inside.pcap")}},
		{"dump-filter-bad", []string{"dump", "--filter", "port 99999", sample("natt-ok", "inside.pcap")}},
		{"rules-list", []string{"rules"}},
		{"rules-one", []string{"rules", "VP304"}},
		{"rules-unknown", []string{"rules", "VP999"}},
	}
	root := corpus.RepoRoot() + string(filepath.Separator)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			got := "exit " + itoa(code) + "\n--- stdout\n" + stdout.String() + "--- stderr\n" + stderr.String()
			got = strings.ReplaceAll(got, root, "")
			path := filepath.Join(goldenDir, tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/vpnpcap -run TestRun -update)", err)
			}
			if got != string(want) {
				t.Errorf("vpnpcap %s differs from %s (rerun with -update and review the diff):\n%s", strings.Join(tc.args, " "), path, got)
			}
		})
	}
}

func itoa(n int) string {
	return string(rune('0' + n))
}

// TestRunDeterministic runs the same analysis several times: same bytes
// out, in every format.
func TestRunDeterministic(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var first string
		for i := 0; i < 3; i++ {
			var stdout, stderr bytes.Buffer
			run(context.Background(), []string{"analyze", "--color", "never", "--format", format,
				samplePath("pptp-callid-collision", "inside.pcap"), samplePath("pptp-callid-collision", "outside.pcap")}, nil, &stdout, &stderr)
			if i == 0 {
				first = stdout.String()
			} else if stdout.String() != first {
				t.Fatalf("%s run %d differs from the first", format, i)
			}
		}
	}
}
