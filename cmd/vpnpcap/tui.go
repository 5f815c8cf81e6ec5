package main

import (
	"errors"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/tui"
)

const tuiAbout = `Browse the tunnels, flows, packets and findings of one capture, or of two
taken on both sides of a NAT, in the terminal. The screen appears at once;
the analysis fills it in when it is done. Press ? for the keys.

The terminal UI reads a capture again as one browses, so it takes files
only: save a stream to a file first, or use analyze. It needs a terminal;
where there is none (cron, a service, ssh without -t) it says so and exits
with code 2, as it does once closed when a capture could not be read, or
not to its end. docs/tui.md describes the panes and the keys.

Try it on a sample:
  vpnpcap tui samples/natt-port-blocked/inside.pcap samples/natt-port-blocked/outside.pcap`

// tuiOptions are the parsed flags of `vpnpcap tui`.
type tuiOptions struct {
	cf    captureFlags
	color string
}

func setupTUI(fs *pflag.FlagSet) func(*env) int {
	var o tuiOptions
	o.cf.register(fs, true)
	o.cf.registerRules(fs)
	enumFlag(fs, &o.color, "color", "", "auto", "draw in colour `when`: auto, always or never (auto honours NO_COLOR)", "auto", "always", "never")
	return func(e *env) int { return runTUI(e, &o) }
}

// needTerminal returns why there is no terminal to draw on, or nil: the
// UI draws on the process's controlling terminal, /dev/tty, which a
// process started by cron, a service or ssh without -t does not have.
func needTerminal() error {
	if runtime.GOOS == "windows" {
		return nil // the console, which tcell opens itself
	}
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// analyzeCommand is the analyze command for the captures the UI was given.
func analyzeCommand(cf *captureFlags, plan *capturePlan) string {
	args := []string{"vpnpcap", "analyze"}
	if cf.inside != "" {
		args = append(args, "--inside", shellWord(cf.inside), "--outside", shellWord(cf.outside))
	} else {
		for _, in := range plan.captures() {
			args = append(args, shellWord(in.arg))
		}
	}
	return strings.Join(args, " ")
}

// shellWord writes an argument for a POSIX shell: as it is, or in quotes
// when it needs them.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:+=,@%", r))
	}) < 0 {
		return s
	}
	return shellQuote(s)
}

func runTUI(e *env, o *tuiOptions) int {
	rcfg, err := o.cf.rulesConfig()
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	// Say now what cannot be read, before the screen is taken; streams
	// are refused (the UI reads captures again as one browses).
	for _, arg := range append([]string{o.cf.inside, o.cf.outside}, e.fs.Args()...) {
		if arg == "" {
			continue
		}
		if st, err := os.Stat(arg); arg == "-" || err == nil && !st.Mode().IsRegular() && !st.IsDir() {
			e.errorf("%s: not a file: the terminal UI reads a capture again as one browses; save it to a file first, or use 'vpnpcap analyze'", report.SafeText(arg))
			return exitUsage
		}
	}
	ins := newInputs(e, o.cf.fifoTimeout.d)
	defer ins.close()
	plan, code := o.cf.plan(e, ins)
	if code >= 0 {
		return code
	}
	if len(plan.unreadable) > 0 {
		for _, err := range plan.unreadable {
			e.errorf("%v", err)
		}
		return exitUsage
	}
	if err := needTerminal(); err != nil {
		e.errorf("the terminal UI needs a terminal, and there is none (%v); for a report without one, run: %s", err, analyzeCommand(&o.cf, plan))
		return exitUsage
	}
	cfg := tui.Config{
		RolesGiven: plan.rolesGiven,
		Decode:     o.cf.decodeOptions(),
		Window:     secondsDuration(o.cf.window),
		Rules:      rcfg,
		Mono:       o.color == "never" || o.color == "auto" && os.Getenv("NO_COLOR") != "",
		Flows:      o.cf.flowOptions(),
	}
	for _, in := range plan.captures() {
		cfg.Captures = append(cfg.Captures, tui.Capture{Path: in.arg})
	}
	app, err := tui.New(cfg)
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	if err := app.Run(e.ctx); err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	if errs := app.ReadErrors(); len(errs) > 0 {
		for _, err := range errs {
			var fe *capture.FormatError
			if errors.As(err, &fe) {
				e.errorf("%s: %s", fe.File, problem(err))
			} else {
				e.errorf("%v", err)
			}
		}
		return exitUsage
	}
	return exitOK
}
