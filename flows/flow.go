package flows

import (
	"math"
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	keyfiles "github.com/vpnpcap/vpnpcap/decode/keys"
)

// sampleSize is how many frame numbers a record keeps as evidence: the first
// ones and the most recent ones. Enough to open a few packets in Wireshark,
// small enough that memory does not grow with packets.
const sampleSize = 6

// Frames is a bounded sample of frame numbers: the first few and the last
// few, with a count of all.
//
// The numbers are kept in 32 bits, as Wireshark numbers frames
// (frame.number is a 32-bit field): a number beyond 4294967295, which no
// capture Wireshark can open reaches, is kept as 4294967295. Tunnels, SAs
// and flows hold a dozen samples each, so their size counts: most samples
// of a tunnel or an exchange hold one or two frames, or none, so the first
// two are kept inline and the rest of the sample only once a third frame
// comes. A copy of a Frames shares that rest: copies are for reading. A
// record that most of its packets add to (a flow, an SA, a path) keeps
// InlineFrames instead.
type Frames struct {
	n    int
	head [2]uint32
	more *frameSample
}

// frameSample is the part of a Frames past its first two frames.
type frameSample struct {
	// The ring of the latest frames comes first: once the first ones are
	// in, adding a frame touches it alone.
	last  [sampleSize]uint32
	first [sampleSize - 2]uint32 // the third frame on
}

// InlineFrames is the sample of Frames, kept whole in the record that
// holds it: adding a frame touches no other memory, which matters for
// records that every packet of a conversation or an SA adds to.
type InlineFrames struct {
	// The count and the ring of the latest frames come first: once the
	// first ones are in, adding a frame touches them alone, in one cache
	// line.
	n     int
	last  [sampleSize]uint32 // ring
	first [sampleSize]uint32
}

