package flows

import "net/netip"

// SessionView is one PPTP call as the report shows it: the same call seen
// in each capture. Sides is indexed by Side.
type SessionView struct {
	ID    int
	Sides [2]*PPTPSession
}

// Any returns the session as seen inside if there, else outside.
func (v *SessionView) Any() *PPTPSession {
	if v.Sides[0] != nil {
		return v.Sides[0]
	}
	return v.Sides[1]
}

// joinSessions lists the PPTP calls of the captures, joining a call seen
// in both: same server, and the inside client's control connection
// translated to the outside one (or, without a mapping, the same client
// call ID starting within the matching window).
func joinSessions(j *Joined) []*SessionView {
	var views []*SessionView
	if !j.Two() {
		for _, s := range j.Captures[0].Sessions {
			views = append(views, &SessionView{ID: len(views) + 1, Sides: [2]*PPTPSession{s, nil}})
		}
		return views
	}
	cor := j.Correlation
	// The outside calls by server address: a call is looked for among
	// those to its own server only.
	byServer := map[netip.Addr][]*PPTPSession{}
	for _, out := range cor.Outside.Sessions {
		byServer[out.Server.Addr()] = append(byServer[out.Server.Addr()], out)
	}
	used := map[*PPTPSession]bool{}
	for _, in := range cor.Inside.Sessions {
		v := &SessionView{Sides: [2]*PPTPSession{in, nil}}
		var mapped netip.AddrPort
		ms := cor.MappingsOf(ProtoTCP, in.Client)
		if len(ms) > 0 {
			// The last mapping of the endpoint, as a map filled in time
			// order would hold.
			mapped = ms[len(ms)-1].Outside
		}
		for _, out := range byServer[in.Server.Addr()] {
			if used[out] {
				continue
			}
			d := cor.ToInside(out.First).Sub(in.First)
			if len(ms) > 0 && mapped == out.Client || len(ms) == 0 && out.ClientCallID == in.ClientCallID && d < cor.Window && d > -cor.Window {
				v.Sides[1] = out
				used[out] = true
				break
			}
		}
		views = append(views, v)
	}
	for _, out := range cor.Outside.Sessions {
		if !used[out] {
			views = append(views, &SessionView{Sides: [2]*PPTPSession{nil, out}})
		}
	}
	for i, v := range views {
		v.ID = i + 1
	}
	return views
}

// NAT says where a NAT sits for the call: with two captures, whether the
// control connection's endpoints differ between them; with one, a client at
// a private address calling a server at a public one must be behind a NAT.
func (v *SessionView) NAT() NATPosition {
	in, out := v.Sides[0], v.Sides[1]
	if in != nil && out != nil {
		return ntPosition(in.Client != out.Client, in.Server != out.Server)
	}
	s := v.Any()
	if IsPrivate(s.Client.Addr()) && !IsPrivate(s.Server.Addr()) {
		return NATInitiator
	}
	return NATUnknown
}

// CallIDs returns the call's client and server call IDs as one side's
// capture saw them, and whether that capture saw each (the
// Outgoing-Call-Request, the reply).
func (v *SessionView) CallIDs(side Side) (client, server uint16, haveClient, haveServer bool) {
	s := v.Sides[side]
	if s == nil {
		return 0, 0, false, false
	}
	return s.ClientCallID, s.ServerCallID, s.CallRequested, s.CallReplied
}

// Translated reports whether the NAT changed the client's and the server's
// call ID between the captures: known only when both captures saw the
// message that carries it.
func (v *SessionView) Translated() (client, server bool) {
	in, out := v.Sides[SideInside], v.Sides[SideOutside]
	if in == nil || out == nil {
		return false, false
	}
	client = in.CallRequested && out.CallRequested && in.ClientCallID != out.ClientCallID
	server = in.CallReplied && out.CallReplied && in.ServerCallID != out.ServerCallID
	return client, server
}
