package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// innerSum is what a tunnel's decrypted ESP carried in one direction, in
// one capture.
type innerSum struct {
	packets, requests, replies, failed int
	pairs                              [][2]netip.Addr // distinct inner source and destination
	failure                            string
	// downstream is set when the packets were counted in the capture
	// beyond the NAT for their direction: they crossed it.
	downstream bool
}

func (s *innerSum) add(sa *flows.ESPSA) {
	in := sa.Inner()
	s.packets += in.Decrypted
	if in.Failed > 0 && s.failure == "" {
		s.failure = in.FirstFailure
	}
	s.failed += in.Failed
	for _, f := range in.Flows {
		s.requests += f.EchoRequests
		s.replies += f.EchoReplies
		if p := [2]netip.Addr{f.Src, f.Dst}; !slices.Contains(s.pairs, p) {
			s.pairs = append(s.pairs, p)
		}
	}
}

// innerTraffic sums a tunnel's decrypted ESP by direction (0: from the
// initiator, 1: from the responder). With two captures each direction is
// counted in the capture beyond the NAT for it, where the packets had
// crossed; when the direction across the NAT cannot be told, or with one
// capture, in the capture that decrypted most. ok is false when nothing
// was decrypted or failed to.
func innerTraffic(c *Context, v *flows.TunnelView) (dirs [2]innerSum, ok bool) {
	var per [2][2]innerSum // by side, by direction
	var beyond [2]flows.Side
	var known [2]bool
	hosts := c.hostSides()
	for s, t := range v.Sides {
		if t == nil {
			continue
		}
		for _, sa := range t.ESPSAs {
			if in := sa.Inner(); in.Decrypted+in.Failed == 0 {
				continue
			}
			ok = true
			d := 0
			if sa.Src == t.Responder.Addr() || sa.Src == t.ResponderFirst.Addr() {
				d = 1
			}
			per[s][d].add(sa)
			if c.Two() && !known[d] {
				switch hosts.dir(flows.Side(s), sa.Src, sa.Dst) {
				case dirOutbound:
					beyond[d], known[d] = flows.SideOutside, true
				case dirInbound:
					beyond[d], known[d] = flows.SideInside, true
				}
			}
		}
	}
	for d := range dirs {
		switch {
		case known[d] && v.Sides[beyond[d]] != nil:
			dirs[d] = per[beyond[d]][d]
			dirs[d].downstream = true
		case per[1][d].packets > per[0][d].packets:
			dirs[d] = per[1][d]
		default:
			dirs[d] = per[0][d]
		}
	}
	return dirs, ok
}

// innerTrafficSentence says what the tunnel's ESP carried, decrypted with
// the keys given: in which directions traffic flowed, between which inner
// addresses, and whether the pings of each side were answered. A request
// "reached" its target only when a reply shows it, and "crossed the NAT"
// only when counted beyond it; nothing is said without decrypted ESP.
func innerTrafficSentence(c *Context, v *flows.TunnelView) string {
	dirs, ok := innerTraffic(c, v)
	if !ok {
		return ""
	}
	var b strings.Builder
	switch {
	case dirs[0].packets > 0 && dirs[1].packets > 0:
		b.WriteString("Decrypted, its ESP carried traffic both ways")
	case dirs[0].packets+dirs[1].packets > 0:
		b.WriteString("Decrypted, its ESP carried traffic one way only")
	default:
		b.WriteString("None of its ESP decrypted with the keys given")
	}
	if (dirs[0].packets == 0 || dirs[0].downstream) && (dirs[1].packets == 0 || dirs[1].downstream) && dirs[0].packets+dirs[1].packets > 0 {
		b.WriteString(", counted past the NAT")
	}
	var parts []string
	for d, s := range dirs {
		if s.packets == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s%s", words.Count(s.packets, "packet"), innerPairWords(s.pairs, d), echoWords(s.requests, s.replies)))
	}
	if len(parts) > 0 {
		b.WriteString(": " + strings.Join(parts, " and "))
		if len(parts) == 1 {
			b.WriteString(", nothing back")
		}
	}
	var pings []string
	for d, s := range dirs {
		if s.requests == 0 || len(s.pairs) != 1 {
			continue
		}
		from, to := innerAddr(s.pairs[0][0]), innerAddr(s.pairs[0][1])
		side := fmt.Sprintf("%s (the %s's side)", from, flows.Role(d))
		// An echo reply proves the request reached its target; without
		// one, only what the captures saw can be said.
		switch back := dirs[1-d].replies; {
		case back >= s.requests:
			pings = append(pings, fmt.Sprintf("the pings from %s reached %s and were answered", side, to))
		case back > 0:
			pings = append(pings, fmt.Sprintf("the pings from %s reached %s, and %d of %d were answered", side, to, back, s.requests))
		case s.downstream:
			pings = append(pings, fmt.Sprintf("the pings from %s to %s crossed the NAT, but no echo reply came back through the tunnel", side, to))
		default:
			pings = append(pings, fmt.Sprintf("the pings from %s to %s got no echo reply through the tunnel", side, to))
		}
	}
	if len(pings) > 0 {
		b.WriteString("; " + strings.Join(pings, ", and "))
	}
	b.WriteString(".")
	failed := dirs[0].failed + dirs[1].failed
	if failed > 0 {
		reason := dirs[0].failure
		if reason == "" {
			reason = dirs[1].failure
		}
		fmt.Fprintf(&b, " %s did not decrypt: %s.", words.Count(failed, "ESP packet"), strings.TrimSuffix(reason, "."))
	}
	return b.String()
}

