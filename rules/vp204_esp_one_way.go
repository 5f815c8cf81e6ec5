package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// espOneWay finds tunnels whose ESP flows in one direction only: packets
// from one peer to the other, and nothing back, for long enough that an
// answer was due. With both captures it says where the other direction
// stops: it reaches the outside capture and the NAT does not forward it,
// or it never leaves the NAT, or neither capture sees it at all.
//
// An IPsec SA pair carries both directions of the protected traffic; TCP,
// DNS and ping all need the answer. ESP in one direction only is a tunnel
// that is "up" in both peers' status and passes no traffic. Behind a NAT
// it is the typical sign of IPsec Passthrough being off (the NAT forwards
// the client's raw ESP out but has no state to bring the answer back in,
// as with GRE without a PPTP helper), of a firewall rule that allows one
// direction only, or of a peer whose inbound SA was never installed.
// With keys (--keys) the finding names the SPI the tunnel negotiated for
// the silent direction, read from its decrypted SA payloads, and what the
// present direction carried (unanswered pings, say).
//
// Fix it where the other direction stops: enable IPsec (ESP) Passthrough
// or allow IP protocol 50 both ways on the NAT, or better make the peers
// use NAT-T (UDP 4500) so that no passthrough is needed; if the other
// direction is not even sent, check the peer's SA and policy state
// ("ip xfrm state", "swanctl --list-sas") and its logs.
//
// Traffic inside a tunnel can legitimately be one-way (a syslog or video
// feed), so one capture gives medium confidence, high when IKE answers in
// the same capture show that the capture point sees both directions. ESP
// with no IKE in the capture is left alone with one capture (the capture
// point may see one direction only; VP208 lists it) and judged with two,
// from where it stops. A tunnel is only reported once its one-way ESP
// reached the threshold (Thresholds.OneWayPackets) over at least two
// seconds (by the count alone in a capture whose time stamps are all the
// same, VP910). A capture that shows one direction of everything (IKE without
// a single response and no conversation with packets both ways: a mirror
// port or a filter that sees one direction, VP908) says nothing about
// ESP coming back, and is left alone.
type espOneWay struct{}

func (espOneWay) Meta() Meta {
	return Meta{
		ID:         "VP204",
		Slug:       "esp-one-way",
		Symptom:    true,
		Title:      "ESP flows in one direction only",
		Severity:   Error,
		Confidence: Medium,
		TimeUse:    "how long ESP flowed one way",
		Untimed:    "judging by packet counts",
		Explanation: "A tunnel's ESP travels from one peer to the other and nothing comes back. Both ends may " +
			"show the tunnel as up, yet no connection through it can work, since every exchange needs an " +
			"answer. Behind a NAT this is what IPsec Passthrough turned off looks like: the NAT lets raw ESP " +
			"out but cannot bring the answers back in, the same way GRE fails without a PPTP helper.",
		Remedy: "On the NAT/firewall in front of the client, enable IPsec (ESP) Passthrough or allow IP protocol " +
			"50 in both directions — or, better, make the peers use NAT-T so that ESP travels in UDP 4500 and " +
			"needs no passthrough (NAT traversal enabled on both peers; Windows clients need the registry value " +
			"AssumeUDPEncapsulationContextOnSendRule when the server is behind a NAT too). If the other " +
			"direction is not sent at all, check the " +
			"silent peer's SAs and policies (\"ip xfrm state\", \"swanctl --list-sas\") and its logs.",
		References: []string{"RFC 4301 §4.1 (SAs are unidirectional; a pair carries both directions)", "RFC 3715 §2.1 (intrinsic NAT issues)", "RFC 3948 §2.1 (UDP-encapsulated ESP)"},
	}
}

// espOneWayMinSpan is how long one-way ESP must last before it counts: an
// answer normally follows within a round trip.
const espOneWayMinSpan = 2 * time.Second

// espChannel groups the SAs between two peers, by direction: [0] from a to
// b, [1] from b to a. For a tunnel, a is the initiator.
type espChannel struct {
	tun   *flows.Tunnel
	a, b  netip.Addr
	sas   [2][]*flows.ESPSA
	pkts  [2]int
	first [2]time.Time
	last  [2]time.Time
	// order keeps the channel list deterministic: the first SA's index.
	order int
}

