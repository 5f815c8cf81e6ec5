package decode

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"
)

// TCP stream reassembly for the two VPN protocols that run over TCP: the
// PPTP control connection (port 1723, RFC 2637 §1.3) and IKE and ESP
// encapsulated in TCP (port 4500 and Options.IKEPorts, RFC 9329). gopacket's
// reassembly package orders the segments; this file frames the messages.
// Only segments on those ports reach the assembler, so other TCP costs no
// stream state and no allocation.

// streamKind says how a stream's octets are framed.
type streamKind uint8

const (
	streamPPTP streamKind = iota + 1 // PPTP control messages
	streamIKE                        // RFC 9329: "IKETCP" prefix, then length-prefixed records
)

// Capture-time limits of stream reassembly.
const (
	// streamGapTimeout is how long out-of-order data waits for a missing
	// segment before it is delivered with the gap.
	streamGapTimeout = 30 * time.Second
	// streamIdleTimeout closes streams without traffic. PPTP sends an
	// Echo-Request after 60 s of silence (RFC 2637 §2.5), so a live
	// control connection is never idle that long.
	streamIdleTimeout = 10 * time.Minute
	// streamCheckInterval is how often, in capture time, the timeouts are
	// applied: a check walks every stream.
	streamCheckInterval = 10 * time.Second
	// Bounds on buffered out-of-order data, in pages of 1900 octets.
	streamMaxPagesPerConn = 256
	streamMaxPagesTotal   = 16384
)

// iketcpPrefix starts an RFC 9329 stream from the initiator (§3.1).
var iketcpPrefix = []byte("IKETCP")

// tcpStreams owns the assembler and its streams.
type tcpStreams struct {
	d     *Decoder
	pool  *reassembly.StreamPool
	asm   *reassembly.Assembler
	count int // streams alive

	// For the assembler's callbacks during one AssembleWithContext call.
	kind    streamKind
	refused bool
	cur     *tcpCtx // the segment being assembled; nil in flushes

	nextCheck time.Time
}

func newTCPStreams(d *Decoder) *tcpStreams {
	s := &tcpStreams{d: d}
	s.pool = reassembly.NewStreamPool(s)
	s.asm = reassembly.NewAssembler(s.pool)
	s.asm.MaxBufferedPagesPerConnection = streamMaxPagesPerConn
	s.asm.MaxBufferedPagesTotal = streamMaxPagesTotal
	return s
}

// tcpCtx is the reassembly context of one segment. The assembler keeps it
// with any octets it buffers, and hands back its CaptureInfo for an offset
// of the reassembled data; AncillaryData points back here, so that each
// message can name the frames it came from.
type tcpCtx struct {
	ci     gopacket.CaptureInfo
	anc    [1]any
	frame  int
	time   time.Time
	length int
	caplen int
	ipid   uint32
	ttl    uint8
}

// GetCaptureInfo implements reassembly.AssemblerContext.
func (c *tcpCtx) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// assemble passes the Decoder's current TCP segment to the assembler. It
// reports false when the segment starts a stream beyond Options.MaxStreams.
func (s *tcpStreams) assemble(kind streamKind) bool {
	d := s.d
	c := &tcpCtx{
		frame:  d.cur.Frame,
		time:   d.cur.Time,
		length: d.cur.Length,
		caplen: d.cur.CapLen,
		ipid:   d.cur.IPID,
		ttl:    d.cur.TTL,
	}
	c.ci = gopacket.CaptureInfo{Timestamp: d.cur.Time, CaptureLength: d.cur.CapLen, Length: d.cur.Length}
	c.anc[0] = c
	c.ci.AncillaryData = c.anc[:]
	var flow gopacket.Flow
	if d.cur.IPv6 {
		a, b := d.cur.Src.As16(), d.cur.Dst.As16()
		flow = gopacket.NewFlow(layers.EndpointIPv6, a[:], b[:])
	} else {
		a, b := d.cur.Src.As4(), d.cur.Dst.As4()
		flow = gopacket.NewFlow(layers.EndpointIPv4, a[:], b[:])
	}
	s.kind, s.refused, s.cur = kind, false, c
	s.asm.AssembleWithContext(flow, &d.tcp, c)
	s.cur = nil
	return !s.refused
}

