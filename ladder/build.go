package ladder

import (
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/rules"
)

// MaxRows bounds a ladder's rows: a tunnel up for days holds thousands of
// exchanges; past the bound the ladder counts what it left out.
const MaxRows = 100

// Build draws the ladder of a subject from its packets in each capture
// (by flows.Side; each in capture order, as Member selects them), pairing
// the two captures' packets as the correlation does. It keeps MaxPackets of each capture's
// packets, as Collect does, and ends the ladder where the first list
// filled. Collect draws ladders from all the subjects' packets at once and
// so also shows a packet whose other sighting belongs to another subject;
// Build, given one subject's, cannot.
func Build(c *rules.Context, s Subject, pkts [2][]decode.Packet) *Ladder {
	window := matchWindow(c)
	var until time.Time
	for side := range pkts {
		if len(pkts[side]) > limitPackets {
			// The first packet past the bound is where Collect would
			// have stopped keeping them.
			t := insideClock(c, flows.Side(side), pkts[side][limitPackets].Time)
			if until.IsZero() || t.Before(until) {
				until = t
			}
			pkts[side] = pkts[side][:limitPackets]
		}
	}
	src := &source{pkts: pkts, names: []string{s.Name()}}
	for side := range pkts {
		src.owner[side] = make([]int32, len(pkts[side]))
	}
	var pairs []flows.PacketPair
	if c.Two() {
		pairs = c.Correlation.Pair(pkts[0], pkts[1])
	} else {
		for i := range pkts[0] {
			pairs = append(pairs, flows.PacketPair{Inside: i, Outside: -1, Time: pkts[0][i].Time})
		}
	}
	if !until.IsZero() {
		kept := pairs[:0]
		for _, pp := range pairs {
			if pp, ok := bounded(pp, until, time.Time{}, window); ok {
				kept = append(kept, pp)
			}
		}
		pairs = kept
	}
	return build(c, s, 0, src, pairs, until)
}

// matchWindow is the correlation's matching window, or DefaultWindow for
// a capture alone.
func matchWindow(c *rules.Context) time.Duration {
	if c.Two() {
		return c.Correlation.MatchWindow()
	}
	return flows.DefaultWindow
}

// bounded returns a pair as a ladder cut at until (zero: not cut) draws
// it, and false when it lies past the cut. A packet seen in one capture
// only is not compared when its counterpart may lie past the cut, or,
// from blind on, among the packets of other subjects that were not kept.
func bounded(pp flows.PacketPair, until, blind time.Time, window time.Duration) (flows.PacketPair, bool) {
	if !until.IsZero() && !pp.Time.Before(until) {
		return pp, false
	}
	if !pp.Matched() && (!until.IsZero() && pp.Time.After(until.Add(-window)) || !blind.IsZero() && pp.Time.After(blind.Add(-window))) {
		pp.Compared = false
	}
	return pp, true
}

// build draws the ladder of subject s, at position self among the
// source's subjects, from the pairs of the source's packets that are its.
func build(c *rules.Context, s Subject, self int, src *source, pairs []flows.PacketPair, until time.Time) *Ladder {
	l := &Ladder{Name: s.Name(), Kind: s.Kind(), ID: s.ID(), Two: c.Two(), Truncated: !until.IsZero(), Until: until}
	b := &builder{c: c, l: l, src: src, self: self, pkts: src.pkts, runs: map[runKey]int{}, last: -1}
	b.endpoints(s)
	l.NAT = l.Two && b.natBetween()
	for _, pp := range pairs {
		for side, i := range [2]int{pp.Inside, pp.Outside} {
			if src.owns(flows.Side(side), i, self) {
				l.Packets[side]++
			}
		}
		b.add(pp)
	}
	b.finish()
	return l
}

// builder groups a ladder's packets into rows.
type builder struct {
	c    *rules.Context
	l    *Ladder
	src  *source
	self int
	pkts [2][]decode.Packet
	// host and peer hold the addresses of each end in each capture.
	host, peer [2][]netip.Addr
	// runs finds the open run of a kind, direction and key (an SPI, a
	// call ID); last is the latest message row, for retransmissions.
	runs map[runKey]int
	last int
	// ike holds what tells a row's IKE messages apart, by row.
	ike map[int]*ikeRow
	// seq holds an ESP or AH run's lowest and highest sequence numbers.
	seq map[int]*[2]uint32
	// dec holds what the keys made of a row's packets, by row.
	dec map[int]*decryption
	// omitted is the latest message left out past MaxRows, so that its
	// retransmissions and fragments count as packets of that row, not as
	// rows of their own.
	omitted struct {
		ike  ikeGroup
		hash uint64
		ok   bool
		icmp string // the label of an ICMP error left out
	}
}

