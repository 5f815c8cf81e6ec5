package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// natMappingExpired detects a NAT mapping of a NAT-T tunnel that expired
// during an idle gap: the NATed initiator was silent (no ESP, no IKE, no
// keepalives) for longer than the NAT's UDP timeout, and afterwards the
// same IKE SA's traffic came from a new outside port (the capture shows
// the rebinding), or the initiator's traffic after the gap got no answer
// at all (a capture inside the NAT shows only that).
//
// A NAT forgets an idle UDP mapping after 30 to 120 seconds. The next
// outbound packet gets a new outside port; the peer keeps sending to the
// old one, where the NAT has no mapping, and the tunnel goes dark until a
// new IKE message teaches the peer the new port — if it learns at all
// (RFC 3948 §2.3, §4; RFC 7296 §2.23).
//
// Enable NAT-T keepalives on the NATed peer with an interval below the
// NAT's UDP timeout (strongSwan charon.keep_alive, libreswan keep-alive,
// both 20 s by default), or raise the NAT's UDP timeout; enable DPD so that
// a stale mapping is noticed.
//
// The gap is measured over all VPN traffic between the two addresses, so a
// keepalive or any packet of the pair within the gap prevents a finding: a
// mapping refreshed by keepalives never fires this rule. Only a NATed
// initiator is considered (responders behind a NAT use static port
// forwards). Confidence is high when the rebinding is visible, medium when
// only the missing answers are. ICMP errors that answered the packets sent
// to the old port are cited (VP308 tells the same of any stale port).
type natMappingExpired struct{}

func (natMappingExpired) Meta() Meta {
	return Meta{
		ID:         "VP305",
		Slug:       "nat-mapping-expired",
		Title:      "NAT mapping expired during an idle gap without keepalives",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "idle gaps against the NAT's UDP timeout",
		Explanation: "The peer behind the NAT sent nothing — no ESP, no IKE, no NAT-T keepalive — for longer than the NAT keeps an " +
			"idle UDP mapping. The NAT forgot the mapping; the next packet got a new outside port, while the other peer kept " +
			"sending to the old port, where the NAT drops everything. Seen inside the NAT, the tunnel's traffic after the gap gets " +
			"no answer; seen outside, the same IKE SA and ESP SPIs reappear from a new port and the replies go to the old one.",
		Remedy: "On the peer behind the NAT, enable NAT-T keepalives with an interval below the NAT's UDP timeout (strongSwan " +
			"charon.keep_alive, libreswan keep-alive and racoon natt_keepalive default to 20 s; do not set them to 0), or raise " +
			"the UDP timeout on the NAT (for example 120 s for UDP 4500). Enable dead peer detection (DPD) on both peers so that " +
			"a lost mapping is repaired by a new IKE message from the new port.",
		References: []string{"RFC 3948 §2.3, §4", "RFC 7296 §2.23", "strongSwan charon.keep_alive", "libreswan issues #1728, #2011"},
		Catalogue:  []string{"NT06"},
	}
}

// ntRebind is a NATed peer's move to a new outside endpoint after an idle
// gap, as one capture shows it.
type ntRebind struct {
	side               flows.Side
	t                  *flows.Tunnel
	old, new           netip.AddrPort
	oldFrame, newFrame int
	gap                flows.IdleGap
	stale              *flows.StaleSend
}

// ntSilence is traffic a NATed peer sent after an idle gap that got no
// answer, as one capture shows it.
type ntSilence struct {
	side flows.Side
	t    *flows.Tunnel
	gap  flows.IdleGap
	sent flows.Frames
}

// ntExpiry looks for the signs of an expired mapping of a tunnel's NATed
// initiator: a rebinding after a long gap (outside capture first) and
// traffic after a long gap that got no answer (inside capture first).
func ntExpiry(c *Context, v *flows.TunnelView) (*ntRebind, *ntSilence) {
	if !v.NAT.Behind(flows.RoleInitiator) || !usesNATT(v) {
		return nil, nil
	}
	timeout := time.Duration(c.Config.Thresholds.NATUDPTimeout)
	var rb *ntRebind
	for _, s := range []flows.Side{flows.SideOutside, flows.SideInside} {
		if t := v.Sides[s]; t != nil && rb == nil {
			rb = ntFindRebind(c, s, t, timeout)
		}
	}
	var si *ntSilence
	for _, s := range []flows.Side{flows.SideInside, flows.SideOutside} {
		if t := v.Sides[s]; t != nil && si == nil {
			si = ntFindSilence(c, s, t, timeout)
		}
	}
	return rb, si
}

