package flows

import (
	"cmp"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// This file lets a capture whose time runs backwards be analysed in time
// order. Such a capture is usually several captures merged by appending
// one to another: in file order a tunnel's IKE_AUTH can come before its
// IKE_SA_INIT, so its float from 500 to 4500 reads as a move from 4500
// back to 500, and retransmission intervals and idle gaps come out
// negative or absurd. The table follows time instead: the packets are read
// once more, sorted by time stamp (frames of one instant keep their file
// order) and accounted in that order. Frame numbers stay those of the file,
// as Wireshark shows them.

// DefaultMaxReorder is the default of Options.MaxReorder: a million
// packets, a quarter of a gigabyte held in memory.
const DefaultMaxReorder = 1 << 20

// TimeOrder says in which order a capture's packets were analysed.
type TimeOrder uint8

// The orders.
const (
	// OrderFile: the time stamps never go backwards between the packets
	// analysed, so file order is time order.
	OrderFile TimeOrder = iota
	// OrderTime: time runs backwards in the file, and the packets were
	// analysed sorted by time stamp.
	OrderTime
	// OrderFileUnsorted: time runs backwards, but the capture has more
	// packets than Options.MaxReorder allows to sort: the analysis follows
	// file order, and what depends on order may be wrong.
	OrderFileUnsorted
	// OrderFileStream: time runs backwards, but the capture was read from
	// a stream that cannot be read again to sort it: the analysis follows
	// file order, and what depends on order may be wrong.
	OrderFileStream
)

// orderWatch notes whether the packets delivered run backwards in time.
type orderWatch struct {
	last      time.Time
	lastFrame int
	seen      bool
	backwards bool
	packets   int
}

func (w *orderWatch) note(p *decode.Packet) {
	w.packets++
	if p.Frame < w.lastFrame {
		// A packet about an earlier frame comes late by design, with
		// that frame's time: an IP datagram given up when its
		// reassembly timed out or a bound evicted it, at its latest
		// fragment. Time did not run backwards.
		return
	}
	w.lastFrame = p.Frame
	if p.Time.IsZero() {
		return
	}
	if w.seen && p.Time.Before(w.last) {
		w.backwards = true
	}
	w.last, w.seen = p.Time, true
}

// timeOrdered returns a source that delivers src's packets sorted by time
// stamp, stably: packets of one instant, and packets without a time stamp
// (which keep their place after the packet before them), stay in file
// order. Each Read reads src once and holds its packets in memory.
func timeOrdered(src Source) Source {
	return Source{Path: src.Path, Read: func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		var pkts []decode.Packet
		stats, err := src.Read(opts, func(p *decode.Packet) { pkts = append(pkts, *p) })
		keys := make([]int64, len(pkts))
		var prev int64
		for i := range pkts {
			if !pkts[i].Time.IsZero() {
				prev = pkts[i].Time.UnixNano()
			}
			keys[i] = prev
		}
		idx := make([]int32, len(pkts))
		for i := range idx {
			idx[i] = int32(i)
		}
		slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(keys[a], keys[b]) })
		for _, j := range idx {
			fn(&pkts[j])
		}
		return stats, err
	}}
}
