package decode

import (
	"encoding/binary"
	"net/netip"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode/keys"
)

// Options configure a [Decoder]. The zero value decodes the standard ports
// with default bounds.
type Options struct {
	// IKEPorts are extra ports, besides 500 and 4500, on which to decode
	// IKE and ESP, for peers configured on non-standard ports or
	// NAT-translated captures. Such a port may serve as 500 does or as
	// 4500 does, so on UDP the payload decides: an IKE header is IKE
	// without the non-ESP marker (no fault there), four zero octets are
	// the marker with IKE behind it, a single 0xFF octet a keepalive,
	// anything else ESP (RFC 3947 §4, RFC 3948 §2). On TCP they carry RFC
	// 9329 streams.
	IKEPorts []uint16
	// MaxFragments bounds the IP datagrams in reassembly at once (default
	// DefaultMaxFragments); when full, the oldest is given up. MaxStreams
	// bounds the TCP streams tracked for PPTP and RFC 9329 (default
	// DefaultMaxStreams); segments of further streams are counted as
	// undecodable.
	MaxFragments, MaxStreams int
	// HashAll computes PayloadHash and PayloadLen for packets that are not
	// VPN traffic too, for correlating two captures of the same traffic.
	// It costs a hash of every payload.
	HashAll bool
	// KeepOther makes Decode return KindOther packets too (addresses,
	// ports, IPID, and with HashAll the payload hash) instead of only
	// counting them.
	KeepOther bool
	// SkipPayloadHash leaves PayloadHash zero for ESP and AH packets over
	// IP or UDP, GRE packets, NAT-T keepalives and IP fragments (their
	// PayloadLen is still set). Only matching one packet seen in two
	// captures compares those hashes, and hashing them reads every octet
	// of most of a VPN capture. IKE messages are always hashed: telling a
	// retransmission from a new message needs it. HashAll overrides it.
	SkipPayloadHash bool
	// Keys, when it holds keys, decrypts IKE messages (IKEv2 SK and SKF,
	// IKEv1 with the E flag) and ESP packets of the SAs it has keys for;
	// see [IKEMessage.Decryption] and [Packet.Decrypted]. Traffic of other
	// SAs and non-VPN traffic cost nothing more.
	Keys *keys.Store
}

// Defaults for [Options] bounds.
const (
	DefaultMaxFragments = 1024
	DefaultMaxStreams   = 1024
)

// Limits that keep hostile input from costing unbounded time.
const (
	maxVLANTags    = 8  // stacked 802.1Q/802.1ad tags
	maxIPDepth     = 4  // IP-in-IP and IPv6-in-IPv4 nesting
	maxIPv6ExtHdrs = 16 // extension headers in one IPv6 header chain
)

// Stats counts what a [Decoder] saw, so that nothing is dropped silently.
// Every frame is accounted for exactly once: it yielded at least one packet
// (FramesWithPackets), or its TCP segment went into a stream without
// completing a message (StreamSegments), or it could not be decoded
// (Undecodable, by reason).
type Stats struct {
	// Frames is the number of records passed to Decode.
	Frames int
	// Kinds counts the packets of each kind, including KindOther packets
	// that Decode did not return, reassembled datagrams and TCP messages
	// (a frame can yield several packets, or none).
	Kinds [NumKinds]int
	// Undecodable counts frames that yielded no packet, by the message of
	// their fault, such as "unknown link type 147" or "truncated ipv4
	// header": a count for people to read, keyed by what they read.
	Undecodable map[string]int
	// Malformed counts KindMalformed packets by the layer of their fault
	// ("ike", "udp", "esp", "pptp", "ipv4"…).
	Malformed map[string]int
	// FramesWithPackets is the number of frames that yielded at least one
	// packet.
	FramesWithPackets int
	// StreamSegments is the number of frames whose TCP segment was taken
	// by PPTP or RFC 9329 stream reassembly without completing a message.
	StreamSegments int
	// Reassembled is the number of datagrams reassembled from IP fragments.
	Reassembled int
	// FragmentSetsDropped is the number of fragmented datagrams given up:
	// incomplete at timeout or at the end, evicted, or inconsistent.
	FragmentSetsDropped int
	// Truncated is the number of frames captured shorter than they were on
	// the wire (snap length).
	Truncated int
	// VPNFrames is the number of frames that yielded at least one VPN
	// packet (any kind but KindOther). Kinds counts more than that when a
	// frame yields several: an IP fragment and the datagram it completes,
	// AH and the ESP it protects, several messages of one TCP segment.
	VPNFrames int
	// Duplicates is the number of VPN frames that repeat at the IP layer a
	// frame captured less than DuplicateWindow before: the same packet
	// captured twice (see Packet.DuplicateOf).
	Duplicates int
	// Clock describes the frames' time stamps: whether time runs backwards
	// somewhere, or is the same on every frame.
	Clock Clock
}

// Accounted returns the number of frames accounted for:
// FramesWithPackets + StreamSegments + every Undecodable count. It equals
// Frames.
func (s *Stats) Accounted() int {
	n := s.FramesWithPackets + s.StreamSegments
	for _, c := range s.Undecodable {
		n += c
	}
	return n
}

