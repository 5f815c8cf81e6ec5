package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// ikeFragmentsDropped detects IKE messages that went out as IP fragments and
// never arrived whole: with two captures, fragmented IKE messages that
// crossed one capture point whole and not the other (where the datagram
// shows up with fragments missing); with one, IKE datagrams that arrived
// with fragments missing, or fragmented IKE requests retransmitted without
// an answer.
//
// IKE_AUTH with certificates (and IKEv1 MM5/MM6) is often longer than the
// path MTU. Without IKE fragmentation (RFC 7383, or the IKEv1 fragmentation
// vendor ID) the IP layer splits it; only the first fragment carries the UDP
// ports, so a NAT or firewall that filters or translates by port — or that
// does not reassemble — drops the rest, and the message never arrives. The
// negotiation then stalls at exactly the first large message.
//
// Enable IKE fragmentation on both peers so that IKE splits its own messages
// into UDP datagrams below the MTU; or let the NAT/firewall pass (or
// reassemble) fragments; or shrink the message (fewer certificates in the
// chain, no CERTREQ for unneeded CAs).
//
// With two captures the loss is located (high confidence); with one, a
// retransmitted fragmented request may also be lost for another reason
// (medium), while a datagram that arrived with fragments missing is direct
// evidence that fragments were dropped before the capture point.
type ikeFragmentsDropped struct{}

func (ikeFragmentsDropped) Meta() Meta {
	return Meta{
		ID:         "VP104",
		Slug:       "ike-fragments-dropped",
		Title:      "IP fragments of IKE messages dropped",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "how long the fragmented message was resent",
		Explanation: "A large IKE message (typically IKE_AUTH or IKEv1 Main Mode 5/6 carrying certificates) was longer than the " +
			"path MTU and was split into IP fragments. Only the first fragment carries the UDP ports; NATs and firewalls that " +
			"track or filter by port often drop the other fragments, so the message never arrives whole, the sender " +
			"retransmits it to no avail, and the tunnel never comes up — while small messages such as IKE_SA_INIT pass fine.",
		Remedy: "Enable IKE fragmentation on both peers so that IKE splits large messages itself into UDP datagrams that fit " +
			"the path (RFC 7383; strongSwan fragmentation=yes with charon.fragment_size, libreswan fragmentation=yes, Cisco IOS " +
			"crypto ikev2 fragmentation). Otherwise make the NAT/firewall between the peers forward (or reassemble) IP " +
			"fragments of UDP 500/4500, or reduce the message size: send fewer intermediate certificates and no certificate " +
			"requests for CAs the peer does not need.",
		References: []string{
			"RFC 7383 §1 (IKEv2 message fragmentation: the problem)",
			"RFC 7383 §2.3 (negotiation with IKEV2_FRAGMENTATION_SUPPORTED)",
			"RFC 791 §2.3 (fragmentation: the transport header travels in the first fragment only)",
		},
		Catalogue: []string{"NT04"},
	}
}

func (r ikeFragmentsDropped) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		if f, ok := r.located(c, v); ok {
			report(f)
			continue
		}
		t, side := primarySide(v)
		if t == nil {
			continue
		}
		f, ok := r.single(c, v, t, side)
		if !ok {
			if o := v.Sides[otherSideOf(side)]; o != nil {
				f, ok = r.single(c, v, o, otherSideOf(side))
			}
		}
		if ok {
			report(f)
		}
	}
}

// located compares the fragmented IKE messages of a tunnel seen whole in
// each capture.
func (r ikeFragmentsDropped) located(c *Context, v *flows.TunnelView) (Finding, bool) {
	in := v.Sides[flows.SideInside]
	if !c.Two() || in == nil {
		return Finding{}, false
	}
	out := c.Twin(v, flows.SideInside)
	if out == nil || !c.BothCaptured(flows.SideInside, in.First, in.Last) {
		return Finding{}, false
	}
	sides := [2]*flows.Tunnel{in, out}
	for _, role := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
		nIn, nOut := in.IKEFragments().ByRole[role], out.IKEFragments().ByRole[role]
		if nIn == nOut {
			continue
		}
		up, down := flows.SideInside, flows.SideOutside
		if nOut > nIn {
			up, down = down, up
		}
		u, d := sides[up].IKEFragments(), sides[down].IKEFragments()
		lost := u.ByRole[role] - d.ByRole[role]
		var b strings.Builder
		fmt.Fprintf(&b, "the %s %s sent %s as IP fragments (%d fragments in all, the largest %d octets); the %s capture has them whole, the %s capture %s",
			role, firstEndpoint(sides[up], role).Addr(), words.Count(u.ByRole[role], exchangeWords(u.TypesByRole[role])+" message"),
			u.FragmentsByRole[role], u.LargestByRole[role], up, down, wholeCount(d.ByRole[role]))
		if n := d.IncompleteByRole[role]; n > 0 {
			fmt.Fprintf(&b, "; there %s arrived with fragments missing (%d of their fragments arrived)", words.Count(n, "datagram"), d.IncompleteFragments)
		}
		if lost == u.ByRole[role] {
			b.WriteString(": the device between the captures dropped fragments of all of them")
		} else {
			fmt.Fprintf(&b, ": the device between the captures dropped fragments of %d of them", lost)
		}
		if fd := c.Correlation.Fragments[up].Dropped; fd > 0 {
			fmt.Fprintf(&b, " (%s seen %s never appear %s)", words.Count(fd, "IP fragment"), up, down)
		}
		// The NAT's own word on the fragments it gave up on (ICMP
		// reassembly time exceeded), in the capture on the sender's side.
		sender := firstEndpoint(sides[up], role).Addr()
		es := c.ICMPErrors(up, func(e *flows.ICMPError) bool { return e.Tunnel == sides[up] && e.Msg.Quote.Src == sender })
		var icmpFrames []int
		if txt, fs := icmpAnswered(c, up, es); txt != "" {
			b.WriteString("; " + txt)
			icmpFrames = fs
		}
		b.WriteString(supportClause(v))
		ev := c.Evidence(up, append(u.FramesByRole[role].List(), icmpFrames...)...)
		ev = append(ev, c.Evidence(down, append(d.IncompleteFirst.List(), d.IncompleteFrames.List()...)...)...)
		return Finding{Tunnel: v.ID, Confidence: High, Message: b.String(), Evidence: ev}, true
	}
	return Finding{}, false
}

