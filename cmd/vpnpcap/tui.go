package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/vpnpcap/vpnpcap/tui"
)

const tuiHelp = `Browse the tunnels, flows, packets and findings of one capture, or of two
taken on both sides of a NAT, in the terminal. The screen appears at once;
the analysis fills it in when it is done. Press ? for the keys.

Try it on a sample:
  vpnpcap tui samples/natt-port-blocked/inside.pcap samples/natt-port-blocked/outside.pcap

`

func runTUI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("tui", "[--inside FILE --outside FILE | CAPTURE [CAPTURE]]", stderr)
	var cf captureFlags
	cf.register(fs)
	cf.registerRules(fs)
	color := fs.String("color", "auto", "colour: auto, always or never (auto honours NO_COLOR)")
	fs.Usage = func() {
		fmt.Fprint(stderr, tuiHelp)
		fmt.Fprintf(stderr, "Usage: vpnpcap tui [flags] [--inside FILE --outside FILE | CAPTURE [CAPTURE]]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if err := oneOf("color", *color, "auto", "always", "never"); err != nil {
		fmt.Fprintf(stderr, "vpnpcap tui: %v\n", err)
		return exitUsage
	}
	first, second, given, code := cf.capturePaths(fs, stderr, "")
	if code >= 0 {
		return code
	}
	rcfg, err := cf.rulesConfig()
	if err != nil {
		fmt.Fprintf(stderr, "vpnpcap tui: %v\n", err)
		return exitUsage
	}
	dopts, err := cf.decodeOptions()
	if err != nil {
		fmt.Fprintf(stderr, "vpnpcap tui: %v\n", err)
		return exitUsage
	}
	cfg := tui.Config{
		RolesGiven: given,
		Decode:     dopts,
		Window:     secondsDuration(cf.window),
		Rules:      rcfg,
		Mono:       *color == "never" || *color == "auto" && os.Getenv("NO_COLOR") != "",
	}
	cfg.Flows.MaxFlows = cf.maxFlows
	for _, p := range []string{first, second} {
		if p == "" {
			continue
		}
		// Say now what cannot be opened, before the screen is taken.
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintf(stderr, "vpnpcap tui: %v\n", err)
			return exitUsage
		}
		f.Close()
		cfg.Captures = append(cfg.Captures, tui.Capture{Path: p})
	}
	app, err := tui.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "vpnpcap tui: %v\n", err)
		return exitUsage
	}
	if err := app.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "vpnpcap tui: %v\n", err)
		return exitUsage
	}
	return exitOK
}
