package tui

import (
	"slices"
	"strconv"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// subject is what the packet list shows: a tunnel or a PPTP call (both
// captures), a flow (one capture), or the evidence frames of a finding.
type subject struct {
	view     *flows.TunnelView
	call     *flows.SessionView
	flow     *flows.Flow
	side     flows.Side // of the flow
	number   int        // flow number in its capture
	evidence []rules.Evidence
}

// valid reports whether the subject names anything.
func (s subject) valid() bool {
	return s.view != nil || s.call != nil || s.flow != nil || len(s.evidence) > 0
}

// same reports whether two subjects are the same.
func (s subject) same(o subject) bool {
	if s.view != o.view || s.call != o.call || s.flow != o.flow || s.side != o.side || len(s.evidence) != len(o.evidence) {
		return false
	}
	for i := range s.evidence {
		if s.evidence[i] != o.evidence[i] {
			return false
		}
	}
	return true
}

// name describes the subject in titles and file names.
func (s subject) name() string {
	switch {
	case s.view != nil:
		return "tunnel " + strconv.Itoa(s.view.ID)
	case s.call != nil:
		return "PPTP call " + strconv.Itoa(s.call.ID)
	case s.flow != nil:
		return "flow " + strconv.Itoa(s.number)
	case len(s.evidence) > 0:
		return "evidence"
	}
	return ""
}

// fileTag names the subject in the files `w` writes.
func (s subject) fileTag() string {
	switch {
	case s.view != nil:
		return "tunnel" + strconv.Itoa(s.view.ID)
	case s.call != nil:
		return "pptp" + strconv.Itoa(s.call.ID)
	case s.flow != nil:
		return "flow" + strconv.Itoa(s.number)
	}
	return "evidence"
}

// sides lists the captures the subject has packets in.
func (s subject) sides(m *model) []flows.Side {
	var out []flows.Side
	for _, sd := range m.sides {
		if s.member(m, sd.index) != nil {
			out = append(out, sd.index)
		}
	}
	return out
}

// member returns the test of whether a packet of one side's capture
// belongs to the subject, or nil when the subject has nothing there. A
// tunnel or PPTP call has the packets its ladder is drawn from
// (ladder.Member: IKE by its tunnel, ESP and AH by their SA, an ICMP
// error by what it quotes, keepalives by their flow, the IP fragments
// between its peers; a call's control messages and the GRE its call IDs
// key, both ways); a flow has its packets but IP fragments; evidence its
// frames.
func (s subject) member(m *model, sd flows.Side) func(p *decode.Packet) bool {
	if int(sd) >= len(m.sides) {
		return nil
	}
	switch {
	case s.view != nil:
		return ladder.Member(m.rc, ladder.Subject{Tunnel: s.view}, sd)
	case s.call != nil:
		return ladder.Member(m.rc, ladder.Subject{Call: s.call}, sd)
	case s.flow != nil:
		if s.side != sd {
			return nil
		}
		key := s.flow.Key
		return func(p *decode.Packet) bool {
			if p.Kind == decode.KindIPFragment {
				return false
			}
			k, _ := flows.PacketKey(p)
			return k == key
		}
	case len(s.evidence) > 0:
		var frames []int
		for _, e := range s.evidence {
			if e.Side == sd {
				frames = append(frames, e.Frame)
			}
		}
		if len(frames) == 0 {
			return nil
		}
		return func(p *decode.Packet) bool { return slices.Contains(frames, p.Frame) }
	}
	return nil
}

// hasLadder reports whether the subject has a ladder: a tunnel or a PPTP
// call.
func (s subject) hasLadder() bool {
	_, ok := s.ladderSubject()
	return ok
}

// ladderSubject returns the ladder's name for the subject, and false for
// a subject that has no ladder (a flow, evidence).
func (s subject) ladderSubject() (ladder.Subject, bool) {
	switch {
	case s.view != nil:
		return ladder.Subject{Tunnel: s.view}, true
	case s.call != nil:
		return ladder.Subject{Call: s.call}, true
	}
	return ladder.Subject{}, false
}

// direction tells which way a packet went within the subject: "→" from
// the tunnel's initiator (or the flow's first endpoint), "←" back.
func (s subject) direction(sd flows.Side, p *decode.Packet) string {
	switch {
	case s.view != nil:
		t := s.view.Sides[sd]
		if t == nil {
			return " "
		}
		switch {
		case p.IKE != nil && t.Version == 2:
			if p.IKE.IsInitiator() {
				return "→"
			}
			return "←"
		case p.Src == t.InitiatorFirst.Addr() || p.Src == t.Initiator.Addr():
			return "→"
		case p.Src == t.ResponderFirst.Addr() || p.Src == t.Responder.Addr():
			return "←"
		}
		return " "
	case s.call != nil:
		if c := s.call.Sides[sd]; c != nil && p.Src == c.Client.Addr() {
			return "→"
		}
		return "←"
	case s.flow != nil:
		if _, dir := flows.PacketKey(p); dir == flows.DirBA {
			return "←"
		}
		return "→"
	}
	return " "
}
