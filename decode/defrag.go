package decode

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"sort"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// IP fragment reassembly for IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5).
//
// gopacket's ip4defrag and ip6defrag are not used: they bound the fragments
// of one datagram but not the number of datagrams in flight, keep no frame
// numbers (a reassembled datagram must name its first and last frame), and
// expire by a caller-driven sweep. This reassembler is bounded in datagrams
// (Options.MaxFragments, oldest given up first), in fragments per datagram
// and in datagram size; it expires by capture time; and it refuses
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

// fragSet is one datagram being reassembled.
type fragSet struct {
	key        fragKey
	created    time.Time
	firstFrame int // lowest frame number among the fragments
	lastFrame  int // frame of the latest fragment
	lastTime   time.Time
	count      int
	data       []byte
	ranges     []fragRange // sorted, disjoint, not adjacent
	total      int         // datagram length, -1 until the last fragment arrives
	proto      uint8       // IPv4 protocol; IPv6: next header of the first fragment
	srcPort    uint16
	dstPort    uint16
	ipv6       bool
	// failed is set once the datagram was found inconsistent and reported;
	// it stays until its deadline so that its remaining fragments do not
	// start a new datagram that can never complete.
	failed bool
	gone   bool // removed from the table; its queue entry is stale
}

// defragmenter holds the datagrams in reassembly.
type defragmenter struct {
	max   int
	sets  map[fragKey]*fragSet
	queue []*fragSet // in order of creation, which is deadline order
	head  int
}

func (f *defragmenter) init(max int) {
	f.max = max
	f.sets = map[fragKey]*fragSet{}
}

// add adds a fragment and returns the datagram when this fragment completes
// it; the caller decodes it and calls release.
func (f *defragmenter) add(d *Decoder, key fragKey, proto uint8, b []byte, wire, off int, more bool) *fragSet {
	st := f.sets[key]
	if st == nil {
		if len(f.sets) >= f.max {
			f.evictOldest(d)
		}
		st = &fragSet{key: key, created: d.cur.Time, firstFrame: d.cur.Frame, total: -1, ipv6: key.v6}
		f.sets[key] = st
		f.queue = append(f.queue, st)
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
		f.fail(d, st, FaultNotCaptured, "fragment truncated in capture")
		return nil
	case end > maxDatagram:
		f.fail(d, st, FaultInvalid, "fragment ends beyond 65535 octets")
		return nil
	case more && wire%8 != 0:
		f.fail(d, st, FaultInvalid, "non-final fragment length not a multiple of 8")
		return nil
	case st.count > maxFragmentsPerDatagram:
		f.fail(d, st, FaultLimit, "more than 8192 fragments")
		return nil
	}
	if !more {
		if st.total >= 0 && st.total != end {
			f.fail(d, st, FaultInvalid, "two final fragments with different ends")
			return nil
		}
		st.total = end
	}
	if st.total >= 0 && (end > st.total || len(st.ranges) > 0 && st.ranges[len(st.ranges)-1].end > st.total) {
		f.fail(d, st, FaultInvalid, "fragment beyond the final fragment")
		return nil
	}
	if !st.insert(off, b[:wire]) {
		f.fail(d, st, FaultInvalid, "overlapping fragments differ")
		return nil
	}
	if st.total >= 0 && len(st.ranges) == 1 && st.ranges[0].start == 0 && st.ranges[0].end == st.total {
		return st
	}
	return nil
}

// insert copies the fragment into place and merges its range. It reports
// false when the fragment overlaps received octets with different values.
func (st *fragSet) insert(off int, b []byte) bool {
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
		if cap(st.data) >= end {
			st.data = st.data[:end]
		} else {
			n := make([]byte, end, max(end, 2*cap(st.data)))
			copy(n, st.data)
			st.data = n
		}
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
		st.ranges = append(st.ranges, fragRange{})
		copy(st.ranges[i+1:], st.ranges[i:])
		st.ranges[i] = nr
	default:
		st.ranges[i] = nr
		st.ranges = append(st.ranges[:i+1], st.ranges[j:]...)
	}
	return true
}

// fail reports a datagram that cannot be reassembled, with a fault of kind
// k saying why, and keeps it as failed until its deadline.
func (f *defragmenter) fail(d *Decoder, st *fragSet, k FaultKind, why string) {
	st.failed = true
	st.data, st.ranges = nil, nil
	f.report(d, st, k, why)
}

// giveUp reports a datagram given up with fragments missing, with a fault
// of kind k (FaultFragmentsTimedOut, FaultFragmentsEvicted or
// FaultFragmentsAtEnd) saying why and how far it got.
func (f *defragmenter) giveUp(d *Decoder, st *fragSet, k FaultKind, why string) {
	f.report(d, st, k, why+": "+st.describe())
}

// report emits a KindMalformed packet for a datagram that was given up, at
// the frame of its latest fragment, with a fault of kind k whose message
// is the IP version and why.
func (f *defragmenter) report(d *Decoder, st *fragSet, k FaultKind, why string) {
	layer := f.ipName(st)
	d.stats.FragmentSetsDropped++
	p := Packet{
		Frame:      st.lastFrame,
		FirstFrame: st.firstFrame,
		Time:       st.lastTime,
		Src:        st.key.src,
		Dst:        st.key.dst,
		SrcPort:    st.srcPort,
		DstPort:    st.dstPort,
		Proto:      st.proto,
		IPID:       st.key.id,
		IPv6:       st.key.v6,
		Fragments:  st.count,
		Kind:       KindMalformed,
		Fault:      newFault(k, layer, -1, layer+": "+why),
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

// describe says how far a datagram got, for the report of an incomplete one.
func (st *fragSet) describe() string {
	got := 0
	for _, r := range st.ranges {
		got += r.end - r.start
	}
	s := itoa(st.count) + " fragments, " + itoa(got) + " octets"
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
func (f *defragmenter) release(st *fragSet) { f.remove(st) }

// evictOldest gives up the oldest datagram to make room.
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
			f.giveUp(d, st, FaultFragmentsEvicted, "reassembly table full, datagram dropped")
		}
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
			f.giveUp(d, st, FaultFragmentsTimedOut, "reassembly timed out")
		}
	}
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
			f.giveUp(d, st, FaultFragmentsAtEnd, "capture ended before reassembly")
		}
	}
	f.queue, f.head = f.queue[:0], 0
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
