package flows

import (
	"cmp"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// Capture describes one capture file and how reading it went.
type Capture struct {
	Path        string
	Frames      int // frames read
	Packets     int // VPN-relevant packets decoded
	First, Last time.Time
	Stats       decode.Stats
	// ReadError is set when the file is corrupt or truncated; everything
	// before the fault was analysed.
	ReadError error
	// TimeOrder says whether the packets were analysed in file order or,
	// because time runs backwards in the file, sorted by time stamp
	// (Stats.Clock says where and how far it runs backwards).
	TimeOrder TimeOrder
}

// Span returns the capture's duration.
func (c *Capture) Span() time.Duration { return c.Last.Sub(c.First) }

// Analysis is the result of one capture: its flows, tunnels, ESP SAs and
// PPTP sessions, in deterministic order.
type Analysis struct {
	Capture  Capture
	Flows    []*Flow
	Tunnels  []*Tunnel
	SAs      []*ESPSA
	Sessions []*PPTPSession
	// Unattached ESP SAs belong to no tunnel seen in the capture.
	Unattached []*ESPSA
	// OrphanGRE counts enhanced GRE packets with no PPTP control session.
	OrphanGRE       int
	OrphanGREFrames Frames

	OverflowFlows, OverflowPackets, OverflowTunnels, OverflowSAs int
	// OverflowFlowsAtLeast says OverflowFlows is a lower bound.
	OverflowFlowsAtLeast bool
	// Budget is the memory bound the analysis kept to, and what it left
	// out for want of room.
	Budget Budget

	// Quality records truncated and malformed packets and incomplete
	// datagrams.
	Quality Quality

	// ICMPErrors are the capture's ICMP errors that quote VPN packets, in
	// capture order, with what each was tied to; beyond maxICMPErrors they
	// are counted in ICMPErrorsNotKept only (and still counted where they
	// were tied). ICMPUnmatched counts those tied to nothing the capture
	// shows.
	ICMPErrors        []*ICMPError
	ICMPErrorsNotKept int
	ICMPUnmatched     ICMPErrors

	flowIndex map[flowKey]*Flow
	saIndex   map[saKey]*ESPSA
	tunnelIdx map[tunnelKey]*Tunnel
	icmpIdx   map[int]*ICMPError // by frame

	// For an analysis made with Options.SummarizeOther, otherTotal and
	// otherTwoWay count the conversations without a flow (Flow.others
	// holds the directions of other traffic on those with one); others
	// holds them until Correlate has read their addresses, and otherKept
	// is how many there are.
	summarized              bool
	otherTotal, otherTwoWay int
	others                  *otherSet
	otherKept               int
}

// FlowOf returns the flow a packet of this capture belongs to, or nil.
func (a *Analysis) FlowOf(p *decode.Packet) *Flow {
	k, _ := packetFlowKey(p)
	return a.flowIndex[k]
}

// Conversations returns the number of the capture's conversations that are
// not one-way by nature (UDP, TCP and other protocols, where ESP, AH and
// GRE flows are one-way), and how many of them carried packets in both
// directions. It counts the flows of Flows and, for an analysis made with
// Options.SummarizeOther, the conversations summarised without a flow, with
// the same result as without the option.
func (a *Analysis) Conversations() (twoWay, total int) {
	for _, f := range a.Flows {
		if f.Key.Directional() {
			continue
		}
		total++
		dirs := f.others
		if f.Packets[DirAB] > 0 {
			dirs |= 1 << DirAB
		}
		if f.Packets[DirBA] > 0 {
			dirs |= 1 << DirBA
		}
		if dirs == 1<<DirAB|1<<DirBA {
			twoWay++
		}
	}
	return twoWay + a.otherTwoWay, total + a.otherTotal
}

// SAOf returns the ESP or AH SA of a packet of this capture, or nil.
func (a *Analysis) SAOf(p *decode.Packet) *ESPSA {
	switch p.Kind {
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
		return a.saIndex[newSAKey(p.ESP.SPI, false, p.Dst)]
	case decode.KindAH:
		return a.saIndex[newSAKey(p.AH.SPI, true, p.Dst)]
	}
	return nil
}

// TunnelOf returns the tunnel of an IKE message of this capture, or nil.
func (a *Analysis) TunnelOf(m *decode.IKEMessage) *Tunnel {
	if m == nil {
		return nil
	}
	return a.tunnelIdx[tunnelKey{m.Version, m.SPIi}]
}

// Finish completes the table: attaches ESP SAs seen before their tunnel,
// decides each tunnel's state, and returns the analysis in deterministic
// order. The table must not be used afterwards.
func (t *Table) Finish(c Capture) *Analysis {
	a := &Analysis{
		Capture:              c,
		OverflowFlows:        t.OverflowFlows,
		OverflowPackets:      t.OverflowPackets,
		OverflowTunnels:      t.OverflowTunnels,
		OverflowSAs:          t.OverflowSAs,
		OverflowFlowsAtLeast: t.OverflowFlowsAtLeast,
		Budget:               *t.budget,
		OrphanGRE:            t.pptp.OrphanGRE,
		OrphanGREFrames:      t.pptp.OrphanGREFrames,
		Quality:              t.quality,
	}
	if a.Capture.First.IsZero() {
		a.Capture.First, a.Capture.Last = t.First, t.Last
	}
	for _, sa := range t.saOrder {
		if sa.Tunnel == 0 {
			if tun := t.tunnelBetween(sa.Src, sa.Dst, sa.SrcPort, sa.DstPort); tun != nil {
				tun.attach(sa)
			}
		}
		if sa.Tunnel == 0 {
			a.Unattached = append(a.Unattached, sa)
		}
	}
	t.finishICMP()
	a.ICMPErrors, a.ICMPErrorsNotKept, a.ICMPUnmatched = t.icmp.kept, t.icmp.notKept, t.icmp.unmatched
	if len(a.ICMPErrors) > 0 {
		a.icmpIdx = make(map[int]*ICMPError, len(a.ICMPErrors))
		for _, e := range a.ICMPErrors {
			a.icmpIdx[e.Frame] = e
		}
	}
	for _, tun := range t.tunnelOrder {
		tun.finish(t.Last)
		tun.exchangeIndex = nil
		tun.budget = nil
		tun.notifyKinds = nil
	}
	linkRetries(t.tunnelOrder)
	linkRekeys(t.tunnelOrder)
	a.Tunnels = t.tunnelOrder // already in first-seen order, IDs ascending
	a.Flows = t.flowOrder
	slices.SortStableFunc(a.Flows, func(x, y *Flow) int {
		if c := x.First.Compare(y.First); c != 0 {
			return c
		}
		return x.Key.Compare(y.Key)
	})
	a.SAs = t.saOrder
	slices.SortStableFunc(a.SAs, func(x, y *ESPSA) int {
		if c := x.First.Compare(y.First); c != 0 {
			return c
		}
		return cmp.Compare(x.SPI, y.SPI)
	})
	a.Sessions = t.pptp.sessions
	a.flowIndex, a.saIndex, a.tunnelIdx = t.flows, t.sas, t.tunnels
	if t.others != nil {
		a.summarize(t.others, t.flows)
		a.summarized, a.otherKept = true, t.others.len()
		if t.opts.keepOthers {
			a.others = t.others
		}
		t.others = nil
	}
	t.finishPeerTraces()
	return a
}

// summarize counts the conversations that Options.SummarizeOther kept
// without a flow, and merges the directions of those that have a flow too.
func (a *Analysis) summarize(others *otherSet, flows map[flowKey]*Flow) {
	others.each(func(k flowKey, dirs uint8) {
		if f := flows[k]; f != nil {
			f.others = dirs
			return
		}
		if k.directional() {
			return
		}
		a.otherTotal++
		if dirs == 1<<DirAB|1<<DirBA {
			a.otherTwoWay++
		}
	})
}

// unansweredAfter is how long a request may wait for its answer at the end
// of a capture before the tunnel counts as failed rather than still
// negotiating; IKE implementations give up on a request after tens of
// seconds, and answer within a second when they answer.
const unansweredAfter = 10 * time.Second

// finish decides the tunnel's state at the end of the capture from its
// exchanges and notifies.
func (tun *Tunnel) finish(end time.Time) {
	n := tun.negotiation(end)
	tun.established = n.established
	tun.establishedAt, tun.establishedFrame = n.estAt, n.estFrame
	tun.setState(&n)
}

// negotiation is what a tunnel's exchanges and notifies tell of how its
// negotiation went.
type negotiation struct {
	established bool      // IKE_AUTH answered, or IKEv1 Phase 1 completed
	estAt       time.Time // when
	estFrame    int       // the frame that completed it
	children    int       // CREATE_CHILD_SA or Quick Mode exchanges completed
	failed      string    // why the negotiation failed, or ""
	evidence    []int     // frames that show it
	authFailed  bool      // an AUTHENTICATION_FAILED notify was read decrypted
}

// negotiation reads the tunnel's exchanges and notifies, up to the end of
// the capture at end.
func (tun *Tunnel) negotiation(end time.Time) negotiation {
	var n negotiation
	// A peer that cannot verify the other's AUTH payload says so with
	// AUTHENTICATION_FAILED, inside the encryption: the responder in its
	// IKE_AUTH response, the initiator in an INFORMATIONAL request after
	// it (RFC 7296 §2.21.2). Either way no IKE SA came up, although
	// IKE_AUTH was answered.
	if af := tun.authFailed(); af != nil {
		n.authFailed = true
		n.failed = "the " + af.From.String() + " refused the authentication with AUTHENTICATION_FAILED (read decrypted, frame " + itoa(af.Frame) + ")"
		n.evidence = append(n.evidence, af.Frame)
	}
	for _, e := range tun.Exchanges {
		n.addExchange(tun, e, end)
	}
	for _, nt := range tun.ErrorNotifies {
		if tun.Version == 1 {
			if n.failed == "" {
				n.failed = nt.From.String() + " sent " + nt.Name
			}
			n.evidence = append(n.evidence, nt.Frame)
		}
	}
	return n
}

// addExchange accounts one exchange of tun: whether it established the
// IKE SA or a child SA, or failed it.
func (n *negotiation) addExchange(tun *Tunnel, e *Exchange, end time.Time) {
	if tun.Version == 1 && e.Complete {
		e.Answered = true
	}
	unanswered := !e.Answered || (tun.Version == 1 && e.waiting && !e.Complete && e.Messages > 1 && e.lastFrom == e.From)
	if tun.Version == 1 && e.Type == decode.ExchangeTypeInformationalV1 {
		unanswered = false
	}
	answered := e.Answered
	if !answered && tun.Version == 2 && tun.answeredImplicitly(e) {
		// The requester went on with a higher message ID, which an IKEv2
		// peer does only once it has the response (RFC 7296 §2.3, a
		// window of one): the capture missed the answer.
		answered, unanswered = true, false
	}
	switch {
	case tun.Version == 2 && e.Type == decode.ExchangeTypeIKEAuth && answered && !n.authFailed,
		tun.Version == 1 && (e.Type == decode.ExchangeTypeIdentityProtection || e.Type == decode.ExchangeTypeAggressive) && e.Complete:
		if !n.established {
			n.established = true
			n.estAt, n.estFrame = e.Last, e.ResponseFrames.Last()
			if n.estFrame == 0 {
				n.estFrame = e.RequestFrames.Last()
			}
		}
	case tun.Version == 2 && e.Type == decode.ExchangeTypeCreateChildSA && answered,
		tun.Version == 1 && e.Type == decode.ExchangeTypeQuickMode && e.Complete:
		n.children++
	}
	if tun.Version == 2 && e.Answered {
		for _, nt := range e.ResponseNotifies {
			if nt.IsError() && nt != decode.NotifyTypeInvalidKEPayload && e.Type == decode.ExchangeTypeIKESAInit {
				n.failed = "the responder answered " + e.Type.String() + " with " + nt.Name(2)
				n.evidence = append(n.evidence, e.ResponseFrames.Last())
			}
		}
	}
	if unanswered && (e.Retransmissions > 0 || end.Sub(e.First) >= unansweredAfter) {
		if n.failed == "" {
			n.failed = e.Type.String() + " request unanswered"
			if e.Retransmissions > 0 {
				n.failed += " after " + itoa(e.Retransmissions) + " retransmissions"
			}
		}
		n.evidence = append(n.evidence, e.RequestFrames.List()...)
	}
}

// setState sets the tunnel's state, its reason and its evidence from what
// its negotiation tells, and from the Deletes seen.
func (tun *Tunnel) setState(n *negotiation) {
	evidence, failed := n.evidence, n.failed
	switch {
	case tun.Deletes > 0:
		tun.State = StateDeleted
		tun.StateReason = "a Delete payload was sent in cleartext"
	case tun.Decryption.IKEDeletedFrame > 0:
		tun.State = StateDeleted
		tun.StateReason = "the " + tun.Decryption.IKEDeletedBy.String() + " deleted the IKE SA (Delete payload read decrypted, frame " +
			itoa(tun.Decryption.IKEDeletedFrame) + ")"
		evidence = []int{tun.Decryption.IKEDeletedFrame}
	case n.established && failed != "" && tun.Version == 2:
		// A later exchange failing does not undo the IKE SA; report it
		// as established and let rules look at the exchanges.
		tun.State = StateEstablished
		tun.StateReason = "IKE_AUTH completed; later: " + failed
		evidence = append([]int{n.estFrame}, evidence...)
	case n.established && (n.children > 1 && tun.Version == 1 || n.children > 0 && tun.Version == 2):
		tun.State = StateRekeyed
		tun.StateReason = "established, then new SAs were created"
		evidence = []int{n.estFrame}
	case n.established:
		tun.State = StateEstablished
		if tun.Version == 2 {
			tun.StateReason = "IKE_AUTH answered"
		} else {
			tun.StateReason = "Phase 1 completed"
		}
		evidence = []int{n.estFrame}
	case failed != "":
		tun.State = StateFailed
		tun.StateReason = failed
	case tun.Midstream && tun.ESPPackets() > 0:
		tun.State = StateEstablished
		tun.StateReason = "the capture began after the negotiation; ESP flows"
	default:
		tun.State = StateNegotiating
		tun.StateReason = "the capture ends before the negotiation completed"
	}
	tun.StateEvidence = uniqueSorted(evidence)
}

// authFailed returns the first AUTHENTICATION_FAILED notify of an IKEv2
// tunnel, or nil. Only decryption shows it: it travels inside the SK
// payload of IKE_AUTH or of an INFORMATIONAL exchange.
func (tun *Tunnel) authFailed() *NotifySeen {
	if tun.Version != 2 {
		return nil
	}
	for i := range tun.ErrorNotifies {
		if n := &tun.ErrorNotifies[i]; n.Type == decode.NotifyTypeAuthenticationFailed {
			return n
		}
	}
	return nil
}

func uniqueSorted(s []int) []int {
	out := make([]int, 0, len(s))
	for _, v := range s {
		if v > 0 {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Analyze reads one capture and builds its analysis. A corrupt or truncated
// file still yields the analysis of everything before the fault, with
// Capture.ReadError set. With opts.SummarizeOther the table runs on a
// goroutine of its own, fed in batches, while src.Read's goroutine decodes;
// a panic on either goes on in the caller's goroutine. A capture whose time
// runs backwards is read a second time and analysed in time order (see
// Capture.TimeOrder).
func Analyze(src Source, dopts decode.Options, opts Options) *Analysis {
	a, w := analyzeSplit(src, dopts, opts)
	return inTimeOrder(a, w, src, dopts, opts, nil)
}

// analyze is Analyze with a tap on every packet: newTap, unless nil, is
// called before each reading of the capture and its tap sees every packet
// of that reading, in the order the table does.
func analyze(src Source, dopts decode.Options, opts Options, newTap func() func(*decode.Packet)) *Analysis {
	a, w := analyzeOnce(src, dopts, opts, newTap)
	return inTimeOrder(a, w, src, dopts, opts, newTap)
}

// inTimeOrder returns a, the analysis of src in file order, or, when the
// packets ran backwards in time (w), the analysis of src in time order.
func inTimeOrder(a *Analysis, w orderWatch, src Source, dopts decode.Options, opts Options, newTap func() func(*decode.Packet)) *Analysis {
	if !w.backwards {
		return a
	}
	limit := opts.MaxReorder
	if limit <= 0 {
		limit = DefaultMaxReorder
	}
	if w.packets > limit {
		a.Capture.TimeOrder = OrderFileUnsorted
		return a
	}
	if src.Once {
		a.Capture.TimeOrder = OrderFileStream
		return a
	}
	a, _ = analyzeOnce(timeOrdered(src), dopts, opts, newTap)
	a.Capture.TimeOrder = OrderTime
	return a
}

// analyzeOnce reads the capture once, in the order src delivers it, into a
// table on this goroutine.
func analyzeOnce(src Source, dopts decode.Options, opts Options, newTap func() func(*decode.Packet)) (*Analysis, orderWatch) {
	t := NewTable(opts)
	var tap func(*decode.Packet)
	if newTap != nil {
		tap = newTap()
	}
	var w orderWatch
	stats, err := src.Read(dopts, func(p *decode.Packet) {
		w.note(p)
		t.Add(p)
		if tap != nil {
			tap(p)
		}
	})
	c := Capture{Path: src.Path, Frames: stats.Frames, Packets: t.Packets, Stats: stats, ReadError: err}
	return t.Finish(c), w
}

// answeredImplicitly reports whether the peer that sent an IKEv2 request
// later sent a request with a higher message ID.
func (tun *Tunnel) answeredImplicitly(e *Exchange) bool {
	for _, x := range tun.Exchanges {
		if x.From == e.From && x.MessageID > e.MessageID && x.First.After(e.Last) {
			return true
		}
	}
	return false
}
