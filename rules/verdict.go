package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
)

// Outcomes of a verdict.
const (
	OutcomeWorks   = "works"
	OutcomeFails   = "fails"
	OutcomeUnknown = "unknown"
)

// Passthrough dependence answers.
const (
	DependsYes     = "yes"
	DependsNo      = "no"
	DependsUnknown = "unknown"
)

// Verdict is the per-tunnel answer a user asks for.
type Verdict struct {
	// Tunnel is the IKE tunnel's ID, Session the PPTP call's, or Group
	// the ESP group's (SAs without a tunnel).
	Tunnel         int                 `json:"tunnel,omitempty"`
	Session        int                 `json:"session,omitempty"`
	Group          int                 `json:"esp_group,omitempty"`
	NAT            flows.NATPosition   `json:"nat"`
	NATTNegotiated bool                `json:"natt_negotiated"`
	Encapsulation  flows.Encapsulation `json:"encapsulation"`
	// DependsOnPassthrough is "yes", "no" or "unknown"; Reason says why.
	DependsOnPassthrough string `json:"depends_on_passthrough"`
	Reason               string `json:"reason"`
	// Works is false when the tunnel failed; Failure says why, from the
	// most severe finding about it. A tunnel whose data path failed and
	// then carried ESP both ways again, with nothing lost, works: Outage
	// says what failed and Recovered how it came back.
	Works bool `json:"works"`
	// Outcome is "works", "fails", or "unknown" when the captures show
	// neither (the negotiation is cut short, the responder's answer is
	// missing); Works is true only for "works".
	Outcome string `json:"outcome"`
	Failure string `json:"failure,omitempty"`
	// Undecided says, for the outcome "unknown", what is missing.
	Undecided string `json:"undecided,omitempty"`
	Outage    string `json:"outage,omitempty"`
	Recovered string `json:"recovered,omitempty"`
	// RetriedAs is the tunnel that retried this negotiation after the
	// responder sent it back (INVALID_KE_PAYLOAD, COOKIE): its verdict is
	// this one's.
	RetriedAs int `json:"retried_as,omitempty"`
	// Headline is the outcome's reason in a short phrase, for the line a
	// report opens with: the title of the finding that decided a failure
	// (Rule names it), the state the negotiation was left in, or how the
	// ESP of a tunnel that works travelled. Evidence holds the first
	// frames that show it.
	Headline string     `json:"headline"`
	Rule     string     `json:"rule,omitempty"`
	Evidence []Evidence `json:"evidence,omitempty"`
	// Summary is one plain sentence a customer can read.
	Summary string `json:"summary"`
}

// Verdicts decides each tunnel's verdict, given the findings, then each
// PPTP call's.
func Verdicts(c *Context, findings []Finding) []Verdict {
	out := make([]Verdict, len(c.Tunnels), len(c.Tunnels)+len(c.Sessions))
	by := findingsBySubject(findings)
	eachParallel(len(c.Tunnels), func(i int) {
		v := c.Tunnels[i]
		out[i] = verdict(c, v, by.tunnel[v.ID])
	})
	for i, v := range c.Tunnels {
		retriedAs(c, v, out, &out[i])
	}
	out = append(out, sessionVerdicts(c, by)...)
	for _, g := range c.Groups {
		out = append(out, groupVerdict(c, g, by.group[g.ID]))
	}
	for i := range out {
		if out[i].Outcome == "" {
			out[i].Outcome = OutcomeFails
			if out[i].Works {
				out[i].Outcome = OutcomeWorks
			}
		}
	}
	return out
}

// bySubject holds findings by the tunnel, PPTP call and ESP group they are
// about, in their order: each verdict weighs those about its subject, and
// looking them up costs nothing however many subjects there are.
type bySubject struct {
	tunnel, session, group map[int][]Finding
}

func findingsBySubject(findings []Finding) bySubject {
	by := bySubject{tunnel: map[int][]Finding{}, session: map[int][]Finding{}, group: map[int][]Finding{}}
	for _, f := range findings {
		if f.Tunnel != 0 {
			by.tunnel[f.Tunnel] = append(by.tunnel[f.Tunnel], f)
		}
		if f.Session != 0 {
			by.session[f.Session] = append(by.session[f.Session], f)
		}
		if f.Group != 0 {
			by.group[f.Group] = append(by.group[f.Group], f)
		}
	}
	return by
}