// New implements reassembly.StreamFactory. It refuses (returns nil, which
// the pool accepts as "do not track") beyond Options.MaxStreams.
func (s *tcpStreams) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	if s.count >= s.d.opts.MaxStreams {
		s.refused = true
		return nil
	}
	s.count++
	return &tcpStream{s: s, kind: s.kind}
}

// expire applies the capture-time timeouts at most every
// streamCheckInterval.
func (s *tcpStreams) expire(now time.Time) {
	if s.count == 0 || now.Before(s.nextCheck) {
		return
	}
	s.nextCheck = now.Add(streamCheckInterval)
	s.asm.FlushWithOptions(reassembly.FlushOptions{T: now.Add(-streamGapTimeout), TC: now.Add(-streamIdleTimeout)})
}

// flushAll delivers everything buffered and closes every stream.
func (s *tcpStreams) flushAll() {
	s.asm.FlushAll()
	s.nextCheck = time.Time{}
}

// tcpStream is one TCP connection being framed.
type tcpStream struct {
	s    *tcpStreams
	kind streamKind
	half [2]streamHalf
}

// streamHalf is the state of one direction.
type streamHalf struct {
	src, dst netip.AddrPort
	ipv6     bool
	known    bool
	// pending is the length of an unfinished message kept in the
	// assembler (ScatterGather.KeepFrom); first and last are the segments
	// of its first and last octets, for reporting it if the stream ends.
	pending     int
	first, last *tcpCtx
	prefixDone  bool // RFC 9329: the "IKETCP" prefix was looked for
	resync      bool // PPTP: looking for the next magic cookie
	lost        bool // RFC 9329: framing lost; the rest is not decoded
}

func dirIndex(dir reassembly.TCPFlowDirection) int {
	if dir == reassembly.TCPDirServerToClient {
		return 1
	}
	return 0
}

// Accept implements reassembly.Stream. Every segment is accepted, and a
// stream is started at its first segment even without a SYN: captures
// often begin in the middle of a connection.
func (t *tcpStream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	h := &t.half[dirIndex(dir)]
	if !h.known {
		d := t.s.d
		h.src = netip.AddrPortFrom(d.cur.Src, d.cur.SrcPort)
		h.dst = netip.AddrPortFrom(d.cur.Dst, d.cur.DstPort)
		h.ipv6, h.known = d.cur.IPv6, true
	}
	*start = true
	return true
}

// ReassembledSG implements reassembly.Stream: it frames the messages of
// the in-order data and keeps an unfinished one for the next call.
func (t *tcpStream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	dir, _, _, skip := sg.Info()
	h := &t.half[dirIndex(dir)]
	avail, saved := sg.Lengths()
	if skip > 0 {
		t.gap(h, sg, skip, saved)
	}
	if avail == 0 {
		return
	}
	data := sg.Fetch(avail)
	var off int
	if t.kind == streamPPTP {
		off = t.framePPTP(h, sg, data)
	} else {
		off = t.frameIKE(h, sg, data)
	}
	h.pending = 0
	if off < avail {
		sg.KeepFrom(off)
		h.pending = avail - off
		h.first, h.last = t.ctxAt(sg, off), t.ctxAt(sg, avail-1)
	}
}

// gap handles octets lost before the data of this call: an unfinished
// message is lost with them, and the framing must be found again.
func (t *tcpStream) gap(h *streamHalf, sg reassembly.ScatterGather, skip, saved int) {
	if h.pending > 0 && saved < h.pending && !h.resync && !h.lost {
		t.reportPartial(h, FaultStreamGap, itoa(skip)+" octets missing from the stream inside a message")
	}
	h.pending = 0
	if t.kind == streamPPTP {
		h.resync = true
		return
	}
	if !h.lost {
		h.lost = true
		p := t.packet(h, sg, 0, 0)
		t.s.d.emitAs(&p, func(d *Decoder) {
			d.malformed(newFault(FaultStreamGap, "ike-tcp", -1,
				"ike-tcp: "+itoa(skip)+" octets missing from the stream; the rest of this direction is not decoded"))
		})
	}
}

