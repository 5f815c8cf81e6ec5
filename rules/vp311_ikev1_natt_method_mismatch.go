package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// ikev1NATTMethodMismatch detects IKEv1 peers that both announce NAT
// traversal but in versions that do not meet: the vendor IDs of Main or
// Aggressive Mode have no NAT-T method in common (drafts against RFC 3947),
// or NAT-D comes with the payload type of another method than the one
// agreed (20 for RFC 3947, 130 for drafts 00 to 03).
//
// IKEv1 negotiates NAT-T by vendor ID (RFC 3947 §3.1); peers that share no
// method run without NAT-T, so a NAT between them leaves ESP raw and the
// tunnel to IPsec Passthrough (VP301). A NAT-D payload of the wrong type is
// not understood, NAT detection fails, and the peers do not float (old
// Cisco IOS with broken RFC 3947 support is the known case).
//
// Make both peers offer a common method: enable RFC 3947 on the old peer
// (update it), or let the modern one also send the drafts (libreswan sends
// RFC and drafts 02/02n/03 by default; nat-ikev1-method=drafts).
//
// Needs NAT-T vendor IDs from both peers; a peer that sends none is
// VP301's. The payload type is only checked for methods whose type is
// known (RFC 3947 and draft 05: 20; drafts 00 to 03: 130).
type ikev1NATTMethodMismatch struct{}

func (ikev1NATTMethodMismatch) Meta() Meta {
	return Meta{
		ID:         "VP311",
		Slug:       "ikev1-natt-method-mismatch",
		Title:      "IKEv1 NAT-T methods do not match (RFC 3947 vs drafts)",
		Severity:   Error,
		Confidence: High,
		Explanation: "IKEv1 peers announce NAT traversal with vendor IDs: RFC 3947 or one of the drafts before it. Both peers " +
			"announced NAT traversal here, but in versions that do not meet — the sets of vendor IDs share no method, or NAT-D " +
			"was sent with the payload type of another method (20 for RFC 3947, 130 for the early drafts). Without a common " +
			"method NAT traversal is off and ESP goes raw through the NAT; with a wrong NAT-D type NAT detection fails and the " +
			"peers never float to port 4500.",
		Remedy: "Make the peers share a NAT-T method: enable or fix RFC 3947 support on the older peer (update old Cisco IOS " +
			"and Openswan releases), or let the other peer offer the drafts as well (libreswan nat-ikev1-method=both, the default; " +
			"strongSwan sends RFC 3947 and drafts). Prefer IKEv2, whose NAT traversal has no such variants.",
		References: []string{"RFC 3947 §3.1, §3.2", "draft-ietf-ipsec-nat-t-ike-02", "libreswan nat-ikev1-method", "MS-IKEE §2.2.2"},
		Catalogue:  []string{"NT11"},
	}
}

// ntNATDTypeOf returns the NAT-D payload type a NAT-T method uses: 20 for
// RFC 3947 and draft 05 (libreswan treats it as the RFC), 130 for drafts 00
// to 03; 0 when not known.
func ntNATDTypeOf(method string) decode.PayloadType {
	if strings.HasPrefix(method, "RFC 3947") {
		return decode.PayloadTypeV1NATD
	}
	const draft = "draft-ietf-ipsec-nat-t-ike-0"
	if !strings.HasPrefix(method, draft) || len(method) <= len(draft) {
		return 0
	}
	switch method[len(draft)] {
	case '0', '1', '2', '3':
		return decode.PayloadTypeV1NATDDraft
	case '5':
		return decode.PayloadTypeV1NATD
	}
	return 0
}

func (r ikev1NATTMethodMismatch) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		t, side := primarySide(v)
		if t.Version != 1 {
			continue
		}
		ini, resp := flows.RoleInitiator, flows.RoleResponder
		vi, vr := t.NATTVendorIDs[ini], t.NATTVendorIDs[resp]
		if len(vi) == 0 || len(vr) == 0 {
			continue
		}
		common := ""
		for _, x := range vi {
			if slices.Contains(vr, x) {
				common = x
				break
			}
		}
		var b strings.Builder
		var natdFrames []int
		if common == "" {
			fmt.Fprintf(&b, "the initiator offered NAT traversal as %s and the responder as %s: no method in common, so neither peer floats to UDP 4500 or encapsulates ESP",
				strings.Join(vi, ", "), strings.Join(vr, ", "))
			if v.NAT.Present() {
				fmt.Fprintf(&b, "; with the NAT in front of the %s (%s), ESP travels raw and depends on IPsec Passthrough", natedPeers(t, &v.NAT), howNATIsKnown(&v.NAT))
			}
		} else {
			want := ntNATDTypeOf(common)
			if want == 0 {
				continue
			}
			var wrong []string
			for _, role := range []flows.Role{ini, resp} {
				for _, pt := range t.NATD[role].PayloadTypes {
					if pt != want && (pt == decode.PayloadTypeV1NATD || pt == decode.PayloadTypeV1NATDDraft) {
						wrong = append(wrong, fmt.Sprintf("the %s sent NAT-D as payload type %d (%s)", role.String(), pt,
							sideFrameList(c, side, firstFrames(t.NATD[role].Frames.List(), 4))))
						natdFrames = append(natdFrames, t.NATD[role].Frames.List()...)
					}
				}
			}
			if len(wrong) == 0 {
				continue
			}
			fmt.Fprintf(&b, "the peers agreed on NAT traversal as %s, whose NAT-D payload type is %d, but %s: a peer that follows the "+
				"agreed method ignores it, so NAT detection fails and the peers do not float to UDP 4500", common, want, joinWithAnd(wrong))
		}
		var in, out []int
		for _, s := range viewSides(v) {
			st := v.Sides[s]
			frames := firstIKEFrames(st, 2)
			if s == side {
				frames = append(frames, natdFrames...)
			}
			addSideFrames(s, frames, &in, &out)
		}
		report(Finding{Confidence: High, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)})
	}
}
