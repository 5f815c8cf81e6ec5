package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// A verdict's headline is its outcome's reason in a short phrase, for the
// line a report opens with ("tunnel 1 fails: IKE over UDP 4500 (or all
// UDP) is blocked between the peers"), with the rule that decided it and
// the frames that show it. It says no more than the summary does: the
// title of the finding that decided a failure, the state the captures
// left the negotiation in, or how the ESP that shows it works travelled.

// maxHeadlineEvidence bounds a headline's frames: the first few show it,
// the finding lists the rest.
const maxHeadlineEvidence = 8

// decidedBy sets the headline of a verdict a finding decided.
func (vd *Verdict) decidedBy(f *Finding) {
	vd.Headline, vd.Rule = f.Title, f.RuleID
	vd.Evidence = firstEvidence(f.Evidence)
}

func firstEvidence(ev []Evidence) []Evidence {
	out := make([]Evidence, 0, min(len(ev), maxHeadlineEvidence))
	return append(out, ev[:min(len(ev), maxHeadlineEvidence)]...)
}

// tunnelHeadline sets the headline of a tunnel's verdict, once its outcome
// is decided; worst is the finding that decided a failure or an outage.
func tunnelHeadline(c *Context, v *flows.TunnelView, vd *Verdict, worst *Finding, raw, udp, tcp, ah int) {
	side := flows.SideInside
	t := v.Sides[side]
	if t == nil {
		side, t = flows.SideOutside, v.Sides[flows.SideOutside]
	}
	stateEvidence := c.Evidence(side, t.StateEvidence...)
	switch {
	case worst != nil && vd.Outage != "":
		vd.decidedBy(worst)
		vd.Headline = "recovered from an outage: " + lowerFirst(worst.Title)
	case worst != nil:
		vd.decidedBy(worst)
	case vd.Outcome == OutcomeUnknown:
		vd.Headline = strings.TrimSuffix(vd.Undecided, ".")
		vd.Evidence = firstEvidence(stateEvidence)
	case !vd.Works:
		vd.Headline = vd.Failure
		vd.Evidence = firstEvidence(stateEvidence)
	default:
		vd.Headline = espHeadline(v, raw, udp, tcp, ah)
		vd.Evidence = firstEvidence(stateEvidence)
	}
}

// espHeadline says how the ESP of a tunnel that works travelled.
func espHeadline(v *flows.TunnelView, raw, udp, tcp, ah int) string {
	enc := udp + tcp
	switch {
	case enc > 0 && raw == 0:
		switch lost := v.ESPLost(); {
		case v.NAT.Position == flows.NATNone:
			return fmt.Sprintf("its %s travelled inside %s, though no NAT is in the path", words.Count(enc, "ESP packet"), encapWords(udp, tcp))
		case !v.NAT.Present():
			return fmt.Sprintf("its %s travelled inside %s", words.Count(enc, "ESP packet"), encapWords(udp, tcp))
		case lost > 0:
			return fmt.Sprintf("its %s travelled inside %s; %s lost at the NAT", words.Count(enc, "ESP packet"), encapWords(udp, tcp), wasWere(lost, "packet"))
		}
		return fmt.Sprintf("its %s crossed the NAT inside %s", words.Count(enc, "ESP packet"), encapWords(udp, tcp))
	case raw > 0 && enc > 0:
		return mixedHeadline(raw, udp, tcp)
	case raw > 0:
		return fmt.Sprintf("its %s travelled raw (IP protocol 50)", words.Count(raw, "ESP packet"))
	case ah > 0:
		return fmt.Sprintf("it uses AH: %s", words.Count(ah, "packet"))
	}
	return "the IKE SA came up; no ESP in the capture"
}

// sessionHeadline sets the headline of a PPTP call's verdict.
func sessionHeadline(c *Context, v *flows.SessionView, vd *Verdict, worst *Finding) {
	side := flows.SideInside
	s := v.Sides[side]
	if s == nil {
		side, s = flows.SideOutside, v.Sides[flows.SideOutside]
	}
	switch {
	case worst != nil:
		vd.decidedBy(worst)
	case s.ControlReplied && s.ControlResult != 1:
		vd.Headline = fmt.Sprintf("the server refused the control connection (result %d)", s.ControlResult)
		vd.Evidence = c.Evidence(side, s.ControlReplyFrame)
	case s.CallReplied && s.CallResult != 1:
		vd.Headline = fmt.Sprintf("the server refused the call (result %d)", s.CallResult)
		vd.Evidence = c.Evidence(side, s.CallReplyFrame)
	case vd.Outcome == OutcomeUnknown:
		vd.Headline = lowerFirst(strings.TrimSuffix(vd.Undecided, "."))
	default:
		vd.Headline = fmt.Sprintf("its GRE went both ways: %s out, %d in", words.Count(s.GREOut, "packet"), s.GREIn)
		vd.Evidence = c.Evidence(side, s.CallReplyFrame)
	}
}

// mixedHeadline says how ESP went that went both raw and encapsulated.
func mixedHeadline(raw, udp, tcp int) string {
	return fmt.Sprintf("its ESP went raw (%s) and inside %s (%s)", words.Count(raw, "packet"), encapWords(udp, tcp), words.Count(udp+tcp, "packet"))
}

// groupHeadline sets the headline of the verdict of ESP without a tunnel.
func groupHeadline(vd *Verdict, worst *Finding, count flows.ESPCount) {
	switch {
	case worst != nil:
		vd.decidedBy(worst)
	case count.Raw > 0 && count.UDP+count.TCP > 0:
		vd.Headline = mixedHeadline(count.Raw, count.UDP, count.TCP)
	case count.Raw > 0:
		vd.Headline = fmt.Sprintf("its %s travelled raw (IP protocol 50)", words.Count(count.Raw, "ESP packet"))
	case count.AH > 0 && count.ESP() == 0:
		vd.Headline = fmt.Sprintf("it uses AH: %s", words.Count(count.AH, "packet"))
	default:
		vd.Headline = fmt.Sprintf("its %s travelled inside %s", words.Count(count.UDP+count.TCP, "ESP packet"), encapWords(count.UDP, count.TCP))
	}
}

// lowerFirst lowercases a sentence's first letter, for a clause.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' || len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
