package decode

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"sort"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket/layers"
)

// IP fragment reassembly for IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5).
//
// gopacket's ip4defrag and ip6defrag are not used: they bound the fragments
// of one datagram but not the number of datagrams in flight, keep no frame
// numbers (a reassembled datagram must name its first and last frame), and
// expire by a caller-driven sweep. This reassembler is bounded in datagrams
// (Options.MaxFragments) and in the octets their buffers hold
// (Options.MaxFragmentBytes, as Linux bounds reassembly by
// ipfrag_high_thresh), the oldest datagrams given up first; in fragments
// per datagram and in datagram size; it expires by capture time; and it refuses
// overlapping fragments whose octets differ (RFC 5722 for IPv6; for IPv4
// the same rule defeats the overlap attacks of RFC 1858 and RFC 3128),
// while identical retransmitted fragments are accepted.

// fragmentTimeout is how long a datagram may wait for its fragments, from
// its first fragment, in capture time: the Linux default (ipfrag_time) and
// the 60 s upper bound of RFC 8200 §4.5 halved.
const fragmentTimeout = 30 * time.Second

// maxFragmentsPerDatagram bounds the fragments of one datagram: the most a
// 65535-octet datagram can have with 8-octet fragments.
const maxFragmentsPerDatagram = 8192

// maxDatagram is the largest reassembled payload: an IP length field's
// maximum (jumbograms are never fragmented, RFC 2675 §3).
const maxDatagram = 65535

// fragKey identifies a datagram: source, destination, identification, and
// for IPv4 the protocol (RFC 791 §3.2; RFC 8200 §4.5 for IPv6).
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	v6       bool
}

// fragRange is a received octet range [start, end) of a datagram.
type fragRange struct{ start, end int }

// fragRangeSize is what one fragRange holds in memory.
const fragRangeSize = int(unsafe.Sizeof(fragRange{}))

// fragSet is one datagram being reassembled.
type fragSet struct {
	key        fragKey
	created    time.Time
	firstFrame int // lowest frame number among the fragments
	lastFrame  int // frame of the latest fragment
	lastTime   time.Time
	count      int
	// data holds the octets from the start of the datagram to the end of
	// the furthest fragment received; ranges says which of them arrived.
	// held is what both take in memory, as the byte bound counts it.
	data    []byte
	ranges  []fragRange // sorted, disjoint, not adjacent
	held    int
	total   int   // datagram length, -1 until the last fragment arrives
	proto   uint8 // IPv4 protocol; IPv6: next header of the first fragment
	srcPort uint16
	dstPort uint16
	ipv6    bool
	// failed is set once the datagram was found inconsistent, or given up
	// for the byte bound while it grew, and reported; it stays, holding
	// nothing, until its deadline so that its remaining fragments do not
	// start a new datagram that can never complete.
	failed bool
	gone   bool // removed from the table; its queue entry is stale
}

// defragmenter holds the datagrams in reassembly.
type defragmenter struct {
	max      int // datagrams in reassembly
	maxBytes int // octets held by their buffers
	held     int // octets held now: the sum of the sets' held
	sets     map[fragKey]*fragSet
	queue    []*fragSet // in order of creation, which is deadline order
	head     int
	evicted  evictedKeys
	// spare holds buffers of datagrams given up, for datagrams to come: a
	// flood of datagrams that never complete reuses a few buffers rather
	// than allocate 64 KiB for each. At most spareBuffers of them, outside
	// the byte bound.
	spare [][]byte

	peakSets, peakHeld int
}

// spareBuffers is how many buffers of given-up datagrams are kept for
// reuse, and spareMin the smallest kept: small ones cost little to
// allocate.
const (
	spareBuffers = 4
	spareMin     = 32 << 10
)

// buffer returns a buffer of length n and capacity c, one of the spare
// ones when one has that capacity, so that what it holds is counted
// exactly. A spare buffer's octets past those inserted are stale, and
// nothing reads them: only received ranges are compared and decoded.
func (f *defragmenter) buffer(n, c int) []byte {
	for i, b := range f.spare {
		if cap(b) == c {
			last := len(f.spare) - 1
			f.spare[i], f.spare[last] = f.spare[last], nil
			f.spare = f.spare[:last]
			return b[:n]
		}
	}
	return make([]byte, n, c)
}

