package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// pptpGREOneWay finds PPTP calls whose control connection came up — the
// server accepted the control connection (Start-Control-Connection-Reply,
// result 1) and the call (Outgoing-Call-Reply, result 1) — but whose
// enhanced GRE (RFC 2637 §4.1) then flows one way only. With both captures
// it says where the other direction stops: the server's GRE reaches the
// outside capture and the NAT does not forward it inside, or the client's
// GRE never leaves the NAT, or the server never answers.
//
// PPTP carries its data in GRE (IP protocol 47), which has no ports; a NAT
// can only forward it back to the right host if a PPTP helper (ALG, "PPTP
// passthrough", Linux nf_conntrack_pptp) follows the control connection on
// TCP 1723 and binds the call's GRE to it. Without one, TCP 1723 works,
// the call is "connected", and the client's PPP negotiation then times out
// ("LCP: timeout sending Config-Requests", Windows error 619/806).
//
// Fix it on the NAT/firewall in front of the client: enable PPTP
// passthrough or the PPTP helper (Linux: load nf_conntrack_pptp and
// nf_nat_pptp; since Linux 4.7 helpers are no longer attached
// automatically, so add a "ct helper" (nftables) or "-j CT --helper pptp"
// (iptables) rule for TCP 1723; OpenWrt: install kmod-nf-nathelper-extra),
// and allow GRE (protocol 47) both ways. Better still, move off PPTP: it
// is obsolete and insecure.
//
// A call may end before GRE starts, so the rule waits for the
// Thresholds.OneWayPackets GRE packets in one direction with none back.
// GRE that comes back under a call ID neither side advertised does not
// count as the answer; VP403 reports it. In a capture where two calls from
// one address to one server share a client call ID (VP402), the server's
// GRE to them carries one key and cannot be attributed, so "none came
// back" is not judged there; the other capture still is.
type pptpGREOneWay struct{}

func (pptpGREOneWay) Meta() Meta {
	return Meta{
		ID:         "VP401",
		Slug:       "pptp-gre-one-way",
		Title:      "PPTP call connected but its GRE flows one way only",
		Severity:   Error,
		Confidence: High,
		Explanation: "The PPTP control connection on TCP 1723 worked and the server connected the call, but the " +
			"call's data, carried in GRE (IP protocol 47), only flows in one direction. GRE has no ports, so a " +
			"NAT can forward it back to the client only if its PPTP helper tracks the control connection; " +
			"without it the client's PPP link never comes up (\"LCP: timeout sending Config-Requests\", " +
			"Windows errors 619 and 806).",
		Remedy: "On the NAT/firewall in front of the client, enable PPTP passthrough / the PPTP helper and allow " +
			"GRE (IP protocol 47) in both directions. On Linux load nf_conntrack_pptp and nf_nat_pptp and attach " +
			"the helper to TCP 1723 explicitly (iptables -t raw -A PREROUTING -p tcp --dport 1723 -j CT --helper " +
			"pptp, or an nftables \"ct helper\" rule); on OpenWrt install kmod-nf-nathelper-extra. Consider " +
			"replacing PPTP, which is obsolete and insecure, with IKEv2 or WireGuard.",
		References: []string{"RFC 2637 §2.8 (Outgoing-Call-Reply)", "RFC 2637 §4 (Tunnel Protocol Operation)", "RFC 2637 §4.1 (Enhanced GRE header)"},
		Catalogue:  []string{"NT23"},
	}
}

func (pptpGREOneWay) Check(c *Context, report func(Finding)) {
	min := max(c.Config.Thresholds.OneWayPackets, 1)
	v := c.pptpCalls()
	done := map[*flows.PPTPSession]bool{}
	for _, side := range c.captureSides() {
		for _, s := range c.Captures[side].Sessions {
			if done[s] || !pptpConnected(s) {
				continue
			}
			// GRE shared with a colliding call (flows.PPTPSession) may
			// be this call's: it does not count as none.
			out := s.GREOut >= min && s.GREIn == 0 && s.GREInShared == 0
			in := s.GREIn >= min && s.GREOut == 0 && s.GREOutShared == 0
			if !out && !in {
				continue
			}
			if out && pptpRival(c.Captures[side].Sessions, s) != nil {
				// Another call here has the same client address, server
				// and call ID: the server's GRE to either carries one
				// key, so "none came back" is not known for this one
				// (VP402 reports it).
				continue
			}
			f := pptpOneWayFinding(c, side, s, out)
			if o := v.counterpart(side, s); o != nil {
				pptpLocate(v, side, s, o, out, &f)
				done[o] = true
			}
			report(f)
		}
	}
}

