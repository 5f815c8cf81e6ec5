package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// replyToStalePort detects a peer that keeps sending UDP-encapsulated IKE
// or ESP to an endpoint the other peer has left: to the port of its first
// IKE_SA_INIT after it floated, or to the old outside port after its NAT
// mapping changed.
//
// RFC 7296 §2.23 tells a peer to send to the address and port the latest
// authenticated message came from, and RFC 3948 §5.1 to track changes of
// the NAT-T port; a peer that answers the port it learned first (strongSwan
// pull requests #2663/#2664 describe Windows RAS doing so) sends into a
// mapping that no longer leads to its peer, and the tunnel breaks.
//
// Fix the peer that answers the old port (update it; on strongSwan as the
// other peer, floating early with force_encap avoids the Windows RAS bug).
// Where the port changed because a mapping expired, also fix the keepalives
// (VP305).
//
// Packets sent within a second of the move count as in flight and are
// left out, as is an endpoint the other peer still sends from (VP307) or
// one that belongs to another IKE SA of the capture. Port 500 without the
// marker is VP309's. The ICMP errors that answered the stale packets (a
// NAT without the mapping answers with port unreachable, RFC 792) are
// cited, with who sent them: with two captures, an error seen outside only
// from the NAT's outside address was sent by the NAT itself.
type replyToStalePort struct{}

func (replyToStalePort) Meta() Meta {
	return Meta{
		ID:         "VP308",
		Slug:       "reply-to-stale-port",
		Title:      "A peer keeps sending to a port the other peer has left",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "how long a peer kept sending to a port after the other left it",
		Explanation: "One peer moved to a new UDP endpoint — the float from its IKE_SA_INIT port to its NAT-T port, or a new outside " +
			"port after its NAT mapping changed — and kept sending from there, but the other peer went on sending IKE and ESP to " +
			"the old endpoint. Behind a NAT the old endpoint leads nowhere (or to a socket that does not expect ESP), so the " +
			"replies are lost although both peers are alive. IKE requires replies to go to the address and port the latest " +
			"message came from.",
		Remedy: "Update the peer that sends to the old port so that it follows the NAT-T port (RFC 7296 §2.23, RFC 3948 §5.1); " +
			"with a Windows RAS gateway and a strongSwan client, let the client float to port 4500 from IKE_SA_INIT on " +
			"(strongSwan 6 with force_encap). If the port changed because the NAT mapping expired, enable NAT-T keepalives " +
			"below the NAT's UDP timeout.",
		References: []string{"RFC 7296 §2.23", "RFC 3948 §5.1", "strongSwan pull requests #2663, #2664"},
		Catalogue:  []string{"NT08"},
	}
}

// ntStale is a stale send that counts, with its tunnel and side.
type ntStale struct {
	side flows.Side
	t    *flows.Tunnel
	st   *flows.StaleSend
}

// ntStales returns a tunnel's stale sends on one side that are neither in
// flight at the move, nor to an endpoint still in use, nor to another IKE
// SA's endpoint.
func ntStales(c *Context, s flows.Side, t *flows.Tunnel) []ntStale {
	var out []ntStale
	for _, st := range t.NATTrace.Stale {
		other := 1 - st.From
		if last, _, ok := t.NATTrace.LastFrom(other, st.To); ok && last.After(st.First) {
			continue
		}
		if st.Last.Sub(st.Moved) < time.Second || c.otherTunnelSendsIKEFrom(s, t, st.To) {
			continue
		}
		out = append(out, ntStale{side: s, t: t, st: st})
	}
	return out
}

func (r replyToStalePort) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		var all []ntStale
		for _, s := range []flows.Side{flows.SideOutside, flows.SideInside} {
			if t := v.Sides[s]; t != nil {
				all = append(all, ntStales(c, s, t)...)
			}
		}
		if len(all) == 0 {
			continue
		}
		report(r.finding(c, v, all))
	}
}

