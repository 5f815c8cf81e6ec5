package samples

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// mtu is the Ethernet MTU on both sides of the NAT.
const mtu = 1500

// epoch is the base of every scenario's clock: scenario i starts at epoch
// plus i quarter-hours, inside clock.
var epoch = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// host is one machine of a scenario.
type host struct {
	name   string
	addr   netip.Addr
	mac    net.HardwareAddr
	inside bool  // on the LAN side of the NAT
	ttl    uint8 // TTL of its packets where they are first captured (inside hosts: at the LAN; remote hosts: at the NAT's WAN port)
	ipid   uint16
	eph    uint16        // last ephemeral port used
	last   time.Duration // when it last sent: a host sends one packet at a time
}

func (h *host) ap(port uint16) netip.AddrPort { return netip.AddrPortFrom(h.addr, port) }

// ephemeral returns a fresh source port for h from the Linux ephemeral
// range (32768–60999).
func (w *world) ephemeral(h *host) uint16 {
	h.eph += uint16(1 + w.rng.IntN(60))
	if h.eph < 32768 || h.eph > 60999 {
		h.eph = 32768 + uint16(w.rng.IntN(1000))
	}
	return h.eph
}

// capture is one capture file being generated.
type capture struct {
	file string
	// iface is the MAC address of the capturing interface: frames sent to
	// it were received from the wire and carry Ethernet padding up to 60
	// octets, as tcpdump shows received frames; frames it sends do not.
	iface  net.HardwareAddr
	frames []*Frame

	// What goes wrong with the capture itself, for the capture-quality
	// scenarios. from and until (true time; until zero for no end) are
	// when the capture ran; keep, when set, is a capture filter or a
	// mirror port that shows only some packets; snapLen, when non-zero,
	// cuts frames as tcpdump -s does; cutAfter, when non-zero, ends the
	// file in the middle of the record after that many whole records, as
	// a capture copied while it was still being written does.
	from, until time.Duration
	keep        func(p *pcaptest.Packet) bool
	snapLen     uint32
	cutAfter    int
}

// sees reports whether the capture filter passes packet p. When the
// capture ran is decided at the end (finish), as a story sets it after
// the fact.
func (c *capture) sees(p *pcaptest.Packet) bool { return c.keep == nil || c.keep(p) }

// ran reports whether the capture was running at true time t.
func (c *capture) ran(t time.Duration) bool { return t >= c.from && (c.until == 0 || t <= c.until) }

// meant describes a packet the story sends, for the manifest.
type meant struct {
	kind    string
	note    string
	ike     *pcaptest.Message
	ikeOff  int // offset of the IKE header in the transport payload
	marker  bool
	tcp     bool
	retrans int
	esp     *SPISeq
	ah      *SPISeq
	gre     *GRE
	pptp    *PPTP
}

// xmit is the outcome of sending one packet.
type xmit struct {
	in, out pcaptest.Packet // as captured inside and outside
	ok      bool            // it crossed the NAT
	why     string          // why the NAT dropped it
}

// world runs one scenario: it keeps the true time, sends packets through
// the NAT model and records them in the inside and outside captures, each
// on its own clock.
type world struct {
	name string
	rng  *rand.Rand
	base time.Time
	now  time.Duration // true time since base; the inside capture's clock
	skew time.Duration // outside clock minus inside clock
	// drift is how fast the outside clock gains on the inside one, in
	// parts per million.
	drift  float64
	nat    *pcaptest.NAT
	single bool // one capture at the client, no NAT
	// oneSide keeps only the inside capture of a world with a NAT: a
	// scenario about a single capture taken behind the NAT.
	oneSide bool
	router  net.HardwareAddr
	// lanAddr is the NAT's (or router's) LAN address, for the README.
	lanAddr netip.Addr
	in      *capture
	out     *capture
	hosts   []*host
	pkt     int
	seq     int
	err     error
	events  []event
	// fwdOut and fwdIn are when the NAT last forwarded a packet outwards
	// and inwards: it forwards in order, so no packet overtakes another.
	fwdOut, fwdIn time.Duration
}

// event is an action scheduled at a true time, for stories where several
// hosts act independently (retransmissions interleaved with keepalives).
type event struct {
	t   time.Duration
	seq int
	fn  func()
}

// schedule queues fn to run at time t when runEvents is called.
func (w *world) schedule(t time.Duration, fn func()) {
	w.events = append(w.events, event{t: t, seq: len(w.events), fn: fn})
}

