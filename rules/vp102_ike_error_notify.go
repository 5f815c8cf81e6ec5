package rules

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/flows"
)

// ikeErrorNotify detects IKE error notifications: in cleartext, IKEv1
// Notification payloads of an error type (below 8192, RFC 2408 §3.14.1),
// such as NO-PROPOSAL-CHOSEN, INVALID-ID-INFORMATION or PAYLOAD-MALFORMED,
// and IKEv2 error notifies outside the encrypted payload (RFC 7296
// §3.10.1), such as NO_PROPOSAL_CHOSEN or INVALID_SYNTAX in an IKE_SA_INIT
// response; with keys (--keys), also those inside the encryption, such as
// AUTHENTICATION_FAILED in an IKE_AUTH response.
//
// An error notify is the peer saying why it refuses the negotiation: the
// proposals share no algorithm, the identities or traffic selectors do not
// match, the message could not be decrypted (a wrong pre-shared key in
// IKEv1 Main Mode shows as PAYLOAD-MALFORMED or INVALID-HASH-INFORMATION),
// or the state the message refers to is unknown.
//
// The fix depends on the notify; the finding carries the remedy for the
// common ones. INVALID_KE_PAYLOAD (another Diffie-Hellman group, please)
// and COOKIE are part of a normal IKE_SA_INIT and are left to VP103;
// UNEXPECTED_NAT_DETECTED and UNACCEPTABLE_ADDRESSES to VP110.
//
// A cleartext notify is exactly what the peer sent, so confidence is high.
// Most IKEv2 errors after IKE_SA_INIT are encrypted and invisible without
// keys; with them a notify is read only from a message whose integrity
// check passed, so it too is what the peer sent. The finding says which
// notifies were read decrypted and names the key's file and line, never
// the key.
type ikeErrorNotify struct{}

func (ikeErrorNotify) Meta() Meta {
	return Meta{
		ID:         "VP102",
		Slug:       "ike-error-notify",
		Title:      "IKE peer refused the negotiation with an error notify",
		Severity:   Error,
		Confidence: High,
		Explanation: "One IKE peer sent an error notification — in cleartext, or inside the encrypted payload where the keys given " +
			"with --keys let vpnpcap read it — which ends the negotiation: the peers disagree on " +
			"algorithms (NO_PROPOSAL_CHOSEN), on identities or traffic selectors (INVALID-ID-INFORMATION), on " +
			"authentication (AUTHENTICATION_FAILED, or PAYLOAD-MALFORMED and INVALID-HASH-INFORMATION when an IKEv1 peer " +
			"decrypts Main Mode with the wrong pre-shared key), or one peer lost the state the other refers to (INVALID_IKE_SPI, " +
			"INVALID-COOKIE). It is a configuration mismatch between the peers, not a NAT problem, unless something on the " +
			"path mangled the packets.",
		Remedy: "Compare the two peers' configuration for the item the notify names. NO_PROPOSAL_CHOSEN: make the IKE (Phase 1) " +
			"and ESP (Phase 2) proposals overlap — encryption, integrity/PRF and DH group (strongSwan proposals=/esp_proposals=, " +
			"libreswan ike=/esp=, Windows Set-VpnConnectionIPsecConfiguration). INVALID-ID-INFORMATION / TS_UNACCEPTABLE: " +
			"align local and remote IDs and subnets (leftid/rightid, leftsubnet/rightsubnet, crypto ACLs). AUTHENTICATION_FAILED, " +
			"PAYLOAD-MALFORMED, INVALID-HASH-INFORMATION: check the pre-shared key or certificates on both sides. INVALID_IKE_SPI: " +
			"the peer restarted or forgot the SA; let the initiator start over.",
		References: []string{
			"RFC 7296 §3.10.1 (Notify message types)",
			"RFC 7296 §2.21 (error handling)",
			"RFC 2408 §3.14.1 (Notify message types)",
			"RFC 2407 §4.6.3 (IPsec DOI notify messages)",
		},
	}
}

// vp102Skip lists the IKEv2 error types other rules report: normal
// IKE_SA_INIT retries (VP103) and MOBIKE address notifies (VP110).
var vp102Skip = []decode.NotifyType{
	decode.NotifyTypeInvalidKEPayload,
	decode.NotifyTypeUnexpectedNATDetected,
	decode.NotifyTypeUnacceptableAddresses,
}

// ikev1LastError is the last IKEv1 error type: 8192–16383 are reserved for
// private use (RFC 2408 §3.14.1) and vendors use them for status.
const ikev1LastError = 8191

// notifyKey groups the sightings of one notify type from one peer.
type notifyKey struct {
	from flows.Role
	typ  decode.NotifyType
}

type notifySightings struct {
	frames [2][]int // by side
	// more counts, by side, the sightings past those listed
	// (flows.NotifySeen.More).
	more [2]int
	// decrypted and plain count the sightings read inside the
	// encryption and in cleartext; key is the key that decrypted the
	// first of the former.
	decrypted, plain int
	key              keys.Source
}

