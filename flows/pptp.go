package flows

import (
	"net/netip"
	"slices"
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
	// ControlReplied: a Start-Control-Connection-Reply was seen, with
	// ControlResult, in frame ControlReplyFrame.
	ControlEstablished, ControlReplied bool
	ControlResult                      uint8
	ControlReplyFrame                  int
	// ClientCallID is the call ID the client chose (Outgoing-Call-Request),
	// ServerCallID the server's (Outgoing-Call-Reply), with the reply's
	// result code (1 = connected).
	ClientCallID, ServerCallID uint16
	CallRequested, CallReplied bool
	CallResult                 uint8
	// CallReplyFrame is the frame of the reply (Outgoing- or
	// Incoming-Call-Reply).
	CallReplyFrame int
	Cleared        bool
	Messages       int
	ControlFrames  Frames
	// GRE from client to server (key = server call ID) and back (key =
	// client call ID).
	GREOut, GREIn             int
	GREOutFrames, GREInFrames InlineFrames
	GREOutSeq, GREInSeq       SeqTrack
	// GREOutShared and GREInShared count GRE packets whose key fits this
	// call and, as well, another call up at the same time between the same
	// two addresses on another control connection (a call ID collision):
	// either call's, which the capture cannot tell. They are not in GREOut
	// and GREIn, nor in the sequence tracks.
	GREOutShared, GREInShared             int
	GREOutSharedFrames, GREInSharedFrames Frames
	// GREOther counts GRE packets between the two addresses whose call ID
	// matches neither side.
	GREOther       int
	GREOtherFrames Frames
	GREOtherIDs    []uint16
	// ICMP counts the ICMP errors that quote the call's GRE (by call ID
	// and addresses) or its control connection, with the first few; nil
	// when there are none.
	ICMP *ICMPErrors
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
	// byPair holds the sessions between two addresses, oldest first: a GRE
	// packet looks only at those, not at every call of the capture.
	byPair map[addrPair][]*PPTPSession
	// Unmatched GRE packets: no control session between the addresses.
	OrphanGRE       int
	OrphanGREFrames Frames
	// Scratch space of fits, reused from packet to packet: GRE must not
	// allocate.
	fitBuf, ownBuf       []*PPTPSession
	fitOutBuf, ownOutBuf []bool
}

func newPPTPTracker() *pptpTracker {
	return &pptpTracker{
		byControl: make(map[[2]netip.AddrPort]*PPTPSession),
		byPair:    make(map[addrPair][]*PPTPSession),
	}
}

func (t *pptpTracker) add(p *decode.Packet) {
	if p.Kind == decode.KindPPTP {
		t.addControl(p)
		return
	}
	if p.GRE.Version != 1 || !p.GRE.KeyPresent {
		return
	}
	if owners, outs, candidate := t.fits(p.Src, p.Dst, p.GRE.CallID); len(owners) == 1 {
		owners[0].addGRE(p, outs[0])
		return
	} else if len(owners) > 1 {
		for i, s := range owners {
			s.addSharedGRE(p, outs[i])
		}
		return
	} else if candidate != nil {
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

// fits returns the calls that enhanced GRE from src to dst with a call ID
// can belong to (pptpOwners), with each one's direction (out: client to
// server), and the newest call between the addresses at all.
func (t *pptpTracker) fits(src, dst netip.Addr, callID uint16) (owners []*PPTPSession, outs []bool, candidate *PPTPSession) {
	// The sessions between these addresses whose call ID the key carries,
	// newest first.
	fits, out := t.fitBuf[:0], t.fitOutBuf[:0]
	between := t.byPair[newAddrPair(src, dst)]
	for i := len(between) - 1; i >= 0; i-- {
		s := between[i]
		toServer := s.Client.Addr() == src && s.Server.Addr() == dst
		toClient := s.Server.Addr() == src && s.Client.Addr() == dst
		if !toServer && !toClient {
			continue
		}
		if candidate == nil {
			candidate = s
		}
		if toServer && s.CallReplied && callID == s.ServerCallID || toClient && s.CallRequested && callID == s.ClientCallID {
			fits = append(fits, s)
			out = append(out, toServer)
		}
	}
	t.fitBuf, t.fitOutBuf = fits, out
	owners, outs = pptpOwners(fits, out, t.ownBuf[:0], t.ownOutBuf[:0])
	if len(fits) > 1 {
		t.ownBuf, t.ownOutBuf = owners, outs
	}
	return owners, outs, candidate
}

// find returns the newest call that GRE from src to dst with a call ID
// belongs to, its direction, and without one the newest call between the
// addresses.
func (t *pptpTracker) find(src, dst netip.Addr, callID uint16) (s *PPTPSession, out bool, candidate *PPTPSession) {
	owners, outs, candidate := t.fits(src, dst, callID)
	if len(owners) > 0 {
		return owners[0], outs[0], candidate
	}
	return nil, false, candidate
}

// pptpOwners narrows the calls whose call ID a GRE packet's key carries
// (newest first) to those it can belong to: a call already cleared yields
// to one still up, and on one control connection a newer call replaces an
// older one. More than one left are calls on different control
// connections from one address with the same call ID (two clients behind a
// NAT that did not translate call IDs): GRE has nothing else to tell them
// apart by, so the packet is theirs together.
func pptpOwners(fits []*PPTPSession, out []bool, owners []*PPTPSession, outs []bool) ([]*PPTPSession, []bool) {
	if len(fits) < 2 {
		return fits, out
	}
	up := 0
	for _, s := range fits {
		if !s.Cleared {
			up++
		}
	}
	for i, s := range fits {
		if up > 0 && s.Cleared {
			continue
		}
		if slices.ContainsFunc(owners, func(o *PPTPSession) bool { return o.Client == s.Client && o.Server == s.Server }) {
			continue // an older call on a control connection with a newer one
		}
		owners = append(owners, s)
		outs = append(outs, out[i])
	}
	return owners, outs
}

func appendUnique16(s []uint16, v uint16) []uint16 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func (s *PPTPSession) addSharedGRE(p *decode.Packet, out bool) {
	if p.Time.After(s.Last) {
		s.Last = p.Time
	}
	if out {
		s.GREOutShared++
		s.GREOutSharedFrames.Add(p.Frame)
		return
	}
	s.GREInShared++
	s.GREInSharedFrames.Add(p.Frame)
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
			s.ControlEstablished, s.ControlReplied = prev.ControlEstablished, prev.ControlReplied
			s.ControlResult, s.ControlReplyFrame = prev.ControlResult, prev.ControlReplyFrame
		}
		t.sessions = append(t.sessions, s)
		t.byControl[key] = s
		pair := newAddrPair(client.Addr(), server.Addr())
		t.byPair[pair] = append(t.byPair[pair], s)
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
		s.ControlReplied, s.ControlResult, s.ControlReplyFrame = true, pp.ResultCode, p.Frame
	case pptpOutgoingCallRequest, pptpIncomingCallRequest:
		s.CallRequested = true
		s.ClientCallID = pp.CallID
	case pptpOutgoingCallReply, pptpIncomingCallReply:
		s.CallReplied = true
		s.ServerCallID = pp.CallID
		s.CallResult, s.CallReplyFrame = pp.ResultCode, p.Frame
		if pp.HasPeerCall && !s.CallRequested {
			s.CallRequested = true
			s.ClientCallID = pp.PeerCallID
		}
	case pptpCallClearRequest, pptpCallDisconnectNotify, pptpStopControlRequest:
		s.Cleared = true
	}
}
