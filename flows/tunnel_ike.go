package flows

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// This file accounts IKE messages to their tunnels: the tunnel's peers and
// their endpoints, NAT-D, vendor IDs, notifies and exchanges.

// addIKE accounts an IKE message to its tunnel, making the tunnel at its
// first message, and returns the tunnel; nil when the message has no
// initiator SPI or the tunnel table is full.
func (t *Table) addIKE(p *decode.Packet) *Tunnel {
	m := p.IKE
	if m.SPIi == 0 {
		return nil
	}
	src := netip.AddrPortFrom(p.Src, p.SrcPort)
	dst := netip.AddrPortFrom(p.Dst, p.DstPort)
	k := tunnelKey{m.Version, m.SPIi}
	tun := t.tunnels[k]
	if tun == nil {
		if len(t.tunnels) >= t.opts.MaxTunnels || !t.budget.take(tunnelCost, p.Frame) {
			t.OverflowTunnels++
			return nil
		}
		tun = newTunnel(len(t.tunnelOrder)+1, p, src, dst)
		tun.budget = t.budget
		t.tunnels[k] = tun
		t.tunnelOrder = append(t.tunnelOrder, tun)
	}
	t.peers[newAddrPair(p.Src, p.Dst)] = tun
	if p.Proto == ProtoUDP {
		t.peerPorts[newAddrPortPair(src, dst)] = tun
	}
	if tun.SPIr == 0 && m.SPIr != 0 {
		tun.SPIr = m.SPIr
	}
	tun.Frames.Add(p.Frame)
	tun.touch(p.Time, p.Frame)

	from := tun.senderRole(p)
	tun.noteStray(from, p)
	tun.noteAddr(from, p.Src)
	tun.noteAddr(1-from, p.Dst)
	tun.updateEndpoint(from, src, p)
	tun.noteEncapsulation(p, src, dst)

	tun.addNATD(from, m, p.Frame)
	tun.addVendorIDs(from, m)
	tun.addNotifies(from, m, p.Frame)
	if m.Decryption == nil {
		tun.Deletes += len(m.Deletes)
	}
	t.addDecrypted(tun, from, p)
	tun.addExchange(from, p)
	tun.noteIKE(from, p)
	return tun
}

// newTunnel returns the tunnel that IKE message p, from src to dst, is the
// first seen of, numbered id.
func newTunnel(id int, p *decode.Packet, src, dst netip.AddrPort) *Tunnel {
	m := p.IKE
	tun := &Tunnel{
		ID:            id,
		Version:       m.Version,
		SPIi:          m.SPIi,
		First:         p.Time,
		exchangeIndex: make(map[exchangeKey]*Exchange),
	}
	initiatorSent := true
	switch {
	case m.Version == 2:
		initiatorSent = m.IsInitiator()
		tun.Midstream = !(m.Exchange == decode.ExchangeTypeIKESAInit && m.MessageID == 0)
	default:
		// IKEv1 has no initiator flag: the first message of a Main
		// or Aggressive Mode has a zero responder cookie. Seen later,
		// the sender of the first message is taken as initiator.
		tun.Midstream = m.SPIr != 0
	}
	if initiatorSent {
		tun.Initiator, tun.Responder = src, dst
	} else {
		tun.Initiator, tun.Responder = dst, src
	}
	tun.InitiatorFirst, tun.ResponderFirst = tun.Initiator, tun.Responder
	tun.noteAddr(RoleInitiator, tun.Initiator.Addr())
	tun.noteAddr(RoleResponder, tun.Responder.Addr())
	return tun
}

