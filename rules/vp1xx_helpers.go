package rules

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds what the IKE negotiation (VP1xx) and capture quality
// (VP9xx) rules share: wording of durations, exchanges and frame lists,
// finding a tunnel and an exchange in the other capture, and the captures'
// spans.

// otherSideOf returns the other capture's side.
func otherSideOf(s flows.Side) flows.Side { return 1 - s }

// primarySide returns the tunnel a rule reads first and its side: the inside
// capture's when there is one, which is nearest to the initiator in the
// usual set-up, else the outside capture's.
func primarySide(v *flows.TunnelView) (*flows.Tunnel, flows.Side) {
	if v.Sides[flows.SideInside] != nil {
		return v.Sides[flows.SideInside], flows.SideInside
	}
	return v.Sides[flows.SideOutside], flows.SideOutside
}

// sameExchange returns the exchange of t with the same message ID, requester
// and type as e, or nil.
func sameExchange(t *flows.Tunnel, e *flows.Exchange) *flows.Exchange {
	if t == nil {
		return nil
	}
	for _, x := range t.Exchanges {
		if x.MessageID == e.MessageID && x.From == e.From && x.Type == e.Type {
			return x
		}
	}
	return nil
}

// firstEndpoint returns a peer's first endpoint.
func firstEndpoint(t *flows.Tunnel, r flows.Role) netip.AddrPort {
	if r == flows.RoleInitiator {
		return t.InitiatorFirst
	}
	return t.ResponderFirst
}

// isWindowsVendorID reports whether a vendor ID name is one Windows sends
// (MS-IKEE §2.2.3: "MS NT5 ISAKMPOAKLEY" with a version, and the Microsoft
// and Windows capability VIDs).
func isWindowsVendorID(name string) bool {
	return strings.HasPrefix(name, "MS NT5 ISAKMPOAKLEY") || strings.HasPrefix(name, "Microsoft") ||
		strings.HasPrefix(name, "Windows") || strings.HasPrefix(name, "MS-")
}

// windowsVendorID returns the first Windows vendor ID a peer sent, on
// either side, or "".
func windowsVendorID(v *flows.TunnelView, r flows.Role) string {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		for _, n := range t.VendorIDs[r] {
			if isWindowsVendorID(n) {
				return n
			}
		}
	}
	return ""
}

// countTwoWayFlows counts the capture's UDP and TCP conversations and those of
// them with packets in both directions, whether the analysis keeps flows of
// other traffic or summarises it (flows.Options.SummarizeOther).
func countTwoWayFlows(a *flows.Analysis) (twoWay, total int) {
	return a.Conversations()
}

// ikeOneWay reports whether every IKE message of a capture went one way:
// requests and no response at all, from any peer. It returns the number of
// IKE messages.
func ikeOneWay(a *flows.Analysis) (oneWay bool, messages int) {
	if len(a.Tunnels) == 0 {
		return false, 0
	}
	oneWay = true
	for _, t := range a.Tunnels {
		messages += t.Messages
		if !tunnelIKEOneWay(t) {
			oneWay = false
		}
	}
	return oneWay, messages
}

// looksOneSided reports whether a capture shows one direction only: IKE
// without any response, and no other conversation with packets both ways
// either. Unanswered requests in such a capture may have been answered
// where the capture could not see.
func looksOneSided(a *flows.Analysis) bool {
	oneWay, _ := ikeOneWay(a)
	if !oneWay {
		return false
	}
	twoWay, _ := countTwoWayFlows(a)
	return twoWay == 0
}

// sortedNames returns a map's keys in order.
func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// tunnelIKEOneWay reports whether no IKE message of a tunnel went from the
// responder of an exchange back to its requester.
func tunnelIKEOneWay(t *flows.Tunnel) bool {
	for _, e := range t.Exchanges {
		if e.Responses > 0 || e.Sends.From != e.From {
			return false
		}
	}
	return len(t.Exchanges) > 0
}

// espBothWays reports whether a tunnel's ESP flowed in both directions:
// then its IKE was answered, whatever the capture shows of it.
func espBothWays(t *flows.Tunnel) (bool, int) {
	var to, from, n int
	for _, sa := range t.ESPSAs {
		if sa.AH || sa.Packets() == 0 {
			continue
		}
		n += sa.Packets()
		if sa.Src == t.Initiator.Addr() || sa.Src == t.InitiatorFirst.Addr() {
			to++
		} else {
			from++
		}
	}
	return to > 0 && from > 0, n
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

// natOutsideAddress reports whether an address is one the NAT translated
// inside hosts to, as the correlation's mappings show.
func natOutsideAddress(c *Context, a netip.Addr) bool {
	if !c.Two() {
		return false
	}
	return c.Correlation.NATOutsideAddr(a)
}
