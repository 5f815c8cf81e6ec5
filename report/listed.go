package report

import (
	"slices"

	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/rules"
)

// DefaultMaxListed is how many of each kind of subject a JSON report
// lists by default (Batch.BoundLists, --max-listed): tunnels, PPTP calls,
// ESP groups, NAT mappings, flows, and each ESP group's SAs and SPIs. A
// concentrator's capture has a few thousand tunnels at most and fits; a
// flood of a million IKE SAs would make a report of a gigabyte that no one
// reads, so past the bound subjects are counted (Omitted), not listed.
const DefaultMaxListed = 1000

// Omitted counts the subjects a JSON report left out of its lists, past
// MaxListed. Every tunnel, PPTP call and ESP group a finding names is
// listed all the same.
type Omitted struct {
	MaxListed     int `json:"max_listed"`
	Tunnels       int `json:"tunnels,omitempty"`
	PPTPSessions  int `json:"pptp_sessions,omitempty"`
	ESPGroups     int `json:"esp_groups,omitempty"`
	ESPSAs        int `json:"esp_sas,omitempty"`
	SPIs          int `json:"spis,omitempty"`
	Mappings      int `json:"mappings,omitempty"`
	Flows         int `json:"flows,omitempty"`
	OtherVerdicts int `json:"other_verdicts,omitempty"`
}

func (o *Omitted) any() bool {
	return o.Tunnels+o.PPTPSessions+o.ESPGroups+o.ESPSAs+o.SPIs+o.Mappings+o.Flows+o.OtherVerdicts > 0
}

// named are the subjects the findings name, which a bounded list keeps.
type named struct{ tunnels, calls, groups map[int]bool }

func newNamed() named {
	return named{tunnels: map[int]bool{}, calls: map[int]bool{}, groups: map[int]bool{}}
}

func (n named) add(f *rules.Finding) {
	switch {
	case f.Tunnel != 0:
		n.tunnels[f.Tunnel] = true
	case f.Session != 0:
		n.calls[f.Session] = true
	case f.Group != 0:
		n.groups[f.Group] = true
	}
}

// bounded keeps the first max elements of list and those keep names, and
// adds the number left out to *omitted; max 0 keeps them all.
func bounded[T any](list []T, max int, keep func(T) bool, omitted *int) []T {
	if max <= 0 || len(list) <= max {
		return list
	}
	out := slices.Clone(list[:max])
	for _, e := range list[max:] {
		if keep != nil && keep(e) {
			out = append(out, e)
		} else {
			*omitted++
		}
	}
	return out
}

// listed returns the report as its JSON lists it: a shallow copy whose
// NAT mappings are made into rows (mappingRows) and whose lists are
// bounded by its MaxListed, with what they left out in Omitted.
func (r *Report) listed() *Report {
	c := *r
	var mappings int
	c.Mappings, mappings = r.mappingRows(r.maxListed)
	if r.maxListed <= 0 {
		return &c
	}
	max := r.maxListed
	o := &Omitted{MaxListed: max}
	n := newNamed()
	for i := range r.Findings {
		n.add(&r.Findings[i])
	}
	c.Tunnels = bounded(r.Tunnels, max, func(t Tunnel) bool { return n.tunnels[t.ID] }, &o.Tunnels)
	c.PPTP = bounded(r.PPTP, max, func(s PPTPSession) bool { return n.calls[s.ID] }, &o.PPTPSessions)
	c.ESPGroups = bounded(r.ESPGroups, max, func(g ESPGroup) bool { return n.groups[g.ID] }, &o.ESPGroups)
	if slices.ContainsFunc(c.ESPGroups, func(g ESPGroup) bool { return len(g.ESPSAs) > max || len(g.SPIs) > max }) {
		c.ESPGroups = slices.Clone(c.ESPGroups)
		for i := range c.ESPGroups {
			g := &c.ESPGroups[i]
			g.ESPSAs = bounded(g.ESPSAs, max, nil, &o.ESPSAs)
			g.SPIs = bounded(g.SPIs, max, nil, &o.SPIs)
		}
	}
	o.Mappings = mappings - len(c.Mappings)
	c.Flows = bounded(r.Flows, max, nil, &o.Flows)
	if !o.any() {
		return &c
	}
	c.Omitted = o
	return &c
}

// listed returns the check as its JSON lists it (see Report.listed).
func (ch *Check) listed() *Check {
	if ch.maxListed <= 0 {
		return ch
	}
	max := ch.maxListed
	o := &Omitted{MaxListed: max}
	n := newNamed()
	for i := range ch.Findings {
		n.add(&ch.Findings[i].Finding)
	}
	c := *ch
	c.Tunnels = bounded(ch.Tunnels, max, func(t CheckTunnel) bool { return n.tunnels[t.ID] }, &o.Tunnels)
	c.Others = bounded(ch.Others, max, func(v CheckVerdict) bool {
		return v.Kind == "pptp" && n.calls[v.ID] || v.Kind == "esp" && n.groups[v.ID]
	}, &o.OtherVerdicts)
	if !o.any() {
		return ch
	}
	c.Omitted = o
	return &c
}

// jsonNote says what the JSON report lists of the subjects a text list
// left out: every one, unless its own lists were bounded too.
func (r *Report) jsonNote() string { return listedNote(r.maxListed, r.jsonOmits) }

// jsonNote is Report.jsonNote for the JSON report of a check: its detail's
// when it has one, as analyze writes it.
func (ch *Check) jsonNote() string {
	if ch.Detail != nil {
		return ch.Detail.jsonNote()
	}
	return listedNote(ch.maxListed, ch.jsonOmits)
}

func listedNote(maxListed int, omits bool) string {
	if !omits {
		return "the JSON report lists every one"
	}
	return "the JSON report lists " + words.Thousands(maxListed) + " of each kind, and every one with --max-listed 0"
}
