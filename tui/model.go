package tui

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// model is the read-only result of the analysis that the views show. It is
// built once, off the UI goroutine, and then only read on it.
type model struct {
	rc       *rules.Context
	findings []rules.Finding
	verdicts map[int]*rules.Verdict // by tunnel view ID
	// sessionVerdicts are the PPTP calls' verdicts, by session view ID.
	sessionVerdicts map[int]*rules.Verdict
	// worst is the most severe finding of each tunnel view (by ID), and
	// counts the findings of each severity; sessionWorst and
	// sessionCounts do the same for the PPTP calls.
	worst         map[int]rules.Severity
	counts        map[int][3]int
	sessionWorst  map[int]rules.Severity
	sessionCounts map[int][3]int
	// rows are the tunnels, PPTP calls and flows, in the default order:
	// each tunnel followed by its flows, each call followed by its flows,
	// then the flows of neither.
	rows []*row
	// sides are the captures, indexed by flows.Side (inside first).
	sides []*side
	// evidence maps each capture's evidence frames to the findings that
	// give them (indexes into findings).
	evidence [2]map[int][]int
}

// side is one capture as the UI uses it: its analysis and how to read it
// again.
type side struct {
	index    flows.Side
	analysis *flows.Analysis
	src      *capture
}

// rowKind tells a tunnel row from a PPTP call's and a flow row.
type rowKind uint8

const (
	rowTunnel rowKind = iota
	rowFlow
	rowSession
)

// row is one line of the tunnels-and-flows table, with what the filter and
// the sort look at.
type row struct {
	kind  rowKind
	order int // position in the default order
	view  *flows.TunnelView
	// tunnel is the tunnel view ID of the row (a tunnel) or of the tunnel
	// the flow carries; 0 for none.
	tunnel int
	// call is the PPTP call of the row (a call) or of the call whose
	// control connection or GRE the flow is; session is its ID, 0 for
	// none.
	call    *flows.SessionView
	session int
	side    flows.Side // flow rows
	both    bool       // tunnel and call rows seen in both captures
	flow    *flows.Flow
	number  int // flow rows: 1-based position in its capture's flow list

	kinds   [decode.NumKinds]bool
	protos  []uint8
	addrs   []netip.Addr
	ports   []uint16
	spis    []uint64 // ESP/AH SPIs and, for tunnels, the IKE SPIs
	packets int
	first   int64 // first sighting, Unix nanoseconds on the inside clock

	// Display texts.
	id, kindText, endpoints, spiText, state, packetText string
}

// newModel joins the rules context, findings and verdicts into the model.
func newModel(rc *rules.Context, findings []rules.Finding, verdicts []rules.Verdict, caps []*capture) *model {
	m := &model{
		rc:       rc,
		findings: findings,
		verdicts: make(map[int]*rules.Verdict, len(verdicts)),
		worst:    map[int]rules.Severity{},
		counts:   map[int][3]int{},

		sessionVerdicts: map[int]*rules.Verdict{},
		sessionWorst:    map[int]rules.Severity{},
		sessionCounts:   map[int][3]int{},
	}
	for i := range verdicts {
		if verdicts[i].Session > 0 {
			m.sessionVerdicts[verdicts[i].Session] = &verdicts[i]
			continue
		}
		m.verdicts[verdicts[i].Tunnel] = &verdicts[i]
	}
	for i, f := range findings {
		for _, e := range f.Evidence {
			if e.Side != flows.SideInside && e.Side != flows.SideOutside {
				continue
			}
			if m.evidence[e.Side] == nil {
				m.evidence[e.Side] = map[int][]int{}
			}
			if fs := m.evidence[e.Side][e.Frame]; !slices.Contains(fs, i) {
				m.evidence[e.Side][e.Frame] = append(fs, i)
			}
		}
		switch {
		case f.Tunnel > 0:
			tally(m.worst, m.counts, f.Tunnel, f.Severity)
		case f.Session > 0:
			tally(m.sessionWorst, m.sessionCounts, f.Session, f.Severity)
		}
	}
	for i, a := range rc.Captures {
		var src *capture
		if i < len(caps) {
			src = caps[i]
		}
		m.sides = append(m.sides, &side{index: flows.Side(i), analysis: a, src: src})
	}
	m.buildRows()
	return m
}

