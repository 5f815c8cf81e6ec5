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

// rekeyWindow is how soon after an answered CREATE_CHILD_SA the first
// message of the IKE SA it created must follow.
const rekeyWindow = 5 * time.Second

// linkRekeys ties an IKEv2 SA that the capture shows only from an
// encrypted exchange with message ID 0 — never IKE_SA_INIT — to the
// established IKE SA between the same endpoints whose CREATE_CHILD_SA was
// answered just before: rekeying an IKE SA (RFC 7296 §1.3.2) creates the
// new one inside the old, so its negotiation is the old SA's exchange,
// not missing from the capture.
func linkRekeys(tunnels []*Tunnel) {
	for _, t := range tunnels {
		if t.Version != 2 || !t.Midstream || len(t.Exchanges) == 0 {
			continue
		}
		first := t.Exchanges[0]
		for _, e := range t.Exchanges {
			if e.First.Before(first.First) {
				first = e
			}
		}
		if first.MessageID != 0 || first.Type == decode.ExchangeTypeIKESAInit {
			continue
		}
		ends := newAddrPortPair(t.InitiatorFirst, t.ResponderFirst)
		var best *Tunnel
		var bestFrame int
		var bestAt time.Time
		// With keys the old IKE SA's decrypted CREATE_CHILD_SA names the
		// new SA's SPIs: the link is exact, whatever the timing.
		for _, u := range tunnels {
			if frame := u.rekeyNamed(t.SPIi, t.SPIr); u != t && u.RekeyedAs == 0 && frame > 0 {
				best, bestFrame = u, frame
				t.RekeyExact = true
				break
			}
		}
		// Without them, the SA between the same endpoints whose
		// CREATE_CHILD_SA was answered last before.
		if best == nil {
			for _, u := range tunnels {
				if u == t || u.Version != 2 || !u.established || u.RekeyedAs != 0 ||
					newAddrPortPair(u.Initiator, u.Responder) != ends {
					continue
				}
				for _, e := range u.Exchanges {
					if e.Type != decode.ExchangeTypeCreateChildSA || !e.Answered || e.Last.After(first.First) || first.First.Sub(e.Last) > rekeyWindow {
						continue
					}
					if best == nil || e.Last.After(bestAt) {
						best, bestAt, bestFrame = u, e.Last, e.ResponseFrames.Last()
					}
				}
			}
		}
		if best == nil {
			continue
		}
		t.RekeyOf, t.RekeyFrame = best.ID, bestFrame
		best.RekeyedAs = t.ID
		t.Midstream = false
		t.established = true
		if t.State != StateDeleted {
			t.State = StateEstablished
			t.StateReason = "created by rekeying the IKE SA of tunnel " + itoa(best.ID) + " (CREATE_CHILD_SA answered at frame " + itoa(bestFrame) + ")"
			if t.RekeyExact {
				t.StateReason = "created by rekeying the IKE SA of tunnel " + itoa(best.ID) + " (its CREATE_CHILD_SA, read decrypted, named these SPIs; answered at frame " + itoa(bestFrame) + ")"
			}
			t.StateEvidence = []int{bestFrame}
		}
	}
}

// rekeySPI is a new IKE SA SPI that a decrypted CREATE_CHILD_SA announced
// (RFC 7296 §1.3.2: the requester's SA payload carries the new SPIi, the
// response the new SPIr).
type rekeySPI struct {
	spi   uint64
	frame int
}

// rekeyNamed returns the frame of the message of the tunnel's decrypted
// IKE rekeys that announced spir, when another announced spii; 0 when
// they did not name both.
func (t *Tunnel) rekeyNamed(spii, spir uint64) int {
	i, r := false, 0
	for _, k := range t.rekeySPIs {
		i = i || k.spi == spii
		if k.spi == spir {
			r = k.frame
		}
	}
	if !i {
		return 0
	}
	return r
}
