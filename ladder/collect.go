package ladder

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// Bounds of what Collect keeps, so that a tunnel with millions of ESP
// packets, or a capture with thousands of tunnels, costs a bounded amount
// of memory: MaxPackets of each subject drawn from each capture, and
// maxOthers of the subjects not drawn, which are kept to show where a
// drawn subject's packet went when the other capture files it under
// another subject. A ladder says where its own packets stopped, and from
// when it cannot tell a packet lost from one filed elsewhere.
const (
	MaxPackets = 10_000
	maxOthers  = 50_000
)

// limitPackets and limitOthers are MaxPackets and maxOthers, lowered by
// tests.
var (
	limitPackets = MaxPackets
	limitOthers  = maxOthers
)

// Collect reads the captures of a context again (srcs in the context's
// order: inside, then outside) and draws the ladders of the subjects
// given. It keeps the packets of the other subjects too, and pairs the two
// captures' packets all at once, as the correlation did: a packet the NAT
// delivered to another host, or that the captures file under two tunnels,
// then shows where it went rather than pass for lost. opts must decode as
// the analysis did (the same IKE ports and keys). Payload hashes are
// computed whatever opts say for a pair of captures, whose packets they
// pair; IKE's, which tell retransmissions from new messages, always are.
// It returns ctx's error when
// ctx ends first, and a capture's read error with the ladders of what came
// before it.
func Collect(ctx context.Context, srcs []flows.Source, c *rules.Context, subjects []Subject, opts decode.Options) ([]*Ladder, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	window := matchWindow(c)
	opts.SkipPayloadHash = opts.SkipPayloadHash && !c.Two()
	all := Subjects(c)
	src := &source{names: make([]string, len(all)), kept: make([][2]int, len(all)), cut: make([][2]time.Time, len(all)), drawn: map[int32]bool{}}
	for i, s := range all {
		src.names[i] = s.Name()
	}
	for _, s := range subjects {
		src.drawn[int32(position(all, s))] = true
	}
	var readErr error
	for s := range srcs {
		side := flows.Side(s)
		if s >= 2 || c.Capture(side) == nil {
			break
		}
		x := newIndex(c, side, all)
		// The captures are read again for the packets of subjects only:
		// alone, of the subjects drawn; of a pair, of every subject, where
		// a drawn subject's packet may have gone. The decoder leaves the
		// other IP packets undecoded.
		of := subjects
		if c.Two() {
			of = all
		}
		sideOpts := opts
		if pairs, complete := subjectPairs(side, of); complete {
			sideOpts.Only = func(a, b netip.Addr) bool { return pairs[addrsKey(a, b)] }
		}
		err := readAside(srcs[s], sideOpts, func(p *decode.Packet) {
			if ctx.Err() == nil {
				src.keep(c, side, x, p)
			}
		})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err != nil && readErr == nil {
			readErr = err
		}
	}
	var pairs []flows.PacketPair
	if c.Two() {
		pairs = c.Correlation.Pair(src.pkts[0], src.pkts[1])
	} else {
		pairs = make([]flows.PacketPair, len(src.pkts[0]))
		for i := range src.pkts[0] {
			pairs[i] = flows.PacketPair{Inside: i, Outside: -1, Time: src.pkts[0][i].Time}
		}
	}
	blind := src.blind()
	out := make([]*Ladder, len(subjects))
	for i, s := range subjects {
		self := position(all, s)
		until := src.until(self)
		var mine []flows.PacketPair
		for _, pp := range pairs {
			if !src.owns(flows.SideInside, pp.Inside, self) && !src.owns(flows.SideOutside, pp.Outside, self) {
				continue
			}
			if pp, ok := bounded(pp, until, blind, window); ok {
				mine = append(mine, pp)
			}
		}
		out[i] = build(c, s, self, src, mine, until)
		out[i].Blind = blind
	}
	return out, readErr
}

