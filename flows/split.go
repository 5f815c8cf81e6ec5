package flows

import (
	"fmt"
	"runtime/debug"

	"github.com/vpnpcap/vpnpcap/decode"
)

// This file runs the table of [Analyze] on two goroutines. Decoding a busy
// capture and accounting its packets cost about the same, so each gets a
// core: the goroutine that delivers the packets (the source's, which
// decodes them) counts every packet and, with Options.SummarizeOther,
// reduces each packet that is not VPN traffic to its conversation's key,
// and a goroutine of its own runs the table on batches of those keys and of
// the other packets. A key is a fifth of a decode.Packet, and most packets
// of a busy capture are other traffic: handing whole packets over cost
// more than accounting them; without the option, a flow is kept for each
// conversation and its packets are handed over whole. The table still sees
// every packet in capture order, so the analysis is the one Table.Add
// gives.

// Batches in flight between the two goroutines. A batch holds
// splitBatchLen packets, VPN packets and keys together (about 130 KiB for a capture with
// 40% VPN traffic): handing one over, which may wake the goroutine that
// waits for it, must be rare next to the work on its packets. Four let
// either side run on while the other catches up.
const (
	splitBatchLen = 1024
	splitBatches  = 4
)

// otherRec is a packet that is not VPN traffic, as the table needs it with
// Options.SummarizeOther: its conversation, its direction in it, and its
// frame, which VP907 names should the memory bound refuse it.
type otherRec struct {
	key   flowKey
	dir   Dir
	frame int
}

// packetBatch is a run of packets in capture order: the VPN packets in pkts,
// the others in others, and for each VPN packet the number of others that
// came before it in the batch.
type packetBatch struct {
	pkts   []decode.Packet
	before []int32
	others []otherRec
}

func (b *packetBatch) len() int { return len(b.pkts) + len(b.others) }

// apply accounts the batch's packets to the table, in order, and empties
// the batch.
func (b *packetBatch) apply(t *Table) {
	j := 0
	for i := range b.pkts {
		for n := int(b.before[i]); j < n; j++ {
			t.addOtherKey(b.others[j].key, b.others[j].dir, b.others[j].frame)
		}
		t.account(&b.pkts[i])
	}
	for ; j < len(b.others); j++ {
		t.addOtherKey(b.others[j].key, b.others[j].dir, b.others[j].frame)
	}
	// Let go of the IKE messages: the batch is reused.
	for i := range b.pkts {
		b.pkts[i].IKE = nil
	}
	b.pkts, b.before, b.others = b.pkts[:0], b.before[:0], b.others[:0]
}

// splitter hands packets from the delivering goroutine to the table's.
type splitter struct {
	cur        *packetBatch
	full, free chan *packetBatch
	done       chan struct{} // closed when the table's goroutine ends
	closed     bool          // full is closed
	summarize  bool          // the table summarises other traffic: otherRec
	failure    error         // the table goroutine's panic, with its stack
}

// newSplitter starts the table's goroutine; summarize says the table
// summarises other traffic (Options.SummarizeOther).
func newSplitter(t *Table, summarize bool) *splitter {
	s := &splitter{
		summarize: summarize,
		full:      make(chan *packetBatch, splitBatches),
		free:      make(chan *packetBatch, splitBatches),
		done:      make(chan struct{}),
	}
	for range splitBatches {
		s.free <- &packetBatch{
			pkts:   make([]decode.Packet, 0, splitBatchLen),
			before: make([]int32, 0, splitBatchLen),
			others: make([]otherRec, 0, splitBatchLen),
		}
	}
	s.cur = <-s.free
	go func() {
		defer close(s.done)
		defer func() {
			// A panic here is a bug; it goes on in the caller's
			// goroutine (finish, add), where the caller can recover it,
			// with this goroutine's stack.
			if p := recover(); p != nil {
				s.failure = fmt.Errorf("flows: table: %v\n%s", p, debug.Stack())
			}
		}()
		for b := range s.full {
			b.apply(t)
			s.free <- b // never blocks: free has room for every batch
		}
	}()
	return s
}

// add queues a packet for the table.
func (s *splitter) add(p *decode.Packet) {
	b := s.cur
	if p.Kind == decode.KindOther && s.summarize {
		if !p.Src.IsValid() || !p.Dst.IsValid() {
			return // no conversation: counted only, as Table.account does
		}
		k, dir := packetFlowKey(p)
		b.others = append(b.others, otherRec{k, dir, p.Frame})
	} else {
		b.before = append(b.before, int32(len(b.others)))
		b.pkts = append(b.pkts, *p)
	}
	if b.len() >= splitBatchLen {
		s.send()
		s.next()
	}
}

// send hands the current batch to the table's goroutine.
func (s *splitter) send() {
	select {
	case s.full <- s.cur:
	case <-s.done:
		s.died()
	}
}

// next takes an empty batch.
func (s *splitter) next() {
	select {
	case s.cur = <-s.free:
	case <-s.done:
		s.died()
	}
}

// died goes on with the panic that ended the table's goroutine early.
func (s *splitter) died() {
	if s.failure == nil {
		panic("flows: table goroutine ended early")
	}
	panic(s.failure)
}

// finish hands over the last packets and waits for the table's goroutine
// to account them.
func (s *splitter) finish() {
	if s.cur.len() > 0 {
		s.send()
	}
	s.closed = true
	close(s.full)
	<-s.done
	if s.failure != nil {
		panic(s.failure)
	}
}

// stop ends the table's goroutine if finish did not; deferred, it keeps a
// panic while reading from leaving the goroutine behind.
func (s *splitter) stop() {
	if !s.closed {
		s.closed = true
		close(s.full)
		<-s.done
	}
}

// analyzeSplit is analyzeOnce without a tap, on two goroutines.
func analyzeSplit(src Source, dopts decode.Options, opts Options) (*Analysis, orderWatch) {
	t := NewTable(opts)
	var totals Table // Packets, Kinds, First and Last of every packet
	var stats decode.Stats
	var err error
	var w orderWatch
	func() {
		s := newSplitter(t, opts.SummarizeOther)
		defer s.stop()
		stats, err = src.Read(dopts, func(p *decode.Packet) {
			w.note(p)
			totals.count(p)
			s.add(p)
		})
		s.finish()
	}()
	t.Packets, t.Kinds, t.First, t.Last = totals.Packets, totals.Kinds, totals.First, totals.Last
	c := Capture{Path: src.Path, Frames: stats.Frames, Packets: t.Packets, Stats: stats, ReadError: err}
	return t.Finish(c), w
}
