package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

const checkHelp = `Check many captures at once, for CI: files, directories (walked recursively)
and glob patterns. Captures named inside.* and outside.* in one directory, or
NAME-inside.* and NAME-outside.*, are checked as a pair, as are the pairs a
vpnpcap-pairs.json manifest lists; other captures are checked alone.
See docs/ci.md.

Try it on the samples:
  vpnpcap check samples/

Exit codes:
  0  no finding at or above --fail-on, outside the baseline
  1  findings at or above --fail-on, outside the baseline
  2  usage error, or a capture that could not be read (all the others are
     still checked and reported, and the report names the file and why)

`

// checkOptions are the parsed flags of `vpnpcap check`.
type checkOptions struct {
	cf            captureFlags
	jobs          int
	format        string
	output        string
	failOn        string
	baseline      string
	writeBaseline string
	pairs         []string
	progress      string
	color         string
}

func (o *checkOptions) register(fs *pflag.FlagSet) {
	// check takes its captures as arguments, so the capture flags other
	// than --inside/--outside are registered here.
	fs.UintSliceVar(&o.cf.ikePorts, "ike-port", nil, "also decode IKE / UDP-encapsulated ESP on this port (repeatable)")
	fs.IntVar(&o.cf.maxFlows, "max-flows", flows.DefaultMaxFlows, "most flows tracked per capture; more are counted, not kept")
	fs.Float64Var(&o.cf.window, "match-window", flows.DefaultWindow.Seconds(), "seconds within which one packet seen in both captures of a pair is matched")
	o.cf.registerRules(fs)
	o.cf.registerKeys(fs)
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.NumCPU(), "checks run at once")
	fs.StringVar(&o.format, "format", "text", "report format: text, json, sarif or junit")
	fs.StringVarP(&o.output, "output", "o", "", "write the report to this file (written whatever the exit code); stdout then gets the text summary")
	fs.StringVar(&o.failOn, "fail-on", "error", "exit 1 when a finding outside the baseline is at or above this severity: info, warning, error or none")
	fs.StringVar(&o.baseline, "baseline", "", "accept the findings listed in this baseline file: reported as baselined, not failing")
	fs.StringVar(&o.writeBaseline, "write-baseline", "", "write a baseline accepting every finding of this run to this file")
	fs.StringArrayVar(&o.pairs, "pairs", nil, "a pairs manifest listing inside/outside pairs (repeatable; vpnpcap-pairs.json files in walked directories are read too)")
	fs.StringVar(&o.progress, "progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), always or never")
	fs.StringVar(&o.color, "color", "auto", "colour the text report: auto, always or never (NO_COLOR is honoured)")
}