type ntSrcUse struct {
	ep                    netip.AddrPort
	first, last           time.Time
	firstFrame, lastFrame int
}

// ntEncapSources returns the endpoints a peer sent UDP-encapsulated traffic
// from, in order of first use.
func ntEncapSources(t *flows.Tunnel, r flows.Role) []ntSrcUse {
	var out []ntSrcUse
	for _, p := range t.NATTrace.Paths {
		if p.From != r || !p.Kind.Encap() {
			continue
		}
		i := slices.IndexFunc(out, func(u ntSrcUse) bool { return u.ep == p.Src })
		if i < 0 {
			out = append(out, ntSrcUse{ep: p.Src, first: p.First, last: p.Last, firstFrame: p.FirstFrame, lastFrame: p.LastFrame})
			continue
		}
		u := &out[i]
		if p.First.Before(u.first) {
			u.first, u.firstFrame = p.First, p.FirstFrame
		}
		if p.Last.After(u.last) {
			u.last, u.lastFrame = p.Last, p.LastFrame
		}
	}
	slices.SortStableFunc(out, func(a, b ntSrcUse) int { return a.first.Compare(b.first) })
	return out
}

func ntFindRebind(c *Context, s flows.Side, t *flows.Tunnel, timeout time.Duration) *ntRebind {
	srcs := ntEncapSources(t, flows.RoleInitiator)
	for i, x := range srcs {
		for _, y := range srcs[i+1:] {
			if x.ep.Addr() != y.ep.Addr() || x.last.After(y.first) || c.otherTunnelSendsIKEFrom(s, t, y.ep) || c.otherTunnelSendsIKEFrom(s, t, x.ep) {
				continue
			}
			for _, g := range t.NATTrace.Peers.GapsOver(timeout, x.last, y.first) {
				rb := &ntRebind{side: s, t: t, old: x.ep, new: y.ep, oldFrame: x.lastFrame, newFrame: y.firstFrame, gap: g}
				for _, st := range t.NATTrace.Stale {
					if st.From == flows.RoleResponder && st.To == x.ep {
						rb.stale = st
					}
				}
				return rb
			}
		}
	}
	return nil
}

func ntFindSilence(c *Context, s flows.Side, t *flows.Tunnel, timeout time.Duration) *ntSilence {
	pt := t.NATTrace.Peers
	if pt == nil {
		return nil
	}
	ri, oi := pt.Index(t.InitiatorFirst.Addr()), pt.Index(t.ResponderFirst.Addr())
	if ri < 0 || oi < 0 {
		return nil
	}
	end := c.Capture(s).Capture.Last
	answeredBefore := sumPathsOf(t, flows.RoleResponder, flows.PathESPInUDP, flows.PathIKEMarker).packets > 0
	for _, g := range pt.GapsOver(timeout, t.First, t.Last) {
		if g.Resumed[ri].Count() < 2 || g.Resumed[oi].Count() > 0 || end.Sub(g.End) < 2*time.Second {
			continue
		}
		ikeAfter := sumPathsOf(t, flows.RoleInitiator, flows.PathIKEMarker).last.After(g.End)
		if !answeredBefore && !ikeAfter {
			continue
		}
		return &ntSilence{side: s, t: t, gap: g, sent: g.Resumed[ri]}
	}
	return nil
}

func (r natMappingExpired) Check(c *Context, report func(Finding)) {
	seen := map[string]bool{}
	for _, v := range c.Tunnels {
		rb, si := ntExpiry(c, v)
		if rb == nil && si == nil {
			continue
		}
		key := ntGapKey(rb, si)
		if seen[key] {
			continue
		}
		seen[key] = true
		report(r.finding(c, v, rb, si))
	}
}

