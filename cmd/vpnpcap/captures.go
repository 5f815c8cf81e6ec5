package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/pipeline"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

// defaultMaxMemory is the default of --max-memory.
const defaultMaxMemory = 512 << 20

// Bounds of the flags' values: past them a value is a mistake (a unit
// misread, a digit too many), not a setting.
const (
	maxMaxFlows    = 1 << 28             // a flow costs kilobytes: 2^28 of them is hundreds of GB
	maxMatchWindow = 3600.0              // seconds; a NAT forwards in milliseconds
	maxNATTimeout  = 24 * time.Hour      // NAT UDP timeouts are seconds to minutes
	maxFIFOTimeout = 7 * 24 * time.Hour  // a week
	maxJobs        = 1024                // checks at once
	maxMaxListed   = 1 << 30             // subjects of one kind in a report
	minMaxMemory   = 16 << 20            // below it not even the samples fit
	maxMaxMemory   = 1 << 40             // a terabyte
	minNATTimeout  = 1 * time.Second     // below it every pause is a timeout
	minFIFOTimeout = 0 * time.Nanosecond // 0: wait without limit
)

// captureFlags are the flags every command that analyses captures shares.
type captureFlags struct {
	inside, outside string
	ikePorts        []uint16
	maxFlows        int
	maxMemory       int64
	window          float64
	fifoTimeout     durationValue
	config          string
	disable         []string
	natTimeout      durationValue
	minConfidence   string
	keyFiles        []string
	keyStore        *keys.Store // loaded once, by loadKeys
}

// register registers the flags that say how captures are read and
// analysed; with roles, --inside and --outside too.
func (c *captureFlags) register(fs *pflag.FlagSet, roles bool) {
	if roles {
		fs.StringVar(&c.inside, "inside", "", "the `file` captured on the LAN side of the NAT")
		fs.StringVar(&c.outside, "outside", "", "the `file` captured on the WAN side of the NAT")
		fileFlag(fs, "inside", captureExts...)
		fileFlag(fs, "outside", captureExts...)
	}
	portsFlag(fs, &c.ikePorts, "ike-port", "also decode IKE and UDP-encapsulated ESP on `port` (repeatable, or comma-separated)")
	intFlag(fs, &c.maxFlows, "max-flows", "", flows.DefaultMaxFlows, "track at most `n` flows per capture; more are counted, not kept", 1, maxMaxFlows)
	sizeFlag(fs, &c.maxMemory, "max-memory", defaultMaxMemory, "keep the analysis within about `size` of memory (such as 512MiB or 2GiB): a third of it for what the captures hold; flows, SAs and tunnels past that are counted, not kept (VP907)", minMaxMemory, maxMaxMemory)
	secondsFlag(fs, &c.window, "match-window", flows.DefaultWindow.Seconds(), "match one packet seen in both captures within `seconds`", maxMatchWindow)
	c.fifoTimeout = durationValue{d: defaultFIFOTimeout, lo: minFIFOTimeout, hi: maxFIFOTimeout, zero: shortDuration(defaultFIFOTimeout)}
	durationFlag(fs, &c.fifoTimeout, "fifo-timeout", "give up a FIFO given as a capture when no process opens it for writing within `duration` (0: wait without limit)")
	c.registerKeys(fs)
}

// registerKeys registers --keys: key files that decrypt IKE and ESP.
func (c *captureFlags) registerKeys(fs *pflag.FlagSet) {
	fs.StringArrayVar(&c.keyFiles, "keys", nil, "decrypt IKE and ESP with the keys in `file`: a Wireshark table "+
		"(ikev2_decryption_table, ikev1_decryption_table, esp_sa) or a charon log at level 4 (repeatable; see docs/decryption.md)")
	fileFlag(fs, "keys")
}

// loadKeys reads the --keys files once; warnings (keys of a log that could
// not be used) go to stderr. Keys are never printed. A file that cannot
// be read or parsed is a usage error, with its code; -1 means go on.
func (c *captureFlags) loadKeys(e *env) int {
	if c.keyStore != nil || len(c.keyFiles) == 0 {
		return -1
	}
	s, warnings, err := keys.LoadAll(c.keyFiles)
	if err != nil {
		return e.usageError("--keys: %v", err)
	}
	for _, w := range warnings {
		e.warnf("--keys: %s", w)
	}
	c.keyStore = s
	return -1
}

func (c *captureFlags) registerRules(fs *pflag.FlagSet) {
	fs.StringVar(&c.config, "config", "", "read the rules configuration from `file` (JSON; see docs/configuration.md)")
	fileFlag(fs, "config", ".json")
	fs.StringSliceVar(&c.disable, "disable", nil, "do not run the rule `id` (an ID or a slug; repeatable, or comma-separated)")
	c.natTimeout = durationValue{lo: minNATTimeout, hi: maxNATTimeout, zero: "from the config, 30s"}
	durationFlag(fs, &c.natTimeout, "nat-udp-timeout", "take the NAT's UDP mapping timeout to be `duration` (such as 30s or 2m)")
	enumFlag(fs, &c.minConfidence, "min-confidence", "", "low", "drop findings below the confidence `level`: low, medium or high", "low", "medium", "high")
}

