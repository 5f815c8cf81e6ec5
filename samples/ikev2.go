package samples

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// ike2 is one IKEv2 SA between an initiator i (an inside host, or the
// client of a scenario without NAT) and a responder r (a remote gateway),
// with the choices that distinguish the scenarios.
type ike2 struct {
	w    *world
	i, r *host

	spii, spir uint64
	// rspii is the initiator SPI as the responder received it: an ALG may
	// have replaced it (failure mode NT15).
	rspii uint64

	iport, rport uint16 // current ports: 500, then 4500 after the float
	mid          uint32 // message ID of the initiator's next request after IKE_SA_INIT (0)

	natd    bool // send NAT detection notifies
	fakeSrc bool // forced encapsulation: NAT_DETECTION_SOURCE_IP of a random address (strongSwan encap=yes)
	fragI   bool // the initiator sends IKEV2_FRAGMENTATION_SUPPORTED
	fragR   bool // the responder does
	vendor  bool // both send the strongSwan Vendor ID
	certs   bool // the responder requests certificates
	// proposal, when set, replaces the initiator's default IKE proposals,
	// and keGroup (zero: MODP-2048) is the group of its KE payload.
	proposal *pcaptest.Payload
	keGroup  uint16
	// rAddr is the responder's address as the initiator knows it: its
	// public address when it sits behind a port-forwarding NAT.
	rAddr netip.Addr

	// peer is the initiator's address and port as the responder last saw
	// them: where it sends responses and ESP.
	peer netip.AddrPort
	// lastOut is when the initiator last generated an IKE message or sent
	// ESP: strongSwan sends a keepalive when nothing left for 20 s.
	lastOut time.Duration
	kaNext  time.Duration // when the next keepalive is due at the earliest

	tcp *tcpFlow // RFC 9329 transport, when IKE runs over TCP
	who string   // prefix for the notes of its IKE messages, such as "client A: "
}

func (w *world) newIKE2(i, r *host) *ike2 {
	s := &ike2{w: w, i: i, r: r, spii: w.newIKESPI(), spir: w.newIKESPI(),
		iport: pcaptest.PortIKE, rport: pcaptest.PortIKE, mid: 1, natd: true, fragI: true, fragR: true, vendor: true,
		rAddr: r.addr}
	s.rspii = s.spii
	return s
}

// retransmits returns strongSwan's retransmission times relative to the
// first transmission: timeout 4 s, base 1.8, five retransmissions
// (charon.retransmit_timeout, retransmit_base, retransmit_tries), and the
// time at which it gives up.
func retransmits() (sends []time.Duration, giveUp time.Duration) {
	var t float64
	sends = append(sends, 0)
	for k := range 6 {
		t += 4 * math.Pow(1.8, float64(k))
		if k < 5 {
			sends = append(sends, sec(t))
		}
	}
	return sends, sec(t)
}

func retransNote(note string, n int) string {
	if n == 0 {
		return note
	}
	return fmt.Sprintf("%s, retransmission %d", note, n)
}

// sendI sends a message from the initiator at the current time.
func (s *ike2) sendI(msg *pcaptest.Message, note string, retrans int) xmit {
	if retrans == 0 {
		s.lastOut = s.w.now
	}
	return s.w.sendIKE(s.i, s.i.ap(s.iport), s.rAP(), msg, s.who+note, retrans, s.tcp)
}

// rAP is the responder's current endpoint as the initiator addresses it.
func (s *ike2) rAP() netip.AddrPort { return netip.AddrPortFrom(s.rAddr, s.rport) }

// sendR sends a message from the responder to the initiator's address as
// the responder sees it.
func (s *ike2) sendR(msg *pcaptest.Message, note string, retrans int) xmit {
	return s.w.sendIKE(s.r, s.r.ap(s.rport), s.peer, msg, s.who+note, retrans, s.tcp)
}

