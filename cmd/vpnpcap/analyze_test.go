package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/report"
)

// TestAnalyzeOutputAndQuiet: -o writes the report stdout would get, and
// nothing to stdout; -q prints nothing; the exit code is the same.
func TestAnalyzeOutputAndQuiet(t *testing.T) {
	in, out := samplePath("natt-port-blocked", "inside.pcap"), samplePath("natt-port-blocked", "outside.pcap")
	want, _, wantCode := runCLI(t, "analyze", "--color", "never", in, out)
	if wantCode != exitFindings || len(want) < 200 {
		t.Fatalf("analyze: exit %d, %d bytes", wantCode, len(want))
	}
	file := filepath.Join(t.TempDir(), "report.txt")
	stdout, stderr, code := runCLI(t, "analyze", "-o", file, in, out)
	got, err := os.ReadFile(file)
	if err != nil || string(got) != want || stdout != "" || stderr != "" || code != wantCode {
		t.Errorf("-o: exit %d, stdout %q, stderr %q, file differs: %v (%v)", code, stdout, stderr, string(got) != want, err)
	}
	stdout, stderr, code = runCLI(t, "analyze", "-q", in, out)
	if stdout != "" || stderr != "" || code != wantCode {
		t.Errorf("-q: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	stdout, _, code = runCLI(t, "analyze", "--quiet", "--fail-on", "none", in, out)
	if stdout != "" || code != exitOK {
		t.Errorf("--quiet --fail-on none: exit %d, stdout %q", code, stdout)
	}
	// A report written over a capture would destroy it.
	copyIn := filepath.Join(t.TempDir(), "inside.pcap")
	b, _ := os.ReadFile(in)
	writeFile(t, copyIn, b)
	_, stderr, code = runCLI(t, "analyze", "-o", copyIn, copyIn)
	after, _ := os.ReadFile(copyIn)
	if code != exitUsage || !strings.Contains(stderr, "it would be overwritten") || string(after) != string(b) {
		t.Errorf("-o onto the capture: exit %d, stderr %q, capture kept: %v", code, stderr, string(after) == string(b))
	}
	_, stderr, code = runCLI(t, "analyze", "-o", filepath.Join(t.TempDir(), "no", "dir", "r.txt"), in)
	if code != exitUsage || !strings.Contains(stderr, "no such file or directory") {
		t.Errorf("-o into no directory: exit %d, stderr %q", code, stderr)
	}
}

// TestExactNamesInJSON: a name with control characters, or not UTF-8, is
// escaped in "path" and kept exactly in "path_bytes", in the reports of
// analyze, flows and check; a plain name has no path_bytes.
func TestExactNamesInJSON(t *testing.T) {
	b, err := os.ReadFile(samplePath("natt-ok", "inside.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	for _, name := range []string{"evil\x1b]0;owned\a\r\nname.pcap", "latin1-\xe9t\xe9.pcap", "plain.pcap"} {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"analyze", "--format", "json", name},
			{"flows", "--format", "json", name},
			{"check", "--format", "json", name},
		} {
			stdout, stderr, code := runCLI(t, args...)
			if code == exitUsage {
				t.Fatalf("%q: exit 2: %s", args, stderr)
			}
			var caps []report.Capture
			if args[0] == "check" {
				r := parseCheckJSON(t, stdout)
				caps = r.Checks[0].Captures
			} else {
				var r report.Report
				if err := json.Unmarshal([]byte(stdout), &r); err != nil {
					t.Fatal(err)
				}
				caps = r.Captures
			}
			c := caps[0]
			if c.Path != report.SafeText(name) || c.File() != name {
				t.Errorf("%q: path %q, path_bytes %q; want %q and the name", args, c.Path, c.PathBytes, report.SafeText(name))
			}
			if (name == "plain.pcap") != (c.PathBytes == nil) || (name == "plain.pcap") != !strings.Contains(stdout, `"path_bytes"`) {
				t.Errorf("%q: path_bytes %q", args, c.PathBytes)
			}
			if strings.ContainsAny(stdout+stderr, "\x1b\a\r") || strings.Contains(stdout, "\ufffd") {
				t.Errorf("%q: a control character or a replacement character in the output", args)
			}
		}
	}
}
