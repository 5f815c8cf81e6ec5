package main

import (
	"bytes"
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

// startTUI starts `vpnpcap tui` on a sample pair in tmux at 100×30. The
// shell prints the exit code when it ends.
func startTUI(t *testing.T, bin, env string) (*tmuxSession, string) {
	t.Helper()
	s, dir, _ := startTUISized(t, bin, env, 100, 30)
	return s, dir
}

// startTUISized starts `vpnpcap tui` on a sample pair in tmux at w×h,
// in a working directory of its own (cwd) apart from the captures' (dir).
func startTUISized(t *testing.T, bin, env string, w, h int) (s *tmuxSession, dir, cwd string) {
	t.Helper()
	dir, cwd = t.TempDir(), t.TempDir()
	in, out := samplePairFiles(t, "natt-port-blocked", dir)
	s = &tmuxSession{t: t, socket: "vpnpcap-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	cmd := env + " " + bin + " tui " + in + " " + out + "; echo EXIT=$?; sleep 30"
	s.tmux("new-session", "-d", "-s", "vpnpcap", "-c", cwd, "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), cmd)
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s, dir, cwd
}

// typeText types text into the UI as it is.
func (s *tmuxSession) typeText(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", "vpnpcap", "-l", text)
	time.Sleep(60 * time.Millisecond)
}

func TestTUIInTmux(t *testing.T) {
	bin := buildBinary(t)
	t.Run("browse", func(t *testing.T) { tmuxBrowse(t, bin) })
	t.Run("export", func(t *testing.T) { tmuxExport(t, bin) })
	t.Run("back", func(t *testing.T) { tmuxBack(t, bin) })
	t.Run("zoom", func(t *testing.T) { tmuxZoom(t, bin) })
	t.Run("search", func(t *testing.T) { tmuxSearch(t, bin) })
	t.Run("80x24", func(t *testing.T) { tmuxSmall(t, bin) })
	t.Run("NO_COLOR", func(t *testing.T) { tmuxNoColor(t, bin) })
	t.Run("truncated", func(t *testing.T) { tmuxTruncated(t, bin) })
	t.Run("ladder", func(t *testing.T) { tmuxLadder(t, bin) })
}

// TestStdinTerminalInTmux runs `vpnpcap analyze -` and `dump -` at a
// terminal: they say that a capture must be piped in, rather than wait
// for one.
func TestStdinTerminalInTmux(t *testing.T) {
	bin := buildBinary(t)
	s := &tmuxSession{t: t, socket: "vpnpcap-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	s.tmux("new-session", "-d", "-s", "vpnpcap", "-x", "250", "-y", "30", bin+" analyze -; echo EXIT=$?; "+bin+" dump -; echo EXIT=$?; echo DONE; sleep 30")
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	scr := s.waitFor("DONE\n", "vpnpcap dump: -: is a terminal")
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
	s, _ := startTUI(t, bin, "TERM=xterm-256color")
	scr := s.waitFor("Packets of tunnel 1:", "LOST →", "clock +")
	for _, want := range []string{"vpnpcap │ in:", "T1 ", "both", "IKE_SA_INIT request #0", "crossed", "[4] Decode", "[5] Bytes", "[2] Findings", "? help"} {
		if !strings.Contains(scr, want) {
			t.Errorf("first screen lacks %q:\n%s", want, scr)
		}
	}
	// The first lost packet, its decode tree and bytes.
	s.keys("3", "n")
	s.waitFor("Non-ESP marker", "IKE_AUTH request")
	// Filter, and an invalid filter that shows its error.
	s.keys("1", "/", "i", "k", "e")
	s.waitFor("/ ike")
	s.keys("Space", "p", "o", "r", "t", "Space", "x")
	s.waitFor("port x: not a port number")
	s.keys("Escape")
	s.waitGone("port x: not a port number")
	// Help overlay, from the keymap; q closes it, and the UI goes on.
	s.keys("?")
	s.waitFor("Keys (j/k scroll", "go to [6] the ladder of what crossed the NAT")
	s.keys("q")
	s.waitGone("Keys (j/k scroll")
	if scr := s.screen(false); strings.Contains(scr, "EXIT=") {
		t.Fatalf("q in the help quit:\n%s", scr)
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

// tmuxExport exports tunnel 1 as Wireshark's Export Specified Packets
// does: w proposes a file in the working directory, Enter writes it and
// shows its full path; the file is pcapng whose packet comments give
// each frame's capture and original frame number, as tshark reads them;
// a second export to the same path asks before replacing the file, and n
// keeps it.
func tmuxExport(t *testing.T, bin string) {
	s, dir, cwd := startTUISized(t, bin, "TERM=xterm-256color", 120, 34)
	s.waitFor("Packets of tunnel 1:", "LOST →")
	path := filepath.Join(cwd, "inside+outside-tunnel1.pcapng")
	s.keys("w")
	s.waitFor("Export the packets of tunnel 1", "File: "+path, "Enter writes, Esc cancels.")
	s.keys("Enter")
	s.waitFor("wrote " + path + ": ")
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files beside the captures, want the 2 captures alone", len(entries))
	}
	tsharkComments(t, path, dir)

	s.keys("w")
	s.waitFor("Export the packets of tunnel 1")
	s.keys("Enter")
	s.waitFor("exists. Replace", "n or Esc keeps it.")
	s.keys("n")
	s.waitFor("Enter writes, Esc cancels.")
	s.keys("Escape")
	s.waitGone("Export the packets of tunnel 1")
	s.waitFor("export cancelled")
	if again, _ := os.ReadFile(path); !bytes.Equal(again, written) {
		t.Error("the export was replaced without y")
	}
	s.keys("q")
	s.waitFor("EXIT=0")
}

// tsharkComments has tshark read an export's packet comments: each names
// a frame of a capture in dir, which is the frame exported, byte for byte.
// Skipped without tshark, except under CI.
func tsharkComments(t *testing.T, path, dir string) {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark not found under CI: %v", err)
		}
		t.Log("tshark not installed: the comments are not checked")
		return
	}
	cmd := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "frame.comment", "-e", "frame.time_epoch")
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	comment := regexp.MustCompile(`^frame (\d+) of ` + regexp.QuoteMeta(filepath.Base(dir)) + `/(inside|outside)\.pcap \((inside|outside)\)\t(\d+\.\d+)$`)
	// The time of every frame of each capture, by frame number.
	times := map[string]map[string]string{}
	for _, side := range []string{"inside", "outside"} {
		orig := exec.Command(tshark, "-r", filepath.Join(dir, side+".pcap"), "-T", "fields", "-e", "frame.number", "-e", "frame.time_epoch")
		orig.Env = cmd.Env
		b, err := orig.Output()
		if err != nil {
			t.Fatalf("tshark -r %s.pcap: %v", side, err)
		}
		times[side] = map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if n, ts, ok := strings.Cut(l, "\t"); ok {
				times[side][n] = ts
			}
		}
	}
	sides := map[string]int{}
	for i, l := range lines {
		m := comment.FindStringSubmatch(l)
		if m == nil || m[2] != m[3] {
			t.Fatalf("frame %d of the export: tshark reads %q, want \"frame N of DIR/SIDE.pcap (SIDE)\"", i+1, l)
		}
		sides[m[2]]++
		// The original frame N of that capture has the exported frame's
		// time stamp.
		if ts := times[m[2]][m[1]]; ts != m[4] {
			t.Errorf("frame %d of the export says it is frame %s of %s.pcap, whose time is %q, not %s", i+1, m[1], m[2], ts, m[4])
		}
	}
	if sides["inside"] == 0 || sides["outside"] == 0 {
		t.Errorf("the export has frames of %v, want both captures", sides)
	}
}

// tmuxBack goes to a finding's evidence and back with Esc, and from a
// tunnel to its packets and back with Backspace.
func tmuxBack(t *testing.T, bin string) {
	s, _ := startTUI(t, bin, "TERM=xterm-256color")
	s.waitFor("Packets of tunnel 1:", "LOST →")
	s.keys("2", "j", "Enter")
	s.waitFor("evidence of VP")
	s.keys("Escape")
	scr := s.waitFor("back to Findings")
	if !strings.Contains(scr, "╔ [2] Findings") {
		t.Errorf("Esc after the jump: the findings do not have the focus:\n%s", scr)
	}
	s.keys("1", "Enter")
	s.waitFor("╔ [3] Packets")
	s.keys("BSpace")
	scr = s.waitFor("back to Tunnels & flows")
	if !strings.Contains(scr, "╔ [1] Tunnels & flows") {
		t.Errorf("Backspace: the tunnels do not have the focus:\n%s", scr)
	}
	s.keys("q")
	s.waitFor("EXIT=0")
}

// tmuxZoom zooms the packets pane and restores the panes.
func tmuxZoom(t *testing.T, bin string) {
	s, _ := startTUI(t, bin, "TERM=xterm-256color")
	s.waitFor("Packets of tunnel 1:", "LOST →")
	s.keys("3", "+")
	s.waitFor("Packets zoomed: + restores the panes")
	s.waitGone("[1] Tunnels & flows")
	scr := s.screen(false)
	if strings.Contains(scr, "[4] Decode") || strings.Count(scr, "IKE_AUTH request #1") < 5 {
		t.Errorf("zoomed: want the packets alone, all the IKE_AUTH retransmissions in view:\n%s", scr)
	}
	s.keys("+")
	s.waitFor("[1] Tunnels & flows", "[4] Decode")
	s.keys("q")
	s.waitFor("EXIT=0")
}

// tmuxSearch searches the packets: / in the packets pane, the count as
// the search is typed, Enter to the first match, n to the next.
func tmuxSearch(t *testing.T, bin string) {
	s, _ := startTUI(t, bin, "TERM=xterm-256color")
	s.waitFor("Packets of tunnel 1:", "LOST →")
	s.keys("3", "/")
	s.waitFor("search packets:")
	s.typeText("kind nat-keepalive")
	scr := s.waitFor("of the packets listed match")
	m := regexp.MustCompile(`(\d+) of the packets listed match`).FindStringSubmatch(scr)
	if m == nil || m[1] == "0" || m[1] == "1" {
		t.Fatalf("the search counts %v matches, want keepalives:\n%s", m, scr)
	}
	s.keys("Enter")
	s.waitFor("match 1 of "+m[1]+" for kind nat-keepalive", "NAT-T keepalive")
	s.keys("n")
	s.waitFor("match 2 of " + m[1] + " for kind nat-keepalive")
	s.keys("q")
	s.waitFor("EXIT=0")
}

// tmuxSmall starts at 80×24: the findings show beside the tunnels,
// packets and decode tree, and no line is wider than the screen.
func tmuxSmall(t *testing.T, bin string) {
	s, _, _ := startTUISized(t, bin, "TERM=xterm-256color", 80, 24)
	scr := s.waitFor("[3] Packets of tunnel 1:", "[2] Findings (2)", "error VP101", "[1] Tunnels & flows", "[4] Decode")
	for _, line := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line wider than 80 (%d): %q", n, line)
		}
	}
	// At least three packets show.
	if n := strings.Count(scr, " 09:30:"); n < 3 {
		t.Errorf("%d packets in view at 80×24, want at least 3:\n%s", n, scr)
	}
	s.keys("q")
	s.waitFor("EXIT=0")
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