// sendIKE sends an IKE message over UDP (with the non-ESP marker on port
// 4500) or over an RFC 9329 TCP stream.
func (w *world) sendIKE(from *host, src, dst netip.AddrPort, msg *pcaptest.Message, note string, retrans int, tcp *tcpFlow) xmit {
	b := msg.Marshal()
	m := &meant{kind: KindIKE, note: retransNote(note, retrans), ike: msg, retrans: retrans}
	if tcp != nil {
		return tcp.sendRecord(from == tcp.c, pcaptest.TCPRecordIKE(b), m)
	}
	if src.Port() == pcaptest.PortNATT || dst.Port() == pcaptest.PortNATT {
		b = pcaptest.WithMarker(b)
		m.ikeOff, m.marker = 4, true
	}
	return w.emit(from, w.packet(from, pcaptest.ProtoUDP, src, dst, b), m)
}

// learn records what the responder saw of a request that reached it: the
// outside copy, or the inside one for a responder behind the NAT.
func (s *ike2) learn(x xmit) {
	seen := x.out
	if s.r.inside && !s.w.single {
		seen = x.in
	}
	s.peer = seen.SrcAddrPort()
	if s.tcp != nil {
		return
	}
	off := 0
	if seen.DstPort == pcaptest.PortNATT || seen.SrcPort == pcaptest.PortNATT {
		off = 4
	}
	if len(seen.Payload) >= off+8 {
		s.rspii = binary.BigEndian.Uint64(seen.Payload[off:])
	}
}

// ikeProposals is what strongSwan proposes by default, trimmed: AES-CBC
// 256/128, SHA2-256, MODP-2048 and Curve25519.
func ikeProposals() pcaptest.Payload {
	return pcaptest.SAv2(pcaptest.ProposalV2{Num: 1, Protocol: pcaptest.ProtoIDIKE, Transforms: []pcaptest.TransformV2{
		{Type: pcaptest.TransformENCR, ID: pcaptest.EncrAESCBC, KeyLen: 256},
		{Type: pcaptest.TransformENCR, ID: pcaptest.EncrAESCBC, KeyLen: 128},
		{Type: pcaptest.TransformINTEG, ID: pcaptest.IntegSHA256128},
		{Type: pcaptest.TransformPRF, ID: pcaptest.PRFHMACSHA256},
		{Type: pcaptest.TransformDH, ID: pcaptest.DHModp2048},
		{Type: pcaptest.TransformDH, ID: pcaptest.DHCurve25519},
	}})
}

// ikeChosen is the responder's choice from ikeProposals.
func ikeChosen() pcaptest.Payload {
	return pcaptest.SAv2(pcaptest.ProposalV2{Num: 1, Protocol: pcaptest.ProtoIDIKE, Transforms: []pcaptest.TransformV2{
		{Type: pcaptest.TransformENCR, ID: pcaptest.EncrAESCBC, KeyLen: 256},
		{Type: pcaptest.TransformINTEG, ID: pcaptest.IntegSHA256128},
		{Type: pcaptest.TransformPRF, ID: pcaptest.PRFHMACSHA256},
		{Type: pcaptest.TransformDH, ID: pcaptest.DHModp2048},
	}})
}

// hashAlgs is the SIGNATURE_HASH_ALGORITHMS notify data: SHA2-256,
// SHA2-384, SHA2-512, Identity (RFC 7427 §4).
var hashAlgs = []byte{0, 2, 0, 3, 0, 4, 0, 5}

