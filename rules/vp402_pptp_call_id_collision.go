package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// pptpCallIDCollision finds PPTP calls to the same server that use the same
// client call ID at the same time from one address: two clients behind one
// NAT that happened to pick the same call ID, and a NAT that did not
// translate them apart. With both captures it names the inside hosts; with
// the inside capture alone it reports private hosts that picked the same
// call ID for the same server, which collide if they share a NAT.
//
// The server's GRE to a client carries the client's call ID as its key
// (RFC 2637 §4.1) and nothing else a NAT could tell calls apart by: GRE has
// no ports. Two calls from one public address with one call ID get GRE
// with the same key, and the NAT delivers both to one client (or drops
// them): one call or both lose their data. A PPTP ALG avoids this by
// translating client call IDs per inside host (RFC 2637 §2.7, Nokia SR OS
// "PPTP ALG"); many home routers do not, and then "only one PPTP client
// works".
//
// Fix it on the NAT: enable a PPTP ALG that translates call IDs (Linux
// nf_nat_pptp does; check the vendor's PPTP passthrough documentation), or
// give each PPTP client its own public address; better, replace PPTP.
//
// Two calls of one client never share a call ID, so the same address with
// the same ID twice at once is two hosts behind a NAT. Windows clients pick
// call IDs from a counter, so collisions happen mostly with identical
// clients started at the same time.
type pptpCallIDCollision struct{}

func (pptpCallIDCollision) Meta() Meta {
	return Meta{
		ID:         "VP402",
		Slug:       "pptp-call-id-collision",
		Title:      "Two PPTP calls through one NAT use the same call ID",
		Severity:   Error,
		Confidence: High,
		Explanation: "Two PPTP clients behind the same NAT called the same server with the same call ID, and the " +
			"NAT passed the ID unchanged. The server marks its GRE data for each client only with that call ID, " +
			"so the NAT cannot tell the two calls' data apart and delivers it to one client or drops it.",
		Remedy: "On the NAT, use a PPTP helper/ALG that translates call IDs per inside host (on Linux the " +
			"nf_nat_pptp module does, once the pptp conntrack helper is attached to TCP 1723), or give each PPTP " +
			"client its own public address. PPTP is obsolete; moving the clients to IKEv2 or WireGuard removes " +
			"the problem.",
		References: []string{"RFC 2637 §2.7 (Outgoing-Call-Request, Call ID)", "RFC 2637 §4.1 (GRE key carries the peer's call ID)"},
		Catalogue:  []string{"NT24"},
	}
}

func (pptpCallIDCollision) Check(c *Context, report func(Finding)) {
	v := c.pptpCalls()
	for _, side := range c.captureSides() {
		if c.Two() && side == flows.SideInside {
			// The outside capture shows what the server sees; an
			// inside collision an ALG resolved is no collision.
			continue
		}
		for _, g := range pptpCollisions(c.Captures[side].Sessions, false) {
			report(pptpCollisionFinding(v, side, g))
		}
		if !c.Two() {
			// The inside capture alone: different hosts that would
			// collide behind a shared NAT.
			for _, g := range pptpCollisions(c.Captures[side].Sessions, true) {
				report(pptpCollisionFinding(v, side, g))
			}
		}
	}
}

// pptpCollisions groups calls to one server with one client call ID that
// overlap in time: from one client address, or with private from
// different private addresses.
func pptpCollisions(sessions []*flows.PPTPSession, private bool) [][]*flows.PPTPSession {
	type key struct {
		server netip.AddrPort
		call   uint16
		client netip.Addr
	}
	idx := map[key]int{}
	var groups [][]*flows.PPTPSession
	for _, s := range sessions {
		if !s.CallRequested {
			continue
		}
		k := key{server: s.Server, call: s.ClientCallID, client: s.Client.Addr()}
		if private {
			if !flows.IsPrivate(s.Client.Addr()) {
				continue
			}
			k.client = netip.Addr{}
		}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], s)
	}
	var out [][]*flows.PPTPSession
	for _, g := range groups {
		if g = pptpOverlapping(g, private); len(g) > 1 {
			out = append(out, g)
		}
	}
	return out
}

// pptpOverlapping keeps the calls that overlap in time another call of a
// different client (a different control connection; with private, a
// different host).
func pptpOverlapping(g []*flows.PPTPSession, private bool) []*flows.PPTPSession {
	var out []*flows.PPTPSession
	for _, s := range g {
		if slices.ContainsFunc(g, func(t *flows.PPTPSession) bool {
			differ := t.Client != s.Client
			if private {
				differ = t.Client.Addr() != s.Client.Addr()
			}
			return differ && !t.First.After(s.Last) && !s.First.After(t.Last)
		}) {
			out = append(out, s)
		}
	}
	return out
}

