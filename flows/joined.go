package flows

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Joined is what the captures show together: each tunnel, PPTP call and
// group of ESP SAs as one entry, whether one capture saw it or both, with
// the facts that take both captures to decide — where the NAT sits, which
// entry on one side is which on the other, whether both captures were
// running at a time. It is built once, after the correlation; the rules,
// the reports and the terminal UI all read it and none works it out again.
type Joined struct {
	// Captures holds one analysis, or two: inside then outside.
	Captures    []*Analysis
	Correlation *Correlation // nil with one capture
	Tunnels     []*TunnelView
	// Sessions are the PPTP calls.
	Sessions []*SessionView
	// Groups are the ESP and AH SAs that belong to no tunnel, grouped by
	// the pair of peers.
	Groups []*ESPGroup

	viewOf    map[*Tunnel]*TunnelView
	groupOf   map[*ESPSA]int
	sessionOf map[*PPTPSession]*SessionView
	// bySPIi finds a tunnel of each capture by IKE version and initiator
	// SPI (Twin).
	bySPIi [2]map[ikeSAKey]*Tunnel
}

// ikeSAKey names an IKE SA by version and one or both SPIs.
type ikeSAKey struct {
	version    uint8
	spii, spir uint64
}

// TunnelView is one tunnel as the report shows it: the same IKE SA as seen
// in each capture. Sides is indexed by Side; with one capture only Sides[0]
// is set.
type TunnelView struct {
	ID    int
	Sides [2]*Tunnel
	// SPIRewritten is set when the IKE SPIs differ between the captures.
	SPIRewritten bool
	// Also holds further outside-capture tunnels that are the same IKE SA
	// under another SPI (an ALG rewrote the SPIs of some messages only).
	Also []*Tunnel
	// NAT is where the NAT sits for the tunnel and how that is known.
	NAT NATAssessment
	// Predecessor is the tunnel whose IKE SA was rekeyed into this one
	// (RekeyOf): a rekeyed IKE SA has no IKE_SA_INIT of its own, and
	// inherits what its predecessor's showed.
	Predecessor *TunnelView
}

// Any returns the tunnel as seen in the inside capture if there, else as
// seen outside.
func (v *TunnelView) Any() *Tunnel {
	if v.Sides[0] != nil {
		return v.Sides[0]
	}
	return v.Sides[1]
}

// Side returns the tunnel as seen on one side, or nil.
func (v *TunnelView) Side(s Side) *Tunnel { return v.Sides[s] }

// JoinOne joins the entries of one capture: each is its own.
func JoinOne(a *Analysis) *Joined {
	j := &Joined{Captures: []*Analysis{a}}
	for _, t := range a.Tunnels {
		v := &TunnelView{ID: len(j.Tunnels) + 1, Sides: [2]*Tunnel{t, nil}}
		v.NAT = AssessNAT(NATInput{Sides: v.Sides})
		j.Tunnels = append(j.Tunnels, v)
	}
	return j.finish()
}

// JoinPair joins the entries of two correlated captures. Tunnels seen in
// both are joined; the others are listed alone. Order: by first sighting
// (inside clock).
func JoinPair(cor *Correlation) *Joined {
	j := &Joined{Captures: []*Analysis{cor.Inside, cor.Outside}, Correlation: cor}
	j.Tunnels = pairTunnels(cor)
	for i, v := range j.Tunnels {
		v.ID = i + 1
		// A tunnel seen inside only: did the device translate the
		// peers' other traffic?
		var hostTranslated [2]bool
		if t := v.Sides[SideInside]; t != nil && v.Sides[SideOutside] == nil {
			hostTranslated = [2]bool{cor.TranslatedHost(t.InitiatorFirst.Addr()), cor.TranslatedHost(t.ResponderFirst.Addr())}
		}
		v.NAT = AssessNAT(NATInput{Sides: v.Sides, Pair: true, SPIRewritten: v.SPIRewritten, OtherTrafficTranslated: hostTranslated})
	}
	return j.finish()
}