// evictedKeys remembers the latest datagrams given up for a bound until
// their deadline: a fragment of one of them that comes later goes into
// nothing, rather than start a new datagram that would time out and be
// taken for fragments lost on the network. A ring of at most as many
// datagrams as reassembly holds, in order of eviction, which is deadline
// order (the oldest datagrams are given up first).
type evictedKeys struct {
	deadline map[fragKey]time.Time
	ring     []evictedKey
	start, n int
}

type evictedKey struct {
	key      fragKey
	deadline time.Time
}

// add remembers a datagram given up, forgetting the oldest one remembered
// when the ring is full.
func (e *evictedKeys) add(key fragKey, deadline time.Time, size int) {
	if e.ring == nil {
		e.ring = make([]evictedKey, size)
		e.deadline = make(map[fragKey]time.Time, size)
	}
	if e.n == len(e.ring) {
		e.forgetOldest()
	}
	e.ring[(e.start+e.n)%len(e.ring)] = evictedKey{key, deadline}
	e.n++
	e.deadline[key] = deadline
}

func (e *evictedKeys) forgetOldest() {
	old := e.ring[e.start]
	if dl, ok := e.deadline[old.key]; ok && dl.Equal(old.deadline) {
		delete(e.deadline, old.key)
	}
	e.ring[e.start] = evictedKey{}
	e.start = (e.start + 1) % len(e.ring)
	e.n--
}

// has reports whether key is a datagram given up whose deadline has not
// passed at now.
func (e *evictedKeys) has(key fragKey, now time.Time) bool {
	if e.n == 0 {
		return false
	}
	dl, ok := e.deadline[key]
	return ok && !now.After(dl)
}

// expire forgets the datagrams whose deadline passed at now.
func (e *evictedKeys) expire(now time.Time) {
	for e.n > 0 && now.After(e.ring[e.start].deadline) {
		e.forgetOldest()
	}
}

// clear forgets every datagram.
func (e *evictedKeys) clear() {
	for e.n > 0 {
		e.forgetOldest()
	}
}

func (f *defragmenter) init(max, maxBytes int) {
	f.max, f.maxBytes = max, maxBytes
	f.sets = map[fragKey]*fragSet{}
}

// stats returns the bounds and how near the capture came to them.
func (f *defragmenter) stats() ReassemblyStats {
	return ReassemblyStats{MaxDatagrams: f.max, MaxBytes: f.maxBytes, PeakDatagrams: f.peakSets, PeakBytes: f.peakHeld}
}

// add adds a fragment and returns the datagram when this fragment completes
// it; the caller decodes it and calls release.
func (f *defragmenter) add(d *Decoder, key fragKey, proto uint8, b []byte, wire, off int, more bool) *fragSet {
	st := f.sets[key]
	if st == nil {
		if f.evicted.has(key, d.cur.Time) {
			return nil
		}
		if len(f.sets) >= f.max {
			f.evictOldest(d)
		}
		st = &fragSet{key: key, created: d.cur.Time, firstFrame: d.cur.Frame, total: -1, ipv6: key.v6}
		f.sets[key] = st
		f.queue = append(f.queue, st)
		f.peakSets = max(f.peakSets, len(f.sets))
	}
	st.count++
	st.lastFrame, st.lastTime = d.cur.Frame, d.cur.Time
	if d.cur.Frame < st.firstFrame {
		st.firstFrame = d.cur.Frame
	}
	if st.failed {
		return nil
	}
	if off == 0 {
		st.proto = proto
		st.srcPort, st.dstPort = d.cur.SrcPort, d.cur.DstPort
	}
	end := off + wire
	switch {
	case len(b) < wire:
		f.fail(d, st, FaultNotCaptured, "fragment truncated in capture", len(b))
		return nil
	case end > maxDatagram:
		f.fail(d, st, FaultInvalid, "fragment ends beyond 65535 octets", wire)
		return nil
	case more && wire%8 != 0:
		f.fail(d, st, FaultInvalid, "non-final fragment length not a multiple of 8", wire)
		return nil
	case st.count > maxFragmentsPerDatagram:
		f.fail(d, st, FaultLimit, "more than 8192 fragments", wire)
		return nil
	}
	if !more {
		if st.total >= 0 && st.total != end {
			f.fail(d, st, FaultInvalid, "two final fragments with different ends", wire)
			return nil
		}
		st.total = end
	}
	if st.total >= 0 && (end > st.total || len(st.ranges) > 0 && st.ranges[len(st.ranges)-1].end > st.total) {
		f.fail(d, st, FaultInvalid, "fragment beyond the final fragment", wire)
		return nil
	}
	if grow := st.growth(end); wire > 0 && f.held+grow > f.maxBytes && !f.makeRoom(d, st, grow, wire) {
		return nil
	}
	ok := st.insert(f, off, b[:wire])
	f.account(st)
	if !ok {
		f.fail(d, st, FaultInvalid, "overlapping fragments differ", wire)
		return nil
	}
	if st.total >= 0 && len(st.ranges) == 1 && st.ranges[0].start == 0 && st.ranges[0].end == st.total {
		return st
	}
	return nil
}

