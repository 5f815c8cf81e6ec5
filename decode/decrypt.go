package decode

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/decode/keys"
)

// DecryptStatus says what the keys of [Options.Keys] made of an encrypted
// IKE message or ESP packet.
type DecryptStatus uint8

// Decryption outcomes.
const (
	// DecryptNoKey: keys were given, none for this SA.
	DecryptNoKey DecryptStatus = iota + 1
	// Decrypted: the integrity check passed and the plaintext decoded.
	Decrypted
	// DecryptFailed: the key of the SA failed the integrity check (for
	// IKEv1, which has no ICV over the ciphertext: the plaintext is not a
	// payload chain), or the plaintext is malformed. Reason says which.
	DecryptFailed
	// DecryptFragment: an SKF fragment that checked and decrypted; the
	// message is decoded on the fragment that completes it (RFC 7383
	// §2.6).
	DecryptFragment
)

var decryptStatusNames = [...]string{
	DecryptNoKey:    "no key",
	Decrypted:       "decrypted",
	DecryptFailed:   "failed",
	DecryptFragment: "fragment decrypted",
}

// String returns the status's stable name, such as "decrypted".
func (s DecryptStatus) String() string {
	if int(s) < len(decryptStatusNames) && decryptStatusNames[s] != "" {
		return decryptStatusNames[s]
	}
	return "status(" + itoa(int(s)) + ")"
}

// Decryption tells what became of an IKE message's encrypted part. Key is
// the source (file and line) of the key used or tried; the key itself is
// never kept here.
type Decryption struct {
	Status DecryptStatus
	Key    keys.Source
	// Reason says why Status is DecryptFailed or DecryptNoKey.
	Reason string
	// Payloads lists the decrypted payloads in order; their content is
	// decoded into the message's fields (Notifies, Proposals, TS, IDs,
	// Deletes, Config…) as cleartext payloads are.
	Payloads []PayloadSummary
	// Fragments is the number of SKF fragments the message was
	// reassembled from; 0 when it was not fragmented.
	Fragments int
}

// ESPDecryption tells what became of an ESP packet with the keys of
// [Options.Keys], and, when decrypted, what it carried (RFC 4303 §2.6).
type ESPDecryption struct {
	Status DecryptStatus
	Key    keys.Source
	Reason string
	// NextHeader is the ESP trailer's Next Header: 4 (IPv4) or 41 (IPv6)
	// in tunnel mode, the transport protocol in transport mode.
	NextHeader uint8
	Inner      InnerPacket
}

// InnerPacket is what a decrypted ESP packet carried. In tunnel mode Src
// and Dst are the inner IP addresses; in transport mode they are invalid
// and Proto is the Next Header.
type InnerPacket struct {
	Tunnel   bool
	Src, Dst netip.Addr
	Proto    uint8 // IP protocol of the inner transport (1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6…)
	// Transport is set when the ports or the ICMP type and code were read:
	// not for a non-first fragment, nor for a header cut short.
	Transport        bool
	SrcPort, DstPort uint16
	ICMPType         uint8
	ICMPCode         uint8
	Length           int // bytes of payload data
}

// decrypter holds what decryption needs across packets: keys found for SAs
// by trial, IKEv1 IV chains, SKF fragments being collected.
type decrypter struct {
	store   *keys.Store
	v2bound map[[2]uint64]*keys.IKEv2SA
	v1      map[uint64]*ikev1State
	skf     map[skfKey]*skfSet
}

func newDecrypter(s *keys.Store) *decrypter {
	return &decrypter{store: s, v2bound: map[[2]uint64]*keys.IKEv2SA{}, v1: map[uint64]*ikev1State{}, skf: map[skfKey]*skfSet{}}
}

// maxDecryptState bounds the IKEv1 SAs and SKF sets tracked at once; past
// it the oldest state is forgotten wholesale, which costs decryptions, not
// correctness (a message without its state is reported undecrypted).
const maxDecryptState = 4096

