package flows

import (
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
	From     Role
	Src, Dst netip.AddrPort
	// N counts the transmissions, the first one included.
	N int
	// Times and Frames hold the first maxSendsKept transmissions; Last and
	// LastFrame the latest one.
	Times     [maxSendsKept]time.Time
	Frames    [maxSendsKept]int
	Last      time.Time
	LastFrame int
	// Fragments is the number of IP fragments the latest transmission
	// arrived in (0: not fragmented); Length is the message's IKE length.
	Fragments int
	Length    int
	// messages is the exchange's distinct message count when this message
	// was first seen: a higher count means a newer message.
	messages int
	hash     uint64
}

// Retransmissions returns how many times the message was sent again.
func (s *Sends) Retransmissions() int { return max(s.N-1, 0) }

// Span returns the time from the first to the latest transmission.
func (s *Sends) Span() time.Duration {
	if s.N == 0 {
		return 0
	}
	return s.Last.Sub(s.Times[0])
}

// Intervals returns the time between consecutive transmissions, as far as
// they were kept.
func (s *Sends) Intervals() []time.Duration {
	k := min(s.N, maxSendsKept)
	if k < 2 {
		return nil
	}
	out := make([]time.Duration, 0, k-1)
	for i := 1; i < k; i++ {
		out = append(out, s.Times[i].Sub(s.Times[i-1]))
	}
	if s.N > maxSendsKept {
		// The transmissions in between were not kept: the last interval
		// spans several.
		out = append(out, s.Last.Sub(s.Times[k-1]))
	}
	return out
}

// FrameList returns the frames of the kept transmissions and the latest.
func (s *Sends) FrameList() []int {
	k := min(s.N, maxSendsKept)
	out := make([]int, 0, k+1)
	out = append(out, s.Frames[:k]...)
	if s.N > maxSendsKept {
		out = append(out, s.LastFrame)
	}
	return out
}

func (s *Sends) add(p *decode.Packet) {
	if s.N < maxSendsKept {
		s.Times[s.N] = p.Time
		s.Frames[s.N] = p.Frame
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
	case s.N == 0 || e.Messages != s.messages:
		*s = Sends{
			From:     from,
			Src:      netip.AddrPortFrom(p.Src, p.SrcPort),
			Dst:      netip.AddrPortFrom(p.Dst, p.DstPort),
			Length:   int(p.IKE.Length),
			messages: e.Messages,
			hash:     p.PayloadHash,
		}
		s.add(p)
	case from == s.From && p.PayloadHash == s.hash:
		s.add(p)
	}
}
