package flows

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// CorrelateOptions configure [Correlate].
type CorrelateOptions struct {
	// Window is how far apart (after the clock offset is removed) the two
	// sightings of one packet may be. A NAT forwards in milliseconds; IKE
	// retransmits after seconds, so the window must stay below that to
	// keep retransmissions apart. Zero means DefaultWindow.
	Window time.Duration
	// RolesGiven says the first capture is inside and the second outside,
	// as the user said; otherwise Correlate decides.
	RolesGiven bool
	Decode     decode.Options
	Flows      Options
}

// DefaultWindow is the default matching window.
const DefaultWindow = 1 * time.Second

// Correlation is what two captures of the same traffic, one on each side of
// a NAT, tell together.
type Correlation struct {
	Inside, Outside *Analysis
	// Roles says how inside and outside were decided; Swapped that the
	// captures were given in the other order. RolesDoubt, when the roles
	// were given, says why the captures suggest the opposite ones (the
	// analysis keeps the roles given); it is empty when the captures agree
	// or cannot tell.
	Roles      string
	Swapped    bool
	RolesDoubt string

	// Offset is the outside capture's clock minus the inside capture's, at
	// the start of the inside capture; Drift how the offset changes, in
	// parts per million. Anchors is the number of unambiguous packet pairs
	// the estimate rests on; without any, the captures cannot be compared.
	Offset  time.Duration
	Drift   float64
	Anchors int

	// Overlap is the time span (inside clock) both captures cover.
	OverlapStart, OverlapEnd time.Time
	Overlaps                 bool
	// Window is the matching window used: how far apart two sightings of
	// a packet may be, and how far beyond the overlap packets are still
	// compared.
	Window time.Duration
	// Compared counts the packets of each capture inside the overlap,
	// Matched the pairs found, Modified the pairs whose bytes differ
	// beyond what a NAT rewrites.
	Compared [2]int // by Side
	Matched  int
	Modified int
	// Unmatched counts packets in the overlap with no counterpart, by side;
	// NoOrigin those of them that arrived from the far side (inbound
	// inside, outbound outside) and so should have been seen first in the
	// other capture.
	Unmatched [2]int
	NoOrigin  [2]int

	Mappings    []*Mapping
	TunnelPairs []TunnelPair
	// IKERewrites are IKE messages whose SPIs differ across the NAT:
	// an ALG rewrote them (RFC 3715 §2.3).
	IKERewrites []Rewrite
	// CallIDChanges are PPTP/GRE call IDs translated by an ALG.
	CallIDChanges []Rewrite
	// Fragments counts IP fragments by side and fate.
	Fragments [2]Fate
	// NotCompared counts, by side, the packets of conversations that lay
	// outside the captures' common time span and were not compared, and
	// names the first two such conversations.
	NotCompared [2]NotCompared

	// only holds, by side, the addresses of that capture's flows that the
	// other capture's flows lack (OnlyIn).
	only         [2]map[netip.Addr]bool
	mappingIndex mappingIndex
}

// NotCompared counts the packets of one capture's conversations that lay
// outside the captures' common time span (Fate.Outside, summed over the
// conversations), and keeps the first two conversations that had such
// packets, in the order of Analysis.Flows (by first packet, then key),
// whether the analysis kept a flow for them or summarised them.
type NotCompared struct {
	Packets int
	first   [2]notComparedConv
	n       int
}

type notComparedConv struct {
	at    time.Time // of its first packet
	key   Key
	frame int // its first packet's
}

// FirstFrames returns the first frames of the first two conversations
// with packets not compared.
func (n *NotCompared) FirstFrames() []int {
	out := make([]int, 0, n.n)
	for _, c := range n.first[:n.n] {
		out = append(out, c.frame)
	}
	return out
}

// note counts a packet not compared of the conversation key, whose first
// packet came at first in frame.
func (n *NotCompared) note(first time.Time, key Key, frame int) {
	n.Packets++
	c := notComparedConv{first, key, frame}
	before := func(x, y *notComparedConv) bool {
		if d := x.at.Compare(y.at); d != 0 {
			return d < 0
		}
		return x.key.Compare(y.key) < 0
	}
	for i := range n.first[:n.n] {
		if n.first[i].key == key {
			return
		}
	}
	switch {
	case n.n < len(n.first):
		n.first[n.n] = c
		n.n++
	case before(&c, &n.first[1]):
		n.first[1] = c
	default:
		return
	}
	if n.n == 2 && before(&n.first[1], &n.first[0]) {
		n.first[0], n.first[1] = n.first[1], n.first[0]
	}
}

