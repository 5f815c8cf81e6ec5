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
	"github.com/vpnpcap/vpnpcap/pipeline"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

const checkAbout = `Check many captures at once, for CI: files, directories (walked recursively),
glob patterns, and - for standard input, a FIFO or <(...). Captures named
inside.* and outside.* in one directory, or NAME-inside.* and NAME-outside.*,
are checked as a pair, as are the pairs a vpnpcap-pairs.json manifest lists;
other captures are checked alone. Entries of a walked directory that are not
checked are listed on stderr with the reason. See docs/ci.md.

Try it on the samples:
  vpnpcap check samples/`

const checkMore = `Exit codes:
  0  no finding at or above --fail-on, outside the baseline
  1  findings at or above --fail-on, outside the baseline
  2  usage error, or a capture that could not be read (all the others are
     still checked and reported, and the report names the file and why)`

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
	text          textFlags
}

func setupCheck(fs *pflag.FlagSet) func(*env) int {
	var o checkOptions
	// check takes its captures as arguments: no --inside/--outside.
	o.cf.register(fs, false)
	o.cf.registerRules(fs)
	intFlag(fs, &o.jobs, "jobs", "j", min(runtime.NumCPU(), maxJobs), "run `n` checks at once", 1, maxJobs)
	enumFlag(fs, &o.format, "format", "", "text", "write the report in `format`: text, json, markdown, html, sarif or junit", reportFormats...)
	fs.StringVarP(&o.output, "output", "o", "", "write the report to `file` (whatever the exit code); stdout then gets the text summary")
	fileFlag(fs, "output")
	enumFlag(fs, &o.failOn, "fail-on", "", "error", "exit 1 when a finding outside the baseline is at or above `severity`: info, warning, error or none", "info", "warning", "error", "none")
	fs.StringVar(&o.baseline, "baseline", "", "accept the findings listed in the baseline `file`: reported as baselined, not failing")
	fileFlag(fs, "baseline", ".json")
	fs.StringVar(&o.writeBaseline, "write-baseline", "", "write to `file` a baseline accepting every finding of this run")
	fileFlag(fs, "write-baseline", ".json")
	fs.StringArrayVar(&o.pairs, "pairs", nil, "read inside/outside pairs from the manifest `file` (repeatable; vpnpcap-pairs.json files in walked directories are read too)")
	fileFlag(fs, "pairs", ".json")
	enumFlag(fs, &o.progress, "progress", "", "auto", "show a progress bar on stderr `when`: auto (stderr is a terminal), always or never", "auto", "always", "never")
	o.text.register(fs)
	return func(e *env) int { return runCheck(e, &o) }
}

// runCheck checks the captures the arguments name and reports on them.
func runCheck(e *env, o *checkOptions) int {
	if e.fs.NArg() == 0 && len(o.pairs) == 0 {
		return e.missingOperands("no capture given")
	}
	usageErr := func(err error) int {
		e.errorf("%v", err)
		return exitUsage
	}
	failOn, err := report.ParseFailOn(o.failOn)
	if err != nil {
		return usageErr(err)
	}
	cfg, err := o.cf.rulesConfig()
	if err != nil {
		return usageErr(err)
	}
	o.cf.limitMemory()
	// The checks that run at once share the bound.
	o.cf.maxMemory /= int64(max(1, o.jobs))
	if code := o.cf.loadKeys(e); code >= 0 {
		return code
	}
	// The flow table sees other traffic too: rules ask whether any other
	// conversation went both ways, and pairs correlate it (checkOne).
	dopts := o.cf.decodeOptions()
	var base *report.Baseline
	if o.baseline != "" {
		if base, err = report.LoadBaseline(o.baseline); err != nil {
			return usageErr(err)
		}
	}
	ins := newInputs(e, o.cf.fifoTimeout.d)
	defer ins.close()
	units, err := discoverUnits(e, o, ins)
	if err != nil {
		return usageErr(err)
	}

	// Open the report file first: a path that cannot be written is a usage
	// error, found before minutes of work rather than after.
	out := e.stdout
	var outFile *os.File
	if o.output != "" {
		if outFile, err = createReportFile(o.output, units); err != nil {
			return usageErr(err)
		}
		defer outFile.Close()
		out = outFile
	}

	restore := limitMemory()
	defer restore()

	var prog *progress
	if o.progress == "always" || o.progress == "auto" && isTerminal(e.stderr) {
		prog = newProgress(e.stderr, units, drawsLadders(o.format, true))
	}
	textOpts := o.text.options(out, false)
	textOpts.Color = o.output == "" && textOpts.Color
	batch := report.NewBatch(failOn, base)
	batch.BoundLists(o.text.maxListed)
	var writeErr error
	streamText := o.format == "text"
	detail := drawsLadders(o.format, true)
	runChecks(e.ctx, units, o.jobs, &o.cf, cfg, dopts, ins, prog, detail, func(c *report.Check) {
		batch.Add(c)
		prog.pause(func() {
			for _, cp := range c.Captures {
				if cp.ReadError != "" {
					e.errorf("%s: %s", cp.Path, cp.ReadError)
				}
			}
			if streamText && writeErr == nil {
				writeErr = report.WriteCheckText(out, c, textOpts)
			}
		})
	})
	prog.finish()
	return o.finishReport(e, batch, out, outFile, textOpts, writeErr)
}

