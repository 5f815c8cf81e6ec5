package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// BatchSchema names the JSON format of `vpnpcap check` and its version. It
// changes when a field is renamed or removed; adding a field keeps it.
const BatchSchema = "vpnpcap.check/v1"

// Status is the outcome of one check.
type Status string

// Statuses of a check. An unreadable capture outranks findings: a check
// whose capture could not be read whole is StatusError even when the part
// read has findings, because its findings may be incomplete.
const (
	StatusPass  Status = "pass"  // nothing at or above the threshold
	StatusFail  Status = "fail"  // findings at or above the threshold
	StatusError Status = "error" // a capture could not be read, or not whole
)

// FailOn is the --fail-on threshold: findings at or above Severity fail a
// check, unless None is set.
type FailOn struct {
	Severity rules.Severity
	None     bool
}

// ParseFailOn parses "info", "warning", "error" or "none".
func ParseFailOn(s string) (FailOn, error) {
	if strings.EqualFold(s, "none") {
		return FailOn{None: true}, nil
	}
	sev, err := rules.ParseSeverity(s)
	if err != nil {
		return FailOn{}, fmt.Errorf("report: --fail-on: unknown value %q (want info, warning, error or none)", s)
	}
	return FailOn{Severity: sev}, nil
}

// String returns the threshold as --fail-on takes it.
func (f FailOn) String() string {
	if f.None {
		return "none"
	}
	return f.Severity.String()
}

// Fails reports whether a finding fails the check: its severity is at or
// above the threshold and its confidence is medium or high. A
// low-confidence finding is a guess the captures could not confirm (a
// refusal the peers recovered from, a single capture's view): it is
// reported, but never fails a run on its own.
func (f FailOn) Fails(fd rules.Finding) bool {
	return !f.None && fd.Severity >= f.Severity && fd.Confidence >= rules.Medium
}

// SeverityCounts counts findings by severity.
type SeverityCounts struct {
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
}

func (c *SeverityCounts) add(s rules.Severity) {
	switch s {
	case rules.Error:
		c.Error++
	case rules.Warning:
		c.Warning++
	default:
		c.Info++
	}
}

// Total returns the number of findings counted.
func (c SeverityCounts) Total() int { return c.Error + c.Warning + c.Info }

// Batch is the report of `vpnpcap check`: one Check per capture or pair of
// captures, in a fixed order (see docs/ci.md), whatever the parallelism.
//
// `vpnpcap analyze` makes a batch of one (NewSingle): every writer renders
// it as the report of its one check, without the status and summary of a
// batch.
type Batch struct {
	Schema   string       `json:"schema"`
	FailOn   string       `json:"fail_on"`
	Baseline *BaselineUse `json:"baseline,omitempty"`
	Summary  BatchSummary `json:"summary"`
	Checks   []*Check     `json:"checks"`
	Rules    []rules.Meta `json:"-"` // the rule catalogue, for SARIF and JUnit
	failOn   FailOn
	baseline *Baseline // the accepted findings, or nil
	single   bool
	// maxListed bounds each list of the JSON report (BoundLists).
	maxListed int
}

// BoundLists makes the JSON report list at most n subjects of each kind,
// and count the rest (see DefaultMaxListed); 0 lists every one. It holds
// for the checks added before and after.
func (b *Batch) BoundLists(n int) {
	b.maxListed = n
	for _, c := range b.Checks {
		c.boundLists(n)
	}
}

func (c *Check) boundLists(n int) {
	// Unbounded lists leave nothing out, and need not be made to tell.
	c.maxListed = n
	c.jsonOmits = n > 0 && c.listed().Omitted != nil
	if d := c.Detail; d != nil {
		d.maxListed = n
		d.jsonOmits = n > 0 && d.listed().Omitted != nil
	}
}

// BaselineUse says which baseline the batch was compared with and how it
// matched.
type BaselineUse struct {
	File string `json:"file"`
	// Entries counts the findings the baseline accepts; Accepted those
	// matched in this run; Unmatched those of captures checked in this run
	// that no longer occur (fixed, or the capture changed).
	Entries   int `json:"entries"`
	Accepted  int `json:"accepted"`
	Unmatched int `json:"unmatched"`
}

// BatchSummary adds up the checks.
type BatchSummary struct {
	Checks     int `json:"checks"`
	Captures   int `json:"captures"`
	Unreadable int `json:"unreadable"`
	Tunnels    int `json:"tunnels"`
	Passed     int `json:"passed"`
	Failed     int `json:"failed"`
	Errors     int `json:"errors"`
	// Findings counts the findings not accepted by the baseline, by
	// severity; Failing those of them at or above the threshold.
	Findings  SeverityCounts `json:"findings"`
	Failing   int            `json:"failing"`
	Baselined int            `json:"baselined"`
}