// tally counts a finding of severity sev about id and keeps the worst.
func tally(worst map[int]rules.Severity, counts map[int][3]int, id int, sev rules.Severity) {
	c := counts[id]
	if int(sev) < len(c) {
		c[sev]++
	}
	counts[id] = c
	if w, ok := worst[id]; !ok || sev > w {
		worst[id] = sev
	}
}

// worstOf returns the most severe finding of the row's tunnel or PPTP
// call, and whether it has any.
func (m *model) worstOf(r *row) (rules.Severity, bool) {
	switch {
	case r.tunnel != 0:
		w, ok := m.worst[r.tunnel]
		return w, ok
	case r.session != 0:
		w, ok := m.sessionWorst[r.session]
		return w, ok
	}
	return 0, false
}

// evidenceOf returns the findings (indexes into findings) that give a
// packet of a capture as evidence, by its frame or, for a message
// reassembled from several frames, by the frame it began in.
func (m *model) evidenceOf(s flows.Side, p *decode.Packet) []int {
	ev := m.evidence[s]
	if ev == nil {
		return nil
	}
	fs := ev[p.Frame]
	if p.FirstFrame != 0 && p.FirstFrame != p.Frame {
		for _, i := range ev[p.FirstFrame] {
			if !slices.Contains(fs, i) {
				fs = append(slices.Clip(fs), i)
			}
		}
	}
	return fs
}

// two reports whether the model has both captures.
func (m *model) two() bool { return len(m.sides) == 2 }

// sessionByID returns a PPTP call's view, or nil.
func (m *model) sessionByID(id int) *flows.SessionView {
	if id <= 0 || id > len(m.rc.Sessions) {
		return nil
	}
	return m.rc.Sessions[id-1]
}

// viewByID returns a tunnel view, or nil.
func (m *model) viewByID(id int) *flows.TunnelView {
	if id <= 0 || id > len(m.rc.Tunnels) {
		return nil
	}
	return m.rc.Tunnels[id-1]
}

// toInside converts a time of one side to the inside clock, in Unix
// nanoseconds, for sorting rows of both captures together.
func (m *model) toInside(s flows.Side, t time.Time) int64 {
	if s == flows.SideOutside && m.rc.Correlation != nil {
		return m.rc.Correlation.ToInside(t).UnixNano()
	}
	return t.UnixNano()
}

