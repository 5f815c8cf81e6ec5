package decode

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"net/netip"
	"testing"
)

func addrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// natdResult is what Verify decided for one NAT-D hash.
type natdResult struct {
	Kind     NATDKind
	Match    NATDMatch
	PortZero bool
}

func natdResults(m *IKEMessage) []natdResult {
	var r []natdResult
	for _, d := range m.NATD {
		r = append(r, natdResult{d.Kind, d.Match, d.PortZero})
	}
	return r
}

func mustParse(t *testing.T, data []byte) *IKEMessage {
	t.Helper()
	m, err := ParseIKEMessage(data)
	if err != nil {
		t.Fatalf("ParseIKEMessage error = %v", err)
	}
	return m
}

// verifyStep is one message of a capture, verified in capture order.
type verifyStep struct {
	data     []byte
	src, dst string
	want     []natdResult // nil: the message has no NAT-D
}

// TestNATDVerifyCaptures verifies the NAT-D hashes of the public-capture
// fixtures with the addresses and ports the captures show (see the tcpdump
// text above each fixture), and checks the verdicts against what is known of
// each network.
func TestNATDVerifyCaptures(t *testing.T) {
	matched := func(k NATDKind) natdResult { return natdResult{Kind: k, Match: NATDMatched} }
	mismatch := func(k NATDKind) natdResult { return natdResult{Kind: k, Match: NATDMismatch} }
	tests := []struct {
		name  string
		steps []verifyStep
	}{{
		// Cisco FlexVPN without NAT: both hashes of both messages match.
		name: "IKEv2 no NAT (nDPI esp.pcapng)",
		steps: []verifyStep{
			{testIKEv2SAInitRequest, "10.2.3.2:500", "10.3.4.4:500", []natdResult{matched(NATDSource), matched(NATDDestination)}},
			{testIKEv2SAInitResponse, "10.3.4.4:500", "10.2.3.2:500", []natdResult{matched(NATDSource), matched(NATDDestination)}},
		},
	}, {
		// The client hashed its private address and port 500; the NAT
		// rewrote the port to 10500 (and the address, beyond this capture).
		// The gateway hashed the public tuple it saw as destination.
		name: "IKEv2 client behind NAT (nDPI ipsec_isakmp_esp.pcap)",
		steps: []verifyStep{
			{testIKEv2NATCookieRequest, "192.168.2.100:10500", "109.237.187.193:500", []natdResult{mismatch(NATDSource), matched(NATDDestination)}},
			{testIKEv2NATResponse, "109.237.187.193:500", "192.168.2.100:10500", []natdResult{matched(NATDSource), mismatch(NATDDestination)}},
		},
	}, {
		// SHA is the negotiated hash (tshark: Hash-Algorithm SHA in MM1 and
		// MM2); no NAT between the peers.
		name: "IKEv1 Main Mode, no NAT (suricata-verify ikev1-isakmp-main-mode.pcap)",
		steps: []verifyStep{
			{testIKEv1MainMM1, "192.168.12.1:500", "192.168.12.2:500", nil},
			{testIKEv1MainMM2, "192.168.12.2:500", "192.168.12.1:500", nil},
			{testIKEv1MainMM3, "192.168.12.1:500", "192.168.12.2:500", []natdResult{matched(NATDDestination), matched(NATDSource)}},
		},
	}, {
		// MM1 offers MD5 and SHA transforms; MM2 picks MD5 (tshark: MM1
		// Hash-Algorithm 1,2,2,1, MM2 1). The initiator is behind a NAT and
		// the capture is on the responder's side: the initiator's own hash
		// does not match its translated address.
		name: "IKEv1 Main Mode, initiator behind NAT (tcpdump isakmp4500.pcap)",
		steps: []verifyStep{
			{testIKEv1NATTMM1, "192.1.2.254:500", "192.1.2.23:500", nil},
			{testIKEv1NATTMM2, "192.1.2.23:500", "192.1.2.254:500", nil},
			{testIKEv1NATTMM3, "192.1.2.254:500", "192.1.2.23:500", []natdResult{matched(NATDDestination), mismatch(NATDSource)}},
		},
	}, {
		// AM2 carries both the chosen transform and the NAT-D payloads.
		name: "IKEv1 Aggressive Mode AM2 alone (zeek-spicy-ipsec aggressive-mode)",
		steps: []verifyStep{
			{testIKEv1Aggressive, "192.168.12.2:500", "192.168.12.1:500", []natdResult{matched(NATDDestination), matched(NATDSource)}},
		},
	}, {
		// Without the SA exchange the hash's length names the algorithm
		// (20 octets: SHA-1).
		name: "IKEv1 MM3 without MM1 and MM2",
		steps: []verifyStep{
			{testIKEv1MainMM3, "192.168.12.1:500", "192.168.12.2:500", []natdResult{matched(NATDDestination), matched(NATDSource)}},
		},
	}, {
		// MM1 alone leaves the choice between MD5 and SHA open; the
		// hashes' length settles it.
		name: "IKEv1 MM3 after a mixed offer without the answer",
		steps: []verifyStep{
			{testIKEv1NATTMM1, "192.1.2.254:500", "192.1.2.23:500", nil},
			{testIKEv1NATTMM3, "192.1.2.254:500", "192.1.2.23:500", []natdResult{matched(NATDDestination), mismatch(NATDSource)}},
		},
	}, {
		// In Main Mode, payload 15 is Cisco's draft NAT-D (see
		// ike_payloads.go); these peers are not NATed.
		name: "IKEv1 draft NAT-D as payload 15 (tcpdump ISAKMP_sa_setup.pcap)",
		steps: []verifyStep{
			{testIKEv1Payload15, "10.0.0.1:500", "10.0.0.2:500", []natdResult{matched(NATDDestination), matched(NATDSource)}},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v NATDVerifier
			for i, s := range tc.steps {
				m := mustParse(t, s.data)
				v.Verify(m, addrPort(s.src), addrPort(s.dst))
				if got := natdResults(m); !equalResults(got, s.want) {
					t.Errorf("step %d: Verify(%s -> %s) = %+v, want %+v", i+1, s.src, s.dst, got, s.want)
				}
			}
		})
	}
}

