package rules

import (
	"fmt"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/flows"
)

// SessionView is one PPTP call as the report shows it: the same call seen
// in each capture. Sides is indexed by flows.Side.
type SessionView struct {
	ID    int
	Sides [2]*flows.PPTPSession
}

// Any returns the session as seen inside if there, else outside.
func (v *SessionView) Any() *flows.PPTPSession {
	if v.Sides[0] != nil {
		return v.Sides[0]
	}
	return v.Sides[1]
}

// joinSessions lists the PPTP calls of the context, joining a call seen in
// both captures: same server, and the inside client's control connection
// translated to the outside one (or, without a mapping, the same client
// call ID starting within the matching window).
func joinSessions(c *Context) []*SessionView {
	var views []*SessionView
	if !c.Two() {
		for _, s := range c.Captures[0].Sessions {
			views = append(views, &SessionView{ID: len(views) + 1, Sides: [2]*flows.PPTPSession{s, nil}})
		}
		return views
	}
	cor := c.Correlation
	outside := map[netip.AddrPort]netip.AddrPort{}
	for _, m := range cor.Mappings {
		if m.Protocol == flows.ProtoTCP {
			outside[m.Inside] = m.Outside
		}
	}
	used := map[*flows.PPTPSession]bool{}
	for _, in := range cor.Inside.Sessions {
		v := &SessionView{Sides: [2]*flows.PPTPSession{in, nil}}
		for _, out := range cor.Outside.Sessions {
			if used[out] || out.Server.Addr() != in.Server.Addr() && out.Server != in.Server {
				continue
			}
			mapped, ok := outside[in.Client]
			d := cor.ToInside(out.First).Sub(in.First)
			if ok && mapped == out.Client || !ok && out.ClientCallID == in.ClientCallID && d < flows.DefaultWindow && d > -flows.DefaultWindow {
				v.Sides[1] = out
				used[out] = true
				break
			}
		}
		views = append(views, v)
	}
	for _, out := range cor.Outside.Sessions {
		if !used[out] {
			views = append(views, &SessionView{Sides: [2]*flows.PPTPSession{nil, out}})
		}
	}
	for i, v := range views {
		v.ID = i + 1
	}
	return views
}

// sessionID returns the report's ID of the PPTP call that one side's
// capture saw as s, or 0.
func (c *Context) sessionID(side flows.Side, s *flows.PPTPSession) int {
	for _, v := range c.Sessions {
		if v.Sides[side] == s {
			return v.ID
		}
	}
	return 0
}

// NAT says where a NAT sits for the call: with two captures, whether the
// control connection's endpoints differ between them; with one, a client at
// a private address calling a server at a public one must be behind a NAT.
func (v *SessionView) NAT() flows.NATPosition {
	in, out := v.Sides[0], v.Sides[1]
	if in != nil && out != nil {
		ini := in.Client != out.Client
		resp := in.Server != out.Server
		switch {
		case ini && resp:
			return flows.NATBoth
		case ini:
			return flows.NATInitiator
		case resp:
			return flows.NATResponder
		}
		return flows.NATNone
	}
	s := v.Any()
	if ntPrivate(s.Client.Addr()) && !ntPrivate(s.Server.Addr()) {
		return flows.NATInitiator
	}
	return flows.NATUnknown
}

// clientSide returns the session as the client's side of the NAT saw it:
// inside when there, else the only capture.
func (v *SessionView) clientSide() *flows.PPTPSession { return v.Any() }

// sessionVerdict decides a PPTP call's verdict.
func sessionVerdict(v *SessionView) Verdict {
	s := v.clientSide()
	vd := Verdict{Session: v.ID, NAT: v.NAT(), Encapsulation: flows.EncapGRE, Works: true}
	switch {
	case !s.ControlEstablished:
		vd.Works, vd.Failure = false, "the control connection was not established (Start-Control-Connection-Reply missing or refused)"
	case !s.CallReplied:
		vd.Works, vd.Failure = false, "the call was not answered (no Outgoing-Call-Reply)"
	case s.CallResult != 1:
		vd.Works, vd.Failure = false, fmt.Sprintf("the server refused the call (Outgoing-Call-Reply result %d)", s.CallResult)
	case s.GREIn == 0 && s.GREOut > 0:
		vd.Works, vd.Failure = false, fmt.Sprintf("the client sent %d GRE packets and received none", s.GREOut)
	case s.GREOut == 0 && s.GREIn > 0:
		vd.Works, vd.Failure = false, fmt.Sprintf("the client received %d GRE packets and sent none", s.GREIn)
	}
	natPresent := vd.NAT == flows.NATInitiator || vd.NAT == flows.NATResponder || vd.NAT == flows.NATBoth
	switch {
	case natPresent:
		vd.DependsOnPassthrough = DependsYes
		vd.Reason = "its data travels in enhanced GRE, which has no ports: a NAT forwards it only with a PPTP passthrough helper that ties the GRE call IDs to the control connection"
	case vd.NAT == flows.NATNone:
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = "no NAT sits between client and server"
	default:
		vd.DependsOnPassthrough = DependsUnknown
		vd.Reason = "the capture does not show whether a NAT is in the path"
	}
	summary := fmt.Sprintf("PPTP call %d (%s to %s) sends its data in GRE: %d packets out, %d in.", v.ID, s.Client.Addr(), s.Server.Addr(), s.GREOut, s.GREIn)
	switch vd.DependsOnPassthrough {
	case DependsYes:
		summary += " It depends on PPTP passthrough: " + vd.Reason + "."
	case DependsNo:
		summary += " It does not depend on PPTP passthrough: " + vd.Reason + "."
	default:
		summary += " Whether it depends on PPTP passthrough cannot be told: " + vd.Reason + "."
	}
	if !vd.Works {
		summary += " It fails: " + vd.Failure + "."
	}
	vd.Summary = summary
	return vd
}

// SessionVerdicts decides each PPTP call's verdict.
func SessionVerdicts(c *Context) []Verdict {
	out := make([]Verdict, 0, len(c.Sessions))
	for _, v := range c.Sessions {
		out = append(out, sessionVerdict(v))
	}
	return out
}