// exchangeWords names the exchanges of some messages: "IKE_AUTH", or
// "IKE" when they were of several kinds.
func exchangeWords(types []decode.ExchangeType) string {
	if len(types) == 1 {
		return types[0].String()
	}
	return "IKE"
}

func wholeCount(n int) string {
	if n == 0 {
		return "has none of them"
	}
	return fmt.Sprintf("only %d", n)
}

// single looks at one capture: datagrams that arrived with fragments
// missing, and fragmented requests retransmitted without an answer.
func (ikeFragmentsDropped) single(c *Context, v *flows.TunnelView, t *flows.Tunnel, side flows.Side) (Finding, bool) {
	fr := t.IKEFragments()
	incomplete := fr.Incomplete - fr.IncompleteAtEnd
	var stalled *flows.Exchange
	minRetx := max(c.Config.Thresholds.MinRetransmissions, 1)
	for _, e := range t.Exchanges {
		if e.Sends.Fragments > 0 && exchangeStalled(t, e) && e.Sends.Retransmissions() >= minRetx {
			stalled = e
			break
		}
	}
	if incomplete == 0 && stalled == nil {
		return Finding{}, false
	}
	var b strings.Builder
	var frames []int
	conf := Medium
	if incomplete > 0 {
		from := flows.RoleInitiator
		if fr.IncompleteByRole[flows.RoleResponder] > fr.IncompleteByRole[flows.RoleInitiator] {
			from = flows.RoleResponder
		}
		fmt.Fprintf(&b, "%s from the %s %s arrived at this capture point with fragments missing (%d fragments arrived in all)",
			words.Count(incomplete, "IKE datagram"), from, firstEndpoint(t, from).Addr(), fr.IncompleteFragments)
		frames = append(frames, fr.IncompleteFirst.List()...)
		frames = append(frames, fr.IncompleteFrames.List()...)
		b.WriteString(": fragments were dropped before it")
	}
	if stalled != nil {
		if b.Len() > 0 {
			b.WriteString("; ")
			conf = High
		}
		s := &stalled.Sends
		fmt.Fprintf(&b, "the %s sent %s (%d octets, in %d IP fragments) %s over %s without an answer",
			s.From, messageLabel(t, stalled), s.Length, s.Fragments, howOften(s.N), fmtDuration(s.Span()))
		frames = append(frames, s.FrameList()...)
		if incomplete == 0 && answeredBefore(t, stalled) {
			b.WriteString(", while the smaller messages before it were answered: its fragments were probably dropped on the way")
		}
	}
	b.WriteString(supportClause(v))
	return Finding{Tunnel: v.ID, Confidence: conf, Message: b.String(), Evidence: c.Evidence(side, frames...)}, true
}

// answeredBefore reports whether an exchange before e was answered.
func answeredBefore(t *flows.Tunnel, e *flows.Exchange) bool {
	for _, x := range t.Exchanges {
		if x == e {
			return false
		}
		if x.Answered {
			return true
		}
	}
	return false
}

// fragmentationSupport says whether the capture saw the start of the IKE
// SA, where IKE fragmentation is announced, and which peers announced it
// (IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT, RFC 7383 §2.3; the
// fragmentation vendor ID in IKEv1 Main or Aggressive Mode).
func fragmentationSupport(v *flows.TunnelView) (known bool, ok [2]bool) {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		ok[0] = ok[0] || t.FragmentationOK[0]
		ok[1] = ok[1] || t.FragmentationOK[1]
		if t.Midstream || len(t.Exchanges) == 0 {
			continue
		}
		e := t.Exchanges[0]
		switch {
		case t.Version == 2 && e.Type == decode.ExchangeTypeIKESAInit && e.Answered,
			t.Version == 1 && (e.Type == decode.ExchangeTypeMain || e.Type == decode.ExchangeTypeAggressive) && e.Messages >= 2:
			known = true
		}
	}
	return known, ok
}

// fragmentationName names what announces IKE fragmentation.
func fragmentationName(version uint8) string {
	if version == 1 {
		return "the IKE fragmentation vendor ID"
	}
	return "IKEV2_FRAGMENTATION_SUPPORTED"
}

// supportClause says which peers announced IKE fragmentation.
func supportClause(v *flows.TunnelView) string {
	known, ok := fragmentationSupport(v)
	if !known {
		return ""
	}
	name := fragmentationName(v.Any().Version)
	switch {
	case ok[0] && ok[1]:
		return "; both peers announced " + name + ", yet the message went out in IP fragments: the IKE fragment size is above the path MTU, or fragmentation starts only on retransmission"
	case ok[0]:
		return "; the responder did not announce " + name + ", so IKE cannot fragment its messages itself"
	case ok[1]:
		return "; the initiator did not announce " + name + ", so IKE cannot fragment its messages itself"
	}
	return "; neither peer announced " + name + ", so IKE cannot fragment its messages itself"
}
