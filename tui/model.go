package tui

import (
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// model is the read-only result of the analysis that the views show. It is
// built once, off the UI goroutine, and then only read on it.
type model struct {
	rc       *rules.Context
	findings []rules.Finding
	verdicts map[int]*rules.Verdict // by tunnel view ID
	// sessionVerdicts are the PPTP calls' verdicts, by session view ID.
	sessionVerdicts map[int]*rules.Verdict
	// worst is the most severe finding of each tunnel view (by ID), and
	// counts the findings of each severity; sessionWorst and
	// sessionCounts do the same for the PPTP calls.
	worst         map[int]rules.Severity
	counts        map[int][3]int
	sessionWorst  map[int]rules.Severity
	sessionCounts map[int][3]int
	// rows are the tunnels, PPTP calls and flows, in the default order:
	// each tunnel followed by its flows, each call followed by its flows,
	// then the flows of neither.
	rows []*row
	// sides are the captures, indexed by flows.Side (inside first).
	sides []*side
	// evidence maps each capture's evidence frames to the findings that
	// give them (indexes into findings).
	evidence [2]map[int][]int
}

// side is one capture as the UI uses it: its analysis and how to read it
// again.
type side struct {
	index    flows.Side
	analysis *flows.Analysis
	src      *capture
}

// newModel joins the rules context, findings and verdicts into the model.
func newModel(rc *rules.Context, findings []rules.Finding, verdicts []rules.Verdict, caps []*capture) *model {
	m := &model{
		rc:       rc,
		findings: findings,
		verdicts: make(map[int]*rules.Verdict, len(verdicts)),
		worst:    map[int]rules.Severity{},
		counts:   map[int][3]int{},

		sessionVerdicts: map[int]*rules.Verdict{},
		sessionWorst:    map[int]rules.Severity{},
		sessionCounts:   map[int][3]int{},
	}
	for i := range verdicts {
		if verdicts[i].Session > 0 {
			m.sessionVerdicts[verdicts[i].Session] = &verdicts[i]
			continue
		}
		m.verdicts[verdicts[i].Tunnel] = &verdicts[i]
	}
	for i, f := range findings {
		for _, e := range f.Evidence {
			if e.Side != flows.SideInside && e.Side != flows.SideOutside {
				continue
			}
			if m.evidence[e.Side] == nil {
				m.evidence[e.Side] = map[int][]int{}
			}
			if fs := m.evidence[e.Side][e.Frame]; !slices.Contains(fs, i) {
				m.evidence[e.Side][e.Frame] = append(fs, i)
			}
		}
		switch {
		case f.Tunnel > 0:
			tally(m.worst, m.counts, f.Tunnel, f.Severity)
		case f.Session > 0:
			tally(m.sessionWorst, m.sessionCounts, f.Session, f.Severity)
		}
	}
	for i, a := range rc.Captures {
		var src *capture
		if i < len(caps) {
			src = caps[i]
		}
		m.sides = append(m.sides, &side{index: flows.Side(i), analysis: a, src: src})
	}
	m.buildRows()
	return m
}

// tally counts a finding of severity sev about id and keeps the worst.
func tally(worst map[int]rules.Severity, counts map[int][3]int, id int, sev rules.Severity) {
	c := counts[id]
	if int(sev) < len(c) {
		c[sev]++
	}
	counts[id] = c
	if w, ok := worst[id]; !ok || sev > w {
		worst[id] = sev
	}
}

// worstOf returns the most severe finding of the row's tunnel or PPTP
// call, and whether it has any.
func (m *model) worstOf(r *row) (rules.Severity, bool) {
	switch {
	case r.tunnel != 0:
		w, ok := m.worst[r.tunnel]
		return w, ok
	case r.session != 0:
		w, ok := m.sessionWorst[r.session]
		return w, ok
	}
	return 0, false
}

// evidenceOf returns the findings (indexes into findings) that give a
// packet of a capture as evidence, by its frame or, for a message
// reassembled from several frames, by the frame it began in.
func (m *model) evidenceOf(s flows.Side, p *decode.Packet) []int {
	ev := m.evidence[s]
	if ev == nil {
		return nil
	}
	fs := ev[p.Frame]
	if p.FirstFrame != 0 && p.FirstFrame != p.Frame {
		for _, i := range ev[p.FirstFrame] {
			if !slices.Contains(fs, i) {
				fs = append(slices.Clip(fs), i)
			}
		}
	}
	return fs
}

// two reports whether the model has both captures.
func (m *model) two() bool { return len(m.sides) == 2 }

// sessionByID returns a PPTP call's view, or nil.
func (m *model) sessionByID(id int) *flows.SessionView {
	if id <= 0 || id > len(m.rc.Sessions) {
		return nil
	}
	return m.rc.Sessions[id-1]
}

// viewByID returns a tunnel view, or nil.
func (m *model) viewByID(id int) *flows.TunnelView {
	if id <= 0 || id > len(m.rc.Tunnels) {
		return nil
	}
	return m.rc.Tunnels[id-1]
}

// toInside converts a time of one side to the inside clock, in Unix
// nanoseconds, for sorting rows of both captures together.
func (m *model) toInside(s flows.Side, t time.Time) int64 {
	if s == flows.SideOutside && m.rc.Correlation != nil {
		return m.rc.Correlation.ToInside(t).UnixNano()
	}
	return t.UnixNano()
}