// message decrypts the encrypted part of m, whose bytes are b (from the
// IKE header on), and decodes the plaintext into m.
func (dc *decrypter) message(m *IKEMessage, b []byte, payloadHash uint64) {
	if uint64(len(b)) > uint64(m.Length) {
		b = b[:m.Length]
	}
	if m.Version == 2 {
		if m.Encrypted {
			dc.ikev2(m, b)
		}
		return
	}
	dc.ikev1(m, b, payloadHash)
}

// ikev2Key finds the keys of the IKEv2 SA of m: bound by SPIs in the store,
// or found earlier by trial, or found now by opening the message with each
// key of unknown SA (accepted only when the integrity check passes).
func (dc *decrypter) ikev2Key(m *IKEMessage, b []byte, bodyOff int) *keys.IKEv2SA {
	spis := [2]uint64{m.SPIi, m.SPIr}
	if k := dc.store.IKEv2For(m.SPIi, m.SPIr); k != nil {
		return k
	}
	if k, ok := dc.v2bound[spis]; ok {
		return k
	}
	for i := range dc.store.IKEv2 {
		k := &dc.store.IKEv2[i]
		if k.Bound {
			continue
		}
		if _, err := k.Open(b, bodyOff, m.IsInitiator()); err == nil {
			dc.v2bound[spis] = k
			return k
		}
	}
	return nil
}

// skfKey names one fragmented message: the SA, the message ID and the
// direction.
type skfKey struct {
	spii, spir uint64
	msgID      uint32
	response   bool
}

type skfSet struct {
	total uint16
	first PayloadType
	parts map[uint16][]byte
}

func (dc *decrypter) ikev2(m *IKEMessage, b []byte) {
	var it PayloadIter
	bodyOff, end := -1, 0
	var typ PayloadType
	for it.Reset(b[IKEHeaderLen:], m.NextPayload, 2); it.Next(); {
		if it.Type() == PayloadTypeSK || it.Type() == PayloadTypeSKF {
			typ = it.Type()
			bodyOff = it.Offset() + minPayloadLen
			if typ == PayloadTypeSKF {
				bodyOff += 4
			}
			end = it.Offset() + it.Length()
		}
	}
	if bodyOff < 0 || end > len(b) {
		return
	}
	msg := b[:end]
	k := dc.ikev2Key(m, msg, bodyOff)
	if k == nil {
		m.Decryption = &Decryption{Status: DecryptNoKey, Reason: "no key for IKE SA " + hex16(m.SPIi) + "/" + hex16(m.SPIr)}
		return
	}
	plain, err := k.Open(msg, bodyOff, m.IsInitiator())
	if err != nil {
		m.Decryption = &Decryption{Status: DecryptFailed, Key: k.Source, Reason: decryptReason(err, k.Source)}
		return
	}
	if typ == PayloadTypeSK {
		m.Decryption = &Decryption{Status: Decrypted, Key: k.Source}
		decodeDecrypted(m, plain, m.EncryptedFirst)
		return
	}
	// An SKF fragment: collect it; decode the message when all are in.
	f := m.Fragment
	if f == nil || f.Number == 0 || f.Total == 0 || f.Number > f.Total {
		m.Decryption = &Decryption{Status: DecryptFailed, Key: k.Source, Reason: "fragment number out of range"}
		return
	}
	key := skfKey{m.SPIi, m.SPIr, m.MessageID, m.IsResponse()}
	set := dc.skf[key]
	if set == nil || set.total != f.Total {
		if len(dc.skf) >= maxDecryptState {
			clear(dc.skf)
		}
		set = &skfSet{total: f.Total, parts: map[uint16][]byte{}}
		dc.skf[key] = set
	}
	if f.Number == 1 {
		set.first = m.EncryptedFirst
	}
	set.parts[f.Number] = plain
	m.Decryption = &Decryption{Status: DecryptFragment, Key: k.Source}
	if len(set.parts) < int(set.total) {
		return
	}
	var whole []byte
	for n := uint16(1); n <= set.total; n++ {
		whole = append(whole, set.parts[n]...)
	}
	delete(dc.skf, key)
	m.Decryption.Status = Decrypted
	m.Decryption.Fragments = int(set.total)
	decodeDecrypted(m, whole, set.first)
}