type espChannelKey struct {
	tunnel int
	pair   [2]netip.Addr
}

// espChannels groups a capture's ESP SAs (not AH) by tunnel, or by address
// pair for SAs of no tunnel.
func espChannels(a *flows.Analysis) []*espChannel {
	idx := map[espChannelKey]*espChannel{}
	var out []*espChannel
	for i, sa := range a.SAs {
		if sa.AH {
			continue
		}
		var k espChannelKey
		var tun *flows.Tunnel
		dir := 0
		if sa.Tunnel > 0 && sa.Tunnel <= len(a.Tunnels) {
			tun = a.Tunnels[sa.Tunnel-1]
			k.tunnel = tun.ID
			if sa.Src == tun.Responder.Addr() || sa.Src == tun.ResponderFirst.Addr() {
				dir = 1
			}
		} else {
			x, y := sa.Src, sa.Dst
			if y.Less(x) {
				x, y = y, x
				dir = 1
			}
			k.pair = [2]netip.Addr{x, y}
		}
		ch := idx[k]
		if ch == nil {
			ch = &espChannel{tun: tun, order: i}
			if tun != nil {
				ch.a, ch.b = tun.Initiator.Addr(), tun.Responder.Addr()
			} else {
				ch.a, ch.b = k.pair[0], k.pair[1]
			}
			idx[k] = ch
			out = append(out, ch)
		}
		ch.sas[dir] = append(ch.sas[dir], sa)
		ch.pkts[dir] += sa.Packets()
		if ch.first[dir].IsZero() || sa.First.Before(ch.first[dir]) {
			ch.first[dir] = sa.First
		}
		if sa.Last.After(ch.last[dir]) {
			ch.last[dir] = sa.Last
		}
	}
	return out
}

// oneWay returns the direction that carries ESP while the other carries
// none, or -1. Untimed, for a capture whose time stamps are all the same,
// it goes by the count alone.
func (ch *espChannel) oneWay(min int, untimed bool) int {
	for d := 0; d < 2; d++ {
		if ch.pkts[d] >= min && ch.pkts[1-d] == 0 && (untimed || ch.last[d].Sub(ch.first[d]) >= espOneWayMinSpan) {
			return d
		}
	}
	return -1
}

// ends returns the sender and receiver addresses of a direction.
func (ch *espChannel) ends(d int) (netip.Addr, netip.Addr) {
	if len(ch.sas[d]) > 0 {
		return ch.sas[d][0].Src, ch.sas[d][0].Dst
	}
	if d == 0 {
		return ch.a, ch.b
	}
	return ch.b, ch.a
}

func (espOneWay) Check(c *Context, report func(Finding)) {
	min := max(c.Config.Thresholds.OneWayPackets, 1)
	v := c.dataPlane()
	reported := map[uint32]bool{} // SPIs of the present direction already reported
	for _, side := range c.captureSides() {
		if looksOneSided(c.Captures[side]) {
			continue
		}
		for _, ch := range espChannels(c.Captures[side]) {
			d := ch.oneWay(min, c.Captures[side].Capture.Stats.Clock.Unusable())
			if d < 0 || (ch.tun == nil && !c.Two()) {
				// Without IKE in the capture nothing shows that the
				// capture point sees both directions; VP208 lists such
				// SAs, and a second capture can still place them.
				continue
			}
			present := ch.sas[d]
			if slices.ContainsFunc(present, func(sa *flows.ESPSA) bool { return reported[sa.SPI] }) {
				continue
			}
			for _, sa := range present {
				reported[sa.SPI] = true
			}
			f := espOneWayFinding(v, side, ch, d)
			if c.Two() {
				espLocateOtherDirection(v, side, ch, d, &f, reported)
			}
			report(f)
		}
	}
}

