package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/vpnpcap/vpnpcap", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-03-14T09:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	want := `vpnpcap v1.4.0
module github.com/vpnpcap/vpnpcap
revision 0123456789abcdef0123456789abcdef01234567, committed 2026-03-14T09:00:00Z, with uncommitted changes
built with go1.26.8 for linux/amd64
`
	if got := versionText(bi, "linux/amd64"); got != want {
		t.Errorf("versionText:\n%s\nwant:\n%s", got, want)
	}
	bi.Main.Version, bi.Settings = "(devel)", nil
	if got := versionText(bi, "linux/arm64"); !strings.HasPrefix(got, "vpnpcap (devel)\n") || !strings.Contains(got, "revision unknown (built without version control information)") {
		t.Errorf("versionText without VCS information:\n%s", got)
	}
	if got := versionText(nil, "linux/amd64"); !strings.Contains(got, "version unknown") {
		t.Errorf("versionText without build information: %q", got)
	}
}

func TestVersionCommand(t *testing.T) {
	v1, stderr, code := runCLI(t, "--version")
	v2, _, code2 := runCLI(t, "version")
	if code != exitOK || code2 != exitOK || stderr != "" || v1 != v2 || !strings.HasPrefix(v1, "vpnpcap ") || !strings.Contains(v1, "built with go") {
		t.Errorf("--version: exit %d %q; version: exit %d %q", code, v1, code2, v2)
	}
	if _, stderr, code := runCLI(t, "version", "extra"); code != exitUsage || !strings.HasPrefix(stderr, "vpnpcap version: ") {
		t.Errorf("version extra: exit %d, stderr %q", code, stderr)
	}
}

// TestCommandHelp checks every command's help: the same from `help CMD`
// and `CMD --help` and `CMD -h`, on stdout, with a description, a usage
// line, and a list of flags that is never empty and shows no empty
// default.
func TestCommandHelp(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			help, stderr, code := runCLI(t, "help", c.name)
			if code != exitOK || stderr != "" {
				t.Fatalf("help %s: exit %d, stderr %q", c.name, code, stderr)
			}
			for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}} {
				if out, _, code := runCLI(t, args...); out != help || code != exitOK {
					t.Errorf("%v: exit %d, and not the help of 'help %s'", args, code, c.name)
				}
			}
			about, rest, ok := strings.Cut(help, "\n\nUsage:\n  vpnpcap "+c.name)
			if !ok || len(about) < 80 {
				t.Errorf("help %s has no description, or no usage line after it:\n%s", c.name, help)
			}
			_, flagList, ok := strings.Cut(rest, "\n\nFlags:\n")
			if !ok || !strings.HasPrefix(flagList, "  ") {
				t.Errorf("help %s: no flags listed after \"Flags:\":\n%s", c.name, help)
			}
			for _, bad := range []string{"(default [])", `(default "")`, "(default 0)", "uints", "strings "} {
				if strings.Contains(help, bad) {
					t.Errorf("help %s shows %q:\n%s", c.name, bad, help)
				}
			}
			if c.summary == "" || strings.HasSuffix(c.summary, ".") {
				t.Errorf("%s: summary %q", c.name, c.summary)
			}
		})
	}
	top, _, _ := runCLI(t, "help")
	for _, c := range commands() {
		if !strings.Contains(top, "\n  "+c.name+" ") {
			t.Errorf("the top-level help does not list %s", c.name)
		}
	}
}

// TestErrorPrefix checks that every command's errors read "vpnpcap CMD:
// …", and vpnpcap's own "vpnpcap: …".
func TestErrorPrefix(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.pcap")
	for _, args := range [][]string{
		{"analyze", missing}, {"analyze", "--bogus"}, {"analyze", "--format", "xml", missing},
		{"flows", missing}, {"flows", "a", "b", "c"},
		{"dump", missing}, {"dump", "--filter", "(", missing},
		{"check", missing}, {"check", "--jobs", "0", missing},
		{"rules", "VP999"}, {"rules", "a", "b"},
		{"tui", missing}, {"tui", "-"},
		{"completion", "tcsh"}, {"completion"},
		{"man", "x"}, {"help", "x"}, {"version", "x"},
	} {
		_, stderr, code := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		first, _, _ := strings.Cut(stderr, "\n")
		if !strings.HasPrefix(first, "vpnpcap "+args[0]+": ") {
			t.Errorf("%v: stderr %q, want the prefix %q", args, stderr, "vpnpcap "+args[0]+": ")
		}
	}
	if _, stderr, _ := runCLI(t, "frobnicate"); !strings.HasPrefix(stderr, "vpnpcap: ") {
		t.Errorf("unknown command: %q", stderr)
	}
}

// TestFlagBounds: NaN, negative and absurd values are usage errors naming
// the flag, before anything is read.
func TestFlagBounds(t *testing.T) {
	capture := samplePath("no-nat", "capture.pcap")
	for _, tc := range []struct{ flag, value string }{
		{"--match-window", "NaN"}, {"--match-window", "-1"}, {"--match-window", "0"}, {"--match-window", "+Inf"}, {"--match-window", "1e9"},
		{"--nat-udp-timeout", "-5s"}, {"--nat-udp-timeout", "0s"}, {"--nat-udp-timeout", "100000h"}, {"--nat-udp-timeout", "soon"},
		{"--max-flows", "-1"}, {"--max-flows", "0"}, {"--max-flows", "99999999999"},
		{"--ike-port", "0"}, {"--ike-port", "65536"}, {"--ike-port", "500,-1"},
		{"--fifo-timeout", "-1s"}, {"--fifo-timeout", "10000h"},
		{"--min-confidence", "certain"},
	} {
		for _, cmd := range []string{"analyze", "check", "tui"} {
			stdout, stderr, code := runCLI(t, cmd, tc.flag, tc.value, capture)
			want := "vpnpcap " + cmd + `: invalid argument "` + tc.value + `" for "` + tc.flag + `" flag: `
			if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) {
				t.Errorf("%s %s %s: exit %d, stderr %q; want 2 and %q", cmd, tc.flag, tc.value, code, stderr, want)
			}
		}
	}
	// In range, they are taken.
	if _, stderr, code := runCLI(t, "analyze", "-q", "--match-window", "0.5", "--nat-udp-timeout", "2m", "--max-flows", "1000", "--ike-port", "500,4500", "--fifo-timeout", "0", capture); code == exitUsage {
		t.Errorf("values in range refused: %s", stderr)
	}
}

// TestCompletionBash loads the bash completion and completes a few
// command lines.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	script, _, code := runCLI(t, "completion", "bash")
	if code != exitOK {
		t.Fatalf("completion bash: exit %d", code)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "site", "inside.pcap"), pcapHeader)
	writeFile(t, filepath.Join(dir, "site", "notes.txt"), []byte("x"))
	writeFile(t, filepath.Join(dir, "vpnpcap.bash"), []byte(script))
	complete := func(line string) []string {
		t.Helper()
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, shellQuote(w))
		}
		prog := "source vpnpcap.bash\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n_vpnpcap\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		return strings.Fields(string(out))
	}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"vpnpcap an", []string{"analyze"}},
		{"vpnpcap --ver", []string{"--version"}},
		{"vpnpcap analyze --form", []string{"--format"}},
		{"vpnpcap analyze --format ", []string{"text", "json", "markdown", "html", "sarif", "junit"}},
		{"vpnpcap check --format s", []string{"sarif"}},
		{"vpnpcap analyze --min-confidence ", []string{"low", "medium", "high"}},
		{"vpnpcap analyze site/", []string{"site/inside.pcap"}},
		{"vpnpcap analyze --inside site/", []string{"site/inside.pcap"}},
		{"vpnpcap check s", []string{"site"}},
		{"vpnpcap rules VP30", []string{"VP301", "VP302", "VP303", "VP304", "VP305", "VP306", "VP307", "VP308", "VP309"}},
		{"vpnpcap help du", []string{"dump"}},
		{"vpnpcap completion ", []string{"bash", "zsh", "fish"}},
		{"vpnpcap dump -", []string{"--format", "--filter", "-f", "--all", "--ike-port", "--fifo-timeout", "--keys", "--help", "-h"}},
		{"vpnpcap analyze --max-flows ", nil},
	} {
		got := complete(tc.line)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			if strings.HasPrefix(tc.line, "vpnpcap rules") {
				// The rule IDs change as rules are added: a prefix.
				if len(got) > 0 && strings.HasPrefix(got[0], "VP30") {
					continue
				}
			}
			t.Errorf("%q completes to %q, want %q", tc.line, got, tc.want)
		}
	}
}

// TestCompletionShells checks that each script parses in its shell,
// where the shell is installed, and names every command and flag.
func TestCompletionShells(t *testing.T) {
	for _, sh := range []struct{ name, check string }{{"bash", "-n"}, {"zsh", "-n"}, {"fish", "--no-execute"}} {
		t.Run(sh.name, func(t *testing.T) {
			script, _, code := runCLI(t, "completion", sh.name)
			if code != exitOK {
				t.Fatalf("exit %d", code)
			}
			for _, c := range commands() {
				if !strings.Contains(script, c.name) {
					t.Errorf("the %s completion lacks the command %s", sh.name, c.name)
				}
				c.flagSet().VisitAll(func(f *pflag.Flag) {
					if !strings.Contains(script, f.Name) {
						t.Errorf("the %s completion lacks %s --%s", sh.name, c.name, f.Name)
					}
				})
			}
			bin, err := exec.LookPath(sh.name)
			if err != nil {
				t.Skipf("%s is not installed: the script is not parsed", sh.name)
			}
			p := filepath.Join(t.TempDir(), "completion")
			writeFile(t, p, []byte(script))
			if out, err := exec.Command(bin, sh.check, p).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %v\n%s", sh.name, sh.check, err, out)
			}
			if sh.name == "fish" {
				// fish completes a command line without a terminal.
				out, err := exec.Command(bin, "--no-config", "-c", "source "+p+`; complete -C "vpnpcap analyze --format "; complete -C "vpnpcap an"`).CombinedOutput()
				if err != nil || !strings.Contains(string(out), "json\t") || !strings.Contains(string(out), "analyze\texplain") {
					t.Errorf("fish completes %q: %v", out, err)
				}
			}
		})
	}
}

// TestManPage checks the manual page: every command and flag is in it,
// and groff formats it without a warning, where groff is installed.
func TestManPage(t *testing.T) {
	page, stderr, code := runCLI(t, "man")
	if code != exitOK || stderr != "" || !strings.HasPrefix(page, `.\" Generated by 'vpnpcap man'.`) {
		t.Fatalf("man: exit %d, stderr %q", code, stderr)
	}
	for _, c := range commands() {
		if !strings.Contains(page, `.SS "vpnpcap `+c.name) {
			t.Errorf("the man page has no section for %s", c.name)
		}
		c.flagSet().VisitAll(func(f *pflag.Flag) {
			if !strings.Contains(page, `\fB\-\-`+roffEscape(f.Name)+`\fR`) {
				t.Errorf("the man page lacks %s --%s", c.name, f.Name)
			}
		})
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff is not installed: the page is not formatted")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(page)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		t.Errorf("groff: %v\n%s", err, errb.String())
	}
	cmd = exec.Command(groff, "-man", "-Tutf8")
	cmd.Stdin = strings.NewReader(page)
	cmd.Env = append(os.Environ(), "GROFF_NO_SGR=1")
	out, err := cmd.Output()
	if err != nil || !bytes.Contains(out, []byte("--fifo-timeout")) || !bytes.Contains(out, []byte("vpnpcap analyze samples/natt-port-blocked/inside.pcap")) {
		t.Errorf("groff output lacks the flags or examples: %v\n%s", err, out)
	}
}