// initRequest builds the IKE_SA_INIT request. The NAT-D hashes are those of
// the addresses the initiator knows: its own, and the responder's.
func (s *ike2) initRequest() *pcaptest.Message {
	sa := ikeProposals()
	if s.proposal != nil {
		sa = *s.proposal
	}
	ke := pcaptest.KEv2(pcaptest.DHModp2048, pcaptest.RandBytes(s.w.rng, 256))
	switch s.keGroup {
	case pcaptest.DHCurve25519:
		ke = pcaptest.KEv2(pcaptest.DHCurve25519, pcaptest.RandBytes(s.w.rng, 32))
	case pcaptest.DHModp1024:
		ke = pcaptest.KEv2(pcaptest.DHModp1024, pcaptest.RandBytes(s.w.rng, 128))
	}
	pl := []pcaptest.Payload{sa, ke, pcaptest.NonceV2(pcaptest.RandBytes(s.w.rng, 32))}
	if s.natd {
		src := s.i.ap(s.iport)
		if s.fakeSrc {
			// strongSwan hashes a random IPv4 address with port 0
			// (ike_natd.c, build_natd_payload).
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], s.w.rng.Uint32())
			src = netip.AddrPortFrom(netip.AddrFrom4(a), 0)
		}
		pl = append(pl,
			pcaptest.NotifyV2(0, nil, pcaptest.NotifyNATDetectionSourceIP, pcaptest.NATDv2(s.spii, 0, src)),
			pcaptest.NotifyV2(0, nil, pcaptest.NotifyNATDetectionDestIP, pcaptest.NATDv2(s.spii, 0, s.rAP())))
	}
	if s.fragI {
		pl = append(pl, pcaptest.NotifyV2(0, nil, pcaptest.NotifyFragmentationSupported, nil))
	}
	pl = append(pl,
		pcaptest.NotifyV2(0, nil, pcaptest.NotifySignatureHashAlgorithms, hashAlgs),
		pcaptest.NotifyV2(0, nil, pcaptest.NotifyRedirectSupported, nil))
	if s.vendor {
		pl = append(pl, pcaptest.VendorV2(pcaptest.VIDStrongSwan))
	}
	return &pcaptest.Message{SPIi: s.spii, Version: 2, Exchange: pcaptest.V2IKESAInit,
		Flags: pcaptest.V2FlagInitiator, Payloads: pl}
}

// initResponse builds the IKE_SA_INIT response from what the responder
// saw: the SPIi it received and the addresses on the packet.
func (s *ike2) initResponse() *pcaptest.Message {
	pl := []pcaptest.Payload{
		ikeChosen(),
		pcaptest.KEv2(pcaptest.DHModp2048, pcaptest.RandBytes(s.w.rng, 256)),
		pcaptest.NonceV2(pcaptest.RandBytes(s.w.rng, 32)),
	}
	if s.natd {
		pl = append(pl,
			pcaptest.NotifyV2(0, nil, pcaptest.NotifyNATDetectionSourceIP, pcaptest.NATDv2(s.rspii, s.spir, s.r.ap(s.rport))),
			pcaptest.NotifyV2(0, nil, pcaptest.NotifyNATDetectionDestIP, pcaptest.NATDv2(s.rspii, s.spir, s.peer)))
	}
	if s.certs {
		pl = append(pl, pcaptest.CertReqV2(pcaptest.RandBytes(s.w.rng, 20)))
	}
	if s.fragR {
		pl = append(pl, pcaptest.NotifyV2(0, nil, pcaptest.NotifyFragmentationSupported, nil))
	}
	pl = append(pl,
		pcaptest.NotifyV2(0, nil, pcaptest.NotifySignatureHashAlgorithms, hashAlgs),
		pcaptest.NotifyV2(0, nil, pcaptest.NotifyMultipleAuthSupported, nil))
	if s.vendor {
		pl = append(pl, pcaptest.VendorV2(pcaptest.VIDStrongSwan))
	}
	return &pcaptest.Message{SPIi: s.rspii, SPIr: s.spir, Version: 2, Exchange: pcaptest.V2IKESAInit,
		Flags: pcaptest.V2FlagResponse, Payloads: pl}
}