// Decoder turns capture records into [Packet]s. It keeps the state that
// spans packets: IP fragments being reassembled, TCP streams of PPTP and
// RFC 9329, and what NAT-D verification learns from IKEv1 SA payloads. A
// Decoder is for one capture and is not safe for concurrent use.
type Decoder struct {
	opts     Options
	ikePorts portSet // IKE ports with the 4500 demux

	out   []Packet
	stats Stats
	// unknownLinks caches the fault "unknown link type N", so that a
	// capture of an unsupported link type does not format a string per
	// frame.
	unknownLinks map[layers.LinkType]Fault

	cur        Packet // the packet being built for the current frame
	curPackets int    // packets the current frame yielded
	curStream  bool   // the current frame went into a TCP stream
	curVPN     bool   // the current frame yielded a VPN packet
	// ipBytes is the outermost IP packet of the current frame, as
	// captured; it aliases the record and is valid during decode.
	// frameStart is where the frame's packets begin in out, and
	// copyChecked is set once the frame was checked for being a copy.
	ipBytes     []byte
	frameStart  int
	copyChecked bool
	inFrame     bool // packets emitted now belong to the current frame
	afterAH     bool // decoding what an AH header protects
	now         time.Time

	eth    layers.Ethernet
	vlan   layers.Dot1Q
	sll    layers.LinuxSLL
	sll2   layers.LinuxSLL2
	loop   layers.Loopback
	ip6frg layers.IPv6Fragment
	udp    layers.UDP
	tcp    layers.TCP
	esp    ESP
	ah     AH
	gre    GRE
	// pptpMsg decodes the control messages that tcp.go frames.
	pptpMsg PPTP
	// icmp decodes ICMP errors; only those quoting VPN traffic are
	// copied out of it.
	icmp ICMPError

	natd    NATDVerifier
	dec     *decrypter // nil without keys
	frags   defragmenter
	streams *tcpStreams
	dups    dupTable
}

// NewDecoder returns a Decoder with the given options.
func NewDecoder(opts Options) *Decoder {
	if opts.MaxFragments <= 0 {
		opts.MaxFragments = DefaultMaxFragments
	}
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = DefaultMaxStreams
	}
	d := &Decoder{
		opts: opts,
		out:  make([]Packet, 0, 4),
		stats: Stats{
			Undecodable: map[string]int{},
			Malformed:   map[string]int{},
		},
		unknownLinks: map[layers.LinkType]Fault{},
	}
	if !opts.Keys.Empty() {
		d.dec = newDecrypter(opts.Keys)
	}
	d.frags.init(opts.MaxFragments)
	d.setIKEPort(PortIKENATT)
	for _, p := range opts.IKEPorts {
		if p != PortIKE {
			d.setIKEPort(p)
		}
	}
	return d
}

func (d *Decoder) setIKEPort(p uint16)     { d.ikePorts.set(p) }
func (d *Decoder) isIKEPort(p uint16) bool { return d.ikePorts.has(p) }
func (d *Decoder) keep(k Kind) bool        { return k != KindOther || d.opts.KeepOther }
func (d *Decoder) hashOther() bool         { return d.opts.HashAll }

// Stats returns the counts so far. The maps are copies.
func (d *Decoder) Stats() Stats {
	s := d.stats
	s.Undecodable = make(map[string]int, len(d.stats.Undecodable))
	for k, v := range d.stats.Undecodable {
		s.Undecodable[k] = v
	}
	s.Malformed = make(map[string]int, len(d.stats.Malformed))
	for k, v := range d.stats.Malformed {
		s.Malformed[k] = v
	}
	return s
}

// Decode decodes one record and returns the packets it yields: none (a
// frame that is not VPN traffic, unless Options.KeepOther; a TCP segment
// that completes no message), one, or several (a TCP segment that
// completes several PPTP messages; an IP fragment that completes a
// datagram, reported as a KindIPFragment packet and then the datagram as
// its own kind at the same frame, as Wireshark shows it; an AH packet and
// the ESP it protects). Packets whose fragments or stream bytes timed out
// are reported when capture time passes their deadline, with their own
// frame numbers.
//
// The returned slice is reused by the next call to Decode or Flush; the
// packets in it are values that own everything they hold.
func (d *Decoder) Decode(rec *Record) []Packet {
	d.out = d.out[:0]
	d.decode(rec)
	return d.out
}

// decode decodes one record, appending its packets to d.out.
func (d *Decoder) decode(rec *Record) {
	d.stats.Frames++
	frame := rec.Frame
	if frame <= 0 {
		frame = d.stats.Frames
	}
	d.stats.Clock.Note(frame, rec.Time)
	if t := rec.Time; t.After(d.now) {
		d.now = t
		d.expire()
	}

	d.cur = Packet{
		Frame:      frame,
		FirstFrame: frame,
		Time:       rec.Time.UTC(),
		Length:     rec.Length,
		CapLen:     len(rec.Data),
	}
	if rec.Length > len(rec.Data) {
		d.stats.Truncated++
	}
	if d.cur.Length < d.cur.CapLen {
		d.cur.Length = d.cur.CapLen
	}
	data := rec.Data
	if rec.FCSLen > 0 && rec.FCSLen <= len(data) && rec.Length <= len(data) {
		// The file declares a frame check sequence at the end of the
		// frame, and the frame was captured whole: it is not payload.
		data = data[:len(data)-rec.FCSLen]
	}
	d.curPackets, d.curStream, d.curVPN, d.inFrame, d.afterAH = 0, false, false, true, false
	d.ipBytes, d.frameStart, d.copyChecked = nil, len(d.out), false
	undecodable := d.decodeLink(data, rec.LinkType)
	d.inFrame = false
	if d.curVPN {
		d.stats.VPNFrames++
		if !d.copyChecked {
			d.checkCopy()
		}
	}
	d.ipBytes = nil
	switch {
	case undecodable.Kind != FaultNone:
		d.stats.Undecodable[undecodable.Message]++
	case d.curPackets > 0:
		d.stats.FramesWithPackets++
	case d.curStream:
		d.stats.StreamSegments++
	default:
		// Every decode path ends in a packet, a stream or a reason; this
		// keeps the accounting whole should one ever not.
		d.stats.Undecodable["no packet"]++
	}
}

