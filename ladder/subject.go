package ladder

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// Subject is what one ladder shows: a tunnel, a PPTP call or a group of
// ESP SAs without a tunnel, as the rules context joined it across the
// captures. Exactly one field is set.
type Subject struct {
	Tunnel *flows.TunnelView
	Call   *flows.SessionView
	Group  *flows.ESPGroup
}

// Kinds of subjects, as reports name them.
const (
	SubjectTunnel = "tunnel"
	SubjectCall   = "pptp"
	SubjectGroup  = "esp"
)

// Kind returns "tunnel", "pptp" or "esp".
func (s Subject) Kind() string {
	switch {
	case s.Call != nil:
		return SubjectCall
	case s.Group != nil:
		return SubjectGroup
	}
	return SubjectTunnel
}

// ID returns the subject's number in the report.
func (s Subject) ID() int {
	switch {
	case s.Tunnel != nil:
		return s.Tunnel.ID
	case s.Call != nil:
		return s.Call.ID
	case s.Group != nil:
		return s.Group.ID
	}
	return 0
}

// Name names the subject as the report does: "tunnel 1", "PPTP call 2",
// "ESP group 3".
func (s Subject) Name() string {
	id := strconv.Itoa(s.ID())
	switch s.Kind() {
	case SubjectCall:
		return "PPTP call " + id
	case SubjectGroup:
		return "ESP group " + id
	}
	return "tunnel " + id
}

// Subjects lists every subject of a context in report order: tunnels,
// PPTP calls, then ESP groups.
func Subjects(c *rules.Context) []Subject {
	out := make([]Subject, 0, len(c.Tunnels)+len(c.Sessions)+len(c.Groups))
	for _, v := range c.Tunnels {
		out = append(out, Subject{Tunnel: v})
	}
	for _, v := range c.Sessions {
		out = append(out, Subject{Call: v})
	}
	for _, g := range c.Groups {
		out = append(out, Subject{Group: g})
	}
	return out
}

// tunnels returns the tunnels of one capture a view stands for: its own,
// and on the outside the further tunnels that are the same IKE SA under
// SPIs an ALG rewrote (flows.TunnelView.Also), so that the rewritten
// messages pair with their inside sightings as modified, not lost.
func tunnels(v *flows.TunnelView, side flows.Side) []*flows.Tunnel {
	var out []*flows.Tunnel
	if t := v.Sides[side]; t != nil {
		out = append(out, t)
	}
	if side == flows.SideOutside {
		out = append(out, v.Also...)
	}
	return out
}

// index files the packets of one capture under the subjects they belong
// to, the way the analysis filed them: IKE by its tunnel, ESP and AH by
// their SA, an ICMP error by what it quotes, keepalives by their flow, IP
// fragments by the pair of addresses they travel between, a PPTP call's
// control messages by its connection and its GRE by the call IDs keying
// it.
type index struct {
	a      *flows.Analysis
	tunnel map[*flows.Tunnel]int // by pointer, to a subject's position
	byID   map[int]int           // a tunnel of this capture by its ID
	sa     map[*flows.ESPSA]int
	call   map[*flows.PPTPSession]int
	// calls lists, by the addresses of client and server (the lower
	// first), the calls between them with their subjects' positions: a
	// PPTP or GRE packet is tested against the calls of its addresses
	// alone, not every call of the capture.
	calls map[[2]netip.Addr][]callSubject
	frag  map[[2]netip.Addr][]int
}

// callSubject is a PPTP call as one capture saw it, and the position of
// its subject.
type callSubject struct {
	sess *flows.PPTPSession
	i    int
}

// addrsKey is the key of an unordered address pair, the lower first.
func addrsKey(a, b netip.Addr) [2]netip.Addr {
	if b.Less(a) {
		a, b = b, a
	}
	return [2]netip.Addr{a, b}
}

// newIndex indexes the subjects' members in one side's capture.
func newIndex(c *rules.Context, side flows.Side, subjects []Subject) *index {
	a := c.Capture(side)
	x := &index{a: a, tunnel: map[*flows.Tunnel]int{}, byID: map[int]int{}, sa: map[*flows.ESPSA]int{},
		call: map[*flows.PPTPSession]int{}, calls: map[[2]netip.Addr][]callSubject{}, frag: map[[2]netip.Addr][]int{}}
	if a == nil {
		return x
	}
	for i, s := range subjects {
		switch {
		case s.Tunnel != nil:
			for _, t := range tunnels(s.Tunnel, side) {
				x.tunnel[t] = i
				x.byID[t.ID] = i
				for _, sa := range t.ESPSAs {
					x.sa[sa] = i
				}
				addrs := tunnelAddrs(t)
				for _, p := range addrs {
					for _, q := range addrs {
						if k := [2]netip.Addr{p, q}; p != q && !slices.Contains(x.frag[k], i) {
							x.frag[k] = append(x.frag[k], i)
						}
					}
				}
			}
		case s.Call != nil:
			if sess := s.Call.Sides[side]; sess != nil {
				x.call[sess] = i
				k := addrsKey(sess.Client.Addr(), sess.Server.Addr())
				x.calls[k] = append(x.calls[k], callSubject{sess, i})
			}
		case s.Group != nil:
			for _, sa := range s.Group.SAs[side] {
				x.sa[sa] = i
			}
		}
	}
	return x
}