// initError builds the responder's IKE_SA_INIT response that carries only
// an error notify, with a zero responder SPI (RFC 7296 §1.2, §2.6): no
// IKE SA exists on its side.
func (s *ike2) initError(notify uint16, data []byte) *pcaptest.Message {
	return &pcaptest.Message{SPIi: s.rspii, Version: 2, Exchange: pcaptest.V2IKESAInit, Flags: pcaptest.V2FlagResponse,
		Payloads: []pcaptest.Payload{pcaptest.NotifyV2(0, nil, notify, data)}}
}

// request builds the initiator's next request: an SK payload whose first
// inner payload is inner, with plainLen octets of inner payloads.
func (s *ike2) request(exch, inner uint8, plainLen int) *pcaptest.Message {
	m := &pcaptest.Message{SPIi: s.spii, SPIr: s.spir, Version: 2, Exchange: exch,
		Flags: pcaptest.V2FlagInitiator, MessageID: s.mid,
		Payloads: []pcaptest.Payload{pcaptest.SKv2(s.w.rng, inner, plainLen)}}
	s.mid++
	return m
}

// response builds the responder's response to request req.
func (s *ike2) response(req *pcaptest.Message, inner uint8, plainLen int) *pcaptest.Message {
	return &pcaptest.Message{SPIi: s.rspii, SPIr: s.spir, Version: 2, Exchange: req.Exchange,
		Flags: pcaptest.V2FlagResponse, MessageID: req.MessageID,
		Payloads: []pcaptest.Payload{pcaptest.SKv2(s.w.rng, inner, plainLen)}}
}

// handshake runs IKE_SA_INIT and, if float is set, moves both peers to
// port 4500 (RFC 7296 §2.23). It returns whether the response arrived.
func (s *ike2) handshake(float bool) bool {
	w := s.w
	req := s.initRequest()
	x := s.sendI(req, "IKE_SA_INIT request", 0)
	if !x.ok {
		return false
	}
	s.learn(x)
	w.after(w.jitter(ms(22), ms(30)))
	y := s.sendR(s.initResponse(), "IKE_SA_INIT response", 0)
	if !y.ok {
		return false
	}
	if float {
		s.iport, s.rport = pcaptest.PortNATT, pcaptest.PortNATT
	}
	w.after(w.jitter(ms(6), ms(14)))
	return true
}

// auth runs IKE_AUTH with one request and one response of the given
// plaintext sizes. It returns whether the response arrived.
func (s *ike2) auth(reqLen, respLen int) bool {
	w := s.w
	req := s.request(pcaptest.V2IKEAuth, pcaptest.V2IDi, reqLen)
	x := s.sendI(req, "IKE_AUTH request", 0)
	if !x.ok {
		return false
	}
	s.learn(x)
	w.after(w.jitter(ms(25), ms(40)))
	y := s.sendR(s.response(req, pcaptest.V2IDr, respLen), "IKE_AUTH response", 0)
	w.after(w.jitter(ms(1), ms(3)))
	return y.ok
}

// informational runs an INFORMATIONAL exchange from the initiator: a
// liveness check (empty SK, plainLen 0) or the Delete of the IKE SA.
func (s *ike2) informational(note string, plainLen int) bool {
	w := s.w
	inner := uint8(0)
	if plainLen > 0 {
		inner = pcaptest.V2Delete
	}
	req := s.request(pcaptest.V2Informational, inner, plainLen)
	x := s.sendI(req, note+" request", 0)
	if !x.ok {
		return false
	}
	s.learn(x)
	w.after(w.jitter(ms(22), ms(30)))
	// The response to a liveness check, and to the Delete of the IKE SA,
	// is an empty INFORMATIONAL (RFC 7296 §1.4.1).
	y := s.sendR(s.response(req, 0, 0), note+" response", 0)
	return y.ok
}

// child is a CHILD SA pair: out is the initiator's outbound SA (the
// responder's inbound SPI), in the initiator's inbound SA.
type child struct {
	out, in esa
	encapI  bool // the initiator UDP-encapsulates its ESP
	encapR  bool // the responder does
}

