package flows

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// Options configure a [Table].
type Options struct {
	// MaxFlows caps the flow table; packets of flows beyond it are counted
	// in Overflow. Zero means DefaultMaxFlows.
	MaxFlows int
	// MaxTunnels caps the tunnels tracked. Zero means DefaultMaxTunnels.
	MaxTunnels int
	// SummarizeOther keeps no [Flow] for packets that are not VPN traffic
	// (decode.KindOther): of each conversation the table remembers only
	// the directions such packets took, a few dozen bytes instead of a
	// Flow's several hundred, and [Analysis.Conversations] counts it.
	// [Analysis.Flows] then holds flows of VPN packets only. The
	// conversations count against MaxFlows as flows do, so that the same
	// ones overflow either way. It is for analysing a capture alone, where
	// rules ask of the other traffic no more than whether it went both
	// ways; [Correlate] ignores it, because matching two captures needs
	// the flows of all traffic. With it, [Analyze] runs the table on a
	// goroutine of its own while the source's goroutine decodes, so that a
	// capture uses two cores.
	SummarizeOther bool
	// MaxMemory bounds, in bytes, what the table keeps: flows, summarised
	// conversations, SAs, tunnels and their exchanges, each counted at an
	// estimate of its size. Past it, new ones are counted, not kept
	// (Analysis.Budget). Zero means DefaultMaxMemory.
	MaxMemory int64
	// MaxReorder bounds the packets held in memory to analyse a capture
	// whose time runs backwards in time order (Capture.TimeOrder); a
	// capture with more is analysed in file order. Zero means
	// DefaultMaxReorder.
	MaxReorder int
}

// Defaults for the caps: generous for a VPN concentrator's capture, small
// enough that a hostile capture cannot exhaust memory (a flow costs a few
// hundred bytes).
const (
	DefaultMaxFlows    = 1 << 20
	maxOverflowTracked = 1 << 16
	DefaultMaxTunnels  = 1 << 17
)

// Table builds flows, tunnels, ESP SAs and PPTP sessions from the packets of
// one capture, fed in capture order with Add.
type Table struct {
	opts Options

	flows     map[flowKey]*Flow
	flowOrder []*Flow
	// others holds, with Options.SummarizeOther, the directions in which
	// each conversation carried packets that are not VPN traffic (bit
	// 1<<Dir); shared counts the conversations that are in both maps,
	// those that carried VPN packets too.
	others *otherSet
	shared int
	// OverflowFlows counts flows not tracked because of MaxFlows, and
	// OverflowPackets their packets.
	OverflowFlows   int
	OverflowPackets int
	// OverflowFlowsAtLeast is set when more flows overflowed than are
	// told apart: OverflowFlows is then a lower bound.
	OverflowFlowsAtLeast bool
	overflowKeys         map[flowKey]struct{}

	tunnels     map[tunnelKey]*Tunnel
	tunnelOrder []*Tunnel
	// OverflowTunnels counts IKE SAs not tracked because of MaxTunnels or
	// the memory bound, OverflowSAs the ESP and AH SAs.
	OverflowTunnels int
	OverflowSAs     int
	// budget bounds the bytes of what the table keeps (Options.MaxMemory).
	budget *Budget
	// scratchSA stands for an SA past the bounds (addSA).
	scratchSA ESPSA
	// peers maps an address pair to the latest tunnel between them, for
	// attaching ESP and keepalives as they arrive.
	peers map[addrPair]*Tunnel
	// peerPorts maps an address-and-port pair to the latest tunnel whose
	// IKE used it: two clients behind one NAT share the outside address
	// but not the port, and their ESP-in-UDP must not be confused.
	peerPorts map[addrPortPair]*Tunnel

	sas     map[saKey]*ESPSA
	saOrder []*ESPSA
	// childSPIs maps the SPIs of child SAs negotiated in decrypted IKE
	// messages to their tunnel (decrypted.go).
	childSPIs map[uint32]*Tunnel

	pptp *pptpTracker
	icmp icmpTracker

	Packets     int
	First, Last time.Time
	Kinds       [decode.NumKinds]int

	quality Quality
	// natPeers traces the VPN traffic of each address pair (nattrace.go).
	natPeers map[addrPair]*PeerTrace
}

