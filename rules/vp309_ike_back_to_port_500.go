package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// ikeBackToPort500 detects IKE messages of an IKE SA sent over UDP 500
// without the non-ESP marker after the SA had floated to UDP 4500: a rekey,
// a DPD or an INFORMATIONAL exchange on the old port.
//
// Once NAT is detected all later IKE of the SA goes over UDP 4500 (RFC 3947
// §4, RFC 7296 §2.23). A message on 500 takes another NAT mapping — often an
// expired one, or one an IKE ALG rewrites — and some peers ignore IKE for a
// floated SA on 500 (strongSwan issue #447), so rekeys and liveness checks
// fail while ESP still flows.
//
// Update the peer that goes back to port 500; on the NAT, allow and do not
// rewrite UDP 4500, and turn off IKE ALGs on 500.
//
// Retransmissions of messages sent before the float are left out. A
// warning: many peers do answer on 500.
type ikeBackToPort500 struct{}

func (ikeBackToPort500) Meta() Meta {
	return Meta{
		ID:         "VP309",
		Slug:       "ike-back-to-port-500",
		Title:      "IKE returns to UDP 500 after the float to 4500",
		Severity:   Warning,
		Confidence: High,
		TimeUse:    "the order of port 500 and 4500 messages",
		OrderOnly:  true,
		Explanation: "After NAT detection the peers moved this IKE SA to UDP port 4500, yet later IKE messages (rekeys, dead peer " +
			"detection, INFORMATIONAL exchanges) went over UDP port 500 again. On port 500 they take a different NAT mapping, " +
			"which may have expired or be handled by an IKE ALG, and some peers ignore IKE of a floated SA on port 500, so rekeys " +
			"and liveness checks can fail while ESP still flows.",
		Remedy: "Update the peer that sends IKE on port 500 after the float so that it keeps the SA on port 4500 (RFC 3947 §4, " +
			"RFC 7296 §2.23). On the NAT, keep UDP 4500 open and turn off any IKE/IPsec ALG that rewrites UDP 500.",
		References: []string{"RFC 3947 §4", "RFC 7296 §2.23", "strongSwan issue #447"},
		Catalogue:  []string{"NT09"},
	}
}

func (r ikeBackToPort500) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		t, side := primarySide(v)
		if !t.Float {
			continue
		}
		back := t.NATTrace.ReturnTo500
		if back[0].Count()+back[1].Count() == 0 {
			continue
		}
		var who []string
		var frames []int
		for _, role := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
			if n := back[role].Count(); n > 0 {
				who = append(who, fmt.Sprintf("%s from the %s (%s)", words.Count(n, "message"), role.String(), sideFrameList(c, side, firstFrames(back[role].List(), 6))))
				frames = append(frames, back[role].List()...)
			}
		}
		slices.Sort(frames)
		var b strings.Builder
		fmt.Fprintf(&b, "after the float to UDP 4500 (%s), IKE of this SA went over UDP 500 again without the non-ESP marker: %s",
			sideFrameList(c, side, []int{t.FloatFrame}), joinWithAnd(who))
		if ex := ntExchangesAt(t, frames); len(ex) > 0 {
			fmt.Fprintf(&b, "; exchanges: %s", strings.Join(ex, ", "))
		}
		var in, out []int
		addSideFrames(side, append([]int{t.FloatFrame}, frames...), &in, &out)
		if o := v.Sides[1-side]; o != nil && c.Two() {
			ob := o.NATTrace.ReturnTo500
			on := ob[0].Count() + ob[1].Count()
			if on > 0 {
				addSideFrames(1-side, append([]int{o.FloatFrame}, append(ob[0].List(), ob[1].List()...)...), &in, &out)
			}
			if side == flows.SideInside && back[flows.RoleInitiator].Count() > 0 && ob[flows.RoleInitiator].Count() == 0 {
				fmt.Fprintf(&b, "; none of the initiator's appear in the outside capture: the NAT dropped them")
			}
		}
		report(Finding{Confidence: High, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)})
	}
}

// ntExchangesAt names the exchanges with a message at one of the frames,
// noting which went unanswered.
func ntExchangesAt(t *flows.Tunnel, frames []int) []string {
	var out []string
	for _, e := range t.Exchanges {
		hit := false
		for _, f := range frames {
			if slices.Contains(e.RequestFrames.List(), f) || slices.Contains(e.ResponseFrames.List(), f) {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		name := fmt.Sprintf("%s (message ID %d", e.Type, e.MessageID)
		if !e.Answered {
			name += ", unanswered"
		}
		out = append(out, name+")")
	}
	return out
}