func equalResults(a, b []natdResult) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// refHash computes HASH(SPIi | SPIr | IP | Port) independently of natdHash.
func refHash(h hash.Hash, spii, spir uint64, ap netip.AddrPort) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint64(b, spii)
	b = binary.BigEndian.AppendUint64(b, spir)
	b = append(b, ap.Addr().Unmap().AsSlice()...)
	b = binary.BigEndian.AppendUint16(b, ap.Port())
	h.Write(b)
	return h.Sum(nil)
}

// v1SAMessage builds an IKEv1 Main Mode message with one ISAKMP proposal
// whose transforms use the given Hash Algorithm attribute values.
func v1SAMessage(spii, spir uint64, hashes ...uint16) []byte {
	var transforms []byte
	for i, h := range hashes {
		next := byte(3)
		if i == len(hashes)-1 {
			next = 0
		}
		transforms = append(transforms, cat([]byte{next, 0}, be16(8+8), []byte{byte(i + 1), 1, 0, 0},
			be16(0x8000|1), be16(7), be16(0x8000|ikev1AttrHash), be16(h))...)
	}
	prop := cat([]byte{0, 0}, be16(uint16(8+len(transforms))), []byte{1, 1, 0, byte(len(hashes))}, transforms)
	return buildIKE(spii, spir, 1, ExchangeTypeIdentityProtection, 0, 0, 0,
		testPayload{typ: PayloadTypeV1SA, body: cat(be32(1), be32(1), prop)})
}

