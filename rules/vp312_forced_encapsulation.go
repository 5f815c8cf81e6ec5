package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// forcedEncapsulation reports a peer that fakes NAT detection to force UDP
// encapsulation: its NAT-D hash of its own address matches only with port 0
// (libreswan encapsulation=yes), or mismatches although the device between
// the two captures did not translate its address and port (strongSwan
// encap=yes hashes a random address; Windows
// AssumeUDPEncapsulationContextOnSendRule behaves alike).
//
// It breaks nothing: ESP travels in UDP 4500 without a NAT, which costs 8
// bytes per packet and keepalives, and makes the tunnel independent of
// IPsec Passthrough. It explains why a tunnel without NAT uses NAT-T, and
// why NAT-D alone does not show a NAT here.
//
// If encapsulation is not wanted, remove the setting; otherwise nothing to
// do.
//
// A faked hash is only recognised where the captures prove it
// (flows.AssessNAT): the port-0 match, a hash that matches neither the
// peer's inside nor its outside address, or one that mismatches where the
// capture's own destination test shows it sits before the peer's NAT.
type forcedEncapsulation struct{}

func (forcedEncapsulation) Meta() Meta {
	return Meta{
		ID:         "VP312",
		Slug:       "forced-encapsulation",
		Title:      "Forced UDP encapsulation: a peer fakes NAT detection",
		Severity:   Info,
		Confidence: High,
		Explanation: "A peer sent a NAT-D hash of its own address that no NAT can explain: it matches only when the port is " +
			"taken as 0 (libreswan encapsulation=yes), or it matches none of the peer's addresses although a capture shows the " +
			"peer before any NAT (strongSwan hashes a random address with encap=yes and always with its kernel-libipsec " +
			"backend; Windows can be told to assume UDP encapsulation). The other peer therefore believes there is a NAT in " +
			"front of it, both move to UDP 4500, and ESP travels in UDP whether or not anything translates it. Such a hash is " +
			"no evidence of a NAT, so it must not be read as a second one. This is a configuration, not a fault; it also means " +
			"the tunnel does not depend on IPsec Passthrough.",
		Remedy: "Nothing to fix if UDP encapsulation is wanted (for example to cross firewalls that block ESP, or with " +
			"strongSwan's kernel-libipsec backend, which cannot send raw ESP). Otherwise remove " +
			"encap = yes (strongSwan swanctl.conf connections.<conn>.encap), encapsulation=yes (libreswan), or the " +
			"AssumeUDPEncapsulationContextOnSendRule registry value (Windows).",
		References: []string{"RFC 7296 §2.23", "RFC 3947 §3.2", "strongSwan swanctl.conf encap, ike_natd.c", "libreswan issue #2889"},
		Catalogue:  []string{"NT12"},
	}
}

func (r forcedEncapsulation) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		var faked []flows.Role
		proven := false
		for _, role := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
			switch v.NAT.Peers[role].Faked {
			case "":
				continue
			case flows.FakedPortZero, flows.FakedRandom:
				proven = true
			}
			faked = append(faked, role)
		}
		if !proven {
			continue
		}
		t, _ := primarySide(v)
		var parts []string
		for _, role := range faked {
			parts = append(parts, ntFakeHow(v, role))
		}
		var b strings.Builder
		b.WriteString(strings.Join(parts, "; "))
		_, udp, tcp, _ := v.ESPCounts()
		switch {
		case udp+tcp > 0:
			fmt.Fprintf(&b, "; the peers floated to UDP 4500 and %s travelled in UDP", words.Count(udp+tcp, "ESP packet"))
		case t.Float:
			b.WriteString("; the peers floated to UDP 4500")
		}
		if v.NAT.Present() {
			fmt.Fprintf(&b, "; a real NAT remains in front of the %s (%s)", natedPeers(t, &v.NAT), howNATIsKnown(&v.NAT))
		} else if v.NAT.Position == flows.NATNone {
			b.WriteString(", without any NAT in the path")
		}
		var in, out []int
		for _, s := range viewSides(v) {
			st := v.Sides[s]
			frames := []int{st.FloatFrame}
			for _, role := range faked {
				frames = append(frames, st.NATD[role].Frames.List()...)
			}
			frames = append(frames, firstSAFrames(st, 2, func(sa *flows.ESPSA) bool { return sa.UDP > 0 })...)
			addSideFrames(s, frames, &in, &out)
		}
		report(Finding{Confidence: High, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)})
	}
}

// ntFakeHow says how a peer's NAT-D hash is known, or very likely, to be
// faked.
func ntFakeHow(v *flows.TunnelView, role flows.Role) string {
	t, _ := primarySide(v)
	p := &v.NAT.Peers[role]
	switch p.Faked {
	case flows.FakedPortZero:
		var frames []int
		for _, st := range v.Sides {
			if st != nil && st.NATD[role].PortZero {
				frames = firstFrames(st.NATD[role].Frames.List(), 2)
				break
			}
		}
		return fmt.Sprintf("the %s fakes NAT detection to force UDP encapsulation: %s (%s)", peerAddr(t, role), p.FakedReason, frameList(frames))
	case flows.FakedLikely:
		return fmt.Sprintf("the %s very likely does the same: %s", peerAddr(t, role), p.FakedReason)
	}
	return fmt.Sprintf("the %s fakes NAT detection to force UDP encapsulation: %s, a random hash as strongSwan sends with encap=yes or kernel-libipsec",
		peerAddr(t, role), p.FakedReason)
}
