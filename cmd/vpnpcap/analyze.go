package main

import (
	"errors"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/pipeline"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

const analyzeAbout = `Analyse one capture, or two taken on both sides of a NAT, and explain why
each VPN tunnel works or fails, and whether it depends on IPsec Passthrough.

With two captures vpnpcap tells which is inside from the traffic; --inside
and --outside say it instead (a warning says when the captures contradict
them). A directory given alone is searched for its capture, or its pair of
inside.* and outside.* captures, as check finds them.

A capture may be - (standard input), a FIFO or <(...): its bytes are read
once, kept in a private temporary file while vpnpcap runs, and give the
same report as the file. A FIFO that no process opens for writing is given
up after --fifo-timeout.

If one capture of a pair cannot be read, the other is analysed alone, and
the exit code is 2.

Try it on a sample:
  vpnpcap analyze samples/natt-port-blocked/inside.pcap samples/natt-port-blocked/outside.pcap
  ssh fw 'tcpdump -U -w - -c 20000 not port 22' | vpnpcap analyze -`

// analyzeOptions are the parsed flags of `vpnpcap analyze`.
type analyzeOptions struct {
	cf     captureFlags
	format string
	output string
	quiet  bool
	failOn string
	color  string
}

func setupAnalyze(fs *pflag.FlagSet) func(*env) int {
	var o analyzeOptions
	o.cf.register(fs, true)
	o.cf.registerRules(fs)
	enumFlag(fs, &o.format, "format", "", "text", "write the report in `format`: text or json", "text", "json")
	fs.StringVarP(&o.output, "output", "o", "", "write the report to `file` instead of stdout")
	fileFlag(fs, "output")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print no report on stdout (the exit code tells the outcome; errors and warnings still go to stderr)")
	enumFlag(fs, &o.failOn, "fail-on", "", "error", "exit 1 when a finding is at or above `severity`: info, warning, error or none", "info", "warning", "error", "none")
	enumFlag(fs, &o.color, "color", "", "auto", "colour the text report `when`: auto, always or never (NO_COLOR is honoured)", "auto", "always", "never")
	return func(e *env) int { return runAnalyze(e, &o) }
}

func runAnalyze(e *env, o *analyzeOptions) int {
	cfg, err := o.cf.rulesConfig()
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	ins := newInputs(e, o.cf.fifoTimeout.d)
	defer ins.close()
	plan, code := o.cf.plan(e, ins)
	if code >= 0 {
		return code
	}
	out, closeOut, err := openOutput(o.output, o.quiet, e.stdout, plan)
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	res, err := o.cf.analysis(e, plan, pipeline.Options{Summarize: true, Rules: cfg})
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	rc, findings, verdicts := res.Context, res.Findings, res.Verdicts
	r := report.Build(rc, report.Options{Findings: findings, Verdicts: verdicts})
	plan.exactNames(r.Captures)
	switch o.format {
	case "json":
		err = report.WriteJSON(out, r)
	default:
		err = report.WriteText(out, r, verdicts, report.TextOptions{Color: useColor(o.color, out)})
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		e.errorf("writing the report: %v", err)
		return exitUsage
	}
	if plan.readErrors(e, rc) {
		return exitUsage
	}
	return exitCode(findings, o.failOn)
}

// openOutput returns where the report goes: the file named by --output
// (created now, so that a path that cannot be written is found before
// the analysis; refused when it is one of the captures), nothing with
// --quiet, else stdout; and the function that closes it.
func openOutput(path string, quiet bool, stdout io.Writer, plan *capturePlan) (io.Writer, func() error, error) {
	if path == "" {
		if quiet {
			return io.Discard, func() error { return nil }, nil
		}
		return stdout, func() error { return nil }, nil
	}
	if st, err := os.Stat(path); err == nil {
		for _, in := range plan.captures() {
			if in.spool != nil {
				continue
			}
			if cst, err := os.Stat(in.arg); err == nil && os.SameFile(st, cst) {
				return nil, nil, errors.New("--output " + report.SafeText(path) + " is the capture " + in.name + ": it would be overwritten")
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// exitCode is 1 when a finding fails the threshold (report.FailOn.Fails).
func exitCode(findings []rules.Finding, failOn string) int {
	threshold, err := report.ParseFailOn(failOn)
	if err != nil {
		return exitUsage
	}
	for _, f := range findings {
		if threshold.Fails(f) {
			return exitFindings
		}
	}
	return exitOK
}