// noteEncapsulation notes how IKE message p, from src to dst, travels:
// over TCP, the NAT-T port float, port 500 used after it, and the non-ESP
// marker missing on 4500 or misused on 500.
func (tun *Tunnel) noteEncapsulation(p *decode.Packet, src, dst netip.AddrPort) {
	tcp := p.TCPEncap || p.Proto == ProtoTCP
	if tcp {
		tun.TCP = true
	}
	switch {
	case p.MissingMarker:
		if tun.MarkerMissing.Count() == 0 {
			tun.MarkerMissingFirst = [2]netip.AddrPort{src, dst}
		}
		tun.MarkerMissing.Add(p.Frame)
	case p.NonESPMarker && !tcp && (p.SrcPort == 500 || p.DstPort == 500):
		tun.MarkerOn500.Add(p.Frame)
	case p.NonESPMarker && !tcp:
		if !tun.Float {
			tun.Float = true
			tun.FloatFrame = p.Frame
		}
	}
}

// senderRole says which peer sent an IKE message.
func (tun *Tunnel) senderRole(p *decode.Packet) Role {
	if tun.Version == 2 {
		if p.IKE.IsInitiator() {
			return RoleInitiator
		}
		return RoleResponder
	}
	return tun.roleOfSource(p)
}

func (tun *Tunnel) updateEndpoint(from Role, src netip.AddrPort, p *decode.Packet) {
	cur := &tun.Initiator
	if from == RoleResponder {
		cur = &tun.Responder
	}
	if *cur == src {
		if p.NonESPMarker {
			tun.floated[from] = true
		}
		return
	}
	// The NAT-T float (RFC 3947 §4, RFC 7296 §2.23): the peer's first move,
	// at the same address, to a port where it sends IKE behind the non-ESP
	// marker. It is 500 to 4500 unless a NAT in front of the peer
	// translates the ports (10500 to 14500, say).
	float := cur.Addr() == src.Addr() && !tun.floated[from] &&
		(p.NonESPMarker || cur.Port() == 500 && src.Port() == 4500)
	if p.NonESPMarker {
		tun.floated[from] = true
	}
	if len(tun.EndpointChanges) < maxEndpointChanges {
		tun.EndpointChanges = append(tun.EndpointChanges, EndpointChange{
			Time: p.Time, Frame: p.Frame, Peer: from, From: *cur, To: src, Float: float,
		})
	} else {
		tun.EndpointChangesNotKept++
	}
	*cur = src
}

func (tun *Tunnel) addNATD(from Role, m *decode.IKEMessage, frame int) {
	if len(m.NATD) == 0 {
		return
	}
	n := &tun.NATD[from]
	n.Sent = true
	n.Frames.Add(frame)
	for _, d := range m.NATD {
		if !slices.Contains(n.PayloadTypes, d.PayloadType) {
			n.PayloadTypes = append(n.PayloadTypes, d.PayloadType)
		}
		if d.PortZero {
			n.PortZero = true
		}
		switch d.Match {
		case decode.NATDUnknown:
			n.Unverified = true
		case decode.NATDMatched:
			if d.Kind == decode.NATDSource {
				n.SourceMatched = true
			} else {
				n.DestMatched = true
			}
		case decode.NATDMismatch:
			if d.Kind == decode.NATDSource {
				n.SourceMismatch = true
			} else {
				n.DestMismatch = true
			}
		}
	}
	// A peer with several source hashes (one per local address, RFC 7296
	// §2.23) matches if any matches.
	if n.SourceMatched {
		n.SourceMismatch = false
	}
}

func (tun *Tunnel) addVendorIDs(from Role, m *decode.IKEMessage) {
	for _, v := range m.VendorIDs {
		name := v.Name
		if name == "" {
			name = hexString(v.Data)
		}
		if !slices.Contains(tun.VendorIDs[from], name) && len(tun.VendorIDs[from]) < 32 {
			tun.VendorIDs[from] = append(tun.VendorIDs[from], name)
		}
		if decode.IsNATTVendorID(v.Data) && !slices.Contains(tun.NATTVendorIDs[from], name) {
			tun.NATTVendorIDs[from] = append(tun.NATTVendorIDs[from], name)
		}
		if decode.IsFragmentationVendorID(v.Data) {
			tun.FragmentationOK[from] = true
		}
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&0xf])
	}
	return s.String()
}