type tunnelKey struct {
	version uint8
	spiI    uint64
}

// addrPair is an unordered pair of addresses.
type addrPair struct{ a, b netip.Addr }

// addrPortPair is an unordered pair of address-and-port endpoints.
type addrPortPair struct{ a, b netip.AddrPort }

func newAddrPortPair(x, y netip.AddrPort) addrPortPair {
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return addrPortPair{x, y}
}

// tunnelBetween returns the tunnel ESP or keepalives between two endpoints
// belong to: the one whose IKE used the same addresses and ports (UDP
// encapsulation), else the latest one between the addresses.
func (t *Table) tunnelBetween(src, dst netip.Addr, sport, dport uint16) *Tunnel {
	if sport != 0 || dport != 0 {
		if tun := t.peerPorts[newAddrPortPair(netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport))]; tun != nil {
			return tun
		}
	}
	return t.peers[newAddrPair(src, dst)]
}

func newAddrPair(x, y netip.Addr) addrPair {
	if y.Less(x) {
		x, y = y, x
	}
	return addrPair{x, y}
}

// NewTable returns an empty table.
func NewTable(opts Options) *Table {
	if opts.MaxFlows <= 0 {
		opts.MaxFlows = DefaultMaxFlows
	}
	if opts.MaxTunnels <= 0 {
		opts.MaxTunnels = DefaultMaxTunnels
	}
	if opts.MaxMemory <= 0 {
		opts.MaxMemory = DefaultMaxMemory
	}
	t := &Table{
		opts:      opts,
		flows:     make(map[flowKey]*Flow),
		tunnels:   make(map[tunnelKey]*Tunnel),
		peers:     make(map[addrPair]*Tunnel),
		peerPorts: make(map[addrPortPair]*Tunnel),
		sas:       make(map[saKey]*ESPSA),
		pptp:      newPPTPTracker(),
		budget:    &Budget{Limit: opts.MaxMemory},
	}
	if opts.SummarizeOther {
		t.others = newOtherSet()
	}
	return t
}

// Add accounts one packet. Packets must come in capture order.
func (t *Table) Add(p *decode.Packet) {
	t.count(p)
	t.account(p)
}

// count adds a packet to the capture's totals: Packets, Kinds, First and
// Last. It touches nothing else of the table.
func (t *Table) count(p *decode.Packet) {
	t.Packets++
	t.Kinds[p.Kind]++
	if t.First.IsZero() || p.Time.Before(t.First) {
		t.First = p.Time
	}
	if p.Time.After(t.Last) {
		t.Last = p.Time
	}
}

