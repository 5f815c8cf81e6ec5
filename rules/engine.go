package rules

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/vpnpcap/vpnpcap/flows"
)

// Run runs every enabled rule over the context and returns the findings,
// most severe first, then by rule ID, tunnel and first evidence frame.
// Severity overrides and the confidence floor of the config are applied;
// suppressed findings are kept out (see Config.Suppress). The rules run
// side by side, one goroutine a core: each reads the context, which
// builds what it indexes once, behind sync.Once; their findings are
// gathered in rule order, so the result is the same as one by one. A
// rule's panic goes on in the caller's goroutine.
func Run(c *Context) []Finding {
	rs := All()
	found := make([][]Finding, len(rs))
	eachParallel(len(rs), func(i int) { found[i] = c.check(rs[i]) })
	var out []Finding
	for _, fs := range found {
		out = append(out, fs...)
	}
	SortFindings(out)
	return out
}

// eachParallel calls fn(0) … fn(n-1) on a goroutine a core, each index
// once, and returns when all are done; fn must write nothing another call
// reads. A panic in fn goes on in the caller's goroutine, with the stack
// where it happened.
func eachParallel(n int, fn func(i int)) {
	var next atomic.Int64
	var failure atomic.Pointer[error]
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					err := fmt.Errorf("rules: %v\n%s", p, debug.Stack())
					failure.CompareAndSwap(nil, &err)
				}
			}()
			for i := int(next.Add(1) - 1); i < n && failure.Load() == nil; i = int(next.Add(1) - 1) {
				fn(i)
			}
		}()
	}
	wg.Wait()
	if err := failure.Load(); err != nil {
		panic(*err)
	}
}

// check runs one rule, when enabled, and returns its findings as Run
// keeps them.
func (c *Context) check(r Rule) []Finding {
	m := r.Meta()
	if !c.Config.enabled(m) || m.NeedsBoth && !c.Two() {
		return nil
	}
	var out []Finding
	sev, configured := c.Config.severity(m)
	r.Check(c, func(f Finding) {
		f.RuleID, f.Slug, f.Title = m.ID, m.Slug, m.Title
		f.Severity = sev
		if f.Milder && !configured && sev > Info {
			f.Severity = sev - 1
		}
		if f.Explanation == "" {
			f.Explanation = m.Explanation
		}
		if f.Remedy == "" {
			f.Remedy = m.Remedy
		}
		if f.Evidence == nil {
			f.Evidence = []Evidence{}
		}
		bound(&f)
		if m.TimeUse != "" {
			c.doubtTime(&f, m.OrderOnly)
		}
		if f.Confidence < c.Config.MinConfidence || c.Config.Suppressed(f) {
			return
		}
		out = append(out, f)
	})
	return out
}

// Bounds of one finding, whatever the capture holds: a rule names its
// lists' first items and counts the rest (words.List); these catch what
// one misses.
const (
	maxMessage  = 4096
	maxEvidence = 64
)

// bound cuts a finding's message and evidence to their bounds, saying so.
func bound(f *Finding) {
	if len(f.Message) > maxMessage {
		cut := strings.LastIndexAny(f.Message[:maxMessage], " ;,")
		if cut < maxMessage/2 {
			cut = maxMessage
		}
		for cut > 0 && !utf8.RuneStart(f.Message[cut]) {
			cut--
		}
		f.Message = f.Message[:cut] + fmt.Sprintf(" … (cut at %d of %d characters)", cut, len(f.Message))
	}
	if len(f.Evidence) > maxEvidence {
		f.Evidence = f.Evidence[:maxEvidence]
	}
}

// SortFindings orders findings: most severe first, then rule ID, tunnel,
// first evidence, message.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		if c := cmp.Compare(a.RuleID, b.RuleID); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Tunnel, b.Tunnel); c != 0 {
			return c
		}
		if c := cmp.Compare(firstFrame(a), firstFrame(b)); c != 0 {
			return c
		}
		return cmp.Compare(a.Message, b.Message)
	})
}

func firstFrame(f Finding) int {
	if len(f.Evidence) == 0 {
		return 0
	}
	return f.Evidence[0].Frame
}

// doubtTime lowers the confidence of a finding that rests on capture time
// when a capture it draws on has time that runs backwards or stands still
// (unless the finding needs only the order of packets, which file order
// gives then), and says so in the message.
func (c *Context) doubtTime(f *Finding, orderOnly bool) {
	backwards, still := false, false
	for _, s := range c.findingSides(f) {
		a := c.Capture(s)
		if a == nil {
			continue
		}
		clock := &a.Capture.Stats.Clock
		backwards = backwards || clock.RunsBackward()
		still = still || clock.Unusable() && !orderOnly
	}
	switch {
	case still:
		f.Message += "; the capture's time stamps are all the same (VP910), so this rests on the order of the file alone"
	case backwards:
		f.Message += "; the capture's time runs backwards (VP909): this rests on time stamps of merged captures, whose order may be wrong"
	default:
		return
	}
	if f.Confidence > Low {
		f.Confidence--
	}
}

// findingSides returns the captures a finding draws on: those of its
// evidence, else those of its tunnel, else every capture.
func (c *Context) findingSides(f *Finding) []flows.Side {
	var sides []flows.Side
	for _, e := range f.Evidence {
		if !slices.Contains(sides, e.Side) {
			sides = append(sides, e.Side)
		}
	}
	if len(sides) == 0 && f.Tunnel > 0 && f.Tunnel <= len(c.Tunnels) {
		for s, t := range c.Tunnels[f.Tunnel-1].Sides {
			if t != nil {
				sides = append(sides, flows.Side(s))
			}
		}
	}
	if len(sides) == 0 {
		for s := range c.Captures {
			sides = append(sides, flows.Side(s))
		}
	}
	return sides
}