// Flush ends the capture: IP datagrams still missing fragments and TCP
// streams ending inside a message are reported as KindMalformed packets
// (their fragments and segments were reported or counted when they were
// seen), and buffered out-of-order TCP data is delivered. The Decoder is
// empty afterwards and may be reused. The returned slice is reused by the
// next call to Decode or Flush.
func (d *Decoder) Flush() []Packet {
	d.out = d.out[:0]
	d.frags.flush(d)
	if d.streams != nil {
		d.streams.flushAll()
	}
	sortByFrame(d.out)
	return d.out
}

// sortByFrame orders packets reported by flushes, which come from maps of
// streams in no fixed order; stable, so each stream keeps its own order.
func sortByFrame(ps []Packet) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Frame < ps[j].Frame })
}

// expire gives up fragment sets and TCP stream gaps whose capture-time
// deadline passed.
func (d *Decoder) expire() {
	n := len(d.out)
	d.frags.expire(d, d.now)
	if d.streams != nil {
		d.streams.expire(d.now)
	}
	if len(d.out)-n > 1 {
		sortByFrame(d.out[n:])
	}
}

// emit counts p and adds it to the output unless it is a KindOther packet
// that is not to be kept.
func (d *Decoder) emit(p *Packet) {
	d.stats.Kinds[p.Kind]++
	if p.Kind == KindMalformed {
		d.stats.Malformed[p.Fault.Layer]++
	}
	if d.inFrame {
		d.curPackets++
		if p.Kind != KindOther {
			d.curVPN = true
		}
	}
	if d.keep(p.Kind) {
		d.out = append(d.out, *p)
	}
}

// emitCur emits the current packet as kind k.
func (d *Decoder) emitCur(k Kind) {
	d.cur.Kind = k
	d.emit(&d.cur)
}

// malformed emits the current packet as KindMalformed with fault f.
func (d *Decoder) malformed(f Fault) {
	d.cur.Fault = f
	d.emitCur(KindMalformed)
}

// other emits the current packet as KindOther, with payload b (wire
// length n) hashed when Options.HashAll is set. Behind AH, what is not VPN
// traffic is not reported: the AH packet stands for the frame.
func (d *Decoder) other(b []byte, n int) {
	if d.afterAH {
		return
	}
	if d.hashOther() {
		d.setPayload(b, n)
	}
	d.emitCur(KindOther)
}

// setPayload records the payload length and hash of the current packet:
// n is the length on the wire, b the captured bytes of it.
func (d *Decoder) setPayload(b []byte, n int) {
	if n < len(b) {
		n = len(b)
	}
	d.cur.PayloadLen = n
	d.cur.PayloadHash = PayloadHash(b)
}

// setOpaquePayload is setPayload for a payload that only correlation
// compares by hash (ESP, AH, GRE, keepalives, fragments): the hash is left
// out with Options.SkipPayloadHash.
func (d *Decoder) setOpaquePayload(b []byte, n int) {
	if d.opts.SkipPayloadHash && !d.opts.HashAll {
		d.cur.PayloadLen = max(n, len(b))
		return
	}
	d.setPayload(b, n)
}

