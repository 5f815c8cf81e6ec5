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
	cf.register(fs, true)
	enumFlag(fs, &format, "format", "", "text", "write the report in `format`: text or json", "text", "json")
	return func(e *env) int { return runFlows(e, &cf, format) }
}

func runFlows(e *env, cf *captureFlags, format string) int {
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
	r := report.Build(rc, report.Options{Flows: true})
	plan.exactNames(r.Captures)
	if format == "json" {
		err = report.WriteJSON(e.stdout, r)
	} else {
		err = report.WriteText(e.stdout, r, nil, report.TextOptions{Color: useColor("auto", e.stdout)})
	}
	if err != nil {
		e.errorf("writing the report: %v", err)
		return exitUsage
	}
	if plan.readErrors(e, rc) {
		return exitUsage
	}
	return exitOK
}
