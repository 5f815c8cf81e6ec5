package decode

import (
	"net/netip"
	"sort"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode/capture"
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
	// DefaultMaxFragments) and MaxFragmentBytes the octets their buffers
	// hold (default DefaultMaxFragmentBytes); to stay within them the
	// oldest datagrams are given up, reported as KindMalformed packets
	// with a fault of kind FaultFragmentsEvicted or
	// FaultFragmentsEvictedBytes. MaxStreams bounds the TCP streams
	// tracked for PPTP and RFC 9329 (default DefaultMaxStreams); segments
	// of further streams are counted as undecodable.
	MaxFragments, MaxStreams int
	MaxFragmentBytes         int
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
	// Only, when set, limits decoding to the IP packets between two
	// addresses it accepts (given in either order) and to ICMP messages,
	// whose errors may quote such packets: another IP packet, outside any
	// tunnel, yields no packet, and its frame is counted in Stats.Skipped.
	// It is for reading a capture again for the packets of a few peers
	// (the ladders of a report): what the filter refuses costs no decoding
	// past its IP header.
	Only func(a, b netip.Addr) bool
}

// Defaults for [Options] bounds.
const (
	DefaultMaxFragments = 1024
	DefaultMaxStreams   = 1024
	// DefaultMaxFragmentBytes is Linux's default ipfrag_high_thresh: what
	// a receiver's own IP stack holds in reassembly. DefaultMaxFragments
	// datagrams of up to 4 KiB each fit in it — those of a 1500-octet
	// path come in two or three fragments — so on ordinary traffic the
	// count of datagrams is reached first, and the octets bind only when
	// the datagrams in reassembly are large: jumbo IKE messages, or a
	// flood of fragments far into 64 KiB datagrams.
	DefaultMaxFragmentBytes = 4 << 20
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
// (Undecodable, by reason), or Options.Only left it out (Skipped).
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
	// Skipped is the number of frames that Options.Only left undecoded.
	Skipped int
	// Reassembled is the number of datagrams reassembled from IP fragments.
	Reassembled int
	// FragmentSetsDropped is the number of fragmented datagrams given up:
	// incomplete at timeout or at the end, evicted, or inconsistent.
	FragmentSetsDropped int
	// Reassembly is what IP reassembly kept to and how much it held.
	Reassembly ReassemblyStats
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

// ReassemblyStats describes the bounds of IP reassembly and how near the
// capture came to them.
type ReassemblyStats struct {
	// MaxDatagrams and MaxBytes are the bounds kept to:
	// Options.MaxFragments and Options.MaxFragmentBytes, defaults applied.
	MaxDatagrams, MaxBytes int
	// PeakDatagrams and PeakBytes are the most datagrams, and the most
	// octets of buffers, held in reassembly at once.
	PeakDatagrams, PeakBytes int
}

// Accounted returns the number of frames accounted for:
// FramesWithPackets + StreamSegments + Skipped + every Undecodable count.
// It equals Frames.
func (s *Stats) Accounted() int {
	n := s.FramesWithPackets + s.StreamSegments + s.Skipped
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
	unknownLinks map[layers.LinkType]*Fault

	cur        Packet // the packet being built for the current frame
	curPackets int    // packets the current frame yielded
	curStream  bool   // the current frame went into a TCP stream
	curSkipped bool   // Options.Only refused the current frame's IP packet
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
	opts.MaxFragments, opts.MaxFragmentBytes = opts.ReassemblyBounds()
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
		unknownLinks: map[layers.LinkType]*Fault{},
	}
	if !opts.Keys.Empty() {
		d.dec = newDecrypter(opts.Keys)
	}
	d.frags.init(opts.MaxFragments, opts.MaxFragmentBytes)
	d.setIKEPort(PortIKENATT)
	for _, p := range opts.IKEPorts {
		if p != PortIKE {
			d.setIKEPort(p)
		}
	}
	return d
}

// ReassemblyBounds returns the bounds of IP reassembly the options set:
// MaxFragments and MaxFragmentBytes, defaults applied.
func (o Options) ReassemblyBounds() (datagrams, octets int) {
	datagrams, octets = o.MaxFragments, o.MaxFragmentBytes
	if datagrams <= 0 {
		datagrams = DefaultMaxFragments
	}
	if octets <= 0 {
		octets = DefaultMaxFragmentBytes
	}
	return datagrams, octets
}

func (d *Decoder) setIKEPort(p uint16)     { d.ikePorts.set(p) }
func (d *Decoder) isIKEPort(p uint16) bool { return d.ikePorts.has(p) }
func (d *Decoder) keep(k Kind) bool        { return k != KindOther || d.opts.KeepOther }
func (d *Decoder) hashOther() bool         { return d.opts.HashAll }

// Stats returns the counts so far. The maps are copies.
func (d *Decoder) Stats() Stats {
	s := d.stats
	s.Reassembly = d.frags.stats()
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
func (d *Decoder) Decode(rec *capture.Record) []Packet {
	d.out = d.out[:0]
	d.decode(rec)
	return d.out
}

// decode decodes one record, appending its packets to d.out.
func (d *Decoder) decode(rec *capture.Record) {
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
	d.curPackets, d.curStream, d.curVPN, d.inFrame, d.afterAH, d.curSkipped = 0, false, false, true, false, false
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
	case undecodable != nil:
		d.stats.Undecodable[undecodable.Message]++
	case d.curPackets > 0:
		d.stats.FramesWithPackets++
	case d.curStream:
		d.stats.StreamSegments++
	case d.curSkipped:
		d.stats.Skipped++
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
	if d.inFrame {
		// A fault reading the frame (a mapped file that shrank) cut
		// Decode short: account for the frame as Decode would have.
		d.inFrame = false
		if d.curPackets > 0 {
			d.stats.FramesWithPackets++
		} else {
			d.stats.Undecodable["decoding cut short by a fault"]++
		}
	}
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
