// Command gen writes the benchmark capture of bench/run.sh: what tcpdump
// sees on the outside interface of a VPN concentrator. Remote-access
// clients, most of them behind NATs, negotiate IKEv2 (IKE_SA_INIT with NAT
// detection on UDP 500, IKE_AUTH floated to UDP 4500 behind the non-ESP
// marker, RFC 7296 §2.23, RFC 3948 §2.2), then send ESP in UDP 4500 both
// ways with NAT-T keepalives and the odd liveness check; clients without a
// NAT send raw ESP (IP protocol 50). Around them, background traffic of the
// same link (by default 60% of the packets): HTTPS over TCP, QUIC, DNS, on
// IPv4 and IPv6, in flows that start and end through the capture.
//
// With -inside, gen also writes what a capture on the LAN side of the
// clients' NAT sees at the same time: every packet once more, those of
// clients behind the NAT with their private address and ports (500 and
// 4500) instead of the NAT's, sent a quarter of a packet interval earlier
// (to the concentrator) or received one later (from it). The two files are
// the inside/outside pair of a NAT, for timing analyze on two captures.
//
// The output is deterministic: the same flags give the same bytes. Frames
// are built in one reused buffer and written through a buffered writer, so
// the default 2,000,000 packets (about 1.3 GB) take seconds to write.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

func main() {
	var o options
	flag.StringVar(&o.out, "o", "concentrator.pcap", "output file")
	flag.StringVar(&o.inside, "inside", "", "also write the capture of the NAT's inside to this file")
	flag.IntVar(&o.packets, "packets", 2_000_000, "packets to write")
	flag.IntVar(&o.tunnels, "tunnels", 2000, "VPN clients")
	flag.IntVar(&o.flows, "flows", 40_000, "background flows over the whole capture")
	flag.IntVar(&o.window, "window", 3000, "background flows active at once")
	flag.Float64Var(&o.background, "background", 0.6, "share of background packets")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed")
	flag.DurationVar(&o.span, "span", 10*time.Minute, "time the capture covers")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	out, inside      string
	packets, tunnels int
	flows, window    int
	background       float64
	seed             uint64
	span             time.Duration
}

func run(o options) error {
	if o.packets < 1 || o.tunnels < 1 || o.flows < 1 || o.window < 1 || o.window > o.flows || o.background < 0 || o.background >= 1 {
		return fmt.Errorf("bad options: need packets, tunnels, flows ≥ 1, 1 ≤ window ≤ flows, 0 ≤ background < 1")
	}
	out, err := newCaptureFile(o.out)
	if err != nil {
		return err
	}
	defer out.close()
	var in *captureFile
	if o.inside != "" {
		if in, err = newCaptureFile(o.inside); err != nil {
			return err
		}
		defer in.close()
	}
	g := newGen(o)
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	step := o.span / time.Duration(o.packets)
	for i := 0; i < o.packets; i++ {
		// Less than half an interval of jitter keeps time in order, in
		// both files.
		ts := t0.Add(time.Duration(i)*step + time.Duration(g.r.Int64N(int64(step/2)+1)))
		p := g.next(i)
		if err := out.w.WritePacket(ts, p.frame(g.fr)); err != nil {
			return err
		}
		if in == nil {
			continue
		}
		toGateway := p.dst == g.gw
		if g.translate(&p) {
			if toGateway {
				ts = ts.Add(-step / 4)
			} else {
				ts = ts.Add(step / 4)
			}
		}
		if err := in.w.WritePacket(ts, p.frame(g.frIn)); err != nil {
			return err
		}
	}
	if in != nil {
		if err := in.finish(); err != nil {
			return err
		}
	}
	return out.finish()
}

// captureFile is a pcap file being written.
type captureFile struct {
	f  *os.File
	bw *bufio.Writer
	w  *pcaptest.Writer
}

func newCaptureFile(path string) (*captureFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := pcaptest.NewWriter(bw, pcaptest.DefaultSnapLen)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &captureFile{f: f, bw: bw, w: w}, nil
}

func (c *captureFile) finish() error {
	if err := c.bw.Flush(); err != nil {
		return err
	}
	err := c.f.Close()
	c.f = nil
	return err
}

// close closes the file if finish did not (after an error).
func (c *captureFile) close() {
	if c.f != nil {
		c.f.Close()
	}
}

// packet is one packet to write, before it is framed: the inside capture
// frames it again with other addresses.
type packet struct {
	proto    uint8 // 6, 17, or 50 for raw ESP
	src, dst netip.Addr
	sport    uint16
	dport    uint16
	seq      uint32 // TCP
	payload  []byte
}