func espOneWayFinding(v *dataPlane, side flows.Side, ch *espChannel, d int) Finding {
	c := v.c
	src, dst := ch.ends(d)
	present := ch.sas[d]
	spis := make([]string, 0, len(present))
	var frames []int
	decrypted := false
	for _, sa := range present {
		spis = append(spis, decode.SPI(sa.SPI).String())
		frames = append(frames, firstFrames(sa.Frames.List(), 3)...)
	}
	who := func(a netip.Addr, role string) string {
		if ch.tun == nil {
			return a.String()
		}
		return a.String() + " (" + role + ")"
	}
	roles := [2]string{"initiator", "responder"}
	where := ""
	if c.Two() {
		where = " in the " + side.String() + " capture"
	}
	over := " over " + fmtDuration(ch.last[d].Sub(ch.first[d]))
	if c.Captures[side].Capture.Stats.Clock.Unusable() {
		over = ", over a time the capture does not tell"
	}
	msg := fmt.Sprintf("ESP flows only from %s to %s%s: %d packets on SPI %s%s; none from %s back",
		who(src, roles[d]), who(dst, roles[1-d]), where, ch.pkts[d], words.List(spis, 0), over, dst)
	conf := Low
	tunnelID := 0
	if ch.tun != nil {
		tunnelID = v.tunnelID(side, ch.tun.ID)
		conf = Medium
		if answer := espAnswerFrame(ch.tun); answer > 0 {
			// IKE answers crossed this capture point, so it sees
			// both directions: the missing ESP is not a blind spot.
			conf = High
			msg += fmt.Sprintf(", although IKE between them works both ways here (answer in frame %d)", answer)
			frames = append(frames, answer)
		}
		pos := ch.tun.NAT()
		if tunnelID > 0 && tunnelID <= len(c.Tunnels) {
			// The view joins NAT-D with what the correlation saw.
			pos = c.Tunnels[tunnelID-1].NAT.Position
		}
		if raw, udp := espEncap(present); raw > 0 && udp == 0 && pos != flows.NATNone && pos != flows.NATUnknown {
			msg += "; the ESP is raw (IP protocol 50) across a NAT, which only IPsec Passthrough can bring back"
		}
		var partnerFrames []int
		msg, partnerFrames, decrypted = espOneWayKeyed(msg, ch.tun, present)
		frames = append(frames, partnerFrames...)
	}
	group := 0
	if tunnelID == 0 && len(present) > 0 {
		group = c.GroupOf(present[0])
	}
	return Finding{
		Confidence: conf,
		Tunnel:     tunnelID,
		Group:      group,
		Subject:    fmt.Sprintf("esp %s -> %s", src, dst),
		Message:    msg,
		Evidence:   c.Evidence(side, frames...),
		Decrypted:  decrypted,
	}
}

// espOneWayKeyed adds what decryption (--keys) tells of a one-way
// channel: the SPIs the tunnel negotiated for the missing direction, read
// from its decrypted SA payloads, which no captured packet used; and what
// the present direction carried. It returns the frames of the SA payloads
// it cites, and whether it said anything of decrypted content.
func espOneWayKeyed(msg string, tun *flows.Tunnel, present []*flows.ESPSA) (string, []int, bool) {
	var partners []string
	var frames []int
	var inner flows.InnerTraffic
	for _, sa := range present {
		if c := tun.ChildSA(sa.SPI); c != nil && c.Partner != 0 && !sa.Inferred {
			if p := tun.ChildSA(c.Partner); p != nil && !slices.Contains(partners, decode.SPI(p.SPI).String()) {
				partners = append(partners, decode.SPI(p.SPI).String())
				frames = append(frames, p.Frame)
			}
		}
		in := sa.Inner()
		inner.Decrypted += in.Decrypted
		inner.Flows = append(inner.Flows, in.Flows...)
	}
	if len(partners) > 0 {
		msg += fmt.Sprintf("; the tunnel negotiated %s %s for the other direction (SA payload read decrypted, frame %d), and no packet on %s was captured",
			words.Pick(len(partners), "SPI", "SPIs"), words.List(partners, 0), frames[0], words.Pick(len(partners), "it", "them"))
	}
	if inner.Decrypted > 0 {
		var requests, replies int
		var pairs []string
		for _, f := range inner.Flows {
			requests += f.EchoRequests
			replies += f.EchoReplies
			if p := "from " + innerAddr(f.Src) + " to " + innerAddr(f.Dst); !slices.Contains(pairs, p) {
				pairs = append(pairs, p)
			}
		}
		msg += "; decrypted, " + words.Count(inner.Decrypted, "packet") + " of it"
		switch {
		case requests > 0 && requests == inner.Decrypted:
			msg += words.Pick(requests, " is an ICMP echo request, not answered", " are ICMP echo requests, none answered") + " through the tunnel here"
		case requests+replies > 0:
			msg += fmt.Sprintf(" hold%s", echoWords(requests, replies))
		}
		if len(pairs) == 1 {
			msg += " (" + pairs[0] + ")"
		}
	}
	return msg, frames, len(partners) > 0 || inner.Decrypted > 0
}