// pairTunnels lists the views of two correlated captures' tunnels, in
// order of first sighting.
func pairTunnels(cor *Correlation) []*TunnelView {
	pairedIn := map[int]*TunnelView{}
	pairedOut := map[int]bool{}
	var views []*TunnelView
	// The pair with the most matched messages joins a view; an inside
	// tunnel that also matched another outside tunnel (an ALG rewrote its
	// SPIs on some messages only, so the outside capture shows the one IKE
	// SA under two SPIs) takes that one as Also.
	pairs := slices.Clone(cor.TunnelPairs)
	slices.SortStableFunc(pairs, func(a, b TunnelPair) int { return cmp.Compare(b.Matched, a.Matched) })
	for _, tp := range pairs {
		if pairedOut[tp.Outside] {
			continue
		}
		out := cor.Outside.Tunnels[tp.Outside-1]
		if v := pairedIn[tp.Inside]; v != nil {
			v.Also = append(v.Also, out)
			v.SPIRewritten = v.SPIRewritten || tp.SPIRewritten || out.SPIi != v.Sides[1].SPIi
			pairedOut[tp.Outside] = true
			continue
		}
		v := &TunnelView{Sides: [2]*Tunnel{cor.Inside.Tunnels[tp.Inside-1], out}, SPIRewritten: tp.SPIRewritten}
		pairedIn[tp.Inside] = v
		pairedOut[tp.Outside] = true
		views = append(views, v)
	}
	// IKE messages that could not be matched — cut short by one capture's
	// snap length, say — leave the same IKE SA unpaired on both sides.
	// Its SPIs, 64 random bits each, survive a NAT: an inside and an
	// outside tunnel with the same pair are one IKE SA.
	outBySPIs := map[ikeSAKey][]*Tunnel{}
	for _, out := range cor.Outside.Tunnels {
		if !pairedOut[out.ID] && out.SPIr != 0 {
			k := ikeSAKey{out.Version, out.SPIi, out.SPIr}
			outBySPIs[k] = append(outBySPIs[k], out)
		}
	}
	for _, t := range cor.Inside.Tunnels {
		if pairedIn[t.ID] != nil || t.SPIr == 0 {
			continue
		}
		for _, out := range outBySPIs[ikeSAKey{t.Version, t.SPIi, t.SPIr}] {
			if !pairedOut[out.ID] {
				v := &TunnelView{Sides: [2]*Tunnel{t, out}}
				pairedIn[t.ID] = v
				pairedOut[out.ID] = true
				views = append(views, v)
				break
			}
		}
	}
	for _, t := range cor.Inside.Tunnels {
		if pairedIn[t.ID] == nil {
			views = append(views, &TunnelView{Sides: [2]*Tunnel{t, nil}})
		}
	}
	for _, t := range cor.Outside.Tunnels {
		if !pairedOut[t.ID] {
			views = append(views, &TunnelView{Sides: [2]*Tunnel{nil, t}})
		}
	}
	start := func(v *TunnelView) (int64, int) {
		if v.Sides[0] != nil {
			return v.Sides[0].First.UnixNano(), v.Sides[0].ID
		}
		return cor.ToInside(v.Sides[1].First).UnixNano(), 1<<30 + v.Sides[1].ID
	}
	slices.SortStableFunc(views, func(x, y *TunnelView) int {
		tx, ix := start(x)
		ty, iy := start(y)
		if c := cmp.Compare(tx, ty); c != 0 {
			return c
		}
		return cmp.Compare(ix, iy)
	})
	return views
}

// finish indexes the tunnels, links rekeyed IKE SAs to their predecessors,
// and joins the PPTP calls and the ESP groups.
func (j *Joined) finish() *Joined {
	j.viewOf = make(map[*Tunnel]*TunnelView, len(j.Tunnels))
	for _, v := range j.Tunnels {
		for _, t := range v.Sides {
			if t != nil {
				j.viewOf[t] = v
			}
		}
	}
	for i, a := range j.Captures {
		j.bySPIi[i] = make(map[ikeSAKey]*Tunnel, len(a.Tunnels))
		for _, t := range a.Tunnels {
			k := ikeSAKey{version: t.Version, spii: t.SPIi}
			if j.bySPIi[i][k] == nil {
				j.bySPIi[i][k] = t
			}
		}
	}
	j.linkPredecessors()
	j.Sessions = joinSessions(j)
	j.sessionOf = make(map[*PPTPSession]*SessionView, len(j.Sessions))
	for _, v := range j.Sessions {
		for _, s := range v.Sides {
			if s != nil {
				j.sessionOf[s] = v
			}
		}
	}
	j.Groups = ESPGroups(j.Captures[0], j.Correlation)
	j.groupOf = map[*ESPSA]int{}
	for _, g := range j.Groups {
		for _, sas := range g.SAs {
			for _, x := range sas {
				j.groupOf[x] = g.ID
			}
		}
	}
	return j
}