// verdict decides one tunnel's verdict, given the findings about it:
// whether it works, whether it depends on Passthrough, and the summary
// that says so.
func verdict(c *Context, v *flows.TunnelView, findings []Finding) Verdict {
	t := v.Any()
	vd := Verdict{
		Tunnel:         v.ID,
		NAT:            v.NAT.Position,
		NATTNegotiated: v.NATTNegotiated(),
		Encapsulation:  v.Encapsulation(),
		Works:          true,
	}
	// A low-confidence error (a refusal the peers recovered from, a guess
	// from one capture) does not decide that the tunnel fails.
	worst := worstError(findings, func(f *Finding) bool { return f.Tunnel == v.ID })
	judgeFailure(c, v, &vd, worst)
	raw, udp, tcp, ah := v.ESPCounts()
	if vd.Works && raw+udp+tcp+ah == 0 {
		if why := authUnread(v); why != "" {
			vd.Works, vd.Outcome, vd.Undecided = false, OutcomeUnknown, why
		}
	}
	if vd.Works && !establishedInEither(v) && raw+udp+tcp+ah == 0 {
		// Neither failed nor shown to work: the negotiation is cut
		// short, or the answer that decides it is not in the capture.
		vd.Works, vd.Outcome = false, OutcomeUnknown
		vd.Undecided = t.StateReason
		if t.RetryRefusal == 0 {
			for _, st := range v.Sides {
				if st != nil && st.State == flows.StateNegotiating {
					vd.Undecided = st.StateReason
				}
			}
		}
	}
	vd.DependsOnPassthrough, vd.Reason = tunnelPassthrough(v, vd.NATTNegotiated, raw, udp, tcp, ah)
	vd.Summary = summary(v, vd, raw, udp, tcp, ah)
	tunnelHeadline(c, v, &vd, worst, raw, udp, tcp, ah)
	for _, s := range []string{espExactSentence(v), innerTrafficSentence(c, v), endSentence(c, v)} {
		if s != "" {
			vd.Summary += " " + s
		}
	}
	return vd
}

// judgeFailure decides whether the tunnel failed, and why: an error
// finding (worst, the most severe) or a side whose state is failed. An
// outage that a recoverable rule reports is not a failure when ESP later
// crossed both ways on new SAs.
func judgeFailure(c *Context, v *flows.TunnelView, vd *Verdict, worst *Finding) {
	t := v.Any()
	failed := false
	for _, s := range v.Sides {
		// flows already counts a request followed by a higher message ID
		// from the same peer as answered (a one-direction capture).
		if s != nil && s.State == flows.StateFailed {
			failed = true
		}
	}
	if worst != nil || failed {
		vd.Works = false
		switch {
		case worst != nil:
			vd.Failure = worst.Title + ": " + worst.Message
		default:
			vd.Failure = t.StateReason
		}
		if worst != nil && recoverable[worst.RuleID] && !failed {
			if frame, side, ok := espRecovered(c, v); ok {
				vd.Works = true
				vd.Outage = vd.Failure
				vd.Failure = ""
				vd.Recovered = fmt.Sprintf("ESP crossed the NAT both ways again on new SAs from %s frame %d", side, frame)
				if !c.Two() {
					vd.Recovered = fmt.Sprintf("ESP flowed both ways again on new SAs from frame %d", frame)
				}
			}
		}
	}
}

// tunnelPassthrough says whether the tunnel depends on Passthrough, and
// why, from its NAT assessment, whether NAT-T was negotiated, and its ESP
// packets by encapsulation (raw, in UDP, in TCP) and its AH packets.
func tunnelPassthrough(v *flows.TunnelView, natt bool, raw, udp, tcp, ah int) (depends, reason string) {
	natPresent, nat := v.NAT.Present(), v.NAT.Position
	switch {
	case ah > 0 && raw+udp+tcp == 0 && natPresent:
		depends = DependsNo
		reason = "it uses AH, whose integrity check covers the IP addresses: no NAT, with or without Passthrough, can forward it intact"
	case raw+udp+tcp > 0 && raw == 0:
		depends = DependsNo
		reason = fmt.Sprintf("all %d ESP packets travelled inside %s, which a NAT translates like any other traffic", udp+tcp, encapWords(udp, tcp))
	case raw > 0 && natPresent:
		depends = DependsYes
		if udp+tcp > 0 {
			reason = fmt.Sprintf("%d of its %d ESP packets travelled as raw ESP (IP protocol 50) through the NAT, which only Passthrough forwards", raw, raw+udp+tcp)
		} else {
			reason = fmt.Sprintf("its %d ESP packets travel as raw ESP (IP protocol 50) through the NAT, which only Passthrough forwards", raw)
		}
	case raw > 0 && nat == flows.NATNone:
		depends = DependsNo
		reason = "no NAT sits between the peers, so raw ESP needs no help"
	case raw > 0:
		depends = DependsUnknown
		reason = "its ESP travels raw, but the capture does not show whether a NAT is in the path (no NAT-D payloads; add a capture from the other side)"
	case natt && natPresent:
		depends = DependsNo
		reason = "no ESP was captured, but the peers negotiated NAT-T and detected the NAT, so ESP goes inside UDP 4500"
	case natPresent && !v.ResponderSpoke():
		depends = DependsUnknown
		reason = "no ESP was captured and " + responderSilence(v) + ", so whether the peers would agree on NAT traversal cannot be told"
		if v.InitiatorAnnouncedNATT() {
			reason += " (the initiator offered it: if the responder accepts, ESP goes inside UDP 4500 and needs no Passthrough)"
		}
	case natPresent:
		depends = DependsYes
		reason = "no ESP was captured, but a NAT sits between the peers and they did not negotiate NAT-T, so their ESP would travel raw and need Passthrough"
	case nat == flows.NATNone:
		depends = DependsNo
		reason = "no NAT sits between the peers"
	case v.NAT.NATDVoid != "":
		depends = DependsUnknown
		reason = "no ESP was captured and the NAT-D hashes cannot tell whether a NAT is in the path: " + v.NAT.NATDVoid
	default:
		depends = DependsUnknown
		reason = "no ESP was captured and NAT detection did not complete"
	}
	return depends, reason
}

