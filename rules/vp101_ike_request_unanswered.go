package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// ikeRequestUnanswered detects an IKE exchange left unanswered: its latest
// message was retransmitted at least Thresholds.MinRetransmissions times and
// the other peer never sent anything of the exchange again. The message
// gives the retransmission back-off; with two captures it says whether the
// message crossed the device between the captures (and the answer never
// came) or never left.
//
// IKE is request/response over UDP: the requester retransmits until it
// gets the response or gives up (RFC 7296 §2.1, §2.4; IKEv1 alike), so a
// request resent several times with growing intervals is a negotiation
// that cannot make progress, whether the request or the response is lost.
//
// Fix it where the second capture points: when the requests do not appear
// outside, the NAT or firewall between the captures drops them; when they
// do and no response comes back, the peer does not answer (not configured
// for this client, or a firewall in front of it drops the port); when the
// response appears outside but not inside, the NAT does not forward it.
//
// A capture that ends right after the last retransmission may miss a late
// answer (confidence medium); a capture that shows only one direction of
// every conversation (one-way mirror port) cannot tell a lost request from
// an unseen response (confidence low).
type ikeRequestUnanswered struct{}

func (ikeRequestUnanswered) Meta() Meta {
	return Meta{
		ID:         "VP101",
		Slug:       "ike-request-unanswered",
		Symptom:    true,
		Title:      "IKE request retransmitted without response",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "retransmission intervals, and how long the capture went on after the last one",
		Untimed:    "recognising retransmissions by identical content and message ID, in file order",
		Explanation: "An IKE peer sent the same message again and again and never got an answer. IKE runs over UDP, " +
			"so the sender retransmits a request until the response arrives, usually doubling the wait each time, " +
			"and gives up after a few tries: the tunnel cannot come up (or, for a DPD or rekey exchange, is torn down). " +
			"Either the request is lost on the way to the peer, the peer ignores it, or the response is lost on the way back.",
		Remedy: "Find where the packets stop. With captures on both sides of the NAT, the finding says whether the requests " +
			"crossed it. If they did not, allow UDP 500 and 4500 outbound (and the replies) on the NAT/firewall. If they " +
			"crossed and no response came, check the peer: that it listens on the address and port the requests go to, " +
			"that a firewall in front of it allows UDP 500/4500 from this source, and its log for why it stays silent " +
			"(no matching connection, unknown peer). If the response was seen outside but not inside, the NAT does not " +
			"deliver it: check its UDP mapping for the client.",
		References: []string{
			"RFC 7296 §2.1 (use of retransmission timers)",
			"RFC 7296 §2.4 (state synchronisation and connection timeouts)",
		},
		Catalogue: []string{"NT03", "NT04"},
	}
}

func (r ikeRequestUnanswered) Check(c *Context, report func(Finding)) {
	minRetx := max(c.Config.Thresholds.MinRetransmissions, 1)
	for _, v := range c.Tunnels {
		t, side := primarySide(v)
		if t == nil {
			continue
		}
		for _, e := range t.Exchanges {
			if t.Version == 1 && e.Complete && e.ResentAfterEnd() >= minRetx {
				report(r.finalLost(c, v, t, side, e))
				continue
			}
			if !exchangeStalled(t, e) || e.Sends.Retransmissions() < minRetx {
				continue
			}
			report(r.finding(c, v, t, side, e))
		}
		// Requests the other capture saw and this one never did: a
		// gateway's liveness checks that never got through the NAT.
		o := v.Sides[otherSideOf(side)]
		if o == nil {
			continue
		}
		for _, e := range o.Exchanges {
			if !exchangeStalled(o, e) || e.Sends.Retransmissions() < minRetx || sameExchange(t, e) != nil {
				continue
			}
			report(r.finding(c, v, o, otherSideOf(side), e))
		}
	}
}

