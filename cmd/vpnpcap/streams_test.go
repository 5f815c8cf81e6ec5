package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Captures given as streams — standard input, FIFOs, pipes, process
// substitution — must give the reports the same bytes given as files do.

// side is how one capture of a run is given.
type side int

const (
	asFile side = iota
	asFIFO
	asPipe // an anonymous pipe, reached through a symbolic link to /proc/self/fd/N
)

func (s side) String() string { return [...]string{"file", "fifo", "pipe"}[s] }

// needFIFOs skips a test where the system has no FIFOs.
func needFIFOs(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skipf("no FIFOs on %s", runtime.GOOS)
	}
}

// streamDir makes a directory holding inside.pcap and outside.pcap with
// the bytes given, each as a file, a FIFO or a pipe, and returns it. The
// writers of FIFOs and pipes write once, when a reader comes; they are
// released when the test ends.
func streamDir(t *testing.T, in, out []byte, kinds [2]side) string {
	t.Helper()
	dir := t.TempDir()
	for i, name := range []string{"inside.pcap", "outside.pcap"} {
		b := [][]byte{in, out}[i]
		p := filepath.Join(dir, name)
		switch kinds[i] {
		case asFile:
			writeFile(t, p, b)
		case asFIFO:
			feedFIFO(t, p, b)
		case asPipe:
			feedPipe(t, p, b)
		}
	}
	return dir
}

// feedFIFO makes a FIFO at path and writes b into it once a reader opens
// it.
func feedFIFO(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := os.OpenFile(path, os.O_WRONLY, 0) // waits for the reader
		if err != nil {
			return
		}
		w.Write(b)
		w.Close()
	}()
	t.Cleanup(func() {
		// A writer whose reader never came is let go: a reader that
		// opens without waiting, and closes, fails its write.
		if r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			r.Close()
		}
		<-done
	})
}

// feedPipe makes a pipe, writes b into it from a goroutine, and links
// path to its read end.
func feedPipe(t *testing.T, path string, b []byte) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("pipes are reached through /proc/self/fd on Linux only")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fmt.Sprintf("/proc/self/fd/%d", r.Fd()), path); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Write(b)
		w.Close()
	}()
	t.Cleanup(func() {
		r.Close() // the writer, if still blocked, fails
		<-done
	})
}