func (p *packet) frame(fr *pcaptest.Framer) []byte {
	switch p.proto {
	case 17:
		return fr.UDP(p.src, p.dst, p.sport, p.dport, p.payload)
	case 6:
		return fr.TCP(p.src, p.dst, p.sport, p.dport, p.seq, p.payload)
	}
	return fr.Frame(p.src, p.dst, p.proto, 0, nil, p.payload)
}

func udp(src, dst netip.Addr, sport, dport uint16, payload []byte) packet {
	return packet{proto: 17, src: src, dst: dst, sport: sport, dport: dport, payload: payload}
}

// translate undoes the NAT for a packet of a client behind it, as the
// inside capture sees it, and reports whether it did.
func (g *gen) translate(p *packet) bool {
	if t := g.byPublic[p.src]; t != nil {
		p.src, p.sport = t.private, t.privatePort(p.sport)
		return true
	}
	if t := g.byPublic[p.dst]; t != nil {
		p.dst, p.dport = t.private, t.privatePort(p.dport)
		return true
	}
	return false
}

// privatePort is the client's own port for one of the NAT's ports.
func (t *tunnel) privatePort(port uint16) uint16 {
	switch port {
	case t.port500:
		return 500
	case t.port4500:
		return 4500
	}
	return port
}

// tunnel is one remote-access client and its IKE SA.
type tunnel struct {
	public     netip.Addr // as the concentrator sees it (the NAT's address)
	private    netip.Addr // the client's own address
	natted     bool
	port500    uint16 // the NAT's port for the client's UDP 500
	port4500   uint16 // the NAT's port for the client's UDP 4500
	spiI, spiR uint64
	step       int // 0-3: next IKE message; 4: established
	espOut     uint32
	espIn      uint32
	seqOut     uint32
	seqIn      uint32
	msgID      uint32
	dpdPending bool // a liveness request waits for its response
}

type gen struct {
	o       options
	r       *rand.Rand
	gw      netip.Addr
	gwMAC   []byte
	peerMAC []byte
	tunnels []tunnel
	pool    []byte // random bytes that stand for ciphertext and payloads
	scratch []byte // the ESP packet being built
	fr      *pcaptest.Framer
	// frIn frames the inside capture's packets; byPublic finds a client
	// behind the NAT by the NAT's address.
	frIn     *pcaptest.Framer
	byPublic map[netip.Addr]*tunnel
}

func newGen(o options) *gen {
	g := &gen{
		o:       o,
		r:       rand.New(rand.NewPCG(o.seed, 0x7670_6e70_6361_70)),
		gw:      netip.MustParseAddr("203.0.113.10"),
		gwMAC:   []byte{0x00, 0x1b, 0x17, 0x00, 0x01, 0x10}, // Palo Alto Networks OUI
		peerMAC: []byte{0x00, 0x00, 0x5e, 0x00, 0x01, 0x01}, // VRRP virtual router
		pool:    make([]byte, 1<<16+2048),
		scratch: make([]byte, 2048),
	}
	g.fr = pcaptest.NewFramer(g.gw, g.gwMAC, g.peerMAC)
	g.frIn = pcaptest.NewFramer(g.gw, []byte{0x02, 0, 0, 0, 0, 0x01}, []byte{0x02, 0, 0, 0, 0, 0x02})
	g.byPublic = make(map[netip.Addr]*tunnel)
	for i := 0; i < len(g.pool); i += 8 {
		binary.LittleEndian.PutUint64(g.pool[i:], g.r.Uint64())
	}
	g.tunnels = make([]tunnel, o.tunnels)
	for i := range g.tunnels {
		t := &g.tunnels[i]
		t.natted = i%10 != 0 // one client in ten has a public address of its own
		// Addresses from the benchmarking range, 198.18.0.0/15 (RFC 2544).
		t.public = netip.AddrFrom4([4]byte{198, 18 + byte((i+1)>>16)&1, byte((i + 1) >> 8), byte(i + 1)})
		if t.natted {
			t.public = netip.AddrFrom4([4]byte{100, 64 + byte(i>>16), byte(i >> 8), byte(i)})
			t.private = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
			g.byPublic[t.public] = t
			t.port500 = uint16(1024 + g.r.IntN(60000))
			t.port4500 = uint16(1024 + g.r.IntN(60000))
		} else {
			t.private = t.public
			t.port500, t.port4500 = 500, 4500
		}
		t.spiI = g.r.Uint64() | 1
		t.spiR = g.r.Uint64() | 1
		t.espOut = 0xc0000000 | g.r.Uint32()>>2
		t.espIn = 0xc0000000 | g.r.Uint32()>>2
	}
	return g
}

