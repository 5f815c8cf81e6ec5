package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/internal/words"
)

// MaxFindingsPerRule is how many findings of one rule and severity a
// report lists one by one; the rest are summed up in one finding. A flood
// (a million one-way SAs, say) would otherwise give a million findings
// that say the same thing, and a report nobody can read.
const MaxFindingsPerRule = 20

// Aggregate keeps, of the findings of each rule and severity, the first
// max (in the order SortFindings gives: tunnels first, then by frame) and
// replaces the others by one finding that counts them, says what they are
// about and keeps a few of their evidence frames. Its confidence is the
// highest of theirs, so that a run fails or passes as it would with all
// of them listed. Findings must be sorted (SortFindings); the result is.
func Aggregate(fs []Finding, max int) []Finding {
	if max <= 0 {
		return fs
	}
	type key struct {
		rule string
		sev  Severity
	}
	counts := map[key]int{}
	for _, f := range fs {
		counts[key{f.RuleID, f.Severity}]++
	}
	over := false
	for _, n := range counts {
		over = over || n > max
	}
	if !over {
		return fs
	}
	out := make([]Finding, 0, len(fs))
	rest := map[key]*restOf{}
	var order []key
	seen := map[key]int{}
	for _, f := range fs {
		k := key{f.RuleID, f.Severity}
		seen[k]++
		if seen[k] <= max {
			out = append(out, f)
			continue
		}
		r := rest[k]
		if r == nil {
			r = &restOf{first: f, listed: max}
			rest[k] = r
			order = append(order, k)
		}
		r.add(f)
	}
	for _, k := range order {
		out = append(out, rest[k].finding())
	}
	SortFindings(out)
	return out
}

// restOf gathers the findings of one rule beyond those listed.
type restOf struct {
	first    Finding
	listed   int
	n        int
	conf     Confidence
	tunnels  []int
	subjects []string
	evidence []Evidence
}

// aggregateSample is how many subjects and evidence frames the summing-up
// finding names.
const aggregateSample = 5

func (r *restOf) add(f Finding) {
	r.n++
	r.conf = max(r.conf, f.Confidence)
	// A tunnel's finding is named by its tunnel; its subject is often only
	// the capture it was seen in, which every other finding shares.
	switch {
	case f.Tunnel != 0:
		if len(r.tunnels) < aggregateSample {
			r.tunnels = append(r.tunnels, f.Tunnel)
		}
	case f.Subject != "" && len(r.subjects) < aggregateSample && !slices.Contains(r.subjects, f.Subject):
		r.subjects = append(r.subjects, f.Subject)
	}
	// Each finding's first frame.
	if len(f.Evidence) > 0 && len(r.evidence) < 2*aggregateSample {
		r.evidence = append(r.evidence, f.Evidence[0])
	}
}

func (r *restOf) finding() Finding {
	f := r.first
	f.Tunnel, f.Session, f.Group = 0, 0, 0
	f.Confidence = r.conf
	f.Milder = false
	var about []string
	for _, t := range r.tunnels {
		about = append(about, "tunnel "+strconv.Itoa(t))
	}
	about = append(about, r.subjects...)
	f.Subject = words.Thousands(r.n) + " more"
	f.Message = fmt.Sprintf("%s more %s findings like the %d above, not listed one by one", words.Thousands(r.n), f.RuleID, r.listed)
	if len(about) > 0 {
		f.Message += fmt.Sprintf(" (among them %s)", strings.Join(about, ", "))
	}
	f.Message += "; the JSON report lists the tunnels' verdicts, and 'vpnpcap flows' the flows (every one with --max-listed 0)"
	f.Evidence = r.evidence
	if f.Evidence == nil {
		f.Evidence = []Evidence{}
	}
	return f
}
