// Package pipeline runs vpnpcap's analysis of one capture, or of an
// inside/outside pair: decode → flows (→ correlate the two captures) →
// rules → verdicts. analyze, check, flows and the terminal UI all call
// Run; no other package assembles the stages (internal/archtest checks
// it), so a capture gives the same facts, findings and verdicts whichever
// command reads it.
//
// Progress and cancellation travel with the sources: a caller that wants
// to show progress counts what its flows.Source reads, and one that wants
// to cancel makes its Source fail once its context is done; Run then
// returns the context's error.
package pipeline

import (
	"context"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// Options configure a run.
type Options struct {
	Decode decode.Options
	Flows  flows.Options
	// Window is the matching window of two captures; zero means
	// flows.DefaultWindow.
	Window time.Duration
	// RolesGiven says the first source is the inside capture and the
	// second the outside one, as the user said; otherwise the
	// correlation decides.
	RolesGiven bool
	// Summarize keeps the captures' non-VPN traffic as conversations
	// (directions only) rather than a flow each: the findings and the
	// report are the same, at a fraction of the time and memory. The flows
	// command lists every flow and does not set it.
	Summarize bool
	// Rules configures the rules; nil means rules.DefaultConfig().
	Rules *rules.Config
	// Check runs the rules; nil means rules.Run. Tests replace it.
	Check func(*rules.Context) []rules.Finding
	// FactsOnly stops before the rules: the flows command lists what the
	// captures hold and judges nothing.
	FactsOnly bool
	// Ladders, when set, chooses the subjects whose ladder diagrams the
	// run draws (ladder.Subjects lists them all), knowing the verdicts:
	// Run then reads the captures once more for their packets.
	Ladders func(*rules.Context, []rules.Verdict) []ladder.Subject
}

// Result is what a run found.
type Result struct {
	// Context holds the analyses, the correlation and the tunnels, calls
	// and ESP groups joined across the captures.
	Context  *rules.Context
	Findings []rules.Finding
	Verdicts []rules.Verdict
	// Ladders are the ladder diagrams Options.Ladders chose, in its order.
	Ladders []*ladder.Ladder
}

// Two reports whether the run compared two captures.
func (r *Result) Two() bool { return r.Context.Two() }

// Correlation returns the correlation of the two captures, or nil.
func (r *Result) Correlation() *flows.Correlation { return r.Context.Correlation }

// Run analyses one source, or two (see Options.RolesGiven), runs the
// rules and decides the verdicts. It returns ctx's error when ctx ended
// before the analysis did.
func Run(ctx context.Context, srcs []flows.Source, opts Options) (*Result, error) {
	cfg := opts.Rules
	if cfg == nil {
		cfg = rules.DefaultConfig()
	}
	var rc *rules.Context
	// The ladders decode as the analysis did.
	dopts := opts.Decode
	switch len(srcs) {
	case 1:
		fopts := opts.Flows
		if opts.Summarize {
			dopts, fopts = summarized(dopts, fopts)
		}
		rc = rules.NewContext(flows.Analyze(srcs[0], dopts, fopts), cfg)
	case 2:
		// The correlation compares all the traffic of the two captures,
		// not only VPN packets: other traffic shows where the captures
		// overlap and which NAT mappings exist, summarised or not. Unlike
		// a capture alone, a pair keeps every payload hash: its packets
		// are matched by them.
		fopts := opts.Flows
		fopts.SummarizeOther = opts.Summarize
		cor := flows.Correlate(srcs[0], srcs[1], flows.CorrelateOptions{
			Window:     opts.Window,
			RolesGiven: opts.RolesGiven,
			Decode:     opts.Decode,
			Flows:      fopts,
		})
		rc = rules.NewCorrelatedContext(cor, cfg)
	default:
		panic("pipeline: Run takes one capture or two")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.FactsOnly {
		return &Result{Context: rc}, nil
	}
	check := opts.Check
	if check == nil {
		check = rules.Run
	}
	var paths []string
	for _, a := range rc.Captures {
		paths = append(paths, a.Capture.Path)
	}
	findings := suppressByCapture(check(rc), cfg, paths)
	// Verdicts weigh every finding; the report lists a rule's first ones
	// and sums up the rest.
	verdicts := rules.Verdicts(rc, findings)
	res := &Result{Context: rc, Findings: rules.Aggregate(findings, rules.MaxFindingsPerRule), Verdicts: verdicts}
	if opts.Ladders != nil {
		// A capture's read error was reported by the analysis; the
		// ladders draw what came before it, as the analysis did.
		inOrder := srcs
		if cor := rc.Correlation; cor != nil && cor.Swapped {
			inOrder = []flows.Source{srcs[1], srcs[0]}
		}
		var err error
		res.Ladders, err = ladder.Collect(ctx, inOrder, rc, opts.Ladders(rc, verdicts), dopts)
		if ctxErr := ctx.Err(); ctxErr != nil && err == ctxErr {
			return nil, err
		}
	}
	return res, nil
}

// summarized returns the options for analysing a capture alone. Its other
// traffic then matters to the rules only as conversations that went one
// way or both (VP101, VP908), so the flow table summarises it rather than
// keep a flow per conversation, and runs on a goroutine of its own
// (flows.Options.SummarizeOther); and only IKE's payload hashes are
// needed, to tell retransmissions. The findings and the report are those
// of full flows (TestSummarizedAsFullFlows; for two captures, whose
// payload hashes are all kept, TestSummarizedPairsAsFullFlows).
func summarized(dopts decode.Options, fopts flows.Options) (decode.Options, flows.Options) {
	dopts.SkipPayloadHash = true
	fopts.SummarizeOther = true
	return dopts, fopts
}

// suppressByCapture drops the findings without evidence (about a capture
// as a whole) that a suppression of the config accepts for one of the
// run's captures. Findings with evidence were judged by rules.Run, by the
// captures their evidence lies in: a suppression for the inside capture
// does not hide a finding whose evidence is all in the outside one.
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
		if len(f.Evidence) > 0 || !cfg.Suppressed(rules.Finding{RuleID: f.RuleID, Slug: f.Slug, Evidence: ev}) {
			out = append(out, f)
		}
	}
	return out
}