// runEvents runs the queued events in time order, advancing the clock to
// each, and empties the queue.
func (w *world) runEvents() {
	evs := w.events
	w.events = nil
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.t, b.t) })
	for _, e := range evs {
		w.at(e.t)
		e.fn()
	}
}

// seedFor derives a scenario's 32-byte ChaCha8 seed from its name and a
// purpose, so that each scenario and each random stream is independent.
func seedFor(name, purpose string) [32]byte {
	return sha256.Sum256([]byte("vpnpcap/samples/" + name + "/" + purpose))
}

func newWorld(name string, index int, single, oneSide bool) *world {
	w := &world{
		name:    name,
		rng:     rand.New(rand.NewChaCha8(seedFor(name, "story"))),
		base:    epoch.Add(time.Duration(index) * 15 * time.Minute),
		single:  single,
		oneSide: oneSide,
		lanAddr: addrNATLAN,
	}
	// The outside capture's clock runs 3–12 s ahead of the inside one: the
	// two capture hosts are not synchronised.
	w.skew = 3*time.Second + time.Duration(w.rng.IntN(9000))*time.Millisecond + time.Duration(w.rng.IntN(1000))*time.Microsecond
	if single {
		w.router = macRouter
		w.in = &capture{file: "capture.pcap"}
		return w
	}
	w.nat = &pcaptest.NAT{
		Public: addrPublic, LANMAC: macNATLAN, WANMAC: macNATWAN, UpstreamMAC: macUpstream,
		Rand: rand.New(rand.NewChaCha8(seedFor(name, "nat"))),
	}
	w.in = &capture{file: "inside.pcap", iface: macNATLAN}
	w.out = &capture{file: "outside.pcap", iface: macNATWAN}
	if oneSide {
		w.in.file = "capture.pcap"
	}
	return w
}

// Addresses and MACs shared by the scenarios: documentation prefixes
// (RFC 5737, RFC 1918) and MACs with real vendor OUIs.
var (
	addrClientA  = netip.MustParseAddr("192.168.1.23")
	addrClientB  = netip.MustParseAddr("192.168.1.31")
	addrNATLAN   = netip.MustParseAddr("192.168.1.1")
	addrPublic   = netip.MustParseAddr("198.51.100.7")
	addrGateway  = netip.MustParseAddr("203.0.113.10")
	addrPPTP     = netip.MustParseAddr("203.0.113.20")
	addrResolver = netip.MustParseAddr("192.0.2.53")
	addrWeb      = netip.MustParseAddr("192.0.2.80")

	macClientA  = pcaptest.MustMAC("3c:a9:f4:1d:52:8e") // Intel
	macClientB  = pcaptest.MustMAC("f0:18:98:4a:07:c3") // Apple
	macNATLAN   = pcaptest.MustMAC("50:c7:bf:62:31:a0") // TP-Link
	macNATWAN   = pcaptest.MustMAC("50:c7:bf:62:31:a1")
	macUpstream = pcaptest.MustMAC("00:1b:54:c2:88:01") // Cisco
	macRouter   = pcaptest.MustMAC("00:1b:54:c2:88:02")
)

// addHost adds a machine. Inside hosts are registered with the NAT's ARP
// cache.
func (w *world) addHost(name string, addr netip.Addr, mac net.HardwareAddr, inside bool, ttl uint8) *host {
	h := &host{name: name, addr: addr, mac: mac, inside: inside, ttl: ttl,
		ipid: uint16(w.rng.Uint32()), eph: 32768 + uint16(w.rng.IntN(28000))}
	w.hosts = append(w.hosts, h)
	if inside && w.nat != nil {
		w.nat.AddHost(addr, mac)
	}
	return h
}

func (w *world) hostByAddr(a netip.Addr) *host {
	for _, h := range w.hosts {
		if h.addr == a {
			return h
		}
	}
	return nil
}

func (w *world) fail(err error) {
	if w.err == nil {
		w.err = fmt.Errorf("samples: %s: %w", w.name, err)
	}
}

// after advances the true time.
func (w *world) after(d time.Duration) { w.now += d }

// at sets the true time; it never goes back.
func (w *world) at(t time.Duration) {
	if t > w.now {
		w.now = t
	}
}

// jitter returns a random duration in [lo, hi].
func (w *world) jitter(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(w.rng.Int64N(int64(hi-lo)+1))
}

func ms(x float64) time.Duration { return time.Duration(x * float64(time.Millisecond)) }

