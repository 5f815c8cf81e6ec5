package rules

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/vpnpcap/vpnpcap/flows"
)

// Context is what rules inspect: one capture, or two with their
// correlation, and the tunnels of both joined into one list.
type Context struct {
	// Captures holds one analysis, or two: inside then outside.
	Captures    []*flows.Analysis
	Correlation *flows.Correlation // nil with one capture
	Tunnels     []*TunnelView
	// Sessions are the PPTP calls, joined across the captures.
	Sessions []*SessionView
	// Groups are the ESP and AH SAs that belong to no tunnel, grouped by
	// the pair of peers, joined across the captures.
	Groups []*flows.ESPGroup

	// viewOf indexes the views by the tunnels they join (ViewOf), groupOf
	// the ESP groups by their SAs (GroupOf).
	viewOf  map[*flows.Tunnel]*TunnelView
	groupOf map[*flows.ESPSA]int
	Config  *Config

	// hosts and dataPlane index the captures' addresses and ESP SAs for
	// the data-plane rules and the verdicts; built once, on first use.
	hostsOnce, dataPlaneOnce sync.Once
	hosts                    *dpHosts
	dataPlane                *dpView
}

// TunnelView is one tunnel as the report shows it: the same IKE SA as seen
// in each capture. Sides is indexed by flows.Side; with one capture only
// Sides[0] is set.
type TunnelView struct {
	ID    int
	Sides [2]*flows.Tunnel
	// SPIRewritten is set when the IKE SPIs differ between the captures.
	SPIRewritten bool
	// Also holds further outside-capture tunnels that are the same IKE SA
	// under another SPI (an ALG rewrote the SPIs of some messages only).
	Also []*flows.Tunnel
	// hostTranslated says, for a tunnel seen in one capture only, whether
	// the device between the captures translated other traffic of the
	// initiator's or responder's address (by flows.Role).
	hostTranslated [2]bool
	// NAT is where the NAT sits for the tunnel and how that is known,
	// decided once when the context is built.
	NAT flows.NATAssessment
	// Predecessor is the tunnel whose IKE SA was rekeyed into this one
	// (flows' RekeyOf): a rekeyed IKE SA has no IKE_SA_INIT of its own,
	// and inherits what its predecessor's showed.
	Predecessor *TunnelView
}

// Any returns the tunnel as seen in the inside capture if there, else as
// seen outside.
func (v *TunnelView) Any() *flows.Tunnel {
	if v.Sides[0] != nil {
		return v.Sides[0]
	}
	return v.Sides[1]
}

// Side returns the tunnel as seen on one side, or nil.
func (v *TunnelView) Side(s flows.Side) *flows.Tunnel { return v.Sides[s] }

// Two reports whether the context has both captures.
func (c *Context) Two() bool { return c.Correlation != nil && len(c.Captures) == 2 }

// Capture returns the analysis of one side, or nil.
func (c *Context) Capture(s flows.Side) *flows.Analysis {
	if int(s) < len(c.Captures) {
		return c.Captures[s]
	}
	return nil
}

// Path returns the path of one side's capture.
func (c *Context) Path(s flows.Side) string {
	if a := c.Capture(s); a != nil {
		return a.Capture.Path
	}
	return ""
}

// Evidence returns evidence for frames of one side's capture, leaving out
// zeros and repeats, in frame order.
func (c *Context) Evidence(s flows.Side, frames ...int) []Evidence {
	fs := slices.Clone(frames)
	slices.Sort(fs)
	fs = slices.Compact(fs)
	out := make([]Evidence, 0, len(fs))
	for _, f := range fs {
		if f > 0 {
			out = append(out, Evidence{Capture: c.Path(s), Side: s, Frame: f})
		}
	}
	return out
}

// NewContext builds the context of one capture.
func NewContext(a *flows.Analysis, cfg *Config) *Context {
	c := &Context{Captures: []*flows.Analysis{a}, Config: cfg}
	for _, t := range a.Tunnels {
		v := &TunnelView{ID: len(c.Tunnels) + 1, Sides: [2]*flows.Tunnel{t, nil}}
		v.NAT = flows.AssessNAT(flows.NATInput{Sides: v.Sides})
		c.Tunnels = append(c.Tunnels, v)
	}
	return c.withDefaults()
}