// TestNATDVerifySynthetic covers what the corpus lacks: draft NAT-D (130)
// with SHA2-256, IPv6, libreswan's port-0 hashes, faked hashes, and IKEv1
// algorithms the verifier cannot compute.
func TestNATDVerifySynthetic(t *testing.T) {
	const spii, spir = 0x0102030405060708, 0x1112131415161718
	src, dst := addrPort("[2001:db8::1]:4500"), addrPort("[2001:db8::2]:500")
	v1natd := func(typ PayloadType, d, s []byte) []byte {
		return buildIKE(spii, spir, 1, ExchangeTypeIdentityProtection, 0, 0, 0,
			testPayload{typ: typ, body: d}, testPayload{typ: typ, body: s})
	}
	v2natd := func(s, d []byte) []byte {
		notify := func(t NotifyType, data []byte) testPayload {
			return testPayload{typ: PayloadTypeNotify, body: cat([]byte{0, 0}, be16(uint16(t)), data)}
		}
		return buildIKE(spii, 0, 2, ExchangeTypeIKESAInit, IKEv2FlagInitiator, 0, 0,
			notify(NotifyTypeNATDetectionSourceIP, s), notify(NotifyTypeNATDetectionDestinationIP, d))
	}
	zeroPort := func(ap netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(ap.Addr(), 0) }
	tests := []struct {
		name  string
		learn []byte // IKEv1 SA message seen first, or nil
		msg   []byte
		want  []natdResult
	}{{
		name:  "draft NAT-D 130 with SHA2-256",
		learn: v1SAMessage(spii, spir, ikev1HashSHA256),
		msg:   v1natd(PayloadTypeV1NATDDraft, refHash(sha256.New(), spii, spir, dst), refHash(sha256.New(), spii, spir, src)),
		want:  []natdResult{{NATDDestination, NATDMatched, false}, {NATDSource, NATDMatched, false}},
	}, {
		name:  "IKEv1 libreswan forced encapsulation: source hashed with port 0",
		learn: v1SAMessage(spii, spir, ikev1HashMD5, ikev1HashMD5),
		msg:   v1natd(PayloadTypeV1NATD, refHash(md5.New(), spii, spir, dst), refHash(md5.New(), spii, spir, zeroPort(src))),
		want:  []natdResult{{NATDDestination, NATDMatched, false}, {NATDSource, NATDMismatch, true}},
	}, {
		name:  "IKEv1 faked hashes",
		learn: v1SAMessage(spii, spir, ikev1HashSHA1),
		msg:   v1natd(PayloadTypeV1NATD, make([]byte, 20), unhex("0123456789abcdef0123456789abcdef01234567")),
		want:  []natdResult{{NATDDestination, NATDMismatch, false}, {NATDSource, NATDMismatch, false}},
	}, {
		name:  "IKEv1 Tiger cannot be verified",
		learn: v1SAMessage(spii, spir, ikev1HashTiger),
		msg:   v1natd(PayloadTypeV1NATD, make([]byte, 24), make([]byte, 24)),
		want:  []natdResult{{Kind: NATDDestination}, {Kind: NATDSource}},
	}, {
		name: "IKEv2 libreswan forced encapsulation: source hashed with port 0",
		msg:  v2natd(refHash(sha1.New(), spii, 0, zeroPort(src)), refHash(sha1.New(), spii, 0, dst)),
		want: []natdResult{{NATDSource, NATDMismatch, true}, {NATDDestination, NATDMatched, false}},
	}, {
		name: "IKEv2 strongSwan forced encapsulation: source hash of a random address",
		msg:  v2natd(refHash(sha1.New(), spii, 0, addrPort("[2001:db8::77]:4500")), refHash(sha1.New(), spii, 0, dst)),
		want: []natdResult{{NATDSource, NATDMismatch, false}, {NATDDestination, NATDMatched, false}},
	}, {
		name: "IKEv2 hash of the wrong length",
		msg:  v2natd(unhex("00"), nil),
		want: []natdResult{{NATDSource, NATDMismatch, false}, {NATDDestination, NATDMismatch, false}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v NATDVerifier
			if tc.learn != nil {
				v.Verify(mustParse(t, tc.learn), dst, src)
			}
			m := mustParse(t, tc.msg)
			v.Verify(m, src, dst)
			if got := natdResults(m); !equalResults(got, tc.want) {
				t.Errorf("Verify = %+v, want %+v", got, tc.want)
			}
			// Verifying again gives the same answer: results are reset,
			// not accumulated.
			v.Verify(m, src, dst)
			if got := natdResults(m); !equalResults(got, tc.want) {
				t.Errorf("second Verify = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestNATDVerifyIPv4Mapped checks that an IPv4-mapped IPv6 address is hashed
// as the IPv4 address it stands for, as the peers did.
func TestNATDVerifyIPv4Mapped(t *testing.T) {
	var v NATDVerifier
	m := mustParse(t, testIKEv2SAInitRequest)
	v.Verify(m, addrPort("[::ffff:10.2.3.2]:500"), addrPort("[::ffff:10.3.4.4]:500"))
	for _, d := range m.NATD {
		if d.Match != NATDMatched {
			t.Errorf("NAT-D %v with IPv4-mapped addresses = %v, want matched", d.Kind, d.Match)
		}
	}
	v.Verify(m, netip.AddrPort{}, netip.AddrPort{})
	for _, d := range m.NATD {
		if d.Match != NATDUnknown {
			t.Errorf("NAT-D %v with no addresses = %v, want unknown", d.Kind, d.Match)
		}
	}
	v.Verify(nil, netip.AddrPort{}, netip.AddrPort{}) // must not panic
}

// TestNATDLearning checks which SA payloads teach the IKEv1 hash algorithm.
func TestNATDLearning(t *testing.T) {
	const spii = 0x0102030405060708
	tests := []struct {
		name string
		msgs [][]byte
		want uint16
	}{
		{"single offer", [][]byte{v1SAMessage(spii, 0, ikev1HashSHA1)}, ikev1HashSHA1},
		{"unanimous offer", [][]byte{v1SAMessage(spii, 0, ikev1HashSHA256, ikev1HashSHA256)}, ikev1HashSHA256},
		{"mixed offer", [][]byte{v1SAMessage(spii, 0, ikev1HashSHA1, ikev1HashMD5)}, 0},
		{"mixed offer then answer", [][]byte{v1SAMessage(spii, 0, ikev1HashSHA1, ikev1HashMD5), v1SAMessage(spii, 9, ikev1HashMD5)}, ikev1HashMD5},
		{"transform without a hash", [][]byte{v1SAMessage(spii, 0, 0)}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v NATDVerifier
			for _, b := range tc.msgs {
				v.Verify(mustParse(t, b), addrPort("192.0.2.1:500"), addrPort("192.0.2.2:500"))
			}
			if got := v.HashAlgorithm(spii); got != tc.want {
				t.Errorf("HashAlgorithm = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestNATDVerifierBounded checks that the learned table stays at its bound,
// evicting the oldest IKE SAs first.
func TestNATDVerifierBounded(t *testing.T) {
	var v NATDVerifier
	const extra = 1000
	for i := uint64(1); i <= natdTableSize+extra; i++ {
		v.store(i, ikev1HashSHA1)
	}
	if len(v.algs) != natdTableSize || len(v.ring) != natdTableSize {
		t.Fatalf("table holds %d entries (ring %d), want %d", len(v.algs), len(v.ring), natdTableSize)
	}
	if v.HashAlgorithm(extra) != 0 || v.HashAlgorithm(extra+1) != ikev1HashSHA1 || v.HashAlgorithm(natdTableSize+extra) != ikev1HashSHA1 {
		t.Errorf("eviction order wrong: oldest kept or newest lost")
	}
	v.store(natdTableSize+extra, ikev1HashMD5) // an update does not evict
	if len(v.algs) != natdTableSize || v.HashAlgorithm(extra+1) != ikev1HashSHA1 || v.HashAlgorithm(natdTableSize+extra) != ikev1HashMD5 {
		t.Errorf("updating an entry evicted another or was lost")
	}
}

// TestNATDVerifyNoAllocs checks that verifying an IKEv2 message allocates
// nothing.
func TestNATDVerifyNoAllocs(t *testing.T) {
	var v NATDVerifier
	m := mustParse(t, testIKEv2SAInitRequest)
	src, dst := addrPort("10.2.3.2:500"), addrPort("10.3.4.4:500")
	if allocs := testing.AllocsPerRun(1000, func() { v.Verify(m, src, dst) }); allocs != 0 {
		t.Errorf("Verify allocated %v times, want 0", allocs)
	}
}

// BenchmarkNATDVerify measures Verify on an IKEv2 IKE_SA_INIT request.
func BenchmarkNATDVerify(b *testing.B) {
	var v NATDVerifier
	m, _ := ParseIKEMessage(testIKEv2SAInitRequest)
	src, dst := addrPort("10.2.3.2:500"), addrPort("10.3.4.4:500")
	b.ReportAllocs()
	for b.Loop() {
		v.Verify(m, src, dst)
	}
}