// decodeLink decodes the link layer and what it carries. It returns the
// reason when the frame cannot be decoded at all.
func (d *Decoder) decodeLink(data []byte, lt layers.LinkType) Fault {
	if len(data) == 0 {
		return newFault(FaultTruncated, "frame", 0, "empty frame")
	}
	switch lt {
	case layers.LinkTypeEthernet:
		if len(data) < 14 {
			return newFault(FaultTruncated, "ethernet", 0, "truncated ethernet header")
		}
		// An EtherType (≥ 0x0600, IEEE 802.3 §3.2.6) is read in place, as
		// gopacket's Ethernet layer reads it, without filling in the
		// layer's fields for every frame; an 802.3 length goes through
		// the layer, which trims the payload to it.
		if et := layers.EthernetType(binary.BigEndian.Uint16(data[12:])); et >= 0x0600 {
			return d.decodeEtherType(et, data[14:])
		}
		if err := d.eth.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			return newFault(FaultTruncated, "ethernet", 0, "truncated ethernet header")
		}
		return d.decodeEtherType(d.eth.EthernetType, d.eth.Payload)
	case layers.LinkTypeLinuxSLL:
		if err := d.sll.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			if len(data) < 16 {
				return newFault(FaultTruncated, "linux sll", 0, "truncated linux sll header")
			}
			return newFault(FaultInvalid, "linux sll", 4, "linux sll: bad address length")
		}
		return d.decodeEtherType(d.sll.EthernetType, d.sll.Payload)
	case linkTypeLinuxSLL2:
		if err := d.sll2.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			if len(data) < 20 {
				return newFault(FaultTruncated, "linux sll2", 0, "truncated linux sll2 header")
			}
			return newFault(FaultInvalid, "linux sll2", 11, "linux sll2: bad address length")
		}
		return d.decodeEtherType(d.sll2.ProtocolType, d.sll2.Payload)
	case layers.LinkTypeRaw, linkTypeRawDLT12, linkTypeRawDLT14:
		switch data[0] >> 4 {
		case 4:
			return d.decodeIPv4(data, 0)
		case 6:
			return d.decodeIPv6(data, 0)
		}
		return newFault(FaultInvalid, "raw ip", 0, "raw ip: version is not 4 or 6")
	case linkTypeIPv4:
		return d.decodeIPv4(data, 0)
	case linkTypeIPv6:
		return d.decodeIPv6(data, 0)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if err := d.loop.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			if len(data) < 4 {
				return newFault(FaultTruncated, "null/loopback", 0, "truncated null/loopback header")
			}
			return newFault(FaultUnsupported, "null/loopback", 0, "null/loopback: bad address family")
		}
		switch d.loop.Family {
		case 2:
			return d.decodeIPv4(d.loop.Payload, 0)
		case 24, 28, 30: // AF_INET6 of NetBSD/OpenBSD, FreeBSD, Darwin
			return d.decodeIPv6(d.loop.Payload, 0)
		}
		d.other(nil, 0)
		return Fault{}
	case layers.LinkTypePPP, linkTypePPPHDLC:
		return d.decodePPP(data)
	}
	if f, ok := d.unknownLinks[lt]; ok {
		return f
	}
	f := newFault(FaultUnsupported, "link", -1, "unknown link type "+itoa(int(lt)))
	d.unknownLinks[lt] = f
	return f
}

// Link types that gopacket does not name (LINKTYPE_ values of
// tcpdump.org/linktypes.html).
const (
	linkTypeRawDLT12   layers.LinkType = 12  // DLT_RAW on most BSDs
	linkTypeRawDLT14   layers.LinkType = 14  // DLT_RAW on OpenBSD
	linkTypePPPHDLC    layers.LinkType = 50  // PPP in HDLC-like framing
	linkTypeIPv4       layers.LinkType = 228 // raw IPv4
	linkTypeIPv6       layers.LinkType = 229 // raw IPv6
	linkTypeLinuxSLL2  layers.LinkType = 276 // Linux cooked capture v2
	etherTypeVLAN9100                  = 0x9100
	etherTypePPPoESess                 = 0x8864
)

// decodeEtherType decodes what an EtherType says follows: VLAN tags
// (802.1Q, 802.1ad QinQ and the older 0x9100), IPv4, IPv6 or a PPPoE
// session. Anything else is not IP and is KindOther.
func (d *Decoder) decodeEtherType(et layers.EthernetType, b []byte) Fault {
	for tags := 0; et == layers.EthernetTypeDot1Q || et == layers.EthernetTypeQinQ || et == etherTypeVLAN9100; tags++ {
		if tags == maxVLANTags {
			return newFault(FaultLimit, "802.1q", -1, "more than 8 vlan tags")
		}
		if err := d.vlan.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
			return newFault(FaultTruncated, "802.1q", 0, "truncated 802.1q tag")
		}
		et, b = d.vlan.Type, d.vlan.Payload
	}
	switch et {
	case layers.EthernetTypeIPv4:
		return d.decodeIPv4(b, 0)
	case layers.EthernetTypeIPv6:
		return d.decodeIPv6(b, 0)
	case etherTypePPPoESess:
		// RFC 2516 §4: version/type, code, session ID, length, then PPP.
		if len(b) < 6 {
			return newFault(FaultTruncated, "pppoe", 0, "truncated pppoe header")
		}
		return d.decodePPPProto(b[6:])
	}
	d.other(nil, 0)
	return Fault{}
}

// decodePPP decodes a PPP frame in HDLC-like framing (RFC 1662): an
// optional address and control field, then the protocol.
func (d *Decoder) decodePPP(b []byte) Fault {
	if len(b) >= 2 && b[0] == 0xFF && b[1] == 0x03 {
		b = b[2:]
	}
	return d.decodePPPProto(b)
}

// decodePPPProto decodes a PPP protocol field (one octet when compressed,
// RFC 1661 §6.5) and IPv4 or IPv6 after it.
func (d *Decoder) decodePPPProto(b []byte) Fault {
	if len(b) == 0 {
		return newFault(FaultTruncated, "ppp", 0, "truncated ppp header")
	}
	var proto uint16
	if b[0]&1 == 1 {
		proto, b = uint16(b[0]), b[1:]
	} else {
		if len(b) < 2 {
			return newFault(FaultTruncated, "ppp", 0, "truncated ppp header")
		}
		proto, b = binary.BigEndian.Uint16(b), b[2:]
	}
	switch proto {
	case 0x0021:
		return d.decodeIPv4(b, 0)
	case 0x0057:
		return d.decodeIPv6(b, 0)
	}
	d.other(nil, 0)
	return Fault{}
}

