package flows

import (
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// PPTP control message types used here (RFC 2637 §2.1).
const (
	pptpStartControlRequest  = decode.PPTPMessageType(1)
	pptpStartControlReply    = decode.PPTPMessageType(2)
	pptpStopControlRequest   = decode.PPTPMessageType(3)
	pptpOutgoingCallRequest  = decode.PPTPMessageType(7)
	pptpOutgoingCallReply    = decode.PPTPMessageType(8)
	pptpIncomingCallRequest  = decode.PPTPMessageType(9)
	pptpIncomingCallReply    = decode.PPTPMessageType(10)
	pptpCallClearRequest     = decode.PPTPMessageType(12)
	pptpCallDisconnectNotify = decode.PPTPMessageType(13)
)

// maxPPTPSessions bounds the tracked PPTP sessions.
const maxPPTPSessions = 1 << 14

// PPTPSession is one PPTP call: its control connection (TCP 1723) and the
// enhanced GRE flows that carry its data, attached by call ID (RFC 2637
// §4.1: the GRE key's call ID is the receiver's).
type PPTPSession struct {
	ID int
	// Client and Server are the control connection's endpoints as
	// captured.
	Client, Server netip.AddrPort
	First, Last    time.Time
	// ControlEstablished: Start-Control-Connection-Reply with result 1.
	ControlEstablished bool
	// ClientCallID is the call ID the client chose (Outgoing-Call-Request),
	// ServerCallID the server's (Outgoing-Call-Reply), with the reply's
	// result code (1 = connected).
	ClientCallID, ServerCallID uint16
	CallRequested, CallReplied bool
	CallResult                 uint8
	Cleared                    bool
	Messages                   int
	ControlFrames              Frames
	// GRE from client to server (key = server call ID) and back (key =
	// client call ID).
	GREOut, GREIn             int
	GREOutFrames, GREInFrames Frames
	GREOutSeq, GREInSeq       SeqTrack
	// GREOther counts GRE packets between the two addresses whose call ID
	// matches neither side.
	GREOther       int
	GREOtherFrames Frames
	GREOtherIDs    []uint16
	// ICMP counts the ICMP errors that quote the call's GRE (by call ID
	// and addresses) or its control connection, with the first few.
	ICMP ICMPErrors
}

// SeqTrack follows a sequence number stream and counts gaps and repeats.
// GapFrames sample the packets that came after a gap, DupFrames those whose
// number was at or below the highest seen.
type SeqTrack struct {
	seen      bool
	Max       uint32
	Missing   int
	Repeated  int
	GapFrames Frames
	DupFrames Frames
}

func (s *SeqTrack) add(seq uint32, frame int) {
	switch {
	case !s.seen:
		s.seen = true
		s.Max = seq
	case seq > s.Max:
		if seq > s.Max+1 {
			s.Missing += int(seq - s.Max - 1)
			s.GapFrames.Add(frame)
		}
		s.Max = seq
	default:
		s.Repeated++
		s.DupFrames.Add(frame)
	}
}

type pptpTracker struct {
	sessions []*PPTPSession
	// byControl maps the control connection (client, server) to its
	// latest session.
	byControl map[[2]netip.AddrPort]*PPTPSession
	// Unmatched GRE packets: no control session between the addresses.
	OrphanGRE       int
	OrphanGREFrames Frames
}

func newPPTPTracker() *pptpTracker {
	return &pptpTracker{byControl: make(map[[2]netip.AddrPort]*PPTPSession)}
}

func (t *pptpTracker) add(p *decode.Packet) {
	if p.Kind == decode.KindPPTP {
		t.addControl(p)
		return
	}
	if p.GRE.Version != 1 || !p.GRE.KeyPresent {
		return
	}
	s, out, candidate := t.find(p.Src, p.Dst, p.GRE.CallID)
	if s != nil {
		s.addGRE(p, out)
		return
	}
	if candidate != nil {
		candidate.GREOther++
		candidate.GREOtherFrames.Add(p.Frame)
		if len(candidate.GREOtherIDs) < 8 {
			candidate.GREOtherIDs = appendUnique16(candidate.GREOtherIDs, p.GRE.CallID)
		}
		return
	}
	t.OrphanGRE++
	t.OrphanGREFrames.Add(p.Frame)
}

// find returns the session that enhanced GRE from src to dst with the
// given call ID belongs to, and whether it goes from client to server (out):
// the session between these addresses whose call IDs fit, searched from
// the newest, so that a new call between the same hosts wins. Without one,
// candidate is the newest session between the addresses.
func (t *pptpTracker) find(src, dst netip.Addr, callID uint16) (s *PPTPSession, out bool, candidate *PPTPSession) {
	for i := len(t.sessions) - 1; i >= 0; i-- {
		s := t.sessions[i]
		out := s.Client.Addr() == src && s.Server.Addr() == dst
		in := s.Server.Addr() == src && s.Client.Addr() == dst
		if !out && !in {
			continue
		}
		if out && s.CallReplied && callID == s.ServerCallID {
			return s, true, candidate
		}
		if in && s.CallRequested && callID == s.ClientCallID {
			return s, false, candidate
		}
		if candidate == nil {
			candidate = s
		}
	}
	return nil, false, candidate
}

func appendUnique16(s []uint16, v uint16) []uint16 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func (s *PPTPSession) addGRE(p *decode.Packet, out bool) {
	if p.Time.After(s.Last) {
		s.Last = p.Time
	}
	if out {
		s.GREOut++
		s.GREOutFrames.Add(p.Frame)
		if p.GRE.SeqPresent {
			s.GREOutSeq.add(p.GRE.Seq, p.Frame)
		}
		return
	}
	s.GREIn++
	s.GREInFrames.Add(p.Frame)
	if p.GRE.SeqPresent {
		s.GREInSeq.add(p.GRE.Seq, p.Frame)
	}
}

func (t *pptpTracker) addControl(p *decode.Packet) {
	src := netip.AddrPortFrom(p.Src, p.SrcPort)
	dst := netip.AddrPortFrom(p.Dst, p.DstPort)
	client, server := src, dst
	if p.SrcPort == 1723 && p.DstPort != 1723 {
		client, server = dst, src
	}
	key := [2]netip.AddrPort{client, server}
	s := t.byControl[key]
	newCall := p.PPTP.Type == pptpOutgoingCallRequest && s != nil && s.CallRequested
	if s == nil || newCall {
		if len(t.sessions) >= maxPPTPSessions {
			return
		}
		s = &PPTPSession{ID: len(t.sessions) + 1, Client: client, Server: server, First: p.Time}
		if prev := t.byControl[key]; prev != nil {
			s.ControlEstablished = prev.ControlEstablished
		}
		t.sessions = append(t.sessions, s)
		t.byControl[key] = s
	}
	s.Messages++
	s.ControlFrames.Add(p.Frame)
	if p.Time.After(s.Last) {
		s.Last = p.Time
	}
	pp := p.PPTP
	switch pp.Type {
	case pptpStartControlReply:
		s.ControlEstablished = pp.ResultCode == 1
	case pptpOutgoingCallRequest, pptpIncomingCallRequest:
		s.CallRequested = true
		s.ClientCallID = pp.CallID
	case pptpOutgoingCallReply, pptpIncomingCallReply:
		s.CallReplied = true
		s.ServerCallID = pp.CallID
		s.CallResult = pp.ResultCode
		if pp.HasPeerCall && !s.CallRequested {
			s.CallRequested = true
			s.ClientCallID = pp.PeerCallID
		}
	case pptpCallClearRequest, pptpCallDisconnectNotify, pptpStopControlRequest:
		s.Cleared = true
	}
}