func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "PATH...", stderr)
	var o checkOptions
	o.register(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, checkHelp)
		fmt.Fprintf(stderr, "Usage: vpnpcap check [flags] PATH...\n\nFlags:\n")
		fs.PrintDefaults()
	}
	usageErr := func(err error) int {
		fmt.Fprintf(stderr, "vpnpcap check: %v\n", err)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return usageErr(err)
	}
	for _, err := range []error{
		oneOf("format", o.format, "text", "json", "sarif", "junit"),
		oneOf("progress", o.progress, "auto", "always", "never"),
		oneOf("color", o.color, "auto", "always", "never"),
	} {
		if err != nil {
			return usageErr(err)
		}
	}
	failOn, err := report.ParseFailOn(o.failOn)
	if err != nil {
		return usageErr(oneOf("fail-on", o.failOn, "info", "warning", "error", "none"))
	}
	if o.jobs < 1 {
		return usageErr(fmt.Errorf("--jobs %d: want at least 1", o.jobs))
	}
	if fs.NArg() == 0 && len(o.pairs) == 0 {
		fs.Usage()
		return exitUsage
	}
	cfg, err := o.cf.rulesConfig()
	if err != nil {
		return usageErr(err)
	}
	dopts, err := o.cf.decodeOptions()
	if err != nil {
		return usageErr(err)
	}
	// The flow table sees other traffic too: rules ask whether any other
	// conversation went both ways, and pairs correlate it (checkOne).
	dopts.KeepOther = true
	var base *report.Baseline
	if o.baseline != "" {
		if base, err = report.LoadBaseline(o.baseline); err != nil {
			return usageErr(err)
		}
	}
	units, err := discover(fs.Args(), o.pairs)
	if err != nil {
		return usageErr(err)
	}
	if len(units) == 0 {
		// A wrong path in a CI job must not pass for a clean run.
		return usageErr(errors.New("no capture found in the paths given"))
	}

	// Open the report file first: a path that cannot be written is a usage
	// error, found before minutes of work rather than after.
	out := stdout
	var outFile *os.File
	if o.output != "" {
		if outFile, err = os.Create(o.output); err != nil {
			return usageErr(err)
		}
		defer outFile.Close()
		out = outFile
	}

	restore := limitMemory()
	defer restore()

	var prog *progress
	if o.progress == "always" || o.progress == "auto" && isTerminal(stderr) {
		prog = newProgress(stderr, units)
	}
	textOpts := report.TextOptions{Color: o.output == "" && useColor(o.color, stdout)}
	batch := report.NewBatch(failOn, base)
	var writeErr error
	streamText := o.format == "text"
	runChecks(ctx, units, o.jobs, &o.cf, cfg, dopts, prog, func(c *report.Check) {
		batch.Add(c)
		prog.pause(func() {
			for _, cp := range c.Captures {
				if cp.ReadError != "" {
					fmt.Fprintf(stderr, "vpnpcap check: %s: %s\n", cp.Path, cp.ReadError)
				}
			}
			if streamText && writeErr == nil {
				writeErr = report.WriteCheckText(out, c, textOpts)
			}
		})
	})
	prog.finish()

	if writeErr == nil {
		switch o.format {
		case "text":
			writeErr = report.WriteBatchSummary(out, batch, textOpts)
		case "json":
			writeErr = report.WriteBatchJSON(out, batch)
		case "sarif":
			writeErr = report.WriteSARIF(out, batch)
		case "junit":
			writeErr = report.WriteJUnit(out, batch)
		}
	}
	if outFile != nil {
		if err := outFile.Close(); writeErr == nil {
			writeErr = err
		}
	}
	if writeErr != nil {
		fmt.Fprintf(stderr, "vpnpcap check: writing the report: %v\n", writeErr)
		return exitUsage
	}
	if outFile != nil {
		if err := report.WriteBatchSummary(stdout, batch, report.TextOptions{Color: useColor(o.color, stdout)}); err != nil {
			fmt.Fprintf(stderr, "vpnpcap check: %v\n", err)
			return exitUsage
		}
	}
	if o.writeBaseline != "" {
		if err := writeBaselineFile(o.writeBaseline, batch); err != nil {
			fmt.Fprintf(stderr, "vpnpcap check: %v\n", err)
			return exitUsage
		}
	}
	return batch.ExitCode()
}

func writeBaselineFile(file string, b *report.Batch) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := report.WriteBaseline(f, b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// limitMemory sets a soft memory limit of nine tenths of the memory the
// process's cgroup may use, when it has such a limit (a CI container) and
// the user did not set GOMEMLIMIT. It returns a function that restores the
// previous limit.
//
// Near the limit the collector runs more often rather than let the heap
// grow into the container's OOM killer, which is what a CI job with -j
// checks of large captures at once needs. A lower, fixed limit would not
// help: a check's heap is mostly live (tunnels, SAs and flows, bounded by
// the capture's VPN traffic: 20 MiB live after the 2M-packet benchmark
// capture, of 39 MiB allocated reading it), so a limit below what is live
// makes the collector run without end. bench/run.sh measures the peak.
func limitMemory() func() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return func() {}
	}
	limit, ok := cgroupMemoryLimit()
	if !ok {
		return func() {}
	}
	prev := debug.SetMemoryLimit(limit / 10 * 9)
	return func() { debug.SetMemoryLimit(prev) }
}

// cgroupMemoryLimit returns the memory limit of the process's cgroup
// (v2 memory.max, or v1 memory.limit_in_bytes, as a container sees its own
// cgroup at /sys/fs/cgroup), and false when there is none.
func cgroupMemoryLimit() (int64, bool) {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		// "max" (v2) or a page-rounded MaxInt64 (v1) mean no limit.
		if err != nil || n <= 0 || n > 1<<50 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// runChecks runs the checks on jobs goroutines and calls emit for each, in
// the order of units, from the calling goroutine, whatever order they end
// in: the report is the same for any number of jobs.
func runChecks(ctx context.Context, units []checkUnit, jobs int, cf *captureFlags, cfg *rules.Config, dopts decode.Options, prog *progress, emit func(*report.Check)) {
	type result struct {
		i int
		c *report.Check
	}
	next := make(chan int)
	results := make(chan result)
	var wg sync.WaitGroup
	for range min(jobs, max(len(units), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results <- result{i, checkOne(ctx, &units[i], cf, cfg, dopts, prog)}
			}
		}()
	}
	go func() {
		for i := range units {
			next <- i
		}
		close(next)
		wg.Wait()
		close(results)
	}()
	// Results that arrive early wait here until those before them are
	// emitted; a result is small next to an analysis, which is freed as
	// soon as its check is built.
	pending := map[int]*report.Check{}
	n := 0
	for r := range results {
		pending[r.i] = r.c
		for c, ok := pending[n]; ok; c, ok = pending[n] {
			delete(pending, n)
			emit(c)
			n++
		}
	}
}

