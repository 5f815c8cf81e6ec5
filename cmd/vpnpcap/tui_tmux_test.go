package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/samples"
)

// tmuxSession drives the real binary in a detached tmux session on a
// private tmux server, as a user at a 100×30 terminal would.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen returns what the pane shows; with escapes, its SGR sequences too.
func (s *tmuxSession) screen(escapes bool) string {
	s.t.Helper()
	args := []string{"capture-pane", "-p", "-t", "vpnpcap"}
	if escapes {
		args = append(args, "-e")
	}
	return s.tmux(args...)
}

// waitFor waits until the screen shows every text, and returns it.
func (s *tmuxSession) waitFor(texts ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: CI machines are loaded
	for {
		scr := s.screen(false)
		all := true
		for _, t := range texts {
			if !strings.Contains(scr, t) {
				all = false
			}
		}
		if all {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %q:\n%s", texts, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGone waits until the screen no longer shows text: a key that closes
// something must take effect before the next key is sent, or a loaded
// machine delivers Escape and the next key together as one Alt key.
func (s *tmuxSession) waitGone(text string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Contains(s.screen(false), text) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen still shows %q", text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keys types keys, as tmux send-keys names them, one at a time: a
// terminal sends an Escape followed at once by another key as one
// Alt-modified key.
func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		s.tmux("send-keys", "-t", "vpnpcap", k)
		time.Sleep(60 * time.Millisecond)
	}
}

// samplePairFiles writes a sample's captures into dir.
func samplePairFiles(t *testing.T, name, dir string) (string, string) {
	t.Helper()
	var paths []string
	for _, f := range []string{"inside.pcap", "outside.pcap"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "samples", name, f))
		if err != nil {
			r, err := samples.Build(name)
			if err != nil {
				t.Fatal(err)
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
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths[0], paths[1]
}

// buildBinary builds vpnpcap into a temporary directory, or skips the
// test when tmux is missing (and fails it in CI, which installs tmux).
func buildBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed; .ci/run installs it")
		}
		t.Skip("tmux is not installed")
	}
	bin := filepath.Join(t.TempDir(), "vpnpcap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startTUI starts `vpnpcap tui` on a sample pair in tmux. The shell prints
// the exit code when it ends.
func startTUI(t *testing.T, bin, env string) (*tmuxSession, string) {
	t.Helper()
	dir := t.TempDir()
	in, out := samplePairFiles(t, "natt-port-blocked", dir)
	s := &tmuxSession{t: t, socket: "vpnpcap-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	cmd := env + " " + bin + " tui " + in + " " + out + "; echo EXIT=$?; sleep 30"
	s.tmux("new-session", "-d", "-s", "vpnpcap", "-x", "100", "-y", "30", cmd)
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s, dir
}

func TestTUIInTmux(t *testing.T) {
	bin := buildBinary(t)
	t.Run("browse", func(t *testing.T) { tmuxBrowse(t, bin) })
	t.Run("NO_COLOR", func(t *testing.T) { tmuxNoColor(t, bin) })
	t.Run("truncated", func(t *testing.T) { tmuxTruncated(t, bin) })
}

// TestStdinTerminalInTmux runs `vpnpcap analyze -` and `dump -` at a
// terminal: they say that a capture must be piped in, rather than wait
// for one.
func TestStdinTerminalInTmux(t *testing.T) {
	bin := buildBinary(t)
	s := &tmuxSession{t: t, socket: "vpnpcap-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	s.tmux("new-session", "-d", "-s", "vpnpcap", "-x", "250", "-y", "30", bin+" analyze -; echo EXIT=$?; "+bin+" dump -; echo EXIT=$?; sleep 30")
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	scr := s.waitFor("EXIT=2\n", "vpnpcap dump: -: is a terminal")
	if !strings.Contains(scr, "vpnpcap analyze: -: is a terminal, not a capture: pipe a capture into vpnpcap") || strings.Count(scr, "EXIT=2") != 2 {
		t.Errorf("screen:\n%s", scr)
	}
}

// tmuxTruncated opens a capture cut short: the UI shows what it read and
// the fault, and once closed, vpnpcap says so and exits with code 2.
func tmuxTruncated(t *testing.T, bin string) {
	dir := t.TempDir()
	in, _ := samplePairFiles(t, "natt-ok", dir)
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	writeFile(t, cut, b[:len(b)-7])
	s := &tmuxSession{t: t, socket: "vpnpcap-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	s.tmux("new-session", "-d", "-s", "vpnpcap", "-x", "250", "-y", "30", "TERM=xterm-256color "+bin+" tui "+cut+"; echo EXIT=$?; sleep 30")
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	s.waitFor("truncated")
	s.keys("q")
	scr := s.waitFor("EXIT=2")
	if !strings.Contains(scr, "vpnpcap tui: "+cut+": truncated: record has 135 of 142 bytes") {
		t.Errorf("no message after the UI closed:\n%s", scr)
	}
}

func tmuxBrowse(t *testing.T, bin string) {
	s, dir := startTUI(t, bin, "TERM=xterm-256color")
	scr := s.waitFor("Packets of tunnel 1:", "LOST →", "clock +")
	for _, want := range []string{"vpnpcap │ in:", "T1 ", "both", "IKE_SA_INIT request #0", "crossed", "Decode", "Bytes", "? help"} {
		if !strings.Contains(scr, want) {
			t.Errorf("first screen lacks %q:\n%s", want, scr)
		}
	}
	// The first lost packet, its decode tree and bytes.
	s.keys("3", "n")
	s.waitFor("Non-ESP marker", "IKE_AUTH request")
	// Filter, and an invalid filter that shows its error.
	s.keys("/", "i", "k", "e")
	s.waitFor("/ ike")
	s.keys("Space", "p", "o", "r", "t", "Space", "x")
	s.waitFor("port x: not a port number")
	s.keys("Escape")
	s.waitGone("port x: not a port number")
	// Help overlay, from the keymap.
	s.keys("?")
	s.waitFor("Keys (j/k scroll", "next dropped or modified packet")
	s.keys("Escape")
	s.waitGone("Keys (j/k scroll")
	// Findings: jump to the first one's evidence when there is one.
	s.keys("2")
	scr = s.waitFor("Findings (")
	if !strings.Contains(scr, "Findings (0)") {
		s.keys("Enter")
		s.waitFor("evidence of VP")
	}
	// Write the tunnel for Wireshark.
	s.keys("1", "w")
	s.waitFor("wrote ")
	for _, f := range []string{"inside-tunnel1.pcap", "outside-tunnel1.pcap"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() <= 24 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// Resize to 80×24: the layout adapts.
	s.tmux("resize-window", "-t", "vpnpcap", "-x", "80", "-y", "24")
	scr = s.waitFor("Packets of tunnel 1")
	for _, line := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line wider than 80 after the resize (%d): %q", n, line)
		}
	}
	// q quits and gives the terminal back.
	s.keys("q")
	scr = s.waitFor("EXIT=0")
	if strings.Contains(scr, "Packets of tunnel") {
		t.Errorf("the UI is still on the screen after q:\n%s", scr)
	}
}

// sgr matches SGR escape sequences.
var sgr = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

// setsColour returns the first SGR sequence of a screen that sets a
// foreground or background colour (39 and 49, the defaults, do not).
func setsColour(screen string) string {
	for _, m := range sgr.FindAllStringSubmatch(screen, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			n, err := strconv.Atoi(p)
			if err != nil {
				continue
			}
			if n >= 30 && n <= 38 || n >= 40 && n <= 48 || n >= 90 && n <= 97 || n >= 100 && n <= 107 {
				return m[0]
			}
		}
	}
	return ""
}

// tmuxNoColor checks that NO_COLOR leaves the terminal's colours alone,
// and that without it the UI does use colour (so that the check can fail).
func tmuxNoColor(t *testing.T, bin string) {
	s, _ := startTUI(t, bin, "TERM=xterm-256color")
	s.waitFor("Packets of tunnel 1:", "LOST →")
	if setsColour(s.screen(true)) == "" {
		t.Error("without NO_COLOR the screen sets no colour")
	}
	s.keys("q")
	s.waitFor("EXIT=0")

	s, _ = startTUI(t, bin, "TERM=xterm-256color NO_COLOR=1")
	s.waitFor("Packets of tunnel 1:", "LOST →")
	if m := setsColour(s.screen(true)); m != "" {
		t.Errorf("with NO_COLOR the screen sets a colour: %q", m)
	}
	s.keys("q")
	s.waitFor("EXIT=0")
}
