package tui

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

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

// buildRows makes the rows in their default order (see model.rows).
func (m *model) buildRows() {
	byTunnel := map[int][]*row{}
	bySession := map[int][]*row{}
	var loose []*row
	for _, sd := range m.sides {
		callOf := m.sessionFlows(sd.index)
		links := newSALinks(sd.analysis)
		for i, f := range sd.analysis.Flows {
			r := m.flowRow(sd, i, f, links, callOf)
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

// saLinks ties one capture's flows to its SAs: ESP flows carry no tunnel
// number, their SA does; a UDP flow that encapsulates ESP is searched by
// the SPIs of the SAs it carries.
type saLinks struct {
	tunnel    map[flows.Key]int
	spisOfUDP map[flows.Key][]uint32
}

// newSALinks indexes a capture's SAs by their ESP or AH flow and by the
// UDP flow that encapsulates them.
func newSALinks(a *flows.Analysis) saLinks {
	l := saLinks{tunnel: map[flows.Key]int{}, spisOfUDP: map[flows.Key][]uint32{}}
	for _, sa := range a.SAs {
		proto := uint8(flows.ProtoESP)
		if sa.AH {
			proto = flows.ProtoAH
		}
		k, _ := flows.NewKey(proto, netip.AddrPortFrom(sa.Src, 0), netip.AddrPortFrom(sa.Dst, 0), sa.SPI)
		l.tunnel[k] = sa.Tunnel
		if sa.UDP > 0 {
			uk, _ := flows.NewKey(flows.ProtoUDP, netip.AddrPortFrom(sa.Src, sa.SrcPort), netip.AddrPortFrom(sa.Dst, sa.DstPort), 0)
			l.spisOfUDP[uk] = append(l.spisOfUDP[uk], sa.SPI)
		}
	}
	return l
}

// flowRow builds the row of a capture's flow i: what it carries, and the
// tunnel or else the PPTP call it belongs to.
func (m *model) flowRow(sd *side, i int, f *flows.Flow, links saLinks, callOf map[flows.Key]*flows.SessionView) *row {
	a := sd.analysis
	r := &row{kind: rowFlow, side: sd.index, flow: f, number: i + 1, packets: f.Total(), packetText: strconv.Itoa(f.Total())}
	tid := f.Tunnel
	if tid == 0 {
		tid = links.tunnel[f.Key]
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
	for _, spi := range links.spisOfUDP[f.Key] {
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
	return r
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
		n := st.Messages() + st.ESPPackets() + st.Keepalives.Count
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
	fa := f.Fate()
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
			ks = append(ks, kc{decode.Kind(k), int(n)})
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
