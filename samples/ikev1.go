package samples

import (
	"crypto/sha1"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// ike1 is one IKEv1 (ISAKMP) SA: Main Mode with pre-shared keys, then
// Quick Mode, between an inside initiator and a remote responder.
type ike1 struct {
	w    *world
	i, r *host

	ckyI, ckyR uint64
	rckyI      uint64 // CKY-I as the responder received it

	iport, rport uint16
	vidsI, vidsR [][]byte
	// natdI and natdR are the NAT-D payload types the initiator sends in
	// MM3 and the responder in MM4 (20, 130, or 0 for none).
	natdI, natdR uint8

	who  string         // prefix for the notes of its IKE messages, such as "client A: "
	peer netip.AddrPort // the initiator as the responder sees it
	// rSelf, when valid, is the responder's own address as it knows it:
	// its private address when a NAT in front of it forwards UDP 500
	// (beyond the captures). Its NAT-D hash of itself covers this.
	rSelf netip.AddrPort
	// peer500 is the initiator's IKE port 500 as the responder saw it,
	// kept after the float.
	peer500 netip.AddrPort
	// clear stores the messages from Main Mode 5 on decrypted, as a
	// capture re-written with the peers' IKE keys shows them.
	clear   bool
	lastOut time.Duration
	kaNext  time.Duration // when the next keepalive is due at the earliest
	qmMID   uint32
}

func (w *world) newIKE1(i, r *host) *ike1 {
	return &ike1{w: w, i: i, r: r, ckyI: w.newIKESPI(), ckyR: w.newIKESPI(),
		iport: pcaptest.PortIKE, rport: pcaptest.PortIKE}
}

func (s *ike1) sendI(msg *pcaptest.Message, note string, retrans int) xmit {
	if retrans == 0 {
		s.lastOut = s.w.now
	}
	return s.w.sendIKE(s.i, s.i.ap(s.iport), s.r.ap(s.rport), msg, s.who+note, retrans, nil)
}

func (s *ike1) sendR(msg *pcaptest.Message, note string) xmit {
	return s.w.sendIKE(s.r, s.r.ap(s.rport), s.peer, msg, s.who+note, 0, nil)
}

func (s *ike1) learn(x xmit) {
	s.peer = x.out.SrcAddrPort()
	if x.out.DstPort == pcaptest.PortIKE {
		s.peer500 = s.peer
	}
	off := 0
	if x.out.DstPort == pcaptest.PortNATT {
		off = 4
	}
	if len(x.out.Payload) >= off+8 {
		s.rckyI = binary.BigEndian.Uint64(x.out.Payload[off:])
	}
}

// phase1 returns a Phase 1 transform: AES-CBC with the given key length,
// SHA-1, pre-shared key, MODP-2048, 8 hours (RFC 2409 Appendix A). SHA-1
// is what the NAT-D hashes then use (RFC 3947 §3.2).
func phase1(num uint8, keyLen uint32) pcaptest.TransformV1 {
	return pcaptest.TransformV1{Num: num, ID: pcaptest.TransformKeyIKE, Attrs: []pcaptest.Attr{
		{Type: pcaptest.AttrEncryption, Value: pcaptest.Phase1AESCBC},
		{Type: pcaptest.AttrKeyLength, Value: keyLen},
		{Type: pcaptest.AttrHash, Value: pcaptest.Phase1SHA1},
		{Type: pcaptest.AttrAuthMethod, Value: pcaptest.Phase1PSK},
		{Type: pcaptest.AttrGroup, Value: 14},
		{Type: pcaptest.AttrLifeType, Value: pcaptest.LifeSeconds},
		{Type: pcaptest.AttrLifeDuration, Value: 28800},
	}}
}

func (s *ike1) mm(fromI bool, payloads []pcaptest.Payload) *pcaptest.Message {
	m := &pcaptest.Message{SPIi: s.ckyI, SPIr: s.ckyR, Version: 1, Exchange: pcaptest.V1MainMode, Payloads: payloads}
	if !fromI {
		m.SPIi = s.rckyI
	}
	return m
}

// encrypted builds an IKEv1 message with the E flag whose first encrypted
// payload is first and whose plaintext is plainLen octets, padded to the
// AES block (RFC 2409 Appendix B).
func (s *ike1) encrypted(fromI bool, exch uint8, mid uint32, first uint8, plainLen int) *pcaptest.Message {
	m := &pcaptest.Message{SPIi: s.ckyI, SPIr: s.ckyR, Version: 1, Exchange: exch, Flags: pcaptest.V1FlagEncryption,
		MessageID: mid, First: first, Encrypted: pcaptest.RandBytes(s.w.rng, (plainLen+16)/16*16)}
	if !fromI {
		m.SPIi = s.rckyI
	}
	return m
}

// natD builds the NAT-D payloads a peer sends: the hash of the receiver's
// address and port first, then its own (RFC 3947 §3.2).
func (s *ike1) natD(typ uint8, cI, cR uint64, remote, local netip.AddrPort) []pcaptest.Payload {
	if typ == 0 {
		return nil
	}
	return []pcaptest.Payload{
		pcaptest.NATDPayloadV1(typ, pcaptest.NATDv1(sha1.New, cI, cR, remote)),
		pcaptest.NATDPayloadV1(typ, pcaptest.NATDv1(sha1.New, cI, cR, local)),
	}
}

// mainMode runs MM1–MM6. When float is set the initiator moves to port
// 4500 for MM5 on (RFC 3947 §4), if the NAT-D hashes showed a NAT. It
// returns whether MM6 arrived.
func (s *ike1) mainMode(float bool) bool {
	w := s.w
	if !s.mainMode4() {
		return false
	}
	if float && s.natdI != 0 && s.natdR != 0 && s.peer != s.i.ap(s.iport) {
		s.iport, s.rport = pcaptest.PortNATT, pcaptest.PortNATT
	}
	// Each message is built just before it is sent: the random stream is
	// drawn in the order of the story.
	mm := func(fromI bool, id netip.Addr, plainLen int) *pcaptest.Message {
		if s.clear {
			return s.mm(fromI, []pcaptest.Payload{idAddr(id, 0, 0), pcaptest.HashV1(pcaptest.RandBytes(w.rng, 20))})
		}
		return s.encrypted(fromI, pcaptest.V1MainMode, 0, pcaptest.V1ID, plainLen)
	}
	note5, note6 := "Main Mode 5 (encrypted: ID, HASH, INITIAL-CONTACT)", "Main Mode 6 (encrypted: ID, HASH)"
	if s.clear {
		note5, note6 = "Main Mode 5 (decrypted: ID, HASH)", "Main Mode 6 (decrypted: ID, HASH)"
	}
	x := s.sendI(mm(true, s.i.addr, 12+24+28), note5, 0)
	if !x.ok {
		return false
	}
	s.learn(x)
	w.after(w.jitter(ms(23), ms(30)))
	y := s.sendR(mm(false, s.r.addr, 12+24), note6)
	w.after(w.jitter(ms(1), ms(4)))
	return y.ok
}

// idAddr builds an ID_IPV4_ADDR identification with a protocol and port.
func idAddr(a netip.Addr, proto uint8, port uint16) pcaptest.Payload {
	b := a.As4()
	return pcaptest.IDv1(pcaptest.IDIPv4Addr, proto, port, b[:])
}

// quickModeDecrypted runs Quick Mode stored decrypted (see clear): HASH,
// SA, Nonce, IDci and IDcr: an ESP proposal with the given encapsulation
// mode for L2TP (UDP 1701) between the peers, without NAT-OA payloads. It
// returns the SAs the peers chose: the initiator's outbound (the SPI in the
// responder's proposal) and inbound.
func (s *ike1) quickModeDecrypted(mode uint32) (out, in *esa) {
	w := s.w
	out, in = &esa{spi: w.newSPI()}, &esa{spi: w.newSPI()}
	s.qmMID = w.rng.Uint32() | 1
	proposal := func(spi uint32) pcaptest.Payload {
		return pcaptest.SAv1(pcaptest.ProposalV1{Num: 1, Protocol: pcaptest.ProtoIDESP, SPI: binary.BigEndian.AppendUint32(nil, spi),
			Transforms: []pcaptest.TransformV1{{Num: 1, ID: pcaptest.TransformESPAES, Attrs: []pcaptest.Attr{
				{Type: pcaptest.AttrIPsecLifeType, Value: pcaptest.LifeSeconds},
				{Type: pcaptest.AttrIPsecLifeDuration, Value: 3600},
				{Type: pcaptest.AttrEncapsulationMode, Value: mode},
				{Type: pcaptest.AttrAuthAlgorithm, Value: pcaptest.AuthHMACSHA},
				{Type: pcaptest.AttrIPsecKeyLength, Value: 128},
			}}}})
	}
	msg := func(fromI bool, pl ...pcaptest.Payload) *pcaptest.Message {
		m := s.mm(fromI, pl)
		m.Exchange, m.MessageID = pcaptest.V1QuickMode, s.qmMID
		return m
	}
	ids := []pcaptest.Payload{idAddr(s.i.addr, 17, 1701), idAddr(s.r.addr, 17, 1701)}
	pl := append([]pcaptest.Payload{pcaptest.HashV1(pcaptest.RandBytes(w.rng, 20)), proposal(in.spi),
		pcaptest.NonceV1(pcaptest.RandBytes(w.rng, 32))}, ids...)
	x := s.sendI(msg(true, pl...), "Quick Mode 1 (decrypted: HASH, SA, Nonce, IDci, IDcr)", 0)
	if !x.ok {
		return out, in
	}
	s.learn(x)
	w.after(w.jitter(ms(26), ms(36)))
	pl = append([]pcaptest.Payload{pcaptest.HashV1(pcaptest.RandBytes(w.rng, 20)), proposal(out.spi),
		pcaptest.NonceV1(pcaptest.RandBytes(w.rng, 32))}, ids...)
	if y := s.sendR(msg(false, pl...), "Quick Mode 2 (decrypted: HASH, SA, Nonce, IDci, IDcr)"); !y.ok {
		return out, in
	}
	w.after(w.jitter(ms(3), ms(8)))
	s.sendI(msg(true, pcaptest.HashV1(pcaptest.RandBytes(w.rng, 20))), "Quick Mode 3 (decrypted: HASH)", 0)
	w.after(w.jitter(ms(1), ms(3)))
	return out, in
}

// mainMode4 runs MM1–MM4, the cleartext part of Main Mode: SA and Vendor
// IDs, then KE, nonce and NAT-D. It returns whether MM4 arrived.
func (s *ike1) mainMode4() bool {
	w := s.w
	pl := []pcaptest.Payload{pcaptest.SAv1(pcaptest.ProposalV1{Num: 1, Protocol: pcaptest.ProtoIDIKE,
		Transforms: []pcaptest.TransformV1{phase1(1, 256), phase1(2, 128)}})}
	for _, v := range s.vidsI {
		pl = append(pl, pcaptest.VendorV1(v))
	}
	mm1 := &pcaptest.Message{SPIi: s.ckyI, Version: 1, Exchange: pcaptest.V1MainMode, Payloads: pl}
	x := s.sendI(mm1, "Main Mode 1 (SA, Vendor IDs)", 0)
	if !x.ok {
		return false
	}
	s.learn(x)
	w.after(w.jitter(ms(22), ms(30)))
	pl = []pcaptest.Payload{pcaptest.SAv1(pcaptest.ProposalV1{Num: 1, Protocol: pcaptest.ProtoIDIKE,
		Transforms: []pcaptest.TransformV1{phase1(1, 256)}})}
	for _, v := range s.vidsR {
		pl = append(pl, pcaptest.VendorV1(v))
	}
	mm2 := &pcaptest.Message{SPIi: s.rckyI, SPIr: s.ckyR, Version: 1, Exchange: pcaptest.V1MainMode, Payloads: pl}
	if y := s.sendR(mm2, "Main Mode 2 (SA, Vendor IDs)"); !y.ok {
		return false
	}
	w.after(w.jitter(ms(2), ms(6)))

	pl = []pcaptest.Payload{pcaptest.KEv1(pcaptest.RandBytes(w.rng, 256)), pcaptest.NonceV1(pcaptest.RandBytes(w.rng, 32))}
	pl = append(pl, s.natD(s.natdI, s.ckyI, s.ckyR, s.r.ap(s.rport), s.i.ap(s.iport))...)
	x = s.sendI(s.mm(true, pl), "Main Mode 3 (KE, Nonce"+natdNote(s.natdI)+")", 0)
	if !x.ok {
		return false
	}
	s.learn(x)
	w.after(w.jitter(ms(25), ms(34)))
	pl = []pcaptest.Payload{pcaptest.KEv1(pcaptest.RandBytes(w.rng, 256)), pcaptest.NonceV1(pcaptest.RandBytes(w.rng, 32))}
	self := s.r.ap(s.rport)
	if s.rSelf.IsValid() {
		self = s.rSelf
	}
	pl = append(pl, s.natD(s.natdR, s.rckyI, s.ckyR, s.peer, self)...)
	if y := s.sendR(s.mm(false, pl), "Main Mode 4 (KE, Nonce"+natdNote(s.natdR)+")"); !y.ok {
		return false
	}
	w.after(w.jitter(ms(4), ms(9)))
	return true
}

func natdNote(typ uint8) string {
	switch typ {
	case pcaptest.V1NATD:
		return ", NAT-D, NAT-D"
	case pcaptest.V1NATDDraft:
		return ", draft NAT-D (130), NAT-D (130)"
	}
	return ""
}

// quickMode runs the three Quick Mode messages with PFS (MODP-2048): HASH,
// SA, Nonce, KE, IDci, IDcr, all encrypted, so the proposal and its
// encapsulation mode are not visible in a capture. It returns whether the
// last message reached the responder.
func (s *ike1) quickMode() bool {
	w := s.w
	s.qmMID = w.rng.Uint32() | 1
	plain := 24 + 56 + 36 + 260 + 12 + 16
	x := s.sendI(s.encrypted(true, pcaptest.V1QuickMode, s.qmMID, pcaptest.V1Hash, plain), "Quick Mode 1 (encrypted)", 0)
	if !x.ok {
		return false
	}
	s.learn(x)
	w.after(w.jitter(ms(26), ms(36)))
	if y := s.sendR(s.encrypted(false, pcaptest.V1QuickMode, s.qmMID, pcaptest.V1Hash, 24+44+36+260+12+16), "Quick Mode 2 (encrypted)"); !y.ok {
		return false
	}
	w.after(w.jitter(ms(3), ms(8)))
	x = s.sendI(s.encrypted(true, pcaptest.V1QuickMode, s.qmMID, pcaptest.V1Hash, 24), "Quick Mode 3 (encrypted)", 0)
	w.after(w.jitter(ms(1), ms(3)))
	return x.ok
}

// espOut sends ESP from the initiator, UDP-encapsulated after a float.
func (s *ike1) espOut(sa *esa, innerLen int, note string) xmit {
	s.lastOut = s.w.now
	encap := s.iport == pcaptest.PortNATT
	return s.w.esp(s.i, s.i.ap(s.iport), s.r.ap(s.rport), encap, sa, innerLen, note)
}

// espIn sends ESP from the responder to the initiator as it sees it.
func (s *ike1) espIn(sa *esa, innerLen int, note string) xmit {
	encap := s.rport == pcaptest.PortNATT
	return s.w.esp(s.r, s.r.ap(s.rport), s.peer, encap, sa, innerLen, note)
}

// keepalivesUntil sends the initiator's keepalives due before t.
func (s *ike1) keepalivesUntil(t time.Duration, note string) {
	const interval = 20 * time.Second
	k := max(s.kaNext, s.lastOut+interval)
	for ; k <= t; k += interval {
		s.w.at(k)
		s.w.keepalive(s.i, s.i.ap(s.iport), s.r.ap(s.rport), note)
		note = ""
	}
	s.kaNext = k
	s.w.at(t)
}

// pings sends n echo requests through the tunnel one second apart, each
// answered when it reaches the responder and answer is set.
func (s *ike1) pings(out, in *esa, n int, note string, answer bool) {
	w := s.w
	for k := range n {
		x := s.espOut(out, 84, noteIf(k == 0, note+" (ping through the tunnel)"))
		if x.ok && answer {
			w.after(w.jitter(ms(24), ms(32)))
			s.espIn(in, 84, noteIf(k == 0, note+" (ping reply)"))
		}
		w.after(sec(1) + w.jitter(0, ms(2)))
	}
}

// dpd runs an RFC 3706 dead peer detection exchange from the initiator:
// R-U-THERE and R-U-THERE-ACK notifications, each in an encrypted
// Informational exchange with its own message ID. It returns whether the
// acknowledgment arrived.
func (s *ike1) dpd(note string) bool {
	w := s.w
	mid := w.rng.Uint32() | 1
	x := s.sendI(s.encrypted(true, pcaptest.V1Informational, mid, pcaptest.V1Hash, 24+32), note+": R-U-THERE (encrypted Informational)", 0)
	if !x.ok {
		return false
	}
	s.learn(x)
	w.after(w.jitter(ms(22), ms(30)))
	y := s.sendR(s.encrypted(false, pcaptest.V1Informational, w.rng.Uint32()|1, pcaptest.V1Hash, 24+32), note+": R-U-THERE-ACK (encrypted Informational)")
	return y.ok
}

// dpdOn500 runs a dead peer detection exchange the responder starts on UDP
// port 500, to the initiator's Main Mode 1 endpoint, although the SA has
// floated to 4500; the initiator answers from port 500 too. It returns
// whether the acknowledgment arrived.
func (s *ike1) dpdOn500(note string) bool {
	w := s.w
	mid := w.rng.Uint32() | 1
	req := s.encrypted(false, pcaptest.V1Informational, mid, pcaptest.V1Hash, 24+32)
	x := w.sendIKE(s.r, s.r.ap(pcaptest.PortIKE), s.peer500, req, s.who+note+": R-U-THERE on UDP 500 (encrypted Informational)", 0, nil)
	if !x.ok {
		return false
	}
	w.after(w.jitter(ms(1), ms(3)))
	ack := s.encrypted(true, pcaptest.V1Informational, w.rng.Uint32()|1, pcaptest.V1Hash, 24+32)
	y := w.sendIKE(s.i, s.i.ap(pcaptest.PortIKE), s.r.ap(pcaptest.PortIKE), ack, s.who+note+": R-U-THERE-ACK from UDP 500 (encrypted Informational)", 0, nil)
	return y.ok
}

// deleteSA sends the initiator's Delete of the ISAKMP SA: one encrypted
// Informational message, which IKEv1 does not acknowledge.
func (s *ike1) deleteSA() {
	s.sendI(s.encrypted(true, pcaptest.V1Informational, s.w.rng.Uint32()|1, pcaptest.V1Hash, 24+28), "Informational: Delete of the ISAKMP SA (encrypted)", 0)
}