func sec(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

// natDelay is the NAT's forwarding delay: 0.2–3 ms.
func (w *world) natDelay() time.Duration {
	return time.Duration(200+w.rng.IntN(2801)) * time.Microsecond
}

// packet builds a packet from h with its TTL, next IP ID and the Ethernet
// addresses of the first hop the captures see.
func (w *world) packet(h *host, proto layers.IPProtocol, src, dst netip.AddrPort, payload []byte) pcaptest.Packet {
	return w.fill(h, pcaptest.Packet{
		Src: src.Addr(), Dst: dst.Addr(), SrcPort: src.Port(), DstPort: dst.Port(),
		Proto: proto, Payload: payload,
	})
}

// fill sets what the sending host decides on a packet: TTL, IP ID, DF and
// the Ethernet addresses of the first hop the captures see.
func (w *world) fill(h *host, p pcaptest.Packet) pcaptest.Packet {
	p.TTL, p.ID = h.ttl, uint32(h.ipid)
	h.ipid++
	l4 := 0
	switch p.Proto {
	case pcaptest.ProtoUDP:
		l4 = 8
	case pcaptest.ProtoTCP:
		l4 = 20
	}
	// Linux sets DF on what fits the path MTU and fragments the rest.
	p.DF = 20+l4+len(p.Payload) <= mtu
	switch {
	case h.inside && w.single:
		p.SrcMAC, p.DstMAC = h.mac, w.router
	case h.inside:
		p.SrcMAC, p.DstMAC = h.mac, w.nat.LANMAC
	case w.single:
		p.SrcMAC = w.router
		if d := w.hostByAddr(p.Dst); d != nil {
			p.DstMAC = d.mac
		}
	default:
		p.SrcMAC, p.DstMAC = w.nat.UpstreamMAC, w.nat.WANMAC
	}
	return p
}

// emit sends p from h: through send for an inside host, deliver for a
// remote one.
func (w *world) emit(h *host, p pcaptest.Packet, m *meant) xmit {
	if h.inside {
		return w.send(p, m)
	}
	return w.deliver(p, m)
}

// pace moves the clock past the sender's previous packet: packets a host
// sends "at once" leave some microseconds apart.
func (w *world) pace(a netip.Addr) {
	if h := w.hostByAddr(a); h != nil {
		if w.now <= h.last {
			w.now = h.last + time.Duration(15+w.rng.IntN(45))*time.Microsecond
		}
		h.last = w.now
	}
}

// send transmits p from an inside host at the current time: it is captured
// inside, translated by the NAT, and captured outside unless dropped.
func (w *world) send(p pcaptest.Packet, m *meant) xmit {
	w.pace(p.Src)
	w.pkt++
	id := w.pkt
	if w.in.sees(&p) {
		w.record(w.in, w.now, w.now, p, m, id, false)
	}
	if w.single {
		return xmit{in: p, out: p, ok: true}
	}
	q, f := w.nat.Outbound(w.now, p)
	if !f.Forwarded {
		return xmit{in: p, why: f.Reason}
	}
	w.fwdOut = max(w.now+w.natDelay(), w.fwdOut+20*time.Microsecond)
	if w.out.sees(&q) {
		w.record(w.out, w.fwdOut, w.outClock(w.fwdOut), q, m, id, w.nat.FirstFragmentOnly)
	}
	return xmit{in: p, out: q, ok: true}
}

// outClock converts a true time to the outside capture's clock: ahead by
// the skew, and gaining drift parts per million.
func (w *world) outClock(t time.Duration) time.Duration {
	return t + w.skew + time.Duration(float64(t)*w.drift/1e6)
}

// deliver transmits p from a remote host, arriving at the NAT's WAN port
// at the current time: it is captured outside, translated, and captured
// inside unless dropped. A delivered packet advances the clock to its
// arrival inside.
func (w *world) deliver(p pcaptest.Packet, m *meant) xmit {
	w.pace(p.Src)
	w.pkt++
	id := w.pkt
	if w.single {
		if w.in.sees(&p) {
			w.record(w.in, w.now, w.now, p, m, id, false)
		}
		return xmit{in: p, out: p, ok: true}
	}
	if w.out.sees(&p) {
		w.record(w.out, w.now, w.outClock(w.now), p, m, id, false)
	}
	q, f := w.nat.Inbound(w.now, p)
	if !f.Forwarded {
		return xmit{out: p, why: f.Reason}
	}
	w.fwdIn = max(w.now+w.natDelay(), w.fwdIn+20*time.Microsecond)
	if w.in.sees(&q) {
		w.record(w.in, w.fwdIn, w.fwdIn, q, m, id, w.nat.FirstFragmentOnly)
	}
	// The story continues from the moment the inside host has the packet:
	// whatever it sends in reply comes after it.
	w.now = w.fwdIn
	return xmit{in: q, out: p, ok: true}
}

// record serializes p into frames and adds them to c at time at of the
// capture's clock; real is the true time, for the capture's window.
func (w *world) record(c *capture, real, at time.Duration, p pcaptest.Packet, m *meant, id int, firstOnly bool) {
	frames, err := p.Frames(mtu)
	if err != nil {
		w.fail(err)
		return
	}
	n := len(frames)
	incomplete := firstOnly && n > 1
	if incomplete {
		frames = frames[:1]
	}
	us := w.base.Add(at).UnixMicro()
	var first *Frame
	for i, b := range frames {
		if len(b) < 60 && bytes.Equal(p.DstMAC, c.iface) {
			b = append(b, make([]byte, 60-len(b))...)
		}
		f := &Frame{
			Packet: id, Kind: m.kind, Note: m.note,
			Src: p.Src, Dst: p.Dst, SrcPort: p.SrcPort, DstPort: p.DstPort,
			Proto: uint8(p.Proto), TTL: p.TTL, IPID: p.ID, Length: len(b),
			// Fragments leave back to back: 12 µs is 1500 octets at 1 Gbit/s.
			us: us + int64(i)*12, seq: w.seq, data: b, real: real,
		}
		w.seq++
		if n > 1 {
			f.Fragment = &Fragment{Offset: i * ((mtu - 20) &^ 7), More: i < n-1}
			if i == 0 {
				first = f
			}
			if i < n-1 {
				f.Kind, f.Incomplete = KindIPFragment, incomplete
				f.Note = fmt.Sprintf("%s (IP fragment %d of %d)", m.note, i+1, n)
				c.frames = append(c.frames, f)
				continue
			}
			f.Fragments, f.first = n, first
			f.Note = fmt.Sprintf("%s (IP fragment %d of %d, completes the datagram)", m.note, i+1, n)
		}
		w.describe(f, p, m)
		c.frames = append(c.frames, f)
	}
}

// describe fills the protocol fields of a frame's manifest from what the
// story meant and from the bytes as captured (an ALG may have changed
// them).
func (w *world) describe(f *Frame, p pcaptest.Packet, m *meant) {
	if m.esp != nil {
		v := *m.esp
		f.ESP = &v
	}
	if m.ah != nil {
		v := *m.ah
		f.AH = &v
	}
	if m.gre != nil {
		v := *m.gre
		f.GRE = &v
	}
	if m.pptp != nil {
		v := *m.pptp
		// A PPTP helper may have translated the call IDs: the manifest
		// says what the frame carries (RFC 2637 §2.7, §2.8, §2.12).
		if b := p.Payload; len(b) >= 16 {
			switch v.Type {
			case pcaptest.PPTPTypeOutgoingCallRequest, pcaptest.PPTPTypeCallClearRequest:
				v.CallID = binary.BigEndian.Uint16(b[12:])
			case pcaptest.PPTPTypeOutgoingCallReply:
				v.PeerCallID = binary.BigEndian.Uint16(b[14:])
			}
		}
		f.PPTP = &v
	}
	if m.ike != nil && len(p.Payload) >= m.ikeOff+28 {
		f.IKE = describeIKE(p, m)
	}
}

// describeIKE is the manifest of the IKE message a frame carries, its
// SPIs and length as captured, its NAT-D hashes checked against the
// addresses the frame carries.
func describeIKE(p pcaptest.Packet, m *meant) *IKE {
	wire := p.Payload[m.ikeOff:]
	msg := m.ike
	ike := &IKE{
		Version: msg.Version, Exchange: msg.Exchange, Flags: msg.Flags,
		SPIi: binary.BigEndian.Uint64(wire[0:]), SPIr: binary.BigEndian.Uint64(wire[8:]),
		MessageID: msg.MessageID, Length: binary.BigEndian.Uint32(wire[24:]),
		NonESPMarker: m.marker, TCP: m.tcp, Retransmission: m.retrans,
		Encrypted: len(msg.Encrypted) > 0,
	}
	src := netip.AddrPortFrom(p.Src, p.SrcPort)
	dst := netip.AddrPortFrom(p.Dst, p.DstPort)
	v1NATD := 0
	for _, pl := range msg.Payloads {
		ike.Payloads = append(ike.Payloads, pl.Type)
		switch {
		case pl.Type == pcaptest.V2SK || pl.Type == pcaptest.V2SKF:
			ike.Encrypted = true
		case pl.Type == pcaptest.V2Notify && msg.Version == 2 && len(pl.Body) >= 4:
			nt := binary.BigEndian.Uint16(pl.Body[2:])
			ike.Notifies = append(ike.Notifies, nt)
			data := pl.Body[4+int(pl.Body[1]):]
			switch nt {
			case pcaptest.NotifyNATDetectionSourceIP:
				ike.NATD = append(ike.NATD, NATD{Source: true, PayloadType: pl.Type,
					Match: bytes.Equal(data, pcaptest.NATDv2(ike.SPIi, ike.SPIr, src))})
			case pcaptest.NotifyNATDetectionDestIP:
				ike.NATD = append(ike.NATD, NATD{PayloadType: pl.Type,
					Match: bytes.Equal(data, pcaptest.NATDv2(ike.SPIi, ike.SPIr, dst))})
			}
		case pl.Type == pcaptest.V1Notify && msg.Version == 1 && len(pl.Body) >= 8:
			ike.Notifies = append(ike.Notifies, binary.BigEndian.Uint16(pl.Body[6:]))
		case pl.Type == pcaptest.V2Vendor || pl.Type == pcaptest.V1VendorID:
			ike.VendorIDs = append(ike.VendorIDs, pl.Body)
		case pl.Type == pcaptest.V1NATD || pl.Type == pcaptest.V1NATDDraft:
			// The first NAT-D is the hash of the receiver's address, the
			// others of the sender's (RFC 3947 §3.2). The samples
			// negotiate SHA-1.
			ap, source := dst, false
			if v1NATD > 0 {
				ap, source = src, true
			}
			v1NATD++
			ike.NATD = append(ike.NATD, NATD{Source: source, PayloadType: pl.Type,
				Match: bytes.Equal(pl.Body, pcaptest.NATDv1(sha1.New, ike.SPIi, ike.SPIr, ap))})
		case pl.Type == pcaptest.V2KE && len(pl.Body) >= 4:
			ike.KEGroup, ike.KELen = binary.BigEndian.Uint16(pl.Body), len(pl.Body)-4
		case pl.Type == pcaptest.V1KE && msg.Version == 1:
			ike.KELen = len(pl.Body)
		case pl.Type == pcaptest.V2Nonce || pl.Type == pcaptest.V1Nonce && msg.Version == 1:
			ike.Nonce = pl.Body
		}
	}
	return ike
}

// finish sorts each capture by its own clock, numbers the frames and
// writes the pcap files.
func (w *world) finish() ([]*Capture, error) {
	if w.err != nil {
		return nil, w.err
	}
	var out []*Capture
	caps := []*capture{w.in, w.out}
	if w.oneSide {
		caps = caps[:1]
	}
	for _, c := range caps {
		if c == nil {
			continue
		}
		// Frames of the times the capture was not running are not in it.
		c.frames = slices.DeleteFunc(c.frames, func(f *Frame) bool { return !c.ran(f.real) })
		slices.SortStableFunc(c.frames, func(a, b *Frame) int {
			if r := cmp.Compare(a.us, b.us); r != 0 {
				return r
			}
			return cmp.Compare(a.seq, b.seq)
		})
		var buf bytes.Buffer
		snap := uint32(pcaptest.DefaultSnapLen)
		if c.snapLen > 0 {
			snap = c.snapLen
		}
		pw, err := pcaptest.NewWriter(&buf, snap)
		if err != nil {
			return nil, err
		}
		for i, f := range c.frames {
			f.Number = i + 1
			f.Time = time.UnixMicro(f.us).UTC()
			f.CapLen = min(len(f.data), int(snap))
		}
		cut := 0
		for i, f := range c.frames {
			if f.first != nil {
				f.FirstFrame = f.first.Number
			}
			if c.cutAfter > 0 && i == c.cutAfter {
				// The record header and half the frame: where a copy of
				// a file still being written ends.
				cut = buf.Len() + 16 + f.CapLen/2
			}
			if err := pw.WritePacket(f.Time, f.data); err != nil {
				return nil, err
			}
		}
		cc := &Capture{File: c.file, Frames: c.frames, Bytes: buf.Bytes(), SnapLen: int(snap)}
		if cut > 0 {
			// The manifest keeps the frames a reader can get back.
			cc.Bytes, cc.Frames, cc.Truncated = cc.Bytes[:cut], cc.Frames[:c.cutAfter], true
		}
		out = append(out, cc)
	}
	return out, nil
}