type runKey struct {
	kind Kind
	dir  Dir
	id   uint64
}

// ikeRow is what the builder knows of an IKE row's message.
type ikeRow struct {
	hash      uint64
	group     ikeGroup
	fragments map[uint16]int // sends per fragment number
}

// ikeGroup identifies one IKE message whatever its fragments.
type ikeGroup struct {
	dir      Dir
	version  uint8
	exchange decode.ExchangeType
	msgID    uint32
	response bool
	total    uint16
}

// endpoints decides which peer is the host on the NAT's inside and
// collects each end's addresses in each capture.
func (b *builder) endpoints(s Subject) {
	l := b.l
	add := func(list *[]netip.Addr, a netip.Addr) {
		if a.IsValid() && !slices.Contains(*list, a) {
			*list = append(*list, a)
		}
	}
	switch {
	case s.Tunnel != nil:
		v := s.Tunnel
		hostRole := flows.RoleInitiator
		if v.NAT.Position == flows.NATResponder {
			hostRole = flows.RoleResponder
		}
		l.Host.Role, l.Peer.Role = hostRole.String(), (1 - hostRole).String()
		for side := range 2 {
			for _, t := range tunnels(v, flows.Side(side)) {
				ends := [2][]netip.AddrPort{{t.InitiatorFirst, t.Initiator}, {t.ResponderFirst, t.Responder}}
				for _, ch := range t.EndpointChanges {
					ends[ch.Peer] = append(ends[ch.Peer], ch.From, ch.To)
				}
				for _, ap := range ends[hostRole] {
					add(&b.host[side], ap.Addr())
				}
				for _, ap := range ends[1-hostRole] {
					add(&b.peer[side], ap.Addr())
				}
				if !l.Host.Addr[side].IsValid() {
					l.Host.Addr[side] = ends[hostRole][0].Addr()
					l.Peer.Addr[side] = ends[1-hostRole][0].Addr()
				}
			}
		}
	case s.Call != nil:
		l.Host.Role, l.Peer.Role = "client", "server"
		for side, sess := range s.Call.Sides {
			if sess == nil {
				continue
			}
			l.Host.Addr[side], l.Peer.Addr[side] = sess.Client.Addr(), sess.Server.Addr()
			add(&b.host[side], sess.Client.Addr())
			add(&b.peer[side], sess.Server.Addr())
		}
	case s.Group != nil:
		l.Host.Role, l.Peer.Role = "host", "peer"
		for side := range 2 {
			l.Host.Addr[side], l.Peer.Addr[side] = s.Group.Host[side], s.Group.Peer[side]
			add(&b.host[side], s.Group.Host[side])
			add(&b.peer[side], s.Group.Peer[side])
		}
	}
}

// natBetween reports whether the device between the captures translated
// the ends' addresses, or other traffic of their inside addresses.
func (b *builder) natBetween() bool {
	l := b.l
	for _, e := range []Endpoint{l.Host, l.Peer} {
		if in, out := e.Addr[flows.SideInside], e.Addr[flows.SideOutside]; in.IsValid() && out.IsValid() && in != out {
			return true
		}
	}
	for _, m := range b.c.Correlation.Mappings {
		if a := m.Inside.Addr(); m.Translated() && (a == l.Host.Addr[flows.SideInside] || a == l.Peer.Addr[flows.SideInside]) {
			return true
		}
	}
	return false
}

// dir tells which way a packet of one capture went: from the host when it
// came from one of the host's addresses or went to one of the peer's. An
// ICMP error goes where it is sent.
func (b *builder) dir(side flows.Side, p *decode.Packet) Dir {
	if p.Kind == decode.KindICMPError {
		if slices.Contains(b.host[side], p.Dst) {
			return In
		}
		return Out
	}
	switch {
	case slices.Contains(b.host[side], p.Src), slices.Contains(b.peer[side], p.Dst):
		return Out
	case slices.Contains(b.peer[side], p.Src), slices.Contains(b.host[side], p.Dst):
		return In
	}
	return Out
}