func pptpOneWayFinding(c *Context, side flows.Side, s *flows.PPTPSession, out bool) Finding {
	where := ""
	if c.Two() {
		where = " in the " + side.String() + " capture"
	}
	var msg string
	frames := firstFrames(s.ControlFrames.List(), 6)
	if out {
		msg = fmt.Sprintf("%s connected, then %s went from the client to the server%s (call ID %s) and none came back",
			pptpLabel(s), words.Count(s.GREOut, "GRE packet"), where, decode.CallIDString(s.ServerCallID))
		frames = append(frames, firstFrames(s.GREOutFrames.List(), 3)...)
	} else {
		msg = fmt.Sprintf("%s connected, then %s went from the server to the client%s (call ID %s) and the client sent none",
			pptpLabel(s), words.Count(s.GREIn, "GRE packet"), where, decode.CallIDString(s.ClientCallID))
		frames = append(frames, firstFrames(s.GREInFrames.List(), 3)...)
	}
	if s.GREOther > 0 {
		msg += fmt.Sprintf("; %s between the two carried call IDs %s that match neither call ID (see VP403)",
			words.Count(s.GREOther, "other GRE packet"), listOf(s.GREOtherIDs, decode.CallIDString))
	}
	return Finding{
		Confidence: High,
		Session:    c.sessionID(side, s),
		Subject:    pptpSubject(s),
		Message:    msg,
		Evidence:   c.Evidence(side, frames...),
	}
}

// pptpRival returns another call among sessions that overlaps s in time
// from the same client address to the same server with the same client
// call ID (a VP402 collision), or nil.
func pptpRival(sessions []*flows.PPTPSession, s *flows.PPTPSession) *flows.PPTPSession {
	for _, t := range sessions {
		if t != s && t.CallRequested && t.Client.Addr() == s.Client.Addr() && t.Client != s.Client && t.Server == s.Server &&
			t.ClientCallID == s.ClientCallID && !t.First.After(s.Last) && !s.First.After(t.Last) {
			return t
		}
	}
	return nil
}

// pptpLocate adds where the missing direction stops, from the other
// capture's view o of the same call.
func pptpLocate(v *pptpView, side flows.Side, s, o *flows.PPTPSession, out bool, f *Finding) {
	c := v.c
	other := 1 - side
	var msg string
	var frames []int
	var sideFrames []int                 // more evidence in side's capture
	serverGRE := o.GREIn + o.GREInShared // its own and any shared with a colliding call
	switch {
	case side == flows.SideInside && out && serverGRE > 0 && slices.Contains(s.GREOtherIDs, o.ClientCallID):
		msg = fmt.Sprintf("the server's GRE reaches the outside capture (%s, call ID %s) and the NAT forwards it inside with that key, which is not the client's call ID %s: it translated the call ID in the control connection only (see VP403)",
			words.Count(o.GREIn, "packet"), decode.CallIDString(o.ClientCallID), decode.CallIDString(s.ClientCallID))
		frames = o.GREInFrames.List()
	case side == flows.SideInside && out && serverGRE > 0:
		msg, frames, sideFrames = pptpInboundStops(v, s, o)
	case side == flows.SideInside && out && o.GREOut == 0 && pptpNoGRECaptured(c.Captures[other]):
		msg = "the outside capture holds no GRE at all: the NAT drops outbound GRE, or the outside capture left GRE (IP protocol 47) out, as a capture filter such as \"tcp port 1723\" does"
	case side == flows.SideInside && out && o.GREOut == 0:
		msg = "none of the client's GRE appears in the outside capture: the NAT drops outbound GRE"
	case side == flows.SideInside && out && o.GREOther > 0:
		msg = fmt.Sprintf("outside, the server answers with call IDs %s that match no call there (see VP403)", listOf(o.GREOtherIDs, decode.CallIDString))
		frames = o.GREOtherFrames.List()
	case side == flows.SideInside && out:
		msg = fmt.Sprintf("the client's GRE leaves the NAT (%s in the outside capture) and the server does not answer there either: GRE is blocked beyond the NAT, or the server does not answer",
			words.Count(o.GREOut, "packet"))
		frames = o.GREOutFrames.List()
	case side == flows.SideOutside && !out && o.GREOut > 0:
		msg = fmt.Sprintf("the client does send GRE inside (%s, call ID %s) and none of it leaves the NAT",
			words.Count(o.GREOut, "packet"), decode.CallIDString(o.ServerCallID))
		frames = o.GREOutFrames.List()
	case side == flows.SideOutside && out && o.GREIn > 0:
		msg = fmt.Sprintf("yet the inside capture shows %s from the server: they did not cross the outside capture point", words.Count(o.GREIn, "GRE packet"))
		frames = o.GREInFrames.List()
	default:
		msg = fmt.Sprintf("the %s capture shows the same", other)
		if out {
			frames = o.GREOutFrames.List()
		} else {
			frames = o.GREInFrames.List()
		}
	}
	f.Message += ". " + strings.ToUpper(msg[:1]) + msg[1:]
	f.Evidence = append(f.Evidence, c.Evidence(side, firstFrames(sideFrames, 3)...)...)
	f.Evidence = append(f.Evidence, c.Evidence(other, firstFrames(frames, 3)...)...)
}