// finishReport writes the rest of the report (the summary after the checks
// streamed as text, or the whole report in the other formats), the summary
// on stdout when the report went to a file, and the baseline asked for. It
// returns the exit code.
func (o *checkOptions) finishReport(e *env, batch *report.Batch, out io.Writer, outFile *os.File, textOpts report.TextOptions, writeErr error) int {
	if writeErr == nil {
		if o.format == "text" {
			writeErr = report.WriteBatchSummary(out, batch, textOpts)
		} else {
			writeErr = writeReport(out, batch, o.format, textOpts)
		}
	}
	if outFile != nil {
		if err := outFile.Close(); writeErr == nil {
			writeErr = err
		}
	}
	if writeErr != nil {
		e.errorf("writing the report: %v", writeErr)
		return exitUsage
	}
	if outFile != nil {
		if err := report.WriteBatchSummary(e.stdout, batch, o.text.options(e.stdout, false)); err != nil {
			e.errorf("%v", err)
			return exitUsage
		}
	}
	if o.writeBaseline != "" {
		if err := writeBaselineFile(o.writeBaseline, batch); err != nil {
			e.errorf("%v", err)
			return exitUsage
		}
	}
	return batch.ExitCode()
}

// discoverUnits finds the captures to check in the arguments and the
// pairs manifests, and lists on stderr the entries it skipped. Finding
// none is an error.
func discoverUnits(e *env, o *checkOptions, ins *inputs) ([]checkUnit, error) {
	units, skipped, err := discover(e.fs.Args(), o.pairs, ins)
	if err != nil {
		return nil, err
	}
	for _, s := range skipped {
		if s.path == "" {
			e.errorf("skipped %s", s.reason)
		} else {
			e.errorf("skipped %s: %s", s.path, s.reason)
		}
	}
	if len(units) == 0 {
		// A wrong path in a CI job must not pass for a clean run.
		return nil, errors.New("no capture found in the paths given")
	}
	return units, nil
}

// createReportFile creates the --output file, refusing one of the
// captures to check.
func createReportFile(path string, units []checkUnit) (*os.File, error) {
	if in := sameFileAsInput(path, units); in != "" {
		return nil, fmt.Errorf("--output %s is the capture %s: it would be overwritten", path, in)
	}
	return os.Create(path)
}