// next returns the i-th frame. Tunnels come up through the first half of
// the capture; background flows slide through a window of active flows.
func (g *gen) next(i int) packet {
	if g.r.Float64() < g.o.background {
		return g.background(i)
	}
	active := min(len(g.tunnels), 1+i*len(g.tunnels)/max(g.o.packets/2, 1))
	return g.vpn(&g.tunnels[g.r.IntN(active)])
}

func (g *gen) vpn(t *tunnel) packet {
	switch {
	case t.step < 4:
		return g.negotiate(t)
	case t.dpdPending:
		t.dpdPending = false
		m := pcaptest.Message{SPIi: t.spiI, SPIr: t.spiR, Version: 2, Exchange: pcaptest.V2Informational,
			Flags: pcaptest.V2FlagResponse, MessageID: t.msgID, Payloads: []pcaptest.Payload{pcaptest.SKv2(g.r, 0, 0)}}
		t.msgID++
		return g.ike(g.gw, t.public, 4500, t.port4500, m.Marshal(), t.natted)
	}
	x := g.r.IntN(1000)
	switch {
	case x < 4 && t.natted:
		// RFC 3948 §2.3 keepalive, client to concentrator.
		return udp(t.public, g.gw, t.port4500, 4500, []byte{0xff})
	case x < 5:
		t.dpdPending = true
		m := pcaptest.Message{SPIi: t.spiI, SPIr: t.spiR, Version: 2, Exchange: pcaptest.V2Informational,
			Flags: pcaptest.V2FlagInitiator, MessageID: t.msgID, Payloads: []pcaptest.Payload{pcaptest.SKv2(g.r, 0, 0)}}
		return g.ike(t.public, g.gw, t.port4500, 4500, m.Marshal(), t.natted)
	}
	// ESP: downloads dominate, so inbound packets are larger.
	out := g.r.IntN(100) < 45
	inner := 40 + g.r.IntN(80)
	if g.r.IntN(100) < 55 {
		inner = 1300 + g.r.IntN(50)
	}
	esp := g.esp(t, out, inner)
	src, dst := g.gw, t.public
	sport, dport := uint16(4500), t.port4500
	if out {
		src, dst, sport, dport = t.public, g.gw, t.port4500, 4500
	}
	if !t.natted {
		return packet{proto: 50, src: src, dst: dst, payload: esp}
	}
	return udp(src, dst, sport, dport, esp)
}

// esp returns an ESP packet of the tunnel (RFC 4303 §2) in the reused
// scratch buffer: SPI, sequence number, then bytes that look like
// ciphertext.
func (g *gen) esp(t *tunnel, out bool, inner int) []byte {
	n := pcaptest.ESPLen(inner)
	off := g.r.IntN(1 << 16)
	b := g.scratch[:n]
	copy(b[8:], g.pool[off:off+n-8])
	spi, seq := t.espIn, &t.seqIn
	if out {
		spi, seq = t.espOut, &t.seqOut
	}
	*seq++
	binary.BigEndian.PutUint32(b[0:], spi)
	binary.BigEndian.PutUint32(b[4:], *seq)
	return b
}