// source is the packets a ladder is drawn from: those of both captures
// (by flows.Side), each with the subjects it belongs to.
type source struct {
	pkts [2][]decode.Packet
	// owner is the position of the subject each packet belongs to (-1:
	// none); extra lists further ones, by packet, for the few packets
	// that fit several (GRE of two calls with one call ID, IP fragments
	// between peers with two tunnels).
	owner [2][]int32
	extra [2]map[int][]int32
	names []string
	// drawn holds the positions of the subjects drawn. kept counts each
	// subject's packets kept from each capture, and cut is when the first
	// of a drawn subject's was not (inside clock); othersKept counts the
	// other subjects' packets kept, and othersCut is when the first of
	// them was not.
	drawn      map[int32]bool
	kept       [][2]int
	cut        [][2]time.Time
	othersKept [2]int
	othersCut  [2]time.Time
	owners     []int32 // keep's scratch
}

// keep files one packet of a capture under its subjects, within the
// bounds.
func (src *source) keep(c *rules.Context, side flows.Side, x *index, p *decode.Packet) {
	owners := src.owners[:0]
	x.each(p, func(i int) { owners = append(owners, int32(i)) })
	src.owners = owners
	if len(owners) == 0 {
		return
	}
	drawn, full := false, false
	for _, o := range owners {
		if src.drawn[o] {
			drawn = true
			full = full || src.kept[o][side] >= limitPackets
		}
	}
	switch {
	case !drawn && !c.Two():
		// The other subjects' packets show where a drawn subject's
		// packet went in the other capture; alone, a capture needs none.
		return
	case drawn && full:
		t := insideClock(c, side, p.Time)
		for _, o := range owners {
			if src.drawn[o] && src.cut[o][side].IsZero() {
				src.cut[o][side] = t
			}
		}
		return
	case !drawn && src.othersKept[side] >= limitOthers:
		if src.othersCut[side].IsZero() {
			src.othersCut[side] = insideClock(c, side, p.Time)
		}
		return
	case !drawn:
		src.othersKept[side]++
	}
	for _, o := range owners {
		src.kept[o][side]++
	}
	n := len(src.pkts[side])
	src.pkts[side] = append(src.pkts[side], *p)
	src.owner[side] = append(src.owner[side], owners[0])
	if len(owners) > 1 {
		if src.extra[side] == nil {
			src.extra[side] = map[int][]int32{}
		}
		src.extra[side][n] = slices.Clone(owners[1:])
	}
}

// blind is when the other subjects' packets stopped being kept in either
// capture (zero when they all were): from then on a packet seen in one
// capture only may be one the other capture filed under a subject whose
// packets were not kept.
func (src *source) blind() time.Time {
	var t time.Time
	for _, c := range src.othersCut {
		if !c.IsZero() && (t.IsZero() || c.Before(t)) {
			t = c
		}
	}
	return t
}

// owns reports whether packet i of a capture belongs to subject self.
func (src *source) owns(side flows.Side, i, self int) bool {
	if i < 0 || i >= len(src.owner[side]) {
		return false
	}
	if int(src.owner[side][i]) == self {
		return true
	}
	for _, o := range src.extra[side][i] {
		if int(o) == self {
			return true
		}
	}
	return false
}

// others names the subjects other than self that packet i of a capture
// belongs to.
func (src *source) others(side flows.Side, i, self int) []string {
	if i < 0 || i >= len(src.owner[side]) {
		return nil
	}
	var out []string
	for _, o := range append([]int32{src.owner[side][i]}, src.extra[side][i]...) {
		if int(o) != self && o >= 0 {
			out = append(out, src.names[o])
		}
	}
	return out
}

// until is when a subject's ladder must end because a capture's list of
// its packets filled (zero when none did).
func (src *source) until(self int) time.Time {
	var until time.Time
	for _, t := range src.cut[self] {
		if !t.IsZero() && (until.IsZero() || t.Before(until)) {
			until = t
		}
	}
	return until
}

// position returns the index of s among all.
func position(all []Subject, s Subject) int {
	for i, a := range all {
		if a.Kind() == s.Kind() && a.ID() == s.ID() {
			return i
		}
	}
	return -1
}

// insideClock converts a time of one side's capture to the inside clock.
func insideClock(c *rules.Context, s flows.Side, t time.Time) time.Time {
	if s == flows.SideOutside && c.Correlation != nil {
		return c.Correlation.ToInside(t)
	}
	return t
}