// account accounts a packet already counted to its flow, tunnel, SA or
// session.
func (t *Table) account(p *decode.Packet) {
	if p.DuplicateOf != 0 {
		// The same frame captured twice: counted, and kept out of the
		// flows, tunnels and SAs, where it would pass for a
		// retransmission or a repeated sequence number.
		t.quality.noteDuplicate(p)
		return
	}
	t.noteQuality(p)
	if p.Kind == decode.KindIPFragment {
		// The reassembled datagram is accounted when it completes; the
		// fragments themselves belong to no flow.
		return
	}
	if !p.Src.IsValid() || !p.Dst.IsValid() {
		return
	}
	if p.Kind == decode.KindOther && t.others != nil {
		t.addOther(p)
		return
	}
	f, dir := t.flow(p)
	switch p.Kind {
	case decode.KindIKE:
		if p.IKE != nil {
			tun := t.addIKE(p)
			if f != nil && tun != nil {
				f.Tunnel = tun.ID
			}
			t.trace(p, tun)
		}
	case decode.KindMalformed:
		if p.IKE != nil && p.IKE.SPIi != 0 {
			t.trace(p, t.addIKE(p))
		}
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
		sa := t.addSA(p, p.ESP, false, f, dir)
		if f != nil && sa.Tunnel != 0 && f.Key.Proto != ProtoESP {
			f.Tunnel = sa.Tunnel
		}
		t.trace(p, t.tunnelByID(sa.Tunnel))
	case decode.KindAH:
		t.addSA(p, p.AH, true, f, dir)
	case decode.KindNATKeepalive:
		if tun := t.tunnelBetween(p.Src, p.Dst, p.SrcPort, p.DstPort); tun != nil {
			tun.Keepalives.add(tun.roleOfSource(p), p.Time, p.Frame)
			tun.touch(p.Time, p.Frame)
			if f != nil {
				f.Tunnel = tun.ID
			}
			t.trace(p, tun)
		}
	case decode.KindPPTP, decode.KindGRE:
		t.pptp.add(p)
	case decode.KindICMPError:
		if p.ICMP != nil {
			t.addICMPError(p)
		}
	}
}

// PacketKey returns the key of the flow a packet belongs to and its
// direction in it.
func PacketKey(p *decode.Packet) (Key, Dir) {
	var id uint32
	src := netip.AddrPortFrom(p.Src, p.SrcPort)
	dst := netip.AddrPortFrom(p.Dst, p.DstPort)
	switch p.Kind {
	case decode.KindESP:
		id = p.ESP.SPI
	case decode.KindAH:
		id = p.AH.SPI
	case decode.KindGRE:
		if p.GRE.Version == 1 {
			id = uint32(p.GRE.CallID)
		} else {
			id = p.GRE.Key
		}
	}
	if p.Proto == ProtoESP || p.Proto == ProtoAH || p.Proto == ProtoGRE {
		src = netip.AddrPortFrom(p.Src, 0)
		dst = netip.AddrPortFrom(p.Dst, 0)
	}
	return NewKey(p.Proto, src, dst, id)
}

// flow finds or creates the packet's flow and returns it with the packet's
// direction in it; nil when the table is full.
func (t *Table) flow(p *decode.Packet) (*Flow, Dir) {
	k, dir := packetFlowKey(p)
	f := t.flows[k]
	if f == nil {
		if t.others.has(&k) {
			// Known already, from packets that were not VPN traffic: no
			// new conversation, so not subject to MaxFlows.
			t.shared++
		} else if t.tracked() >= t.opts.MaxFlows || !t.budget.take(flowCost, p.Frame) {
			t.overflow(k)
			return nil, dir
		}
		key, _ := PacketKey(p)
		f = &Flow{Key: key, First: p.Time}
		t.flows[k] = f
		t.flowOrder = append(t.flowOrder, f)
	}
	f.add(p, dir)
	return f, dir
}

// add accounts a packet of the flow going in direction dir.
func (f *Flow) add(p *decode.Packet, dir Dir) {
	f.Packets[dir]++
	f.Bytes[dir] += int64(p.Length)
	f.Kinds[p.Kind]++
	if p.Time.After(f.Last) {
		f.Last = p.Time
	}
	f.Frames.Add(p.Frame)
}

// tracked returns the number of conversations the table tracks, in flows
// or summarised.
func (t *Table) tracked() int { return len(t.flows) + t.others.len() - t.shared }

// overflow counts a packet of a conversation the full table cannot track.
func (t *Table) overflow(k flowKey) {
	if t.overflowKeys == nil {
		t.overflowKeys = make(map[flowKey]struct{})
	}
	// Count distinct overflowing flows, but bound even that set: past it,
	// packets are still counted.
	if _, ok := t.overflowKeys[k]; !ok {
		if len(t.overflowKeys) < maxOverflowTracked {
			t.overflowKeys[k] = struct{}{}
			t.OverflowFlows++
		} else {
			t.OverflowFlowsAtLeast = true
		}
	}
	t.OverflowPackets++
}