// each calls fn with the position of each subject a packet belongs to:
// one as a rule, several for enhanced GRE that fits two calls with the
// same call ID between the same addresses, and for IP fragments between
// peers with several tunnels.
func (x *index) each(p *decode.Packet, fn func(int)) {
	if x.a == nil {
		return
	}
	one := func(i int) {
		if i >= 0 {
			fn(i)
		}
	}
	switch p.Kind {
	case decode.KindIKE:
		one(x.tunnelOf(x.a.TunnelOf(p.IKE)))
	case decode.KindMalformed:
		if p.IKE != nil {
			one(x.tunnelOf(x.a.TunnelOf(p.IKE)))
		}
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP, decode.KindAH:
		if i, ok := x.sa[x.a.SAOf(p)]; ok {
			fn(i)
		}
	case decode.KindIPFragment:
		for _, i := range x.frag[[2]netip.Addr{p.Src, p.Dst}] {
			fn(i)
		}
	case decode.KindICMPError:
		one(x.icmpOf(x.a.ICMPErrorAt(p.Frame)))
	case decode.KindPPTP, decode.KindGRE:
		for _, c := range x.calls[addrsKey(p.Src, p.Dst)] {
			if callMember(c.sess, p) {
				fn(c.i)
			}
		}
	case decode.KindNATKeepalive:
		if f := x.a.FlowOf(p); f != nil && f.Tunnel != 0 {
			if i, ok := x.byID[f.Tunnel]; ok {
				fn(i)
			}
		}
	}
}

func (x *index) tunnelOf(t *flows.Tunnel) int {
	if i, ok := x.tunnel[t]; ok && t != nil {
		return i
	}
	return -1
}

// icmpOf files an ICMP error where what it quotes belongs.
func (x *index) icmpOf(e *flows.ICMPError) int {
	if e == nil {
		return -1
	}
	if i, ok := x.sa[e.SA]; ok && e.SA != nil {
		return i
	}
	if i := x.tunnelOf(e.Tunnel); i >= 0 {
		return i
	}
	if i, ok := x.call[e.Session]; ok && e.Session != nil {
		return i
	}
	return -1
}

// callMember reports whether a packet belongs to a PPTP call as one
// capture saw it: a control message between its client and server, or
// enhanced GRE (RFC 2637 §4.1) carrying the receiver's call ID.
func callMember(c *flows.PPTPSession, p *decode.Packet) bool {
	switch p.Kind {
	case decode.KindPPTP:
		src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
		return src == c.Client && dst == c.Server || src == c.Server && dst == c.Client
	case decode.KindGRE:
		if p.GRE.Version != 1 || !p.GRE.KeyPresent {
			return false
		}
		client, server := c.Client.Addr(), c.Server.Addr()
		switch {
		case p.Src == client && p.Dst == server:
			return c.CallReplied && p.GRE.CallID == c.ServerCallID
		case p.Src == server && p.Dst == client:
			return c.CallRequested && p.GRE.CallID == c.ClientCallID
		}
	}
	return false
}

// tunnelAddrs lists the addresses a tunnel's peers used.
func tunnelAddrs(t *flows.Tunnel) []netip.Addr {
	var out []netip.Addr
	add := func(a netip.Addr) {
		if !a.IsValid() {
			return
		}
		for _, b := range out {
			if b == a {
				return
			}
		}
		out = append(out, a)
	}
	for _, ap := range []netip.AddrPort{t.InitiatorFirst, t.Initiator, t.ResponderFirst, t.Responder} {
		add(ap.Addr())
	}
	for _, c := range t.EndpointChanges {
		add(c.From.Addr())
		add(c.To.Addr())
	}
	return out
}

// Member returns the test of whether a packet of one side's capture
// belongs to the subject, or nil when the subject has nothing there: the
// test the ladder's packets were collected with.
func Member(c *rules.Context, s Subject, side flows.Side) func(*decode.Packet) bool {
	x := newIndex(c, side, []Subject{s})
	if len(x.tunnel)+len(x.sa)+len(x.call) == 0 {
		return nil
	}
	return func(p *decode.Packet) bool {
		in := false
		x.each(p, func(int) { in = true })
		return in
	}
}