// linkPredecessors ties each view of a rekeyed IKE SA to the view of the
// IKE SA it replaced, and gives it the NAT assessment the predecessor's
// IKE_SA_INIT made possible (a rekeyed IKE SA has no NAT-D of its own).
func (j *Joined) linkPredecessors() {
	for _, v := range j.Tunnels {
		for s, t := range v.Sides {
			if t == nil || t.RekeyOf == 0 || v.Predecessor != nil {
				continue
			}
			a := j.Capture(Side(s))
			if a == nil || t.RekeyOf > len(a.Tunnels) {
				continue
			}
			p := j.ViewOf(Side(s), a.Tunnels[t.RekeyOf-1])
			if p == nil || p == v {
				continue
			}
			v.Predecessor = p
			if !v.NAT.Present() && (v.NAT.Certainty < p.NAT.Certainty || v.NAT.Certainty == NATGuess) {
				v.NAT = p.NAT
				v.NAT.Reason = fmt.Sprintf("as for tunnel %d, whose IKE SA this one rekeyed: %s", p.ID, p.NAT.Reason)
			}
		}
	}
}

// Two reports whether both captures are joined.
func (j *Joined) Two() bool { return j.Correlation != nil && len(j.Captures) == 2 }

// Capture returns the analysis of one side, or nil.
func (j *Joined) Capture(s Side) *Analysis {
	if int(s) < len(j.Captures) {
		return j.Captures[s]
	}
	return nil
}

// Path returns the path of one side's capture.
func (j *Joined) Path(s Side) string {
	if a := j.Capture(s); a != nil {
		return a.Capture.Path
	}
	return ""
}

// ViewOf returns the view of a tunnel of one side's capture.
func (j *Joined) ViewOf(s Side, t *Tunnel) *TunnelView {
	if t == nil {
		return nil
	}
	if v := j.viewOf[t]; v != nil && v.Sides[s] == t {
		return v
	}
	return nil
}

// GroupOf returns the ID of the ESP group an SA of one side's capture
// belongs to, or 0.
func (j *Joined) GroupOf(sa *ESPSA) int { return j.groupOf[sa] }

// SessionOf returns the view of a PPTP call of one side's capture.
func (j *Joined) SessionOf(s Side, call *PPTPSession) *SessionView {
	if v := j.sessionOf[call]; v != nil && v.Sides[s] == call {
		return v
	}
	return nil
}

// Twin returns the tunnel of the view on the other side, or — when the
// correlation paired none because no packet of it matched — the tunnel of
// the other capture with the same IKE version and initiator SPI, which
// survives NAT. It returns nil with one capture.
func (j *Joined) Twin(v *TunnelView, s Side) *Tunnel {
	if !j.Two() {
		return nil
	}
	o := 1 - s
	if t := v.Sides[o]; t != nil {
		return t
	}
	t := v.Sides[s]
	if t == nil {
		return nil
	}
	return j.bySPIi[o][ikeSAKey{version: t.Version, spii: t.SPIi}]
}

// OnInsideClock converts a time of one side's capture to the inside
// capture's clock.
func (j *Joined) OnInsideClock(s Side, t time.Time) time.Time {
	if s == SideOutside && j.Two() && j.Correlation.Anchors > 0 {
		return j.Correlation.ToInside(t)
	}
	return t
}

// BothCaptured reports whether both captures were running from a to b
// (times of side s), so that a packet missing from one of them was really
// not there: the span lies within the captures' overlap, widened by the
// matching window the correlation used, as the matcher compares packets.
func (j *Joined) BothCaptured(s Side, a, b time.Time) bool {
	if !j.Two() {
		return false
	}
	return j.Correlation.covers(j.OnInsideClock(s, a), j.OnInsideClock(s, b))
}

// TranslatedHost reports whether the device between the captures
// translated any traffic of an inside address.
func (c *Correlation) TranslatedHost(a netip.Addr) bool {
	return c.index().translatedHosts[a]
}
