package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// nattUDPBlocked detects IKE over UDP that a firewall or NAT blocks: after
// the float to UDP 4500 the initiator's IKE messages are retransmitted and
// never answered on 4500, although the responder answered on 500; or IKE
// over UDP goes unanswered altogether while the same peers then succeed
// over TCP (RFC 9329).
//
// After NAT detection both peers must move to UDP 4500 (RFC 7296 §2.23,
// RFC 3947 §4). A firewall or port forward that allows only UDP 500 lets
// IKE_SA_INIT (Main Mode 1–4) through and kills the exchange at the float;
// the initiator retransmits and gives up. With two captures the finding
// says where: requests absent outside were dropped by the NAT; present
// outside but unanswered, beyond it; answered outside but not inside, the
// NAT dropped the replies.
//
// Allow UDP 4500 as well as 500, both ways, on the NAT and every firewall
// on the path; a port forward to a responder behind a NAT needs both ports.
// IPsec Passthrough settings do not matter for this.
//
// The rule needs the float (IKE with the non-ESP marker) or a TCP
// fallback to the same responder, at least MinRetransmissions
// retransmissions, and no UDP 4500 traffic from the responder at all. A
// responder that is down answers nothing on 500 either, so the "answered on
// 500" condition keeps a dead peer out. IP-fragmented IKE (lost fragments,
// VP104) and IKE whose SPIs an ALG rewrote (VP107) fail the same way for
// other reasons and are left out, and so is IKE that a capture shows
// arriving behind the non-ESP marker on port 500 (a port forward from 4500
// to 500): UDP 4500 was not blocked but delivered to the wrong port, which
// VP310 reports.
type nattUDPBlocked struct{}

func (nattUDPBlocked) Meta() Meta {
	return Meta{
		ID:         "VP304",
		Slug:       "natt-udp-blocked",
		Title:      "IKE over UDP 4500 (or all UDP) is blocked between the peers",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "retransmission times before and after the float",
		Explanation: "The peers detected the NAT and moved IKE from UDP port 500 to UDP port 4500, as NAT traversal requires, " +
			"but nothing came back on 4500: the initiator retransmitted its request until it gave up, although the responder had " +
			"answered on port 500 moments before. A firewall, a NAT's filter or a port forward lets port 500 through and drops " +
			"port 4500. The same rule reports IKE over UDP that is never answered while the peers then succeed over TCP " +
			"(RFC 9329): UDP is blocked on the path. With both captures the finding says whether the NAT or something beyond it " +
			"dropped the packets.",
		Remedy: "Allow UDP 4500 in addition to UDP 500, in both directions, on the NAT and every firewall between the peers " +
			"(on a port forward to a gateway behind NAT, forward both ports). Where UDP cannot be opened, configure TCP " +
			"encapsulation (strongSwan and libreswan enable-tcp, RFC 9329) as a fallback. IPsec Passthrough settings do not " +
			"affect this.",
		References: []string{"RFC 7296 §2.23", "RFC 3947 §4", "RFC 3948 §2.2", "RFC 9329 §1", "Cisco NAT-T guide"},
		Catalogue:  []string{"NT03"},
	}
}

func (r nattUDPBlocked) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		if ikeOverTCP(v) || v.SPIRewritten {
			// Over TCP nothing depends on UDP; with the SPIs rewritten
			// by an ALG the responder ignores the messages whatever the
			// port (VP107's case).
			continue
		}
		t, side := primarySide(v)
		if ntIKEFragmented(v, flows.RoleInitiator) {
			// Fragmented IKE lost at a NAT that drops fragments looks
			// the same from here; VP104 tells that case.
			continue
		}
		if ntMarkerOn500(v) {
			continue
		}
		if f, ok := r.afterFloat(c, v, t, side); ok {
			report(f)
			continue
		}
		if f, ok := r.tcpFallback(c, v, t, side); ok {
			report(f)
		}
	}
}

func (nattUDPBlocked) afterFloat(c *Context, v *flows.TunnelView, t *flows.Tunnel, side flows.Side) (Finding, bool) {
	ini := sumPathsOf(t, flows.RoleInitiator, flows.PathIKEMarker)
	if ini.packets == 0 || ini.retrans < c.Config.Thresholds.MinRetransmissions {
		return Finding{}, false
	}
	if sumPathsOf(t, flows.RoleResponder, flows.PathIKEMarker, flows.PathESPInUDP).packets > 0 {
		return Finding{}, false
	}
	ans := sumPathsOf(t, flows.RoleResponder, flows.PathIKE)
	if ans.packets == 0 {
		return Finding{}, false
	}
	if o := v.Sides[1-side]; c.Two() && side == flows.SideInside && o != nil &&
		sumPathsOf(o, flows.RoleResponder, flows.PathIKE).packets == 0 && c.BothCaptured(side, ans.first, ans.last) {
		// Outside, the responder never answered this IKE SA on 500: it
		// negotiated under other SPIs (an ALG rewrote them) and cannot
		// know the messages on 4500, whatever the port.
		return Finding{}, false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the %s answered on UDP %d (%s), then the %s moved to UDP 4500 and sent %s to %s (%s%s) over %s with no reply on UDP 4500",
		peerAddr(t, flows.RoleResponder), ans.srcs[0].Port(), frameList([]int{ans.lastFrame}),
		peerAddr(t, flows.RoleInitiator), words.Count(ini.packets, "IKE message"), listOf(ini.dsts, netip.AddrPort.String),
		ntFirstExchangeAt(t, ini.firstFrame), words.Count(ini.retrans, "retransmission"), fmtDuration(ini.last.Sub(ini.first)))
	in, out := []int{}, []int{}
	addSideFrames(side, append([]int{ans.lastFrame}, firstFrames(ini.frames, 8)...), &in, &out)
	if c.Two() {
		o := v.Sides[1-side]
		if s, frames := ntLocate(c, side, o, ini, flows.PathIKEMarker, "UDP 4500"); s != "" {
			b.WriteString("; " + s)
			addSideFrames(1-side, frames, &in, &out)
		}
	}
	return Finding{Confidence: High, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)}, true
}