// runIn runs vpnpcap in-process in dir, with stdin.
func runIn(t *testing.T, dir string, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code = run(context.Background(), args, bytes.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func samplePair(t *testing.T, name string) (in, out []byte) {
	t.Helper()
	in, err := os.ReadFile(samplePath(name, "inside.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	out, err = os.ReadFile(samplePath(name, "outside.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	return in, out
}

// TestStreamsGiveFileReports runs every command that reads captures on a
// pair given as files, then with one and both captures given as FIFOs and
// as pipes, under the same names: stdout, stderr and the exit code must be
// the same.
func TestStreamsGiveFileReports(t *testing.T) {
	needFIFOs(t)
	in, out := samplePair(t, "natt-port-blocked")
	commands := [][]string{
		{"analyze", "--color", "never", "inside.pcap", "outside.pcap"},
		{"analyze", "--format", "json", "--inside", "inside.pcap", "--outside", "outside.pcap"},
		{"flows", "--format", "json", "inside.pcap", "outside.pcap"},
		{"check", "--color", "never", "inside.pcap", "outside.pcap"},
		{"dump", "inside.pcap", "outside.pcap"},
	}
	variants := [][2]side{{asFIFO, asFile}, {asFile, asFIFO}, {asFIFO, asFIFO}, {asPipe, asFile}, {asPipe, asPipe}, {asFIFO, asPipe}}
	for _, args := range commands {
		wantOut, wantErr, wantCode := runIn(t, streamDir(t, in, out, [2]side{asFile, asFile}), nil, args...)
		if len(wantOut) < 200 {
			t.Fatalf("%v on files: a report of %d bytes:\n%s%s", args, len(wantOut), wantOut, wantErr)
		}
		for _, v := range variants {
			t.Run(fmt.Sprintf("%s/%s+%s", strings.Join(args, " "), v[0], v[1]), func(t *testing.T) {
				gotOut, gotErr, gotCode := runIn(t, streamDir(t, in, out, v), nil, args...)
				if gotOut != wantOut || gotErr != wantErr || gotCode != wantCode {
					t.Errorf("exit %d, stderr %q, stdout differs: %v\nwant exit %d, stderr %q", gotCode, gotErr, gotOut != wantOut, wantCode, wantErr)
				}
			})
		}
	}
}

// TestStdinGivesFileReport gives one capture as standard input ("-"): the
// report is the file's, the capture named "-".
func TestStdinGivesFileReport(t *testing.T) {
	in, out := samplePair(t, "natt-port-blocked")
	dir := streamDir(t, in, out, [2]side{asFile, asFile})
	for _, args := range [][]string{
		{"analyze", "--format", "json", "STDIN", "outside.pcap"},
		{"analyze", "--format", "json", "--inside", "STDIN", "--outside", "outside.pcap"},
		{"flows", "--format", "json", "STDIN"},
		{"check", "--format", "json", "STDIN"},
		{"dump", "--format", "json", "STDIN", "outside.pcap"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			fileArgs := replaceArg(args, "STDIN", "inside.pcap")
			wantOut, wantErr, wantCode := runIn(t, dir, nil, fileArgs...)
			gotOut, gotErr, gotCode := runIn(t, dir, in, replaceArg(args, "STDIN", "-")...)
			// JSON quotes names whole: the file's report with its name
			// replaced by "-" is the report of standard input, but for
			// the fingerprints of findings, which hash the name.
			wantOut = withoutFingerprints(strings.ReplaceAll(wantOut, "inside.pcap", "-"))
			gotOut = withoutFingerprints(gotOut)
			if len(wantOut) < 200 || gotOut != wantOut || gotErr != wantErr || gotCode != wantCode {
				t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant exit %d, stderr %q, stdout:\n%s", gotCode, gotErr, gotOut, wantCode, wantErr, wantOut)
			}
		})
	}
}

var fingerprint = regexp.MustCompile(`"fingerprint": "[0-9a-f]+"`)

func withoutFingerprints(s string) string {
	return fingerprint.ReplaceAllString(s, `"fingerprint": ""`)
}

func replaceArg(args []string, from, to string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == from {
			a = to
		}
		out[i] = a
	}
	return out
}

// TestStdinNamedTwice: standard input can be read once.
func TestStdinNamedTwice(t *testing.T) {
	in, _ := samplePair(t, "natt-ok")
	for _, cmd := range []string{"analyze", "dump"} {
		_, stderr, code := runIn(t, t.TempDir(), in, cmd, "-", "-")
		if code != exitUsage || !strings.Contains(stderr, "standard input") || !strings.Contains(stderr, "twice") && !strings.Contains(stderr, "2 times") {
			t.Errorf("%s - -: exit %d, stderr %q; want 2 and a message about standard input", cmd, code, stderr)
		}
	}
}

// TestFIFOWithoutWriter: a FIFO nobody writes to is given up after
// --fifo-timeout, with a message that says so, by every command.
func TestFIFOWithoutWriter(t *testing.T) {
	needFIFOs(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "never.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	good := samplePath("natt-ok", "outside.pcap")
	for _, args := range [][]string{
		{"analyze", "--fifo-timeout", "200ms", fifo},
		{"analyze", "-q", "--fifo-timeout", "200ms", fifo, good},
		{"flows", "--fifo-timeout", "200ms", fifo},
		{"dump", "--fifo-timeout", "200ms", fifo},
		{"check", "--fifo-timeout", "200ms", fifo},
	} {
		t.Run(args[0], func(t *testing.T) {
			start := time.Now()
			_, stderr, code := runCLI(t, args...)
			took := time.Since(start)
			if code != exitUsage || !strings.Contains(stderr, "never.pcap: no process opened it for writing within 200ms") {
				t.Errorf("exit %d, stderr %q; want 2 and the timeout", code, stderr)
			}
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
	// The reader given up is released: the FIFO can be read again.
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, _ := os.ReadFile(good)
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			w.Write(b)
			w.Close()
		}
	}()
	stdout, stderr, code := runCLI(t, "dump", "--fifo-timeout", "10s", fifo)
	<-done
	if code != exitOK || !strings.Contains(stdout, "IKE_SA_INIT") {
		t.Errorf("FIFO read after a timeout: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(helpOf(t, "analyze"), "(default 30s)") {
		t.Error("the help does not give --fifo-timeout's default")
	}
}

func helpOf(t *testing.T, cmd string) string {
	t.Helper()
	stdout, _, code := runCLI(t, "help", cmd)
	if code != exitOK {
		t.Fatalf("help %s: exit %d", cmd, code)
	}
	return stdout
}

// TestCheckSkipsAndReports covers what check finds in a directory: FIFOs,
// dangling links and other non-files are skipped with their reason, other
// files counted; an empty inside capture leaves a pair with one side.
func TestCheckSkipsAndReports(t *testing.T) {
	needFIFOs(t)
	dir := t.TempDir()
	_, out := samplePair(t, "natt-ok")
	writeFile(t, filepath.Join(dir, "site", "inside.pcap"), nil)
	writeFile(t, filepath.Join(dir, "site", "outside.pcap"), out)
	writeFile(t, filepath.Join(dir, "site", "README.md"), []byte("notes\n"))
	if err := syscall.Mkfifo(filepath.Join(dir, "site", "live.pcap"), 0o600); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"dangling": "nowhere", "gone.pcap": "nowhere.pcap", "sub": "."} {
		if err := os.Symlink(target, filepath.Join(dir, "site", link)); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code := runCLI(t, "check", "--format", "json", dir)
	if code != exitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{
		"vpnpcap check: skipped " + filepath.Join(dir, "site", "dangling") + ": a symbolic link whose target cannot be read: no such file or directory\n",
		"vpnpcap check: skipped " + filepath.Join(dir, "site", "live.pcap") + ": not a regular file but a FIFO: give it as an argument to read it\n",
		"vpnpcap check: skipped " + filepath.Join(dir, "site", "sub") + ": not a regular file but a directory (links are not followed into directories): give it as an argument to read it\n",
		"vpnpcap check: skipped 1 other file in the directories walked: not captures\n",
		"vpnpcap check: " + filepath.Join(dir, "site", "inside.pcap") + ": not a capture file: empty file\n",
		"vpnpcap check: " + filepath.Join(dir, "site", "gone.pcap") + ": a symbolic link whose target cannot be read: no such file or directory\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	r := parseCheckJSON(t, stdout)
	var pair *struct {
		Name     string
		Status   string
		Captures []string
	}
	for _, c := range r.Checks {
		if filepath.Base(c.Name) != "site" {
			continue
		}
		pair = &struct {
			Name     string
			Status   string
			Captures []string
		}{c.Name, string(c.Status), nil}
		if len(c.Captures) != 2 || c.Captures[0].Role != "inside" || c.Captures[0].ReadError == "" ||
			c.Captures[1].Role != "outside" || c.Captures[1].ReadError != "" || c.Captures[1].Frames != 55 {
			t.Errorf("the pair with an empty inside capture: %+v", c.Captures)
		}
		if c.Status != "error" {
			t.Errorf("the pair's status is %s, want error", c.Status)
		}
	}
	if pair == nil {
		t.Errorf("no check of the pair:\n%s", stdout)
	}
}

// TestCheckStreamArguments: a FIFO and standard input named as arguments
// of check are spooled, sniffed and checked whole.
func TestCheckStreamArguments(t *testing.T) {
	needFIFOs(t)
	in, out := samplePair(t, "natt-ok")
	want, _, wantCode := runIn(t, streamDir(t, in, out, [2]side{asFile, asFile}), nil, "check", "--color", "never", "inside.pcap")
	got, stderr, code := runIn(t, streamDir(t, in, out, [2]side{asFIFO, asFile}), nil, "check", "--color", "never", "inside.pcap")
	if got != want || code != wantCode || !strings.Contains(got, "55 frames") {
		t.Errorf("check of a FIFO: exit %d, stderr %q:\n%s\nwant:\n%s", code, stderr, got, want)
	}
	got, stderr, code = runIn(t, t.TempDir(), in, "check", "--color", "never", "-")
	if code != wantCode || !strings.Contains(got, "capture -: 55 frames") {
		t.Errorf("check -: exit %d, stderr %q:\n%s", code, stderr, got)
	}
}

// TestProcessSubstitution runs the binary from bash with <(...) and a
// pipe into standard input, as a user would.
func TestProcessSubstitution(t *testing.T) {
	needFIFOs(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	bin := filepath.Join(t.TempDir(), "vpnpcap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	in, out := samplePair(t, "natt-port-blocked")
	dir := streamDir(t, in, out, [2]side{asFile, asFile})
	fdName := regexp.MustCompile(`/dev/fd/[0-9]+`)
	sh := func(script string) (string, int) {
		t.Helper()
		cmd := exec.Command(bash, "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "BIN="+bin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		if stderr.Len() > 0 {
			t.Logf("%s: stderr %s", script, stderr.String())
		}
		return stdout.String(), code
	}
	for _, tc := range []struct{ files, streams string }{
		{`"$BIN" check --format json inside.pcap`, `"$BIN" check --format json <(cat inside.pcap)`},
		{`"$BIN" analyze --format json inside.pcap outside.pcap`, `"$BIN" analyze --format json <(cat inside.pcap) <(cat outside.pcap)`},
		{`"$BIN" analyze --format json inside.pcap outside.pcap`, `cat inside.pcap | "$BIN" analyze --format json - <(cat outside.pcap)`},
		{`"$BIN" flows --format json inside.pcap`, `gzip -c inside.pcap | "$BIN" flows --format json -`},
	} {
		want, wantCode := sh(tc.files)
		got, code := sh(tc.streams)
		// Name the streams as the files are named, in order; standard
		// input is "-".
		names := []string{"inside.pcap", "outside.pcap"}
		if strings.Contains(tc.streams, "| ") {
			want = strings.ReplaceAll(want, "inside.pcap", "-")
			names = names[1:]
		}
		seen := map[string]string{}
		got = fdName.ReplaceAllStringFunc(got, func(fd string) string {
			if n, ok := seen[fd]; ok {
				return n
			}
			n := names[len(seen)%len(names)]
			seen[fd] = n
			return n
		})
		want, got = withoutFingerprints(want), withoutFingerprints(got)
		if len(want) < 200 || got != want || code != wantCode {
			t.Errorf("%s: exit %d, want %d; stdout:\n%s\nwant (from %s):\n%s", tc.streams, code, wantCode, got, tc.files, want)
		}
	}
}

// TestEndlessDevice: a device that never ends and holds no capture is
// refused from its first bytes, not spooled for ever.
func TestEndlessDevice(t *testing.T) {
	for _, dev := range []string{"/dev/zero", "/dev/urandom"} {
		if _, err := os.Stat(dev); err != nil {
			t.Skipf("no %s", dev)
		}
		for _, cmd := range []string{"analyze", "flows", "check", "dump"} {
			done := make(chan struct{})
			var stderr string
			var code int
			go func() {
				defer close(done)
				_, stderr, code = runCLI(t, cmd, dev)
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("%s %s still reading after 20s", cmd, dev)
			}
			if code != exitUsage || !strings.Contains(stderr, dev+": not a capture file: unknown magic number") {
				t.Errorf("%s %s: exit %d, stderr %q", cmd, dev, code, stderr)
			}
		}
	}
}

// swapFirstRecords returns a classic pcap file with its first two records
// swapped: time runs backwards once.
func swapFirstRecords(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatal("want a little-endian classic pcap file")
	}
	rec := func(off int) int { return 16 + int(binary.LittleEndian.Uint32(b[off+8:])) }
	first := rec(24)
	second := rec(24 + first)
	out := slices.Clone(b[:24])
	out = append(out, b[24+first:24+first+second]...)
	out = append(out, b[24:24+first]...)
	return append(out, b[24+first+second:]...)
}

// TestStdinReadOnce: one capture on standard input is read once, as it
// arrives; when its time runs backwards it cannot be read again to sort
// it, and the report says so where the file's says it was sorted.
func TestStdinReadOnce(t *testing.T) {
	in, _ := samplePair(t, "natt-port-blocked")
	backwards := swapFirstRecords(t, in)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "back.pcap"), backwards, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"analyze", "check"} {
		fileOut, _, _ := runIn(t, dir, nil, cmd, "--format", "json", "back.pcap")
		streamOut, _, _ := runIn(t, dir, backwards, cmd, "--format", "json", "-")
		if !strings.Contains(fileOut, `"time_order": "time"`) {
			t.Errorf("%s of the file: no time_order \"time\"", cmd)
		}
		if !strings.Contains(streamOut, `"time_order": "file-stream"`) || !strings.Contains(streamOut, "cannot be read again to sort it") {
			t.Errorf("%s of standard input: want time_order \"file-stream\" and VP909 saying why:\n%s", cmd, streamOut)
		}
	}
}
