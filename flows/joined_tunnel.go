package flows

import "github.com/vpnpcap/vpnpcap/decode"

// What a tunnel's sides show together about NAT traversal and ESP.

// NATTNegotiated reports whether the peers agreed on NAT traversal: both
// announced it (in either capture) and a NAT was detected, or they floated
// to 4500, or one faked the detection. An initiator that announced NAT-T
// and floated did so on the responder's NAT detection (RFC 7296 §2.23, RFC
// 3947 §4), which a capture seeing one direction only may not show.
func (v *TunnelView) NATTNegotiated() bool {
	if v.Predecessor != nil {
		return v.Predecessor.NATTNegotiated()
	}
	announced, float, faked := false, false, false
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		announced = announced || t.NATTAnnounced()
		float = float || t.Float
	}
	faked = len(v.NAT.NATDFakedRoles()) > 0
	if !announced && !(float && v.InitiatorAnnouncedNATT() && !v.ResponderSpoke()) {
		return false
	}
	if v.NAT.Present() {
		return true
	}
	return float || faked
}

// Encapsulation returns how the tunnel's ESP travelled, combining both
// captures; "ah" for a tunnel that carried AH and no ESP.
func (v *TunnelView) Encapsulation() Encapsulation {
	var c ESPCount
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
	best := ESPCount{}
	seen := false
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		var c ESPCount
		for _, sa := range t.ESPSAs {
			c.Add(sa)
		}
		if !seen || c.ESP()+c.AH > best.ESP()+best.AH {
			best, seen = c, true
		}
	}
	return best.Raw, best.UDP, best.TCP, best.AH
}

// InitiatorAnnouncedNATT reports whether the initiator announced NAT
// traversal in either capture: IKEv2 NAT_DETECTION notifies, IKEv1 NAT-T
// vendor IDs.
func (v *TunnelView) InitiatorAnnouncedNATT() bool {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		if t.Version == 2 && t.NATD[RoleInitiator].Sent || t.Version == 1 && len(t.NATTVendorIDs[RoleInitiator]) > 0 {
			return true
		}
	}
	return false
}

// ResponderSpoke reports whether the responder said anything in either
// capture that shows how it stands on NAT traversal: NAT-D or NAT-T vendor
// IDs, or any answer other than a refusal.
//
// A responder that only refused the negotiation in cleartext — an
// IKE_SA_INIT answered with NO_PROPOSAL_CHOSEN or INVALID_KE_PAYLOAD and
// nothing else, an IKEv1 Informational with NO-PROPOSAL-CHOSEN — stopped
// before NAT detection (RFC 7296 §2.23 puts the NAT-D notifies in the
// successful IKE_SA_INIT response), so it said nothing about NAT
// traversal and does not count.
func (v *TunnelView) ResponderSpoke() bool {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		if t.NATD[RoleResponder].Sent || len(t.NATTVendorIDs[RoleResponder]) > 0 {
			return true
		}
		refusals := map[int]bool{}
		for _, n := range t.ErrorNotifies {
			if n.From == RoleResponder {
				refusals[n.Frame] = true
			}
		}
		// A COOKIE request sends the initiator back before NAT
		// detection too (RFC 7296 §2.6).
		for _, n := range t.StatusNotifies {
			if n.From == RoleResponder && n.Type == decode.NotifyTypeCookie {
				refusals[n.Frame] = true
			}
		}
		for _, e := range t.Exchanges {
			frames := e.ResponseFrames
			if e.From == RoleResponder {
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

// ESPLost counts the tunnel's ESP packets that one capture saw and the
// other, while both were running, did not: lost at the device between them.
func (v *TunnelView) ESPLost() int {
	n := 0
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		for _, sa := range t.ESPSAs {
			n += sa.Fate().Dropped
		}
	}
	return n
}