func encapWords(udp, tcp int) string {
	switch {
	case udp > 0 && tcp > 0:
		return "UDP and TCP"
	case tcp > 0:
		return "TCP (RFC 9329)"
	}
	return "UDP 4500"
}

func summary(v *flows.TunnelView, vd Verdict, raw, udp, tcp, ah int) string {
	var b strings.Builder
	if p := v.Predecessor; p != nil {
		t := v.Any()
		how := ""
		if t.RekeyExact {
			how = ", whose SA payloads, read decrypted, named the new SPIs"
		}
		fmt.Fprintf(&b, "Tunnel %d replaced tunnel %d's IKE SA (0x%016x) when it was rekeyed (CREATE_CHILD_SA at frame %d%s). ",
			v.ID, p.ID, p.Any().SPIi, t.RekeyFrame, how)
	}
	fmt.Fprintf(&b, "Tunnel %d ", v.ID)
	switch {
	case raw+udp+tcp > 0 && raw == 0:
		switch lost := v.ESPLost(); {
		case v.NAT.Position == flows.NATNone:
			fmt.Fprintf(&b, "encapsulates ESP although no NAT is in the path: all %d ESP packets travelled inside %s", udp+tcp, encapWords(udp, tcp))
			if len(v.NAT.NATDFakedRoles()) > 0 {
				b.WriteString(", because a peer forces UDP encapsulation")
			}
			b.WriteString(".")
		case !v.NAT.Present():
			fmt.Fprintf(&b, "encapsulates ESP: all %d ESP packets travelled inside %s.", udp+tcp, encapWords(udp, tcp))
		case lost > 0:
			fmt.Fprintf(&b, "uses NAT-T: all %d ESP packets travelled inside %s, though %d of them were lost at the NAT.", udp+tcp, encapWords(udp, tcp), lost)
		default:
			fmt.Fprintf(&b, "uses NAT-T: all %d ESP packets crossed the NAT inside %s.", udp+tcp, encapWords(udp, tcp))
		}
	case raw > 0 && udp+tcp > 0:
		fmt.Fprintf(&b, "mixes encapsulations: %d ESP packets went raw and %d inside UDP.", raw, udp+tcp)
	case raw > 0:
		fmt.Fprintf(&b, "sends raw ESP (IP protocol 50): %d packets.", raw)
	case ah > 0:
		fmt.Fprintf(&b, "uses AH: %d packets.", ah)
	default:
		b.WriteString("carried no ESP in the capture.")
	}
	switch vd.DependsOnPassthrough {
	case DependsNo:
		b.WriteString(" It does not depend on IPsec Passthrough")
		if raw+udp+tcp > 0 && raw == 0 {
			b.WriteString("; turning Passthrough off cannot affect it.")
		} else {
			b.WriteString(": " + vd.Reason + ".")
		}
	case DependsYes:
		b.WriteString(" It depends on IPsec Passthrough: " + vd.Reason + ".")
	default:
		b.WriteString(" Whether it depends on IPsec Passthrough cannot be told: " + vd.Reason + ".")
	}
	switch {
	case vd.Outcome == OutcomeUnknown:
		b.WriteString(" Whether it works cannot be told: " + strings.TrimSuffix(vd.Undecided, ".") + ".")
	case !vd.Works:
		b.WriteString(" It fails: " + vd.Failure)
		if !strings.HasSuffix(vd.Failure, ".") {
			b.WriteString(".")
		}
	}
	if vd.Outage != "" {
		b.WriteString(" It failed for a while: " + strings.TrimSuffix(vd.Outage, ".") + "; then it recovered: " + vd.Recovered + ".")
	}
	return b.String()
}