// add files one packet, as seen in one capture or both, under its row.
func (b *builder) add(pp flows.PacketPair) {
	side, idx := flows.SideInside, pp.Inside
	if idx < 0 {
		side, idx = flows.SideOutside, pp.Outside
	}
	p := &b.pkts[side][idx]
	dir := b.dir(side, p)
	// The sender's sighting names the row: a NAT may rewrite what keys
	// it on the far side (a GRE call ID).
	if dir == In && pp.Outside >= 0 {
		side, idx = flows.SideOutside, pp.Outside
		p = &b.pkts[side][idx]
	}
	row := b.rowOf(side, p, dir)
	if row < 0 {
		b.l.OmittedPackets++
		return
	}
	r := &b.l.Rows[row]
	if r.Count == 0 {
		r.Time = pp.Time
	}
	r.End = pp.Time
	r.Count++
	for s, i := range [2]int{pp.Inside, pp.Outside} {
		if i >= 0 {
			r.Frames[s].add(b.pkts[s][i].Frame)
		}
	}
	b.fate(r, pp, p, side, dir)
	b.shared(r, side, idx)
	b.decrypted(row, p)
	if sq := b.seq[row]; sq != nil {
		if seq, ok := espSeq(p); ok {
			if r.Count == 1 || seq < sq[0] {
				sq[0] = seq
			}
			sq[1] = max(sq[1], seq)
		}
	}
}

// fate counts what became of one packet at the NAT.
func (b *builder) fate(r *Row, pp flows.PacketPair, p *decode.Packet, side flows.Side, dir Dir) {
	if !b.l.Two {
		return
	}
	sender := flows.SideInside
	if dir == In {
		sender = flows.SideOutside
	}
	switch {
	case pp.Matched():
		r.Crossed++
		in, out := &b.pkts[0][pp.Inside], &b.pkts[1][pp.Outside]
		switch {
		case pp.Modified && !callIDsTranslated(in, out):
			r.Modified++
			b.l.Modified++
			r.note(changed(in, out, b.l.Between()))
		case dir == In && len(b.host[0]) > 0 && !slices.Contains(b.host[0], in.Dst):
			// Translated back to another host than this subject's.
			r.Modified++
			b.l.Modified++
			r.note("the NAT delivered them to " + in.Dst.String())
		default:
			r.note(translatedCallID(in, out))
		}
		for s, i := range [2]int{pp.Inside, pp.Outside} {
			if !b.src.owns(flows.Side(s), i, b.self) {
				r.note(flows.Side(s).String() + " they are " + words.List(possessive(b.src.others(flows.Side(s), i, b.self)), 0))
			}
		}
	case p.Kind == decode.KindICMPError && side == flows.SideOutside && b.fromNAT(p):
		r.FromNAT = true
		r.note("sent by the NAT itself (" + p.Src.String() + ")")
	case !pp.Compared:
		r.NotCompared++
	case side == sender:
		r.Lost++
		b.l.Lost++
		if len(r.LostFrames) < maxListed {
			r.LostFrames = append(r.LostFrames, p.Frame)
		}
	default:
		r.NoOrigin++
	}
}

// shared notes the other subjects a packet of the row fits as well.
func (b *builder) shared(r *Row, side flows.Side, i int) {
	if b.src.owns(side, i, b.self) {
		if others := b.src.others(side, i, b.self); len(others) > 0 {
			r.note("they fit " + words.List(others, 0) + " as well")
		}
	}
}

func possessive(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "'s"
	}
	return out
}

// maxNotes bounds the distinct notes of a row.
const maxNotes = 3

// note adds a distinct note to the row.
func (r *Row) note(s string) {
	if s == "" || len(r.Notes) >= maxNotes || slices.Contains(r.Notes, s) {
		return
	}
	r.Notes = append(r.Notes, s)
}

// fromNAT reports whether an ICMP error of the outside capture was sent by
// the NAT itself (flows decided it from the addresses the NAT translated
// inside hosts to).
func (b *builder) fromNAT(p *decode.Packet) bool {
	a := b.c.Capture(flows.SideOutside)
	if a == nil {
		return false
	}
	e := a.ICMPErrorAt(p.Frame)
	return e != nil && e.Origin == flows.ICMPOriginNAT
}

// rowOf returns the row a packet joins, opening one when needed, or -1
// past MaxRows.
func (b *builder) rowOf(side flows.Side, p *decode.Packet, dir Dir) int {
	kind := kindOf(p)
	if kind.Run() {
		k := runKey{kind: kind, dir: dir, id: runID(p)}
		if row, ok := b.runs[k]; ok {
			return row
		}
		row := b.open(kind, dir, label(p, kind))
		// A run left out past MaxRows is remembered too: its later
		// packets are left out with it, not counted as rows.
		b.runs[k] = row
		if row >= 0 {
			if kind == KindESP || kind == KindAH {
				if b.seq == nil {
					b.seq = map[int]*[2]uint32{}
				}
				b.seq[row] = &[2]uint32{}
			}
		}
		return row
	}
	if kind == KindIKE && p.IKE != nil {
		return b.ikeRowOf(p, dir)
	}
	if kind == KindICMP && b.last >= 0 && b.last < len(b.l.Rows) {
		// The same error again (a NAT refuses each packet of a run).
		r := &b.l.Rows[b.last]
		if r.Kind == KindICMP && r.Dir == dir && r.Label == label(p, kind) {
			return b.last
		}
	}
	lbl := label(p, kind)
	if kind == KindICMP && lbl == b.omitted.icmp {
		return -1
	}
	row := b.open(kind, dir, lbl)
	b.last = row
	if kind == KindICMP && row < 0 {
		b.omitted.icmp = lbl
	}
	if kind == KindICMP && row >= 0 && !(side == flows.SideOutside && b.fromNAT(p)) {
		b.l.Rows[row].note(icmpSender(p))
	}
	return row
}

