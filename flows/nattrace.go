package flows

import (
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// This file follows what NAT traversal depends on, packet by packet: which
// endpoint each peer of a tunnel sent each kind of traffic from and to, the
// traffic a peer kept sending to an endpoint the other peer had left, the
// idle gaps between two peers (a NAT forgets an idle UDP mapping, RFC 3948
// §2.3, §4), IKE messages back on port 500 after the float, and transport
// mode and NAT-OA where they show in cleartext. Everything is bounded: a
// tunnel keeps a few dozen paths and stale-send records, a peer pair a few
// gaps, so memory does not grow with packets.

// PathKind says how a packet of a tunnel travelled.
type PathKind uint8

// Path kinds.
const (
	PathIKE       PathKind = iota // IKE over UDP without the non-ESP marker (port 500)
	PathIKEMarker                 // IKE behind the non-ESP marker (UDP 4500, RFC 3948 §2.2)
	PathESPInUDP                  // ESP in UDP (RFC 3948 §2.1)
	PathKeepalive                 // NAT-T keepalive (RFC 3948 §2.3)
	PathESP                       // ESP directly over IP (protocol 50)
	PathTCP                       // IKE or ESP in a TCP stream (RFC 9329)
	numPathKinds
)

var pathKindNames = [numPathKinds]string{
	PathIKE:       "IKE on UDP 500",
	PathIKEMarker: "IKE on UDP 4500",
	PathESPInUDP:  "ESP in UDP",
	PathKeepalive: "NAT-T keepalive",
	PathESP:       "raw ESP",
	PathTCP:       "IKE/ESP in TCP",
}

// String names the kind as a report shows it, such as "ESP in UDP".
func (k PathKind) String() string {
	if k < numPathKinds {
		return pathKindNames[k]
	}
	return "path(" + itoa(int(k)) + ")"
}

// Encap reports whether packets of the kind travel on the NAT-T port, so
// that a NAT keeps them in one UDP mapping: IKE behind the marker, ESP in
// UDP and keepalives (RFC 3948 §2).
func (k PathKind) Encap() bool {
	return k == PathIKEMarker || k == PathESPInUDP || k == PathKeepalive
}

// Bounds of the trace. A tunnel uses a handful of paths (two or three
// kinds, each way, before and after the float); dozens mean a capture full
// of rebinding, which a sample tells as well as all would.
const (
	maxPaths     = 32
	maxStale     = 16
	maxGaps      = 4
	maxPeerPairs = 1 << 16
	// minGap is the shortest idle time recorded as a gap: no NAT expires a
	// UDP mapping within a second, and shorter gaps are ordinary pauses.
	minGap = time.Second
)

// Path is the traffic one peer of a tunnel sent one way: one kind, from one
// endpoint to one endpoint. Raw ESP has port 0.
type Path struct {
	// What every packet of the path reads or updates comes first.
	From      Role
	Kind      PathKind
	Src, Dst  netip.AddrPort
	Packets   int
	Last      time.Time
	LastFrame int
	Frames    InlineFrames
	// Retransmissions counts IKE messages that repeated an earlier one.
	Retransmissions int
	First           time.Time
	FirstFrame      int
}

// StaleSend is traffic a peer sent over UDP encapsulation (IKE behind the
// marker, ESP in UDP) to an endpoint the other peer had stopped sending
// from: after the port float, after a NAT rebinding, or to the port of the
// first IKE_SA_INIT. RFC 7296 §2.23 and RFC 3948 §5.1 want replies sent to
// the address and port the latest packet came from.
type StaleSend struct {
	From Role           // the sender of the stale packets
	To   netip.AddrPort // the endpoint the other peer had left
	// Current is the endpoint the other peer sent UDP-encapsulated traffic
	// from when the first stale packet was sent; Moved and MovedFrame when
	// it first did.
	Current    netip.AddrPort
	Moved      time.Time
	MovedFrame int
	// Left and LeftFrame are the other peer's latest packet from To before
	// the first stale packet.
	Left      time.Time
	LeftFrame int
	// Packets counts the stale packets, IKE and ESP by kind.
	Packets     int
	IKE, ESP    int
	First, Last time.Time
	Frames      Frames
}

// IdleGap is a time without any VPN packet between two peers.
type IdleGap struct {
	// base is, by Addrs index, how many packets other than keepalives the
	// address had sent before the gap ended (PeerTrace.sent). It and
	// Resumed, which packets update, come first.
	base [2]int
	// Resumed samples the frames of the packets other than keepalives that
	// each address of the pair sent from the end of the gap on, indexed
	// like PeerTrace.Addrs.
	Resumed [2]Frames

	Start, End time.Time
	// BeforeFrame and AfterFrame are the packets around the gap.
	BeforeFrame, AfterFrame int
}

// Duration returns the gap's length.
func (g *IdleGap) Duration() time.Duration { return g.End.Sub(g.Start) }

// PeerTrace follows the VPN traffic between two addresses (IKE, ESP and
// keepalives), whatever IKE SA it belongs to: an IKE SA rekey starts a new
// tunnel, but the NAT's mapping timer runs on across it.
type PeerTrace struct {
	// Addrs are the two addresses, lower first.
	Addrs     [2]netip.Addr
	Packets   int
	Last      time.Time
	LastFrame int
	// Gaps are the largest idle gaps of a second or more, at most
	// maxGaps, in time order.
	Gaps []IdleGap

	// sent counts, by Addrs index, the packets other than keepalives each
	// address sent, with the latest frames. A gap's Resumed is its first
	// frames, added as they come, then the latest frames of sent, taken
	// when the table is finished (finishResumed): every packet would
	// otherwise update every gap, while the latest frames after each gap
	// are the same ones.
	sent [2]frameRing

	Keepalives [2]int // by Addrs index of the sender
	First      time.Time

	// smallest indexes the shortest of maxGaps gaps kept, which a longer
	// new gap replaces, and smallestDur is its duration.
	smallest    int
	smallestDur time.Duration
}

// frameRing counts frames and keeps the latest ones, as the second half
// of [Frames] does.
type frameRing struct {
	n    int
	last [sampleSize]uint32
}

func (r *frameRing) add(frame int) {
	r.last[r.n%sampleSize] = frameNumber(frame)
	r.n++
}

// Index returns the index of an address in Addrs, or -1.
func (pt *PeerTrace) Index(a netip.Addr) int {
	switch a {
	case pt.Addrs[0]:
		return 0
	case pt.Addrs[1]:
		return 1
	}
	return -1
}

// GapsOver returns the gaps longer than d that lie within [from, to].
func (pt *PeerTrace) GapsOver(d time.Duration, from, to time.Time) []IdleGap {
	if pt == nil {
		return nil
	}
	var out []IdleGap
	for _, g := range pt.Gaps {
		if g.Duration() > d && !g.Start.Before(from) && !g.End.After(to) {
			out = append(out, g)
		}
	}
	return out
}

func (pt *PeerTrace) add(p *decode.Packet) {
	idx := pt.Index(p.Src)
	if pt.Packets > 0 {
		if gap := p.Time.Sub(pt.Last); gap >= minGap {
			g := IdleGap{Start: pt.Last, End: p.Time, BeforeFrame: pt.LastFrame, AfterFrame: p.Frame}
			g.base = [2]int{pt.sent[0].n, pt.sent[1].n}
			pt.addGap(g, gap)
		}
	} else {
		pt.First = p.Time
	}
	pt.Packets++
	if p.Kind == decode.KindNATKeepalive {
		if idx >= 0 {
			pt.Keepalives[idx]++
		}
	} else if idx >= 0 {
		// Gaps are in time order, so those still taking their first
		// frames are the latest ones.
		n := pt.sent[idx].n
		for i := len(pt.Gaps) - 1; i >= 0 && n-pt.Gaps[i].base[idx] < sampleSize; i-- {
			pt.Gaps[i].Resumed[idx].Add(p.Frame)
		}
		pt.sent[idx].add(p.Frame)
	}
	if p.Time.After(pt.Last) || pt.Packets == 1 {
		pt.Last = p.Time
		pt.LastFrame = p.Frame
	}
}

// addGap keeps the maxGaps largest gaps in time order: a new gap, d long,
// is the latest, so appending keeps the order.
func (pt *PeerTrace) addGap(g IdleGap, d time.Duration) {
	if len(pt.Gaps) < maxGaps {
		if pt.Gaps == nil {
			pt.Gaps = make([]IdleGap, 0, maxGaps)
		}
		pt.Gaps = append(pt.Gaps, g)
		if len(pt.Gaps) == maxGaps {
			pt.findSmallest()
		}
		return
	}
	if d <= pt.smallestDur {
		return
	}
	copy(pt.Gaps[pt.smallest:], pt.Gaps[pt.smallest+1:])
	pt.Gaps[len(pt.Gaps)-1] = g
	pt.findSmallest()
}

// findSmallest finds the first of the shortest gaps.
func (pt *PeerTrace) findSmallest() {
	pt.smallest, pt.smallestDur = 0, pt.Gaps[0].Duration()
	for i := 1; i < len(pt.Gaps); i++ {
		if d := pt.Gaps[i].Duration(); d < pt.smallestDur {
			pt.smallest, pt.smallestDur = i, d
		}
	}
}

// finishResumed completes each gap's Resumed with the latest frames: those
// of sent, of which the gap's packets are the tail. Add keeps only a gap's
// first frames.
func (pt *PeerTrace) finishResumed() {
	for i := range pt.Gaps {
		g := &pt.Gaps[i]
		for idx := range g.Resumed {
			s, r := &pt.sent[idx], &g.Resumed[idx]
			n := s.n - g.base[idx]
			if n <= sampleSize {
				continue
			}
			// The gap's jth packet is sent's (base+j)th, which the ring
			// keeps at last[(base+j)%sampleSize]; Frames keeps the gap's
			// jth at more.last[(j-sampleSize)%sampleSize] once j ≥
			// sampleSize. Add gave it its first sampleSize frames, so
			// more is there.
			for j := max(sampleSize, n-sampleSize); j < n; j++ {
				r.more.last[(j-sampleSize)%sampleSize] = s.last[(g.base[idx]+j)%sampleSize]
			}
			r.n = n
		}
	}
}

// finishPeerTraces completes the traces of all address pairs.
func (t *Table) finishPeerTraces() {
	for _, pt := range t.natPeers {
		pt.finishResumed()
	}
}

// NATTrace is what a tunnel's packets tell about NAT traversal. It covers
// the packets that belonged to the tunnel when they were added: ESP of an
// SA first seen before any IKE message of its tunnel (a capture that began
// mid-tunnel) is attached only at the end and is not traced.
type NATTrace struct {
	// Peers is the trace of the addresses of the tunnel's first packet.
	Peers *PeerTrace
	// Paths lists the paths in the order they were first used; packets of
	// paths beyond maxPaths are counted in PathsOverflow.
	Paths []*Path

	// What every packet of the tunnel reads comes first, with Peers and
	// Paths, to share cache lines.
	lastPath [2]*Path           // by Role: the path of its previous packet
	retrans  int                // the tunnel's retransmissions seen so far
	cur      [2]currentEndpoint // by Role

	PathsOverflow int
	// Stale lists traffic sent to endpoints the other peer had left.
	Stale []*StaleSend
	// ReturnTo500 samples, by sender, the IKE messages (retransmissions
	// left out) sent over UDP without the non-ESP marker after the tunnel
	// had floated to port 4500 (RFC 3947 §4, RFC 7296 §2.23).
	ReturnTo500 [2]Frames
	// TransportMode samples the IKE messages that show UDP-encapsulated
	// transport mode in cleartext: an IKEv2 USE_TRANSPORT_MODE notify
	// (RFC 7296 §1.3.1), an IKEv1 proposal with encapsulation mode
	// UDP-Encapsulated-Transport or its draft value 61444 (RFC 3947 §5.1,
	// MS-IKEE §2.2.2).
	TransportMode Frames
	// NATOA samples the IKEv1 messages with NAT-OA payloads (RFC 3947
	// §5.2).
	NATOA Frames

	floatAt time.Time // capture time of the float
}

// currentEndpoint is the endpoint a peer latest sent UDP-encapsulated
// traffic from.
type currentEndpoint struct {
	src   netip.AddrPort
	since time.Time
	frame int
}

// PathsOf returns the paths of one sender and kind.
func (tr *NATTrace) PathsOf(from Role, kind PathKind) []*Path {
	var out []*Path
	for _, p := range tr.Paths {
		if p.From == from && p.Kind == kind {
			out = append(out, p)
		}
	}
	return out
}

// LastFrom returns the latest packet a peer sent from an endpoint, of any
// kind, and false when it never did.
func (tr *NATTrace) LastFrom(from Role, src netip.AddrPort) (time.Time, int, bool) {
	var last time.Time
	frame, ok := 0, false
	for _, p := range tr.Paths {
		if p.From == from && p.Src == src && (!ok || p.Last.After(last)) {
			last, frame, ok = p.Last, p.LastFrame, true
		}
	}
	return last, frame, ok
}

// FirstFrom returns the first packet a peer sent from an endpoint, of any
// kind, and false when it never did.
func (tr *NATTrace) FirstFrom(from Role, src netip.AddrPort) (time.Time, int, bool) {
	var first time.Time
	frame, ok := 0, false
	for _, p := range tr.Paths {
		if p.From == from && p.Src == src && (!ok || p.First.Before(first)) {
			first, frame, ok = p.First, p.FirstFrame, true
		}
	}
	return first, frame, ok
}

func pathKindOf(p *decode.Packet) PathKind {
	if p.TCPEncap || p.Proto == ProtoTCP {
		return PathTCP
	}
	switch p.Kind {
	case decode.KindUDPESP:
		return PathESPInUDP
	case decode.KindNATKeepalive:
		return PathKeepalive
	case decode.KindESP:
		return PathESP
	}
	if p.NonESPMarker {
		return PathIKEMarker
	}
	return PathIKE
}

// trace accounts a packet of a tunnel, already added to the table, to the
// trace of its address pair and to the tunnel's; Add calls it for IKE, ESP
// and keepalives that belong to a tunnel (nil: nothing to do).
func (t *Table) trace(p *decode.Packet, tun *Tunnel) {
	if tun == nil {
		return
	}
	tr := &tun.NATTrace
	pt := tr.Peers
	if pt == nil || pt.Index(p.Src) < 0 || pt.Index(p.Dst) < 0 || p.Src == p.Dst {
		pt = t.peerTrace(p.Src, p.Dst)
	}
	if pt != nil {
		pt.add(p)
	}
	tr.add(tun, p, pt)
}

// peerTrace finds or creates the trace of an address pair; nil when the
// table of pairs is full.
func (t *Table) peerTrace(a, b netip.Addr) *PeerTrace {
	k := newAddrPair(a, b)
	if pt := t.natPeers[k]; pt != nil {
		return pt
	}
	if t.natPeers == nil {
		t.natPeers = make(map[addrPair]*PeerTrace)
	}
	if len(t.natPeers) >= maxPeerPairs {
		return nil
	}
	pt := &PeerTrace{Addrs: [2]netip.Addr{k.a, k.b}}
	t.natPeers[k] = pt
	return pt
}

func (tr *NATTrace) add(tun *Tunnel, p *decode.Packet, pt *PeerTrace) {
	if tr.Peers == nil {
		tr.Peers = pt
	}
	kind := pathKindOf(p)
	var from Role
	retrans := false
	isIKE := p.IKE != nil && (p.Kind == decode.KindIKE || p.Kind == decode.KindMalformed)
	if isIKE {
		from = tun.senderRole(p)
		retrans = tun.Retransmissions > tr.retrans
		tr.retrans = tun.Retransmissions
		tr.noteIKE(tun, from, kind, retrans, p)
	} else {
		from = tun.roleOfSource(p)
	}
	src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
	if kind == PathIKEMarker || kind == PathESPInUDP {
		tr.noteStale(from, kind, dst, p)
	}
	if kind.Encap() && tr.cur[from].src != src {
		tr.cur[from] = currentEndpoint{src: src, since: p.Time, frame: p.Frame}
	}
	path := tr.path(from, kind, src, dst, p)
	if path == nil {
		tr.PathsOverflow++
		return
	}
	path.Packets++
	if retrans {
		path.Retransmissions++
	}
	if p.Time.After(path.Last) {
		path.Last = p.Time
	}
	path.LastFrame = p.Frame
	path.Frames.Add(p.Frame)
}

// path finds or creates a path; nil when the tunnel has maxPaths already.
func (tr *NATTrace) path(from Role, kind PathKind, src, dst netip.AddrPort, p *decode.Packet) *Path {
	match := func(x *Path) bool { return x.From == from && x.Kind == kind && x.Src == src && x.Dst == dst }
	if x := tr.lastPath[from]; x != nil && match(x) {
		return x
	}
	for _, x := range tr.Paths {
		if match(x) {
			tr.lastPath[from] = x
			return x
		}
	}
	if len(tr.Paths) >= maxPaths {
		return nil
	}
	x := &Path{From: from, Kind: kind, Src: src, Dst: dst, First: p.Time, Last: p.Time, FirstFrame: p.Frame}
	if tr.Paths == nil {
		// A NAT-T tunnel uses six to eight paths: grow once, not four
		// times.
		tr.Paths = make([]*Path, 0, 8)
	}
	tr.Paths = append(tr.Paths, x)
	tr.lastPath[from] = x
	return x
}

// noteStale records a UDP-encapsulated packet sent to an endpoint the other
// peer had sent from before but no longer sends UDP-encapsulated traffic
// from.
func (tr *NATTrace) noteStale(from Role, kind PathKind, dst netip.AddrPort, p *decode.Packet) {
	other := 1 - from
	cur := tr.cur[other]
	if !cur.src.IsValid() || cur.src == dst {
		return
	}
	var s *StaleSend
	for _, x := range tr.Stale {
		if x.From == from && x.To == dst {
			s = x
			break
		}
	}
	if s == nil {
		left, leftFrame, ok := tr.LastFrom(other, dst)
		if !ok || left.After(p.Time) || len(tr.Stale) >= maxStale {
			return
		}
		s = &StaleSend{From: from, To: dst, Current: cur.src, Moved: cur.since, MovedFrame: cur.frame,
			Left: left, LeftFrame: leftFrame, First: p.Time}
		tr.Stale = append(tr.Stale, s)
	}
	s.Packets++
	if kind == PathIKEMarker {
		s.IKE++
	} else {
		s.ESP++
	}
	s.Last = p.Time
	s.Frames.Add(p.Frame)
}

// IKEv1 encapsulation mode values of UDP-encapsulated transport mode
// (RFC 2407 §4.5, RFC 3947 §5.1, draft-ietf-ipsec-nat-t-ike-02 §5).
const (
	attrEncapsulationMode  = 4
	encapUDPTransport      = 4
	encapUDPTransportDraft = 61444
	notifyUseTransportMode = decode.NotifyType(16391)
	protocolIPsecAH        = decode.ProtocolID(2)
	protocolIPsecESP       = decode.ProtocolID(3)
	payloadTypeNATOA       = decode.PayloadType(21)
	payloadTypeNATOADraft  = decode.PayloadType(131)
)

func (tr *NATTrace) noteIKE(tun *Tunnel, from Role, kind PathKind, retrans bool, p *decode.Packet) {
	m := p.IKE
	if tun.Float && tr.floatAt.IsZero() {
		tr.floatAt = p.Time
	}
	// Merged captures are not always in time order: only a message sent
	// after the float went back to 500.
	if kind == PathIKE && tun.Float && !retrans && p.Time.After(tr.floatAt) {
		tr.ReturnTo500[from].Add(p.Frame)
	}
	if transportMode(m) {
		tr.TransportMode.Add(p.Frame)
	}
	if len(m.NATOA) > 0 || m.Version == 1 && (m.Has(payloadTypeNATOA) || m.Has(payloadTypeNATOADraft)) {
		tr.NATOA.Add(p.Frame)
	}
}

// transportMode reports whether a message shows UDP-encapsulated
// transport mode in cleartext.
func transportMode(m *decode.IKEMessage) bool {
	if m.Version == 2 {
		return m.HasNotify(notifyUseTransportMode)
	}
	for _, pr := range m.Proposals {
		if pr.Protocol != protocolIPsecESP && pr.Protocol != protocolIPsecAH {
			continue
		}
		for _, tf := range pr.Transforms {
			for _, a := range tf.Attributes {
				if a.Type == attrEncapsulationMode && (a.Value == encapUDPTransport || a.Value == encapUDPTransportDraft) {
					return true
				}
			}
		}
	}
	return false
}