// responderSilence says how far the responder got: not at all in the
// captures, or only as far as refusing or sending the initiator back.
func responderSilence(v *flows.TunnelView) string {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		for _, e := range t.Exchanges {
			if e.From == flows.RoleInitiator && e.ResponseFrames.Count() > 0 || e.From == flows.RoleResponder && e.RequestFrames.Count() > 0 {
				return "the responder only refused the negotiation or asked the initiator to start over (no NAT detection yet)"
			}
		}
	}
	return "no answer from the responder is in the capture"
}

// symptom reports whether a rule describes a failure's symptom rather than
// its cause.
func symptom(id string) bool {
	r := Lookup(id)
	return r != nil && r.Meta().Symptom
}

// recoverable lists the rules whose failure a tunnel can recover from
// without a new negotiation: data-plane losses, which end when the NAT
// mapping or the SAs are renewed.
var recoverable = map[string]bool{"VP201": true, "VP204": true, "VP305": true, "VP308": true}

// espRecovered reports whether the tunnel carried ESP in both directions
// on SAs that began after the last SA that lost packets ended, and lost
// none of them: the data path works again. It returns the first frame of
// the later of the two directions' new SAs, in the capture that shows it.
func espRecovered(c *Context, v *flows.TunnelView) (frame int, side flows.Side, ok bool) {
	var lostEnd time.Time
	for s, t := range v.Sides {
		if t == nil {
			continue
		}
		for _, sa := range t.ESPSAs {
			if sa.Fate().Dropped == 0 {
				continue
			}
			end := sa.Last
			if s == int(flows.SideOutside) && c.Two() {
				end = c.Correlation.ToInside(end)
			}
			if end.After(lostEnd) {
				lostEnd = end
			}
		}
	}
	if lostEnd.IsZero() {
		return 0, 0, false
	}
	side = flows.SideInside
	t := v.Sides[side]
	if t == nil {
		side, t = flows.SideOutside, v.Sides[flows.SideOutside]
	}
	var first [2]*flows.ESPSA
	for _, sa := range t.ESPSAs {
		start := sa.First
		if side == flows.SideOutside && c.Two() {
			start = c.Correlation.ToInside(start)
		}
		if !start.After(lostEnd) || sa.Fate().Dropped > 0 || sa.Packets() == 0 {
			continue
		}
		d := 0
		if sa.Src == t.Responder.Addr() || sa.Src == t.ResponderFirst.Addr() {
			d = 1
		}
		if first[d] == nil || sa.First.Before(first[d].First) {
			first[d] = sa
		}
	}
	if first[0] == nil || first[1] == nil {
		return 0, 0, false
	}
	return max(first[0].Frames.First(), first[1].Frames.First()), side, true
}

// retriedAs makes the verdict of a negotiation the responder sent back
// (INVALID_KE_PAYLOAD, COOKIE) and the initiator retried under new SPIs
// that of its retry: the refusal was a step of one negotiation, not its
// outcome, and what the retry shows decides whether it depends on
// Passthrough and works. tunnels holds the tunnels' verdicts, in view
// order.
func retriedAs(c *Context, v *flows.TunnelView, tunnels []Verdict, vd *Verdict) {
	for s, t := range v.Sides {
		if t == nil || t.RetriedAs == 0 {
			continue
		}
		a := c.Capture(flows.Side(s))
		if a == nil || t.RetriedAs > len(a.Tunnels) {
			continue
		}
		retry := c.ViewOf(flows.Side(s), a.Tunnels[t.RetriedAs-1])
		if retry == nil || retry.ID-1 >= len(tunnels) {
			continue
		}
		rv := &tunnels[retry.ID-1]
		where := ""
		if c.Two() {
			where = flows.Side(s).String() + " "
		}
		vd.RetriedAs = retry.ID
		vd.NATTNegotiated = rv.NATTNegotiated
		vd.Encapsulation = rv.Encapsulation
		vd.DependsOnPassthrough = rv.DependsOnPassthrough
		vd.Reason = fmt.Sprintf("its retry, tunnel %d, decides: %s", retry.ID, rv.Reason)
		vd.Works, vd.Failure, vd.Outcome, vd.Undecided = rv.Works, rv.Failure, rv.Outcome, rv.Undecided
		vd.Summary = fmt.Sprintf("Tunnel %d was sent back with %s (%sframe %d) and retried as tunnel %d from the same address and port; see tunnel %d, whose outcome is this negotiation's.",
			v.ID, t.RetryRefusal.Name(2), where, t.RetryRefusalFrame, retry.ID, retry.ID)
		vd.Headline = fmt.Sprintf("sent back with %s and retried as tunnel %d, whose outcome is this one's", t.RetryRefusal.Name(2), retry.ID)
		vd.Rule, vd.Evidence = "", c.Evidence(flows.Side(s), t.RetryRefusalFrame)
		return
	}
}