// ReassemblyComplete implements reassembly.Stream: the connection ended
// (FIN, RST, timeout or end of capture). Unfinished messages are reported.
func (t *tcpStream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	for i := range t.half {
		h := &t.half[i]
		if h.pending > 0 && !h.resync && !h.lost {
			t.reportPartial(h, FaultStreamEnded, "stream ended inside a message ("+itoa(h.pending)+" octets)")
		}
		h.pending = 0
	}
	t.s.count--
	return true
}

// reportPartial reports an unfinished message kept in the assembler, with
// a fault of kind k saying why.
func (t *tcpStream) reportPartial(h *streamHalf, k FaultKind, why string) {
	name := "pptp"
	if t.kind == streamIKE {
		name = "ike-tcp"
	}
	p := t.packetFrom(h, h.first, h.last, h.last)
	p.PayloadLen = h.pending
	t.s.d.emitAs(&p, func(d *Decoder) { d.malformed(newFault(k, name, -1, name+": "+why)) })
}

// ctxAt returns the context of the segment holding octet off of sg.
func (t *tcpStream) ctxAt(sg reassembly.ScatterGather, off int) *tcpCtx {
	ci := sg.CaptureInfo(off)
	if len(ci.AncillaryData) == 1 {
		if c, ok := ci.AncillaryData[0].(*tcpCtx); ok {
			return c
		}
	}
	if t.s.cur != nil {
		return t.s.cur
	}
	return &tcpCtx{frame: 1}
}

// packet starts the packet of the message at octets [start, end) of sg.
// During Decode it is reported at the frame being decoded, which completed
// the message; in flushes at the frame of its last octet.
func (t *tcpStream) packet(h *streamHalf, sg reassembly.ScatterGather, start, end int) Packet {
	first := t.ctxAt(sg, start)
	last := first
	if end > start {
		last = t.ctxAt(sg, end-1)
	}
	at := t.s.cur
	if at == nil {
		at = last
	}
	return t.packetFrom(h, first, last, at)
}

// packetFrom builds a packet at segment at, whose message spans the
// segments first..last.
func (t *tcpStream) packetFrom(h *streamHalf, first, last, at *tcpCtx) Packet {
	if first == nil || last == nil || at == nil {
		first, last, at = t.ctxFallback(first, last, at)
	}
	return Packet{
		Frame:      at.frame,
		FirstFrame: min(first.frame, last.frame, at.frame),
		Time:       at.time,
		Length:     at.length,
		CapLen:     at.caplen,
		Src:        h.src.Addr(),
		Dst:        h.dst.Addr(),
		SrcPort:    h.src.Port(),
		DstPort:    h.dst.Port(),
		Proto:      6,
		IPID:       at.ipid,
		TTL:        at.ttl,
		IPv6:       h.ipv6,
		TCPEncap:   t.kind == streamIKE,
	}
}

// ctxFallback fills missing contexts from the present ones.
func (t *tcpStream) ctxFallback(cs ...*tcpCtx) (first, last, at *tcpCtx) {
	var some *tcpCtx
	for _, c := range cs {
		if c != nil {
			some = c
			break
		}
	}
	if some == nil {
		some = &tcpCtx{frame: 1}
	}
	out := [3]*tcpCtx{}
	for i, c := range cs {
		if c == nil {
			c = some
		}
		out[i] = c
	}
	return out[0], out[1], out[2]
}

// emitAs runs fn, which decodes into and emits d.cur, with d.cur set to p,
// and restores the packet of the frame being decoded afterwards.
func (d *Decoder) emitAs(p *Packet, fn func(d *Decoder)) {
	saved := d.cur
	d.cur = *p
	fn(d)
	d.cur = saved
}

