package decode

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"net/netip"
)

// NAT-D verification (RFC 3947 §3.2, RFC 7296 §2.23). A NAT-D hash binds the
// IKE SPIs to an address and port as the sender saw them. Recomputing it from
// the addresses and ports in the capture tells, for each peer, whether its
// packets crossed a NAT between where the hash was made and where the packet
// was captured: a match means no translation happened on that side, a
// mismatch that the address or port changed (or that the sender faked the
// hash to force UDP encapsulation).

// IKEv1 hash algorithms, the values of the Phase 1 Hash Algorithm attribute
// (RFC 2409 Appendix A, attribute class 2; RFC 4868 for SHA2).
const (
	ikev1HashMD5    = 1
	ikev1HashSHA1   = 2
	ikev1HashTiger  = 3
	ikev1HashSHA256 = 4
	ikev1HashSHA384 = 5
	ikev1HashSHA512 = 6

	ikev1AttrHash = 2 // the Hash Algorithm attribute type
)

// natdTableSize bounds the learned IKEv1 hash algorithms: one entry per IKE
// SA seen, the oldest evicted first. 64k SAs is far more than a capture of
// one site holds at once, and the table stays under a few megabytes.
const natdTableSize = 1 << 16

// NATDVerifier recomputes NAT-D hashes. Its zero value is ready to use.
//
// IKEv2 hashes are always SHA-1 and can be checked from the message alone.
// IKEv1 hashes use the hash algorithm negotiated for the IKE SA, which the
// verifier learns from the cleartext SA payloads of the Phase 1 exchange
// (Main Mode MM1/MM2, Aggressive Mode AM1/AM2) of the same initiator cookie:
// from the responder's chosen transform, or from the initiator's offer when
// every offered transform names the same hash. Messages must therefore be
// verified in capture order. The table of learned algorithms is bounded
// (64k IKE SAs, oldest evicted first). A verifier is not safe for concurrent
// use.
type NATDVerifier struct {
	algs map[uint64]uint16 // initiator cookie → hash algorithm
	ring []uint64          // insertion order, for eviction
	next int               // next ring slot to fill or evict
}

// Verify fills in m.NATD[i].Match and PortZero from the packet's own source
// and destination as captured. IKEv2 (RFC 7296 §2.23): the hash is
// SHA-1(SPIi | SPIr | IP | Port) with the SPIs from the header (SPIr is 0 in
// the IKE_SA_INIT request), NAT_DETECTION_SOURCE_IP checked against src and
// NAT_DETECTION_DESTINATION_IP against dst. IKEv1 (RFC 3947 §3.2): the hash
// is HASH(CKY-I | CKY-R | IP | Port) with the negotiated Phase 1 hash
// algorithm (MD5, SHA-1, SHA2-256/384/512); the first NAT-D payload is the
// destination's, the others the source's. When the algorithm is unknown
// (not learned, or Tiger) the result is [NATDUnknown].
//
// A hash that does not match the tuple is also tried with port 0: libreswan's
// forced encapsulation (encapsulation=yes) hashes port 0 to make the peer
// see a NAT. Such a hash is a mismatch with PortZero set.
//
// Verify first learns from m's own SA payload, so an Aggressive Mode AM2
// carrying both the chosen transform and NAT-D is verified at once.
func (v *NATDVerifier) Verify(m *IKEMessage, src, dst netip.AddrPort) {
	if m == nil {
		return
	}
	alg := uint16(0)
	if m.Version == 1 {
		v.learn(m)
		alg = v.algs[m.SPIi]
	}
	for i := range m.NATD {
		d := &m.NATD[i]
		d.Match, d.PortZero = NATDUnknown, false
		ap := src
		if d.Kind == NATDDestination {
			ap = dst
		}
		var got, zero [sha512.Size]byte
		var n int
		switch {
		case m.Version == 2 && d.PayloadType == PayloadTypeNotify:
			n = natdHash(ikev1HashSHA1, m.SPIi, m.SPIr, ap.Addr(), ap.Port(), &got)
			natdHash(ikev1HashSHA1, m.SPIi, m.SPIr, ap.Addr(), 0, &zero)
		case m.Version == 1:
			a := alg
			if a == 0 {
				// The SA exchange was not captured (the capture began
				// later): the hash's length names the algorithm, as no
				// two supported ones share a length.
				a = hashByLength(len(d.Hash))
			}
			n = natdHash(a, m.SPIi, m.SPIr, ap.Addr(), ap.Port(), &got)
			natdHash(a, m.SPIi, m.SPIr, ap.Addr(), 0, &zero)
		}
		if n == 0 {
			continue
		}
		switch {
		case string(d.Hash) == string(got[:n]):
			d.Match = NATDMatched
		case string(d.Hash) == string(zero[:n]):
			d.Match, d.PortZero = NATDMismatch, true
		default:
			d.Match = NATDMismatch
		}
	}
}