// exchangeStalled reports whether an exchange ended waiting for the other peer: its
// latest message was never followed by one of the other peer. For IKEv2 that
// is a request without response; for IKEv1, whose exchanges alternate over
// several messages, any message of an exchange that did not complete.
func exchangeStalled(t *flows.Tunnel, e *flows.Exchange) bool {
	if e.Sends.N == 0 {
		return false
	}
	if t.Version == 2 {
		return !e.Answered && e.Sends.From == e.From
	}
	// An IKEv1 Informational exchange is one message, never answered.
	return !e.Complete && e.Type != decode.ExchangeTypeInformationalV1
}

func (r ikeRequestUnanswered) finding(c *Context, v *flows.TunnelView, t *flows.Tunnel, side flows.Side, e *flows.Exchange) Finding {
	s := &e.Sends
	var b strings.Builder
	fmt.Fprintf(&b, "the %s %s sent %s", s.From, s.Src, messageLabel(t, e))
	if t.Version == 2 || e.MessageID != 0 {
		fmt.Fprintf(&b, " (message ID %d)", e.MessageID)
	}
	timed := !c.Capture(side).Capture.Stats.Clock.Unusable()
	if timed {
		fmt.Fprintf(&b, " %s over %s to %s", howOften(s.N), fmtDuration(s.Span()), s.Dst)
		if iv := s.Intervals(); len(iv) > 0 {
			fmt.Fprintf(&b, " (intervals %s)", listOf(iv, fmtDuration))
		}
	} else {
		fmt.Fprintf(&b, " %s to %s, identical each time", howOften(s.N), s.Dst)
	}
	fmt.Fprintf(&b, "; the %s never answered", 1-s.From)
	if s.Fragments > 0 {
		fmt.Fprintf(&b, "; the %d-octet message was IP-fragmented into %d", s.Length, s.Fragments)
	}
	conf := High
	evidence := c.Evidence(side, s.FrameList()...)

	more, located := locateUnanswered(c, v, t, side, e, &b)
	evidence = append(evidence, more...)
	if !located {
		conf = unansweredHere(c, t, side, s, timed, &b)
	}
	return Finding{
		Tunnel:     v.ID,
		Confidence: conf,
		Message:    b.String(),
		Evidence:   evidence,
	}
}

// locateUnanswered says, with two captures that both ran while the
// message was resent, where the exchange stopped: the message never crossed
// the device between the captures, crossed with no answer, or the answer
// did not. It returns the other capture's evidence, and false when the
// captures cannot tell.
func locateUnanswered(c *Context, v *flows.TunnelView, t *flows.Tunnel, side flows.Side, e *flows.Exchange, b *strings.Builder) (evidence []Evidence, located bool) {
	s := &e.Sends
	// Seen only outside, a tunnel may not cross the NAT at all (another
	// host on the outside network): only one of the NAT's clients can be
	// missing from the inside capture.
	crosses := side == flows.SideInside || c.Two() && (c.Correlation.NATOutsideAddr(t.InitiatorFirst.Addr()) || c.Correlation.NATOutsideAddr(t.ResponderFirst.Addr()))
	if other := c.Twin(v, side); crosses && c.Two() && c.BothCaptured(side, s.First, s.Last) {
		located = true
		o := otherSideOf(side)
		oe := (*flows.Exchange)(nil)
		if other != nil {
			oe = sameExchange(other, e)
		}
		switch {
		case oe == nil || oe.Messages < e.Messages:
			fmt.Fprintf(b, "; none of the %d appears in the %s capture: the device between the captures dropped them", s.N, o)
		case oe.Messages == e.Messages && oe.Sends.From == s.From:
			fmt.Fprintf(b, "; %d of the %d appear in the %s capture, with no answer there either", oe.Sends.N, s.N, o)
			// The capture that saw the message first is on the sender's
			// side of the NAT.
			first, otherFirst := c.OnInsideClock(side, s.First), c.OnInsideClock(o, oe.Sends.First)
			if (side == flows.SideInside) == !first.After(otherFirst) {
				b.WriteString(": they crossed the NAT outbound, and the peer did not answer or something beyond the outside capture point lost the exchange")
			} else {
				b.WriteString(": the NAT delivered them and the inside host did not answer")
			}
			evidence = append(evidence, c.Evidence(o, oe.Sends.FrameList()...)...)
		case oe.Messages > e.Messages:
			fmt.Fprintf(b, "; the %s capture shows the %s's answer (%s) that never appears in the %s capture: the device between the captures dropped it",
				o, 1-s.From, messageLabel(other, oe), side)
			evidence = append(evidence, c.Evidence(o, oe.Sends.FrameList()...)...)
		default:
			located = false
		}
	}
	return evidence, located
}

