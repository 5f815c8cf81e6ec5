package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// ikeSAInitRetry reports an IKE_SA_INIT the responder sent back for a
// retry: with INVALID_KE_PAYLOAD, asking for another Diffie-Hellman group
// (RFC 7296 §1.2), or with a COOKIE, asking the initiator to prove its
// address before it commits state (RFC 7296 §2.6).
//
// Both are part of a normal negotiation and cost one round trip; they do
// not break the tunnel. INVALID_KE_PAYLOAD on every connection means the
// initiator guesses a group the responder does not prefer; a COOKIE means
// the responder considers itself under load (or is configured to always
// ask). The finding is context for timing and for a stalled negotiation
// that follows.
//
// To save the round trip, configure the initiator's first DH group to be
// the one the responder prefers (strongSwan: the first group of
// proposals=; libreswan: ike=). Cookies need no action unless the
// responder is unexpectedly under load.
//
// When the initiator never retries, the group is not one it can offer:
// the negotiation ends there (confidence medium, as the capture may have
// stopped before the retry).
type ikeSAInitRetry struct{}

func (ikeSAInitRetry) Meta() Meta {
	return Meta{
		ID:         "VP103",
		Slug:       "ike-sa-init-retry",
		Title:      "IKE_SA_INIT answered with a request to retry",
		Severity:   Info,
		Confidence: High,
		TimeUse:    "whether the retry followed the request within seconds",
		Explanation: "The responder answered the first IKE_SA_INIT not with its own proposal but with a request to try again: " +
			"INVALID_KE_PAYLOAD when the initiator guessed a Diffie-Hellman group the responder does not accept (the notify " +
			"names the group it wants), or COOKIE when the responder wants the initiator to prove its address before it keeps " +
			"any state (a defence against floods of IKE_SA_INIT). The initiator then sends IKE_SA_INIT again. This is normal " +
			"and costs one round trip; it only matters if the retry never comes.",
		Remedy: "Nothing is broken. To save the round trip, make the initiator's first DH group the one the responder prefers " +
			"(strongSwan: put that group first in proposals=; libreswan: ike=; Windows: Set-VpnConnectionIPsecConfiguration " +
			"-DHGroup). If the initiator never retries, give both peers a group in common. Cookies on every connection mean " +
			"the responder believes it is under load: check its half-open IKE SA count and its cookie threshold " +
			"(strongSwan charon.cookie_threshold).",
		References: []string{
			"RFC 7296 §1.2 (INVALID_KE_PAYLOAD and the retry with another group)",
			"RFC 7296 §2.6 (IKE SA SPIs and cookies)",
		},
	}
}

// vp103Group gathers the retries one responder asked for with one notify
// type: a responder that answers every connection with a COOKIE gives one
// finding, not one per IKE SA.
type vp103Group struct {
	side      flows.Side
	responder string
	typ       decode.NotifyType
	name      string
	view      int // the first tunnel's
	frames    []int
	sas       int
	retried   int
}

func (r ikeSAInitRetry) Check(c *Context, report func(Finding)) {
	type key struct {
		side      flows.Side
		responder string
		typ       decode.NotifyType
	}
	groups := map[key]*vp103Group{}
	var order []*vp103Group
	for _, v := range c.Tunnels {
		t, side := primarySide(v)
		if t == nil || t.Version != 2 {
			continue
		}
		counted := map[decode.NotifyType]bool{}
		for _, n := range append(append([]flows.NotifySeen(nil), t.ErrorNotifies...), t.StatusNotifies...) {
			if n.From != flows.RoleResponder || n.Type != decode.NotifyTypeInvalidKEPayload && n.Type != decode.NotifyTypeCookie {
				continue
			}
			k := key{side, t.ResponderFirst.Addr().String(), n.Type}
			g := groups[k]
			if g == nil {
				g = &vp103Group{side: side, responder: k.responder, typ: n.Type, name: n.Name, view: v.ID}
				groups[k] = g
				order = append(order, g)
			}
			if counted[n.Type] {
				continue
			}
			counted[n.Type] = true
			g.sas++
			if len(g.frames) < 8 {
				g.frames = append(g.frames, n.Frame)
			}
			if retry, frame := r.retry(c, side, t, n); retry != nil {
				g.retried++
				if len(g.frames) < 8 {
					g.frames = append(g.frames, frame)
				}
			}
		}
	}
	for _, g := range order {
		why := "it wants another Diffie-Hellman group"
		if g.typ == decode.NotifyTypeCookie {
			why = "it asks the initiator to return a cookie before it keeps state"
		}
		var msg string
		conf := High
		if g.sas == 1 {
			msg = fmt.Sprintf("the responder %s answered IKE_SA_INIT with %s (%d) at frame %d: %s", g.responder, g.name, g.typ, g.frames[0], why)
			if g.retried == 1 {
				msg += fmt.Sprintf("; the initiator retried at frame %d, one round trip later", g.frames[1])
			} else {
				msg += "; the initiator did not retry in the capture"
				conf = Medium
			}
		} else {
			msg = fmt.Sprintf("the responder %s answered IKE_SA_INIT with %s (%d) in %s (the first at frame %d): %s; the initiators retried in %d of them, one round trip later",
				g.responder, g.name, g.typ, words.Count(g.sas, "IKE SA"), g.frames[0], why, g.retried)
			if g.retried < g.sas {
				conf = Medium
			}
		}
		report(Finding{Tunnel: g.view, Confidence: conf, Message: msg, Evidence: c.Evidence(g.side, g.frames...)})
	}
}

// retry finds the initiator's new IKE_SA_INIT after the notify: in the same
// IKE SA (same SPIi, RFC 7296 §2.6 for cookies) or in a new one from the
// same initiator to the same responder.
func (ikeSAInitRetry) retry(c *Context, side flows.Side, t *flows.Tunnel, n flows.NotifySeen) (*flows.Tunnel, int) {
	var at time.Time
	for _, e := range t.Exchanges {
		if e.Type == decode.ExchangeTypeIKESAInit && slices.Contains(e.ResponseFrames.List(), n.Frame) {
			at = e.Last
		}
	}
	if at.IsZero() {
		return nil, 0
	}
	// Time, not frame order, says what came after: merged captures list
	// packets out of order.
	for _, e := range t.Exchanges {
		if e.Type == decode.ExchangeTypeIKESAInit && e.From == flows.RoleInitiator && e.First.After(at) {
			return t, e.RequestFrames.First()
		}
	}
	a := c.Capture(side)
	if t.RetriedAs > 0 && t.RetriedAs <= len(a.Tunnels) && t.RetryRefusal == n.Type {
		u := a.Tunnels[t.RetriedAs-1]
		return u, firstInitFrame(u)
	}
	return nil, 0
}

// firstInitFrame returns the frame of a tunnel's first IKE_SA_INIT
// request.
func firstInitFrame(t *flows.Tunnel) int {
	frame := 0
	var first time.Time
	for _, e := range t.Exchanges {
		if e.Type == decode.ExchangeTypeIKESAInit && e.From == flows.RoleInitiator && (first.IsZero() || e.First.Before(first)) {
			first, frame = e.First, e.RequestFrames.First()
		}
	}
	return frame
}