// insert copies the fragment into place and merges its range. It reports
// false when the fragment overlaps received octets with different values.
func (st *fragSet) insert(f *defragmenter, off int, b []byte) bool {
	end := off + len(b)
	if len(b) == 0 {
		return true
	}
	// The first range that ends at or after off: it may overlap or touch.
	i := sort.Search(len(st.ranges), func(i int) bool { return st.ranges[i].end >= off })
	for j := i; j < len(st.ranges) && st.ranges[j].start <= end; j++ {
		r := st.ranges[j]
		lo, hi := max(r.start, off), min(r.end, end)
		if lo < hi && !bytes.Equal(st.data[lo:hi], b[lo-off:hi-off]) {
			return false
		}
	}
	if len(st.data) < end {
		if cap(st.data) < end {
			n := f.buffer(end, st.dataCap(end))
			copy(n, st.data)
			st.data = n
		}
		st.data = st.data[:end]
	}
	copy(st.data[off:], b)
	// Merge [off, end) with ranges i..j-1, which overlap or touch it.
	j := i
	nr := fragRange{off, end}
	for j < len(st.ranges) && st.ranges[j].start <= end {
		nr.start = min(nr.start, st.ranges[j].start)
		nr.end = max(nr.end, st.ranges[j].end)
		j++
	}
	switch {
	case j == i:
		if len(st.ranges) == cap(st.ranges) {
			n := make([]fragRange, len(st.ranges), rangesCap(cap(st.ranges)))
			copy(n, st.ranges)
			st.ranges = n
		}
		st.ranges = st.ranges[:len(st.ranges)+1]
		copy(st.ranges[i+1:], st.ranges[i:])
		st.ranges[i] = nr
	default:
		st.ranges[i] = nr
		st.ranges = append(st.ranges[:i+1], st.ranges[j:]...)
	}
	return true
}

// dataCap is the capacity to give the buffer when it must hold octets up
// to end: the datagram's length once the final fragment told it, else
// twice the present capacity, so that fragments arriving in order cost
// few copies; never room beyond what a datagram can hold. It is rounded
// up as Go's allocator rounds what it allocates, so that the byte bound
// counts what the buffer takes.
func (st *fragSet) dataCap(end int) int {
	if st.total >= end {
		return allocSize(st.total)
	}
	return allocSize(min(max(end, 2*cap(st.data)), maxDatagram))
}

// allocSize rounds a buffer's size up to what Go allocates for it where
// that is more than a little: a buffer over 32 KiB takes whole pages of 8
// KiB. Smaller ones fall into size classes that add at most an eighth,
// which the bound leaves uncounted.
func allocSize(n int) int {
	const largeObject, page = 32 << 10, 8 << 10
	if n <= largeObject {
		return n
	}
	return (n + page - 1) &^ (page - 1)
}

// rangesCap is the capacity to give a full range list of capacity c.
func rangesCap(c int) int { return max(4, 2*c) }

// growth returns by how much, at most, the octets the datagram holds grow
// when a fragment ending at end is inserted.
func (st *fragSet) growth(end int) int {
	n := 0
	if end > cap(st.data) {
		n += st.dataCap(end) - cap(st.data)
	}
	if len(st.ranges) == cap(st.ranges) {
		n += (rangesCap(cap(st.ranges)) - cap(st.ranges)) * fragRangeSize
	}
	return n
}