// OnlyIn reports whether address a appears in the flows of side's capture
// and in none of the other's: inside, an inside host; outside, the NAT's
// public address or a host the inside never talks to. This is how the
// correlation, and the rules after it, tell which way a packet crosses
// the NAT.
func (c *Correlation) OnlyIn(side Side, a netip.Addr) bool { return c.only[side][a] }

// findOneSided fills c.only from the flows of both captures and their
// summarised conversations (Options.SummarizeOther).
func (c *Correlation) findOneSided() {
	seen := make(map[netip.Addr]uint8) // bit 1<<Side
	for s, a := range []*Analysis{c.Inside, c.Outside} {
		for _, f := range a.Flows {
			seen[f.Key.A.Addr()] |= 1 << s
			seen[f.Key.B.Addr()] |= 1 << s
		}
		if a.others != nil {
			a.others.each(func(k flowKey, _ uint8) {
				x, y := k.addrs()
				seen[x] |= 1 << s
				seen[y] |= 1 << s
			})
			a.others = nil
		}
	}
	c.only = [2]map[netip.Addr]bool{make(map[netip.Addr]bool), make(map[netip.Addr]bool)}
	for a, sides := range seen {
		switch sides {
		case 1 << SideInside:
			c.only[SideInside][a] = true
		case 1 << SideOutside:
			c.only[SideOutside][a] = true
		}
	}
}

// Side is a capture's side of the NAT.
type Side uint8

// Sides.
const (
	SideInside Side = iota
	SideOutside
)

func (s Side) String() string {
	if s == SideInside {
		return "inside"
	}
	return "outside"
}

// Mapping is one NAT mapping seen across the captures: an inside endpoint
// and the outside endpoint it was translated to (equal when the device did
// not translate). ESP, AH and GRE have no ports; their mappings carry the
// SPIs or call IDs seen.
type Mapping struct {
	Protocol                    uint8
	Inside                      netip.AddrPort
	Outside                     netip.AddrPort
	First, Last                 time.Time // inside clock
	PacketsOut                  int       // inside → outside
	PacketsIn                   int       // outside → inside
	IDs                         []uint32  // SPIs (ESP/AH) or call IDs (GRE) seen inbound
	InsideFrames, OutsideFrames Frames
}

// Translated reports whether the mapping changed the address or port.
func (m *Mapping) Translated() bool { return m.Inside != m.Outside }

// TunnelPair links a tunnel of the inside capture to the same IKE SA in the
// outside capture.
type TunnelPair struct {
	Inside, Outside int // tunnel IDs
	Matched         int // IKE messages matched
	SPIRewritten    bool
}

// Rewrite is a header field that differs between the two sightings of one
// packet.
type Rewrite struct {
	InsideFrame, OutsideFrame int
	Field                     string
	Inside, Outside           uint64
}

const maxRewrites = 64

// Correlate analyses two captures and correlates them; with
// opts.RolesGiven, first is the inside capture.
func Correlate(first, second Source, opts CorrelateOptions) *Correlation {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	// Summarised conversations are kept for their addresses (OnlyIn).
	opts.Flows.keepOthers = opts.Flows.SummarizeOther
	// Two captures share the memory bound.
	if opts.Flows.MaxMemory <= 0 {
		opts.Flows.MaxMemory = DefaultMaxMemory
	}
	opts.Flows.MaxMemory = max(1, opts.Flows.MaxMemory/2) // never 0, which means the default
	var a [2]*Analysis
	var anchors [2]*anchorSet
	var wg sync.WaitGroup
	srcs := [2]Source{first, second}
	// Hash every payload in the first pass too: background traffic
	// (DNS, HTTPS) anchors the clock estimate when VPN packets are few.
	pass1 := opts.Decode
	pass1.HashAll = true
	for i, src := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var as *anchorSet
			a[i] = analyze(src, pass1, opts.Flows, func() func(*decode.Packet) {
				as = newAnchorSet()
				return as.add
			})
			anchors[i] = as
		}()
	}
	wg.Wait()
	// Matching walks both captures in time order: a capture analysed in
	// time order is matched in that order too.
	for i := range srcs {
		if a[i].Capture.TimeOrder == OrderTime {
			srcs[i] = timeOrdered(srcs[i])
		}
	}

	c := &Correlation{Window: opts.Window}
	inside, outside := 0, 1
	if opts.RolesGiven {
		c.Roles = "as given: " + a[0].Capture.Path + " is inside"
		if swap, why := decideRoles(a[0], a[1], anchors[0], anchors[1]); swap {
			c.RolesDoubt = why
		}
	} else {
		swap, why := decideRoles(a[0], a[1], anchors[0], anchors[1])
		if swap {
			inside, outside = 1, 0
			c.Swapped = true
			srcs[0], srcs[1] = srcs[1], srcs[0]
		}
		c.Roles = why
	}
	c.Inside, c.Outside = a[inside], a[outside]
	c.findOneSided()
	c.estimateClock(anchors[inside], anchors[outside])
	if c.Anchors == 0 {
		return c
	}
	c.computeOverlap()
	m := newMatcher(c, opts)
	m.run(srcs, opts.Decode)
	c.markFakedNATD()
	c.setICMPOrigins()
	return c
}

