package flows

import (
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// PacketPair is one row of a side-by-side comparison of two captures: a
// packet seen in both (Inside and Outside set), or in one only. Inside and
// Outside index the slices given to [Correlation.Pair]; -1 means absent.
type PacketPair struct {
	Inside, Outside int
	// Time is when the packet was first seen, on the inside clock.
	Time time.Time
	// Modified is set for a pair whose bytes differ beyond what a NAT
	// rewrites (IKE SPIs rewritten by an ALG, ESP bytes changed).
	Modified bool
	// Compared is set when both captures were running when the packet
	// passed and it can be matched at all, so that a missing counterpart
	// means it was lost between them rather than not captured.
	Compared bool
}

// Matched reports whether the packet was seen in both captures.
func (p PacketPair) Matched() bool { return p.Inside >= 0 && p.Outside >= 0 }

// MatchWindow returns the matching window the correlation used:
// DefaultWindow when Window is not set.
func (c *Correlation) MatchWindow() time.Duration {
	if c.Window <= 0 {
		return DefaultWindow
	}
	return c.Window
}

// Pair matches a subset of the inside capture's packets with a subset of the
// outside capture's — typically the packets of one tunnel — the way
// [Correlate] matched the whole captures: by the signature of what a NAT does
// not change (SPIs and sequence numbers, IKE message bytes after the SPIs,
// GRE payloads), within the correlation's Window of each other once the
// outside clock is converted to the inside one with its offset and drift.
//
// Each input must be in capture order. The pairs come in the order the
// packets were first seen (inside clock); a pair takes the position of its
// earlier sighting. Memory is proportional to the subsets, not the captures.
func (c *Correlation) Pair(inside, outside []decode.Packet) []PacketPair {
	window := c.MatchWindow()
	// Merge both sides in inside-clock order, as the matcher does.
	type event struct {
		side Side
		idx  int
		t    time.Time
	}
	events := make([]event, 0, len(inside)+len(outside))
	for i := range inside {
		events = append(events, event{SideInside, i, inside[i].Time})
	}
	for i := range outside {
		events = append(events, event{SideOutside, i, c.ToInside(outside[i].Time)})
	}
	slices.SortStableFunc(events, func(x, y event) int {
		if d := x.t.Compare(y.t); d != 0 {
			return d
		}
		return int(x.side) - int(y.side)
	})

	type waiter struct {
		row int
		t   time.Time
	}
	var waiting [2]map[signature][]waiter
	waiting[0] = make(map[signature][]waiter)
	waiting[1] = make(map[signature][]waiter)
	pkts := [2][]decode.Packet{inside, outside}
	rows := make([]PacketPair, 0, max(len(inside), len(outside)))
	for _, e := range events {
		p := &pkts[e.side][e.idx]
		// A packet with no signature (a malformed one, a datagram given up
		// in reassembly) cannot be looked for in the other capture.
		sig, ok := signatureOf(p)
		row := PacketPair{Inside: -1, Outside: -1, Time: e.t, Compared: ok && c.covers(e.t, e.t)}
		if e.side == SideInside {
			row.Inside = e.idx
		} else {
			row.Outside = e.idx
		}
		if !row.Compared {
			rows = append(rows, row)
			continue
		}
		other := 1 - e.side
		cands := waiting[other][sig]
		// Sightings older than one window can no longer pair: time only
		// moves forward.
		for len(cands) > 0 && e.t.Sub(cands[0].t) > window {
			cands = cands[1:]
		}
		if len(cands) > 0 {
			w := cands[0]
			cands = cands[1:]
			r := &rows[w.row]
			if e.side == SideInside {
				r.Inside = e.idx
			} else {
				r.Outside = e.idx
			}
			r.Modified = packetsDiffer(&inside[r.Inside], &outside[r.Outside])
		} else {
			waiting[e.side][sig] = append(waiting[e.side][sig], waiter{len(rows), e.t})
			rows = append(rows, row)
		}
		if len(cands) == 0 {
			delete(waiting[other], sig)
		} else {
			waiting[other][sig] = cands
		}
	}
	return rows
}

// covers reports whether both captures were running from a to b (inside
// clock), so that the matcher compared what passed then: the span lies
// within the overlap, widened by the matching window. This is the one
// answer to "were both captures running?" that the matcher, the rules
// (Joined.BothCaptured) and the packet pairing all give.
func (c *Correlation) covers(a, b time.Time) bool {
	return c.Anchors > 0 && c.Overlaps && !a.Before(c.OverlapStart.Add(-c.Window)) && !b.After(c.OverlapEnd.Add(c.Window))
}

// packetsDiffer reports whether two sightings of one packet differ beyond
// what a NAT rewrites. It follows the correlation's comparison: IKE SPIs
// rewritten (an ALG, RFC 3715 §2.3), ESP or AH bytes changed, a PPTP control
// message changed other than in its call ID. GRE call IDs rewritten by a
// PPTP ALG are translation, not modification.
func packetsDiffer(pi, po *decode.Packet) bool {
	switch pi.Kind {
	case decode.KindIKE:
		if pi.IKE == nil || po.IKE == nil {
			return false
		}
		return pi.IKE.SPIi != po.IKE.SPIi || pi.IKE.SPIr != po.IKE.SPIr
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP, decode.KindAH:
		return pi.PayloadHash != po.PayloadHash || pi.PayloadLen != po.PayloadLen
	case decode.KindPPTP:
		return pi.PayloadHash != po.PayloadHash && pi.PPTP.CallID == po.PPTP.CallID
	}
	return false
}