// rulesConfig builds the rules configuration from the config file and the
// flags, which win.
func (c *captureFlags) rulesConfig() (*rules.Config, error) {
	cfg := rules.DefaultConfig()
	if c.config != "" {
		var err error
		if cfg, err = rules.LoadConfig(c.config); err != nil {
			return nil, err
		}
	}
	cfg.Disabled = append(cfg.Disabled, c.disable...)
	if c.natTimeout.set {
		cfg.Thresholds.NATUDPTimeout = rules.Duration(c.natTimeout.d)
	}
	conf, err := rules.ParseConfidence(c.minConfidence)
	if err != nil {
		return nil, fmt.Errorf("--min-confidence: %w", err)
	}
	cfg.MinConfidence = conf
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decodeOptions returns the decoding options of the flags; the key files
// must have been loaded (loadKeys).
func (c *captureFlags) decodeOptions() decode.Options {
	return decode.Options{KeepOther: true, IKEPorts: c.ikePorts, Keys: c.keyStore, MaxFragmentBytes: reassemblyBytes(c.maxMemory)}
}

// reassemblyShare is the share of --max-memory that IP reassembly's
// buffers may hold: 4 MiB (decode's default, Linux's ipfrag_high_thresh)
// of the default 512 MiB.
const reassemblyShare = defaultMaxMemory / decode.DefaultMaxFragmentBytes

// reassemblyBytes is the byte bound of IP reassembly under a memory bound.
func reassemblyBytes(maxMemory int64) int {
	return int(maxMemory / reassemblyShare)
}

func (c *captureFlags) flowOptions() flows.Options {
	return flows.Options{MaxFlows: c.maxFlows, MaxMemory: c.maxMemory / 3}
}

// limitMemory makes the Go runtime collect garbage harder as the process
// nears --max-memory (a soft limit: debug.SetMemoryLimit), so that what
// the analysis no longer needs is returned before the heap grows past it.
func (c *captureFlags) limitMemory() {
	if c.maxMemory > 0 {
		// The Go heap is most but not all of the process: leave room for
		// stacks, buffers and what the runtime keeps back.
		debug.SetMemoryLimit(c.maxMemory / 8 * 7)
	}
}

// capturePlan is what analyze, flows and tui work on: one capture, or a
// pair; whether the user said which is inside; and the captures named that
// cannot be read, with why (the report then covers the others).
type capturePlan struct {
	first, second *captureInput // second is nil for one capture
	rolesGiven    bool
	unreadable    []error // *inputError and decode errors, each naming its capture
	fromDir       string  // the directory the pair was found in, if any
}

// captures returns the inputs to analyse, in order.
func (p *capturePlan) captures() []*captureInput {
	if p.second == nil {
		return []*captureInput{p.first}
	}
	return []*captureInput{p.first, p.second}
}

// plan resolves the command's arguments (or --inside and --outside) into
// captures, read from ins: a directory given alone is searched for its
// pair as check pairs them; streams are spooled; every capture is sniffed.
// It returns a plan with at least one readable capture, or the exit code
// after saying why there is none (code -1 means go on).
func (c *captureFlags) plan(e *env, ins *inputs) (plan *capturePlan, code int) {
	c.limitMemory()
	if code := c.loadKeys(e); code >= 0 {
		return nil, code
	}
	args := e.fs.Args()
	plan = &capturePlan{}
	var names []string
	switch {
	case c.inside != "" || c.outside != "":
		if c.inside == "" || c.outside == "" {
			return nil, e.usageError("--inside and --outside go together")
		}
		if len(args) > 0 {
			return nil, e.usageError("give captures either as --inside/--outside or as arguments, not both")
		}
		names, plan.rolesGiven = []string{c.inside, c.outside}, true
	case len(args) == 0:
		return nil, e.missingOperands("no capture given")
	case len(args) > 2:
		return nil, e.usageError("at most two captures (one per side of the NAT), got %d", len(args))
	default:
		names = args
	}
	if len(names) == 1 && names[0] != "-" {
		if st, err := os.Stat(names[0]); err == nil && st.IsDir() {
			found, code := e.captureInDir(names[0], ins)
			if code >= 0 {
				return nil, code
			}
			names, plan.rolesGiven, plan.fromDir = found, len(found) == 2, names[0]
		}
	}
	var readable []*captureInput
	for _, name := range names {
		in, err := ins.add(name)
		if errors.Is(err, errIsDir) {
			e.errorf("%s is a directory: give a capture file, or the directory alone to analyse the pair in it, or check every capture in it with 'vpnpcap check %s'", report.SafeText(name), report.SafeText(name))
			return nil, exitUsage
		}
		if err == nil {
			err = in.sniff()
		}
		if err != nil {
			plan.unreadable = append(plan.unreadable, &inputError{name: report.SafeText(name), reason: problem(err), err: err})
			continue
		}
		readable = append(readable, in)
	}
	if len(readable) == 0 {
		for _, err := range plan.unreadable {
			e.errorf("%v", err)
		}
		return nil, exitUsage
	}
	plan.first = readable[0]
	if len(readable) == 2 {
		plan.second = readable[1]
		if plan.first.sameAs(plan.second) {
			e.warnf("%s and %s are the same capture: a comparison needs one capture from each side of the NAT", plan.first.name, plan.second.name)
		}
	} else {
		plan.rolesGiven = false
	}
	return plan, -1
}

// captureInDir finds the capture or the pair to analyse in dir, as check
// finds them (discover): the one capture or pair the directory holds.
func (e *env) captureInDir(dir string, ins *inputs) ([]string, int) {
	units, _, err := discover([]string{dir}, nil, ins)
	if err != nil {
		e.errorf("%v", err)
		return nil, exitUsage
	}
	name := report.SafeText(dir)
	if len(units) == 1 {
		u := units[0]
		if len(u.paths) == 2 {
			e.errorf("%s: analysing %s (inside) and %s (outside)", name, report.SafeText(u.paths[0]), report.SafeText(u.paths[1]))
		} else {
			e.errorf("%s: analysing %s", name, report.SafeText(u.paths[0]))
		}
		return u.paths, -1
	}
	if len(units) == 0 {
		e.errorf("%s is a directory with no capture in it", name)
		return nil, exitUsage
	}
	pairs := 0
	for _, u := range units {
		if len(u.paths) == 2 {
			pairs++
		}
	}
	alone := len(units) - pairs
	e.errorf("%s is a directory holding %d %s of inside and outside captures and %d %s alone: name the captures to analyse, or check them all with 'vpnpcap check %s'",
		name, pairs, words.Pick(pairs, "pair", "pairs"), alone, words.Pick(alone, "capture", "captures"), name)
	return nil, exitUsage
}

// analysis runs the analysis of the plan's captures and returns the rules
// context. With summarize, a single capture's other traffic is summarised
// per conversation, as check does (aloneOptions): what the report and the
// rules say is the same, at a fraction of the time and memory; the flows
// command lists every flow and does not summarise.
func (c *captureFlags) analysis(e *env, plan *capturePlan, opts pipeline.Options) (*pipeline.Result, error) {
	opts.Decode, opts.Flows = c.decodeOptions(), c.flowOptions()
	opts.Window = secondsDuration(c.window)
	opts.RolesGiven = plan.rolesGiven
	var srcs []flows.Source
	ins := plan.captures()
	if len(ins) == 1 && opts.Ladders == nil {
		// Nothing reads it again: a stream need not be kept.
		ins[0].readOnce()
	}
	for _, in := range ins {
		srcs = append(srcs, in.source(e.ctx))
	}
	res, err := pipeline.Run(e.ctx, srcs, opts)
	if err != nil {
		return nil, err
	}
	if cor := res.Correlation(); cor != nil && cor.RolesDoubt != "" {
		by := "--inside and --outside"
		if plan.fromDir != "" {
			by = "the names of the captures"
		}
		e.warnf("the roles given by %s look swapped: %s; the report keeps the roles given", by, cor.RolesDoubt)
	}
	return res, nil
}

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// name names the analysis in reports, as check names its checks: the
// directory the pair was found in, the directory both captures are in, or
// the capture's path.
func (p *capturePlan) name() string {
	switch {
	case p.fromDir != "":
		return report.SafeText(filepath.Clean(p.fromDir))
	case p.second == nil:
		return p.first.name
	}
	if d := filepath.Dir(p.first.arg); d == filepath.Dir(p.second.arg) && d != "." && p.first.spool == nil && p.second.spool == nil {
		return report.SafeText(d)
	}
	return p.first.name + " + " + p.second.name
}

// exactNames fills in the exact bytes of the captures' names where the
// report shows them escaped.
func (p *capturePlan) exactNames(cs []report.Capture) {
	for i := range cs {
		for _, in := range p.captures() {
			if cs[i].Path == in.name {
				cs[i].PathBytes = in.exactName()
			}
		}
	}
}

// readErrors reports the captures that could not be read to their end,
// and those of the plan that could not be read at all, and says whether
// there were any.
func (p *capturePlan) readErrors(e *env, ctx *rules.Context) bool {
	bad := false
	for _, a := range ctx.Captures {
		if err := a.Capture.ReadError; err != nil {
			e.errorf("%s: %s (everything before it was analysed)", a.Capture.Path, problem(err))
			bad = true
		}
	}
	if len(p.unreadable) > 0 {
		for _, err := range p.unreadable {
			e.errorf("%v; the report covers %s alone", err, p.first.name)
		}
		bad = true
	}
	return bad
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// useColor decides colour from --color and the environment (NO_COLOR,
// https://no-color.org).
func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return isTerminal(w)
}
