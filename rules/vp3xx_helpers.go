package rules

import (
	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds what the NAT traversal and IPsec Passthrough rules
// (VP3xx) share: where the NAT sits and how that is known, sums over a
// tunnel's traffic paths, NAT mappings of the correlation, and the wording
// of addresses, counts and frames.

// ntNAT says where a NAT sits between the peers of a tunnel, how that is
// known, and how sure it is.
type ntNAT struct {
	pos  flows.NATPosition
	how  string
	conf Confidence
	// natd is set when NAT-D hashes show the NAT.
	natd bool
}

// present reports whether a NAT sits in front of at least one peer.
func (n ntNAT) present() bool {
	return n.pos == flows.NATInitiator || n.pos == flows.NATResponder || n.pos == flows.NATBoth
}

// behind reports whether the peer of role r is behind the NAT.
func (n ntNAT) behind(r flows.Role) bool {
	switch n.pos {
	case flows.NATBoth:
		return true
	case flows.NATInitiator:
		return r == flows.RoleInitiator
	case flows.NATResponder:
		return r == flows.RoleResponder
	}
	return false
}

// natedRole returns the role behind the NAT, the initiator when both are.
func (n ntNAT) natedRole() flows.Role {
	if n.pos == flows.NATResponder {
		return flows.RoleResponder
	}
	return flows.RoleInitiator
}

// ntNATOf returns where the NAT sits for a tunnel, as flows decided it
// once for all readers (flows.AssessNAT), in the words rules use: how it
// is known says, for each peer behind a NAT, what shows it.
func ntNATOf(_ *Context, v *flows.TunnelView) ntNAT {
	a := &v.NAT
	n := ntNAT{pos: a.Position, conf: Low}
	switch a.Certainty {
	case flows.NATProven:
		n.conf = High
	case flows.NATInferred:
		n.conf = Medium
	}
	var hows []string
	for _, r := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
		p := &a.Peers[r]
		if p.Behind != flows.NATYes {
			continue
		}
		for _, b := range p.Basis {
			n.natd = n.natd || b == flows.BasisNATDDestination || b == flows.BasisNATDSource
		}
		hows = append(hows, p.Reason)
	}
	switch len(hows) {
	case 1:
		n.how = hows[0]
	case 2:
		n.how = "initiator: " + hows[0] + "; responder: " + hows[1]
	}
	if a.Position == flows.NATNone {
		n.how = a.Reason
	}
	return n
}