// checkOne analyses one unit and builds its check. A panic in the analysis
// is a bug; it is reported as an error of this check, with the stack on
// stderr of the process, so that the other checks still run and report.
func checkOne(ctx context.Context, u *checkUnit, cf *captureFlags, cfg *rules.Config, dopts decode.Options, prog *progress) (c *report.Check) {
	var read atomic.Int64
	defer func() { prog.unitDone(u, read.Load()) }()
	if len(u.problems) > 0 {
		return report.NewUnreadableCheck(u.name, u.paths, u.problems)
	}
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "vpnpcap check: internal error on %s: %v\n%s", u.name, p, debug.Stack())
			reasons := make([]string, len(u.paths))
			for i := range reasons {
				reasons[i] = fmt.Sprintf("vpnpcap: internal error while checking: %v", p)
			}
			c = report.NewUnreadableCheck(u.name, u.paths, reasons)
		}
	}()
	counters := []*atomic.Int64{&read, prog.counter()}
	fopts := flows.Options{MaxFlows: cf.maxFlows}
	var rc *rules.Context
	if len(u.paths) == 1 {
		sopts, sfopts := aloneOptions(dopts, fopts)
		a := flows.Analyze(countedFile(ctx, u.paths[0], counters), sopts, sfopts)
		rc = rules.NewContext(a, cfg)
	} else {
		// The correlation compares all the traffic of the two captures,
		// not only VPN packets: other flows show where the captures
		// overlap and which NAT mappings exist.
		cor := flows.Correlate(countedFile(ctx, u.paths[0], counters), countedFile(ctx, u.paths[1], counters), flows.CorrelateOptions{
			Window:     secondsDuration(cf.window),
			RolesGiven: true,
			Decode:     dopts,
			Flows:      fopts,
		})
		rc = rules.NewCorrelatedContext(cor, cfg)
	}
	findings := suppressByCapture(rules.Run(rc), cfg, u.paths)
	verdicts := rules.Verdicts(rc, findings)
	return report.NewCheck(u.name, rc, findings, verdicts)
}

// aloneOptions returns the options for analysing a capture checked alone.
// Its other traffic then matters to the rules only as conversations that
// went one way or both (VP101, VP908), so the flow table summarises it
// rather than keep a flow per conversation, and runs on a goroutine of its
// own (flows.Options.SummarizeOther); and only IKE's payload hashes are
// needed, to tell retransmissions. The findings and the report are those
// of full flows (TestCheckAloneAsFullFlows); on the 2M-packet benchmark
// capture (bench/run.sh), a third of the time and half the memory.
func aloneOptions(dopts decode.Options, fopts flows.Options) (decode.Options, flows.Options) {
	dopts.SkipPayloadHash = true
	fopts.SummarizeOther = true
	return dopts, fopts
}

// suppressByCapture drops the findings that a suppression of the config
// accepts for the check's captures. rules.Run already drops those whose
// evidence lies in a matching capture; this also covers findings without
// evidence, about a capture as a whole.
func suppressByCapture(fs []rules.Finding, cfg *rules.Config, paths []string) []rules.Finding {
	if len(cfg.Suppress) == 0 {
		return fs
	}
	ev := make([]rules.Evidence, len(paths))
	for i, p := range paths {
		ev[i] = rules.Evidence{Capture: p}
	}
	out := fs[:0]
	for _, f := range fs {
		if !cfg.Suppressed(rules.Finding{RuleID: f.RuleID, Slug: f.Slug, Evidence: ev}) {
			out = append(out, f)
		}
	}
	return out
}

// countedFile is flows.File, reading through a counter of bytes (for the
// progress bar) that also stops the read when ctx is done. A capture
// checked alone still uses two cores: flows.Analyze runs its table on a
// goroutine of its own while this one decodes (flows.Options.SummarizeOther).
func countedFile(ctx context.Context, path string, counters []*atomic.Int64) flows.Source {
	return flows.Source{Path: path, Read: func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		f, err := os.Open(path)
		if err != nil {
			return decode.Stats{}, err
		}
		defer f.Close()
		r, err := decode.NewReader(&countingReader{ctx: ctx, r: f, counters: counters}, path)
		if err != nil {
			return decode.Stats{}, err
		}
		defer r.Close()
		return decode.ReadPackets(r, opts, fn)
	}}
}

// countingReader counts the bytes read into counters (nil ones skipped),
// and fails once ctx is done.
type countingReader struct {
	ctx      context.Context
	r        io.Reader
	counters []*atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(b)
	for _, ctr := range c.counters {
		if ctr != nil {
			ctr.Add(int64(n))
		}
	}
	return n, err
}