// collectNotifies gathers the notifies of a tunnel view that keep says
// yes to, by sender and type, from both captures.
func collectNotifies(v *flows.TunnelView, list func(*flows.Tunnel) []flows.NotifySeen, keep func(version uint8, n flows.NotifySeen) bool) (map[notifyKey]*notifySightings, []notifyKey) {
	out := map[notifyKey]*notifySightings{}
	var order []notifyKey
	for s, t := range v.Sides {
		if t == nil {
			continue
		}
		for _, n := range list(t) {
			if !keep(t.Version, n) {
				continue
			}
			k := notifyKey{n.From, n.Type}
			g := out[k]
			if g == nil {
				g = &notifySightings{}
				out[k] = g
				order = append(order, k)
			}
			g.more[s] += n.More
			if !slices.Contains(g.frames[s], n.Frame) {
				g.frames[s] = append(g.frames[s], n.Frame)
				if n.Decrypted {
					if g.decrypted == 0 {
						g.key = n.Key
					}
					g.decrypted += 1 + n.More
				} else {
					g.plain += 1 + n.More
				}
			}
		}
	}
	slices.SortStableFunc(order, func(a, b notifyKey) int {
		if c := cmp.Compare(a.from, b.from); c != 0 {
			return c
		}
		return cmp.Compare(a.typ, b.typ)
	})
	return out, order
}

func (r ikeErrorNotify) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		t := v.Any()
		got, order := collectNotifies(v, func(t *flows.Tunnel) []flows.NotifySeen { return t.ErrorNotifies },
			func(version uint8, n flows.NotifySeen) bool {
				if version == 1 {
					return n.Type > 0 && n.Type <= ikev1LastError
				}
				return n.Type.IsError() && !slices.Contains(vp102Skip, n.Type)
			})
		for _, k := range order {
			g := got[k]
			name := k.typ.Name(t.Version)
			sender := firstEndpoint(t, k.from)
			msg := fmt.Sprintf("the %s %s sent %s (%d) %s%s%s", k.from, sender.Addr(), name, k.typ,
				howOften(max(len(g.frames[0])+g.more[0], len(g.frames[1])+g.more[1])), r.context(t, k), g.seenWords())
			if hint := notifyHint(t.Version, k.typ); hint != "" {
				msg += "; " + hint
			}
			f := Finding{Tunnel: v.ID, Confidence: High, Message: msg, Decrypted: g.decrypted > 0}
			for s := range g.frames {
				f.Evidence = append(f.Evidence, c.Evidence(flows.Side(s), g.frames[s]...)...)
			}
			// The peers may have recovered: a later attempt of the same IKE
			// SA that completed makes this refusal history, not the reason
			// the tunnel fails.
			if recovered, at := recoveredAfter(v, g.frames); recovered {
				// History, not the reason the tunnel fails: milder, and
				// never the verdict's failure even if configured up.
				f.Confidence = Low
				f.Milder = true
				f.Message += fmt.Sprintf("; the negotiation went on and completed afterwards (frame %d), so this refusal did not keep the tunnel down", at)
				if stall, side, frame := stallAfter(v, g.frames); stall != "" {
					f.Message += "; " + stall
					f.Evidence = append(f.Evidence, c.Evidence(side, frame)...)
				}
			}
			if rem := notifyRemedy(t.Version, k.typ); rem != "" {
				f.Remedy = rem
			}
			report(f)
		}
	}
}

// seenWords says how the notify was read, when decryption showed it:
// inside the encrypted payload, with which key (its file and line; never
// the key).
func (g *notifySightings) seenWords() string {
	switch {
	case g.decrypted == 0:
		return ""
	case g.plain == 0:
		return ", read decrypted (inside the encrypted payload, opened with the key of " + g.key.String() + ")"
	}
	return ", in cleartext and, read decrypted, inside the encrypted payload (opened with the key of " + g.key.String() + ")"
}

// context says in which exchange a notify came: the request it answered,
// or for IKEv1 the Informational exchange that carries notifications.
func (ikeErrorNotify) context(t *flows.Tunnel, k notifyKey) string {
	for _, e := range t.Exchanges {
		if slices.Contains(e.ResponseNotifies, k.typ) && e.From != k.from {
			return " in answer to " + exchangeLabel(t, e)
		}
	}
	if t.Version == 1 {
		return " in an Informational message"
	}
	return ""
}

