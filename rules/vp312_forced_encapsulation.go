package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
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
// A faked hash is only recognised where the capture proves it: the port-0
// match in one capture, or an untranslated endpoint across two. On one
// capture a strongSwan-style fake looks like a NAT in front of the sender.
type forcedEncapsulation struct{}

func (forcedEncapsulation) Meta() Meta {
	return Meta{
		ID:         "VP312",
		Slug:       "forced-encapsulation",
		Title:      "Forced UDP encapsulation: a peer fakes NAT detection",
		Severity:   Info,
		Confidence: High,
		Explanation: "A peer sent a NAT-D hash of its own address that cannot come from a NAT: it matches only when the port is " +
			"taken as 0 (libreswan encapsulation=yes), or it mismatches although the device between the captures did not " +
			"translate that peer's address and port (strongSwan encap=yes hashes a random address; Windows can be told to assume " +
			"UDP encapsulation). The other peer therefore believes there is a NAT, both move to UDP 4500, and ESP travels in UDP " +
			"although nothing translates it. This is a configuration, not a fault; it also means the tunnel does not depend on " +
			"IPsec Passthrough.",
		Remedy: "Nothing to fix if UDP encapsulation is wanted (for example to cross firewalls that block ESP). Otherwise remove " +
			"encap = yes (strongSwan swanctl.conf connections.<conn>.encap), encapsulation=yes (libreswan), or the " +
			"AssumeUDPEncapsulationContextOnSendRule registry value (Windows).",
		References: []string{"RFC 7296 §2.23", "RFC 3947 §3.2", "strongSwan swanctl.conf encap, ike_natd.c", "libreswan issue #2889"},
		Catalogue:  []string{"NT12"},
	}
}

func (r forcedEncapsulation) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		var faked []flows.Role
		for _, s := range ntViewSides(v) {
			for _, name := range v.Sides[s].NATDFaked() {
				role := flows.RoleInitiator
				if name == "responder" {
					role = flows.RoleResponder
				}
				if !containsRole(faked, role) {
					faked = append(faked, role)
				}
			}
		}
		if len(faked) == 0 {
			continue
		}
		t, _ := ntPrimary(v)
		var parts []string
		for _, role := range faked {
			parts = append(parts, ntFakeHow(c, v, role))
		}
		var b strings.Builder
		b.WriteString(strings.Join(parts, "; "))
		_, udp, tcp, _ := v.ESPCounts()
		switch {
		case udp+tcp > 0:
			fmt.Fprintf(&b, "; the peers floated to UDP 4500 and %s travelled in UDP", ntPlural(udp+tcp, "ESP packet"))
		case t.Float:
			b.WriteString("; the peers floated to UDP 4500")
		}
		if n := ntNATOf(c, v); n.present() {
			fmt.Fprintf(&b, "; a real NAT remains in front of the %s (%s)", ntNATedPeers(t, n), n.how)
		} else {
			b.WriteString(", without any NAT in the path")
		}
		var in, out []int
		for _, s := range ntViewSides(v) {
			st := v.Sides[s]
			frames := []int{st.FloatFrame}
			for _, role := range faked {
				frames = append(frames, st.NATD[role].Frames.List()...)
			}
			frames = append(frames, ntSAFrames(st, 2, func(sa *flows.ESPSA) bool { return sa.UDP > 0 })...)
			ntSideFrames(s, frames, &in, &out)
		}
		report(Finding{Confidence: High, Tunnel: v.ID, Message: b.String(), Evidence: ntEvidence(c, in, out)})
	}
}

func containsRole(rs []flows.Role, r flows.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// ntFakeHow says how a peer's NAT-D hash is known to be faked.
func ntFakeHow(c *Context, v *TunnelView, role flows.Role) string {
	t, _ := ntPrimary(v)
	hash := "NAT_DETECTION_SOURCE_IP"
	if t.Version == 1 {
		hash = "NAT-D hash of itself"
	}
	who := ntPeerAddr(t, role)
	for _, st := range v.Sides {
		if st != nil && st.NATD[role].PortZero {
			return fmt.Sprintf("the %s fakes NAT detection to force UDP encapsulation: its %s matches its own address only with port 0 (%s), as libreswan's encapsulation=yes computes it",
				who, hash, ntFrameList(ntHead(st.NATD[role].Frames.List(), 2)))
		}
	}
	ep := ntFirstEndpoint(t, role)
	out := ep
	if o := v.Sides[flows.SideOutside]; o != nil {
		out = ntFirstEndpoint(o, role)
	}
	return fmt.Sprintf("the %s fakes NAT detection to force UDP encapsulation: its %s does not match its own address and port, yet the device between the captures did not translate them (%s inside is %s outside), as strongSwan's encap=yes does",
		who, hash, ep, out)
}