// unansweredHere weighs what one capture alone shows of an unanswered
// message, and returns the confidence: lower when the capture ends too soon
// after the last send for a late answer, or when it sees one direction only.
func unansweredHere(c *Context, t *flows.Tunnel, side flows.Side, s *flows.Sends, timed bool, b *strings.Builder) Confidence {
	conf := High
	end := c.Capture(side).Capture.Last
	wait := 2 * time.Second
	if iv := s.Intervals(); len(iv) > 0 {
		wait = max(wait, iv[len(iv)-1])
	}
	if timed && end.Sub(s.Last) < wait {
		conf = Medium
		fmt.Fprintf(b, "; the capture ends %s after the last one, so a late answer may be missing", fmtDuration(end.Sub(s.Last)))
	}
	switch both, n := espBothWays(t); {
	case both && tunnelIKEOneWay(t):
		conf = Low
		fmt.Fprintf(b, "; yet %d ESP packets of the tunnel flow both ways, so the IKE answers exist and the capture missed them", n)
	case looksOneSided(c.Capture(side)):
		conf = Low
		b.WriteString("; the capture shows no conversation in both directions, so it may see one direction only")
	}
	return conf
}

// finalLost reports a complete IKEv1 exchange whose final message did not
// settle it: the other peer sent its earlier message again after the final
// one was sent (Quick Mode: the responder resends QM2 after the
// initiator's QM3), as a peer does while it waits for an answer it never
// gets (RFC 2408 §5.1, RFC 2409 §5.5). The final message, sent in
// response each time, did not reach that peer or was not accepted by it.
func (ikeRequestUnanswered) finalLost(c *Context, v *flows.TunnelView, t *flows.Tunnel, side flows.Side, e *flows.Exchange) Finding {
	final := &e.Sends
	waiting := 1 - e.FinalFrom()
	repeated := e.Messages - 1
	label := func(n int) string { return ikev1MessageLabel(t, e, n) }
	var b strings.Builder
	fmt.Fprintf(&b, "the %s %s sent %s", waiting, final.Dst, label(repeated))
	if e.MessageID != 0 {
		fmt.Fprintf(&b, " (message ID %#08x)", e.MessageID)
	}
	fmt.Fprintf(&b, " again %s after the %s had sent the final %s (%s), identical each time; the %s sent %s %s in all (%s): "+
		"the final message did not reach the %s, or the %s did not accept it, so the %s still waits for it",
		howOften(e.ResentAfterEnd()), e.FinalFrom(), label(e.Messages), frameList(e.ResentAfterEndFrames.List()),
		e.FinalFrom(), label(e.Messages), howOften(final.N), frameList(final.FrameList()), waiting, waiting, waiting)
	if e.Type == decode.ExchangeTypeQuick {
		fmt.Fprintf(&b, " and has not installed the SAs")
	}
	frames := append(e.ResentAfterEndFrames.List(), final.FrameList()...)
	return Finding{Tunnel: v.ID, Confidence: High, Message: b.String(), Evidence: c.Evidence(side, frames...)}
}

// sameExchange returns the exchange of t with the same message ID, requester
// and type as e, or nil.
func sameExchange(t *flows.Tunnel, e *flows.Exchange) *flows.Exchange {
	if t == nil {
		return nil
	}
	for _, x := range t.Exchanges {
		if x.MessageID == e.MessageID && x.From == e.From && x.Type == e.Type {
			return x
		}
	}
	return nil
}