// NewCorrelatedContext builds the context of two correlated captures. Tunnels
// seen in both are joined; the others are listed alone. Order: by first
// sighting (inside clock).
func NewCorrelatedContext(cor *flows.Correlation, cfg *Config) *Context {
	c := &Context{Captures: []*flows.Analysis{cor.Inside, cor.Outside}, Correlation: cor, Config: cfg}
	pairedIn := map[int]*TunnelView{}
	pairedOut := map[int]bool{}
	var views []*TunnelView
	// The pair with the most matched messages joins a view; an inside
	// tunnel that also matched another outside tunnel (an ALG rewrote its
	// SPIs on some messages only, so the outside capture shows the one IKE
	// SA under two SPIs) takes that one as Also.
	pairs := slices.Clone(cor.TunnelPairs)
	slices.SortStableFunc(pairs, func(a, b flows.TunnelPair) int { return cmp.Compare(b.Matched, a.Matched) })
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
		v := &TunnelView{Sides: [2]*flows.Tunnel{cor.Inside.Tunnels[tp.Inside-1], out}, SPIRewritten: tp.SPIRewritten}
		pairedIn[tp.Inside] = v
		pairedOut[tp.Outside] = true
		views = append(views, v)
	}
	// IKE messages that could not be matched — cut short by one capture's
	// snap length, say — leave the same IKE SA unpaired on both sides.
	// Its SPIs, 64 random bits each, survive a NAT: an inside and an
	// outside tunnel with the same pair are one IKE SA.
	for _, t := range cor.Inside.Tunnels {
		if pairedIn[t.ID] != nil || t.SPIr == 0 {
			continue
		}
		for _, out := range cor.Outside.Tunnels {
			if !pairedOut[out.ID] && out.Version == t.Version && out.SPIi == t.SPIi && out.SPIr == t.SPIr {
				v := &TunnelView{Sides: [2]*flows.Tunnel{t, out}}
				pairedIn[t.ID] = v
				pairedOut[out.ID] = true
				views = append(views, v)
				break
			}
		}
	}
	for _, t := range cor.Inside.Tunnels {
		if pairedIn[t.ID] == nil {
			views = append(views, &TunnelView{Sides: [2]*flows.Tunnel{t, nil}})
		}
	}
	for _, t := range cor.Outside.Tunnels {
		if !pairedOut[t.ID] {
			views = append(views, &TunnelView{Sides: [2]*flows.Tunnel{nil, t}})
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
	translated := map[netip.Addr]bool{}
	for _, m := range cor.Mappings {
		if m.Translated() {
			translated[m.Inside.Addr()] = true
		}
	}
	for i, v := range views {
		v.ID = i + 1
		if t := v.Sides[flows.SideInside]; t != nil && v.Sides[flows.SideOutside] == nil {
			v.hostTranslated = [2]bool{translated[t.InitiatorFirst.Addr()], translated[t.ResponderFirst.Addr()]}
		}
		v.NAT = flows.AssessNAT(flows.NATInput{Sides: v.Sides, Pair: true, SPIRewritten: v.SPIRewritten, OtherTrafficTranslated: v.hostTranslated})
	}
	c.Tunnels = views
	return c.withDefaults()
}

func (c *Context) withDefaults() *Context {
	c.linkPredecessors()
	if c.Config == nil {
		c.Config = DefaultConfig()
	}
	c.Sessions = joinSessions(c)
	c.Groups = flows.ESPGroups(c.Captures[0], c.Correlation)
	return c
}

// linkPredecessors ties each view of a rekeyed IKE SA to the view of the
// IKE SA it replaced, and gives it the NAT assessment the predecessor's
// IKE_SA_INIT made possible (a rekeyed IKE SA has no NAT-D of its own).
func (c *Context) linkPredecessors() {
	for _, v := range c.Tunnels {
		for s, t := range v.Sides {
			if t == nil || t.RekeyOf == 0 || v.Predecessor != nil {
				continue
			}
			a := c.Capture(flows.Side(s))
			if a == nil || t.RekeyOf > len(a.Tunnels) {
				continue
			}
			p := c.ViewOf(flows.Side(s), a.Tunnels[t.RekeyOf-1])
			if p == nil || p == v {
				continue
			}
			v.Predecessor = p
			if !v.NAT.Present() && (v.NAT.Certainty < p.NAT.Certainty || v.NAT.Certainty == flows.NATGuess) {
				v.NAT = p.NAT
				v.NAT.Reason = fmt.Sprintf("as for tunnel %d, whose IKE SA this one rekeyed: %s", p.ID, p.NAT.Reason)
			}
		}
	}
}

// GroupOf returns the ID of the ESP group an SA of one side's capture
// belongs to, or 0.
func (c *Context) GroupOf(sa *flows.ESPSA) int {
	if c.groupOf == nil {
		c.groupOf = map[*flows.ESPSA]int{}
		for _, g := range c.Groups {
			for _, sas := range g.SAs {
				for _, x := range sas {
					c.groupOf[x] = g.ID
				}
			}
		}
	}
	return c.groupOf[sa]
}

// ViewOf returns the view of a tunnel of one side's capture.
func (c *Context) ViewOf(s flows.Side, t *flows.Tunnel) *TunnelView {
	if t == nil {
		return nil
	}
	if c.viewOf == nil {
		c.viewOf = make(map[*flows.Tunnel]*TunnelView, len(c.Tunnels))
		for _, v := range c.Tunnels {
			for _, st := range v.Sides {
				if st != nil {
					c.viewOf[st] = v
				}
			}
		}
	}
	if v := c.viewOf[t]; v != nil && v.Sides[s] == t {
		return v
	}
	return nil
}