// innerPairWords names the inner addresses of one direction.
func innerPairWords(pairs [][2]netip.Addr, d int) string {
	switch {
	case len(pairs) == 1 && pairs[0][0].IsValid():
		return innerAddr(pairs[0][0]) + " → " + innerAddr(pairs[0][1])
	case len(pairs) == 1:
		return "from the " + flows.Role(d).String() + " in transport mode"
	}
	return fmt.Sprintf("from the %s's side between %d inner address pairs", flows.Role(d), len(pairs))
}

func innerAddr(a netip.Addr) string {
	if !a.IsValid() {
		return "the peer"
	}
	return a.String()
}

// echoWords counts the ICMP echoes among a direction's packets.
func echoWords(requests, replies int) string {
	var w []string
	if requests > 0 {
		w = append(w, words.Count(requests, "ICMP echo request"))
	}
	if replies > 0 {
		w = append(w, fmt.Sprintf("%d echo %s", replies, words.Pick(replies, "reply", "replies")))
	}
	if len(w) == 0 {
		return ""
	}
	return " (" + strings.Join(w, ", ") + ")"
}

// authUnread says why an IKEv2 tunnel's outcome cannot be told when its
// IKE_AUTH was answered and nothing followed: the answer is encrypted, and
// a refusal (AUTHENTICATION_FAILED, RFC 7296 §2.21.2) looks like an
// acceptance from outside. ESP, or any later exchange of the IKE SA, shows
// that it came up; keys that opened its messages show what the answer
// said. It returns "" when the outcome can be told.
func authUnread(v *flows.TunnelView) string {
	auth := false
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		if t.Version != 2 || t.Decryption.Decrypted > 0 || t.Midstream {
			return ""
		}
		last := -1
		for i, e := range t.Exchanges {
			if e.Type == decode.ExchangeTypeIKEAuth && e.Answered {
				last = i
			}
		}
		if last < 0 {
			return ""
		}
		for _, e := range t.Exchanges[last+1:] {
			if e.Answered || e.Requests() > 0 && e.From == flows.RoleResponder {
				return ""
			}
		}
		auth = true
	}
	if !auth {
		return ""
	}
	return "IKE_AUTH was answered, but its answer is encrypted and nothing followed it (no ESP, no further exchange): " +
		"whether the responder accepted the authentication or refused it (AUTHENTICATION_FAILED) cannot be told " +
		"without the keys (--keys)"
}

// espExactSentence says, when keys decrypted a tunnel's SA payloads, how
// its ESP SAs are tied to it: all by the SPIs its exchanges negotiated
// (exact), or some by addresses and timing only, which keys did not
// confirm. Nothing without decrypted SA payloads.
func espExactSentence(v *flows.TunnelView) string {
	negotiated := false
	var exact, inferred []string
	for _, t := range v.Sides {
		if t == nil {
			continue
		}
		negotiated = negotiated || len(t.ChildSAs) > 0
		for _, sa := range t.ESPSAs {
			spi := decode.SPI(sa.SPI).String()
			switch {
			case sa.Inferred && !slices.Contains(inferred, spi):
				inferred = append(inferred, spi)
			case !sa.Inferred && !slices.Contains(exact, spi):
				exact = append(exact, spi)
			}
		}
	}
	if !negotiated || len(exact)+len(inferred) == 0 {
		return ""
	}
	if len(inferred) == 0 {
		return fmt.Sprintf("Its %s %s tied to it exactly: its decrypted exchanges negotiated %s.", words.Count(len(exact), "ESP SA"),
			words.Pick(len(exact), "is", "are"), words.Pick(len(exact), "the SPI", "their SPIs"))
	}
	return fmt.Sprintf("%d of its %s (SPI %s) %s negotiated in none of its decrypted exchanges: %s tied to it by addresses and timing only, and may belong to another IKE SA.",
		len(inferred), words.Count(len(exact)+len(inferred), "ESP SA"), words.List(inferred, 0), words.Pick(len(inferred), "was", "were"), words.Pick(len(inferred), "it is", "they are"))
}

// endSentence says who ended the tunnel, when a Delete payload read
// decrypted deleted its IKE SA (RFC 7296 §1.4.1): the tunnel was closed,
// not lost.
func endSentence(c *Context, v *flows.TunnelView) string {
	for s, t := range v.Sides {
		if t == nil || t.Decryption.IKEDeletedFrame == 0 {
			continue
		}
		where := ""
		if c.Two() {
			where = " of the " + flows.Side(s).String() + " capture"
		}
		if t.RekeyedAs != 0 {
			return fmt.Sprintf("The %s deleted this IKE SA after its rekey, with a Delete payload (read decrypted, frame %d%s); the tunnel went on under the new IKE SA.",
				t.Decryption.IKEDeletedBy, t.Decryption.IKEDeletedFrame, where)
		}
		return fmt.Sprintf("The %s closed the tunnel: it deleted the IKE SA with a Delete payload (read decrypted, frame %d%s).",
			t.Decryption.IKEDeletedBy, t.Decryption.IKEDeletedFrame, where)
	}
	return ""
}