// account brings the octets held up to date after the datagram's buffers
// changed.
func (f *defragmenter) account(st *fragSet) {
	n := cap(st.data) + cap(st.ranges)*fragRangeSize
	f.held += n - st.held
	st.held = n
	f.peakHeld = max(f.peakHeld, f.held)
}

// free drops the datagram's buffers; a large one is kept for reuse while
// there is room among the spare ones.
func (f *defragmenter) free(st *fragSet) {
	if cap(st.data) >= spareMin && len(f.spare) < spareBuffers {
		f.spare = append(f.spare, st.data[:0])
	}
	st.data, st.ranges = nil, nil
	f.account(st)
}

// makeRoom gives up the oldest datagrams until st can grow by grow octets
// within the byte bound. It reports false when st itself was given up:
// because it alone would pass the bound, or because it was the oldest.
// pending is the length of the fragment st is growing for, which will not
// be inserted then.
func (f *defragmenter) makeRoom(d *Decoder, st *fragSet, grow, pending int) bool {
	if st.held+grow > f.maxBytes {
		f.evictSelf(d, st, pending)
		return false
	}
	defer f.compact()
	for f.held+grow > f.maxBytes {
		if f.head == len(f.queue) || f.queue[f.head] == st {
			f.evictSelf(d, st, pending)
			return false
		}
		old := f.queue[f.head]
		f.queue[f.head] = nil
		f.head++
		if old.gone {
			continue
		}
		f.remove(old)
		if !old.failed {
			f.giveUp(d, old, FaultFragmentsEvictedBytes, f.bytesFull(), 0)
		}
		f.forget(old)
	}
	return true
}

// forget drops the buffers of a datagram removed before its deadline, and
// remembers it until then.
func (f *defragmenter) forget(st *fragSet) {
	f.free(st)
	f.evicted.add(st.key, st.created.Add(fragmentTimeout), f.max)
}

// evictSelf gives up a datagram whose fragment does not fit in the byte
// bound, and keeps it as failed, holding nothing, until its deadline, so
// that its remaining fragments do not start a new datagram that would be
// given up in turn.
func (f *defragmenter) evictSelf(d *Decoder, st *fragSet, pending int) {
	st.failed = true
	f.giveUp(d, st, FaultFragmentsEvictedBytes, f.bytesFull(), pending)
	f.free(st)
}

// bytesFull says why a datagram was given up for the byte bound.
func (f *defragmenter) bytesFull() string {
	return "reassembly buffers full (" + itoa(f.maxBytes) + " octets), datagram dropped"
}

// fail reports a datagram that cannot be reassembled, with a fault of kind
// k saying why, and keeps it as failed, holding nothing, until its
// deadline; pending is the length of the fragment that failed it, counted
// in it but not inserted.
func (f *defragmenter) fail(d *Decoder, st *fragSet, k FaultKind, why string, pending int) {
	st.failed = true
	// Reported before its buffers go: the first fragment tells IKE from
	// ESP on the NAT-T port.
	f.report(d, st, k, why, st.received()+pending)
	f.free(st)
}

// giveUp reports a datagram given up with fragments missing, with a fault
// of kind k (FaultFragmentsTimedOut, FaultFragmentsEvicted,
// FaultFragmentsEvictedBytes or FaultFragmentsAtEnd) saying why and how
// far it got; pending is the length of a fragment counted in it but not
// inserted.
func (f *defragmenter) giveUp(d *Decoder, st *fragSet, k FaultKind, why string, pending int) {
	f.report(d, st, k, why+": "+st.describe(pending), st.received()+pending)
}