// decodeIPv4 decodes an IPv4 header (RFC 791 §3.1) and what it carries,
// reassembling fragments. The header is read here rather than with
// gopacket's IPv4 layer, which rejects the whole datagram for a malformed
// option: options matter to no VPN protocol, and Wireshark decodes such a
// datagram (tcpdump/isakmpv1-attr-oobr.pcap of the public corpus).
func (d *Decoder) decodeIPv4(b []byte, depth int) Fault {
	if len(b) < 20 {
		return newFault(FaultTruncated, "ipv4", 0, "truncated ipv4 header")
	}
	if b[0]>>4 != 4 {
		return newFault(FaultInvalid, "ipv4", 0, "ipv4: version is not 4")
	}
	ihl := int(b[0]&0x0F) * 4
	if ihl < 20 {
		return newFault(FaultInvalid, "ipv4", 0, "ipv4: header length < 20")
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total == 0 {
		// Captured before TCP segmentation offload split the packet: the
		// length field is not filled in yet. Trust the captured length.
		total = len(b)
	}
	if total < ihl {
		return newFault(FaultInvalid, "ipv4", 2, "ipv4: total length < header length")
	}
	if len(b) < ihl {
		return newFault(FaultTruncated, "ipv4", 0, "truncated ipv4 header")
	}
	if d.ipBytes == nil {
		d.ipBytes = b[:min(total, len(b))]
	}
	payload := b[ihl:min(total, len(b))]
	id := binary.BigEndian.Uint16(b[4:])
	flagsFrag := binary.BigEndian.Uint16(b[6:])
	proto := b[9]
	d.cur.Src = netip.AddrFrom4([4]byte(b[12:16]))
	d.cur.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	d.cur.IPv6 = false
	d.cur.IPID = uint32(id)
	d.cur.TTL = b[8]
	d.cur.Proto = proto
	more, off := flagsFrag&0x2000 != 0, int(flagsFrag&0x1FFF)*8
	if more || off != 0 {
		d.fragment(fragKey{src: d.cur.Src, dst: d.cur.Dst, id: uint32(id), proto: proto},
			proto, payload, total-ihl, off, more, depth)
		return Fault{}
	}
	return d.decodeTransport(proto, payload, total-ihl, depth)
}

// decodeIPv6 decodes an IPv6 header (RFC 8200 §3). The fixed header is
// read here rather than with gopacket's IPv6 layer because that layer
// decodes Hop-by-Hop options into heap-allocated values, and the per-packet
// path must not allocate; extension headers are walked by walkIPv6.
func (d *Decoder) decodeIPv6(b []byte, depth int) Fault {
	if len(b) < 40 {
		return newFault(FaultTruncated, "ipv6", 0, "truncated ipv6 header")
	}
	if b[0]>>4 != 6 {
		return newFault(FaultInvalid, "ipv6", 0, "ipv6: version is not 6")
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	if d.ipBytes == nil {
		d.ipBytes = b
		if plen > 0 && 40+plen < len(b) {
			d.ipBytes = b[:40+plen]
		}
	}
	d.cur.Src = netip.AddrFrom16([16]byte(b[8:24]))
	d.cur.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	d.cur.IPv6 = true
	d.cur.IPID = 0
	d.cur.TTL = b[7]
	payload := b[40:]
	wire := plen
	if plen == 0 {
		// A jumbogram (RFC 2675) or a segmentation-offload capture: trust
		// the captured length.
		wire = len(payload)
	} else if plen < len(payload) {
		payload = payload[:plen]
	}
	return d.walkIPv6(b[6], payload, wire, depth)
}

// walkIPv6 walks the IPv6 extension headers from next header nh (RFC 8200
// §4): Hop-by-Hop, Routing, Destination Options, Mobility, HIP and Shim6
// are skipped by their length field, a Fragment header starts reassembly,
// and the first other header is the transport.
func (d *Decoder) walkIPv6(nh uint8, b []byte, wire, depth int) Fault {
	for i := 0; ; i++ {
		switch nh {
		case 0, 43, 60, 135, 139, 140:
			if i == maxIPv6ExtHdrs {
				return newFault(FaultLimit, "ipv6", -1, "ipv6: more than 16 extension headers")
			}
			if len(b) < 2 {
				return newFault(FaultTruncated, "ipv6", -1, "truncated ipv6 extension header")
			}
			n := (int(b[1]) + 1) * 8
			if len(b) < n {
				return newFault(FaultTruncated, "ipv6", -1, "truncated ipv6 extension header")
			}
			nh, b, wire = b[0], b[n:], wire-n
		case 44:
			if err := d.ip6frg.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
				return newFault(FaultTruncated, "ipv6", -1, "truncated ipv6 fragment header")
			}
			f := &d.ip6frg
			d.cur.IPID = f.Identification
			offset, more := int(f.FragmentOffset)*8, f.MoreFragments
			if offset == 0 && !more {
				// An atomic fragment (RFC 6946): a whole datagram.
				nh, b, wire = uint8(f.NextHeader), f.Payload, wire-8
				continue
			}
			d.cur.Proto = uint8(f.NextHeader)
			d.fragment(fragKey{src: d.cur.Src, dst: d.cur.Dst, id: f.Identification, v6: true},
				uint8(f.NextHeader), f.Payload, wire-8, offset, more, depth)
			return Fault{}
		default:
			return d.decodeTransport(nh, b, wire, depth)
		}
	}
}

// decodeTransport decodes the payload b of IP protocol proto; wire is its
// length on the wire (b may be shorter when the capture was truncated).
func (d *Decoder) decodeTransport(proto uint8, b []byte, wire, depth int) Fault {
	d.cur.Proto = proto
	switch proto {
	case 6:
		d.decodeTCP(b, wire)
	case 17:
		d.decodeUDP(b, wire)
	case 1, 58:
		d.decodeICMP(b, wire, proto == 58)
	case 47:
		d.decodeGRE(b, wire)
	case 50:
		d.decodeESP(b, wire, KindESP)
	case 51:
		return d.decodeAH(b, wire, depth)
	case 4, 41:
		if depth+1 >= maxIPDepth {
			return newFault(FaultLimit, "ip", -1, "ip: tunnels nested more than 4 deep")
		}
		if proto == 4 {
			return d.decodeIPv4(b, depth+1)
		}
		return d.decodeIPv6(b, depth+1)
	default:
		d.other(b, wire)
	}
	return Fault{}
}

// decodeUDP decodes a UDP header (RFC 768) and dispatches on the ports:
// the RFC 3948 demultiplexing on 4500, IKE on 500 and on Options.IKEPorts,
// GRE on 4754 (RFC 8086). The destination port decides first, because it
// names the receiving socket and so how the receiver reads the payload; a
// packet from 4500 to 500 is read as port 500 reads it.
func (d *Decoder) decodeUDP(b []byte, wire int) {
	if len(b) < 8 {
		d.malformed(newFault(FaultTruncated, "udp", 0, "udp: truncated header"))
		return
	}
	ulen := int(binary.BigEndian.Uint16(b[4:]))
	if ulen == 0 && d.cur.IPv6 {
		ulen = wire // RFC 2675 §4: jumbogram
	}
	switch {
	case ulen < 8:
		d.malformed(newFault(FaultInvalid, "udp", 4, "udp: length "+itoa(ulen)+" < 8"))
		return
	case ulen > wire:
		d.malformed(newFault(FaultInvalid, "udp", 4, "udp: length "+itoa(ulen)+" exceeds ip payload "+itoa(wire)))
		return
	}
	if err := d.udp.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.malformed(newFault(FaultTruncated, "udp", 0, "udp: truncated header"))
		return
	}
	sp, dp := uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
	d.cur.SrcPort, d.cur.DstPort = sp, dp
	payload := b[8:]
	if len(payload) > ulen-8 {
		payload = payload[:ulen-8]
	}
	n := ulen - 8
	for _, p := range [2]uint16{dp, sp} {
		switch {
		case p == PortIKENATT:
			d.udpEncap(payload, n)
			return
		case p == PortIKE:
			d.ikeOnPort500(payload, n)
			return
		case d.isIKEPort(p):
			// One of Options.IKEPorts: 4500 was taken above.
			d.ikeOnExtraPort(payload, n)
			return
		case p == PortGREInUDP:
			d.decodeGRE(payload, n)
			return
		}
	}
	d.other(payload, n)
}

