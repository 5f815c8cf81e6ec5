package rules

import (
	"net/netip"
	"slices"

	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds what the IKE negotiation (VP1xx) and capture quality
// (VP9xx) rules share: wording of durations, exchanges and frame lists,
// finding a tunnel and an exchange in the other capture, and the captures'
// spans.

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