// ntGapKey identifies the gap of an expiry, so that two tunnels of one
// peer pair (an IKE SA and its rekeyed successor) report it once.
func ntGapKey(rb *ntRebind, si *ntSilence) string {
	if rb != nil {
		return fmt.Sprintf("%d %p %d", rb.side, rb.t.NATTrace.Peers, rb.gap.Start.UnixNano())
	}
	return fmt.Sprintf("%d %p %d", si.side, si.t.NATTrace.Peers, si.gap.Start.UnixNano())
}

// ntKeepaliveWords describes the keepalives a peer sent.
func ntKeepaliveWords(v *flows.TunnelView, r flows.Role) string {
	t, _ := primarySide(v)
	k := t.Keepalives
	who := firstEndpoint(t, r).Addr().String()
	switch {
	case k.From[r] == 0:
		return who + " sent no NAT-T keepalives"
	case k.From[r] == 1:
		return who + " sent a single NAT-T keepalive"
	}
	return fmt.Sprintf("%s sent %d NAT-T keepalives, up to %s apart", who, k.From[r], fmtDuration(k.MaxInterval))
}

func (natMappingExpired) finding(c *Context, v *flows.TunnelView, rb *ntRebind, si *ntSilence) Finding {
	timeout := time.Duration(c.Config.Thresholds.NATUDPTimeout)
	g := flows.IdleGap{}
	gs := flows.SideInside
	if rb != nil {
		g, gs = rb.gap, rb.side
	} else {
		g, gs = si.gap, si.side
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the tunnel was idle for %s (%s), longer than the NAT UDP timeout of %s, and %s",
		fmtDuration(g.Duration()), betweenFrames(c, gs, g.BeforeFrame, g.AfterFrame), fmtDuration(timeout),
		ntKeepaliveWords(v, flows.RoleInitiator))
	var in, out []int
	conf := Medium
	if rb != nil {
		conf = High
		fmt.Fprintf(&b, "; afterwards the initiator's traffic of the same IKE SA left from %s instead of %s (%s): the NAT had dropped the mapping and made a new one",
			rb.new, rb.old, sideFrameList(c, rb.side, []int{rb.newFrame}))
		frames := []int{g.BeforeFrame, g.AfterFrame, rb.oldFrame, rb.newFrame}
		if st := rb.stale; st != nil {
			fmt.Fprintf(&b, "; the responder %s kept sending %s to the old port %d (%s), which the NAT no longer maps",
				firstEndpoint(rb.t, flows.RoleResponder).Addr(), words.Count(st.Packets, "packet"), rb.old.Port(), sideFrameList(c, rb.side, firstFrames(st.Frames.List(), 6)))
			frames = append(frames, st.Frames.List()...)
			if txt, fs := icmpAnswered(c, rb.side, ntStaleICMP(c, rb.side, []ntStale{{side: rb.side, t: rb.t, st: st}})); txt != "" {
				b.WriteString("; " + txt)
				frames = append(frames, fs...)
			}
		}
		addSideFrames(rb.side, frames, &in, &out)
	}
	if si != nil {
		sent := si.sent.List()
		fmt.Fprintf(&b, "; after the gap the initiator sent %s (%s) and the responder sent nothing back",
			words.Count(si.sent.Count(), "packet"), sideFrameList(c, si.side, firstFrames(sent, 6)))
		addSideFrames(si.side, append([]int{si.gap.BeforeFrame, si.gap.AfterFrame}, sent...), &in, &out)
	}
	if in := v.Sides[flows.SideInside]; in != nil && c.Two() {
		for _, src := range ntEncapSources(in, flows.RoleInitiator) {
			ms := c.Correlation.MappingsOf(flows.ProtoUDP, src.ep)
			if len(ms) < 2 {
				continue
			}
			var outs []string
			for _, m := range ms {
				outs = append(outs, m.Outside.String())
			}
			fmt.Fprintf(&b, "; the NAT mapped %s to %s in turn", src.ep, joinWithAnd(outs))
			break
		}
	}
	return Finding{Confidence: conf, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)}
}