// report emits a KindMalformed packet for a datagram that was given up, at
// the frame of its latest fragment, with a fault of kind k whose message
// is the IP version and why; octets is how much of it arrived.
func (f *defragmenter) report(d *Decoder, st *fragSet, k FaultKind, why string, octets int) {
	layer := f.ipName(st)
	d.stats.FragmentSetsDropped++
	p := Packet{
		Frame:          st.lastFrame,
		FirstFrame:     st.firstFrame,
		Time:           st.lastTime,
		Src:            st.key.src,
		Dst:            st.key.dst,
		SrcPort:        st.srcPort,
		DstPort:        st.dstPort,
		Proto:          st.proto,
		IPID:           st.key.id,
		IPv6:           st.key.v6,
		Fragments:      st.count,
		FragmentOctets: octets,
		Kind:           KindMalformed,
		Fault:          newFault(k, layer, -1, layer+": "+why),
	}
	if !st.key.v6 {
		p.Proto = st.key.proto
	}
	if st.proto == uint8(layers.IPProtocolUDP) && len(st.ranges) > 0 && st.ranges[0].start == 0 && st.ranges[0].end >= 12 {
		// The first fragment shows the start of the UDP payload: on the
		// NAT-T port, four zero octets put IKE behind the non-ESP marker
		// and anything else is ESP (RFC 3948 §2.2), which tells an IKE
		// message lost to fragmentation from an ESP packet.
		p.NonESPMarker = binary.BigEndian.Uint32(st.data[8:12]) == 0
	}
	d.emit(&p)
}

// received returns the octets of the datagram received so far.
func (st *fragSet) received() int {
	got := 0
	for _, r := range st.ranges {
		got += r.end - r.start
	}
	return got
}

// describe says how far a datagram got, for the report of an incomplete
// one; pending is the length of a fragment counted but not inserted.
func (st *fragSet) describe(pending int) string {
	s := itoa(st.count) + " fragments, " + itoa(st.received()+pending) + " octets"
	if st.total < 0 {
		return s + ", final fragment missing"
	}
	return s + " of " + itoa(st.total)
}

// remove drops a datagram from the table.
func (f *defragmenter) remove(st *fragSet) {
	if f.sets[st.key] == st {
		delete(f.sets, st.key)
	}
	st.gone = true
}

// release drops a completed datagram after it was decoded.
func (f *defragmenter) release(st *fragSet) {
	f.remove(st)
	// The packets decoded from a completed datagram may keep slices of
	// its octets: its buffer is never reused.
	st.data = nil
	f.free(st)
}

// evictOldest gives up the oldest datagram to make room for a new one
// within the count of datagrams.
func (f *defragmenter) evictOldest(d *Decoder) {
	for f.head < len(f.queue) {
		st := f.queue[f.head]
		f.queue[f.head] = nil
		f.head++
		if st.gone {
			continue
		}
		f.remove(st)
		if !st.failed {
			f.giveUp(d, st, FaultFragmentsEvicted, "reassembly table full ("+itoa(f.max)+" datagrams), datagram dropped", 0)
		}
		f.forget(st)
		break
	}
	f.compact()
}

func (f *defragmenter) ipName(st *fragSet) string {
	if st.key.v6 {
		return "ipv6"
	}
	return "ipv4"
}

// expire gives up the datagrams whose deadline passed at capture time now.
func (f *defragmenter) expire(d *Decoder, now time.Time) {
	for f.head < len(f.queue) {
		st := f.queue[f.head]
		if !st.gone && !now.After(st.created.Add(fragmentTimeout)) {
			break
		}
		f.queue[f.head] = nil
		f.head++
		if st.gone {
			continue
		}
		f.remove(st)
		if !st.failed {
			f.giveUp(d, st, FaultFragmentsTimedOut, "reassembly timed out", 0)
		}
		f.free(st)
	}
	f.evicted.expire(now)
	f.compact()
}

// flush gives up every datagram, at the end of the capture.
func (f *defragmenter) flush(d *Decoder) {
	for _, st := range f.queue[f.head:] {
		if st.gone {
			continue
		}
		f.remove(st)
		if !st.failed {
			f.giveUp(d, st, FaultFragmentsAtEnd, "capture ended before reassembly", 0)
		}
		f.free(st)
	}
	f.queue, f.head = f.queue[:0], 0
	f.evicted.clear()
}

// compact reclaims the consumed part of the queue, and the entries of
// completed datagrams when they outnumber the live ones.
func (f *defragmenter) compact() {
	if f.head > 0 && f.head*2 >= len(f.queue) {
		n := copy(f.queue, f.queue[f.head:])
		clear(f.queue[n:])
		f.queue, f.head = f.queue[:n], 0
	}
	if len(f.queue)-f.head > 2*len(f.sets)+64 {
		live := f.queue[:0]
		for _, st := range f.queue[f.head:] {
			if !st.gone {
				live = append(live, st)
			}
		}
		clear(f.queue[len(live):])
		f.queue, f.head = live, 0
	}
}