// ikeRowOf returns the row of an IKE message: its latest row when it is
// that message sent again or another of its fragments, else a new one.
func (b *builder) ikeRowOf(p *decode.Packet, dir Dir) int {
	m := p.IKE
	g := ikeGroup{dir: dir, version: m.Version, exchange: m.Exchange, msgID: m.MessageID, response: m.IsResponse()}
	var frag uint16
	if m.Fragment != nil {
		g.total, frag = m.Fragment.Total, m.Fragment.Number
	}
	if b.ike == nil {
		b.ike = map[int]*ikeRow{}
	}
	if last := b.ike[b.last]; last != nil && last.group == g {
		switch {
		case frag != 0:
			last.fragments[frag]++
			b.l.Rows[b.last].Resent = maxSends(last.fragments) - 1
			return b.last
		case last.hash == p.PayloadHash:
			b.l.Rows[b.last].Resent++
			return b.last
		}
	}
	if o := &b.omitted; o.ok && o.ike == g && (frag != 0 || o.hash == p.PayloadHash) {
		return -1
	}
	row := b.open(KindIKE, dir, label(p, KindIKE))
	b.last = row
	if row < 0 {
		b.omitted.ike, b.omitted.hash, b.omitted.ok = g, p.PayloadHash, true
	}
	if row >= 0 {
		ir := &ikeRow{hash: p.PayloadHash, group: g}
		if frag != 0 {
			ir.fragments = map[uint16]int{frag: 1}
		}
		b.ike[row] = ir
	}
	return row
}

func maxSends(m map[uint16]int) int {
	n := 0
	for _, v := range m {
		n = max(n, v)
	}
	return n
}

// open adds a row, or returns -1 past MaxRows.
func (b *builder) open(kind Kind, dir Dir, label string) int {
	if len(b.l.Rows) >= MaxRows {
		b.l.OmittedRows++
		return -1
	}
	b.l.Rows = append(b.l.Rows, Row{Kind: kind, Dir: dir, Label: label})
	return len(b.l.Rows) - 1
}

// finish completes the rows: an ESP run's sequence numbers, and the IKE
// fragments a message travelled in.
func (b *builder) finish() {
	for row, sq := range b.seq {
		r := &b.l.Rows[row]
		if r.Count > 1 {
			r.Label += " seq " + itoa(int(sq[0])) + "–" + itoa(int(sq[1]))
		} else {
			r.Label += " seq " + itoa(int(sq[0]))
		}
	}
	for row, ir := range b.ike {
		if n := len(ir.fragments); n > 0 {
			r := &b.l.Rows[row]
			if n == int(ir.group.total) {
				r.Label += " in " + itoa(n) + " IKE fragments"
			} else {
				r.Label += " in IKE fragments (" + itoa(n) + " of " + itoa(int(ir.group.total)) + ")"
			}
		}
	}
	for row, d := range b.dec {
		b.l.Rows[row].Decrypted, b.l.Rows[row].NotDecrypted = d.text()
	}
}

// kindOf classifies a packet for the ladder.
func kindOf(p *decode.Packet) Kind {
	switch p.Kind {
	case decode.KindIKE:
		return KindIKE
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
		return KindESP
	case decode.KindAH:
		return KindAH
	case decode.KindNATKeepalive:
		return KindKeepalive
	case decode.KindGRE:
		return KindGRE
	case decode.KindPPTP:
		return KindPPTP
	case decode.KindICMPError:
		return KindICMP
	case decode.KindIPFragment:
		return KindFragments
	}
	return KindMalformed
}

// runID keys a run: the SPI and encapsulation of ESP, the call ID of GRE.
func runID(p *decode.Packet) uint64 {
	switch p.Kind {
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
		return uint64(p.Kind)<<32 | uint64(p.ESP.SPI)
	case decode.KindAH:
		return uint64(p.AH.SPI)
	case decode.KindGRE:
		return uint64(p.GRE.CallID)
	}
	return 0
}

func espSeq(p *decode.Packet) (uint32, bool) {
	switch p.Kind {
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
		return p.ESP.Seq, true
	case decode.KindAH:
		return p.AH.Seq, true
	}
	return 0, false
}
