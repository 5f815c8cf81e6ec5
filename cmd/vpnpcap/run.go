package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/report"
)

// Exit codes, documented in the usage text.
const (
	exitOK       = 0 // nothing at or above the failure threshold
	exitFindings = 1 // findings at or above the failure threshold
	exitUsage    = 2 // usage error, unreadable or corrupt input
)

// command is one subcommand. Its help, the man page and the shell
// completions are all made from these definitions and the flags that setup
// registers, so they cannot disagree.
type command struct {
	name    string
	summary string // one line, in the list of commands
	args    string // what follows the flags on the usage line
	// about says what the command does, with an example: the head of its
	// help. more, when set, follows the list of flags (a flag's value
	// syntax, exit codes).
	about, more string
	// operands says what the arguments are, for shell completion.
	operands operandKind
	// setup registers the command's flags and returns the function that
	// runs the command once they are parsed.
	setup func(fs *pflag.FlagSet) func(e *env) int
}

// operandKind is what a command's arguments are.
type operandKind uint8

const (
	operandNone     operandKind = iota
	operandCaptures             // capture files
	operandPaths                // capture files and directories
	operandRules                // rule IDs
	operandCommands             // command names
	operandShells               // shell names
)

func commands() []command {
	return []command{
		{name: "analyze", summary: "explain why tunnels work or fail across a NAT, with evidence",
			args: "[--inside FILE --outside FILE | CAPTURE [CAPTURE] | DIR]", about: analyzeAbout, operands: operandPaths, setup: setupAnalyze},
		{name: "check", summary: "check many captures for CI: exit codes, SARIF, JUnit, baselines",
			args: "PATH...", about: checkAbout, more: checkMore, operands: operandPaths, setup: setupCheck},
		{name: "flows", summary: "list tunnels, flows and (with two captures) NAT mappings and fates",
			args: "[--inside FILE --outside FILE | CAPTURE [CAPTURE]]", about: flowsAbout, operands: operandCaptures, setup: setupFlows},
		{name: "dump", summary: "print one line per VPN-relevant packet, optionally filtered",
			args: "CAPTURE...", about: dumpAbout, more: dumpMore, operands: operandCaptures, setup: setupDump},
		{name: "keys", summary: "convert charon logs' keys into Wireshark's decryption tables",
			args: "--from-charon-log LOG... [--capture FILE...] --out DIR", about: keysAbout, setup: setupKeys},
		{name: "rules", summary: "list the rules, or explain one",
			args: "[ID|SLUG]", about: rulesAbout, operands: operandRules, setup: setupRules},
		{name: "tui", summary: "browse tunnels, flows, packets and findings in the terminal",
			args: "[--inside FILE --outside FILE | CAPTURE [CAPTURE]]", about: tuiAbout, operands: operandCaptures, setup: setupTUI},
		{name: "completion", summary: "print a shell completion script (bash, zsh or fish)",
			args: "SHELL", about: completionAbout, operands: operandShells, setup: setupCompletion},
		{name: "man", summary: "print the manual page (roff)",
			about: manAbout, setup: setupMan},
		{name: "help", summary: "show the help of vpnpcap or of a command",
			args: "[COMMAND]", about: helpAbout, operands: operandCommands, setup: setupHelp},
		{name: "version", summary: "print the version and the revision it was built from",
			about: versionAbout, setup: setupVersion},
	}
}

func lookupCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

const intro = `vpnpcap inspects VPN traffic (IKE, ESP, NAT-T, GRE, PPTP) in packet captures,
on one or both sides of a NAT.`

