package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// ikeAddressChange reports address and port changes of an IKE SA's peers
// other than the NAT-T float from 500 to 4500, and the MOBIKE and NAT
// notifies that explain or refuse them (RFC 4555): UPDATE_SA_ADDRESSES,
// UNEXPECTED_NAT_DETECTED, NO_NATS_ALLOWED, UNACCEPTABLE_ADDRESSES and the
// MOBIKE_SUPPORTED announcement, where they travel in cleartext.
//
// A peer whose address or port changes mid-SA moved (MOBIKE: Wi-Fi to
// mobile data), or the NAT in front of it gave it a new mapping (the old one
// expired, or the NAT rebooted). The peers cope when MOBIKE or NAT-T
// updates the SA; otherwise the other peer keeps sending to the old
// address. NO_NATS_ALLOWED and UNEXPECTED_NAT_DETECTED mean a peer refuses
// to continue through a NAT.
//
// This is context for other findings (VP1xx retransmissions, VP3xx
// keepalive and mapping findings): look at what happened at the frames
// listed. If a NAT mapping changed, keep it alive (NAT-T keepalives below
// the NAT's UDP timeout); if a peer refuses NAT, allow NAT in its MOBIKE
// settings or remove the NAT.
//
// The changes are seen directly; whether they hurt is for other rules to
// say, hence info.
type ikeAddressChange struct{}

func (ikeAddressChange) Meta() Meta {
	return Meta{
		ID:         "VP110",
		Slug:       "ike-address-change",
		Title:      "IKE peer address or port changed (MOBIKE, NAT rebinding)",
		Severity:   Info,
		Confidence: High,
		TimeUse:    "the order of the peers' addresses and ports",
		OrderOnly:  true,
		Explanation: "An IKE peer's address or port changed during the IKE SA, other than the normal NAT-T move from port 500 " +
			"to 4500, or the peers exchanged MOBIKE (RFC 4555) address notifications in cleartext. A peer that roams " +
			"(MOBIKE) changes address on purpose; a NAT that lost or replaced its mapping changes the port or address the " +
			"other peer sees. Peers that support MOBIKE or follow NAT-T port changes cope; others keep sending to the old " +
			"address and the tunnel stalls. NO_NATS_ALLOWED or UNEXPECTED_NAT_DETECTED mean a peer refuses to go on through " +
			"a NAT.",
		Remedy: "Use this as context for the other findings about the same tunnel. If a NAT changed the mapping, keep it alive " +
			"(NAT-T keepalives shorter than the NAT's UDP timeout, e.g. strongSwan charon.keep_alive, libreswan " +
			"keep-alive=) or lengthen the NAT's UDP timeout. If a peer refuses NAT (NO_NATS_ALLOWED, UNEXPECTED_NAT_DETECTED), " +
			"allow NAT in its MOBIKE settings or disable MOBIKE (strongSwan mobike=no) when the path includes a NAT.",
		References: []string{
			"RFC 4555 §3.5 (UPDATE_SA_ADDRESSES)",
			"RFC 4555 §3.9 (NO_NATS_ALLOWED, UNEXPECTED_NAT_DETECTED)",
			"RFC 7296 §2.23 (peers behind NAT: dynamic updates of the other peer's address)",
			"RFC 3947 §4 (port changes in IKEv1 NAT-T)",
		},
		Catalogue: []string{"NT26"},
	}
}

// vp110Notifies are the notify types the rule reports.
var vp110Notifies = map[decode.NotifyType]string{
	decode.NotifyTypeUpdateSAAddresses:     "the sender moved to a new address",
	decode.NotifyTypeUnexpectedNATDetected: "the sender refuses the NAT it found (the SA was set up with NO_NATS_ALLOWED)",
	decode.NotifyTypeNoNATsAllowed:         "the sender forbids NAT between the peers",
	decode.NotifyTypeUnacceptableAddresses: "the sender refused the new addresses",
	decode.NotifyTypeMOBIKESupported:       "the sender supports MOBIKE",
}

