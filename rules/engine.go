package rules

import (
	"cmp"
	"slices"
)

// Run runs every enabled rule over the context and returns the findings,
// most severe first, then by rule ID, tunnel and first evidence frame.
// Severity overrides and the confidence floor of the config are applied;
// suppressed findings are kept out (see Config.Suppress).
func Run(c *Context) []Finding {
	var out []Finding
	for _, r := range All() {
		m := r.Meta()
		if !c.Config.enabled(m) {
			continue
		}
		if m.NeedsBoth && !c.Two() {
			continue
		}
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
			if f.Confidence < c.Config.MinConfidence || c.Config.Suppressed(f) {
				return
			}
			out = append(out, f)
		})
	}
	SortFindings(out)
	return out
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
