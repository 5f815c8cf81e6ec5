package samples

import (
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// esa is one direction of an ESP (or AH) SA: its SPI and the last sequence
// number sent (RFC 4303 §3.3.3: the first packet carries 1).
type esa struct {
	spi uint32
	seq uint32
}

func (e *esa) next() *SPISeq {
	e.seq++
	return &SPISeq{SPI: e.spi, Seq: e.seq}
}

// newSPI draws an SPI the way the Linux kernel allocates them for
// strongSwan and libreswan (0xc0000000–0xcfffffff).
func (w *world) newSPI() uint32 { return 0xc0000000 | w.rng.Uint32()&0x0fffffff }

// newIKESPI draws a non-zero IKE SPI or ISAKMP cookie.
func (w *world) newIKESPI() uint64 {
	for {
		if v := w.rng.Uint64(); v != 0 {
			return v
		}
	}
}

// esp sends one ESP packet carrying an inner packet of innerLen octets,
// either raw (protocol 50) or UDP-encapsulated with a zero UDP checksum
// (RFC 3948 §2.1).
func (w *world) esp(from *host, src, dst netip.AddrPort, encap bool, sa *esa, innerLen int, note string) xmit {
	return w.espSeq(from, src, dst, encap, sa.next(), innerLen, note)
}

// espSeq sends the ESP packet with a given SPI and sequence number, for
// stories where packets leave out of order or never leave.
func (w *world) espSeq(from *host, src, dst netip.AddrPort, encap bool, ss *SPISeq, innerLen int, note string) xmit {
	body := pcaptest.ESP(w.rng, ss.SPI, ss.Seq, innerLen)
	m := &meant{kind: KindESP, note: note, esp: ss}
	var p pcaptest.Packet
	if encap {
		m.kind = KindUDPESP
		p = w.packet(from, pcaptest.ProtoUDP, src, dst, body)
		p.ZeroUDPChecksum = true
	} else {
		p = w.packet(from, pcaptest.ProtoESP, netip.AddrPortFrom(src.Addr(), 0), netip.AddrPortFrom(dst.Addr(), 0), body)
	}
	return w.emit(from, p, m)
}

// keepalive sends a NAT-T keepalive (RFC 3948 §2.3).
func (w *world) keepalive(from *host, src, dst netip.AddrPort, note string) xmit {
	p := w.packet(from, pcaptest.ProtoUDP, src, dst, append([]byte(nil), pcaptest.Keepalive...))
	return w.emit(from, p, &meant{kind: KindNATKeepalive, note: note})
}

// dns resolves name through the resolver: a query from an ephemeral port
// and the answer 8–25 ms later. It advances the clock past the answer.
func (w *world) dns(c, resolver *host, name string, addr netip.Addr) {
	id := uint16(w.rng.Uint32())
	q := w.packet(c, pcaptest.ProtoUDP, c.ap(w.ephemeral(c)), resolver.ap(pcaptest.PortDNS), pcaptest.DNSQuery(id, name))
	x := w.send(q, &meant{kind: KindOther})
	if !x.ok {
		return
	}
	w.after(w.jitter(ms(8), ms(25)))
	a := w.packet(resolver, pcaptest.ProtoUDP, resolver.ap(pcaptest.PortDNS), x.out.SrcAddrPort(),
		pcaptest.DNSAnswer(id, name, uint32(60+w.rng.IntN(3540)), addr))
	w.deliver(a, &meant{kind: KindOther})
	w.after(w.jitter(ms(1), ms(3)))
}

// tcpFlow is one TCP connection from an inside host (or the client of a
// scenario without NAT) to a remote server, through the NAT.
type tcpFlow struct {
	w      *world
	c, s   *host
	conn   *pcaptest.TCPConn
	pub    netip.AddrPort // the client as the server sees it
	rtt    time.Duration
	closed bool
	// prefixed is set once the client has sent the RFC 9329 stream prefix.
	prefixed bool
	// sent records when each client segment left and the sequence number
	// after it, so that the server acknowledges only what can have
	// reached it: segments sent at least one round trip before the
	// server's segment arrives at the NAT.
	sent []sentSeg
}

type sentSeg struct {
	t   time.Duration
	end uint32
}

// dial opens a connection: SYN, SYN-ACK, ACK. It advances the clock.
func (w *world) dial(c *host, cport uint16, s *host, sport uint16, rtt time.Duration) *tcpFlow {
	f := &tcpFlow{w: w, c: c, s: s, rtt: rtt,
		conn: pcaptest.NewTCPConn(w.rng, c.ap(cport), s.ap(sport))}
	x := f.fromClient(f.conn.SYN(), &meant{kind: KindOther})
	if !x.ok {
		f.closed = true
		return f
	}
	f.pub = x.out.SrcAddrPort()
	w.after(f.rtt)
	f.fromServer(f.conn.SYNACK(), &meant{kind: KindOther})
	w.after(w.jitter(ms(0.05), ms(0.3)))
	f.fromClient(f.conn.ACK(true), &meant{kind: KindOther})
	return f
}

func (f *tcpFlow) fromClient(p pcaptest.Packet, m *meant) xmit {
	end := p.TCP.Seq + uint32(len(p.Payload))
	if p.TCP.Flags&(pcaptest.SYN|pcaptest.FIN) != 0 {
		end++
	}
	f.sent = append(f.sent, sentSeg{t: f.w.now, end: end})
	return f.w.send(f.w.fill(f.c, p), m)
}

func (f *tcpFlow) fromServer(p pcaptest.Packet, m *meant) xmit {
	p.Dst, p.DstPort = f.pub.Addr(), f.pub.Port()
	if p.TCP.Flags&pcaptest.ACK != 0 {
		for _, s := range f.sent {
			if s.t <= f.w.now-f.rtt+100*time.Microsecond {
				p.TCP.Ack = s.end
			}
		}
	}
	return f.w.deliver(f.w.fill(f.s, p), m)
}

// send sends data from one side as segments of at most 1460 octets (the
// MSS both sides announced).
func (f *tcpFlow) send(fromClient bool, data []byte, m *meant) xmit {
	var x xmit
	for len(data) > 0 {
		n := min(len(data), 1460)
		seg := f.conn.Data(fromClient, data[:n])
		if fromClient {
			x = f.fromClient(seg, m)
		} else {
			x = f.fromServer(seg, m)
		}
		data = data[n:]
		if len(data) > 0 {
			f.w.after(time.Duration(12+f.w.rng.IntN(20)) * time.Microsecond)
		}
	}
	return x
}

// sendRecord sends one RFC 9329 record (IKE or ESP) in a segment of its
// own; the client's first segment starts with the "IKETCP" prefix
// (RFC 9329 §4).
func (f *tcpFlow) sendRecord(fromClient bool, rec []byte, m *meant) xmit {
	data, off := rec, 0
	if fromClient && !f.prefixed {
		data = append(append([]byte(nil), pcaptest.TCPEncapPrefix...), rec...)
		off = len(pcaptest.TCPEncapPrefix)
		f.prefixed = true
	}
	if m.ike != nil {
		m.tcp, m.ikeOff = true, off+2+4
	}
	return f.send(fromClient, data, m)
}

// ack sends a pure acknowledgment.
func (f *tcpFlow) ack(fromClient bool) {
	if fromClient {
		f.fromClient(f.conn.ACK(true), &meant{kind: KindOther})
	} else {
		f.fromServer(f.conn.ACK(false), &meant{kind: KindOther})
	}
}

// close exchanges FINs, the client first.
func (f *tcpFlow) close() {
	if f.closed {
		return
	}
	f.closed = true
	f.fromClient(f.conn.FIN(true), &meant{kind: KindOther})
	f.w.after(f.rtt)
	f.fromServer(f.conn.FIN(false), &meant{kind: KindOther})
	f.w.after(f.w.jitter(ms(0.05), ms(0.3)))
	f.fromClient(f.conn.ACK(true), &meant{kind: KindOther})
}

// https runs a short HTTPS exchange with a web server: handshake, TLS 1.3
// hello and server flight, one request and response, close. It advances
// the clock by the length of the exchange.
func (w *world) https(c, web *host, sni string) {
	rtt := w.jitter(ms(9), ms(16))
	f := w.dial(c, w.ephemeral(c), web, pcaptest.PortHTTPS, rtt)
	if f.closed {
		return
	}
	w.after(w.jitter(ms(0.2), ms(1)))
	ch := pcaptest.TLSClientHello(w.rng, sni)
	f.send(true, ch, &meant{kind: KindOther})
	w.after(rtt + w.jitter(ms(1), ms(4)))
	f.send(false, pcaptest.TLSServerHello(w.rng, ch, 2400+w.rng.IntN(1200)), &meant{kind: KindOther})
	w.after(w.jitter(ms(0.05), ms(0.2)))
	f.ack(true)
	w.after(w.jitter(ms(1), ms(3)))
	fin := append(append([]byte{0x14, 0x03, 0x03, 0x00, 0x01, 0x01}, pcaptest.TLSAppData(w.rng, 53)...), pcaptest.TLSAppData(w.rng, 90+w.rng.IntN(300))...)
	f.send(true, fin, &meant{kind: KindOther})
	w.after(rtt + w.jitter(ms(5), ms(40)))
	var resp []byte
	for range 1 + w.rng.IntN(3) {
		resp = append(resp, pcaptest.TLSAppData(w.rng, 200+w.rng.IntN(1300))...)
	}
	f.send(false, resp, &meant{kind: KindOther})
	w.after(w.jitter(ms(0.05), ms(0.2)))
	f.ack(true)
	w.after(w.jitter(ms(20), ms(200)))
	f.close()
}