func (replyToStalePort) finding(c *Context, v *flows.TunnelView, all []ntStale) Finding {
	x := all[0]
	st, t := x.st, x.t
	mover := 1 - st.From
	var kinds []string
	if st.ESP > 0 {
		kinds = append(kinds, fmt.Sprintf("%d ESP", st.ESP))
	}
	if st.IKE > 0 {
		kinds = append(kinds, fmt.Sprintf("%d IKE", st.IKE))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the %s kept sending to %s after the %s had moved to %s (%s; its last packet from %s was %s): %s (%s) over %s (%s)",
		peerAddr(t, st.From), st.To, mover.String(), st.Current, sideFrameList(c, x.side, []int{st.MovedFrame}),
		st.To, sideFrameList(c, x.side, []int{st.LeftFrame}), words.Count(st.Packets, "packet"), strings.Join(kinds, ", "),
		fmtDuration(st.Last.Sub(st.First)), sideFrameList(c, x.side, firstFrames(st.Frames.List(), 6)))
	var in, out []int
	addSideFrames(x.side, append([]int{st.LeftFrame, st.MovedFrame}, st.Frames.List()...), &in, &out)
	for _, y := range all[1:] {
		addSideFrames(y.side, append([]int{y.st.MovedFrame}, y.st.Frames.List()...), &in, &out)
		if y.side != x.side {
			continue // told below, as what the NAT did with them
		}
		fmt.Fprintf(&b, "; also %s to %s (%s)", words.Count(y.st.Packets, "packet"), y.st.To, sideFrameList(c, y.side, firstFrames(y.st.Frames.List(), 4)))
	}
	if c.Two() && x.side == flows.SideOutside {
		if s := ntStaleInside(c, v, x); s != "" {
			b.WriteString("; " + s)
		}
	}
	// What answered the stale packets: a NAT without the mapping, or the
	// host at the old endpoint, often says so with an ICMP error.
	for _, s := range []flows.Side{x.side, 1 - x.side} {
		if txt, frames := icmpAnswered(c, s, ntStaleICMP(c, s, all)); txt != "" {
			b.WriteString("; " + txt)
			addSideFrames(s, frames, &in, &out)
		}
	}
	return Finding{Confidence: High, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)}
}

// ntStaleICMP returns the ICMP errors of one side's capture that answered
// the stale sends of that side: errors quoting a packet of the stale
// sender's tunnel sent to the endpoint it went to, from its first stale
// packet to a second after its last.
func ntStaleICMP(c *Context, s flows.Side, all []ntStale) []*flows.ICMPError {
	return c.ICMPErrors(s, func(e *flows.ICMPError) bool {
		q := &e.Msg.Quote
		for _, y := range all {
			if y.side == s && e.Tunnel == y.t && q.Have.Has(decode.QuotePorts) && q.Destination() == y.st.To &&
				!e.Time.Before(y.st.First) && !e.Time.After(y.st.Last.Add(time.Second)) {
				return true
			}
		}
		return false
	})
}

// ntStaleInside says what became of outside stale packets inside the NAT.
func ntStaleInside(c *Context, v *flows.TunnelView, x ntStale) string {
	in := v.Sides[flows.SideInside]
	if in == nil || !c.BothCaptured(flows.SideOutside, x.st.First, x.st.Last) {
		return ""
	}
	for _, y := range in.NATTrace.Stale {
		if y.From == x.st.From {
			return fmt.Sprintf("the NAT delivered %d of them to %s inside (inside %s), an endpoint the %s no longer uses",
				y.Packets, y.To, frameList(firstFrames(y.Frames.List(), 4)), (1 - x.st.From).String())
		}
	}
	from := c.Correlation.ToInside(x.st.First)
	if g := sumPathsOf(in, x.st.From, flows.PathIKEMarker, flows.PathESPInUDP); g.packets == 0 || !g.last.After(from) {
		return fmt.Sprintf("none of them reached the inside capture: the NAT no longer maps %s", x.st.To)
	}
	return ""
}
