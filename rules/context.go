package rules

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/vpnpcap/vpnpcap/flows"
)

// Context is what rules inspect: one capture, or two with their
// correlation, and what they show together (flows.Joined), with the
// rules' configuration.
type Context struct {
	*flows.Joined
	Config *Config

	// hosts, plane and calls index the captures' addresses, ESP SAs and
	// PPTP calls for the rules and the verdicts; built once, on first use
	// (hostSides, dataPlane, pptpCalls).
	hostsOnce, planeOnce, callsOnce sync.Once
	hosts                           *hostSides
	plane                           *dataPlane
	calls                           *pptpView
	// ikeSenders indexes each capture's tunnels by the endpoints they
	// sent IKE from (otherTunnelSendsIKEFrom); built once, on first use.
	sendersOnce sync.Once
	ikeSenders  [2]map[netip.AddrPort][]*flows.Tunnel
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
	return newContext(flows.JoinOne(a), cfg)
}

// NewCorrelatedContext builds the context of two correlated captures.
func NewCorrelatedContext(cor *flows.Correlation, cfg *Config) *Context {
	return newContext(flows.JoinPair(cor), cfg)
}

func newContext(j *flows.Joined, cfg *Config) *Context {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	return &Context{Joined: j, Config: cfg}
}
