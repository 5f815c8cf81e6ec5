package flows

import (
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// The matcher is the second pass over both captures: it merges them in
// time order (the outside clock converted to the inside one) and pairs each
// packet with its sighting on the other side within the window. Unpaired
// packets wait at most one window, so memory is bounded by the packets of
// one window, not by the captures' length.

// pending is a packet waiting for its counterpart.
type pending struct {
	side  Side
	t     time.Time // inside clock
	sig   signature
	p     decode.Packet
	flow  *Flow
	sa    *ESPSA
	tun   *Tunnel
	first sighting // of a summarised conversation (packetRefs.first)
	done  bool
	inOvl bool
	// next links the packets waiting with the same signature, oldest
	// first, without a slice per signature.
	next *pending
}

type matcher struct {
	c           *Correlation
	window      time.Duration
	waiting     [2]map[signature]*pending // oldest first, linked by next
	queue       [2][]*pending             // by time, for expiry
	head        [2]int
	mappings    map[mappingKey]*Mapping
	tunnelPairs map[[2]int]*TunnelPair
	free        []*pending
}

type mappingKey struct {
	proto           uint8
	inside, outside netip.AddrPort
}

func newMatcher(c *Correlation, opts CorrelateOptions) *matcher {
	m := &matcher{
		c:           c,
		window:      opts.Window,
		mappings:    make(map[mappingKey]*Mapping),
		tunnelPairs: make(map[[2]int]*TunnelPair),
	}
	for i := range m.waiting {
		m.waiting[i] = make(map[signature]*pending)
	}
	return m
}

// stream reads one capture in a goroutine and hands over batches.
type stream struct {
	ch    chan *streamBatch
	free  chan *streamBatch
	batch *streamBatch
	i     int
}

// streamBatch is a run of one capture's packets, each with what the
// matcher needs of it from the capture's analysis. The stream's goroutine
// looks that up: the lookups miss the processor's caches as often as not,
// and the matcher's goroutine, which the second pass waits for, has its
// own work on every packet.
type streamBatch struct {
	pkts []decode.Packet
	refs []packetRefs
}

// packetRefs are a packet's signature and the records of its capture's
// analysis that it counts for.
type packetRefs struct {
	sig signature
	// matched says whether the packet is to be matched: not a copy the
	// capture made, and with a signature.
	matched bool
	flow    *Flow
	sa      *ESPSA
	tun     *Tunnel
	// first is the first packet of the packet's conversation when the
	// analysis summarised it (Options.SummarizeOther): it has no flow, or
	// its flow counts only its VPN packets. Zero otherwise.
	first sighting
}

// firstSightings holds the first packet of each conversation, by its
// time in nanoseconds and its frame; conversations between two IPv4
// addresses, most of a capture's, by their short key, as otherSet does.
// It holds no more conversations than the analysis summarised (max),
// which the memory bound limits: the others went untracked there too.
type firstSightings struct {
	v4  map[flowKey4]sighting
	all map[flowKey]sighting
	max int
}

// sighting is a packet's time, in Unix nanoseconds, and frame; frame 0
// stands for none.
type sighting struct {
	at    int64
	frame uint32
}

func newFirstSightings(max int) *firstSightings {
	return &firstSightings{v4: make(map[flowKey4]sighting), all: make(map[flowKey]sighting), max: max}
}

// of returns the first packet of k's conversation, p when there was none
// before it; nothing (frame 0) past the conversations the analysis kept.
func (s *firstSightings) of(k *flowKey, p *decode.Packet) sighting {
	f, ok := sighting{}, false
	k4, short := key4(k)
	if short {
		f, ok = s.v4[k4]
	} else {
		f, ok = s.all[*k]
	}
	if !ok {
		if len(s.v4)+len(s.all) >= s.max {
			return sighting{}
		}
		f = sighting{p.Time.UnixNano(), uint32(p.Frame)}
		if short {
			s.v4[k4] = f
		} else {
			s.all[*k] = f
		}
	}
	return f
}

const batchSize = 512

func startStream(src Source, opts decode.Options, a *Analysis) *stream {
	s := &stream{ch: make(chan *streamBatch, 4), free: make(chan *streamBatch, 8)}
	go func() {
		defer close(s.ch)
		recent := new(flowCache)
		var firsts *firstSightings
		if a.summarized {
			firsts = newFirstSightings(a.otherKept)
		}
		batch := s.newBatch()
		src.Read(opts, func(p *decode.Packet) {
			batch.pkts = append(batch.pkts, *p)
			batch.refs = append(batch.refs, refsOf(a, recent, firsts, p))
			if len(batch.pkts) == batchSize {
				s.ch <- batch
				batch = s.newBatch()
			}
		})
		if len(batch.pkts) > 0 {
			s.ch <- batch
		}
	}()
	return s
}

// refsOf looks up what the matcher needs of packet p of analysis a, the
// flow through the cache of its capture's latest flows. Of an analysis that
// summarised other traffic, firsts holds the first packet of each
// conversation it summarised, as this pass reads them: the pass reads the
// capture in the order the analysis did, so that is the first packet a
// flow would have had.
func refsOf(a *Analysis, recent *flowCache, firsts *firstSightings, p *decode.Packet) packetRefs {
	if p.DuplicateOf != 0 {
		// A copy made by the capture, not a packet of its own: the
		// original is matched.
		return packetRefs{}
	}
	sig, ok := signatureOf(p)
	if !ok {
		return packetRefs{}
	}
	r := packetRefs{sig: sig, matched: true}
	if p.Kind != decode.KindIPFragment {
		k, _ := packetFlowKey(p)
		r.flow = recent.lookup(&k, a.flowIndex)
		r.sa = a.SAOf(p)
		r.tun = a.TunnelOf(p.IKE)
		summarized := r.flow == nil && p.Kind == decode.KindOther && p.Dst.IsValid() || r.flow != nil && r.flow.others != 0
		if firsts != nil && summarized {
			r.first = firsts.of(&k, p)
		}
	}
	return r
}

// newBatch returns a batch the consumer is done with, or a new one: the
// batches circulate, so the second pass does not allocate per packet.
func (s *stream) newBatch() *streamBatch {
	select {
	case b := <-s.free:
		b.pkts, b.refs = b.pkts[:0], b.refs[:0]
		return b
	default:
		return &streamBatch{pkts: make([]decode.Packet, 0, batchSize), refs: make([]packetRefs, 0, batchSize)}
	}
}

// peek returns the next packet and what it refers to, or nil at the end.
func (s *stream) peek() (*decode.Packet, *packetRefs) {
	for s.batch == nil || s.i >= len(s.batch.pkts) {
		if s.batch != nil {
			// Every packet kept from the batch was copied (pending
			// holds values), so it can be filled again.
			select {
			case s.free <- s.batch:
			default:
			}
			s.batch = nil
		}
		b, ok := <-s.ch
		if !ok {
			return nil, nil
		}
		s.batch, s.i = b, 0
	}
	return &s.batch.pkts[s.i], &s.batch.refs[s.i]
}

func (s *stream) drain() {
	for range s.ch {
	}
}

func (m *matcher) run(srcs [2]Source, dopts decode.Options) {
	dopts.KeepOther = true
	dopts.HashAll = true
	streams := [2]*stream{startStream(srcs[0], dopts, m.c.Inside), startStream(srcs[1], dopts, m.c.Outside)}
	defer func() {
		streams[0].drain()
		streams[1].drain()
	}()
	for {
		pi, ri := streams[0].peek()
		po, ro := streams[1].peek()
		if pi == nil && po == nil {
			break
		}
		var side Side
		var t time.Time
		switch {
		case po == nil:
			side, t = SideInside, pi.Time
		case pi == nil:
			side, t = SideOutside, m.c.ToInside(po.Time)
		default:
			to := m.c.ToInside(po.Time)
			if pi.Time.After(to) {
				side, t = SideOutside, to
			} else {
				side, t = SideInside, pi.Time
			}
		}
		p, r := pi, ri
		if side == SideOutside {
			p, r = po, ro
		}
		m.add(side, t, p, r)
		streams[side].i++
		m.expire(t.Add(-m.window))
	}
	m.expire(farFuture)
	for _, mp := range m.mappings {
		m.c.Mappings = append(m.c.Mappings, mp)
	}
	sortMappings(m.c.Mappings)
	for _, tp := range m.tunnelPairs {
		m.c.TunnelPairs = append(m.c.TunnelPairs, *tp)
	}
	slices.SortFunc(m.c.TunnelPairs, func(x, y TunnelPair) int {
		if x.Inside != y.Inside {
			return x.Inside - y.Inside
		}
		return x.Outside - y.Outside
	})
}

func (m *matcher) analysis(s Side) *Analysis {
	if s == SideInside {
		return m.c.Inside
	}
	return m.c.Outside
}

// add matches packet p of side, at t on the inside clock, with r what it
// refers to (refsOf).
func (m *matcher) add(side Side, t time.Time, p *decode.Packet, r *packetRefs) {
	if !r.matched {
		return
	}
	if !m.c.covers(t, t) {
		m.outsideOverlap(side, p, r.flow, r.sa, r.first)
		return
	}
	sig := r.sig
	m.c.Compared[side]++
	other := 1 - side
	// Pair with the earliest waiting sighting within the window.
	var prev *pending
	for q := m.waiting[other][sig]; q != nil; prev, q = q, q.next {
		if q.done || absDur(t.Sub(q.t)) > m.window {
			continue
		}
		q.done = true
		m.unlink(other, sig, prev, q)
		cur := m.newPending(side, t, p, r)
		if side == SideInside {
			m.matched(cur, q)
		} else {
			m.matched(q, cur)
		}
		m.release(cur)
		return
	}
	q := m.newPending(side, t, p, r)
	if head := m.waiting[side][sig]; head == nil {
		m.waiting[side][sig] = q
	} else {
		tail := head
		for tail.next != nil {
			tail = tail.next
		}
		tail.next = q
	}
	m.queue[side] = append(m.queue[side], q)
}

// unlink takes q, which follows prev (nil: q is first), out of the list of
// packets waiting with signature sig.
func (m *matcher) unlink(side Side, sig signature, prev, q *pending) {
	switch {
	case prev != nil:
		prev.next = q.next
	case q.next != nil:
		m.waiting[side][sig] = q.next
	default:
		delete(m.waiting[side], sig)
	}
	q.next = nil
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func (m *matcher) newPending(side Side, t time.Time, p *decode.Packet, r *packetRefs) *pending {
	var q *pending
	if n := len(m.free); n > 0 {
		q = m.free[n-1]
		m.free = m.free[:n-1]
		*q = pending{}
	} else {
		q = new(pending)
	}
	q.side, q.t, q.sig, q.p = side, t, r.sig, *p
	q.flow, q.sa, q.tun, q.first = r.flow, r.sa, r.tun, r.first
	return q
}

func (m *matcher) release(q *pending) {
	q.p.IKE, q.p.ICMP = nil, nil
	m.free = append(m.free, q)
}

// outsideOverlap counts packet p of side, outside the captures' common
// time span, for its flow, its SA and its conversation (none for an IP
// fragment); first is the conversation's first packet when the analysis
// summarised it (packetRefs.first).
func (m *matcher) outsideOverlap(side Side, p *decode.Packet, flow *Flow, sa *ESPSA, first sighting) {
	if f := fateOf(flow); f != nil {
		f.Outside++
	}
	if f := saFate(sa); f != nil {
		f.Outside++
	}
	nc := &m.c.NotCompared[side]
	switch {
	case first.frame != 0:
		key, _ := PacketKey(p)
		nc.note(time.Unix(0, first.at), key, int(first.frame))
	case flow != nil:
		nc.note(flow.First, flow.Key, flow.Frames.First())
	}
}

// farFuture is after every capture: expiring before it settles all.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// expire settles packets that waited longer than the window.
func (m *matcher) expire(before time.Time) {
	for side := range m.queue {
		q := m.queue[side]
		h := m.head[side]
		for h < len(q) && (q[h].done || q[h].t.Before(before)) {
			e := q[h]
			q[h] = nil
			h++
			if e.done {
				m.release(e)
				continue
			}
			e.done = true
			var prev *pending
			w := m.waiting[side][e.sig]
			for ; w != nil && w != e; w = w.next {
				prev = w
			}
			if w == e {
				m.unlink(Side(side), e.sig, prev, e)
			}
			m.unmatched(e)
			m.release(e)
		}
		// Compact the queue now and then so it does not grow with the
		// capture.
		if h > 4096 && h*2 > len(q) {
			q = append(q[:0], q[h:]...)
			h = 0
		}
		m.queue[side], m.head[side] = q, h
	}
}

func (m *matcher) unmatched(e *pending) {
	c := m.c
	if m.nearCutEnd(e.side, e.t) {
		// Its other sighting may lie in the part of the other capture
		// that could not be read: not comparable, rather than lost.
		c.Compared[e.side]--
		m.outsideOverlap(e.side, &e.p, e.flow, e.sa, e.first)
		return
	}
	c.Unmatched[e.side]++
	if e.p.Kind == decode.KindICMPError {
		if r := m.analysis(e.side).ICMPErrorAt(e.p.Frame); r != nil {
			r.Origin = ICMPOriginThisSide
		}
	}
	// From the far side: inbound on the inside capture (to an inside-only
	// host), outbound on the outside capture (from the NAT's address).
	noOrigin := (e.side == SideInside && c.OnlyIn(SideInside, e.p.Dst) && !c.OnlyIn(SideInside, e.p.Src)) ||
		(e.side == SideOutside && c.OnlyIn(SideOutside, e.p.Src) && !c.OnlyIn(SideOutside, e.p.Dst))
	if e.p.Kind == decode.KindIPFragment {
		if noOrigin {
			c.Fragments[e.side].NoOrigin++
		} else {
			c.Fragments[e.side].Dropped++
			c.Fragments[e.side].addSamples().dropped.Add(e.p.Frame)
		}
		return
	}
	if noOrigin {
		c.NoOrigin[e.side]++
	} else if e.sa != nil {
		if e.sa.Lost == nil {
			e.sa.Lost = new(SeqRuns)
		}
		e.sa.Lost.Add(packetSeq(&e.p))
	}
	for _, f := range []*Fate{fateOf(e.flow), saFate(e.sa), tunFate(e.tun)} {
		if f == nil {
			continue
		}
		if noOrigin {
			f.NoOrigin++
			f.addSamples().noOrigin.Add(e.p.Frame)
		} else {
			f.Dropped++
			f.addSamples().dropped.Add(e.p.Frame)
		}
	}
}

// nearCutEnd reports whether a packet of one side, at t on the inside
// clock, came within the matching window of the end of the other capture
// when that capture could not be read to its end (a truncated or corrupt
// file): the other sighting may be in the part that was lost, and the
// capture's last readable packet says nothing about when it stopped. A
// capture read to its end is taken to have run a window beyond its last
// packet, as the overlap is.
func (m *matcher) nearCutEnd(side Side, t time.Time) bool {
	other := m.c.Inside
	last := other.Capture.Last
	if side == SideInside {
		other = m.c.Outside
		last = m.c.ToInside(other.Capture.Last)
	}
	return other.Capture.ReadError != nil && t.After(last.Add(-m.window))
}

// fateOf, saFate and tunFate return the fate the matcher fills, made on
// first use, or nil without a flow, SA or tunnel.
func fateOf(f *Flow) *Fate {
	if f == nil {
		return nil
	}
	if f.fate == nil {
		f.fate = new(Fate)
	}
	return f.fate
}

func saFate(s *ESPSA) *Fate {
	if s == nil {
		return nil
	}
	if s.fate == nil {
		s.fate = new(Fate)
	}
	return s.fate
}

func tunFate(t *Tunnel) *Fate {
	if t == nil {
		return nil
	}
	if t.fate == nil {
		t.fate = new(Fate)
	}
	return t.fate
}

// matched records a pair: the same packet seen inside and outside.
func (m *matcher) matched(in, out *pending) {
	c := m.c
	c.Matched++
	modified := m.compare(in, out)
	if modified {
		c.Modified++
	}
	if in.p.Kind == decode.KindIPFragment {
		for _, s := range []Side{SideInside, SideOutside} {
			c.Fragments[s].Forwarded++
		}
		return
	}
	if in.p.Kind == decode.KindICMPError {
		for _, q := range []*pending{in, out} {
			if e := m.analysis(q.side).ICMPErrorAt(q.p.Frame); e != nil {
				e.Origin = ICMPOriginCrossed
			}
		}
	}
	for _, q := range []*pending{in, out} {
		for _, f := range []*Fate{fateOf(q.flow), saFate(q.sa), tunFate(q.tun)} {
			if f == nil {
				continue
			}
			f.Forwarded++
			if modified {
				f.Modified++
				f.addSamples().modified.Add(q.p.Frame)
			}
			f.addDelay(out.t.Sub(in.t))
		}
	}
	if in.tun != nil && out.tun != nil {
		k := [2]int{in.tun.ID, out.tun.ID}
		tp := m.tunnelPairs[k]
		if tp == nil {
			tp = &TunnelPair{Inside: in.tun.ID, Outside: out.tun.ID}
			m.tunnelPairs[k] = tp
		}
		tp.Matched++
		if in.tun.SPIi != out.tun.SPIi {
			tp.SPIRewritten = true
		}
	}
	m.mapping(in, out)
}

// compare reports whether the two sightings differ beyond what a NAT
// rewrites (packetsDiffer), and records rewritten IKE SPIs and call IDs.
func (m *matcher) compare(in, out *pending) bool {
	c := m.c
	pi, po := &in.p, &out.p
	switch pi.Kind {
	case decode.KindIKE:
		for _, f := range []struct {
			name string
			a, b uint64
		}{{"spi_i", pi.IKE.SPIi, po.IKE.SPIi}, {"spi_r", pi.IKE.SPIr, po.IKE.SPIr}} {
			if f.a != f.b && len(c.IKERewrites) < maxRewrites {
				c.IKERewrites = append(c.IKERewrites, Rewrite{pi.Frame, po.Frame, f.name, f.a, f.b})
			}
		}
	case decode.KindGRE:
		if pi.GRE.CallID != po.GRE.CallID && len(c.CallIDChanges) < maxRewrites {
			c.CallIDChanges = append(c.CallIDChanges, Rewrite{pi.Frame, po.Frame, "gre_call_id", uint64(pi.GRE.CallID), uint64(po.GRE.CallID)})
		}
	case decode.KindPPTP:
		if pi.PPTP.CallID != po.PPTP.CallID && len(c.CallIDChanges) < maxRewrites {
			c.CallIDChanges = append(c.CallIDChanges, Rewrite{pi.Frame, po.Frame, "pptp_call_id", uint64(pi.PPTP.CallID), uint64(po.PPTP.CallID)})
		}
	}
	return packetsDiffer(pi, po)
}

// mappingOf returns the mapping of key k, or nil: the one the inside flow
// f was latest filed under when it is k's (most packets of a conversation
// share one), else the one in the map.
func (m *matcher) mappingOf(f *Flow, k mappingKey) *Mapping {
	if f != nil {
		if mp := f.mapping; mp != nil && mp.Protocol == k.proto && mp.Inside == k.inside && mp.Outside == k.outside {
			return mp
		}
	}
	return m.mappings[k]
}

func (m *matcher) mapping(in, out *pending) {
	pi, po := &in.p, &out.p
	// ARP and other frames without IP addresses cross the device but
	// are not translated: they make no NAT mapping.
	if !pi.Src.IsValid() || !pi.Dst.IsValid() || !po.Src.IsValid() || !po.Dst.IsValid() {
		return
	}
	srcIn, dstIn := netip.AddrPortFrom(pi.Src, pi.SrcPort), netip.AddrPortFrom(pi.Dst, pi.DstPort)
	srcOut, dstOut := netip.AddrPortFrom(po.Src, po.SrcPort), netip.AddrPortFrom(po.Dst, po.DstPort)
	// Outbound when the source changed or, with no change at all, when
	// the source is an inside host; inbound when the destination changed.
	var inside, outside netip.AddrPort
	outbound := true
	switch {
	case srcIn != srcOut:
		inside, outside = srcIn, srcOut
	case dstIn != dstOut:
		inside, outside = dstIn, dstOut
		outbound = false
	case m.c.OnlyIn(SideInside, pi.Dst) || IsPrivate(pi.Dst) && !IsPrivate(pi.Src):
		inside, outside = dstIn, dstOut
		outbound = false
	case m.mappingOf(in.flow, mappingKey{pi.Proto, dstIn, dstOut}) != nil:
		// Untranslated both ways (a router, not a NAT): the reply of a
		// conversation already seen goes back through its entry.
		inside, outside = dstIn, dstOut
		outbound = false
	default:
		inside, outside = srcIn, srcOut
	}
	proto := pi.Proto
	k := mappingKey{proto, inside, outside}
	mp := m.mappingOf(in.flow, k)
	if mp == nil {
		mp = &Mapping{Protocol: proto, Inside: inside, Outside: outside, First: in.t}
		m.mappings[k] = mp
	}
	if in.flow != nil {
		in.flow.mapping = mp
	}
	mp.Last = in.t
	if outbound {
		mp.PacketsOut++
	} else {
		mp.PacketsIn++
		var id uint32
		switch pi.Kind {
		case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
			id = pi.ESP.SPI
		case decode.KindAH:
			id = pi.AH.SPI
		case decode.KindGRE:
			id = uint32(pi.GRE.CallID)
		}
		if id != 0 && !slices.Contains(mp.IDs, id) && len(mp.IDs) < 16 {
			mp.IDs = append(mp.IDs, id)
		}
	}
	mp.InsideFrames.Add(pi.Frame)
	mp.OutsideFrames.Add(po.Frame)
}