// addOther accounts a packet that is not VPN traffic when
// Options.SummarizeOther is set: it notes the packet's direction in its
// conversation.
func (t *Table) addOther(p *decode.Packet) {
	k, dir := packetFlowKey(p)
	t.addOtherKey(k, dir)
}

// addOtherKey is addOther for a packet known by its flow key and
// direction. A conversation that has a flow (it carried VPN packets too)
// is summarised all the same, and counted once (Analysis.Conversations).
func (t *Table) addOtherKey(k flowKey, dir Dir) {
	bit := uint8(1) << dir
	if t.others.note(&k, bit) {
		return
	}
	if _, ok := t.flows[k]; ok {
		// Known already, from VPN packets: no new conversation.
		t.shared++
	} else if t.tracked() >= t.opts.MaxFlows || !t.budget.take(otherCost, 0) {
		t.overflow(k)
		return
	}
	t.others.insert(&k, bit)
}

// addSA accounts an ESP or AH packet to its SA. f is the packet's flow
// (nil when the flow table is full) and dir the packet's direction in it:
// the flow remembers the SA each of its directions last had, which spares
// the SA lookup for the next packet of the same SA.
func (t *Table) addSA(p *decode.Packet, info decode.ESPInfo, ah bool, f *Flow, dir Dir) *ESPSA {
	var sa *ESPSA
	if f != nil {
		// A flow direction has one destination address, the SA's.
		if c := f.sa[dir]; c != nil && c.SPI == info.SPI && c.AH == ah && c.Dst == p.Dst {
			sa = c
		}
	}
	if sa == nil {
		k := newSAKey(info.SPI, ah, p.Dst)
		sa = t.sas[k]
		stored := sa != nil
		if sa == nil {
			if len(t.sas) < t.opts.MaxFlows && t.budget.take(saCost, p.Frame) {
				sa = &ESPSA{SPI: info.SPI, AH: ah, Src: p.Src, Dst: p.Dst}
				t.sas[k] = sa
				t.saOrder = append(t.saOrder, sa)
				stored = true
			} else {
				// Past the bounds, a packet's SA is counted and worked
				// on in scratch space: a flood of SPIs allocates
				// nothing more.
				t.OverflowSAs++
				t.scratchSA = ESPSA{SPI: info.SPI, AH: ah, Src: p.Src, Dst: p.Dst}
				sa = &t.scratchSA
			}
			// An SA not kept is made anew for each of its packets: a
			// tunnel must not collect those.
			switch tun := t.childSPIs[info.SPI]; {
			case !stored:
			case tun != nil:
				t.attachExact(tun, sa)
			default:
				if tun := t.tunnelBetween(p.Src, p.Dst, p.SrcPort, p.DstPort); tun != nil {
					tun.attach(sa)
				}
			}
		}
		// Only an SA of the map stands for its key: one made while the
		// map was full is made anew for every packet, as before.
		if f != nil && stored {
			f.sa[dir] = sa
		}
	}
	if sa.Src != p.Src {
		sa.Src = p.Src
	}
	sa.add(p, info.Seq)
	if sa.Tunnel != 0 {
		if tun := t.tunnelByID(sa.Tunnel); tun != nil {
			tun.touch(p.Time, p.Frame)
		}
	}
	return sa
}

func (t *Table) tunnelByID(id int) *Tunnel {
	if id <= 0 || id > len(t.tunnelOrder) {
		return nil
	}
	return t.tunnelOrder[id-1]
}

func (tun *Tunnel) attach(sa *ESPSA) {
	sa.Tunnel = tun.ID
	sa.Inferred = true
	tun.ESPSAs = append(tun.ESPSAs, sa)
}