func decryptReason(err error, src keys.Source) string {
	if errors.Is(err, keys.ErrIntegrity) {
		return "integrity check failed with the key of " + src.String() + ": a wrong key, or one of another SA"
	}
	return err.Error() + " (key of " + src.String() + ")"
}

// decodeDecrypted decodes a decrypted payload chain whose first payload is
// of type first into m, with the decoders of cleartext payloads.
func decodeDecrypted(m *IKEMessage, plain []byte, first PayloadType) {
	p := messageParser{m: m, version: m.Version, size: len(plain)}
	p.sawSA = len(m.Proposals) > 0
	var it PayloadIter
	for it.Reset(plain, first, m.Version); it.Next(); {
		m.Decryption.Payloads = append(m.Decryption.Payloads, p.payload(&it, it.Offset()-IKEHeaderLen))
	}
	err := p.err
	if err == nil {
		err = it.Err()
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			// Offsets count in the plaintext, not in the message.
			e.Field = "decrypted " + e.Field
			e.Offset -= IKEHeaderLen
		}
		m.Decryption.Status = DecryptFailed
		m.Decryption.Reason = "the decrypted payloads are malformed: " + err.Error()
	}
}

func hex16(v uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b[:])
}

// ikev1State is what decrypting one IKEv1 SA needs (RFC 2409 Appendix B):
// the negotiated cipher and hash, the two DH public values, and the CBC
// chains: phase 1's, and one per message ID for the exchanges after it.
type ikev1State struct {
	encAlg, hashAlg uint16
	keyLen          int // bytes; 0 when the SA did not say
	gxi, gxr        []byte
	cipher          *keys.IKEv1Cipher
	key             *keys.IKEv1SA
	p1IV            []byte // IV of the next phase 1 message
	lastP1          []byte // last ciphertext block of phase 1
	mids            map[uint32][]byte
	// seen holds the plaintext of messages already decrypted, by payload
	// hash: a retransmission is the same ciphertext and must not move the
	// chain.
	seen map[uint64][]byte
}

// IKEv1 SA attributes (RFC 2409 Appendix A).
const (
	ikev1AttrEncryption = 1
	ikev1AttrKeyLength  = 14
)