// negotiate returns the tunnel's next IKE_SA_INIT or IKE_AUTH message.
func (g *gen) negotiate(t *tunnel) packet {
	gw := netip.AddrPortFrom(g.gw, 500)
	step := t.step
	t.step++
	switch step {
	case 0, 1:
		m := pcaptest.Message{SPIi: t.spiI, Version: 2, Exchange: pcaptest.V2IKESAInit}
		var src, dst netip.AddrPort
		if step == 0 {
			m.Flags = pcaptest.V2FlagInitiator
			src, dst = netip.AddrPortFrom(t.private, 500), gw
		} else {
			m.SPIr, m.Flags = t.spiR, pcaptest.V2FlagResponse
			src, dst = gw, netip.AddrPortFrom(t.private, 500)
		}
		// The NAT-D hashes cover the addresses as each peer knows them:
		// the client its private address, so the concentrator sees the
		// mismatch that reveals the NAT (RFC 7296 §2.23).
		m.Payloads = []pcaptest.Payload{
			pcaptest.SAv2(pcaptest.ProposalV2{Num: 1, Protocol: pcaptest.ProtoIDIKE, Transforms: []pcaptest.TransformV2{
				{Type: pcaptest.TransformENCR, ID: pcaptest.EncrAESGCM16, KeyLen: 256},
				{Type: pcaptest.TransformPRF, ID: pcaptest.PRFHMACSHA256},
				{Type: pcaptest.TransformDH, ID: pcaptest.DHCurve25519},
			}}),
			pcaptest.KEv2(pcaptest.DHCurve25519, g.pool[:32]),
			pcaptest.NonceV2(g.pool[64:96]),
			pcaptest.NotifyV2(0, nil, pcaptest.NotifyNATDetectionSourceIP, pcaptest.NATDv2(t.spiI, m.SPIr, src)),
			pcaptest.NotifyV2(0, nil, pcaptest.NotifyNATDetectionDestIP, pcaptest.NATDv2(t.spiI, m.SPIr, dst)),
		}
		if step == 0 {
			return udp(t.public, g.gw, t.port500, 500, m.Marshal())
		}
		return udp(g.gw, t.public, 500, t.port500, m.Marshal())
	default:
		m := pcaptest.Message{SPIi: t.spiI, SPIr: t.spiR, Version: 2, Exchange: pcaptest.V2IKEAuth, MessageID: 1,
			Payloads: []pcaptest.Payload{pcaptest.SKv2(g.r, pcaptest.V2IDi, 380)}}
		if step == 2 {
			m.Flags = pcaptest.V2FlagInitiator
			t.msgID = 2
			return g.ike(t.public, g.gw, t.port4500, 4500, m.Marshal(), t.natted)
		}
		m.Flags = pcaptest.V2FlagResponse
		return g.ike(g.gw, t.public, 4500, t.port4500, m.Marshal(), t.natted)
	}
}

// ike sends an IKE message after the float: on UDP 4500 behind the non-ESP
// marker when NAT-T is in use, else on UDP 500.
func (g *gen) ike(src, dst netip.Addr, sport, dport uint16, msg []byte, natt bool) packet {
	if !natt {
		// A client without a NAT stays on port 500 (RFC 7296 §2.23).
		return udp(src, dst, 500, 500, msg)
	}
	return udp(src, dst, sport, dport, pcaptest.WithMarker(msg))
}

// background returns a packet of background flow number f, chosen from a
// window of active flows that slides through the capture.
func (g *gen) background(i int) packet {
	base := i * (g.o.flows - g.o.window) / g.o.packets
	f := base + g.r.IntN(g.o.window)
	h := mix(uint64(f) + g.o.seed)
	v6 := h%10 == 0
	var client, server netip.Addr
	if v6 {
		var c, s [16]byte
		copy(c[:], []byte{0x20, 0x01, 0x0d, 0xb8, 0x10})
		copy(s[:], []byte{0x20, 0x01, 0x0d, 0xb8, 0x20})
		binary.BigEndian.PutUint64(c[8:], h)
		binary.BigEndian.PutUint32(s[12:], uint32(h>>40)%512)
		client, server = netip.AddrFrom16(c), netip.AddrFrom16(s)
	} else {
		client = netip.AddrFrom4([4]byte{100, 64 + byte(h>>8)%64, byte(h >> 16), byte(h>>24) | 1})
		server = netip.AddrFrom4([4]byte{192, 0, 2, 1 + byte(h>>32)%200})
	}
	cport := uint16(32768 + h>>48%28000)
	toClient := g.r.IntN(100) < 60
	src, dst := client, server
	if toClient {
		src, dst = server, client
	}
	switch kind := h >> 56 % 100; {
	case kind < 70: // HTTPS: full segments down, mostly ACKs up
		n := 0
		if toClient && g.r.IntN(100) < 75 || !toClient && g.r.IntN(100) < 15 {
			n = 200 + g.r.IntN(1261)
		}
		sport, dport := cport, uint16(443)
		if toClient {
			sport, dport = 443, cport
		}
		return packet{proto: 6, src: src, dst: dst, sport: sport, dport: dport, seq: uint32(h) + uint32(i), payload: g.payload(n)}
	case kind < 85: // QUIC
		n := 40 + g.r.IntN(80)
		if toClient && g.r.IntN(100) < 70 {
			n = 1200 + g.r.IntN(52)
		}
		sport, dport := cport, uint16(443)
		if toClient {
			sport, dport = 443, cport
		}
		return udp(src, dst, sport, dport, g.payload(n))
	default: // DNS
		sport, dport := cport, uint16(53)
		if toClient {
			sport, dport = 53, cport
		}
		return udp(src, dst, sport, dport, g.payload(30+g.r.IntN(150)))
	}
}

func (g *gen) payload(n int) []byte {
	off := g.r.IntN(1 << 16)
	return g.pool[off : off+n]
}

// mix is SplitMix64's finaliser: flow numbers to well-spread bits.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