// udpEncap applies the RFC 3948 §2 demultiplexing to a UDP payload on port
// 4500. An IKE header without the non-ESP marker in front is IKE all the
// same (its sender left the marker out), not ESP: it is decoded as IKE and
// marked MissingMarker, since a receiver on 4500 reads it as ESP whose SPI
// is the first four octets of the initiator's SPI (RFC 3948 §2.2) and drops
// it. An ESP packet passes for an IKE header only if its octet 17 holds
// major version 1 or 2 and its octets 24–27 happen to equal its length.
func (d *Decoder) udpEncap(b []byte, n int) {
	switch udpEncapNext(b) {
	case LayerTypeNonESPMarker:
		d.setPayload(b, n)
		d.cur.NonESPMarker = true
		d.ike(b[4:])
	case LayerTypeNATTKeepalive:
		d.setOpaquePayload(b, n)
		d.emitCur(KindNATKeepalive)
	default:
		// udpEncapNext compares the IKE length with the captured
		// octets; a message cut by the snap length is compared with its
		// length on the wire.
		if looksLikeIKE(b, n) {
			d.setPayload(b, n)
			d.cur.MissingMarker = true
			d.ike(b)
			return
		}
		d.setOpaquePayload(b, n)
		d.espBody(b, KindUDPESP)
	}
}

// ikeOnPort500 decodes IKE on port 500. A non-ESP marker does not belong
// there (RFC 3948 §2.2 defines it for 4500 only), but a sender that adds it
// still sends IKE: decode it, and set NonESPMarker so that rules can flag
// the mismatch. Four leading zero octets are also what an IKE header whose
// SPI starts with them looks like, so the marker is recognised only when
// the octets after it hold a consistent IKE header and the payload itself
// does not.
func (d *Decoder) ikeOnPort500(b []byte, n int) {
	d.setPayload(b, n)
	if isNonESPMarker(b) && !looksLikeIKE(b, n) && looksLikeIKE(b[4:], n-4) {
		d.cur.NonESPMarker = true
		b = b[4:]
	}
	d.ike(b)
}

