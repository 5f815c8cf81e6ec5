package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
)

// Passthrough dependence answers.
const (
	DependsYes     = "yes"
	DependsNo      = "no"
	DependsUnknown = "unknown"
)

// Verdict is the per-tunnel answer a user asks for.
type Verdict struct {
	// Tunnel is the IKE tunnel's ID, or Session the PPTP call's.
	Tunnel         int                 `json:"tunnel,omitempty"`
	Session        int                 `json:"session,omitempty"`
	NAT            flows.NATPosition   `json:"nat"`
	NATTNegotiated bool                `json:"natt_negotiated"`
	Encapsulation  flows.Encapsulation `json:"encapsulation"`
	// DependsOnPassthrough is "yes", "no" or "unknown"; Reason says why.
	DependsOnPassthrough string `json:"depends_on_passthrough"`
	Reason               string `json:"reason"`
	// Works is false when the tunnel failed; Failure says why, from the
	// most severe finding about it.
	Works   bool   `json:"works"`
	Failure string `json:"failure,omitempty"`
	// Summary is one plain sentence a customer can read.
	Summary string `json:"summary"`
}

// NAT returns where the NAT sits for a tunnel, from everything the
// captures say: the NAT-D hashes of each capture (a hash mismatching in
// either reveals a translation; hashes are void when an ALG rewrote the SPIs
// they cover, or when all of a capture's contradict each other), whether
// the IKE SA's addresses differ between the captures, whether the device
// translated the peers' other traffic, and — with nothing else to go on —
// a private address talking to a public one. Rules and the verdict share
// this one answer.
func (v *TunnelView) NAT() flows.NATPosition { return ntNATOf(nil, v).pos }

// NATTNegotiated reports whether the peers agreed on NAT traversal: both
// announced it (in either capture) and a NAT was detected, or they floated
// to 4500, or one faked the detection. An initiator that announced NAT-T
// and floated did so on the responder's NAT detection (RFC 7296 §2.23, RFC
// 3947 §4), which a capture seeing one direction only may not show.
func (v *TunnelView) NATTNegotiated() bool {
	announced, float, faked := false, false, false
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		announced = announced || t.NATTAnnounced()
		float = float || t.Float
		faked = faked || len(t.NATDFaked()) > 0
	}
	if !announced && !(float && initiatorAnnouncedNATT(v) && !responderSpoke(v)) {
		return false
	}
	switch v.NAT() {
	case flows.NATInitiator, flows.NATResponder, flows.NATBoth:
		return true
	}
	return float || faked
}

// Encapsulation returns how the tunnel's ESP travelled, combining both
// captures; "ah" for a tunnel that carried AH and no ESP.
func (v *TunnelView) Encapsulation() flows.Encapsulation {
	var c flows.ESPCount
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		for _, sa := range t.ESPSAs {
			c.Add(sa)
		}
	}
	return c.Encapsulation()
}

// ESPCounts returns the tunnel's ESP packets by how they travelled, from the
// capture that saw most of them.
func (v *TunnelView) ESPCounts() (raw, udp, tcp, ah int) {
	best := flows.ESPCount{}
	seen := false
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		var c flows.ESPCount
		for _, sa := range t.ESPSAs {
			c.Add(sa)
		}
		if !seen || c.ESP()+c.AH > best.ESP()+best.AH {
			best, seen = c, true
		}
	}
	return best.Raw, best.UDP, best.TCP, best.AH
}

// Verdicts decides each tunnel's verdict, given the findings, then each
// PPTP call's.
func Verdicts(c *Context, findings []Finding) []Verdict {
	out := make([]Verdict, 0, len(c.Tunnels)+len(c.Sessions))
	for _, v := range c.Tunnels {
		out = append(out, verdict(c, v, findings))
	}
	return append(out, SessionVerdicts(c, findings)...)
}