func usage(w io.Writer) {
	fmt.Fprintf(w, `%s

Usage:
  vpnpcap <command> [flags] CAPTURE...

Commands:
`, intro)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
A capture is a pcap or pcapng file, optionally gzip-compressed, or - for
standard input; a pipe, a FIFO or <(...) works too (see 'vpnpcap help analyze').
Run 'vpnpcap help <command>' for a command's flags, 'vpnpcap --version' for
the version.

Exit codes:
  0  nothing at or above the failure threshold
  1  findings at or above the failure threshold
  2  usage error, unreadable or corrupt capture
`)
}

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help":
		usage(stdout)
		return exitOK
	case "--version":
		return lookupCommand("version").exec(ctx, nil, stdin, stdout, stderr)
	}
	if c := lookupCommand(args[0]); c != nil {
		return c.exec(ctx, args[1:], stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "vpnpcap: unknown command %q (see 'vpnpcap --help')\n", report.SafeText(args[0]))
	return exitUsage
}

// env is what a command runs with: its definition (for messages), its
// parsed flags and arguments, the context and the standard streams.
type env struct {
	ctx    context.Context
	cmd    *command
	fs     *pflag.FlagSet
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// errorf writes one line on stderr in the style every message of vpnpcap
// has, "vpnpcap COMMAND: message", with whatever the message quotes (file
// names, values given) escaped by report.SafeText.
func (e *env) errorf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "vpnpcap %s: %s\n", e.cmd.name, report.SafeText(fmt.Sprintf(format, args...)))
}

// warnf is errorf for what does not stop the command.
func (e *env) warnf(format string, args ...any) {
	e.errorf("warning: "+format, args...)
}

// usageError reports a usage error, pointing to the command's help, and
// returns exitUsage.
func (e *env) usageError(format string, args ...any) int {
	e.errorf(format+" (see 'vpnpcap %s --help')", append(args, e.cmd.name)...)
	return exitUsage
}

// missingOperands reports a command run without its arguments: the usage
// line and where to read more.
func (e *env) missingOperands(what string) int {
	e.errorf("%s", what)
	fmt.Fprintf(e.stderr, "Usage: vpnpcap %s\nRun 'vpnpcap help %s' for more.\n", e.cmd.usageLine(), e.cmd.name)
	return exitUsage
}

func (c *command) usageLine() string {
	s := c.name
	if c.hasFlags() {
		s += " [flags]"
	}
	if c.args != "" {
		s += " " + c.args
	}
	return s
}

func (c *command) hasFlags() bool {
	n := 0
	c.flagSet().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			n++
		}
	})
	return n > 0
}

// flagSetRun returns the command's flags, registered and not parsed, with
// the help flag last, and the function setup returned.
func (c *command) flagSetRun() (*pflag.FlagSet, func(*env) int) {
	fs := pflag.NewFlagSet("vpnpcap "+c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by exec, in vpnpcap's style
	fs.Usage = func() {}
	fs.SortFlags = false
	run := c.setup(fs)
	fs.BoolP("help", "h", false, "show this help")
	return fs, run
}

// flagSet returns the command's flags, for its help, the man page and the
// completions.
func (c *command) flagSet() *pflag.FlagSet {
	fs, _ := c.flagSetRun()
	return fs
}

// exec parses the command's flags and runs it.
func (c *command) exec(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, runCmd := c.flagSetRun()
	e := &env{ctx: ctx, cmd: c, fs: fs, stdin: stdin, stdout: stdout, stderr: stderr}
	if err := fs.Parse(args); err != nil {
		return e.usageError("%v", err)
	}
	if help, _ := fs.GetBool("help"); help {
		c.writeHelp(stdout)
		return exitOK
	}
	return runCmd(e)
}

// writeHelp writes the command's help: what it does, its usage line, its
// flags (-h at least) and what follows them.
func (c *command) writeHelp(w io.Writer) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  vpnpcap %s\n", strings.TrimRight(c.about, "\n"), c.usageLine())
	fmt.Fprintf(w, "\nFlags:\n%s", flagUsages(c.flagSet(), 100))
	if c.more != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(c.more, "\n"))
	}
}

// flagUsages lists the flags, one per entry: "-o, --output FILE", then
// what it does and its default when that is not the zero value, wrapped
// at width.
func flagUsages(fs *pflag.FlagSet, width int) string {
	type entry struct{ left, text string }
	var entries []entry
	col := 0
	fs.VisitAll(func(f *pflag.Flag) {
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		if mv := metavar(f); mv != "" {
			left += " " + mv
		}
		text := usageText(f)
		if def := defaultText(f); def != "" {
			text += " (default " + def + ")"
		}
		entries = append(entries, entry{left, text})
		col = max(col, len(left))
	})
	col += 3
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.left)
		b.WriteString(strings.Repeat(" ", col-len(e.left)))
		b.WriteString(wrapText(e.text, width-col, strings.Repeat(" ", col)))
		b.WriteByte('\n')
	}
	return b.String()
}

// metavar is the name of a flag's value: the back-quoted word of its
// usage, upper-cased, or none for a switch.
func metavar(f *pflag.Flag) string {
	if f.NoOptDefVal != "" {
		return ""
	}
	name, _ := pflag.UnquoteUsage(f)
	return strings.ToUpper(name)
}

// usageText is the flag's usage with its back-quoted word written as the
// metavar (upper case), without the quotes.
func usageText(f *pflag.Flag) string {
	before, rest, ok := strings.Cut(f.Usage, "`")
	if !ok {
		return f.Usage
	}
	name, after, ok := strings.Cut(rest, "`")
	if !ok {
		return f.Usage
	}
	return before + strings.ToUpper(name) + after
}

// defaultText is the flag's default as the help shows it, or "" when the
// default is nothing (an empty string or list, zero, false).
func defaultText(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "0", "false", "[]", "0s":
		return ""
	}
	if f.Value.Type() == "string" {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// wrapText wraps s at width, indenting every line after the first.
func wrapText(s string, width int, indent string) string {
	if width < 20 {
		width = 20
	}
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 {
			if n+1+len(w) > width {
				b.WriteString("\n" + indent)
				n = 0
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