func (m *model) buildRows() {
	byTunnel := map[int][]*row{}
	bySession := map[int][]*row{}
	var loose []*row
	for _, sd := range m.sides {
		a := sd.analysis
		callOf := m.sessionFlows(sd.index)
		// ESP flows carry no tunnel number; their SA does.
		saTunnel := map[flows.Key]int{}
		saOfUDP := map[flows.Key][]uint32{}
		for _, sa := range a.SAs {
			proto := uint8(flows.ProtoESP)
			if sa.AH {
				proto = flows.ProtoAH
			}
			k, _ := flows.NewKey(proto, netip.AddrPortFrom(sa.Src, 0), netip.AddrPortFrom(sa.Dst, 0), sa.SPI)
			saTunnel[k] = sa.Tunnel
			if sa.UDP > 0 {
				uk, _ := flows.NewKey(flows.ProtoUDP, netip.AddrPortFrom(sa.Src, sa.SrcPort), netip.AddrPortFrom(sa.Dst, sa.DstPort), 0)
				saOfUDP[uk] = append(saOfUDP[uk], sa.SPI)
			}
		}
		for i, f := range a.Flows {
			r := &row{kind: rowFlow, side: sd.index, flow: f, number: i + 1, packets: f.Total(), packetText: strconv.Itoa(f.Total())}
			tid := f.Tunnel
			if tid == 0 {
				tid = saTunnel[f.Key]
			}
			if tid > 0 && tid <= len(a.Tunnels) {
				if v := m.rc.ViewOf(sd.index, a.Tunnels[tid-1]); v != nil {
					r.tunnel = v.ID
					r.view = v
				}
			}
			for k, n := range f.Kinds {
				r.kinds[k] = n > 0
			}
			r.protos = []uint8{f.Key.Proto}
			r.addrs = []netip.Addr{f.Key.A.Addr(), f.Key.B.Addr()}
			r.ports = []uint16{f.Key.A.Port(), f.Key.B.Port()}
			if f.Key.Proto == flows.ProtoESP || f.Key.Proto == flows.ProtoAH {
				r.spis = []uint64{uint64(f.Key.ID)}
				r.spiText = decode.SPI(f.Key.ID).String()
			} else if f.Key.Proto == flows.ProtoGRE {
				r.spiText = "key " + strconv.FormatUint(uint64(f.Key.ID), 10)
			}
			for _, spi := range saOfUDP[f.Key] {
				r.spis = append(r.spis, uint64(spi))
			}
			r.first = m.toInside(sd.index, f.First)
			r.id = "F" + strconv.Itoa(i+1)
			r.kindText = flowKinds(f)
			r.endpoints = flowEndpoints(f.Key)
			r.state = m.flowState(f)
			if r.tunnel == 0 {
				if v := callOf[f.Key]; v != nil {
					r.call, r.session = v, v.ID
					if f.Key.Proto == flows.ProtoGRE {
						// The key of a PPTP call's GRE is a call ID.
						r.spiText = "call " + decode.CallIDString(uint16(f.Key.ID))
					}
				}
			}
			switch {
			case r.tunnel > 0:
				byTunnel[r.tunnel] = append(byTunnel[r.tunnel], r)
			case r.session > 0:
				bySession[r.session] = append(bySession[r.session], r)
			default:
				loose = append(loose, r)
			}
		}
	}
	for _, v := range m.rc.Tunnels {
		r := m.tunnelRow(v)
		m.rows = append(m.rows, r)
		m.rows = append(m.rows, byTunnel[v.ID]...)
	}
	for _, v := range m.rc.Sessions {
		m.rows = append(m.rows, m.sessionRow(v))
		m.rows = append(m.rows, bySession[v.ID]...)
	}
	m.rows = append(m.rows, loose...)
	for i, r := range m.rows {
		r.order = i
	}
}

// tunnelRow builds the row of a tunnel view.
func (m *model) tunnelRow(v *flows.TunnelView) *row {
	t := v.Any()
	r := &row{kind: rowTunnel, view: v, tunnel: v.ID, both: v.Sides[0] != nil && v.Sides[1] != nil}
	var counts []string
	r.kinds[decode.KindIKE] = true
	for s, st := range v.Sides {
		if st == nil {
			continue
		}
		n := st.Messages + st.ESPPackets() + st.Keepalives.Count
		r.packets += n
		counts = append(counts, strconv.Itoa(n))
		for _, ap := range []netip.AddrPort{st.InitiatorFirst, st.Initiator, st.ResponderFirst, st.Responder} {
			if !slices.Contains(r.addrs, ap.Addr()) {
				r.addrs = append(r.addrs, ap.Addr())
			}
			if !slices.Contains(r.ports, ap.Port()) {
				r.ports = append(r.ports, ap.Port())
			}
		}
		r.spis = append(r.spis, st.SPIi, st.SPIr)
		for _, sa := range st.ESPSAs {
			r.spis = append(r.spis, uint64(sa.SPI))
			switch {
			case sa.AH:
				r.kinds[decode.KindAH] = true
			default:
				r.kinds[decode.KindESP] = r.kinds[decode.KindESP] || sa.Raw > 0
				r.kinds[decode.KindUDPESP] = r.kinds[decode.KindUDPESP] || sa.UDP > 0
				r.kinds[decode.KindTCPESP] = r.kinds[decode.KindTCPESP] || sa.TCP > 0
			}
		}
		if st.Keepalives.Count > 0 {
			r.kinds[decode.KindNATKeepalive] = true
		}
		r.protos = append(r.protos, flows.ProtoUDP)
		if st.TCP {
			r.protos = append(r.protos, flows.ProtoTCP)
		}
		if s == 0 || r.first == 0 {
			r.first = m.toInside(flows.Side(s), st.First)
		}
	}
	r.id = "T" + strconv.Itoa(v.ID)
	// Seen in both captures: the counts of each, inside/outside.
	r.packetText = strings.Join(counts, "/")
	r.kindText = "IKEv" + strconv.Itoa(int(t.Version))
	if e := v.Encapsulation(); e != flows.EncapNone {
		r.kindText += " " + string(e)
	}
	r.endpoints = t.InitiatorFirst.String() + " ⇄ " + t.ResponderFirst.String()
	r.spiText = strconv.FormatUint(t.SPIi, 16)
	r.state = string(t.State)
	if v.Sides[0] != nil && v.Sides[1] != nil && v.Sides[0].State != v.Sides[1].State {
		r.state = string(v.Sides[0].State) + "/" + string(v.Sides[1].State)
	}
	return r
}