// Check is the result of one capture checked alone, or of an inside and
// outside pair checked together.
type Check struct {
	// Name is the pair's directory or NAME prefix, or the capture's path.
	Name     string        `json:"name"`
	Captures []Capture     `json:"captures"`
	Roles    string        `json:"roles,omitempty"`
	Tunnels  []CheckTunnel `json:"tunnels"`
	// Others are the verdicts of what is not an IKE tunnel: PPTP calls
	// and ESP without a tunnel, in brief.
	Others []CheckVerdict `json:"other_verdicts"`
	// Findings are sorted as rules.Run sorts them.
	Findings []CheckFinding `json:"findings"`
	// Skipped lists the rules that did not run, and why.
	Skipped []SkippedRule `json:"skipped_rules,omitempty"`
	// Counts counts the findings not accepted by the baseline; Failing
	// those at or above the threshold.
	Counts    SeverityCounts `json:"counts"`
	Failing   int            `json:"failing"`
	Baselined int            `json:"baselined"`
	Status    Status         `json:"status"`
	// Detail is the whole report of the captures, when Options.Detail
	// asked for it: what analyze shows, and what the Markdown and HTML
	// reports show of each check.
	Detail *Report `json:"-"`
	// Omitted counts what the lists above left out, past --max-listed.
	Omitted *Omitted `json:"omitted,omitempty"`
	// maxListed bounds each list of the JSON report (Batch.BoundLists);
	// jsonOmits says whether that leaves something out.
	maxListed int
	jsonOmits bool
	// analysed is set when the captures were analysed, whole or in part;
	// not for captures that could not be opened as captures at all.
	// judged is set when the rules ran and verdicts were decided.
	analysed, judged bool
}

// CheckVerdict is the verdict of a PPTP call or of ESP without a tunnel,
// in brief.
type CheckVerdict struct {
	// Kind is "pptp" or "esp"; ID the call's or the ESP group's number.
	Kind string `json:"kind"`
	ID   int    `json:"id"`
	// Host is the client, or the host of ESP on the NAT's inside, and
	// Peer the server or the other peer: addresses as first seen, in the
	// inside capture when it saw them.
	Host                 string `json:"host"`
	Peer                 string `json:"peer"`
	NAT                  string `json:"nat"`
	Encapsulation        string `json:"encapsulation"`
	Outcome              string `json:"outcome"`
	DependsOnPassthrough string `json:"depends_on_passthrough"`
	Headline
	Summary string `json:"summary"`
}

// Headline is a verdict's reason in a short phrase, with the rule that
// decided it and the first frames that show it (rules.Verdict's).
type Headline struct {
	Headline string           `json:"headline"`
	Rule     string           `json:"rule,omitempty"`
	Evidence []rules.Evidence `json:"evidence,omitempty"`
}

func headlineOf(vd *rules.Verdict) Headline {
	return Headline{Headline: vd.Headline, Rule: vd.Rule, Evidence: vd.Evidence}
}

// CheckTunnel is one tunnel of a check, in brief.
type CheckTunnel struct {
	ID         int    `json:"id"`
	IKEVersion uint8  `json:"ike_version"`
	SPIi       string `json:"spi_i"`
	SPIr       string `json:"spi_r"`
	// Initiator and Responder are as first seen, in the inside capture
	// when the tunnel was seen there.
	Initiator            string `json:"initiator"`
	Responder            string `json:"responder"`
	NAT                  string `json:"nat"`
	NATTNegotiated       bool   `json:"natt_negotiated"`
	Encapsulation        string `json:"encapsulation"`
	State                string `json:"state"`
	Works                bool   `json:"works"`
	Outcome              string `json:"outcome"`
	DependsOnPassthrough string `json:"depends_on_passthrough"`
	Headline
	Summary string `json:"summary"`
}

// CheckFinding is a finding with what identifies it across runs.
type CheckFinding struct {
	rules.Finding
	// Key identifies the finding in baselines; Fingerprint is its hash,
	// the SARIF partial fingerprint.
	Key         BaselineKey `json:"key"`
	Fingerprint string      `json:"fingerprint"`
	// Baselined is set when a baseline accepts the finding: it is
	// reported but does not count towards --fail-on.
	Baselined bool `json:"baselined,omitempty"`
}

// SkippedRule is a rule that did not run on a check.
type SkippedRule struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Reasons a rule is skipped.
const (
	SkipDisabled  = "disabled in the configuration"
	SkipNeedsBoth = "needs captures from both sides of the NAT"
)