// signature identifies a packet by what a NAT does not change.
type signature struct {
	kind decode.Kind
	a, b uint64
}

// signatureOf returns a packet's signature, and false for packets that
// cannot be matched.
func signatureOf(p *decode.Packet) (signature, bool) {
	s := signature{kind: p.Kind}
	switch p.Kind {
	case decode.KindIKE:
		if p.IKE == nil {
			return s, false
		}
		s.a = p.PayloadHash
		s.b = uint64(p.IKE.MessageID)<<32 | uint64(p.PayloadLen)
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
		// Raw and encapsulated copies of one ESP packet match: a device
		// that encapsulates is not a NAT, but the comparison stays fair.
		s.kind = decode.KindESP
		s.a = uint64(p.ESP.SPI)<<32 | uint64(p.ESP.Seq)
	case decode.KindAH:
		s.a = uint64(p.AH.SPI)<<32 | uint64(p.AH.Seq)
	case decode.KindGRE:
		s.a = uint64(p.GRE.Seq)<<32 | uint64(p.PayloadLen)
		s.b = p.PayloadHash
	case decode.KindPPTP:
		s.a = uint64(p.IPID)<<16 | uint64(p.PPTP.Type)
		s.b = uint64(p.PayloadLen)
	case decode.KindNATKeepalive:
		s.a = uint64(p.IPID)
	case decode.KindIPFragment:
		s.a = uint64(p.Fragment.ID)<<32 | uint64(p.Fragment.Offset)
		s.b = uint64(p.Length)
	case decode.KindICMPError:
		// What a NAT translating the error leaves alone: the quote after
		// its transport header (the hash), the IP identification, type,
		// code and length.
		if p.ICMP == nil {
			return s, false
		}
		s.a = p.PayloadHash
		s.b = uint64(p.IPID)<<32 | uint64(p.ICMP.Type)<<24 | uint64(p.ICMP.Code)<<16 | uint64(uint16(p.PayloadLen))
	case decode.KindOther:
		if !p.Src.IsValid() {
			// Not IP (ARP, say): nothing a NAT translates, and no
			// addresses to map.
			return s, false
		}
		if p.PayloadLen == 0 && p.PayloadHash == 0 {
			s.a = uint64(p.IPID)<<32 | uint64(p.Proto)
			s.b = uint64(p.Length)
		} else {
			s.a = p.PayloadHash
			s.b = uint64(p.IPID)<<32 | uint64(p.PayloadLen)
		}
	default:
		return s, false
	}
	return s, true
}

// maxAnchors bounds the packets kept per capture for the clock estimate:
// the estimate subsamples a few hundred pairs, and sixteen thousand
// candidates leave room for the ones the other capture lacks.
const maxAnchors = 1 << 14

// anchorSet keeps the times of the first packets with distinctive
// signatures, for the clock estimate and the role decision.
type anchorSet struct {
	times map[signature]anchor
	n     int
}

type anchor struct {
	t        time.Time
	src, dst netip.AddrPort
	count    int
}

func newAnchorSet() *anchorSet { return &anchorSet{times: make(map[signature]anchor, 1024)} }

func (as *anchorSet) add(p *decode.Packet) {
	switch p.Kind {
	case decode.KindIKE, decode.KindESP, decode.KindUDPESP, decode.KindTCPESP, decode.KindAH, decode.KindGRE, decode.KindPPTP,
		decode.KindICMPError:
	case decode.KindOther:
		if p.PayloadLen == 0 {
			// Bare TCP acknowledgements repeat; they anchor nothing.
			return
		}
	default:
		return
	}
	s, ok := signatureOf(p)
	if !ok {
		return
	}
	if a, seen := as.times[s]; seen {
		a.count++
		as.times[s] = a
		return
	}
	if as.n >= maxAnchors {
		return
	}
	as.n++
	as.times[s] = anchor{
		t:     p.Time,
		src:   netip.AddrPortFrom(p.Src, p.SrcPort),
		dst:   netip.AddrPortFrom(p.Dst, p.DstPort),
		count: 1,
	}
}

