package main

import (
	"context"
	"fmt"
	"io"

	"github.com/vpnpcap/vpnpcap/rules"
)

func runRules(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("rules", "[ID|SLUG]", stderr)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	switch fs.NArg() {
	case 0:
		for _, r := range rules.All() {
			m := r.Meta()
			both := ""
			if m.NeedsBoth {
				both = " (two captures)"
			}
			fmt.Fprintf(stdout, "%s  %-7s %-6s  %-34s %s%s\n", m.ID, m.Severity, m.Confidence, m.Slug, m.Title, both)
		}
		return exitOK
	case 1:
		r := rules.Lookup(fs.Arg(0))
		if r == nil {
			fmt.Fprintf(stderr, "vpnpcap rules: no rule %q (run 'vpnpcap rules' for the list)\n", fs.Arg(0))
			return exitUsage
		}
		fmt.Fprint(stdout, rules.Text(r.Meta()))
		return exitOK
	}
	fs.Usage()
	return exitUsage
}