// Bounds of the notifies a tunnel records: the first notifySample
// sightings of each notify from each peer, the later ones counted (More),
// and notifyKindsKept kinds of notify in all. A peer that sends one error
// a thousand times then crowds out neither the count of its sightings nor
// another error sent later.
const (
	notifySample    = 8
	notifyKindsKept = 32
)

// notifyKind is one kind of notify a tunnel's lists hold: its sender and
// type, how many of its sightings are listed, and where the last is.
type notifyKind struct {
	from  Role
	typ   decode.NotifyType
	error bool
	n     int
	last  int // index in ErrorNotifies or StatusNotifies
}

// keepNotify lists a notify's sighting within the bounds.
func (tun *Tunnel) keepNotify(seen NotifySeen, isError bool) {
	list := &tun.StatusNotifies
	if isError {
		list = &tun.ErrorNotifies
	}
	for i := range tun.notifyKinds {
		k := &tun.notifyKinds[i]
		if k.from != seen.From || k.typ != seen.Type || k.error != isError {
			continue
		}
		if k.n >= notifySample {
			(*list)[k.last].More++
			return
		}
		k.n++
		k.last = len(*list)
		*list = append(*list, seen)
		return
	}
	if len(tun.notifyKinds) >= notifyKindsKept {
		tun.NotifiesNotKept++
		return
	}
	tun.notifyKinds = append(tun.notifyKinds, notifyKind{from: seen.From, typ: seen.Type, error: isError, n: 1, last: len(*list)})
	*list = append(*list, seen)
}

func (tun *Tunnel) addNotifies(from Role, m *decode.IKEMessage, frame int) {
	for _, n := range m.Notifies {
		if n.Type == decode.NotifyTypeIKEv2FragmentationSupported && m.Version == 2 {
			tun.FragmentationOK[from] = true
		}
		seen := NotifySeen{Type: n.Type, Name: n.Type.Name(m.Version), Frame: frame, From: from}
		if m.Decryption != nil && m.Decryption.Status == decode.Decrypted {
			seen.Decrypted, seen.Key = true, m.Decryption.Key
		}
		tun.keepNotify(seen, n.Type.IsError())
	}
}

// ageExchange leaves out the oldest settled INFORMATIONAL exchange past the
// first keptFirst, one last seen agedAfter before now or earlier (no late
// retransmission of it is to come, which would pass for a new exchange),
// and reports whether there was one.
func (tun *Tunnel) ageExchange(now time.Time) bool {
	for i := keptFirst; i < len(tun.Exchanges); i++ {
		e := tun.Exchanges[i]
		settled := e.Type == decode.ExchangeTypeInformational && e.Answered ||
			e.Type == decode.ExchangeTypeInformationalV1 && e.Complete
		if !settled || now.Sub(e.Last) < agedAfter {
			continue
		}
		key := exchangeKey{msgID: e.MessageID}
		if tun.Version == 2 {
			key.from = e.From
		}
		if tun.exchangeIndex[key] == e {
			delete(tun.exchangeIndex, key)
		}
		tun.Exchanges = slices.Delete(tun.Exchanges, i, i+1)
		tun.ExchangesAged++
		return true
	}
	return false
}

// v1ExchangeLength is how many messages an IKEv1 exchange has when it
// completes (RFC 2409 §5, §5.5; RFC 2408 §4.8).
func v1ExchangeLength(e decode.ExchangeType) int {
	switch e {
	case decode.ExchangeTypeIdentityProtection:
		return 6
	case decode.ExchangeTypeAggressive, decode.ExchangeTypeQuickMode:
		return 3
	case decode.ExchangeTypeInformationalV1:
		return 1
	}
	return 2
}

