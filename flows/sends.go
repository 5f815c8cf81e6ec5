package flows

import (
	"math"
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// maxSendsKept bounds the transmissions of one message whose time and frame
// are kept: enough to show an implementation's retransmission back-off
// (strongSwan sends 5 retransmissions by default, libreswan and Windows
// fewer), small enough that a flood of resends costs nothing.
const maxSendsKept = 8

// Sends records the latest distinct message of an exchange and every
// transmission of it: for an exchange that was left unanswered, the request
// and its retransmissions with their times, from which the sender's
// back-off can be read (RFC 7296 §2.1, RFC 2408 §5.1 leave the schedule to
// the implementation; most double the interval).
type Sends struct {
	// From is the peer that sent the message; Src and Dst its endpoints at
	// the first transmission.
	From Role
	// messages is the exchange's distinct message count when this message
	// was first seen: a higher count means a newer message (kept in 32
	// bits, beside From, as no exchange comes near 2³¹ messages).
	messages int32
	Src, Dst netip.AddrPort
	// N counts the transmissions, the first one included.
	N int
	// First is the time of the first transmission; Last and LastFrame
	// those of the latest one.
	First     time.Time
	Last      time.Time
	LastFrame int
	// The first maxSendsKept transmissions: the time of each after the
	// first, and their frames, kept small because every exchange has them.
	after  [maxSendsKept - 1]time.Duration
	frames [maxSendsKept]uint32
	// Fragments is the number of IP fragments the latest transmission
	// arrived in (0: not fragmented); Length is the message's IKE length.
	Fragments int
	Length    int
	hash      uint64
}

// Retransmissions returns how many times the message was sent again.
func (s *Sends) Retransmissions() int { return max(s.N-1, 0) }

// FirstFrame returns the frame of the first transmission; 0 when there was
// none.
func (s *Sends) FirstFrame() int { return int(s.frames[0]) }

// Span returns the time from the first to the latest transmission.
func (s *Sends) Span() time.Duration {
	if s.N == 0 {
		return 0
	}
	return s.Last.Sub(s.First)
}

// Intervals returns the time between consecutive transmissions, as far as
// they were kept.
func (s *Sends) Intervals() []time.Duration {
	k := min(s.N, maxSendsKept)
	if k < 2 {
		return nil
	}
	out := make([]time.Duration, 0, k-1)
	prev := time.Duration(0)
	for i := 1; i < k; i++ {
		out = append(out, s.after[i-1]-prev)
		prev = s.after[i-1]
	}
	if s.N > maxSendsKept {
		// The transmissions in between were not kept: the last interval
		// spans several.
		out = append(out, s.Last.Sub(s.First)-prev)
	}
	return out
}

// FrameList returns the frames of the kept transmissions and the latest.
func (s *Sends) FrameList() []int {
	k := min(s.N, maxSendsKept)
	out := make([]int, 0, k+1)
	for _, f := range s.frames[:k] {
		out = append(out, int(f))
	}
	if s.N > maxSendsKept {
		out = append(out, s.LastFrame)
	}
	return out
}

func (s *Sends) add(p *decode.Packet) {
	switch {
	case s.N == 0:
		s.First = p.Time
		s.frames[0] = frameNumber(p.Frame)
	case s.N < maxSendsKept:
		s.after[s.N-1] = p.Time.Sub(s.First)
		s.frames[s.N] = frameNumber(p.Frame)
	}
	s.N++
	s.Last, s.LastFrame = p.Time, p.Frame
	s.Fragments = p.Fragments
}

// exchangeOf returns the exchange an IKE message was just accounted to.
// Only valid while the table is being built.
func (tun *Tunnel) exchangeOf(from Role, m *decode.IKEMessage) *Exchange {
	if tun.exchangeIndex == nil {
		return nil
	}
	if tun.Version == 2 {
		requester := from
		if m.IsResponse() {
			requester = 1 - from
		}
		return tun.exchangeIndex[exchangeKey{from: requester, msgID: m.MessageID}]
	}
	return tun.exchangeIndex[exchangeKey{msgID: m.MessageID}]
}

// messageCount returns e.Messages as Sends.messages keeps it.
func messageCount(e *Exchange) int32 { return int32(min(e.Messages, math.MaxInt32)) }

// noteSend records a transmission of an IKE message in its exchange's
// Sends: a new distinct message replaces the record, a retransmission of
// the recorded one adds to it, and a late retransmission of an older
// message of the exchange is left out.
func (tun *Tunnel) noteSend(from Role, p *decode.Packet) {
	e := tun.exchangeOf(from, p.IKE)
	if e == nil {
		return
	}
	s := &e.Sends
	switch {
	case s.N == 0 || messageCount(e) != s.messages:
		*s = Sends{
			From:     from,
			Src:      netip.AddrPortFrom(p.Src, p.SrcPort),
			Dst:      netip.AddrPortFrom(p.Dst, p.DstPort),
			Length:   int(p.IKE.Length),
			messages: messageCount(e),
			hash:     p.PayloadHash,
		}
		s.add(p)
	case from == s.From && p.PayloadHash == s.hash:
		s.add(p)
	}
}
