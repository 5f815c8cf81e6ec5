package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// sessionID returns the report's ID of the PPTP call that one side's
// capture saw as s, or 0.
func (c *Context) sessionID(side flows.Side, s *flows.PPTPSession) int {
	if v := c.SessionOf(side, s); v != nil {
		return v.ID
	}
	return 0
}

// sessionVerdict decides a PPTP call's verdict: it fails when an error
// finding about it says so, or when the server refused it in a control
// message the capture holds; otherwise the summary says what the captures
// cannot tell.
func sessionVerdict(pv *pptpView, v *flows.SessionView, findings []Finding) Verdict {
	c := pv.c
	s := v.Any()
	vd := Verdict{Session: v.ID, NAT: v.NAT(), Encapsulation: flows.EncapGRE, Works: true}
	var worst *Finding
	for i := range findings {
		f := &findings[i]
		if f.Session != v.ID || f.Severity != Error || f.Confidence < Medium {
			continue
		}
		if worst == nil || symptom(worst.RuleID) && !symptom(f.RuleID) {
			worst = f
		}
	}
	where := ""
	if c.Two() {
		where = " of the " + flows.SideInside.String() + " capture"
		if v.Sides[flows.SideInside] == nil {
			where = " of the " + flows.SideOutside.String() + " capture"
		}
	}
	switch {
	case worst != nil:
		vd.Works, vd.Failure = false, worst.RuleID+" "+worst.Title+": "+worst.Message
	case s.ControlReplied && s.ControlResult != 1:
		vd.Works, vd.Failure = false, fmt.Sprintf("the server refused the control connection (Start-Control-Connection-Reply result %d, frame %d%s)", s.ControlResult, s.ControlReplyFrame, where)
	case s.CallReplied && s.CallResult != 1:
		vd.Works, vd.Failure = false, fmt.Sprintf("the server refused the call (Outgoing-Call-Reply result %d, frame %d%s)", s.CallResult, s.CallReplyFrame, where)
	}
	vd.DependsOnPassthrough, vd.Reason = pptpPassthrough(pv, v, vd.NAT)
	var b strings.Builder
	if pptpGRESeen(v) {
		fmt.Fprintf(&b, "PPTP call %d (%s to %s) sends its data in GRE: %s out, %d in.", v.ID, s.Client.Addr(), s.Server.Addr(), words.Count(s.GREOut, "packet"), s.GREIn)
	} else {
		fmt.Fprintf(&b, "PPTP call %d (%s to %s) sends its data in GRE; none of it was captured.", v.ID, s.Client.Addr(), s.Server.Addr())
	}
	switch vd.DependsOnPassthrough {
	case DependsYes:
		b.WriteString(" It depends on PPTP passthrough: " + vd.Reason + ".")
	case DependsNo:
		b.WriteString(" It does not depend on PPTP passthrough: " + vd.Reason + ".")
	default:
		b.WriteString(" Whether it depends on PPTP passthrough cannot be told: " + vd.Reason + ".")
	}
	if !vd.Works {
		b.WriteString(" It fails: " + vd.Failure)
		if !strings.HasSuffix(vd.Failure, ".") {
			b.WriteString(".")
		}
	} else if note := pptpUntold(c, v); note != "" {
		b.WriteString(" " + note)
		vd.Works, vd.Outcome, vd.Undecided = false, OutcomeUnknown, note
	}
	vd.Summary = b.String()
	sessionHeadline(c, v, &vd, worst)
	return vd
}

// pptpGRESeen reports whether either capture holds GRE of the call.
func pptpGRESeen(v *flows.SessionView) bool {
	for _, s := range v.Sides {
		if s != nil && s.GREOut+s.GREIn+s.GREOutShared+s.GREInShared > 0 {
			return true
		}
	}
	return false
}