// espAnswerFrame returns the frame of the first IKE answer of a tunnel in
// the capture, which shows that the capture holds both peers' packets; 0
// when there is none.
func espAnswerFrame(t *flows.Tunnel) int {
	for _, e := range t.Exchanges {
		if e.Answered && e.ResponseFrames.First() > 0 {
			return e.ResponseFrames.First()
		}
	}
	return 0
}

func espEncap(sas []*flows.ESPSA) (raw, udp int) {
	for _, sa := range sas {
		raw += sa.Raw
		udp += sa.UDP + sa.TCP
	}
	return raw, udp
}

// espLocateOtherDirection uses the other capture to say where the missing
// direction stops, and marks the SAs the finding covers there so that the
// other capture's view of the same one-way tunnel is not reported again.
func espLocateOtherDirection(v *dataPlane, side flows.Side, ch *espChannel, d int, f *Finding, reported map[uint32]bool) {
	c := v.c
	other := 1 - side
	present := ch.sas[d]
	// The present direction as the other capture saw it.
	var cps []*flows.ESPSA
	crossed := 0
	for _, sa := range present {
		if cp := v.counterpart(side, sa); cp != nil {
			cps = append(cps, cp)
			crossed += cp.Packets()
		}
	}
	src, dst := ch.ends(d)
	dir := v.dir(side, src, dst)
	if len(cps) == 0 {
		espNotCrossed(side, dir, present, f)
		return
	}
	if espReverseStopsAtNAT(v, side, cps, f) {
		return
	}
	if side == flows.SideInside && espReverseMisdelivered(v, ch, d, cps, f) {
		return
	}
	// Neither capture has the other direction.
	for _, cp := range cps {
		reported[cp.SPI] = true
	}
	var frames []int
	for _, cp := range cps {
		frames = append(frames, firstFrames(cp.Frames.List(), 3)...)
	}
	f.Evidence = append(f.Evidence, c.Evidence(other, frames...)...)
	f.Message += fmt.Sprintf(". The %s capture shows the same: %d of these packets crossed the NAT and nothing comes back from %s there either",
		other, crossed, cps[0].Dst)
	switch dir {
	case dirOutbound:
		f.Message += ": the peer does not send, or its ESP is lost beyond the outside capture"
	case dirInbound:
		f.Message += ": the inside host does not send the other direction"
	default:
		f.Message += ": the other direction is never sent, or lost beyond both capture points"
	}
}

// espNotCrossed says why none of the present direction, seen in side's
// capture, appears in the other: the other capture was not running, the
// ESP does not come through the NAT, or the device between drops it.
func espNotCrossed(side flows.Side, dir direction, present []*flows.ESPSA, f *Finding) {
	other := 1 - side
	dropped := 0
	for _, sa := range present {
		dropped += sa.Fate().Dropped
	}
	switch {
	case dropped == 0:
		f.Message += fmt.Sprintf(". The %s capture does not cover the time of these packets, so it cannot tell where the other direction stops", other)
	case !towardOther(side, dir):
		f.Message += fmt.Sprintf(". None of it appears in the %s capture: it does not come through the NAT", other)
	default:
		f.Message += fmt.Sprintf(". None of it appears in the %s capture (%d packets dropped while both captures ran): the device between the captures drops this ESP", other, dropped)
		if dir == dirOutbound {
			f.Message += ", so the peer never receives anything to answer"
		}
		f.Confidence = High
	}
}