func pptpCollisionFinding(v *pptpView, side flows.Side, g []*flows.PPTPSession) Finding {
	c := v.c
	s0 := g[0]
	var frames, insideFrames []int
	clients := make([]string, 0, len(g))
	for _, s := range g {
		frames = append(frames, firstFrames(s.ControlFrames.List(), 4)...)
		clients = append(clients, s.Client.String())
	}
	id := decode.CallIDString(s0.ClientCallID)
	f := Finding{Confidence: High, Subject: fmt.Sprintf("pptp %s -> %s call %s", s0.Client.Addr(), s0.Server, id)}
	if !slices.ContainsFunc(g, func(s *flows.PPTPSession) bool { return s.Client.Addr() != s0.Client.Addr() }) {
		ports := make([]string, 0, len(g))
		for _, s := range g {
			ports = append(ports, strconv.Itoa(int(s.Client.Port())))
		}
		f.Message = fmt.Sprintf("%d PPTP calls from %s (TCP ports %s) to %s use the same client call ID %s at the same time: "+
			"the server's GRE for all of them carries that key, so the NAT cannot tell which call a packet is for",
			len(g), s0.Client.Addr(), words.List(ports, 0), s0.Server, id)
		n := v.greCount(side, s0.Server.Addr(), s0.Client.Addr(), s0.ClientCallID)
		if n > 0 {
			f.Message += fmt.Sprintf("; %s shows %s from the server with that key", captureName(c, side), words.Count(n, "GRE packet"))
			for _, fl := range v.greFlows(side, s0.Server.Addr(), s0.Client.Addr()) {
				if uint16(fl.Key.ID) == s0.ClientCallID {
					frames = append(frames, firstFrames(fl.Frames.List(), 3)...)
				}
			}
		}
		if c.Two() {
			f.Message += pptpCollisionInside(v, side, g, n, &insideFrames)
		}
	} else {
		f.Confidence = Medium
		f.Subject = fmt.Sprintf("pptp -> %s call %s", s0.Server, id)
		f.Message = fmt.Sprintf("%d PPTP calls from different hosts (%s) to %s use the same client call ID %s at the same time: "+
			"if they share one public address and the NAT does not translate call IDs, the server's GRE for both carries that key and reaches only one of them",
			len(g), words.List(clients, 0), s0.Server, id)
	}
	f.Evidence = append(c.Evidence(side, frames...), c.Evidence(1-side, insideFrames...)...)
	return f
}

// pptpCollisionInside says, for colliding calls seen in side's capture,
// who the calls are in the other (inside) capture and where the server's
// GRE with their call ID went there, given that side's capture holds
// arrived packets of it; it adds the inside control frames.
func pptpCollisionInside(v *pptpView, side flows.Side, g []*flows.PPTPSession, arrived int, frames *[]int) string {
	var who, got, none []string
	for _, s := range g {
		o := v.counterpart(side, s)
		if o == nil {
			continue
		}
		who = append(who, fmt.Sprintf("%s with call ID %s", o.Client, decode.CallIDString(o.ClientCallID)))
		*frames = append(*frames, firstFrames(o.ControlFrames.List(), 4)...)
		if n := v.greCount(1-side, o.Server.Addr(), o.Client.Addr(), o.ClientCallID); n > 0 {
			got = append(got, fmt.Sprintf("%s (%s)", o.Client.Addr(), words.Count(n, "packet")))
		} else {
			none = append(none, o.Client.Addr().String())
		}
	}
	if len(who) == 0 {
		return ""
	}
	msg := "; inside they are " + strings.Join(who, " and ") + ": the NAT did not translate the call IDs apart"
	switch {
	case len(got) == 0 && arrived == 0:
		// The server sent no GRE to them that either capture shows.
	case len(got) == 0:
		msg += "; inside, none of the server's GRE with that key reaches " + strings.Join(none, " or ") + ": it stops at the NAT"
	case len(none) == 0:
		msg += "; inside, the server's GRE with that key reaches " + strings.Join(got, " and ")
	default:
		msg += "; inside, the server's GRE with that key reaches " + strings.Join(got, " and ") + "; none reaches " + strings.Join(none, " or ")
	}
	return msg
}
