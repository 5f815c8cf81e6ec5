package main

import (
	"errors"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/pipeline"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

const analyzeAbout = `Analyse one capture, or two taken on both sides of a NAT, and explain why
each VPN tunnel works or fails, and whether it depends on IPsec Passthrough.

The report opens with a verdict line per tunnel, PPTP call and ESP group and
the totals, then draws what crossed the NAT (a ladder of each one's messages,
their frames in each capture, and which stopped at the NAT), then the
findings, each rule's explanation once, and the facts. --format html writes
it as one page to send to a customer; --format markdown for a ticket.

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
	text   textFlags
	brief  bool
	only   subjectFlags
}

func setupAnalyze(fs *pflag.FlagSet) func(*env) int {
	var o analyzeOptions
	o.cf.register(fs, true)
	o.cf.registerRules(fs)
	enumFlag(fs, &o.format, "format", "", "text", "write the report in `format`: text, json, markdown, html, sarif or junit", reportFormats...)
	fs.StringVarP(&o.output, "output", "o", "", "write the report to `file` instead of stdout")
	fileFlag(fs, "output")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print no report on stdout (the exit code tells the outcome; errors and warnings still go to stderr)")
	enumFlag(fs, &o.failOn, "fail-on", "", "error", "exit 1 when a finding is at or above `severity`: info, warning, error or none", "info", "warning", "error", "none")
	o.text.register(fs)
	fs.BoolVar(&o.brief, "brief", false, "print the verdicts and the findings only, without the rules' explanations, the ladder diagrams and the details")
	o.only.register(fs)
	return func(e *env) int { return runAnalyze(e, &o) }
}

func runAnalyze(e *env, o *analyzeOptions) int {
	cfg, err := o.cf.rulesConfig()
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	only, code := o.only.subject(e)
	if code >= 0 {
		return code
	}
	failOn, err := report.ParseFailOn(o.failOn)
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
	opts := pipeline.Options{Summarize: true, Rules: cfg}
	if drawsLadders(o.format, o.brief) {
		opts.Ladders = chooseLadders(only)
	}
	res, err := o.cf.analysis(e, plan, opts)
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	rc := res.Context
	if !only.IsZero() && !only.Exists(rc) {
		closeOut()
		return e.usageError("%s: the captures hold no %s %d", o.only.flag(), o.only.noun(), only.ID)
	}
	c := report.NewCheck(plan.name(), rc, res.Findings, res.Verdicts, report.Options{Detail: true, Only: only, Ladders: res.Ladders})
	plan.exactNames(c.Captures)
	plan.exactNames(c.Detail.Captures)
	b := report.NewSingle(failOn, c)
	b.BoundLists(o.text.maxListed)
	err = writeReport(out, b, o.format, o.text.options(out, o.brief))
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
	if c.Failing > 0 {
		return exitFindings
	}
	return exitOK
}

// drawsLadders reports whether a report in format draws ladder diagrams,
// which cost one more read of the captures.
func drawsLadders(format string, brief bool) bool {
	switch format {
	case "markdown", "html":
		return true
	case "text":
		return !brief
	}
	return false
}

// chooseLadders picks the subjects whose ladders a report draws (see
// report.ChooseLadders).
func chooseLadders(only report.Subject) func(*rules.Context, []rules.Verdict) []ladder.Subject {
	return func(c *rules.Context, verdicts []rules.Verdict) []ladder.Subject {
		return report.ChooseLadders(c, verdicts, only)
	}
}

// subjectFlags are --tunnel, --call and --esp-group, which limit a report
// to one of them.
type subjectFlags struct {
	tunnel, call, group int
}

func (f *subjectFlags) register(fs *pflag.FlagSet) {
	intFlag(fs, &f.tunnel, "tunnel", "", 0, "limit the report to tunnel `n`: its verdict, ladder, findings and NAT mappings", 0, 1<<30)
	intFlag(fs, &f.call, "call", "", 0, "limit the report to PPTP call `n`", 0, 1<<30)
	intFlag(fs, &f.group, "esp-group", "", 0, "limit the report to ESP group `n` (ESP without IKE)", 0, 1<<30)
}

// subject returns the subject the flags name, or the exit code of a usage
// error (-1 means go on).
func (f *subjectFlags) subject(e *env) (report.Subject, int) {
	var s report.Subject
	n := 0
	for _, x := range []report.Subject{{Kind: ladder.SubjectTunnel, ID: f.tunnel}, {Kind: ladder.SubjectCall, ID: f.call}, {Kind: ladder.SubjectGroup, ID: f.group}} {
		if x.ID != 0 {
			s = x
			n++
		}
	}
	if n > 1 {
		return s, e.usageError("--tunnel, --call and --esp-group each name what the report is limited to: give one")
	}
	return s, -1
}

func (f *subjectFlags) flag() string {
	switch {
	case f.call != 0:
		return "--call"
	case f.group != 0:
		return "--esp-group"
	}
	return "--tunnel"
}

func (f *subjectFlags) noun() string {
	switch {
	case f.call != 0:
		return "PPTP call"
	case f.group != 0:
		return "ESP group"
	}
	return "tunnel"
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