func (tun *Tunnel) addExchange(from Role, p *decode.Packet) {
	m := p.IKE
	if tun.Version == 2 {
		tun.addExchangeV2(from, p)
		return
	}
	// IKEv1: one exchange per message ID; messages alternate between the
	// peers, and a repeated message is a retransmission.
	key := exchangeKey{msgID: m.MessageID}
	e := tun.exchangeIndex[key]
	if e == nil {
		e = tun.newExchange(key, m.Exchange, from, p)
		if e == nil {
			return
		}
	}
	e.Last = p.Time
	if m.Encrypted {
		e.Encrypted = true
	}
	if slices.Contains(e.seen, p.PayloadHash) {
		e.Retransmissions++
		tun.Retransmissions++
		if e.Complete && from != e.lastFrom {
			// The exchange's final message was sent, and the other
			// peer sends its earlier message again: the final one did
			// not reach it, or was not accepted.
			e.ResentAfterEndFrames.Add(p.Frame)
		}
		if from == e.From {
			e.RequestFrames.Add(p.Frame)
		} else {
			e.ResponseFrames.Add(p.Frame)
		}
		return
	}
	if len(e.seen) < 16 {
		e.seen = append(e.seen, p.PayloadHash)
	}
	e.Messages++
	if from == e.From {
		e.RequestFrames.Add(p.Frame)
	} else {
		e.ResponseFrames.Add(p.Frame)
		e.Answered = true
		e.ResponseNotifies = appendNotifyTypes(e.ResponseNotifies, m)
	}
	e.lastFrom = from
	e.waiting = true
	if e.Messages >= v1ExchangeLength(e.Type) {
		e.Complete = true
		e.waiting = false
	}
}

func (tun *Tunnel) addExchangeV2(from Role, p *decode.Packet) {
	m := p.IKE
	response := m.IsResponse()
	requester := from
	if response {
		requester = 1 - from
	}
	key := exchangeKey{from: requester, msgID: m.MessageID}
	e := tun.exchangeIndex[key]
	if !response && e != nil && !slices.Contains(e.seen, p.PayloadHash) && e.Answered {
		// A new request reusing the message ID after an answer: IKE_SA_INIT
		// again with a COOKIE or another KE group (RFC 7296 §2.6, §1.2).
		e = nil
	}
	if e == nil {
		// A new request, or a response whose request the capture missed.
		if e = tun.newExchange(key, m.Exchange, requester, p); e == nil {
			return
		}
	}
	e.Last = p.Time
	if m.Encrypted {
		e.Encrypted = true
	}
	repeated := slices.Contains(e.seen, p.PayloadHash)
	if !repeated && len(e.seen) < 16 {
		e.seen = append(e.seen, p.PayloadHash)
	}
	if response {
		e.ResponseFrames.Add(p.Frame)
		if repeated {
			e.Retransmissions++
			tun.Retransmissions++
			return
		}
		e.Messages++
		e.Answered = true
		e.ResponseNotifies = appendNotifyTypes(e.ResponseNotifies, m)
		return
	}
	e.RequestFrames.Add(p.Frame)
	if repeated {
		e.Retransmissions++
		tun.Retransmissions++
		return
	}
	e.Messages++
}

func appendNotifyTypes(dst []decode.NotifyType, m *decode.IKEMessage) []decode.NotifyType {
	for _, n := range m.Notifies {
		if len(dst) < 16 {
			dst = append(dst, n.Type)
		}
	}
	return dst
}

func (tun *Tunnel) newExchange(key exchangeKey, typ decode.ExchangeType, from Role, p *decode.Packet) *Exchange {
	switch {
	case len(tun.Exchanges) >= maxExchanges:
		if !tun.ageExchange(p.Time) {
			tun.ExchangesOverflow++
			return nil
		}
	case tun.budget != nil && !tun.budget.take(exchangeCost, p.Frame):
		tun.ExchangesOverflow++
		return nil
	}
	e := &Exchange{
		Type:      typ,
		MessageID: key.msgID,
		From:      from,
		First:     p.Time,
		Port:      p.DstPort,
		TCP:       p.TCPEncap || p.Proto == ProtoTCP,
	}
	if p.IKE.IsResponse() {
		e.Port = p.SrcPort
	}
	tun.Exchanges = append(tun.Exchanges, e)
	tun.exchangeIndex[key] = e
	return e
}