// tmuxLadder opens the ladder of natt-port-blocked's tunnel: 6 shows it in
// the packets' place, the IKE_AUTH request and its five retransmissions
// stopping at the NAT (the sample's README); Enter on that row selects its
// first frame in the packets, and Esc comes back to the row. Where the
// locale's character set is not UTF-8 the ladder is drawn in ASCII.
func tmuxLadder(t *testing.T, bin string) {
	s, _ := startTUI(t, bin, "TERM=xterm-256color LC_ALL=C.UTF-8")
	s.waitFor("Packets of tunnel 1:", "LOST →")
	s.keys("6")
	scr := s.waitFor("╔ [6] Ladder of tunnel 1", "IKE_AUTH request #1 on 4500 ⟲×5")
	if l := lineWith(scr, "IKE_AUTH request #1 on 4500"); !strings.Contains(l, "│─────────►✗") {
		t.Errorf("the IKE_AUTH row does not stop at the NAT: %q", l)
	}
	s.keys("j", "j", "Enter")
	s.waitFor("╔ [3] Packets of tunnel 1", "the first of the ladder's row 3, IKE_AUTH request #1 on 4500")
	s.keys("Escape")
	s.waitFor("╔ [6] Ladder of tunnel 1", "back to Ladder")
	s.keys("q")
	s.waitFor("EXIT=0")

	s, _ = startTUI(t, bin, "TERM=xterm-256color LC_ALL=C")
	s.waitFor("Packets of tunnel 1:")
	s.keys("6")
	scr = s.waitFor("[6] Ladder of tunnel 1", "IKE_AUTH request #1 on 4500 resent x5")
	if l := lineWith(scr, "IKE_AUTH request #1 on 4500"); !strings.Contains(l, "|--------->X") {
		t.Errorf("in the C locale the IKE_AUTH row is not drawn in ASCII: %q", l)
	}
	s.keys("q")
	s.waitFor("EXIT=0")
}

// lineWith returns the first line of a screen that holds text, or "".
func lineWith(screen, text string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}
