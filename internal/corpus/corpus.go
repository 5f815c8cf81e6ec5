// Package corpus locates the capture corpora that tests read, kept outside
// the repository relative to its root: real captures from public projects
// in ../shared/captures/public, and the lab's captures taken on both sides
// of a real NAT in ../shared/captures/lab (one directory per scenario, with
// inside.pcap, outside.pcap and the TRUTH.md they were checked against).
package corpus

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// Dir returns the corpus directory. When it is missing the test is skipped
// with a message, except under CI (CI set in the environment), where a
// missing corpus fails the test.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(RepoRoot(), "..", "shared", "captures", "public")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.md")); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("public capture corpus missing at %s: %v", dir, err)
		}
		tb.Skipf("public capture corpus not found at %s; skipping", dir)
	}
	return dir
}

// LabDir returns the directory of the lab captures: scenarios captured on
// both sides of a real Linux NAT with real IKE daemons, each in a
// directory with inside.pcap, outside.pcap and TRUTH.md, kept in
// ../shared/captures/lab relative to the repository root. It skips or
// fails as Dir does.
func LabDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(RepoRoot(), "..", "shared", "captures", "lab")
	if _, err := os.Stat(filepath.Join(dir, "natt-ok", "TRUTH.md")); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("lab captures missing at %s: %v", dir, err)
		}
		tb.Skipf("lab captures not found at %s; skipping", dir)
	}
	return dir
}

// Files returns every capture file of the corpus (pcap, pcapng and cap
// files; not tcpdump's .out files), as paths relative to Dir, sorted.
func Files(tb testing.TB) []string {
	tb.Helper()
	return captureFiles(tb, Dir(tb))
}

// LabFiles returns every capture of the lab corpus, as paths relative to
// LabDir ("natt-rebind/outside.pcap"), sorted.
func LabFiles(tb testing.TB) []string {
	tb.Helper()
	return captureFiles(tb, LabDir(tb))
}

// Paths returns the full paths of every capture of the public corpus.
func Paths(tb testing.TB) []string {
	tb.Helper()
	return joined(Dir(tb), Files(tb))
}

// LabPaths returns the full paths of every capture of the lab corpus.
func LabPaths(tb testing.TB) []string {
	tb.Helper()
	return joined(LabDir(tb), LabFiles(tb))
}

// SamplePaths returns the full paths of the captures shipped in samples/,
// sorted; a checkout without them fails the test.
func SamplePaths(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(RepoRoot(), "samples", "*", "*.pcap"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no sample captures: %v", err)
	}
	return files
}

func joined(dir string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Join(dir, f)
	}
	return out
}

// captureFiles returns the capture files under dir, relative to it, sorted.
func captureFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".pcap", ".pcapng", ".cap":
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("walking corpus: %v", err)
	}
	sort.Strings(files)
	return files
}

// RepoRoot returns the root of the vpnpcap checkout, found from this source
// file's location.
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// LabScenario returns the inside and outside captures of one lab scenario
// of LabDir, skipping or failing the test as LabDir does when the scenario
// is missing.
func LabScenario(tb testing.TB, name string) (inside, outside string) {
	tb.Helper()
	dir := filepath.Join(LabDir(tb), name)
	if _, err := os.Stat(filepath.Join(dir, "TRUTH.md")); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("lab scenario %s missing at %s: %v", name, dir, err)
		}
		tb.Skipf("lab scenario %s not found at %s; skipping", name, dir)
	}
	return filepath.Join(dir, "inside.pcap"), filepath.Join(dir, "outside.pcap")
}
