package main

import (
	"errors"
	"os"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/tui"
)

const tuiAbout = `Browse the tunnels, flows, packets and findings of one capture, or of two
taken on both sides of a NAT, in the terminal. The screen appears at once;
the analysis fills it in when it is done. Press ? for the keys.

The terminal UI reads a capture again as one browses, so it takes files
only: save a stream to a file first, or use analyze. A capture that cannot
be read, or not to its end, makes it exit with code 2 once it is closed.

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
			var fe *decode.FormatError
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
