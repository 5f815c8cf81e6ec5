package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// doubleNAT detects tunnels with more than one NAT in the path: NAT-D shows
// both peers behind NATs, or — with two captures — the initiator is
// translated again beyond the outside capture (the responder's hash of it
// does not match what the outside capture shows, or the outside capture
// still shows a private or RFC 6598 shared address: a carrier-grade NAT
// follows).
//
// Every NAT on the path keeps its own UDP mapping with its own timeout, so
// keepalives must beat the shortest one — carrier-grade NATs often use
// 30 s or less — and both peers behind NATs must both send them. A
// responder behind a NAT needs a port forward for UDP 500 and 4500, and
// Windows refuses it by default (error 809).
//
// Keep NAT-T keepalives below the shortest NAT timeout on the path (20 s or
// less), enable them on both peers when both are NATed, forward UDP 500 and
// 4500 to a responder behind NAT, and prefer a public address for the
// gateway.
//
// A warning: tunnels work through several NATs when NAT-T is used and kept
// alive. Single-capture findings come from NAT-D only.
type doubleNAT struct{}

func (doubleNAT) Meta() Meta {
	return Meta{
		ID:         "VP315",
		Slug:       "double-nat",
		Title:      "Double NAT or carrier-grade NAT in the path",
		Severity:   Warning,
		Confidence: High,
		Explanation: "More than one NAT sits between the peers: NAT-D shows both peers behind NATs, or the captures show the " +
			"initiator translated once between them and again further on (typically by a carrier-grade NAT using the 100.64.0.0/10 " +
			"shared address space). Each NAT keeps its own UDP mapping with its own idle timeout, often short for carrier NATs, and a " +
			"responder behind a NAT needs port forwards; the tunnel is fragile unless both peers keep their mappings alive.",
		Remedy: "Keep NAT-T keepalives below the shortest UDP timeout on the path (20 s or less; strongSwan charon.keep_alive, " +
			"libreswan keep-alive) and enable them on both peers when both are behind NATs. Forward UDP 500 and 4500 to a gateway " +
			"behind NAT (Windows clients need AssumeUDPEncapsulationContextOnSendRule=2 for it), or give the gateway a public " +
			"address; ask the carrier for a public address if a carrier-grade NAT is in the way.",
		References: []string{"RFC 7296 §2.23", "RFC 3948 §4", "RFC 6598", "Microsoft KB 926179", "libreswan issue #48"},
		Catalogue:  []string{"NT21"},
	}
}

func (r doubleNAT) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		t, _ := primarySide(v)
		var parts []string
		var in, out []int
		conf := Medium
		if v.NAT.Position == flows.NATBoth {
			parts = append(parts, fmt.Sprintf("both the %s and the %s are behind NATs (%s)", peerAddr(t, flows.RoleInitiator), peerAddr(t, flows.RoleResponder), howNATIsKnown(&v.NAT)))
			conf = natConfidence(&v.NAT)
			for _, s := range viewSides(v) {
				st := v.Sides[s]
				addSideFrames(s, append(st.NATD[flows.RoleInitiator].Frames.List(), st.NATD[flows.RoleResponder].Frames.List()...), &in, &out)
			}
		}
		if ti, to := v.Sides[flows.SideInside], v.Sides[flows.SideOutside]; ti != nil && to != nil {
			ini, iniOut := ti.InitiatorFirst, to.InitiatorFirst
			if ini.Addr() != iniOut.Addr() {
				if to.NATD[flows.RoleResponder].DestMismatch && v.NAT.Position != flows.NATBoth {
					parts = append(parts, fmt.Sprintf("the NAT between the captures translates the initiator %s to %s, and a second one beyond the outside capture translates it again: "+
						"the responder's NAT-D hash of the initiator does not match %s (outside %s)",
						ini.Addr(), iniOut.Addr(), iniOut, frameList(firstFrames(to.NATD[flows.RoleResponder].Frames.List(), 2))))
					addSideFrames(flows.SideOutside, to.NATD[flows.RoleResponder].Frames.List(), &in, &out)
					conf = High
				}
				if flows.IsPrivate(iniOut.Addr()) {
					what := "a private address"
					if flows.CGNAT.Contains(iniOut.Addr()) {
						what = "an RFC 6598 shared address, used by carrier-grade NATs"
					}
					parts = append(parts, fmt.Sprintf("outside the first NAT the initiator still has %s, %s (outside %s): another NAT follows",
						what, iniOut.Addr(), frameList([]int{to.Frames.First()})))
					addSideFrames(flows.SideOutside, []int{to.Frames.First()}, &in, &out)
					addSideFrames(flows.SideInside, []int{ti.Frames.First()}, &in, &out)
				}
			}
		}
		if len(parts) == 0 {
			continue
		}
		var b strings.Builder
		b.WriteString(strings.Join(parts, "; "))
		k := t.Keepalives
		fmt.Fprintf(&b, "; every NAT keeps its own UDP mapping and timeout: the initiator sent %s, the responder %s",
			words.Count(k.From[flows.RoleInitiator], "keepalive"), words.Count(k.From[flows.RoleResponder], "keepalive"))
		if v.NAT.Position == flows.NATBoth && k.From[flows.RoleResponder] == 0 {
			b.WriteString(", though the responder is behind a NAT too")
		}
		report(Finding{Confidence: conf, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)})
	}
}