// sessionFlows maps the keys of one capture's flows that belong to a PPTP
// call to the call: its control connection and its GRE both ways, whose
// call ID is the receiver's (RFC 2637 §4.1).
func (m *model) sessionFlows(sd flows.Side) map[flows.Key]*flows.SessionView {
	out := map[flows.Key]*flows.SessionView{}
	for _, v := range m.rc.Sessions {
		s := v.Sides[sd]
		if s == nil {
			continue
		}
		k, _ := flows.NewKey(flows.ProtoTCP, s.Client, s.Server, 0)
		out[k] = v
		client, server := netip.AddrPortFrom(s.Client.Addr(), 0), netip.AddrPortFrom(s.Server.Addr(), 0)
		if s.CallReplied {
			k, _ := flows.NewKey(flows.ProtoGRE, client, server, uint32(s.ServerCallID))
			out[k] = v
		}
		if s.CallRequested {
			k, _ := flows.NewKey(flows.ProtoGRE, server, client, uint32(s.ClientCallID))
			out[k] = v
		}
	}
	return out
}

// sessionRow builds the row of a PPTP call.
func (m *model) sessionRow(v *flows.SessionView) *row {
	s := v.Any()
	r := &row{kind: rowSession, call: v, session: v.ID, both: v.Sides[0] != nil && v.Sides[1] != nil}
	r.kinds[decode.KindPPTP] = true
	r.protos = []uint8{flows.ProtoTCP, flows.ProtoGRE}
	var counts []string
	for sd, st := range v.Sides {
		if st == nil {
			continue
		}
		n := st.Messages + st.GREOut + st.GREIn
		r.packets += n
		counts = append(counts, strconv.Itoa(n))
		if st.GREOut+st.GREIn > 0 {
			r.kinds[decode.KindGRE] = true
		}
		for _, ap := range []netip.AddrPort{st.Client, st.Server} {
			if !slices.Contains(r.addrs, ap.Addr()) {
				r.addrs = append(r.addrs, ap.Addr())
			}
			if !slices.Contains(r.ports, ap.Port()) {
				r.ports = append(r.ports, ap.Port())
			}
		}
		if sd == 0 || r.first == 0 {
			r.first = m.toInside(flows.Side(sd), st.First)
		}
	}
	r.id = "P" + strconv.Itoa(v.ID)
	r.packetText = strings.Join(counts, "/")
	r.kindText = "PPTP"
	r.endpoints = s.Client.String() + " ⇄ " + s.Server.String()
	r.spiText = "call " + sessionCallIDs(v)
	r.state = callState(s)
	if v.Sides[0] != nil && v.Sides[1] != nil {
		if in, out := callState(v.Sides[0]), callState(v.Sides[1]); in != out {
			r.state = in + "/" + out
		}
	}
	return r
}

