package rules

import (
	"fmt"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// ikeFragmentationNotNegotiated detects IKE SAs whose peers did not both
// announce IKE fragmentation — IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT
// (RFC 7383 §2.3) or the IKEv1 fragmentation vendor ID — while their IKE
// messages are long enough to be IP-fragmented (Thresholds.LargeIKEMessage
// octets or more, or actually fragmented).
//
// IKE fragmentation is used only when both peers announce it. Without it a
// message longer than the path MTU travels as IP fragments, which NATs and
// firewalls often drop (VP104): the tunnel works on one network and fails
// on another, or starts failing when a certificate chain grows.
//
// Enable IKE fragmentation on the peer that did not announce it.
//
// Messages below the MTU of every path in between cross unharmed; the
// threshold is a cautious guess of the smallest common MTU, hence a warning.
type ikeFragmentationNotNegotiated struct{}

func (ikeFragmentationNotNegotiated) Meta() Meta {
	return Meta{
		ID:         "VP105",
		Slug:       "ike-fragmentation-not-negotiated",
		Title:      "IKE fragmentation not negotiated for large IKE messages",
		Severity:   Warning,
		Confidence: High,
		Explanation: "IKE can split its own large messages into UDP datagrams that fit the path (RFC 7383 for IKEv2, a " +
			"vendor extension for IKEv1), but only when both peers announce support at the start of the negotiation. Here at " +
			"least one peer did not, while the IKE messages are long enough (certificates, many proposals) to be split by " +
			"the IP layer instead. IP fragments are fragile across NATs and firewalls, which often drop all but the first, so " +
			"the tunnel depends on the path's MTU and on every middlebox passing fragments.",
		Remedy: "Enable IKE fragmentation on the peer that does not announce it: strongSwan fragmentation=yes (charon.fragment_size " +
			"sets the size, 1280 by default), libreswan fragmentation=yes, Cisco IOS crypto ikev2 fragmentation; check the " +
			"client's VPN settings for an IKE fragmentation option. Alternatively keep IKE messages small (shorter certificate " +
			"chains, fewer certificate requests).",
		References: []string{
			"RFC 7383 §2.3 (negotiation: both peers send IKEV2_FRAGMENTATION_SUPPORTED)",
			"RFC 7383 §1 (why IP fragmentation of IKE fails)",
		},
		Catalogue: []string{"NT05"},
	}
}

func (r ikeFragmentationNotNegotiated) Check(c *Context, report func(Finding)) {
	large := c.Config.Thresholds.LargeIKEMessage
	if large <= 0 {
		large = DefaultConfig().Thresholds.LargeIKEMessage
	}
	for _, v := range c.Tunnels {
		known, ok := fragmentationSupport(v)
		if !known || ok[0] && ok[1] {
			continue
		}
		// The largest message, the fragmented ones and the incomplete
		// datagrams, each from the capture that saw most of them.
		var biggest, fragmented, incomplete, frame int
		var bigSide, fragSide, incSide flows.Side
		for s, t := range v.Sides {
			if t == nil {
				continue
			}
			fr := t.IKEFragments()
			if fr.Largest > biggest {
				biggest, frame, bigSide = fr.Largest, fr.LargestFrame, flows.Side(s)
			}
			if fr.Messages > fragmented {
				fragmented, fragSide = fr.Messages, flows.Side(s)
			}
			if fr.Incomplete > incomplete {
				incomplete, incSide = fr.Incomplete, flows.Side(s)
			}
		}
		if biggest < large && fragmented == 0 && incomplete == 0 {
			continue
		}
		t, side := startSide(v)
		if len(t.Exchanges) == 0 {
			continue
		}
		name := fragmentationName(t.Version)
		var b strings.Builder
		switch {
		case ok[0]:
			fmt.Fprintf(&b, "only the initiator announced %s; the responder %s did not", name, t.ResponderFirst.Addr())
		case ok[1]:
			fmt.Fprintf(&b, "only the responder announced %s; the initiator %s did not", name, t.InitiatorFirst.Addr())
		default:
			fmt.Fprintf(&b, "neither the initiator %s nor the responder %s announced %s", t.InitiatorFirst.Addr(), t.ResponderFirst.Addr(), name)
		}
		e := t.Exchanges[0]
		var frames [2][]int
		frames[side] = append(frames[side], e.RequestFrames.First(), e.ResponseFrames.First())
		switch {
		case fragmented > 0:
			fr := v.Sides[fragSide].IKEFragments()
			fmt.Fprintf(&b, "; %s travelled as IP fragments (the largest IKE message is %d octets)", words.Count(fragmented, "IKE message"), fr.Largest)
			frames[fragSide] = append(frames[fragSide], fr.Frames.List()...)
		case biggest >= large:
			fmt.Fprintf(&b, "; the largest IKE message is %d octets (frame %d), above the %d octets from which IP fragmentation is likely", biggest, frame, large)
			frames[bigSide] = append(frames[bigSide], frame)
		}
		if incomplete > 0 {
			fr := v.Sides[incSide].IKEFragments()
			fmt.Fprintf(&b, "; %s on the IKE ports arrived with fragments missing", words.Count(incomplete, "datagram"))
			frames[incSide] = append(frames[incSide], fr.IncompleteFrames.List()...)
		}
		crossed := fragmentsCrossed(v)
		if crossed {
			b.WriteString("; here every fragment crossed the NAT, but a path that drops non-first fragments will break the negotiation")
		}
		ev := evidenceFromBoth(c, frames[flows.SideInside], frames[flows.SideOutside])
		report(Finding{Tunnel: v.ID, Confidence: High, Message: b.String(), Evidence: ev, Milder: crossed})
	}
}

// fragmentsCrossed reports whether both captures show the tunnel's
// IP-fragmented IKE messages complete, the same number on each side, and
// no IKE message of the tunnel lost between them: the fragments crossed
// the NAT here.
func fragmentsCrossed(v *flows.TunnelView) bool {
	in, out := v.Sides[flows.SideInside], v.Sides[flows.SideOutside]
	if in == nil || out == nil {
		return false
	}
	fi, fo := in.IKEFragments(), out.IKEFragments()
	return fi.Messages > 0 && fi.Messages == fo.Messages && fi.Incomplete == 0 && fo.Incomplete == 0 &&
		in.Fate().Dropped == 0 && out.Fate().Dropped == 0
}
