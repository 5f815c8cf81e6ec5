package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
)

// transportModeWithoutNATOA detects transport-mode SAs across a NAT where
// the original addresses needed to fix the inner checksums are not sent:
// an IKEv1 Quick Mode proposing UDP-Encapsulated-Transport mode (4, or the
// draft's 61444) with no NAT-OA payload, or IKEv2's USE_TRANSPORT_MODE
// across a NAT.
//
// In transport mode the inner TCP/UDP checksum covers the IP addresses,
// which the NAT rewrote in the outer header; the receiver must correct it
// from the original addresses — NAT-OA in IKEv1 (RFC 3947 §5.2), the
// traffic selectors in IKEv2 (RFC 7296 §2.23.1). Without them, inner
// packets (L2TP/IPsec above all) fail their checksum.
//
// Prefer tunnel mode across NATs; for L2TP/IPsec make sure both peers send
// and use NAT-OA (update old clients), or let the receiver ignore inner
// checksums for the SA.
//
// Only fires when transport mode shows in cleartext, which needs Quick Mode
// or IKE_AUTH unencrypted (decrypted captures); otherwise it stays silent.
// Medium confidence: NAT-OA may travel in a message the capture does not
// show in clear.
type transportModeWithoutNATOA struct{}

func (transportModeWithoutNATOA) Meta() Meta {
	return Meta{
		ID:         "VP314",
		Slug:       "transport-mode-without-natoa",
		Title:      "Transport mode across a NAT without original addresses (NAT-OA)",
		Severity:   Warning,
		Confidence: Medium,
		Explanation: "The peers set up a transport-mode SA through a NAT. In transport mode the TCP or UDP checksum inside ESP " +
			"covers the original IP addresses, which the NAT has rewritten in the outer header, so the receiver must correct it " +
			"with the original addresses: IKEv1 sends them in NAT-OA payloads, IKEv2 in the traffic selectors. No NAT-OA was " +
			"sent here (or, in IKEv2, the receiver must rely on the selectors); inner packets such as L2TP then fail their " +
			"checksum and are dropped. The rule only sees this when the negotiation is visible in cleartext.",
		Remedy: "Use tunnel mode across NATs where possible. For L2TP/IPsec, make sure both peers send and honour NAT-OA (update " +
			"old clients; Windows needs AssumeUDPEncapsulationContextOnSendRule for a server behind NAT), or have the receiver " +
			"skip inner checksum verification for UDP-encapsulated transport-mode SAs (Linux does for L2TP).",
		References: []string{"RFC 3947 §5.2", "RFC 3948 §3.1.2", "RFC 7296 §2.23.1", "IBM AIX \"Limitations when using NAT\""},
		Catalogue:  []string{"NT20"},
	}
}

func (r transportModeWithoutNATOA) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		var tmIn, tmOut, natoa int
		var in, out []int
		for _, s := range viewSides(v) {
			tr := &v.Sides[s].NATTrace
			natoa += tr.NATOA.Count()
			if n := tr.TransportMode.Count(); n > 0 {
				addSideFrames(s, tr.TransportMode.List(), &in, &out)
				if s == flows.SideInside {
					tmIn = n
				} else {
					tmOut = n
				}
			}
		}
		if tmIn+tmOut == 0 {
			continue
		}
		if !v.NAT.Present() {
			continue
		}
		t, side := primarySide(v)
		if t.NATTrace.TransportMode.Count() == 0 {
			side = 1 - side
			t = v.Sides[side]
		}
		frames := t.NATTrace.TransportMode.List()
		var b strings.Builder
		if t.Version == 1 {
			if natoa > 0 {
				continue
			}
			fmt.Fprintf(&b, "Quick Mode proposes transport mode (%s) across the NAT in front of the %s (%s), but no NAT-OA payload was sent: "+
				"the receiver cannot correct the inner TCP/UDP checksums, which cover the original addresses, and drops or corrupts the packets",
				sideFrameList(c, side, firstFrames(frames, 4)), natedPeers(t, &v.NAT), howNATIsKnown(&v.NAT))
		} else {
			fmt.Fprintf(&b, "the peers set up transport mode (USE_TRANSPORT_MODE, %s) across the NAT in front of the %s (%s): IKEv2 has no NAT-OA, "+
				"so the receiver must restore the original addresses from the traffic selectors to correct inner TCP/UDP checksums, which not every implementation does",
				sideFrameList(c, side, firstFrames(frames, 4)), natedPeers(t, &v.NAT), howNATIsKnown(&v.NAT))
		}
		report(Finding{Confidence: Medium, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)})
	}
}