// notifyHint says in a few words what a notify means.
func notifyHint(version uint8, typ decode.NotifyType) string {
	if version == 1 {
		switch typ {
		case decode.NotifyTypeV1NoProposalChosen:
			return "the sender accepts none of the proposals offered"
		case decode.NotifyTypeV1InvalidIDInformation:
			return "the identities or the Quick Mode traffic selectors did not match"
		case decode.NotifyTypeV1PayloadMalformed, decode.NotifyTypeV1InvalidHashInformation:
			return "the peer could not decrypt or verify the message: usually a pre-shared key mismatch, or a device that altered the packet"
		case decode.NotifyTypeV1AuthenticationFailed, decode.NotifyTypeV1InvalidSignature:
			return "authentication failed: check the pre-shared key or certificates"
		case decode.NotifyTypeV1InvalidCookie:
			return "the peer has no state for these cookies: it restarted or the SA expired"
		}
		return ""
	}
	switch typ {
	case decode.NotifyTypeNoProposalChosen:
		return "the sender accepts none of the proposals offered"
	case decode.NotifyTypeInvalidSyntax:
		return "the peer found the message malformed: an incompatible implementation, or a device that altered it"
	case decode.NotifyTypeAuthenticationFailed:
		return "authentication failed: check the pre-shared key or certificates and the identities"
	case decode.NotifyTypeInvalidIKESPI:
		return "the peer has no IKE SA with these SPIs: it restarted or deleted it"
	case decode.NotifyTypeTSUnacceptable:
		return "the traffic selectors (subnets) did not match"
	case decode.NotifyTypeTemporaryFailure:
		return "the peer cannot go on right now (a collision of simultaneous rekeys); it is retried"
	}
	return ""
}

// notifyRemedy gives the remedy for the common notifies.
func notifyRemedy(version uint8, typ decode.NotifyType) string {
	proposals := "Make the proposals of the two peers overlap: the same encryption, integrity/PRF algorithm and Diffie-Hellman " +
		"group for IKE and for ESP (strongSwan proposals= and esp_proposals=, libreswan ike= and esp=, Cisco crypto ikev2 proposal / " +
		"isakmp policy, Windows Set-VpnConnectionIPsecConfiguration). The responder's log names the proposals it received."
	auth := "Check the pre-shared key or the certificates on both peers, and that each peer's configured remote identity " +
		"(strongSwan remote.id/rightid, libreswan rightid) matches the identity the other peer sends."
	ids := "Align the identities and the protected subnets of the two peers (leftid/rightid, leftsubnet/rightsubnet, " +
		"Cisco crypto ACLs): each side's local subnet must be the other side's remote subnet."
	if version == 1 {
		switch typ {
		case decode.NotifyTypeV1NoProposalChosen, decode.NotifyTypeV1AttributesNotSupported, decode.NotifyTypeV1InvalidTransformID:
			return proposals
		case decode.NotifyTypeV1InvalidIDInformation:
			return ids
		case decode.NotifyTypeV1PayloadMalformed, decode.NotifyTypeV1InvalidHashInformation,
			decode.NotifyTypeV1AuthenticationFailed, decode.NotifyTypeV1InvalidSignature:
			return auth
		}
		return ""
	}
	switch typ {
	case decode.NotifyTypeNoProposalChosen:
		return proposals
	case decode.NotifyTypeAuthenticationFailed:
		return auth
	case decode.NotifyTypeTSUnacceptable, decode.NotifyTypeInvalidSelectors:
		return ids
	}
	return ""
}

// recoveredAfter reports whether the tunnel became established after the
// last of the given notify frames, in the capture that saw them, and at
// which frame.
func recoveredAfter(v *flows.TunnelView, frames [2][]int) (bool, int) {
	for side, fs := range frames {
		t := v.Sides[side]
		if t == nil || len(fs) == 0 || !t.Established() {
			continue
		}
		_, at := t.EstablishedAt()
		if at > slices.Max(fs) {
			return true, at
		}
	}
	return false, 0
}

// stallAfter says how long the negotiation stood still after a refusal:
// the tunnel's longest silence, when it began at the refusal (an
// unauthenticated notify that the other peer ignores leaves both waiting
// for a retransmission).
func stallAfter(v *flows.TunnelView, frames [2][]int) (string, flows.Side, int) {
	for side, fs := range frames {
		t := v.Sides[side]
		if t == nil || len(fs) == 0 || t.LargestGap < time.Second || !slices.Contains(fs, t.GapBefore) {
			continue
		}
		return fmt.Sprintf("it cost a %.1f s stall: nothing moved between the refusal (frame %d) and frame %d, %s",
			t.LargestGap.Seconds(), t.GapBefore, t.GapAfter, resumedBy(t, t.GapAfter)), flows.Side(side), t.GapAfter
	}
	return "", 0, 0
}

// resumedBy says what the message at a frame was: a retransmission that
// ended the wait, or the next message.
func resumedBy(t *flows.Tunnel, frame int) string {
	for _, e := range t.Exchanges {
		for _, fr := range [2]*flows.Frames{&e.RequestFrames, &e.ResponseFrames} {
			list := fr.List()
			if i := slices.Index(list, frame); i > 0 {
				who := e.From
				if fr == &e.ResponseFrames {
					who = 1 - e.From
				}
				return fmt.Sprintf("where the %s retransmitted its %s message", who, e.Type)
			}
		}
	}
	return "the next message of the negotiation"
}