// Batches in flight between readAside's two goroutines, and the VPN
// packets in each.
const (
	asideBatches  = 4
	asideBatchLen = 512
)

// readAside reads src and calls fn with each of its VPN packets, in order,
// on a goroutine of its own: decoding the capture again and filing its
// packets under their subjects cost about the same, so each gets a core.
// Packets that are not VPN traffic belong to no subject and are left out.
// A panic in fn goes on in the caller's goroutine.
func readAside(src flows.Source, opts decode.Options, fn func(*decode.Packet)) error {
	full := make(chan []decode.Packet, asideBatches)
	free := make(chan []decode.Packet, asideBatches)
	for range asideBatches {
		free <- make([]decode.Packet, 0, asideBatchLen)
	}
	done := make(chan struct{})
	var failure any
	go func() {
		defer close(done)
		defer func() {
			if failure = recover(); failure != nil {
				for b := range full { // let the reader finish
					free <- b
				}
			}
		}()
		for b := range full {
			for i := range b {
				fn(&b[i])
			}
			clear(b) // let go of the IKE messages
			free <- b[:0]
		}
	}()
	var err error
	func() {
		defer close(full)
		cur := <-free
		_, err = src.Read(opts, func(p *decode.Packet) {
			if p.Kind == decode.KindOther {
				return
			}
			cur = append(cur, *p)
			if len(cur) == cap(cur) {
				full <- cur
				cur = (<-free)[:0]
			}
		})
		if len(cur) > 0 {
			full <- cur
		}
	}()
	<-done
	if failure != nil {
		panic(failure)
	}
	return err
}

// subjectPairs returns the address pairs (addrsKey) between which the
// packets of the subjects lie in one capture: a tunnel's IKE, keepalives
// and IP fragments between any two addresses it used (its peers', those its
// paths and stray answers went to or came from, its SAs'; the same one
// twice included, for a test on loopback), a call's control connection
// and GRE, an ESP group's SAs. complete is false when the analysis kept
// only some of a subject's addresses (past the bounds of its endpoint
// changes, paths or stray answers, or an SA whose source moved): then a
// pair cannot tell the subject's packets, and the capture is to be read
// whole.
func subjectPairs(side flows.Side, subjects []Subject) (pairs map[[2]netip.Addr]bool, complete bool) {
	pairs = map[[2]netip.Addr]bool{}
	add := func(a, b netip.Addr) {
		if a.IsValid() && b.IsValid() {
			pairs[addrsKey(a, b)] = true
		}
	}
	moved := func(sas []*flows.ESPSA) bool {
		return slices.ContainsFunc(sas, func(sa *flows.ESPSA) bool { return sa.SrcMoved })
	}
	for _, s := range subjects {
		switch {
		case s.Tunnel != nil:
			for _, t := range tunnels(s.Tunnel, side) {
				if t.EndpointChangesNotKept > 0 || t.NATTrace.PathsOverflow > 0 || t.StrayCount > len(t.Strays) || moved(t.ESPSAs) {
					return nil, false
				}
				addrs := tunnelAddrs(t)
				for _, p := range t.NATTrace.Paths {
					addrs = append(addrs, p.Src.Addr(), p.Dst.Addr())
				}
				for _, st := range t.Strays {
					addrs = append(addrs, st.To.Addr())
				}
				for _, sa := range t.ESPSAs {
					addrs = append(addrs, sa.Src, sa.Dst)
				}
				addrs = sortedUnique(addrs)
				for i, a := range addrs {
					for _, b := range addrs[i:] {
						add(a, b)
					}
				}
			}
		case s.Call != nil:
			if sess := s.Call.Sides[side]; sess != nil {
				add(sess.Client.Addr(), sess.Server.Addr())
			}
		case s.Group != nil:
			if moved(s.Group.SAs[side]) {
				return nil, false
			}
			for _, sa := range s.Group.SAs[side] {
				add(sa.Src, sa.Dst)
			}
		}
	}
	return pairs, true
}

// sortedUnique sorts addresses and drops repeats.
func sortedUnique(as []netip.Addr) []netip.Addr {
	slices.SortFunc(as, netip.Addr.Compare)
	return slices.Compact(as)
}