// espReverseStopsAtNAT looks in the other capture for the reverse
// direction: SAs from the present direction's receiver back to its sender
// (cps, the present direction as the other capture saw it), with SPIs
// side's capture never saw. When there are some, the NAT stops them: it
// says so and reports true.
func espReverseStopsAtNAT(v *dataPlane, side flows.Side, cps []*flows.ESPSA, f *Finding) bool {
	c := v.c
	other := 1 - side
	var reverse []*flows.ESPSA
	for _, cp := range cps {
		for _, sa := range v.between(other, cp.Dst, cp.Src) {
			if sa.AH || len(v.withSPI(side, sa.SPI, false)) > 0 || slices.Contains(reverse, sa) {
				continue
			}
			reverse = append(reverse, sa)
		}
	}
	if len(reverse) == 0 {
		return false
	}
	n, dropped := 0, 0
	spis := make([]string, 0, len(reverse))
	var frames []int
	for _, sa := range reverse {
		n += sa.Packets()
		dropped += sa.Fate().Dropped
		spis = append(spis, decode.SPI(sa.SPI).String())
		frames = append(frames, firstFrames(sa.Frames.List(), 3)...)
	}
	lost := fmt.Sprintf("%d dropped while both captures ran", dropped)
	if dropped == 0 {
		lost = "none of them while both captures ran, so this is not proven"
	}
	if other == flows.SideOutside {
		f.Message += fmt.Sprintf(". The answer does reach the outside capture — %d packets from %s on SPI %s — and the NAT does not forward them inside (%s): the NAT has no state to bring this ESP back in",
			n, reverse[0].Src, words.List(spis, 0), lost)
	} else {
		f.Message += fmt.Sprintf(". The inside capture shows %s sending the other direction — %d packets on SPI %s — and none of it leaves the NAT (%s)",
			reverse[0].Src, n, words.List(spis, 0), lost)
	}
	f.Evidence = append(f.Evidence, c.Evidence(other, frames...)...)
	if dropped > 0 {
		f.Confidence = High
	}
	return true
}

// espReverseMisdelivered looks, for a direction missing inside, for the
// other direction in the outside capture, delivered inside to another host
// than the sender of the present direction d of ch: raw ESP passthrough
// guessed the wrong client (VP205). Only SAs that began with the present
// direction count: the other host's own inbound SAs, older, are its own.
// When there are some, it says so and reports true.
func espReverseMisdelivered(v *dataPlane, ch *espChannel, d int, cps []*flows.ESPSA, f *Finding) bool {
	c := v.c
	side, other := flows.SideInside, flows.SideOutside
	src, _ := ch.ends(d)
	n := 0
	var spis []string
	var hosts []netip.Addr
	var frames []int
	for _, cp := range cps {
		for _, sa := range v.between(other, cp.Dst, cp.Src) {
			if sa.AH || slices.Contains(spis, decode.SPI(sa.SPI).String()) ||
				c.OnInsideClock(other, sa.First).Before(ch.first[d].Add(-espOwnerWindow)) {
				continue
			}
			var elsewhere []netip.Addr
			for _, in := range v.withSPI(side, sa.SPI, false) {
				if in.Dst != src {
					elsewhere = append(elsewhere, in.Dst)
				}
			}
			if len(elsewhere) == 0 {
				continue
			}
			n += sa.Packets()
			spis = append(spis, decode.SPI(sa.SPI).String())
			hosts = append(hosts, elsewhere...)
			frames = append(frames, firstFrames(sa.Frames.List(), 3)...)
		}
	}
	if n == 0 {
		return false
	}
	f.Message += fmt.Sprintf(". The outside capture shows ESP coming back from %s — %d packets on SPI %s — and the NAT delivers it to %s instead (see VP205)",
		cps[0].Dst, n, words.List(spis, 0), listOf(sortedAddrs(hosts), netip.Addr.String))
	f.Evidence = append(f.Evidence, c.Evidence(other, frames...)...)
	f.Confidence = High
	return true
}
