package flows

import (
	"strconv"

	"github.com/vpnpcap/vpnpcap/decode"
)

// maxSeqRuns bounds the runs a SeqRuns keeps. A loss pattern is read by a
// person: the first handful of runs tells whether packets vanish singly, in
// bursts, or from some point on; the rest is summarised by a count.
const maxSeqRuns = 8

// SeqRun is a run of consecutive sequence numbers, First to Last inclusive.
type SeqRun struct {
	First, Last uint32
}

// SeqRuns records sequence numbers (ESP, RFC 4303 §2.2; enhanced GRE,
// RFC 2637 §4.1) as runs of consecutive numbers, in the order they are
// added, keeping at most a few runs so that memory does not grow with
// packets. Count covers every number added, kept in a run or not. The zero
// value is ready to use; its methods read a nil *SeqRuns as empty.
type SeqRuns struct {
	runs  [maxSeqRuns]SeqRun
	nruns int
	// Count is the number of sequence numbers added.
	Count int
	// Unkept counts the numbers that fell outside the kept runs.
	Unkept int
}

// Add records a sequence number. A number that continues the latest run
// (or repeats one inside it) extends that run; any other starts a new run
// while there is room.
func (s *SeqRuns) Add(seq uint32) {
	s.Count++
	if s.nruns > 0 {
		r := &s.runs[s.nruns-1]
		switch {
		case seq >= r.First && seq <= r.Last:
			return
		case seq == r.Last+1 && r.Last != ^uint32(0):
			r.Last = seq
			return
		}
	}
	if s.nruns == maxSeqRuns {
		s.Unkept++
		return
	}
	s.runs[s.nruns] = SeqRun{First: seq, Last: seq}
	s.nruns++
}

// Contains reports whether seq is in one of the kept runs.
func (s *SeqRuns) Contains(seq uint32) bool {
	if s == nil {
		return false
	}
	for _, r := range s.runs[:s.nruns] {
		if seq >= r.First && seq <= r.Last {
			return true
		}
	}
	return false
}

// Runs returns the kept runs, in the order they began.
func (s *SeqRuns) Runs() []SeqRun {
	if s == nil {
		return nil
	}
	return append([]SeqRun(nil), s.runs[:s.nruns]...)
}

// String lists the runs as "31-42, 50, 77-80", followed by "and N more"
// when numbers were left out of the kept runs; "" when empty.
func (s *SeqRuns) String() string {
	if s == nil || s.nruns == 0 {
		return ""
	}
	b := make([]byte, 0, 16*s.nruns)
	for i, r := range s.runs[:s.nruns] {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendUint(b, uint64(r.First), 10)
		if r.Last != r.First {
			b = append(b, '-')
			b = strconv.AppendUint(b, uint64(r.Last), 10)
		}
	}
	if s.Unkept > 0 {
		b = append(b, " and "...)
		b = strconv.AppendInt(b, int64(s.Unkept), 10)
		b = append(b, " more"...)
	}
	return string(b)
}

// packetSeq returns the sequence number of an ESP or AH packet.
func packetSeq(p *decode.Packet) uint32 {
	if p.Kind == decode.KindAH {
		return p.AH.Seq
	}
	return p.ESP.Seq
}