// framePPTP frames PPTP control messages (RFC 2637 §1.4): each starts with
// its length and carries the magic cookie at offset 4. A bad cookie or an
// impossible length means the stream is out of step: that is reported once,
// and framing resumes at the next magic cookie. It returns the offset of
// the first octet not consumed.
func (t *tcpStream) framePPTP(h *streamHalf, sg reassembly.ScatterGather, data []byte) int {
	d := t.s.d
	off := 0
	for off < len(data) {
		if h.resync {
			i := bytes.Index(data[min(off+4, len(data)):], pptpCookieBytes)
			if i < 0 {
				// Keep what could be the start of a message whose
				// cookie is not complete yet.
				return max(off, len(data)-(pptpHeaderLen-1))
			}
			off += i
			h.resync = false
		}
		rest := data[off:]
		if len(rest) < pptpHeaderLen {
			return off
		}
		n := int(binary.BigEndian.Uint16(rest))
		if binary.BigEndian.Uint32(rest[4:]) != PPTPMagicCookie || n < pptpHeaderLen || n > pptpMaxLen {
			err := d.pptpMsg.DecodeFromBytes(rest, gopacket.NilDecodeFeedback)
			p := t.packet(h, sg, off, off+pptpHeaderLen)
			p.PayloadLen = len(rest)
			d.emitAs(&p, func(d *Decoder) { d.malformed(pptpOutOfStep(err)) })
			h.resync = true
			off++
			continue
		}
		if len(rest) < n {
			return off
		}
		msg := rest[:n]
		p := t.packet(h, sg, off, off+n)
		p.PayloadLen, p.PayloadHash = n, PayloadHash(msg)
		d.emitAs(&p, func(d *Decoder) {
			if err := d.pptpMsg.DecodeFromBytes(msg, gopacket.NilDecodeFeedback); err != nil {
				d.malformed(faultOf("pptp", err))
				return
			}
			d.cur.PPTP = d.pptpMsg.Info()
			d.emitCur(KindPPTP)
		})
		off += n
	}
	return off
}

var pptpCookieBytes = []byte{0x1A, 0x2B, 0x3C, 0x4D}

// pptpOutOfStep is the fault of a PPTP stream out of step: the decoder's
// error for the octets where a message should start, or, when they decode
// as a header all the same, the loss of step itself.
func pptpOutOfStep(err error) Fault {
	if err == nil {
		return newFault(FaultInvalid, "pptp", -1, "pptp: stream out of step")
	}
	return faultOf("pptp", err)
}

// frameIKE frames an RFC 9329 stream (§3): the initiator's direction starts
// with "IKETCP"; then each record is a 16-bit length that counts itself,
// and IKE behind a non-ESP marker or ESP. A record too short to classify
// means the framing is lost; that is reported once and the direction is not
// decoded further. It returns the offset of the first octet not consumed.
func (t *tcpStream) frameIKE(h *streamHalf, sg reassembly.ScatterGather, data []byte) int {
	if h.lost {
		return len(data)
	}
	d := t.s.d
	off := 0
	if !h.prefixDone {
		if len(data) < len(iketcpPrefix) && bytes.HasPrefix(iketcpPrefix, data) {
			return 0 // maybe the prefix, not all of it here yet
		}
		h.prefixDone = true
		if bytes.HasPrefix(data, iketcpPrefix) {
			off = len(iketcpPrefix)
		}
	}
	for off < len(data) {
		rest := data[off:]
		if len(rest) < 2 {
			return off
		}
		n := int(binary.BigEndian.Uint16(rest))
		if n < 6 {
			p := t.packet(h, sg, off, off+2)
			d.emitAs(&p, func(d *Decoder) {
				d.malformed(newFault(FaultInvalid, "ike-tcp", 0,
					"ike-tcp: record length "+itoa(n)+" < 6; the rest of this direction is not decoded"))
			})
			h.lost = true
			return len(data)
		}
		if len(rest) < n {
			return off
		}
		rec := rest[2:n]
		p := t.packet(h, sg, off, off+n)
		p.PayloadLen, p.PayloadHash = len(rec), PayloadHash(rec)
		d.emitAs(&p, func(d *Decoder) {
			if isNonESPMarker(rec) {
				d.cur.NonESPMarker = true
				d.ike(rec[4:])
				return
			}
			d.espBody(rec, KindTCPESP)
		})
		off += n
	}
	return off
}