// sameFileAsInput returns the name of the capture of units that is the
// file out, or "".
func sameFileAsInput(out string, units []checkUnit) string {
	st, err := os.Stat(out)
	if err != nil {
		return ""
	}
	for _, u := range units {
		for _, p := range u.paths {
			if pst, err := os.Stat(p); err == nil && os.SameFile(st, pst) {
				return report.SafeText(p)
			}
		}
	}
	return ""
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
func runChecks(ctx context.Context, units []checkUnit, jobs int, cf *captureFlags, cfg *rules.Config, dopts decode.Options, ins *inputs, prog *progress, detail bool, emit func(*report.Check)) {
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
				results <- result{i, checkOne(ctx, &units[i], cf, cfg, dopts, ins, prog, detail)}
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

// checkOne analyses one unit and builds its check. A pair with one
// unreadable capture is checked as its other capture alone, and reported
// as the pair. A panic in the analysis is a bug; it is reported as an
// error of this check, with the stack on stderr of the process, so that
// the other checks still run and report. With detail the check keeps the
// whole report of its captures, and the ladders of their first tunnels,
// for the Markdown and HTML reports.
func checkOne(ctx context.Context, u *checkUnit, cf *captureFlags, cfg *rules.Config, dopts decode.Options, ins *inputs, prog *progress, detail bool) (c *report.Check) {
	var read atomic.Int64
	defer func() { prog.unitDone(u, read.Load()) }()
	names := make([]string, len(u.paths))
	for i, p := range u.paths {
		names[i] = ins.input(p).name
	}
	readable := u.readable()
	if len(readable) == 0 {
		return report.NewUnreadableCheck(u.name, names, u.problems)
	}
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "vpnpcap check: internal error on %s: %v\n%s", u.name, p, debug.Stack())
			reasons := make([]string, len(u.paths))
			for i := range reasons {
				reasons[i] = fmt.Sprintf("internal error while checking: %v", p)
			}
			c = report.NewUnreadableCheck(u.name, names, reasons)
		}
	}()
	counters := []*atomic.Int64{&read, prog.counter()}
	var srcs []flows.Source
	if len(readable) == 1 && !detail {
		// Nothing reads it again (ladders would): a stream need not be
		// kept.
		ins.input(readable[0]).readOnce()
	}
	for _, p := range readable {
		srcs = append(srcs, ins.input(p).source(ctx, counters...))
	}
	opts := pipeline.Options{
		Decode:     dopts,
		Flows:      cf.flowOptions(),
		Window:     secondsDuration(cf.window),
		RolesGiven: true,
		Summarize:  true,
		Rules:      cfg,
	}
	if detail {
		opts.Ladders = chooseLadders(report.Subject{})
	}
	res, err := pipeline.Run(ctx, srcs, opts)
	if err != nil {
		reasons := make([]string, len(u.paths))
		for i := range reasons {
			reasons[i] = err.Error()
		}
		return report.NewUnreadableCheck(u.name, names, reasons)
	}
	rc, findings, verdicts := res.Context, res.Findings, res.Verdicts
	c = report.NewCheck(u.name, rc, findings, verdicts, report.Options{Detail: detail, Ladders: res.Ladders})
	if len(readable) < len(u.paths) {
		withUnreadablePartner(c, names, u.problems)
	}
	for i := range c.Captures {
		for _, p := range readable {
			in := ins.input(p)
			if c.Captures[i].Path == in.name {
				c.Captures[i].PathBytes = in.exactName()
			}
			if c.Detail != nil && i < len(c.Detail.Captures) && c.Detail.Captures[i].Path == in.name {
				c.Detail.Captures[i].PathBytes = in.exactName()
			}
		}
	}
	return c
}

// withUnreadablePartner makes the check of a pair's readable capture, c,
// the check of the pair: the unreadable capture is listed with its
// problem, in its place, and each capture takes its role in the pair.
func withUnreadablePartner(c *report.Check, names, problems []string) {
	analysed := c.Captures[0]
	c.Captures = c.Captures[:0]
	for i, name := range names {
		role := flows.Side(i).String()
		if problems[i] == "" {
			analysed.Role = role
			c.Captures = append(c.Captures, analysed)
			continue
		}
		c.Captures = append(c.Captures, report.Capture{Path: name, Role: role, Kinds: map[string]int{}, ReadError: problems[i]})
	}
}