// frameNumber is a frame number as Frames keeps it.
func frameNumber(frame int) uint32 {
	switch {
	case frame < 0:
		return 0
	case uint64(frame) > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(frame)
}

// Add records a frame.
func (f *Frames) Add(frame int) {
	fr := frameNumber(frame)
	switch {
	case f.n < len(f.head):
		f.head[f.n] = fr
	case f.n < sampleSize:
		if f.more == nil {
			f.more = new(frameSample)
		}
		f.more.first[f.n-len(f.head)] = fr
	default:
		f.more.last[(f.n-sampleSize)%sampleSize] = fr
	}
	f.n++
}

// first returns the i-th frame added, for i < min(n, sampleSize).
func (f *Frames) first(i int) uint32 {
	if i < len(f.head) {
		return f.head[i]
	}
	return f.more.first[i-len(f.head)]
}

// ring returns the ring of the latest frames, which holds frames once
// more than sampleSize were added.
func (f *Frames) ring() *[sampleSize]uint32 {
	if f.more == nil {
		return nil
	}
	return &f.more.last
}

// Count returns how many frames were added.
func (f *Frames) Count() int { return f.n }

// List returns the sampled frames in the order they were added, the first
// ones then the latest ones.
func (f *Frames) List() []int { return sampleList(f.n, f.first, f.ring()) }

// First returns the first frame added, or 0.
func (f *Frames) First() int { return sampleFirst(f.n, f.first) }

// Last returns the last frame added, or 0.
func (f *Frames) Last() int { return sampleLast(f.n, f.first, f.ring()) }

// Add records a frame.
func (f *InlineFrames) Add(frame int) {
	if f.n < sampleSize {
		f.first[f.n] = frameNumber(frame)
	} else {
		f.last[(f.n-sampleSize)%sampleSize] = frameNumber(frame)
	}
	f.n++
}

func (f *InlineFrames) firstAt(i int) uint32 { return f.first[i] }

// Count returns how many frames were added.
func (f *InlineFrames) Count() int { return f.n }

// List returns the sampled frames in the order they were added, the first
// ones then the latest ones.
func (f *InlineFrames) List() []int { return sampleList(f.n, f.firstAt, &f.last) }

// First returns the first frame added, or 0.
func (f *InlineFrames) First() int { return sampleFirst(f.n, f.firstAt) }

// Last returns the last frame added, or 0.
func (f *InlineFrames) Last() int { return sampleLast(f.n, f.firstAt, &f.last) }

// sampleList lists a sample of n frames: the first ones, which first
// returns, then the latest ones, which the ring last holds (from the
// sampleSize+1-th frame on) at (i-sampleSize)%sampleSize for the i-th.
func sampleList(n int, first func(int) uint32, last *[sampleSize]uint32) []int {
	out := make([]int, 0, 2*sampleSize)
	for i := range min(n, sampleSize) {
		out = append(out, int(first(i)))
	}
	if n > sampleSize {
		tail := n - sampleSize
		if tail > sampleSize {
			start := tail % sampleSize
			for i := 0; i < sampleSize; i++ {
				out = append(out, int(last[(start+i)%sampleSize]))
			}
		} else {
			for _, fr := range last[:tail] {
				out = append(out, int(fr))
			}
		}
	}
	return out
}

// sampleFirst returns the first frame of a sample of n, or 0.
func sampleFirst(n int, first func(int) uint32) int {
	if n == 0 {
		return 0
	}
	return int(first(0))
}

// sampleLast returns the last frame of a sample of n, or 0.
func sampleLast(n int, first func(int) uint32, last *[sampleSize]uint32) int {
	switch {
	case n == 0:
		return 0
	case n <= sampleSize:
		return int(first(n - 1))
	}
	return int(last[(n-sampleSize-1)%sampleSize])
}

// Flow is one conversation: a UDP or TCP 5-tuple (both directions), an ESP
// or AH security association (one direction), or a GRE call (one direction).
type Flow struct {
	// What every packet updates comes first, to share cache lines.
	Packets [2]int   // by Dir
	Bytes   [2]int64 // wire bytes, by Dir
	Last    time.Time
	Tunnel  int // the tunnel this flow carries, 0 if none
	Frames  InlineFrames
	// Kinds counts the packets by kind, up to the largest uint32: half
	// the room of ints, which takes a flow down a size class (384 to 320
	// bytes), and no capture this reads holds four billion packets of
	// one conversation.
	Kinds [decode.NumKinds]uint32
	Key   Key
	First time.Time
	// fate is filled by correlation with the other capture (Fate); nil
	// for a capture alone, which spares every flow and SA its room.
	fate *Fate
	// ICMP counts the ICMP errors that quote the flow's packets; nil when
	// there are none.
	ICMP *ICMPErrors

	// sa is the ESP or AH SA of each direction's latest packet, if any.
	sa [2]*ESPSA
	// mapping is the NAT mapping the matcher latest filed a packet of
	// this (inside) flow under: the next packet's is most likely the same.
	mapping *Mapping
	// others holds, with Options.SummarizeOther, the directions (bit
	// 1<<Dir) of the conversation's packets that were not VPN traffic,
	// which the flow does not count.
	others uint8
}

// Total returns the packets of both directions.
func (f *Flow) Total() int { return f.Packets[0] + f.Packets[1] }

// Fate counts what happened to a flow's packets across the NAT, from the
// point of view of the capture the flow belongs to.
type Fate struct {
	Forwarded int // seen in the other capture too
	Dropped   int // not seen in the other capture, while the captures overlapped
	Modified  int // seen, with bytes changed beyond what a NAT rewrites
	// NoOrigin counts packets that came from the far side of the NAT but
	// were not seen there.
	NoOrigin int
	Outside  int // not compared: outside the captures' common time span
	// Delay across the NAT of forwarded packets.
	MinDelay, MaxDelay time.Duration
	delaySum           time.Duration
	// samples holds the frames of dropped, unexplained and modified
	// packets, made at the first of them: most conversations lose none,
	// and a pair of captures has a Fate for each of its conversations.
	samples *fateSamples
}

type fateSamples struct{ dropped, noOrigin, modified Frames }

// DroppedFrames returns a sample of the frames of dropped packets.
func (f *Fate) DroppedFrames() *Frames { return &f.readSamples().dropped }

// NoOriginFrames returns a sample of the frames of packets that came from
// the far side of the NAT but were not seen there.
func (f *Fate) NoOriginFrames() *Frames { return &f.readSamples().noOrigin }

// ModifiedFrames returns a sample of the frames of modified packets.
func (f *Fate) ModifiedFrames() *Frames { return &f.readSamples().modified }

// readSamples returns the samples, or new empty ones for a caller to read
// (never added to: the correlation adds through addSamples).
func (f *Fate) readSamples() *fateSamples {
	if f.samples == nil {
		return new(fateSamples)
	}
	return f.samples
}

// addSamples returns the samples, made on first use, to add a frame to.
func (f *Fate) addSamples() *fateSamples {
	if f.samples == nil {
		f.samples = new(fateSamples)
	}
	return f.samples
}

// Fate returns what happened to the flow's packets across the NAT: all
// zero for a capture analysed alone.
func (f *Flow) Fate() *Fate { return fateOrZero(f.fate) }

// Fate returns what happened to the SA's packets across the NAT: all zero
// for a capture analysed alone.
func (sa *ESPSA) Fate() *Fate { return fateOrZero(sa.fate) }

// Fate returns what happened to the tunnel's IKE messages across the NAT:
// all zero for a capture analysed alone.
func (t *Tunnel) Fate() *Fate { return fateOrZero(t.fate) }

// fateOrZero returns f, or a new zero Fate for a capture analysed alone,
// which the caller may not share.
func fateOrZero(f *Fate) *Fate {
	if f == nil {
		return new(Fate)
	}
	return f
}

// MeanDelay returns the mean delay across the NAT of forwarded packets.
func (f *Fate) MeanDelay() time.Duration {
	if f.Forwarded == 0 {
		return 0
	}
	return f.delaySum / time.Duration(f.Forwarded)
}

func (f *Fate) addDelay(d time.Duration) {
	if f.Forwarded == 1 || d < f.MinDelay {
		f.MinDelay = d
	}
	if d > f.MaxDelay {
		f.MaxDelay = d
	}
	f.delaySum += d
}

// ESPSA is one ESP (or AH) security association seen on the wire: one SPI in
// one direction, however it was carried (raw, in UDP, in TCP).
type ESPSA struct {
	// What every packet reads or updates comes first, to share cache
	// lines.
	SPI      uint32
	SrcPort  uint16 // of the latest packet; 0 for raw ESP
	DstPort  uint16
	AH       bool
	Raw      int // packets as IP protocol 50/51
	UDP      int // packets inside UDP (RFC 3948)
	TCP      int // packets inside TCP (RFC 9329)
	FirstSeq uint32
	MaxSeq   uint32
	Src, Dst netip.Addr
	Last     time.Time
	Frames   InlineFrames
	// Tunnel is the tunnel the SA was attached to (0: none). Child SA SPIs
	// are negotiated inside encrypted messages, so without keys the link is
	// inferred from endpoints and timing; Inferred says so. With keys the
	// SPI is read from the decrypted SA payload and the link is exact
	// (Tunnel.ChildSAs).
	Tunnel   int
	Inferred bool
	// SrcMoved is set when the SA's packets came from more than one
	// source address (a NAT that rebound it): Src is the latest.
	SrcMoved bool

	First     time.Time
	Missing   int    // sequence numbers skipped over and not seen since (within the last 64)
	Repeated  int    // sequence numbers at or below the highest seen (duplicates or reordering)
	window    uint64 // bit i: sequence number MaxSeq-i was seen
	GapFrames Frames
	DupFrames Frames
	// fate is filled by correlation with the other capture (Fate); nil
	// for a capture alone, which spares every flow and SA its room.
	fate *Fate
	// Lost holds the sequence numbers of the SA's packets that the other
	// capture did not see (Fate.Dropped), filled by correlation; nil when
	// none were lost, and for a capture alone.
	Lost *SeqRuns
	// ICMP counts the ICMP errors that quote the SA's packets; nil when
	// there are none.
	ICMP *ICMPErrors
	// inner is what the SA's packets carried, when keys decrypted or
	// failed to decrypt them; nil otherwise (Inner).
	inner *InnerTraffic
}

// Inner returns what the SA's packets carried, as far as keys decrypted
// them: empty without keys for it.
func (s *ESPSA) Inner() InnerTraffic {
	if s.inner == nil {
		return InnerTraffic{}
	}
	return *s.inner
}

// InnerTraffic is what an ESP SA's packets carried, as decryption
// (decode.Options.Keys) showed it.
type InnerTraffic struct {
	Decrypted int
	Failed    int
	// FirstFailure is why the first packet that failed did (it names the
	// key's file and line, never the key); Key is the key of the first
	// packet decrypted.
	FirstFailure string
	Key          keyfiles.Source
	// Flows are the distinct inner (source, destination, protocol), in
	// the order seen, at most maxInnerFlows; Other counts the decrypted
	// packets of the flows past them.
	Flows []InnerFlow
	Other int
}

// InnerFlow counts the decrypted packets of one inner source, destination
// and protocol. In transport mode Src and Dst are invalid.
type InnerFlow struct {
	Src, Dst     netip.Addr
	Proto        uint8
	Packets      int
	EchoRequests int // ICMP or ICMPv6 echo requests
	EchoReplies  int
	FirstFrame   int
}

// maxInnerFlows bounds the inner flows an SA keeps.
const maxInnerFlows = 16

func (in *InnerTraffic) add(p *decode.Packet) {
	d := p.Decrypted
	switch d.Status {
	case decode.Decrypted:
	case decode.DecryptFailed:
		if in.Failed == 0 {
			in.FirstFailure = d.Reason
		}
		in.Failed++
		return
	default:
		return
	}
	if in.Decrypted == 0 {
		in.Key = d.Key
	}
	in.Decrypted++
	x := d.Inner
	var f *InnerFlow
	for i := range in.Flows {
		if g := &in.Flows[i]; g.Src == x.Src && g.Dst == x.Dst && g.Proto == x.Proto {
			f = g
			break
		}
	}
	if f == nil {
		if len(in.Flows) >= maxInnerFlows {
			in.Other++
			return
		}
		in.Flows = append(in.Flows, InnerFlow{Src: x.Src, Dst: x.Dst, Proto: x.Proto, FirstFrame: p.Frame})
		f = &in.Flows[len(in.Flows)-1]
	}
	f.Packets++
	switch {
	case !x.Transport:
	case x.Proto == 1 && x.ICMPType == 8, x.Proto == 58 && x.ICMPType == 128:
		f.EchoRequests++
	case x.Proto == 1 && x.ICMPType == 0, x.Proto == 58 && x.ICMPType == 129:
		f.EchoReplies++
	}
}

// Packets returns all packets of the SA.
func (s *ESPSA) Packets() int { return s.Raw + s.UDP + s.TCP }

func (s *ESPSA) add(p *decode.Packet, seq uint32) {
	n := s.Packets()
	switch p.Kind {
	case decode.KindUDPESP:
		s.UDP++
	case decode.KindTCPESP:
		s.TCP++
	default:
		s.Raw++
	}
	s.SrcPort, s.DstPort = p.SrcPort, p.DstPort
	if n == 0 {
		s.First = p.Time
		s.FirstSeq, s.MaxSeq = seq, seq
		s.window = 1
	} else {
		switch {
		case seq > s.MaxSeq:
			if seq > s.MaxSeq+1 {
				s.Missing += int(seq - s.MaxSeq - 1)
				s.GapFrames.Add(p.Frame)
			}
			if shift := seq - s.MaxSeq; shift < 64 {
				s.window = s.window<<shift | 1
			} else {
				s.window = 1
			}
			s.MaxSeq = seq
		default:
			s.Repeated++
			s.DupFrames.Add(p.Frame)
			// A late packet inside the anti-replay-style window (RFC 4303
			// §3.4.3) that was not seen yet fills a gap counted as
			// missing: it was reordered, not lost.
			if back := s.MaxSeq - seq; back < 64 && s.window&(1<<back) == 0 {
				s.window |= 1 << back
				s.Missing--
			}
		}
	}
	s.Last = p.Time
	s.Frames.Add(p.Frame)
	if p.Decrypted != nil {
		if s.inner == nil {
			s.inner = new(InnerTraffic)
		}
		s.inner.add(p)
	}
}

// Encapsulation is how a tunnel's ESP travelled.
type Encapsulation string

// Encapsulations, as in the JSON output.
const (
	EncapNone  Encapsulation = "none"  // no ESP seen
	EncapRaw   Encapsulation = "raw"   // IP protocol 50 only
	EncapUDP   Encapsulation = "udp"   // ESP in UDP only
	EncapTCP   Encapsulation = "tcp"   // ESP in TCP only
	EncapMixed Encapsulation = "mixed" // more than one of these
	EncapAH    Encapsulation = "ah"    // AH, and no ESP
	EncapGRE   Encapsulation = "gre"   // PPTP's enhanced GRE
)

// ESPCount counts ESP packets by how they travelled, and AH packets.
type ESPCount struct {
	Raw, UDP, TCP, AH int
}

// Add counts an SA's packets.
func (c *ESPCount) Add(sa *ESPSA) {
	if sa.AH {
		c.AH += sa.Packets()
		return
	}
	c.Raw += sa.Raw
	c.UDP += sa.UDP
	c.TCP += sa.TCP
}

// ESP returns the ESP packets, however carried.
func (c ESPCount) ESP() int { return c.Raw + c.UDP + c.TCP }

// Encapsulation classifies the counts: one form, mixed, "ah" for AH alone,
// or none.
func (c ESPCount) Encapsulation() Encapsulation {
	kinds := 0
	e := EncapNone
	for _, k := range []struct {
		n int
		e Encapsulation
	}{{c.Raw, EncapRaw}, {c.UDP, EncapUDP}, {c.TCP, EncapTCP}} {
		if k.n > 0 {
			kinds++
			e = k.e
		}
	}
	switch {
	case kinds > 1:
		return EncapMixed
	case kinds == 0 && c.AH > 0:
		return EncapAH
	}
	return e
}