type anchorPair struct {
	in, out anchor
}

func pairAnchors(in, out *anchorSet) []anchorPair {
	pairs := make([]anchorPair, 0, min(len(in.times), len(out.times)))
	for s, a := range in.times {
		if a.count != 1 {
			continue
		}
		if b, ok := out.times[s]; ok && b.count == 1 {
			pairs = append(pairs, anchorPair{a, b})
		}
	}
	// Map order is random; sort so the estimate is deterministic.
	slices.SortFunc(pairs, func(x, y anchorPair) int {
		if c := x.in.t.Compare(y.in.t); c != 0 {
			return c
		}
		return x.out.t.Compare(y.out.t)
	})
	return pairs
}

// decideRoles says whether the second capture is the inside one, and why.
// Two kinds of evidence count: matched packets whose source address is
// private in one capture and public in the other, and NAT-D hashes, which
// match the captured tuple only on the side of the NAT where they were
// computed.
func decideRoles(a, b *Analysis, as, bs *anchorSet) (swap bool, why string) {
	var votesA, votesB int // votes for "this capture is inside"
	var example string
	for _, p := range pairAnchors(as, bs) {
		pa, pb := IsPrivate(p.in.src.Addr()), IsPrivate(p.out.src.Addr())
		if p.in.src.Addr() != p.out.src.Addr() {
			switch {
			case pa && !pb:
				votesA++
				if example == "" {
					example = fmt.Sprintf("source %s in %s appears as %s in %s", p.in.src.Addr(), a.Capture.Path, p.out.src.Addr(), b.Capture.Path)
				}
			case pb && !pa:
				votesB++
				if example == "" {
					example = fmt.Sprintf("source %s in %s appears as %s in %s", p.out.src.Addr(), b.Capture.Path, p.in.src.Addr(), a.Capture.Path)
				}
			}
		}
	}
	natdA, natdB := natdInsideVotes(a), natdInsideVotes(b)
	votesA += 2 * natdA
	votesB += 2 * natdB
	switch {
	case votesA > votesB:
		return false, fmt.Sprintf("%s is inside (%s)", a.Capture.Path, reason(example, natdA))
	case votesB > votesA:
		return true, fmt.Sprintf("%s is inside (%s)", b.Capture.Path, reason(example, natdB))
	}
	return false, fmt.Sprintf("cannot tell which capture is inside; taking %s as inside (use --inside/--outside)", a.Capture.Path)
}

func reason(example string, natd int) string {
	parts := []string{}
	if example != "" {
		parts = append(parts, example)
	}
	if natd > 0 {
		parts = append(parts, fmt.Sprintf("NAT-D hashes of %d tunnel(s) match its own tuples", natd))
	}
	if len(parts) == 0 {
		return "address ranges"
	}
	s := parts[0]
	for _, p := range parts[1:] {
		s += "; " + p
	}
	return s
}

// natdInsideVotes counts tunnels whose NAT-D says this capture sits on the
// NATed peer's private side: that peer's own source hash matches, and the
// other peer's hash of it does not.
func natdInsideVotes(a *Analysis) int {
	n := 0
	for _, t := range a.Tunnels {
		for _, r := range []Role{RoleInitiator, RoleResponder} {
			self, other := t.NATD[r], t.NATD[1-r]
			if self.SourceMatched && other.DestMismatch {
				n++
			}
		}
	}
	return n
}

// CGNAT is the shared address space of RFC 6598, used by carrier-grade NAT.
var CGNAT = netip.MustParsePrefix("100.64.0.0/10")

// IsPrivate reports whether an address cannot be reached across the
// internet as is: RFC 1918 and ULA, RFC 6598 shared space, loopback and
// link-local. Such a source talking to a public address implies a NAT.
func IsPrivate(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || CGNAT.Contains(a)
}