// touch records activity for the idle-gap measure.
func (tun *Tunnel) touch(ts time.Time, frame int) {
	if !tun.lastActivity.IsZero() {
		if gap := ts.Sub(tun.lastActivity); gap > tun.LargestGap {
			tun.LargestGap = gap
			tun.GapBefore, tun.GapAfter = tun.lastActivityFrame, frame
		}
	}
	if ts.After(tun.lastActivity) || tun.lastActivity.IsZero() {
		tun.lastActivity = ts
		tun.lastActivityFrame = frame
	}
	if ts.After(tun.Last) {
		tun.Last = ts
	}
}

// roleOfSource says which peer sent a packet, by address (and port where
// both peers share an address).
func (tun *Tunnel) roleOfSource(p *decode.Packet) Role {
	src := netip.AddrPortFrom(p.Src, p.SrcPort)
	if src == tun.Initiator {
		return RoleInitiator
	}
	if src == tun.Responder {
		return RoleResponder
	}
	if slices.Contains(tun.addrs[RoleInitiator], p.Src) && !slices.Contains(tun.addrs[RoleResponder], p.Src) {
		return RoleInitiator
	}
	if slices.Contains(tun.addrs[RoleResponder], p.Src) {
		return RoleResponder
	}
	return RoleInitiator
}

func (tun *Tunnel) noteAddr(r Role, a netip.Addr) {
	if !slices.Contains(tun.addrs[r], a) && len(tun.addrs[r]) < 8 {
		tun.addrs[r] = append(tun.addrs[r], a)
	}
}

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
		tun = &Tunnel{
			budget:        t.budget,
			ID:            len(t.tunnelOrder) + 1,
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
	tun.Messages++
	tun.Frames.Add(p.Frame)
	tun.touch(p.Time, p.Frame)

	from := tun.senderRole(p)
	tun.noteStray(from, p)
	tun.noteAddr(from, p.Src)
	tun.noteAddr(1-from, p.Dst)
	tun.updateEndpoint(from, src, p)

	// NAT-T port float, port use after it, and marker misuse.
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
	case !tcp && tun.Float && (p.SrcPort == 500 || p.DstPort == 500):
		tun.Port500AfterFloat++
		tun.Port500AfterFloatFrame.Add(p.Frame)
	}

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

// maxNotifiesKept bounds the notifies a tunnel records.
const maxNotifiesKept = 64

func (tun *Tunnel) addNotifies(from Role, m *decode.IKEMessage, frame int) {
	for _, n := range m.Notifies {
		if n.Type == decode.NotifyTypeIKEv2FragmentationSupported && m.Version == 2 {
			tun.FragmentationOK[from] = true
		}
		seen := NotifySeen{Type: n.Type, Name: n.Type.Name(m.Version), Frame: frame, From: from}
		if m.Decryption != nil && m.Decryption.Status == decode.Decrypted {
			seen.Decrypted, seen.Key = true, m.Decryption.Key
		}
		if n.Type.IsError() {
			if len(tun.ErrorNotifies) < maxNotifiesKept {
				tun.ErrorNotifies = append(tun.ErrorNotifies, seen)
			}
		} else if len(tun.StatusNotifies) < maxNotifiesKept {
			tun.StatusNotifies = append(tun.StatusNotifies, seen)
		}
	}
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
			e.ResentAfterEnd++
			e.ResentAfterEndFrames.Add(p.Frame)
		}
		if from == e.From {
			e.Requests++
			e.RequestFrames.Add(p.Frame)
		} else {
			e.Responses++
			e.ResponseFrames.Add(p.Frame)
		}
		return
	}
	if len(e.seen) < 16 {
		e.seen = append(e.seen, p.PayloadHash)
	}
	e.Messages++
	if from == e.From {
		e.Requests++
		e.RequestFrames.Add(p.Frame)
	} else {
		e.Responses++
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
		e.Responses++
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
	e.Requests++
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
	if len(tun.Exchanges) >= maxExchanges || tun.budget != nil && !tun.budget.take(exchangeCost, p.Frame) {
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