func verdict(c *Context, v *TunnelView, findings []Finding) Verdict {
	t := v.Any()
	vd := Verdict{
		Tunnel:         v.ID,
		NAT:            v.NAT(),
		NATTNegotiated: v.NATTNegotiated(),
		Encapsulation:  v.Encapsulation(),
		Works:          true,
	}
	var worst *Finding
	for i := range findings {
		f := &findings[i]
		// A low-confidence error (a refusal the peers recovered from, a
		// guess from one capture) does not decide that the tunnel fails.
		if f.Tunnel != v.ID || f.Severity != Error || f.Confidence < Medium {
			continue
		}
		// Findings come most severe first; a cause beats a symptom.
		if worst == nil || symptom(worst.RuleID) && !symptom(f.RuleID) {
			worst = f
		}
	}
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
	}
	raw, udp, tcp, ah := v.ESPCounts()
	natPresent := vd.NAT == flows.NATInitiator || vd.NAT == flows.NATResponder || vd.NAT == flows.NATBoth
	switch {
	case ah > 0 && raw+udp+tcp == 0 && natPresent:
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = "it uses AH, whose integrity check covers the IP addresses: no NAT, with or without Passthrough, can forward it intact"
	case raw+udp+tcp > 0 && raw == 0:
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = fmt.Sprintf("all %d ESP packets travelled inside %s, which a NAT translates like any other traffic", udp+tcp, encapWords(udp, tcp))
	case raw > 0 && natPresent:
		vd.DependsOnPassthrough = DependsYes
		if udp+tcp > 0 {
			vd.Reason = fmt.Sprintf("%d of its %d ESP packets travelled as raw ESP (IP protocol 50) through the NAT, which only Passthrough forwards", raw, raw+udp+tcp)
		} else {
			vd.Reason = fmt.Sprintf("its %d ESP packets travel as raw ESP (IP protocol 50) through the NAT, which only Passthrough forwards", raw)
		}
	case raw > 0 && vd.NAT == flows.NATNone:
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = "no NAT sits between the peers, so raw ESP needs no help"
	case raw > 0:
		vd.DependsOnPassthrough = DependsUnknown
		vd.Reason = "its ESP travels raw, but the capture does not show whether a NAT is in the path (no NAT-D payloads; add a capture from the other side)"
	case vd.NATTNegotiated && natPresent:
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = "no ESP was captured, but the peers negotiated NAT-T and detected the NAT, so ESP goes inside UDP 4500"
	case natPresent && initiatorAnnouncedNATT(v) && !responderSpoke(v):
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = "no ESP was captured and the responder never answered beyond refusing the negotiation, but the initiator announced NAT traversal, so once the NAT is detected its ESP goes inside UDP 4500"
	case natPresent && !responderSpoke(v):
		vd.DependsOnPassthrough = DependsUnknown
		vd.Reason = "no ESP was captured and the responder never answered beyond refusing the negotiation, so whether the peers would agree on NAT traversal cannot be told"
	case natPresent:
		vd.DependsOnPassthrough = DependsYes
		vd.Reason = "no ESP was captured, but a NAT sits between the peers and they did not negotiate NAT-T, so their ESP would travel raw and need Passthrough"
	case vd.NAT == flows.NATNone:
		vd.DependsOnPassthrough = DependsNo
		vd.Reason = "no NAT sits between the peers"
	default:
		vd.DependsOnPassthrough = DependsUnknown
		vd.Reason = "no ESP was captured and NAT detection did not complete"
	}
	vd.Summary = summary(v, vd, raw, udp, tcp, ah)
	return vd
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

func summary(v *TunnelView, vd Verdict, raw, udp, tcp, ah int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tunnel %d ", v.ID)
	switch {
	case raw+udp+tcp > 0 && raw == 0:
		if lost := v.espLost(); lost > 0 {
			fmt.Fprintf(&b, "uses NAT-T: all %d ESP packets travelled inside %s, though %d of them were lost at the NAT.", udp+tcp, encapWords(udp, tcp), lost)
		} else {
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
	if !vd.Works {
		b.WriteString(" It fails: " + vd.Failure)
		if !strings.HasSuffix(vd.Failure, ".") {
			b.WriteString(".")
		}
	}
	return b.String()
}

// initiatorAnnouncedNATT reports whether the initiator announced NAT
// traversal in either capture: IKEv2 NAT_DETECTION notifies, IKEv1 NAT-T
// vendor IDs.
func initiatorAnnouncedNATT(v *TunnelView) bool {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		if t.Version == 2 && t.NATD[flows.RoleInitiator].Sent || t.Version == 1 && len(t.NATTVendorIDs[flows.RoleInitiator]) > 0 {
			return true
		}
	}
	return false
}

// responderSpoke reports whether the responder said anything in either
// capture that shows how it stands on NAT traversal: NAT-D or NAT-T vendor
// IDs, or any answer other than a refusal.
//
// A responder that only refused the negotiation in cleartext — an
// IKE_SA_INIT answered with NO_PROPOSAL_CHOSEN or INVALID_KE_PAYLOAD and
// nothing else, an IKEv1 Informational with NO-PROPOSAL-CHOSEN — stopped
// before NAT detection (RFC 7296 §2.23 puts the NAT-D notifies in the
// successful IKE_SA_INIT response), so it said nothing about NAT
// traversal and does not count.
func responderSpoke(v *TunnelView) bool {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		if t.NATD[flows.RoleResponder].Sent || len(t.NATTVendorIDs[flows.RoleResponder]) > 0 {
			return true
		}
		refusals := map[int]bool{}
		for _, n := range t.ErrorNotifies {
			if n.From == flows.RoleResponder {
				refusals[n.Frame] = true
			}
		}
		for _, e := range t.Exchanges {
			frames := e.ResponseFrames
			if e.From == flows.RoleResponder {
				frames = e.RequestFrames
			}
			if frames.Count() == 0 {
				continue
			}
			refused := true
			for _, f := range frames.List() {
				refused = refused && refusals[f]
			}
			if !refused {
				return true
			}
		}
	}
	return false
}

// espLost counts the tunnel's ESP packets that one capture saw and the
// other, while both were running, did not: lost at the device between them.
func (v *TunnelView) espLost() int {
	n := 0
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		for _, sa := range t.ESPSAs {
			n += sa.Fate.Dropped
		}
	}
	return n
}

// symptom reports whether a rule describes a failure's symptom rather than
// its cause.
func symptom(id string) bool {
	r := Lookup(id)
	return r != nil && r.Meta().Symptom
}
