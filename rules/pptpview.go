package rules

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds the view the GRE/PPTP rules and the calls' verdicts look
// calls up in: a call's other sighting, the call IDs advertised between
// two addresses, and the GRE flows that carry a call. pptpSubject and
// pptpLabel, which name a call, are in wording.go.

// pptpConnected reports whether a call came up: the control connection was
// accepted (Start-Control-Connection-Reply, result 1) and the call too
// (Outgoing-Call-Reply, result 1 "Connected"; RFC 2637 §2.2, §2.8).
func pptpConnected(s *flows.PPTPSession) bool {
	return s.ControlEstablished && s.CallReplied && s.CallResult == 1
}

// pptpView is what the PPTP rules look calls up in, built once per Check
// so that finding a call's other sighting or its GRE costs a map access.
type pptpView struct {
	c *Context
	// byConn: calls by control connection (client, server); byPair: by
	// (client address, server address); gre: GRE flows by (source,
	// destination) address.
	byConn [2]map[[2]netip.AddrPort][]*flows.PPTPSession
	byPair [2]map[[2]netip.Addr][]*flows.PPTPSession
	gre    [2]map[[2]netip.Addr][]*flows.Flow
}

// pptpCalls returns the context's pptpView, built on first use.
func (c *Context) pptpCalls() *pptpView {
	c.callsOnce.Do(func() { c.calls = newPPTPView(c) })
	return c.calls
}

func newPPTPView(c *Context) *pptpView {
	v := &pptpView{c: c}
	for i, a := range c.Captures {
		if i > 1 {
			break
		}
		v.byConn[i] = map[[2]netip.AddrPort][]*flows.PPTPSession{}
		v.byPair[i] = map[[2]netip.Addr][]*flows.PPTPSession{}
		v.gre[i] = map[[2]netip.Addr][]*flows.Flow{}
		for _, s := range a.Sessions {
			k := [2]netip.AddrPort{s.Client, s.Server}
			v.byConn[i][k] = append(v.byConn[i][k], s)
			p := [2]netip.Addr{s.Client.Addr(), s.Server.Addr()}
			v.byPair[i][p] = append(v.byPair[i][p], s)
		}
		if len(a.Sessions) == 0 {
			continue
		}
		for _, f := range a.Flows {
			if f.Key.Proto == flows.ProtoGRE {
				p := [2]netip.Addr{f.Key.A.Addr(), f.Key.B.Addr()}
				v.gre[i][p] = append(v.gre[i][p], f)
			}
		}
	}
	return v
}

// counterpart returns the same call as seen in the other capture: the
// control connection's endpoints translated through the NAT's TCP
// mappings (unmapped endpoints taken as untranslated), the call nearest in
// time when the connection carried several.
func (v *pptpView) counterpart(side flows.Side, s *flows.PPTPSession) *flows.PPTPSession {
	c := v.c
	if !c.Two() {
		return nil
	}
	client, server := throughNAT(c.Correlation, side, s.Client), throughNAT(c.Correlation, side, s.Server)
	at := c.OnInsideClock(side, s.First)
	var best *flows.PPTPSession
	var bestGap time.Duration
	for _, o := range v.byConn[1-side][[2]netip.AddrPort{client, server}] {
		gap := c.OnInsideClock(1-side, o.First).Sub(at).Abs()
		if best == nil || gap < bestGap {
			best, bestGap = o, gap
		}
	}
	return best
}

// throughNAT returns what a TCP endpoint seen in one side's capture is in
// the other capture, by the NAT's latest mapping of it; an endpoint without
// a mapping is taken as untranslated.
func throughNAT(cor *flows.Correlation, side flows.Side, ep netip.AddrPort) netip.AddrPort {
	if side == flows.SideInside {
		if ms := cor.MappingsOf(flows.ProtoTCP, ep); len(ms) > 0 {
			return ms[len(ms)-1].Outside
		}
		return ep
	}
	if ms := cor.MappingsOnto(flows.ProtoTCP, ep); len(ms) > 0 {
		return ms[len(ms)-1].Inside
	}
	return ep
}

// callIDs lists the call IDs the control connections between two
// addresses advertised in one capture: those GRE towards the client must
// carry (client call IDs) and those GRE towards the server must carry.
func (v *pptpView) callIDs(side flows.Side, client, server netip.Addr) (toClient, toServer map[uint16]bool) {
	toClient, toServer = map[uint16]bool{}, map[uint16]bool{}
	for _, s := range v.byPair[side][[2]netip.Addr{client, server}] {
		if s.CallRequested {
			toClient[s.ClientCallID] = true
		}
		if s.CallReplied {
			toServer[s.ServerCallID] = true
		}
	}
	return toClient, toServer
}

// greFlows returns one capture's GRE flows from src to dst.
func (v *pptpView) greFlows(side flows.Side, src, dst netip.Addr) []*flows.Flow {
	return v.gre[side][[2]netip.Addr{src, dst}]
}

// greKeyed returns one capture's GRE flows from src, to any destination,
// whose key is id, in the order they began.
func (v *pptpView) greKeyed(side flows.Side, src netip.Addr, id uint16) []*flows.Flow {
	var out []*flows.Flow
	for p, fs := range v.gre[side] {
		if p[0] != src {
			continue
		}
		for _, f := range fs {
			if uint16(f.Key.ID) == id {
				out = append(out, f)
			}
		}
	}
	slices.SortFunc(out, func(x, y *flows.Flow) int { return cmp.Compare(x.Frames.First(), y.Frames.First()) })
	return out
}

// greCount counts one capture's GRE packets from src to dst with key id.
func (v *pptpView) greCount(side flows.Side, src, dst netip.Addr, id uint16) int {
	n := 0
	for _, f := range v.greFlows(side, src, dst) {
		if uint16(f.Key.ID) == id {
			n += f.Total()
		}
	}
	return n
}

// pptpNoGRECaptured reports whether one capture holds no GRE at all: a
// capture taken with a filter such as "tcp port 1723" leaves it out.
func pptpNoGRECaptured(a *flows.Analysis) bool {
	return a.Capture.Stats.Kinds[decode.KindGRE] == 0
}