// ikeOnExtraPort decodes a UDP payload on one of Options.IKEPorts: a port
// the user named as carrying IKE, whose role the port number does not tell.
// RFC 3947 §4 and RFC 3948 §2 tie the non-ESP marker and UDP-encapsulated
// ESP to the port IKE floats to, not to the number 4500; peers configured
// for other ports (strongSwan charon.port and charon.port_nat_t, a port
// forward, a NAT that translated 500 or 4500 to another port) use one port
// as 500 is used, IKE alone, and another as 4500 is used, IKE behind the
// marker beside ESP and keepalives. So the payload decides: a consistent
// IKE header is IKE without a marker, and no fault on such a port; four zero
// octets are the marker, with IKE behind it; a single 0xFF octet is a
// keepalive; anything else is ESP.
func (d *Decoder) ikeOnExtraPort(b []byte, n int) {
	switch {
	case looksLikeIKE(b, n):
		d.setPayload(b, n)
		d.ike(b)
	case isNonESPMarker(b):
		d.setPayload(b, n)
		d.cur.NonESPMarker = true
		d.ike(b[4:])
	case len(b) == 1 && b[0] == 0xFF:
		d.setOpaquePayload(b, n)
		d.emitCur(KindNATKeepalive)
	default:
		d.setOpaquePayload(b, n)
		d.espBody(b, KindUDPESP)
	}
}

// looksLikeIKE reports whether b starts with an ISAKMP/IKE header of major
// version 1 or 2 whose length field is wire, the payload's length on the
// wire (RFC 2408 §3.1, RFC 7296 §3.1); b may be cut short by the snap
// length.
func looksLikeIKE(b []byte, wire int) bool {
	if len(b) < 28 {
		return false
	}
	v := b[17] >> 4
	return (v == 1 || v == 2) && int64(binary.BigEndian.Uint32(b[24:])) == int64(max(wire, len(b)))
}

// ike parses an IKE message and emits it, verifying its NAT-D hashes
// against the captured addresses and ports.
func (d *Decoder) ike(b []byte) {
	m, err := ParseIKEMessage(b)
	d.cur.IKE = m
	if len(b) >= 16 {
		// The SPIs are left out of the hash: an ALG that rewrites them
		// (RFC 3715 §2.3) must not stop the two sightings of the message
		// from matching; the correlation then shows the rewrite.
		d.cur.PayloadHash = PayloadHash(b[16:])
	}
	if m != nil && d.dec != nil && err == nil {
		d.dec.message(m, b, d.cur.PayloadHash)
	}
	if m != nil {
		d.natd.Verify(m, netip.AddrPortFrom(d.cur.Src, d.cur.SrcPort), netip.AddrPortFrom(d.cur.Dst, d.cur.DstPort))
	}
	if err != nil {
		d.malformed(faultOf("ike", err))
		return
	}
	d.emitCur(KindIKE)
}

// decodeESP decodes ESP over IP (or in a stream) and emits it as kind k.
func (d *Decoder) decodeESP(b []byte, wire int, k Kind) {
	d.setOpaquePayload(b, wire)
	d.espBody(b, k)
}

// espBody decodes an ESP header whose payload length and hash are set.
func (d *Decoder) espBody(b []byte, k Kind) {
	if err := d.esp.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.malformed(faultOf("esp", err))
		return
	}
	d.cur.ESP = ESPInfo{SPI: d.esp.SPI, Seq: d.esp.Seq}
	if d.dec != nil && d.dec.store.HasESP() {
		d.dec.esp(&d.cur, b)
	}
	d.emitCur(k)
}

// decodeAH decodes an AH header and reports it; then it decodes what AH
// protects and reports that too when it is VPN traffic. tshark shows such a
// frame as both protocols ("ah:esp"), and rules need both: AH to tell that
// it cannot cross a NAT (RFC 3715 §2.1), the ESP SPI and sequence number to
// follow the SA. What AH protects that is not VPN traffic is not reported
// separately.
func (d *Decoder) decodeAH(b []byte, wire, depth int) Fault {
	d.setOpaquePayload(b, wire)
	if err := d.ah.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.malformed(faultOf("ah", err))
		return Fault{}
	}
	d.cur.AH = ESPInfo{SPI: d.ah.SPI, Seq: d.ah.Seq}
	d.emitCur(KindAH)
	if d.afterAH {
		return Fault{} // AH behind AH: report the outer one only
	}
	next, inner, hl := uint8(d.ah.NextHeader), d.ah.Payload, d.ah.HeaderLen
	d.cur.AH, d.cur.PayloadLen, d.cur.PayloadHash = ESPInfo{}, 0, 0
	d.afterAH = true
	var r Fault
	if d.cur.IPv6 {
		r = d.walkIPv6(next, inner, wire-hl, depth)
	} else {
		r = d.decodeTransport(next, inner, wire-hl, depth)
	}
	d.afterAH = false
	if r.Kind != FaultNone {
		// The AH packet was reported; what it protects could not be
		// decoded, and the frame is accounted for by the AH packet.
		d.malformed(r)
	}
	return Fault{}
}