// ikev1 follows the messages of an ISAKMP SA: from the Phase 1 cleartext
// it learns what the IVs derive from, and it decrypts the encrypted
// messages with the key of the SA.
func (dc *decrypter) ikev1(m *IKEMessage, b []byte, payloadHash uint64) {
	if !m.Encrypted {
		dc.learnV1(m, b)
		return
	}
	st := dc.v1[m.SPIi]
	k := dc.store.IKEv1For(m.SPIi)
	if k == nil {
		m.Decryption = &Decryption{Status: DecryptNoKey, Reason: "no key for ISAKMP SA with initiator cookie " + hex16(m.SPIi)}
		return
	}
	fail := func(reason string) {
		m.Decryption = &Decryption{Status: DecryptFailed, Key: k.Source, Reason: reason}
	}
	if st == nil || st.gxi == nil || st.gxr == nil || st.hashAlg == 0 || st.encAlg == 0 {
		fail("the capture lacks the Main or Aggressive Mode messages whose SA and KE payloads the IV is derived from")
		return
	}
	if plain, ok := st.seen[payloadHash]; ok {
		m.Decryption = &Decryption{Status: Decrypted, Key: k.Source}
		decodeDecrypted(m, plain, m.NextPayload)
		return
	}
	if st.cipher == nil {
		c, err := keys.NewIKEv1Cipher(k, st.encAlg, st.keyLen)
		if err != nil {
			fail(err.Error())
			return
		}
		h := ikev1Hash(st.hashAlg)
		if h == nil {
			fail("IKEv1 hash algorithm " + itoa(int(st.hashAlg)) + " is not known to vpnpcap")
			return
		}
		st.cipher, st.key = c, k
		st.p1IV = ikev1IV(h, c.BlockSize(), st.gxi, st.gxr)
	}
	bs := st.cipher.BlockSize()
	ct := b[IKEHeaderLen:]
	if len(ct) == 0 || len(ct)%bs != 0 {
		fail("the encrypted payloads are not a whole number of " + itoa(bs) + "-byte blocks")
		return
	}
	phase1 := m.MessageID == 0
	var iv []byte
	if phase1 {
		iv = st.p1IV
	} else if iv = st.mids[m.MessageID]; iv == nil {
		var mid [4]byte
		binary.BigEndian.PutUint32(mid[:], m.MessageID)
		iv = ikev1IV(ikev1Hash(st.hashAlg), bs, st.lastP1, mid[:])
	}
	plain, err := st.cipher.Decrypt(iv, ct)
	if err != nil {
		fail(err.Error())
		return
	}
	n, ok := chainLength(plain, m.NextPayload)
	if !ok {
		fail("the decrypted payloads are not a payload chain: a wrong key (" + k.Source.String() +
			"), or a message of this exchange missing from the capture (each IV is the previous message's last block)")
		return
	}
	plain = plain[:n]
	last := append([]byte(nil), ct[len(ct)-bs:]...)
	if phase1 {
		st.p1IV, st.lastP1 = last, last
	} else {
		st.mids[m.MessageID] = last
	}
	st.seen[payloadHash] = plain
	m.Decryption = &Decryption{Status: Decrypted, Key: k.Source}
	decodeDecrypted(m, plain, m.NextPayload)
}

// learnV1 learns the transform and the Diffie-Hellman values of an ISAKMP
// SA from the cleartext of its Main or Aggressive Mode: the Phase 1 IV is
// derived from them (RFC 2409 Appendix B).
func (dc *decrypter) learnV1(m *IKEMessage, b []byte) {
	if m.Exchange != ExchangeTypeIdentityProtection && m.Exchange != ExchangeTypeAggressive {
		return
	}
	st := dc.v1[m.SPIi]
	if st == nil {
		if dc.store.IKEv1For(m.SPIi) == nil {
			return
		}
		if len(dc.v1) >= maxDecryptState {
			clear(dc.v1)
		}
		st = &ikev1State{mids: map[uint32][]byte{}, seen: map[uint64][]byte{}}
		dc.v1[m.SPIi] = st
	}
	if len(m.Proposals) > 0 && len(m.Proposals[0].Transforms) > 0 {
		// The responder's SA (MM2) comes after the initiator's and
		// holds the chosen transform alone.
		for _, a := range m.Proposals[0].Transforms[0].Attributes {
			switch a.Type {
			case ikev1AttrEncryption:
				st.encAlg = uint16(a.Value)
			case ikev1AttrHash:
				st.hashAlg = uint16(a.Value)
			case ikev1AttrKeyLength:
				st.keyLen = int(a.Value / 8)
			}
		}
	}
	if ke := rawPayload(b, m.NextPayload, PayloadTypeV1KE); ke != nil {
		switch {
		case st.gxi == nil:
			st.gxi = ke
		case string(ke) != string(st.gxi) && st.gxr == nil:
			st.gxr = ke
		}
	}
}

func ikev1Hash(alg uint16) func() hash.Hash {
	switch alg {
	case 1:
		return md5.New
	case 2:
		return sha1.New
	case 4:
		return sha256.New
	case 5:
		return sha512.New384
	case 6:
		return sha512.New
	}
	return nil
}

