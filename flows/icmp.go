package flows

import (
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// This file ties the ICMP errors that quote VPN packets (decode's
// KindICMPError) to what they quote: the flow of the quoted packet, its ESP
// or AH SA, its IKE tunnel, its PPTP call. A device that refuses a VPN
// packet — a NAT with no mapping for it, a filter, a router whose next hop
// is too small — often says so with such an error, and the error is the
// evidence a rule can cite.

// Bounds: the errors an analysis keeps (each with its ties, for rules and
// correlation), and the first errors each tunnel, SA, session and flow
// lists. A NAT rate-limits its errors (Linux: one per second and
// destination by default), so a capture holds few.
const (
	maxICMPErrors = 1 << 14
	maxICMPListed = 8
	maxICMPCodes  = 8
)

// ICMPError is an ICMP or ICMPv6 error of one capture that quotes a VPN
// packet, with what the quoted packet belongs to.
type ICMPError struct {
	Frame int
	Time  time.Time
	// From is the device that sent the error (its IP source), To the one
	// it was sent to, as a rule the sender of the quoted packet.
	From, To netip.Addr
	// Msg is the message: type, code, MTU, and the quote.
	Msg *decode.ICMPError

	// Flow is the flow of the quoted packet in this capture, and Dir the
	// quoted packet's direction in it; nil when the capture has no such
	// flow or the quote cut off what keys it (an SPI, the ports).
	Flow *Flow
	Dir  Dir
	// SA is the ESP or AH SA of the quoted packet: by its SPI, or, when the
	// quote cut the SPI off, the SA whose packets last went the quoted way
	// on the quoted UDP flow (SAByFlow is then set).
	SA       *ESPSA
	SAByFlow bool
	// Tunnel is the IKE SA of the quoted packet: by the quoted IKE SPIs,
	// through its ESP SA or flow, or as the latest tunnel between the
	// quoted addresses.
	Tunnel *Tunnel
	// Session is the PPTP call of quoted enhanced GRE (by call ID and
	// addresses) or of a quoted segment of its control connection.
	Session *PPTPSession

	// Origin says, with two captures, where the error came from.
	Origin ICMPOrigin
}

// Matched reports whether the error was tied to anything.
func (e *ICMPError) Matched() bool {
	return e.Flow != nil || e.SA != nil || e.Tunnel != nil || e.Session != nil
}

// ICMPOrigin says where an ICMP error came from, as two captures of the
// same traffic tell.
type ICMPOrigin uint8

// Origins.
const (
	// ICMPOriginUnknown: one capture, or the error was not compared (outside
	// the captures' common time span).
	ICMPOriginUnknown ICMPOrigin = iota
	// ICMPOriginCrossed: the other capture saw the error too, so it
	// crossed the device between the captures.
	ICMPOriginCrossed
	// ICMPOriginThisSide: only this capture saw it.
	ICMPOriginThisSide
	// ICMPOriginNAT: only the outside capture saw it, and its source is an
	// address the NAT translated inside hosts to: the NAT itself sent it,
	// refusing the quoted packet.
	ICMPOriginNAT
)

var icmpOriginNames = [...]string{"unknown", "crossed", "this-side", "nat"}

// String names the origin as the JSON output does ("nat").
func (o ICMPOrigin) String() string {
	if int(o) < len(icmpOriginNames) {
		return icmpOriginNames[o]
	}
	return "origin(" + itoa(int(o)) + ")"
}

// ICMPErrors summarises the ICMP errors that quote packets of one tunnel,
// ESP SA, PPTP session or flow: how many, of which types, and the first
// ones.
type ICMPErrors struct {
	// Count counts them all.
	Count int
	// First lists the first maxICMPListed, in capture order.
	First []*ICMPError
	// Codes counts them by type and code, for at most maxICMPCodes
	// distinct pairs; errors of further pairs are counted in Count only.
	Codes []ICMPCodeCount
	// FromNAT counts those the NAT itself sent (ICMPOriginNAT), as far as
	// the analysis kept them (Analysis.ICMPErrorsNotKept).
	FromNAT int
}

// ICMPCodeCount counts the errors of one type and code.
type ICMPCodeCount struct {
	IPv6  bool
	Type  decode.ICMPType
	Code  decode.ICMPCode
	Count int
}

// Frames returns the frames of the errors listed in First.
func (s *ICMPErrors) Frames() []int {
	out := make([]int, len(s.First))
	for i, e := range s.First {
		out[i] = e.Frame
	}
	return out
}

// add counts an error; First stays in frame order when errors come late
// (an SA attached to its tunnel when the table is finished).
func (s *ICMPErrors) add(e *ICMPError) {
	s.Count++
	m := e.Msg
	i := slices.IndexFunc(s.Codes, func(c ICMPCodeCount) bool { return c.IPv6 == m.IPv6 && c.Type == m.Type && c.Code == m.Code })
	switch {
	case i >= 0:
		s.Codes[i].Count++
	case len(s.Codes) < maxICMPCodes:
		s.Codes = append(s.Codes, ICMPCodeCount{IPv6: m.IPv6, Type: m.Type, Code: m.Code, Count: 1})
	}
	at, _ := slices.BinarySearchFunc(s.First, e.Frame, func(x *ICMPError, f int) int { return x.Frame - f })
	if at >= maxICMPListed {
		return
	}
	s.First = slices.Insert(s.First, at, e)
	if len(s.First) > maxICMPListed {
		s.First = s.First[:maxICMPListed]
	}
}

// icmpTracker holds a table's ICMP errors.
type icmpTracker struct {
	kept      []*ICMPError
	notKept   int
	unmatched ICMPErrors
}

// addICMPError ties an ICMP error to what it quotes and counts it there.
// It runs when the error is added, in capture order, so that "the SA whose
// packets last went the quoted way" is the one just before the error.
func (t *Table) addICMPError(p *decode.Packet) {
	e := &ICMPError{Frame: p.Frame, Time: p.Time, From: p.Src, To: p.Dst, Msg: p.ICMP}
	q := &p.ICMP.Quote
	e.Flow, e.Dir = t.quotedFlow(q)
	e.SA, e.SAByFlow = t.quotedSA(q, e.Flow, e.Dir)
	e.Tunnel = t.quotedTunnel(q, e.Flow, e.SA)
	e.Session = t.pptp.quotedSession(q)

	tr := &t.icmp
	if len(tr.kept) < maxICMPErrors {
		tr.kept = append(tr.kept, e)
	} else {
		tr.notKept++
	}
	if !e.Matched() {
		tr.unmatched.add(e)
		return
	}
	for _, s := range e.summaries() {
		s.add(e)
	}
}

// summaries returns the summaries an error counts in.
func (e *ICMPError) summaries() []*ICMPErrors {
	out := make([]*ICMPErrors, 0, 4)
	if e.Flow != nil {
		out = append(out, icmpSummary(&e.Flow.ICMP))
	}
	if e.SA != nil {
		out = append(out, icmpSummary(&e.SA.ICMP))
	}
	if e.Tunnel != nil {
		out = append(out, icmpSummary(&e.Tunnel.ICMP))
	}
	if e.Session != nil {
		out = append(out, icmpSummary(&e.Session.ICMP))
	}
	return out
}

// icmpSummary returns the summary *s points to, made on its first error:
// most flows, SAs, tunnels and calls have none.
func icmpSummary(s **ICMPErrors) *ICMPErrors {
	if *s == nil {
		*s = new(ICMPErrors)
	}
	return *s
}

// quotedFlow finds the flow of the quoted packet, when the quote holds what
// keys it.
func (t *Table) quotedFlow(q *decode.ICMPQuote) (*Flow, Dir) {
	qp := decode.Packet{Src: q.Src, Dst: q.Dst, Proto: q.Proto, SrcPort: q.SrcPort, DstPort: q.DstPort, Kind: q.Kind}
	switch q.Proto {
	case ProtoUDP, ProtoTCP:
		if !q.Have.Has(decode.QuotePorts) {
			return nil, DirAB
		}
	case ProtoESP, ProtoAH:
		if !q.Have.Has(decode.QuoteSPI) {
			return nil, DirAB
		}
		qp.ESP, qp.AH = q.ESP, q.ESP
	case ProtoGRE:
		if !q.Have.Has(decode.QuoteGRE) || q.GRE.KeyPresent && !q.Have.Has(decode.QuoteGREKey) {
			return nil, DirAB
		}
		qp.GRE = q.GRE
	default:
		return nil, DirAB
	}
	k, dir := packetFlowKey(&qp)
	return t.flows[k], dir
}

// quotedSA finds the ESP or AH SA of the quoted packet: by SPI and
// destination, or, for UDP-encapsulated ESP whose SPI the quote cut off,
// the SA of the flow's latest packet in the quoted direction.
func (t *Table) quotedSA(q *decode.ICMPQuote, f *Flow, dir Dir) (*ESPSA, bool) {
	switch q.Kind {
	case decode.KindESP, decode.KindUDPESP, decode.KindAH:
		if q.Have.Has(decode.QuoteSPI) {
			return t.sas[newSAKey(q.ESP.SPI, q.Kind == decode.KindAH, q.Dst)], false
		}
	case decode.KindOther:
		// UDP 4500 with the payload cut off: ESP, IKE or a keepalive.
	default:
		return nil, false
	}
	if f == nil || q.Proto != ProtoUDP {
		return nil, false
	}
	if sa := f.sa[dir]; sa != nil {
		return sa, true
	}
	return nil, false
}

// quotedTunnel finds the IKE tunnel of the quoted packet.
func (t *Table) quotedTunnel(q *decode.ICMPQuote, f *Flow, sa *ESPSA) *Tunnel {
	if q.Kind == decode.KindIKE && q.Have.Has(decode.QuoteIKESPIi) {
		versions := []uint8{2, 1}
		if q.Have.Has(decode.QuoteIKEHeader) {
			versions = []uint8{q.IKE.Version}
		}
		for _, v := range versions {
			if tun := t.tunnels[tunnelKey{v, q.IKE.SPIi}]; tun != nil {
				return tun
			}
		}
	}
	if sa != nil && sa.Tunnel != 0 {
		return t.tunnelByID(sa.Tunnel)
	}
	if f != nil && f.Tunnel != 0 {
		return t.tunnelByID(f.Tunnel)
	}
	switch q.Kind {
	case decode.KindGRE, decode.KindPPTP:
		return nil
	}
	return t.peers[newAddrPair(q.Src, q.Dst)]
}

// quotedSession finds the PPTP call of quoted enhanced GRE or of a quoted
// control connection segment, as add attributes such packets.
func (pt *pptpTracker) quotedSession(q *decode.ICMPQuote) *PPTPSession {
	switch {
	case q.Kind == decode.KindGRE && q.Have.Has(decode.QuoteGRE) && q.GRE.Version == 1:
		s, _, candidate := pt.find(q.Src, q.Dst, q.GRE.CallID)
		if q.Have.Has(decode.QuoteGREKey) && q.GRE.KeyPresent {
			return s
		}
		// The call ID is cut off: the latest call between the addresses
		// (a candidate found before a match is newer than it).
		if candidate != nil {
			return candidate
		}
		return s
	case q.Kind == decode.KindPPTP && q.Have.Has(decode.QuotePorts):
		client, server := q.Source(), q.Destination()
		if q.SrcPort == decode.PortPPTP && q.DstPort != decode.PortPPTP {
			client, server = server, client
		}
		return pt.byControl[[2]netip.AddrPort{client, server}]
	}
	return nil
}

// finishICMP ties errors whose SA was attached to its tunnel only when the
// table was finished (ESP seen before the tunnel's IKE) to that tunnel.
func (t *Table) finishICMP() {
	for _, e := range t.icmp.kept {
		if e.Tunnel != nil || e.SA == nil || e.SA.Tunnel == 0 {
			continue
		}
		if e.Tunnel = t.tunnelByID(e.SA.Tunnel); e.Tunnel != nil {
			icmpSummary(&e.Tunnel.ICMP).add(e)
		}
	}
}

// ICMPErrorAt returns the ICMP error of a frame of this capture, with its
// ties, or nil.
func (a *Analysis) ICMPErrorAt(frame int) *ICMPError { return a.icmpIdx[frame] }

// ICMPErrorsOf returns the errors of the capture that the analysis kept
// (all, unless there were more than maxICMPErrors) for which keep returns
// true, in capture order.
func (a *Analysis) ICMPErrorsOf(keep func(*ICMPError) bool) []*ICMPError {
	var out []*ICMPError
	for _, e := range a.ICMPErrors {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// setICMPOrigins decides where each kept ICMP error of both captures came
// from, once the matcher has marked those it saw in both (crossed) and in
// one only: an outside error from an address the NAT translated inside
// hosts to was sent by the NAT itself. It then counts those in FromNAT.
func (c *Correlation) setICMPOrigins() {
	for _, e := range c.Outside.ICMPErrors {
		if e.Origin != ICMPOriginThisSide || !c.NATOutsideAddr(e.From) {
			continue
		}
		e.Origin = ICMPOriginNAT
		if !e.Matched() {
			c.Outside.ICMPUnmatched.FromNAT++
			continue
		}
		for _, s := range e.summaries() {
			s.FromNAT++
		}
	}
}