// decodeICMP decodes an ICMP (RFC 792) or ICMPv6 (RFC 4443) message. An
// error message that quotes VPN traffic is reported as KindICMPError, with
// the quote decoded; every other ICMP message is KindOther, as it was,
// without allocating. The payload hash covers what a NAT that translates
// the error leaves alone (the quoted packet after its UDP, TCP or GRE
// header), so that the error can be matched across the NAT.
func (d *Decoder) decodeICMP(b []byte, wire int, v6 bool) {
	e := &d.icmp
	if v6 != d.cur.IPv6 || e.decode(b, v6, &d.ikePorts) != icmpVPN {
		d.other(b, wire)
		return
	}
	d.cur.PayloadLen = max(wire, len(b))
	d.cur.PayloadHash = PayloadHash(e.Quote.invariant(b[8:]))
	m := new(ICMPError)
	*m = *e
	d.cur.ICMP = m
	d.emitCur(KindICMPError)
}

// decodeGRE decodes a GRE header (over IP, or in UDP on port 4754). The
// payload hash covers what follows the GRE header: a PPTP ALG rewrites the
// call ID in the key, and the payload is what survives.
func (d *Decoder) decodeGRE(b []byte, wire int) {
	if err := d.gre.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.setOpaquePayload(b, wire)
		d.malformed(faultOf("gre", err))
		return
	}
	d.setOpaquePayload(d.gre.Payload, wire-len(d.gre.Contents))
	d.cur.GRE = d.gre.Info()
	d.emitCur(KindGRE)
}

// decodeTCP decodes a TCP header (RFC 9293 §3.1). Segments of PPTP control
// connections (port 1723) and of RFC 9329 streams (port 4500 and
// Options.IKEPorts) go to stream reassembly; no other TCP is tracked.
func (d *Decoder) decodeTCP(b []byte, wire int) {
	if err := d.tcp.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		switch {
		case len(b) < 20:
			d.malformed(newFault(FaultTruncated, "tcp", 0, "tcp: truncated header"))
		case b[12]>>4 < 5:
			d.malformed(newFault(FaultInvalid, "tcp", 12, "tcp: data offset < 5"))
		default:
			d.malformed(newFault(FaultTruncated, "tcp", 0, "tcp: header longer than the segment"))
		}
		return
	}
	sp, dp := uint16(d.tcp.SrcPort), uint16(d.tcp.DstPort)
	d.cur.SrcPort, d.cur.DstPort = sp, dp
	n := wire - len(d.tcp.Contents)
	switch {
	case sp == PortPPTP || dp == PortPPTP:
		d.tcpStream(streamPPTP)
	case d.isIKEPort(dp) || d.isIKEPort(sp):
		d.tcpStream(streamIKE)
	default:
		d.other(d.tcp.Payload, n)
	}
}

// tcpStream hands the decoded TCP segment to stream reassembly.
func (d *Decoder) tcpStream(kind streamKind) {
	if d.streams == nil {
		d.streams = newTCPStreams(d)
	}
	if !d.streams.assemble(kind) {
		d.malformed(newFault(FaultLimit, "tcp", -1, "tcp: stream limit reached, segment not reassembled"))
		return
	}
	d.curStream = true
}

// fragment reports an IP fragment as KindIPFragment and adds it to
// reassembly; a datagram it completes is decoded and reported too. proto
// is the IPv4 protocol or the IPv6 next header after the fragment header,
// b the fragment's data (wire octets on the wire) at octet offset off.
func (d *Decoder) fragment(key fragKey, proto uint8, b []byte, wire, off int, more bool, depth int) {
	base := d.cur
	d.cur.Fragment = Fragment{ID: key.id, Offset: off, More: more}
	// Hash what a NAT leaves alone: in the first fragment, skip the
	// transport header, whose ports and checksum it rewrites.
	h, hn := b, wire
	if off == 0 {
		var sp, dp uint16
		var hl int
		switch proto {
		case 17:
			if len(b) >= 8 {
				hl = 8
			}
		case 6:
			if len(b) >= 20 && int(b[12]>>4)*4 <= len(b) {
				hl = int(b[12]>>4) * 4
			}
		}
		if hl > 0 {
			sp, dp = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
			h, hn = b[hl:], wire-hl
		}
		d.cur.SrcPort, d.cur.DstPort = sp, dp
	}
	d.setOpaquePayload(h, hn)
	d.emitCur(KindIPFragment)
	if depth == 0 && d.checkCopy() {
		// The same fragment captured twice: given to reassembly again it
		// would count twice, or start a datagram that never completes.
		return
	}

	st := d.frags.add(d, key, proto, b, wire, off, more)
	if st == nil {
		return
	}
	// The datagram is complete: decode it at this frame, as Wireshark
	// reports a reassembled datagram at its last fragment.
	d.stats.Reassembled++
	d.cur = base
	d.cur.FirstFrame = st.firstFrame
	d.cur.Fragments = st.count
	data := st.data[:st.total]
	var r Fault
	if key.v6 {
		r = d.walkIPv6(st.proto, data, len(data), depth)
	} else {
		r = d.decodeTransport(proto, data, len(data), depth)
	}
	if r.Kind != FaultNone {
		d.malformed(newFault(r.Kind, "ip", -1, "ip: reassembled datagram: "+r.Message))
	}
	d.frags.release(st)
}
