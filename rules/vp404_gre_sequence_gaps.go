package rules

import (
	"fmt"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// greSequenceGaps finds PPTP calls whose enhanced-GRE sequence numbers
// (RFC 2637 §4.1: the S bit, one number per data packet, per direction)
// skip or repeat. With both captures it compares the two sightings of
// each direction: numbers missing where the direction enters the NAT were
// lost before it; numbers missing only where it leaves were lost at the
// NAT.
//
// PPP inside GRE has no retransmission of its own for most payloads: a
// lost GRE packet is a lost IP packet for the user, and a PPTP peer that
// sees packets out of order may drop them (RFC 2637 §4.3) — TCP inside the
// call slows down, with MPPE stateful mode a lost packet even costs a key
// resynchronisation. Loss concentrated at the NAT points to its GRE
// handling (a helper that loses state, rate limiting of protocol 47).
//
// Fix it where the loss happens: on the NAT (GRE/PPTP helper timeouts,
// protocol 47 rate limits, connection-table exhaustion) when the two
// captures put it there; otherwise on the path upstream of the first
// capture point, or on the capture host (check its drop counters).
//
// Packets without the S bit (acknowledgement-only) carry no number and are
// not counted. A capture host that drops packets itself produces gaps too;
// a single capture cannot tell, so confidence is medium. GRE towards the
// client of calls whose call IDs collide behind one address (VP402) is
// left out: the server's GRE of those calls carries the same key to the
// same address, so the two sequences mix on the way in and their numbers
// say nothing about loss; VP402 reports the collision.
type greSequenceGaps struct{}

func (greSequenceGaps) Meta() Meta {
	return Meta{
		ID:         "VP404",
		Slug:       "gre-sequence-gaps",
		Title:      "PPTP GRE sequence numbers missing or repeated",
		Severity:   Warning,
		Confidence: Medium,
		TimeUse:    "the order of the GRE packets",
		OrderOnly:  true,
		Explanation: "PPTP numbers each GRE data packet of a call, per direction. Numbers missing from a capture " +
			"are packets lost before it; numbers repeated are duplicates or reordering, which the receiver may " +
			"discard. Either way traffic through the PPTP link is lost; with captures on both sides of the NAT " +
			"the loss is placed before, at or after the NAT.",
		Remedy: "If the captures place the loss at the NAT, check its GRE/PPTP handling: helper state timeouts, rate " +
			"limits or flood protection on IP protocol 47, a full connection table. Otherwise look upstream of " +
			"the first capture point (Wi-Fi, uplink, Internet path) and at the capture host's own drop counters.",
		References: []string{"RFC 2637 §4.1 (Enhanced GRE header, sequence number)", "RFC 2637 §4.3 (Out-of-sequence packets)"},
		Catalogue:  []string{"NT25"},
	}
}

func (greSequenceGaps) Check(c *Context, report func(Finding)) {
	min := max(c.Config.Thresholds.GREGapPackets, 1)
	v := c.pptpCalls()
	collided := greCollided(c, v)
	done := map[*flows.PPTPSession]bool{}
	for _, side := range c.captureSides() {
		for _, s := range c.Captures[side].Sessions {
			if done[s] {
				continue
			}
			o := v.counterpart(side, s)
			if o != nil {
				done[o] = true
			}
			for _, out := range []bool{true, false} {
				if !out && (collided[s] || collided[o]) {
					continue
				}
				if f, ok := greGapFinding(c, side, s, o, out, min); ok {
					report(f)
				}
			}
		}
	}
}

// greCollided returns the calls whose inbound GRE cannot be told apart
// from another call's: calls to one server with one client call ID from
// one address at the same time (VP402's collisions), as the capture the
// server's GRE arrives in first shows them (outside, or the only capture),
// with their other sighting.
func greCollided(c *Context, v *pptpView) map[*flows.PPTPSession]bool {
	side := flows.SideInside
	if c.Two() {
		side = flows.SideOutside
	}
	out := map[*flows.PPTPSession]bool{}
	for _, g := range pptpCollisions(c.Captures[side].Sessions, false) {
		for _, s := range g {
			out[s] = true
			if o := v.counterpart(side, s); o != nil {
				out[o] = true
			}
		}
	}
	return out
}

// greDirection returns a call's sequence track, packet count and word for
// one direction.
func greDirection(s *flows.PPTPSession, out bool) (*flows.SeqTrack, int, string) {
	if out {
		return &s.GREOutSeq, s.GREOut, "from the client to the server"
	}
	return &s.GREInSeq, s.GREIn, "from the server to the client"
}

func greGapFinding(c *Context, side flows.Side, s, o *flows.PPTPSession, out bool, min int) (Finding, bool) {
	tr, n, way := greDirection(s, out)
	call := s.ServerCallID
	if !out {
		call = s.ClientCallID
	}
	if o == nil {
		if tr.Missing < min && tr.Repeated < min {
			return Finding{}, false
		}
		msg := fmt.Sprintf("GRE %s of %s: %d sequence %s missing in %s and %d repeated among %d packets",
			way, pptpLabel(s), tr.Missing, words.Pick(tr.Missing, "number", "numbers"), words.Count(tr.GapFrames.Count(), "gap"), tr.Repeated, n)
		if c.Two() {
			msg += fmt.Sprintf("; the call does not appear in the %s capture", 1-side)
		}
		return Finding{
			Confidence: Medium,
			Session:    c.sessionID(side, s),
			Subject:    fmt.Sprintf("%s gre %s", pptpSubject(s), decode.CallIDString(call)),
			Message:    msg,
			Evidence:   c.Evidence(side, append(tr.GapFrames.List(), tr.DupFrames.List()...)...),
		}, true
	}
	// Both captures: up is where the direction enters the NAT, down
	// where it leaves.
	sides := [2]*flows.PPTPSession{}
	sides[side], sides[1-side] = s, o
	upSide := flows.SideInside
	if !out {
		upSide = flows.SideOutside
	}
	downSide := 1 - upSide
	up, upN, _ := greDirection(sides[upSide], out)
	down, downN, _ := greDirection(sides[downSide], out)
	call = sides[flows.SideInside].ServerCallID
	if !out {
		call = sides[flows.SideInside].ClientCallID
	}
	atNAT := down.Missing - up.Missing
	newRepeats := down.Repeated - up.Repeated
	if up.Missing < min && up.Repeated < min && atNAT < min && newRepeats < min {
		return Finding{}, false
	}
	msg := fmt.Sprintf("GRE %s of %s: the %s capture, before the NAT, has %d missing and %d repeated among %d packets; the %s capture, after it, %d missing and %d repeated among %d",
		way, pptpLabel(sides[flows.SideInside]), upSide, up.Missing, up.Repeated, upN, downSide, down.Missing, down.Repeated, downN)
	conf := Medium
	switch {
	case atNAT >= min && up.Missing < min:
		msg += fmt.Sprintf(": %d lost at the NAT", atNAT)
		conf = High
	case atNAT >= min:
		msg += fmt.Sprintf(": %d lost before the NAT and %d more at it", up.Missing, atNAT)
		conf = High
	case up.Missing >= min:
		msg += ": lost before the NAT, not at it"
	}
	if newRepeats >= min {
		msg += fmt.Sprintf("; %d repeats appear only after the NAT", newRepeats)
	}
	var frames [2][]int
	frames[upSide] = append(up.GapFrames.List(), up.DupFrames.List()...)
	frames[downSide] = append(down.GapFrames.List(), down.DupFrames.List()...)
	return Finding{
		Confidence: conf,
		Session:    c.sessionID(side, s),
		Subject:    fmt.Sprintf("%s gre %s", pptpSubject(sides[flows.SideInside]), decode.CallIDString(call)),
		Message:    msg,
		Evidence:   evidenceFromBoth(c, frames[flows.SideInside], frames[flows.SideOutside]),
	}, true
}