// ikev1IV is the hash of a and b truncated to the block size (RFC 2409
// Appendix B: the phase 1 IV from g^xi and g^xr, a later exchange's from
// the last phase 1 block and the message ID).
func ikev1IV(h func() hash.Hash, bs int, a, b []byte) []byte {
	x := h()
	x.Write(a)
	x.Write(b)
	return x.Sum(nil)[:bs]
}

// rawPayload returns a copy of the body of the first payload of type want
// in the cleartext chain of message b.
func rawPayload(b []byte, first, want PayloadType) []byte {
	if len(b) < IKEHeaderLen {
		return nil
	}
	var it PayloadIter
	for it.Reset(b[IKEHeaderLen:], first, 1); it.Next(); {
		if it.Type() == want {
			return append([]byte(nil), it.Body()...)
		}
	}
	return nil
}

// chainLength walks an IKEv1 plaintext payload chain and returns its
// length without the padding after it. It fails when the chain does not fit
// or its first payload is of no known type: what a wrong key or IV gives.
func chainLength(plain []byte, first PayloadType) (int, bool) {
	if !knownV1Payload(first) {
		return 0, false
	}
	off, next := 0, first
	for next != PayloadTypeNone {
		if len(plain)-off < minPayloadLen {
			return 0, false
		}
		l := int(binary.BigEndian.Uint16(plain[off+2:]))
		if l < minPayloadLen || l > len(plain)-off {
			return 0, false
		}
		next = PayloadType(plain[off])
		if next != PayloadTypeNone && !knownV1Payload(next) {
			return 0, false
		}
		off += l
	}
	return off, off > 0
}

func knownV1Payload(t PayloadType) bool {
	return (t >= PayloadTypeV1SA && t <= PayloadTypeV1GAP) || t == PayloadTypeV1NATDDraft || t == PayloadTypeV1NATOADraft
}

// esp decrypts an ESP packet b (from the SPI on) for which the store has
// a key, filling p.Decrypted.
func (dc *decrypter) esp(p *Packet, b []byte) {
	k := dc.store.ESPFor(p.ESP.SPI, p.Src, p.Dst)
	if k == nil {
		return
	}
	r := &ESPDecryption{Key: k.Source}
	p.Decrypted = r
	payload, next, err := k.Open(b)
	if err != nil {
		r.Status = DecryptFailed
		r.Reason = decryptReason(err, k.Source)
		return
	}
	r.Status = Decrypted
	r.NextHeader = next
	r.Inner = innerPacket(payload, next)
}

// innerPacket describes the payload of a decrypted ESP packet.
func innerPacket(b []byte, next uint8) InnerPacket {
	in := InnerPacket{Proto: next, Length: len(b)}
	switch next {
	case 4:
		if len(b) < 20 || b[0]>>4 != 4 {
			return in
		}
		hl := int(b[0]&0x0f) * 4
		in.Tunnel = true
		in.Src = netip.AddrFrom4([4]byte(b[12:16]))
		in.Dst = netip.AddrFrom4([4]byte(b[16:20]))
		in.Proto = b[9]
		if hl >= 20 && hl <= len(b) && binary.BigEndian.Uint16(b[6:8])&0x1fff == 0 {
			b = b[hl:]
		} else {
			return in
		}
	case 41:
		if len(b) < 40 || b[0]>>4 != 6 {
			return in
		}
		in.Tunnel = true
		in.Src = netip.AddrFrom16([16]byte(b[8:24]))
		in.Dst = netip.AddrFrom16([16]byte(b[24:40]))
		in.Proto = b[6]
		b = b[40:]
	}
	switch in.Proto {
	case 6, 17:
		if len(b) >= 4 {
			in.SrcPort, in.DstPort = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
			in.Transport = true
		}
	case 1, 58:
		if len(b) >= 2 {
			in.ICMPType, in.ICMPCode = b[0], b[1]
			in.Transport = true
		}
	}
	return in
}
