package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/rules"
)

const rulesAbout = `List the rules vpnpcap applies (ID, severity, confidence, slug, title), or
explain one: what it detects, why it matters, how to fix it, and the
references. A rule is named by its ID or its slug.

Try it:
  vpnpcap rules
  vpnpcap rules VP304`

func setupRules(fs *pflag.FlagSet) func(*env) int {
	return runRules
}

func runRules(e *env) int {
	switch e.fs.NArg() {
	case 0:
		for _, r := range rules.All() {
			m := r.Meta()
			both := ""
			if m.NeedsBoth {
				both = " (two captures)"
			}
			fmt.Fprintf(e.stdout, "%s  %-7s %-6s  %-34s %s%s\n", m.ID, m.Severity, m.Confidence, m.Slug, m.Title, both)
		}
		return exitOK
	case 1:
		r := rules.Lookup(e.fs.Arg(0))
		if r == nil {
			e.errorf("no rule %q (run 'vpnpcap rules' for the list)", e.fs.Arg(0))
			return exitUsage
		}
		fmt.Fprint(e.stdout, rules.Text(r.Meta()))
		return exitOK
	}
	return e.usageError("one rule at a time, got %d", e.fs.NArg())
}