// estimateClock estimates the offset and drift between the captures from
// unambiguous packet pairs: the median of the time differences (robust to
// outliers from mismatches), and the Theil–Sen slope for the drift.
func (c *Correlation) estimateClock(in, out *anchorSet) {
	pairs := pairAnchors(in, out)
	c.Anchors = len(pairs)
	if len(pairs) == 0 {
		return
	}
	t0 := c.Inside.Capture.First
	if t0.IsZero() {
		t0 = pairs[0].in.t
	}
	// Subsample evenly for the quadratic Theil–Sen step.
	const maxSamples = 256
	step := 1
	if len(pairs) > maxSamples {
		step = len(pairs) / maxSamples
	}
	var xs, ys []float64 // seconds since t0, delta in seconds
	for i := 0; i < len(pairs); i += step {
		p := pairs[i]
		xs = append(xs, p.in.t.Sub(t0).Seconds())
		ys = append(ys, p.out.t.Sub(p.in.t).Seconds())
	}
	slope := 0.0
	if len(xs) >= 3 {
		var slopes []float64
		for i := range xs {
			for j := i + 1; j < len(xs); j++ {
				if dx := xs[j] - xs[i]; dx > 1 {
					slopes = append(slopes, (ys[j]-ys[i])/dx)
				}
			}
		}
		if len(slopes) > 0 {
			slope = median(slopes)
		}
	}
	// Forwarding delay runs the other way for inbound packets (seen
	// outside first) than for outbound ones, so a few milliseconds of
	// spread are jitter, not drift: keep a slope only when it moves the
	// offset by more than that over the anchors' span and enough anchors
	// support it.
	if span := xs[len(xs)-1] - xs[0]; len(xs) < 8 || math.Abs(slope)*span < driftNoise.Seconds() {
		slope = 0
	}
	resid := make([]float64, len(xs))
	for i := range xs {
		resid[i] = ys[i] - slope*xs[i]
	}
	offset := median(resid)
	c.Offset = time.Duration(offset * float64(time.Second))
	c.Drift = slope * 1e6
}

// driftNoise is the spread of time differences that forwarding delay and
// timestamp jitter explain without any clock drift.
const driftNoise = 5 * time.Millisecond

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ToInside converts an outside-capture timestamp to the inside clock.
func (c *Correlation) ToInside(t time.Time) time.Time {
	t0 := c.Inside.Capture.First
	// delta(x) = offset + drift·x, with x the inside time since t0; solve
	// t = t_in + delta(t_in - t0) for t_in.
	d := c.Drift / 1e6
	x := (t.Sub(t0).Seconds() - c.Offset.Seconds()) / (1 + d)
	return t0.Add(time.Duration(x * float64(time.Second)))
}

func (c *Correlation) computeOverlap() {
	inFirst, inLast := c.Inside.Capture.First, c.Inside.Capture.Last
	outFirst, outLast := c.ToInside(c.Outside.Capture.First), c.ToInside(c.Outside.Capture.Last)
	c.OverlapStart = maxTime(inFirst, outFirst)
	c.OverlapEnd = minTime(inLast, outLast)
	c.Overlaps = !c.OverlapEnd.Before(c.OverlapStart)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// markFakedNATD marks NAT-D source hashes that mismatch on the sender's side
// although the device between the captures did not translate the sender's
// tuple: no NAT can explain them, so they are faked (forced encapsulation).
func (c *Correlation) markFakedNATD() {
	for _, tp := range c.TunnelPairs {
		in := c.Inside.tunnelByID(tp.Inside)
		out := c.Outside.tunnelByID(tp.Outside)
		if in == nil || out == nil {
			continue
		}
		for _, r := range []Role{RoleInitiator, RoleResponder} {
			if !in.NATD[r].SourceMismatch {
				continue
			}
			ep := in.InitiatorFirst
			if r == RoleResponder {
				ep = in.ResponderFirst
			}
			if c.untranslated(ep) {
				in.fakedBy[r] = true
				out.fakedBy[r] = true
			}
		}
	}
}

// untranslated reports whether an inside endpoint was seen crossing the
// device unchanged.
func (c *Correlation) untranslated(ep netip.AddrPort) bool {
	if ms := c.MappingsOf(ProtoUDP, ep); len(ms) > 0 {
		return !ms[0].Translated()
	}
	return false
}

func (a *Analysis) tunnelByID(id int) *Tunnel {
	if id <= 0 || id > len(a.Tunnels) {
		return nil
	}
	return a.Tunnels[id-1]
}

// sortMappings orders mappings deterministically.
func sortMappings(ms []*Mapping) {
	slices.SortFunc(ms, func(x, y *Mapping) int {
		if c := x.First.Compare(y.First); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Protocol, y.Protocol); c != 0 {
			return c
		}
		if c := x.Inside.Compare(y.Inside); c != 0 {
			return c
		}
		return x.Outside.Compare(y.Outside)
	})
}