// HashAlgorithm returns the IKEv1 Phase 1 hash algorithm learned for the IKE
// SA with initiator cookie spii (the Hash Algorithm attribute value,
// RFC 2409 Appendix A), or 0 when none was learned.
func (v *NATDVerifier) HashAlgorithm(spii uint64) uint16 { return v.algs[spii] }

// learn records the hash algorithm of an IKEv1 Phase 1 SA payload when its
// ISAKMP transforms agree on one.
func (v *NATDVerifier) learn(m *IKEMessage) {
	switch m.Exchange {
	case ExchangeTypeBase, ExchangeTypeIdentityProtection, ExchangeTypeAuthOnly, ExchangeTypeAggressive:
	default:
		return
	}
	alg := uint16(0)
	for _, p := range m.Proposals {
		if p.Protocol != ProtocolIDISAKMP {
			continue
		}
		for _, t := range p.Transforms {
			h := uint16(0)
			for _, a := range t.Attributes {
				if a.Type == ikev1AttrHash && a.Data == nil && a.Value <= 0xffff {
					h = uint16(a.Value)
				}
			}
			switch {
			case h == 0:
				return // a transform without a hash: nothing certain
			case alg == 0:
				alg = h
			case alg != h:
				return // the offer leaves the choice open: wait for the answer
			}
		}
	}
	if alg != 0 {
		v.store(m.SPIi, alg)
	}
}

func (v *NATDVerifier) store(spii uint64, alg uint16) {
	if v.algs == nil {
		v.algs = make(map[uint64]uint16)
	}
	if _, ok := v.algs[spii]; ok {
		v.algs[spii] = alg
		return
	}
	if len(v.ring) < natdTableSize {
		v.ring = append(v.ring, spii)
	} else {
		delete(v.algs, v.ring[v.next])
		v.ring[v.next] = spii
		v.next = (v.next + 1) % natdTableSize
	}
	v.algs[spii] = alg
}

// natdHash computes HASH(SPIi | SPIr | IP | Port) into out with the IKEv1
// hash algorithm alg (IKEv2 uses SHA-1, value 2) and returns the hash's
// length, or 0 when alg is not supported or addr is not valid. It does not
// allocate.
func natdHash(alg uint16, spii, spir uint64, addr netip.Addr, port uint16, out *[sha512.Size]byte) int {
	if !addr.IsValid() {
		return 0
	}
	var in [8 + 8 + 16 + 2]byte
	binary.BigEndian.PutUint64(in[0:8], spii)
	binary.BigEndian.PutUint64(in[8:16], spir)
	n := 16
	addr = addr.Unmap()
	if addr.Is4() {
		a := addr.As4()
		n += copy(in[n:], a[:])
	} else {
		a := addr.As16()
		n += copy(in[n:], a[:])
	}
	binary.BigEndian.PutUint16(in[n:n+2], port)
	n += 2
	msg := in[:n]
	switch alg {
	case ikev1HashMD5:
		s := md5.Sum(msg)
		return copy(out[:], s[:])
	case ikev1HashSHA1:
		s := sha1.Sum(msg)
		return copy(out[:], s[:])
	case ikev1HashSHA256:
		s := sha256.Sum256(msg)
		return copy(out[:], s[:])
	case ikev1HashSHA384:
		s := sha512.Sum384(msg)
		return copy(out[:], s[:])
	case ikev1HashSHA512:
		s := sha512.Sum512(msg)
		return copy(out[:], s[:])
	}
	return 0 // Tiger (ikev1HashTiger) has no implementation in the standard library
}

// hashByLength returns the IKEv1 hash algorithm whose digest has n octets,
// or 0.
func hashByLength(n int) uint16 {
	switch n {
	case md5.Size:
		return ikev1HashMD5
	case sha1.Size:
		return ikev1HashSHA1
	case sha256.Size:
		return ikev1HashSHA256
	case sha512.Size384:
		return ikev1HashSHA384
	case sha512.Size:
		return ikev1HashSHA512
	}
	return 0
}
