package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes, documented in the usage text.
const (
	exitOK       = 0 // nothing at or above the failure threshold
	exitFindings = 1 // findings at or above the failure threshold
	exitUsage    = 2 // usage error, unreadable or corrupt input
)

// command is one subcommand: its name, a one-line summary and its entry
// point, which parses its own flags.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"analyze", "explain why tunnels work or fail across a NAT, with evidence", runAnalyze},
		{"check", "check many captures for CI: exit codes, SARIF, JUnit, baselines", runCheck},
		{"flows", "list tunnels, flows and (with two captures) NAT mappings and fates", runFlows},
		{"dump", "print one line per VPN-relevant packet", runDump},
		{"keys", "convert charon logs' keys into Wireshark's decryption tables", runKeys},
		{"rules", "list the rules, or explain one", runRules},
		{"tui", "browse tunnels, flows, packets and findings in the terminal", runTUI},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `vpnpcap inspects VPN traffic (IKE, ESP, NAT-T, GRE, PPTP) in packet captures,
on one or both sides of a NAT.

Usage:
  vpnpcap <command> [flags] CAPTURE...

Commands:
`)
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Run 'vpnpcap <command> --help' for a command's flags.

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
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "vpnpcap: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

// newFlagSet returns a flag set for a subcommand that reports errors to
// stderr instead of exiting.
func newFlagSet(name, argsUsage string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("vpnpcap "+name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: vpnpcap %s [flags] %s\n\nFlags:\n", name, argsUsage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and returns the exit code to use when parsing
// ended the command (help or a usage error), or -1 to go on.
func parseFlags(fs *pflag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(fs.Output(), "%s: %v (see '%s --help')\n", fs.Name(), err, fs.Name())
		return exitUsage
	}
	return -1
}

// oneOf checks a flag value against its allowed values.
func oneOf(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return fmt.Errorf("--%s: unknown value %q (want %s)", flag, value, strings.Join(allowed, ", "))
}