// pptpInboundStops says where the server's GRE for an inside call s that
// got none goes, given its outside view o, which received some: what the
// inside capture shows of the server's GRE under the call's key (to
// another inside host, or nowhere), and whether another call from the same
// public address shares the key (VP402) or the NAT translated the call ID.
// It returns the sentence and evidence frames outside and inside.
func pptpInboundStops(v *pptpView, s, o *flows.PPTPSession) (string, []int, []int) {
	c := v.c
	outFrames := append(o.GREInFrames.List(), o.GREInSharedFrames.List()...)
	slices.Sort(outFrames)
	var b strings.Builder
	if rival := pptpRival(c.Captures[flows.SideOutside].Sessions, o); rival != nil {
		fmt.Fprintf(&b, "outside, another call from %s, TCP port %d, to the same server uses the same call ID %s, so the server's GRE to both carries that key (see VP402): the outside capture shows %s with it and cannot tell which call each is for",
			o.Client.Addr(), rival.Client.Port(), decode.CallIDString(o.ClientCallID), words.Count(v.greCount(flows.SideOutside, o.Server.Addr(), o.Client.Addr(), o.ClientCallID), "packet"))
	} else {
		fmt.Fprintf(&b, "the server's GRE does reach the outside capture (%s, call ID %s)", words.Count(o.GREIn+o.GREInShared, "packet"), decode.CallIDString(o.ClientCallID))
	}
	// The server's GRE inside, under the inside call ID, to other hosts.
	var inFrames []int
	var elsewhere []string
	for _, f := range v.greKeyed(flows.SideInside, s.Server.Addr(), s.ClientCallID) {
		if f.Key.B.Addr() != s.Client.Addr() {
			elsewhere = append(elsewhere, fmt.Sprintf("%s (%s)", f.Key.B.Addr(), words.Count(f.Total(), "packet")))
			inFrames = append(inFrames, firstFrames(f.Frames.List(), 3)...)
		}
	}
	switch {
	case len(elsewhere) > 0:
		fmt.Fprintf(&b, "; inside, the NAT delivers the server's GRE with key %s to %s and none to this client", decode.CallIDString(s.ClientCallID), strings.Join(elsewhere, " and "))
	case s.ClientCallID != o.ClientCallID:
		fmt.Fprintf(&b, "; the NAT translated the client's call ID in the control connection (%s inside, %s outside) yet forwards none of the server's GRE inside", decode.CallIDString(s.ClientCallID), decode.CallIDString(o.ClientCallID))
	default:
		b.WriteString("; it stops at the NAT: none of it reaches the inside capture, for this client or any other, and the NAT did not translate the call IDs, so it shows no PPTP helper bound to this call")
	}
	// The NAT's own answer to the server's GRE it refused.
	es := c.ICMPErrors(flows.SideOutside, func(e *flows.ICMPError) bool {
		q := &e.Msg.Quote
		return q.Kind == decode.KindGRE && q.Src == o.Server.Addr() && q.Dst == o.Client.Addr() &&
			(!q.Have.Has(decode.QuoteGREKey) || q.GRE.CallID == o.ClientCallID)
	})
	if txt, fs := icmpAnswered(c, flows.SideOutside, es); txt != "" {
		b.WriteString("; " + txt)
		outFrames = append(outFrames, fs...)
	}
	return b.String(), outFrames, inFrames
}