// NewSingle returns the batch of one check that `vpnpcap analyze` writes:
// its writers render the check's report alone. The check is judged
// against failOn, with no baseline.
func NewSingle(failOn FailOn, c *Check) *Batch {
	b := NewBatch(failOn, nil)
	b.single = true
	b.Add(c)
	return b
}

// Single reports whether the batch is one analysis (NewSingle).
func (b *Batch) Single() bool { return b.single }

// NewBatch returns an empty batch that judges findings against failOn and
// accepts those in baseline (nil for none).
func NewBatch(failOn FailOn, baseline *Baseline) *Batch {
	b := &Batch{Schema: BatchSchema, FailOn: failOn.String(), Checks: []*Check{}, failOn: failOn, baseline: baseline}
	for _, r := range rules.All() {
		b.Rules = append(b.Rules, r.Meta())
	}
	if baseline != nil {
		b.Baseline = &BaselineUse{File: baseline.File, Entries: baseline.Len()}
	}
	return b
}

// Add marks the check's findings accepted by the baseline, decides its
// status and adds it to the batch. Checks must be added in report order:
// when one finding matches several baseline entries, the first check to
// claim an entry gets it.
func (b *Batch) Add(c *Check) {
	c.boundLists(b.maxListed)
	for i := range c.Findings {
		f := &c.Findings[i]
		f.Baselined = b.baseline != nil && b.baseline.take(f.Key)
	}
	c.finish(b.failOn)
	if b.baseline != nil {
		b.Baseline.Accepted += c.Baselined
		b.Baseline.Unmatched += b.baseline.unmatched(c.paths())
	}
	s := &b.Summary
	s.Checks++
	s.Captures += len(c.Captures)
	for _, cp := range c.Captures {
		if cp.ReadError != "" {
			s.Unreadable++
		}
	}
	s.Tunnels += len(c.Tunnels)
	switch c.Status {
	case StatusPass:
		s.Passed++
	case StatusFail:
		s.Failed++
	default:
		s.Errors++
	}
	s.Findings.Error += c.Counts.Error
	s.Findings.Warning += c.Counts.Warning
	s.Findings.Info += c.Counts.Info
	s.Failing += c.Failing
	s.Baselined += c.Baselined
	b.Checks = append(b.Checks, c)
}

// finish counts the findings and decides the status.
func (c *Check) finish(failOn FailOn) {
	c.Counts, c.Failing, c.Baselined = SeverityCounts{}, 0, 0
	for _, f := range c.Findings {
		if f.Baselined {
			c.Baselined++
			continue
		}
		c.Counts.add(f.Severity)
		if failOn.Fails(f.Finding) {
			c.Failing++
		}
	}
	switch {
	case c.Unreadable():
		c.Status = StatusError
	case c.Failing > 0:
		c.Status = StatusFail
	default:
		c.Status = StatusPass
	}
}

// Unreadable reports whether a capture of the check could not be read, or
// not to its end.
func (c *Check) Unreadable() bool {
	for _, cp := range c.Captures {
		if cp.ReadError != "" {
			return true
		}
	}
	return false
}

func (c *Check) paths() []string {
	out := make([]string, len(c.Captures))
	for i, cp := range c.Captures {
		out[i] = cp.Path
	}
	return out
}

// ExitCode returns the exit code the batch calls for: 2 when a capture
// could not be read, else 1 when a finding not accepted by the baseline is
// at or above the threshold, else 0.
func (b *Batch) ExitCode() int {
	switch {
	case b.Summary.Errors > 0:
		return 2
	case b.Summary.Failed > 0:
		return 1
	}
	return 0
}

