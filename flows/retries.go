package flows

import (
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// retryWindow is how soon after a refusal the initiator's new IKE_SA_INIT
// must follow to be its retry: strongSwan and libreswan retry at once, one
// round trip later.
const retryWindow = 10 * time.Second

// linkRetries ties each IKEv2 negotiation that a responder sent back — with
// INVALID_KE_PAYLOAD (another Diffie-Hellman group, RFC 7296 §1.2) or
// COOKIE (RFC 7296 §2.6) — and that never went further under its SPIs, to
// the new IKE SA the initiator started from the same address and port to
// the same responder right after: the attempt it retried. Time, not file
// order, decides: merged captures list packets out of order.
func linkRetries(tunnels []*Tunnel) {
	byPeers := map[string][]*Tunnel{}
	for _, t := range tunnels {
		if t.Version != 2 {
			continue
		}
		k := t.InitiatorFirst.String() + ">" + t.ResponderFirst.Addr().String()
		byPeers[k] = append(byPeers[k], t)
	}
	for _, ts := range byPeers {
		if len(ts) < 2 {
			continue
		}
		for _, t := range ts {
			refusal, at, frame := t.retryRequest()
			if refusal == 0 {
				continue
			}
			var best *Tunnel
			var bestStart time.Time
			for _, u := range ts {
				if u == t || u.RetryOf != 0 {
					continue
				}
				start, ok := u.firstInitRequest()
				if !ok || start.Before(at) || start.Sub(at) > retryWindow {
					continue
				}
				if best == nil || start.Before(bestStart) {
					best, bestStart = u, start
				}
			}
			if best != nil {
				t.RetriedAs, t.RetryRefusal, t.RetryRefusalFrame = best.ID, refusal, frame
				best.RetryOf = t.ID
			}
		}
	}
}

// retryRequest returns the notify with which the responder asked the
// initiator to start over, when and at which frame, if the IKE SA went no
// further than IKE_SA_INIT: 0 otherwise.
func (t *Tunnel) retryRequest() (decode.NotifyType, time.Time, int) {
	if t.established {
		return 0, time.Time{}, 0
	}
	var last *Exchange
	for _, e := range t.Exchanges {
		if e.Type != decode.ExchangeTypeIKESAInit {
			return 0, time.Time{}, 0
		}
		if last == nil || e.Last.After(last.Last) {
			last = e
		}
	}
	if last == nil || !last.Answered {
		return 0, time.Time{}, 0
	}
	for _, n := range last.ResponseNotifies {
		if n == decode.NotifyTypeInvalidKEPayload || n == decode.NotifyTypeCookie {
			return n, last.Last, last.ResponseFrames.Last()
		}
	}
	return 0, time.Time{}, 0
}

// firstInitRequest returns when the tunnel's first IKE_SA_INIT request was
// sent.
func (t *Tunnel) firstInitRequest() (time.Time, bool) {
	var first time.Time
	for _, e := range t.Exchanges {
		if e.Type == decode.ExchangeTypeIKESAInit && e.From == RoleInitiator && (first.IsZero() || e.First.Before(first)) {
			first = e.First
		}
	}
	return first, !first.IsZero()
}