// sessionCallIDs shows a call's client and server call IDs, per capture
// when the NAT translated them: "16384 (0x4000) / 32769 (0x8001)", or
// "in 16384 (0x4000) / 32769 (0x8001), out 40000 (0x9c40) / 32769 (0x8001)".
func sessionCallIDs(v *flows.SessionView) string {
	ids := func(s *flows.PPTPSession) string {
		return decode.CallIDString(s.ClientCallID) + " / " + decode.CallIDString(s.ServerCallID)
	}
	if client, server := v.Translated(); client || server {
		return "in " + ids(v.Sides[flows.SideInside]) + ", out " + ids(v.Sides[flows.SideOutside])
	}
	return ids(v.Any())
}

// callState names how far a PPTP call got (RFC 2637 §2: control
// connection, then Outgoing-Call-Request and -Reply, then clearing).
func callState(s *flows.PPTPSession) string {
	switch {
	case s.Cleared:
		return "cleared"
	case s.CallReplied && s.CallResult == 1:
		return "connected"
	case s.CallReplied:
		return "refused"
	case s.CallRequested:
		return "calling"
	case s.ControlEstablished:
		return "control"
	}
	return "negotiating"
}

// flowState summarises a flow's fate across the NAT, with two captures.
func (m *model) flowState(f *flows.Flow) string {
	if !m.two() {
		return ""
	}
	fa := f.Fate
	switch {
	case fa.Dropped > 0 && fa.Modified > 0:
		return strconv.Itoa(fa.Dropped) + " lost, " + strconv.Itoa(fa.Modified) + " mod"
	case fa.Dropped > 0:
		return strconv.Itoa(fa.Dropped) + " lost"
	case fa.Modified > 0:
		return strconv.Itoa(fa.Modified) + " modified"
	case fa.NoOrigin > 0:
		return strconv.Itoa(fa.NoOrigin) + " no origin"
	case fa.Forwarded > 0:
		return "crossed"
	}
	return ""
}

// flowKinds names the kinds of packet a flow carried, most frequent first.
func flowKinds(f *flows.Flow) string {
	type kc struct {
		k decode.Kind
		n int
	}
	var ks []kc
	for k, n := range f.Kinds {
		if n > 0 && decode.Kind(k) != decode.KindIPFragment {
			ks = append(ks, kc{decode.Kind(k), n})
		}
	}
	slices.SortStableFunc(ks, func(a, b kc) int { return cmp.Compare(b.n, a.n) })
	var names []string
	for _, k := range ks {
		name := k.k.String()
		switch k.k {
		case decode.KindOther:
			name = decode.ProtoName(f.Key.Proto)
		case decode.KindNATKeepalive:
			name = "keepalive"
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return decode.ProtoName(f.Key.Proto)
	}
	return strings.Join(names, "+")
}

// flowEndpoints shows a flow's endpoints: "a:p ⇄ b:q" for conversations,
// "a → b" for one-way flows (ESP and AH SAs, GRE calls).
func flowEndpoints(k flows.Key) string {
	if k.Directional() {
		return k.A.Addr().String() + " → " + k.B.Addr().String()
	}
	return k.A.String() + " ⇄ " + k.B.String()
}

// findingCounts shows the findings of a tunnel or PPTP call row by
// severity: "2E 1W".
func (m *model) findingCounts(r *row) string {
	var c [3]int
	ok := false
	switch r.kind {
	case rowTunnel:
		c, ok = m.counts[r.tunnel]
	case rowSession:
		c, ok = m.sessionCounts[r.session]
	}
	if !ok {
		return ""
	}
	var parts []string
	for _, s := range []struct {
		sev  rules.Severity
		mark string
	}{{rules.Error, "E"}, {rules.Warning, "W"}, {rules.Info, "I"}} {
		if n := c[s.sev]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+s.mark)
		}
	}
	return strings.Join(parts, " ")
}

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