// ntLocate says where the initiator's unanswered packets of one kind were
// lost, from the other capture's view of the same tunnel, and returns the
// other side's frames to show.
func ntLocate(c *Context, side flows.Side, o *flows.Tunnel, ini pathSum, kind flows.PathKind, port string) (string, []int) {
	if side != flows.SideInside {
		return "", nil
	}
	if o == nil {
		if c.BothCaptured(side, ini.first, ini.last) {
			return fmt.Sprintf("none of the %d appear in the outside capture: the NAT or its firewall dropped them", ini.packets), nil
		}
		return "", nil
	}
	oIni := sumPathsOf(o, flows.RoleInitiator, kind)
	oResp := sumPathsOf(o, flows.RoleResponder, kind, flows.PathESPInUDP)
	frames := append(firstFrames(oIni.frames, 8), firstFrames(oResp.frames, 8)...)
	switch {
	case oResp.packets > 0:
		return fmt.Sprintf("the responder answered %s on %s in the outside capture (%s), but none of it reached the inside: the NAT drops inbound %s",
			howOften(oResp.packets), port, frameList(firstFrames(oResp.frames, 6)), port), frames
	case oIni.packets == 0 && c.BothCaptured(side, ini.first, ini.last):
		return fmt.Sprintf("none of the %d appear in the outside capture: the NAT or its firewall dropped them", ini.packets), frames
	case oIni.packets == 0:
		return "", nil
	}
	return fmt.Sprintf("%d of %d left the NAT as %s to %s (outside %s) and got no reply: %s is dropped beyond the NAT, or the responder does not accept it",
		oIni.packets, ini.packets, listOf(oIni.srcs, netip.AddrPort.String), listOf(oIni.dsts, netip.AddrPort.String), frameList(firstFrames(oIni.frames, 6)), port), frames
}

// ntMarkerOn500 reports whether either capture shows IKE of the tunnel
// with the non-ESP marker on UDP port 500.
func ntMarkerOn500(v *flows.TunnelView) bool {
	for _, t := range v.Sides {
		if t != nil && t.MarkerOn500.Count() > 0 {
			return true
		}
	}
	return false
}

// ntIKEFragmented reports whether a peer's IKE messages travelled in IP
// fragments, or arrived incomplete, in either capture.
func ntIKEFragmented(v *flows.TunnelView, r flows.Role) bool {
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		if fr := t.IKEFragments(); fr.ByRole[r] > 0 || fr.IncompleteByRole[r] > 0 {
			return true
		}
	}
	return false
}

// ntFirstExchangeAt names the exchange whose request was sent at a frame,
// as "IKE_AUTH first, ", or "" when none is known.
func ntFirstExchangeAt(t *flows.Tunnel, frame int) string {
	for _, e := range t.Exchanges {
		if slices.Contains(e.RequestFrames.List(), frame) {
			return e.Type.String() + ", "
		}
	}
	return ""
}

func (nattUDPBlocked) tcpFallback(c *Context, v *flows.TunnelView, t *flows.Tunnel, side flows.Side) (Finding, bool) {
	var e *flows.Exchange
	for _, x := range t.Exchanges {
		if !x.Answered && !x.TCP && x.From == flows.RoleInitiator && x.Retransmissions >= c.Config.Thresholds.MinRetransmissions {
			e = x
			break
		}
	}
	if e == nil || sumPathsOf(t, flows.RoleResponder, flows.PathIKE, flows.PathIKEMarker, flows.PathESPInUDP).packets > 0 {
		return Finding{}, false
	}
	var fb *flows.Tunnel
	for _, o := range c.Capture(side).Tunnels {
		if o != t && o.TCP && o.First.After(t.First) &&
			o.InitiatorFirst.Addr() == t.InitiatorFirst.Addr() && o.ResponderFirst.Addr() == t.ResponderFirst.Addr() &&
			sumPathsOf(o, flows.RoleResponder, flows.PathTCP).packets > 0 {
			fb = o
			break
		}
	}
	if fb == nil {
		return Finding{}, false
	}
	ini := sumPathsOf(t, flows.RoleInitiator, flows.PathIKE, flows.PathIKEMarker)
	fbID := fb.ID
	if fv := c.ViewOf(side, fb); fv != nil {
		fbID = fv.ID
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the %s sent %s %s over UDP to %s over %s and got no reply; %s later it reached the same responder over TCP port %d (RFC 9329, tunnel %d, frame %d), which the responder answered: UDP between the peers is blocked",
		peerAddr(t, flows.RoleInitiator), e.Type, howOften(e.Requests()), t.ResponderFirst, fmtDuration(e.Last.Sub(e.First)),
		fmtDuration(fb.First.Sub(e.Last)), fb.ResponderFirst.Port(), fbID, fb.Frames.First())
	in, out := []int{}, []int{}
	addSideFrames(side, append(firstFrames(e.RequestFrames.List(), 8), fb.Frames.First()), &in, &out)
	if c.Two() {
		if s, frames := ntLocate(c, side, v.Sides[1-side], ini, flows.PathIKE, "UDP"); s != "" {
			b.WriteString("; " + s)
			addSideFrames(1-side, frames, &in, &out)
		}
	}
	return Finding{Confidence: High, Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)}, true
}
