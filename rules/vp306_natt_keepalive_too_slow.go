package rules

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
)

// nattKeepaliveTooSlow detects a NAT-T tunnel whose NATed initiator let the
// traffic between the peers pause for longer than the NAT UDP timeout,
// without keepalives, while the tunnel still survived: this NAT kept the
// mapping, a stricter one would not have.
//
// NAT-T keepalives exist so that the NAT's mapping of UDP 4500 never idles
// out (RFC 3948 §2.3, §4). Without them, or with an interval longer than
// the NAT's timeout, the mapping expires during quiet periods and the tunnel
// breaks as VP305 describes.
//
// Enable keepalives on the NATed peer with an interval below the smallest
// UDP timeout of the NATs it may sit behind (20 s is the common default).
//
// Not reported when VP305 reports the expiry itself, when the gap is
// within NATUDPTimeout, or for responders behind a NAT (static port
// forwards do not expire). Medium confidence: the real timeout of the NAT
// is not known.
type nattKeepaliveTooSlow struct{}

func (nattKeepaliveTooSlow) Meta() Meta {
	return Meta{
		ID:         "VP306",
		Slug:       "natt-keepalive-too-slow",
		Title:      "NAT-T keepalives absent or slower than the NAT UDP timeout",
		Severity:   Warning,
		Confidence: Medium,
		TimeUse:    "idle gaps and keepalive intervals",
		Explanation: "The peer behind the NAT let its tunnel sit idle for longer than many NATs keep an idle UDP mapping, and sent " +
			"no NAT-T keepalive in that time. Here the mapping survived, so this NAT's timeout is longer; behind a NAT with a " +
			"shorter UDP timeout (home routers and carrier NATs often use 30 to 60 seconds) the mapping would expire, the next " +
			"packet would leave from a new port, and the other peer's traffic would be dropped until IKE repaired it.",
		Remedy: "On the peer behind the NAT, enable NAT-T keepalives with an interval below the shortest UDP timeout of the NATs " +
			"it may use (strongSwan charon.keep_alive, libreswan keep-alive, racoon natt_keepalive; 20 s is the usual default, " +
			"never 0). Adjust this rule's nat_udp_timeout threshold to the NAT's real timeout if it is known.",
		References: []string{"RFC 3948 §2.3, §4", "strongSwan charon.keep_alive", "libreswan keep-alive"},
		Catalogue:  []string{"NT06"},
	}
}

func (r nattKeepaliveTooSlow) Check(c *Context, report func(Finding)) {
	timeout := time.Duration(c.Config.Thresholds.NATUDPTimeout)
	seen := map[string]bool{}
	for _, v := range c.Tunnels {
		if !v.NAT.Behind(flows.RoleInitiator) || !usesNATT(v) {
			continue
		}
		if rb, si := ntExpiry(c, v); rb != nil || si != nil {
			continue
		}
		t, side := primarySide(v)
		gaps := t.NATTrace.Peers.GapsOver(timeout, t.First, t.Last)
		if len(gaps) == 0 {
			continue
		}
		g := slices.MaxFunc(gaps, func(a, b flows.IdleGap) int { return cmp.Compare(a.Duration(), b.Duration()) })
		key := fmt.Sprintf("%d %p %d", side, t.NATTrace.Peers, g.Start.UnixNano())
		if seen[key] {
			continue
		}
		seen[key] = true
		var in, out []int
		addSideFrames(side, []int{g.BeforeFrame, g.AfterFrame}, &in, &out)
		if o := v.Sides[1-side]; o != nil && c.Two() {
			if og := o.NATTrace.Peers.GapsOver(timeout, o.First, o.Last); len(og) > 0 {
				x := slices.MaxFunc(og, func(a, b flows.IdleGap) int { return cmp.Compare(a.Duration(), b.Duration()) })
				addSideFrames(1-side, []int{x.BeforeFrame, x.AfterFrame}, &in, &out)
			}
		}
		after := "traffic resumed afterwards"
		if oi := t.NATTrace.Peers.Index(t.ResponderFirst.Addr()); oi >= 0 && g.Resumed[oi].Count() > 0 {
			after = "the responder's traffic still arrived afterwards, so this NAT kept the mapping"
		}
		msg := fmt.Sprintf("the tunnel between the initiator %s, behind the NAT, and %s was idle for %s (%s%s), longer than the NAT UDP timeout of %s, and %s; "+
			"%s, but a NAT with a shorter UDP timeout would have dropped it",
			t.InitiatorFirst.Addr(), t.ResponderFirst.Addr(), fmtDuration(g.Duration()), betweenFrames(c, side, g.BeforeFrame, g.AfterFrame),
			ntMoreGaps(len(gaps)), fmtDuration(timeout), ntKeepaliveWords(v, flows.RoleInitiator), after)
		report(Finding{Confidence: Medium, Tunnel: v.ID, Message: msg, Evidence: evidenceFromBoth(c, in, out)})
	}
}

// ntMoreGaps says how many such gaps there were, when more than one.
func ntMoreGaps(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf("; the longest of %d such gaps", n)
}
