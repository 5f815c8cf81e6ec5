package flows

import (
	"math"
	"net/netip"
	"slices"
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
	// ones overflow either way. Rules ask of the other traffic no more
	// than whether it went both ways, and, of two captures, which
	// addresses each holds and which packets lay outside their common
	// span, which [Correlate] tells from the conversations' keys and the
	// second pass; the flows command and the terminal UI, which list
	// every conversation, leave it unset. [Analyze] runs the table on a goroutine of
	// its own while the source's goroutine decodes, so that a capture uses
	// two cores, with or without it; with it, other traffic is handed over
	// as conversation keys, a fifth of a packet.
	SummarizeOther bool
	// keepOthers, with SummarizeOther, keeps the summarised conversations
	// in the analysis for Correlate to read their addresses.
	keepOthers bool
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
	recent    *flowCache // of flows
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
	if t.recent == nil {
		t.recent = new(flowCache)
	}
	f := t.recent.lookup(&k, t.flows)
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
		*t.recent.slot(&k) = flowCacheEntry{k, f}
	}
	f.add(p, dir)
	return f, dir
}

// add accounts a packet of the flow going in direction dir.
func (f *Flow) add(p *decode.Packet, dir Dir) {
	f.Packets[dir]++
	f.Bytes[dir] += int64(p.Length)
	if f.Kinds[p.Kind] < math.MaxUint32 {
		f.Kinds[p.Kind]++
	}
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
	t.addOtherKey(k, dir, p.Frame)
}

// addOtherKey is addOther for a packet known by its flow key and
// direction. A conversation that has a flow (it carried VPN packets too)
// is summarised all the same, and counted once (Analysis.Conversations).
func (t *Table) addOtherKey(k flowKey, dir Dir, frame int) {
	bit := uint8(1) << dir
	if t.others.note(&k, bit) {
		return
	}
	if _, ok := t.flows[k]; ok {
		// Known already, from VPN packets: no new conversation.
		t.shared++
	} else if t.tracked() >= t.opts.MaxFlows || !t.budget.take(otherCost, frame) {
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
		sa.Src, sa.SrcMoved = p.Src, true
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