// pptpPassthrough says whether a call depends on PPTP passthrough, and why,
// from what the captures show the NAT did with its call IDs and its GRE.
func pptpPassthrough(v *pptpView, sv *flows.SessionView, nat flows.NATPosition) (string, string) {
	switch nat {
	case flows.NATNone:
		return DependsNo, "no NAT sits between client and server (the control connection's addresses are the same in both captures)"
	case flows.NATUnknown:
		return DependsUnknown, "the capture does not show whether a NAT is in the path"
	}
	in, out := sv.Sides[flows.SideInside], sv.Sides[flows.SideOutside]
	if in == nil || out == nil {
		s := sv.Any()
		return DependsYes, fmt.Sprintf("the client at %s, a private address, reaches the server at %s, a public one, so a NAT sits between them; "+
			"the call's data travels in GRE, which has no ports, and a NAT forwards the server's GRE back to the client only with PPTP (GRE) passthrough",
			s.Client.Addr(), s.Server.Addr())
	}
	clientX, _ := sv.Translated()
	translation := ""
	if clientX {
		translation = fmt.Sprintf("the NAT translated the client's call ID (%s inside, %s outside)", decode.CallIDString(in.ClientCallID), decode.CallIDString(out.ClientCallID))
	}
	// The server's GRE that reached the NAT: all of it with the call's
	// outside key, which calls colliding on that key share.
	arrived := v.greCount(flows.SideOutside, out.Server.Addr(), out.Client.Addr(), out.ClientCallID)
	forwarded := pptpForwarded(in.GREIn, arrived, out.GREInShared > 0)
	switch {
	case clientX && in.GREIn > 0 && arrived > 0:
		return DependsYes, fmt.Sprintf("its data travels in GRE, which has no ports; %s and forwarded %s, keyed with the outside call ID, back to the client: PPTP passthrough with call-ID translation",
			translation, forwarded)
	case in.GREIn > 0 && arrived > 0:
		return DependsYes, fmt.Sprintf("its data travels in GRE, which has no ports, and the NAT forwarded %s back to the client with the call IDs unchanged: its PPTP (GRE) passthrough did that",
			forwarded)
	case clientX && arrived > 0:
		return DependsYes, fmt.Sprintf("its data travels in GRE, which has no ports; %s, so it follows the control connection, yet none of the server's GRE with that call ID (%s outside) reached the client",
			translation, words.Count(arrived, "packet"))
	case arrived > 0 && in.GREIn == 0:
		return DependsYes, fmt.Sprintf("its data travels in GRE, which has no ports: the NAT forwarded the client's GRE out (%s) but none of the server's GRE with the call's ID (%s outside) back to the client, and left the call IDs unchanged: it shows no PPTP passthrough for this call",
			words.Count(out.GREOut, "packet"), words.Count(arrived, "packet"))
	case in.GREIn > 0 && pptpNoGRECaptured(v.c.Captures[flows.SideOutside]):
		return DependsYes, fmt.Sprintf("its data travels in GRE, which has no ports, and the server's GRE came through the NAT to the client (%s inside); the outside capture holds no GRE at all (a capture filter such as \"tcp port 1723\" leaves it out), so what the NAT did to it cannot be told",
			words.Count(in.GREIn, "packet"))
	case in.GREIn > 0:
		return DependsYes, fmt.Sprintf("its data travels in GRE, which has no ports, and the server's GRE came through the NAT to the client (%s inside), though none with the call's ID shows in the outside capture",
			words.Count(in.GREIn, "packet"))
	case clientX:
		return DependsYes, "its data travels in GRE, which has no ports; " + translation + ", so it follows the control connection; no GRE from the server shows whether it forwards the call's data"
	}
	return DependsYes, "a NAT sits between client and server, and the call's data travels in GRE, which has no ports: a NAT forwards the server's GRE back to the client only with PPTP (GRE) passthrough; the captures do not show this NAT forwarding any"
}

// pptpForwarded says how much of the server's GRE with the call's key
// that reached the NAT (arrived) came out inside (delivered): "all 6 of the
// server's GRE packets", "5 of the server's 6 GRE packets"; shared says
// another call used the same key, so that arrived counts its GRE too.
func pptpForwarded(delivered, arrived int, shared bool) string {
	var s string
	switch {
	case delivered == arrived:
		s = fmt.Sprintf("all %d of the server's GRE packets", arrived)
	case delivered < arrived:
		s = fmt.Sprintf("%d of the server's %s", delivered, words.Count(arrived, "GRE packet"))
	default:
		s = fmt.Sprintf("the server's GRE (%s inside, %d outside)", words.Count(delivered, "packet"), arrived)
	}
	if shared {
		s += " with its call ID, which another call from the same address used too (see VP402),"
	}
	return s
}

// pptpUntold says what the captures cannot tell of a call that no finding
// or control message shows failing, or "".
func pptpUntold(c *Context, v *flows.SessionView) string {
	s := v.Any()
	switch {
	case !s.ControlReplied:
		return "The capture holds no Start-Control-Connection-Reply for its control connection (it may have begun after it), so whether the control connection came up cannot be told."
	case !s.CallReplied:
		return "The capture holds no reply to its call request, so whether the call was connected cannot be told."
	case !pptpGRESeen(v):
		noGRE := true
		for _, a := range c.Captures {
			noGRE = noGRE && pptpNoGRECaptured(a)
		}
		what := "the capture holds no GRE at all"
		if c.Two() {
			what = "neither capture holds any GRE at all"
		}
		if noGRE {
			return "No GRE of the call was captured in either direction, and " + what + ": a capture filter such as \"tcp port 1723\" leaves GRE (IP protocol 47) out, so whether its data flowed cannot be told."
		}
		return "No GRE of the call was captured in either direction, though other GRE was, so whether its data flowed cannot be told."
	case s.GREIn == 0 && s.GREInShared > 0:
		return fmt.Sprintf("The server's GRE to %s carries the call ID of another call as well (see VP402), so which of it (%s) was this call's cannot be told.", s.Client.Addr(), words.Count(s.GREInShared, "packet"))
	case s.GREIn == 0 && s.GREOut > 0:
		return fmt.Sprintf("%s went from the client to the server and none came back in the capture: too few to tell whether the server's GRE is lost (VP401 judges from %d).",
			dpUpper(words.Count(s.GREOut, "GRE packet")), max(c.Config.Thresholds.OneWayPackets, 1))
	case s.GREOut == 0 && s.GREIn > 0:
		return fmt.Sprintf("%s went from the server to the client and the client sent none in the capture: too few to tell whether the client's GRE is lost (VP401 judges from %d).",
			dpUpper(words.Count(s.GREIn, "GRE packet")), max(c.Config.Thresholds.OneWayPackets, 1))
	}
	return ""
}

// dpUpper starts a sentence with its first letter in upper case.
func dpUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// sessionVerdicts decides each PPTP call's verdict, given the findings
// by subject.
func sessionVerdicts(c *Context, by bySubject) []Verdict {
	out := make([]Verdict, 0, len(c.Sessions))
	pv := c.pptpCalls()
	for _, v := range c.Sessions {
		out = append(out, sessionVerdict(pv, v, by.session[v.ID]))
	}
	return out
}