func (s *ike2) newChild(encap bool) *child {
	return &child{out: esa{spi: s.w.newSPI()}, in: esa{spi: s.w.newSPI()}, encapI: encap, encapR: encap}
}

// espOut sends ESP from the initiator.
func (s *ike2) espOut(c *child, innerLen int, note string) xmit {
	s.lastOut = s.w.now
	if s.tcp != nil {
		ss := c.out.next()
		return s.tcp.sendRecord(true, pcaptest.TCPRecordESP(pcaptest.ESP(s.w.rng, ss.SPI, ss.Seq, innerLen)),
			&meant{kind: KindTCPESP, note: note, esp: ss})
	}
	return s.w.esp(s.i, s.i.ap(s.iport), s.rAP(), c.encapI, &c.out, innerLen, note)
}

// espIn sends ESP from the responder to the initiator as it sees it.
func (s *ike2) espIn(c *child, innerLen int, note string) xmit {
	if s.tcp != nil {
		ss := c.in.next()
		return s.tcp.sendRecord(false, pcaptest.TCPRecordESP(pcaptest.ESP(s.w.rng, ss.SPI, ss.Seq, innerLen)),
			&meant{kind: KindTCPESP, note: note, esp: ss})
	}
	return s.w.esp(s.r, s.r.ap(s.rport), s.peer, c.encapR, &c.in, innerLen, note)
}

// keepalivesUntil sends the initiator's NAT-T keepalives due before t:
// one 20 s after its last outbound packet, then every 20 s.
func (s *ike2) keepalivesUntil(t time.Duration, note string) {
	const interval = 20 * time.Second
	k := max(s.kaNext, s.lastOut+interval)
	for ; k <= t; k += interval {
		s.w.at(k)
		s.w.keepalive(s.i, s.i.ap(s.iport), s.rAP(), note)
		note = ""
	}
	s.kaNext = k
	s.w.at(t)
}

// pings sends n echo requests through the tunnel one second apart, each
// answered when it reaches the responder and answer is set. Inner packets
// are 84-octet ICMP echoes.
func (s *ike2) pings(c *child, n int, note string, answer bool) {
	w := s.w
	for k := range n {
		x := s.espOut(c, 84, noteIf(k == 0, note+" (ping through the tunnel)"))
		if x.ok && answer {
			w.after(w.jitter(ms(24), ms(32)))
			s.espIn(c, 84, noteIf(k == 0, note+" (ping reply)"))
		}
		w.after(sec(1) + w.jitter(0, ms(2)))
	}
}

func noteIf(cond bool, note string) string {
	if cond {
		return note
	}
	return ""
}

// transfer imitates a short TCP download through the tunnel: handshake,
// a request, a few full-size segments back, acknowledgments, close. Only
// the first packet carries the note.
func (s *ike2) transfer(c *child, segments int, note string) {
	w := s.w
	rtt := func() time.Duration { return w.jitter(ms(24), ms(34)) }
	small := func() time.Duration { return w.jitter(ms(0.1), ms(1.5)) }
	s.espOut(c, 60, note)
	w.after(rtt())
	s.espIn(c, 60, "")
	w.after(small())
	s.espOut(c, 52, "")
	w.after(w.jitter(ms(0.02), ms(0.08)))
	s.espOut(c, 380+w.rng.IntN(200), "")
	w.after(rtt())
	for k := range segments {
		s.espIn(c, 1300+w.rng.IntN(60), "")
		w.after(small())
		if k%2 == 1 {
			s.espOut(c, 52, "")
			w.after(w.jitter(ms(0.02), ms(0.08)))
		}
	}
	s.espOut(c, 52, "")
	w.after(w.jitter(ms(50), ms(400)))
	s.espOut(c, 52, "")
	w.after(rtt())
	s.espIn(c, 52, "")
	w.after(small())
	s.espOut(c, 52, "")
}
