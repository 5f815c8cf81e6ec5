package report

import (
	"net/netip"
	"slices"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// Options say what a check holds beyond its verdicts and findings.
type Options struct {
	// Detail keeps the whole report of the captures (Check.Detail): what
	// analyze shows, and what the Markdown and HTML reports show of each
	// check.
	Detail bool
	// Flows lists every flow in the detail (the flows command).
	Flows bool
	// Facts says the captures were not judged: no rule ran and no verdict
	// was decided (the flows command).
	Facts bool
	// Only limits the report to one tunnel, PPTP call or ESP group.
	Only Subject
	// Ladders are the ladder diagrams drawn of the tunnels, calls and ESP
	// groups.
	Ladders []*ladder.Ladder
}

// Subject names one tunnel, PPTP call or ESP group of a report; its Kind
// is one of ladder's (ladder.SubjectTunnel, SubjectCall, SubjectGroup).
type Subject struct {
	Kind string
	ID   int
}

// IsZero reports whether no subject is named.
func (s Subject) IsZero() bool { return s.ID == 0 }

// about reports whether a finding or verdict about a tunnel, call or group
// concerns the subject (always, when none is named).
func (s Subject) about(tunnel, call, group int) bool {
	switch {
	case s.IsZero():
		return true
	case s.Kind == ladder.SubjectCall:
		return call == s.ID
	case s.Kind == ladder.SubjectGroup:
		return group == s.ID
	}
	return tunnel == s.ID
}

// Exists reports whether the context has the subject.
func (s Subject) Exists(c *rules.Context) bool {
	switch s.Kind {
	case ladder.SubjectCall:
		return s.ID >= 1 && s.ID <= len(c.Sessions)
	case ladder.SubjectGroup:
		return s.ID >= 1 && s.ID <= len(c.Groups)
	}
	return s.ID >= 1 && s.ID <= len(c.Tunnels)
}

// only keeps the findings and verdicts about the subject.
func (s Subject) only(findings []rules.Finding, verdicts []rules.Verdict) ([]rules.Finding, []rules.Verdict) {
	if s.IsZero() {
		return findings, verdicts
	}
	var fs []rules.Finding
	for _, f := range findings {
		if s.about(f.Tunnel, f.Session, f.Group) {
			fs = append(fs, f)
		}
	}
	var vs []rules.Verdict
	for _, v := range verdicts {
		if s.about(v.Tunnel, v.Session, v.Group) {
			vs = append(vs, v)
		}
	}
	return fs, vs
}

// Build assembles the report of a rules context: its captures, tunnels,
// PPTP calls, ESP groups and NAT mappings, with the findings and verdicts
// given (none for the flows command).
func Build(c *rules.Context, findings []rules.Finding, verdicts []rules.Verdict, opts Options) *Report {
	findings, verdicts = opts.Only.only(findings, verdicts)
	r := &Report{Schema: Schema, Tunnels: []Tunnel{}, PPTP: []PPTPSession{}, ESPGroups: []ESPGroup{},
		Findings: findings, Ladders: opts.Ladders}
	if r.Findings == nil {
		r.Findings = []rules.Finding{}
	}
	if opts.Only.IsZero() {
		r.subjects = [3]int{len(c.Tunnels), len(c.Sessions), len(c.Groups)}
		for _, v := range verdicts {
			switch v.Outcome {
			case rules.OutcomeFails:
				r.failing++
			case rules.OutcomeUnknown:
				r.undecided++
			}
		}
	}
	for i, a := range c.Captures {
		r.Captures = append(r.Captures, newCapture(a, roleName(c, flows.Side(i))))
	}
	byTunnel, byCall, byGroup := map[int]*rules.Verdict{}, map[int]*rules.Verdict{}, map[int]*rules.Verdict{}
	for i := range verdicts {
		v := &verdicts[i]
		switch {
		case v.Tunnel != 0:
			byTunnel[v.Tunnel] = v
		case v.Session != 0:
			byCall[v.Session] = v
		case v.Group != 0:
			byGroup[v.Group] = v
		}
	}
	only := opts.Only
	for _, v := range c.Tunnels {
		if only.about(v.ID, 0, 0) {
			r.Tunnels = append(r.Tunnels, newTunnel(c, v, byTunnel[v.ID]))
		}
	}
	for _, v := range c.Sessions {
		if only.about(0, v.ID, 0) {
			r.PPTP = append(r.PPTP, newPPTPSession(c, v, byCall[v.ID]))
		}
	}
	for _, g := range c.Groups {
		if only.about(0, 0, g.ID) {
			r.ESPGroups = append(r.ESPGroups, newESPGroup(c, g, byGroup[g.ID]))
		}
	}
	if cor := c.Correlation; cor != nil {
		r.Correlation = newCorrelation(cor)
		ends := subjectEndpoints(c, only)
		for _, m := range cor.Mappings {
			if ends == nil || ends.uses(m) {
				r.natMappings = append(r.natMappings, m)
			}
		}
	}
	if opts.Flows {
		for i, a := range c.Captures {
			role := roleName(c, flows.Side(i))
			for _, f := range a.Flows {
				r.Flows = append(r.Flows, newFlow(c, flows.Side(i), role, f))
			}
		}
	}
	return r
}

// subjectEnds are the inside endpoints of a subject, to tell its NAT
// mappings from the others'.
type subjectEnds struct {
	ports []netip.AddrPort
	addrs []netip.Addr // for mappings of protocols without ports
}

// subjectEndpoints returns the inside endpoints of the subject named, or
// nil when none is.
func subjectEndpoints(c *rules.Context, s Subject) *subjectEnds {
	if s.IsZero() || !s.Exists(c) {
		return nil
	}
	e := &subjectEnds{}
	add := func(ap netip.AddrPort) {
		if ap.IsValid() && !slices.Contains(e.ports, ap) {
			e.ports = append(e.ports, ap)
			e.addrs = append(e.addrs, ap.Addr())
		}
	}
	switch s.Kind {
	case ladder.SubjectCall:
		if v := c.Sessions[s.ID-1].Sides[flows.SideInside]; v != nil {
			add(v.Client)
			add(v.Server)
		}
	case ladder.SubjectGroup:
		g := c.Groups[s.ID-1]
		add(netip.AddrPortFrom(g.Host[flows.SideInside], 0))
	default:
		if t := c.Tunnels[s.ID-1].Sides[flows.SideInside]; t != nil {
			for _, ap := range []netip.AddrPort{t.InitiatorFirst, t.Initiator, t.ResponderFirst, t.Responder} {
				add(ap)
			}
			for _, ch := range t.EndpointChanges {
				add(ch.From)
				add(ch.To)
			}
		}
	}
	return e
}

// uses reports whether a NAT mapping is one of the subject's: its inside
// endpoint is the subject's, or for ESP, AH and GRE its inside address.
func (e *subjectEnds) uses(m *flows.Mapping) bool {
	if m.Protocol == flows.ProtoTCP || m.Protocol == flows.ProtoUDP {
		return slices.Contains(e.ports, m.Inside)
	}
	return slices.Contains(e.addrs, m.Inside.Addr())
}
