package main

import (
	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/pipeline"
	"github.com/vpnpcap/vpnpcap/report"
)

const flowsAbout = `List the tunnels and every flow of one capture; with two captures taken on
both sides of a NAT, also the NAT mappings and what became of each flow
(forwarded, dropped, modified). Captures are read as analyze reads them:
files, a directory holding a pair, -, FIFOs and <(...).

Try it on a sample:
  vpnpcap flows samples/natt-ok/inside.pcap samples/natt-ok/outside.pcap`

func setupFlows(fs *pflag.FlagSet) func(*env) int {
	var cf captureFlags
	var format string
	var text textFlags
	cf.register(fs, true)
	enumFlag(fs, &format, "format", "", "text", "write the report in `format`: text or json", "text", "json")
	text.register(fs)
	return func(e *env) int { return runFlows(e, &cf, format, &text) }
}

func runFlows(e *env, cf *captureFlags, format string, text *textFlags) int {
	ins := newInputs(e, cf.fifoTimeout.d)
	defer ins.close()
	plan, code := cf.plan(e, ins)
	if code >= 0 {
		return code
	}
	res, err := cf.analysis(e, plan, pipeline.Options{FactsOnly: true})
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	rc := res.Context
	c := report.NewCheck(plan.name(), rc, nil, nil, report.Options{Detail: true, Flows: true, Facts: true})
	plan.exactNames(c.Detail.Captures)
	b := report.NewSingle(report.FailOn{None: true}, c)
	b.BoundLists(text.maxListed)
	if err := writeReport(e.stdout, b, format, text.options(e.stdout, false)); err != nil {
		e.errorf("writing the report: %v", err)
		return exitUsage
	}
	if plan.readErrors(e, rc) {
		return exitUsage
	}
	return exitOK
}