// vp110MaxChanges bounds the changes a message lists.
const vp110MaxChanges = 3

func (r ikeAddressChange) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		var parts []string
		var frames [2][]int
		for s, t := range v.Sides {
			if t == nil {
				continue
			}
			var changes []flows.EndpointChange
			for i, ch := range t.EndpointChanges {
				if !r.floatRelated(t, i) {
					changes = append(changes, ch)
				}
			}
			if len(changes) == 0 {
				continue
			}
			var b strings.Builder
			where := ""
			if c.Two() {
				where = " (" + flows.Side(s).String() + " capture)"
			}
			fmt.Fprintf(&b, "%s of the IKE SA's peers%s: ", words.Count(len(changes), "address or port change"), where)
			for i, ch := range changes {
				if i == vp110MaxChanges {
					fmt.Fprintf(&b, ", and %s more", words.Thousands(len(changes)-i))
					break
				}
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "the %s from %s to %s at frame %d", ch.Peer, ch.From, ch.To, ch.Frame)
				frames[s] = append(frames[s], ch.Frame)
			}
			if n := t.EndpointChangesNotKept; n > 0 {
				// Past the bound, changes are counted only: which of them
				// went to a new endpoint cannot be told.
				fmt.Fprintf(&b, "; %s followed, past the %d the IKE SA records, not told apart from returns to earlier endpoints",
					words.Count(n, "further change"), len(t.EndpointChanges))
			}
			parts = append(parts, b.String())
		}
		t := v.Any()
		if t.Version == 2 {
			got, order := collectNotifies(v, func(t *flows.Tunnel) []flows.NotifySeen {
				return append(append([]flows.NotifySeen(nil), t.ErrorNotifies...), t.StatusNotifies...)
			}, func(_ uint8, n flows.NotifySeen) bool {
				_, ok := vp110Notifies[n.Type]
				return ok
			})
			onlyMOBIKE := true
			for _, k := range order {
				g := got[k]
				if k.typ != decode.NotifyTypeMOBIKESupported {
					onlyMOBIKE = false
				}
				f0 := g.frames[0]
				if len(f0) == 0 {
					f0 = g.frames[1]
				}
				parts = append(parts, fmt.Sprintf("the %s sent %s (frame %d): %s", k.from, k.typ, f0[0], vp110Notifies[k.typ]))
				for s := range g.frames {
					frames[s] = append(frames[s], g.frames[s]...)
				}
			}
			if onlyMOBIKE && len(parts) == len(order) {
				// A MOBIKE announcement alone, without any change, is
				// not worth a finding.
				continue
			}
		}
		if len(parts) == 0 {
			continue
		}
		report(Finding{Tunnel: v.ID, Confidence: High, Message: strings.Join(parts, "; "), Evidence: evidenceFromBoth(c, frames[0], frames[1])})
	}
}

// floatRelated reports whether a change belongs to the NAT-T float rather
// than to roaming or a new NAT mapping: the float itself, a change on the
// same address at the tunnel's float (a peer whose IKE ports are not 500
// and 4500, or a NAT that maps 4500 to another port), a return to the
// peer's first endpoint (IKE going back to the pre-float port, which VP309
// judges), or a return to an endpoint the peer had already moved to (back
// to the NAT-T port after such a detour): no endpoint new to the SA.
func (ikeAddressChange) floatRelated(t *flows.Tunnel, i int) bool {
	ch := t.EndpointChanges[i]
	switch {
	case ch.Float:
		return true
	case ch.From.Addr() != ch.To.Addr():
		return false
	case t.Float && ch.Frame == t.FloatFrame:
		return true
	case ch.To == firstEndpoint(t, ch.Peer):
		return true
	}
	// The changes are in the order the table saw them, which is time
	// order: frame numbers need not grow in a capture whose time ran
	// backwards.
	for _, e := range t.EndpointChanges[:i] {
		if e.Peer == ch.Peer && e.To == ch.To {
			return true
		}
	}
	return false
}
