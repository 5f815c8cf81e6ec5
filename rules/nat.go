package rules

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds what rules say about where the NAT sits. flows decided
// it once per tunnel (TunnelView.NAT, a flows.NATAssessment); rules read
// that and word it here: how sure a finding resting on it can be, how the
// NAT is known, and which peers sit behind it. What one capture shows of
// a translation by itself (translatedHere, floatedInitiator) is here too.

// natConfidence is how sure a finding that rests on where the NAT sits can
// be: high when a translation or a NAT-D hash proves it, medium when only
// address ranges suggest it, low otherwise.
func natConfidence(a *flows.NATAssessment) Confidence {
	switch a.Certainty {
	case flows.NATProven:
		return High
	case flows.NATInferred:
		return Medium
	}
	return Low
}

// howNATIsKnown says, for each peer behind a NAT, what shows it: the
// peer's reason alone when one peer is, "initiator: ...; responder: ..."
// when both are; with no NAT, how that is known.
func howNATIsKnown(a *flows.NATAssessment) string {
	if a.Position == flows.NATNone {
		return a.Reason
	}
	var hows []string
	for _, r := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
		if a.Behind(r) {
			hows = append(hows, a.Peers[r].Reason)
		}
	}
	switch len(hows) {
	case 1:
		return hows[0]
	case 2:
		return "initiator: " + hows[0] + "; responder: " + hows[1]
	}
	return ""
}

// natShownByNATD reports whether NAT-D hashes show a peer behind the NAT.
func natShownByNATD(a *flows.NATAssessment) bool {
	for _, r := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
		if !a.Behind(r) {
			continue
		}
		for _, b := range a.Peers[r].Basis {
			if b == flows.BasisNATDDestination || b == flows.BasisNATDSource {
				return true
			}
		}
	}
	return false
}

// natedRole returns the role behind the NAT, the initiator when both are.
func natedRole(a *flows.NATAssessment) flows.Role {
	if a.Position == flows.NATResponder {
		return flows.RoleResponder
	}
	return flows.RoleInitiator
}

// natedPeers names the peers behind the NAT: "initiator 10.0.0.2",
// "initiator 10.0.0.2 and the responder 198.51.100.7".
func natedPeers(t *flows.Tunnel, a *flows.NATAssessment) string {
	switch a.Position {
	case flows.NATBoth:
		return peerAddr(t, flows.RoleInitiator) + " and the " + peerAddr(t, flows.RoleResponder)
	case flows.NATResponder:
		return peerAddr(t, flows.RoleResponder)
	}
	return peerAddr(t, flows.RoleInitiator)
}

// translatedHere reports whether the capture shows a tunnel's initiator as
// translated by a NAT: the initiator's own NAT-D source hash does not match
// the address and port captured (and is not a forced-encapsulation fake).
// Only a capture outside the initiator's NAT sees that.
func translatedHere(t *flows.Tunnel) bool {
	return t.NATD[flows.RoleInitiator].SourceMismatch && !slices.Contains(t.NATDFaked(), flows.RoleInitiator.String())
}

// floatedInitiator returns the initiator's endpoint right after the NAT-T
// float: the port its NAT-T socket (or the NAT's mapping of it) uses. One
// host floats all its IKE SAs from one socket, so two IKE SAs with
// different floated ports from one address come from different hosts
// behind a NAT. Later changes (a return to port 500, a new mapping) do not
// count.
func floatedInitiator(t *flows.Tunnel) (netip.AddrPort, bool) {
	if !t.Float {
		return netip.AddrPort{}, false
	}
	for _, ch := range t.EndpointChanges {
		if ch.Peer == flows.RoleInitiator && (ch.Frame == t.FloatFrame || ch.Float) {
			return ch.To, true
		}
	}
	return netip.AddrPort{}, false
}

// rawESPFate says what the NAT did with a tunnel's raw ESP, from the
// correlation: outbound from the NATed peer as seen inside, inbound to it as
// seen outside.
func rawESPFate(c *Context, v *flows.TunnelView, nated flows.Role) string {
	in, out := v.Sides[flows.SideInside], v.Sides[flows.SideOutside]
	if in == nil {
		return ""
	}
	natedIn := firstEndpoint(in, nated).Addr()
	var sentOut, fwdOut, sentIn, fwdIn int
	for _, sa := range in.ESPSAs {
		if sa.Raw == 0 || sa.AH || sa.Src != natedIn {
			continue
		}
		sentOut += sa.Fate().Forwarded + sa.Fate().Dropped
		fwdOut += sa.Fate().Forwarded
	}
	if out != nil {
		natedOut := firstEndpoint(out, nated).Addr()
		for _, sa := range out.ESPSAs {
			if sa.Raw == 0 || sa.AH || sa.Dst != natedOut {
				continue
			}
			sentIn += sa.Fate().Forwarded + sa.Fate().Dropped
			fwdIn += sa.Fate().Forwarded
		}
	}
	if sentOut+sentIn == 0 {
		return ""
	}
	var parts []string
	if sentOut > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d outbound", fwdOut, sentOut))
	}
	if sentIn > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d inbound", fwdIn, sentIn))
	}
	s := "the NAT forwarded " + joinWithAnd(parts) + " raw ESP packets"
	switch {
	case fwdOut+fwdIn == 0:
		s += ": IPsec Passthrough is off or does not track this SA"
	case fwdOut == sentOut && fwdIn == sentIn:
		var ms []*flows.Mapping
		if c.Two() {
			ms = c.Correlation.MappingsOf(flows.ProtoESP, netip.AddrPortFrom(natedIn, 0))
		}
		if len(ms) > 0 {
			s += fmt.Sprintf(" (as %s): IPsec Passthrough is on", ms[0].Outside.Addr())
		} else {
			s += ": IPsec Passthrough is on"
		}
	}
	return s
}