// NewCheck builds the check of an analysed capture or pair from its rules
// context, findings and verdicts. Name names it in reports.
func NewCheck(name string, c *rules.Context, findings []rules.Finding, verdicts []rules.Verdict, opts Options) *Check {
	findings, verdicts = opts.Only.only(findings, verdicts)
	ch := &Check{Name: name, Tunnels: []CheckTunnel{}, Others: []CheckVerdict{}, Findings: []CheckFinding{}, analysed: true, judged: !opts.Facts}
	for i, a := range c.Captures {
		ch.Captures = append(ch.Captures, newCapture(a, roleName(c, flows.Side(i))))
	}
	if c.Correlation != nil {
		ch.Roles = c.Correlation.Roles
	}
	byTunnel := map[int]*rules.Verdict{}
	for i := range verdicts {
		byTunnel[verdicts[i].Tunnel] = &verdicts[i]
	}
	for _, v := range c.Tunnels {
		if opts.Only.about(v.ID, 0, 0) {
			ch.Tunnels = append(ch.Tunnels, checkTunnel(v, byTunnel[v.ID]))
		}
	}
	for i := range verdicts {
		if o, ok := checkVerdict(c, &verdicts[i]); ok {
			ch.Others = append(ch.Others, o)
		}
	}
	paths := ch.paths()
	for _, f := range findings {
		k := Key(paths, c, f)
		ch.Findings = append(ch.Findings, CheckFinding{Finding: f, Key: k, Fingerprint: k.Fingerprint()})
	}
	for _, r := range rules.All() {
		m := r.Meta()
		switch {
		case disabled(c.Config, m):
			ch.Skipped = append(ch.Skipped, SkippedRule{Rule: m.ID, Reason: SkipDisabled})
		case m.NeedsBoth && !c.Two():
			ch.Skipped = append(ch.Skipped, SkippedRule{Rule: m.ID, Reason: SkipNeedsBoth})
		}
	}
	if opts.Detail {
		ch.Detail = Build(c, findings, verdicts, opts)
	}
	return ch
}

// checkVerdict is the brief verdict of a PPTP call or an ESP group; false
// for a tunnel's.
func checkVerdict(c *rules.Context, vd *rules.Verdict) (CheckVerdict, bool) {
	o := CheckVerdict{NAT: string(vd.NAT), Encapsulation: string(vd.Encapsulation), Outcome: vd.Outcome,
		DependsOnPassthrough: vd.DependsOnPassthrough, Headline: headlineOf(vd), Summary: vd.Summary}
	switch {
	case vd.Session != 0 && vd.Session <= len(c.Sessions):
		o.Kind, o.ID = "pptp", vd.Session
		s := c.Sessions[vd.Session-1].Any()
		o.Host, o.Peer = s.Client.Addr().String(), s.Server.Addr().String()
	case vd.Group != 0 && vd.Group <= len(c.Groups):
		o.Kind, o.ID = "esp", vd.Group
		g := c.Groups[vd.Group-1]
		side := flows.SideInside
		if !g.Host[side].IsValid() {
			side = flows.SideOutside
		}
		o.Host, o.Peer = g.Host[side].String(), g.Peer[side].String()
	default:
		return o, false
	}
	return o, true
}

// disabled mirrors the configuration's rule selection: a rule is off when
// listed by ID (any case) or slug.
func disabled(cfg *rules.Config, m rules.Meta) bool {
	if cfg == nil {
		return false
	}
	for _, d := range cfg.Disabled {
		if strings.EqualFold(d, m.ID) || d == m.Slug {
			return true
		}
	}
	return false
}

// NewUnreadableCheck builds the check of captures that could not be read
// at all: each path with the reason, or "" for a capture that was fine
// but is reported with its unreadable partner.
func NewUnreadableCheck(name string, paths, reasons []string) *Check {
	ch := &Check{Name: name, Tunnels: []CheckTunnel{}, Findings: []CheckFinding{}}
	for i, p := range paths {
		role := "capture"
		if len(paths) == 2 {
			role = flows.Side(i).String()
		}
		ch.Captures = append(ch.Captures, Capture{Path: p, Role: role, Kinds: map[string]int{}, ReadError: reasons[i]})
	}
	return ch
}

func checkTunnel(v *flows.TunnelView, vd *rules.Verdict) CheckTunnel {
	t := v.Any()
	ct := CheckTunnel{
		ID:             v.ID,
		IKEVersion:     t.Version,
		SPIi:           decode.IKESPI(t.SPIi).String(),
		SPIr:           decode.IKESPI(t.SPIr).String(),
		Initiator:      t.InitiatorFirst.String(),
		Responder:      t.ResponderFirst.String(),
		NAT:            string(v.NAT.Position),
		NATTNegotiated: v.NATTNegotiated(),
		Encapsulation:  string(v.Encapsulation()),
		State:          string(t.State),
		Works:          true,
	}
	if vd != nil {
		ct.Works = vd.Works
		ct.Outcome = vd.Outcome
		ct.DependsOnPassthrough = vd.DependsOnPassthrough
		ct.Headline = headlineOf(vd)
		ct.Summary = vd.Summary
	}
	return ct
}

// WriteBatchJSON writes the batch as indented JSON (schema BatchSchema,
// documented in docs/ci.md).
func WriteBatchJSON(w io.Writer, b *Batch) error {
	listed := *b
	listed.Checks = make([]*Check, len(b.Checks))
	for i, c := range b.Checks {
		listed.Checks[i] = c.listed()
	}
	return writeJSONStream(w, &listed, false, reportTypes...)
}
