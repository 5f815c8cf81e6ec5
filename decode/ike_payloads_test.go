package decode

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
)

// ikeFixture is one IKE message the tests decode, with the message
// ParseIKEMessage must return and the error it must report, if any.
type ikeFixture struct {
	name    string
	data    []byte
	want    *IKEMessage
	wantErr string
}

// Synthetic messages for what the public corpus lacks. Their bodies follow
// the RFC layouts cited on each.
var (
	// testSynthV1NATDDraft is an IKEv1 MM3 of a peer that speaks draft 02/03
	// NAT-T: two NAT-D payloads of type 130 and NAT-OA of type 131, plus an
	// RFC 3947 NAT-OA (21) with an IPv6 address (RFC 3947 §5.2).
	testSynthV1NATDDraft = buildIKE(0x1111111111111111, 0x2222222222222222, 1, ExchangeTypeIdentityProtection, 0, 0, 0,
		testPayload{typ: PayloadTypeV1NATDDraft, body: unhex("00112233445566778899aabbccddeeff0011223344556677")},
		testPayload{typ: PayloadTypeV1NATDDraft, body: unhex("ffeeddccbbaa99887766554433221100ffeeddccbbaa9988")},
		testPayload{typ: PayloadTypeV1NATOADraft, body: unhex("01000000c0a80164")},
		testPayload{typ: PayloadTypeV1NATOA, body: unhex("0500000020010db8000000000000000000000001")})

	// testSynthV1InfoDelete is a cleartext IKEv1 Informational with an
	// INITIAL-CONTACT notification carrying the cookie pair as SPI
	// (RFC 2407 §4.6.3.3), a Delete of the ISAKMP SA (16-byte SPI, RFC 2408
	// §3.15) and a Delete of two ESP SAs.
	testSynthV1InfoDelete = buildIKE(0x0102030405060708, 0x1112131415161718, 1, ExchangeTypeInformationalV1, 0, 0x01020304, 0,
		testPayload{typ: PayloadTypeV1Notification, body: cat(be32(1), []byte{1, 16}, be16(uint16(NotifyTypeV1InitialContact)), unhex("01020304050607081112131415161718"))},
		testPayload{typ: PayloadTypeV1Delete, body: cat(be32(1), []byte{1, 16}, be16(1), unhex("01020304050607081112131415161718"))},
		testPayload{typ: PayloadTypeV1Delete, body: cat(be32(1), []byte{3, 4}, be16(2), unhex("c0ffee01c0ffee02"))})

	// testSynthV1ModeConfig is a cleartext IKEv1 Transaction exchange with an
	// Attributes payload (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2): a
	// CFG_REPLY with XAUTH_TYPE (TV), XAUTH_USER_NAME and XAUTH_USER_PASSWORD
	// (TLV). The password is not kept.
	testSynthV1ModeConfig = buildIKE(0x0102030405060708, 0x1112131415161718, 1, ExchangeTypeTransaction, 0, 7, 0,
		testPayload{typ: PayloadTypeV1Attributes, body: cat([]byte{2, 0}, be16(0x1234),
			be16(0x8000|16520), be16(0),
			be16(16521), be16(5), []byte("alice"),
			be16(16522), be16(6), []byte("secret"))})

	// testSynthV1CiscoFragment is an IKEv1 message carried in a Cisco
	// fragmentation payload (132): fragment ID 0x0042, number 2, last.
	testSynthV1CiscoFragment = buildIKE(0x0102030405060708, 0x1112131415161718, 1, ExchangeTypeIdentityProtection, 0, 0, 0,
		testPayload{typ: PayloadTypeV1CiscoFragment, body: cat(be16(0x42), []byte{2, 1}, unhex("deadbeef"))})

	// testSynthV2InfoDelete is an IKEv2 INFORMATIONAL as it looks inside
	// its SK payload (RFC 7296 §1.4.1): a Delete of two ESP SAs and a Delete
	// of the IKE SA (no SPI).
	testSynthV2InfoDelete = buildIKE(0x0102030405060708, 0x1112131415161718, 2, ExchangeTypeInformational, IKEv2FlagInitiator, 5, 0,
		testPayload{typ: PayloadTypeDelete, body: cat([]byte{3, 4}, be16(2), unhex("c0ffee01c0ffee02"))},
		testPayload{typ: PayloadTypeDelete, body: cat([]byte{1, 0}, be16(0))})

	// testSynthV2AuthClear is an IKEv2 IKE_AUTH request as it looks inside
	// its SK payload (RFC 7296 §1.2): IDi (FQDN), CERT, CERTREQ, AUTH
	// (shared key), CP (CFG_REQUEST for an address and DNS), SA (ESP,
	// AES-GCM-16/256, no ESN), TSi (IPv4 range) and TSr (IPv6 range).
	testSynthV2AuthClear = buildIKE(0x0102030405060708, 0x1112131415161718, 2, ExchangeTypeIKEAuth, IKEv2FlagInitiator, 1, 0,
		testPayload{typ: PayloadTypeIDi, body: cat([]byte{2, 0, 0, 0}, []byte("vpn.example"))},
		testPayload{typ: PayloadTypeCert, body: cat([]byte{4}, unhex("3082000a"))},
		testPayload{typ: PayloadTypeCertReq, body: cat([]byte{4}, unhex("00112233445566778899aabbccddeeff00112233"))},
		testPayload{typ: PayloadTypeAuth, body: cat([]byte{2, 0, 0, 0}, unhex("a1a2a3a4"))},
		testPayload{typ: PayloadTypeCP, body: cat([]byte{1, 0, 0, 0}, be16(1), be16(0), be16(3), be16(0))},
		testPayload{typ: PayloadTypeSA, body: cat(
			[]byte{0, 0}, be16(8+4+12+8), []byte{1, 3, 4, 2}, unhex("cafe0001"),
			[]byte{3, 0}, be16(12), []byte{1, 0}, be16(20), be16(0x800e), be16(256),
			[]byte{0, 0}, be16(8), []byte{5, 0}, be16(0))},
		testPayload{typ: PayloadTypeTSi, body: cat([]byte{1, 0, 0, 0},
			[]byte{7, 6}, be16(16), be16(0), be16(65535), unhex("0a000000"), unhex("0a0000ff"))},
		testPayload{typ: PayloadTypeTSr, body: cat([]byte{1, 0, 0, 0},
			[]byte{8, 0}, be16(40), be16(500), be16(500), unhex("20010db8000000000000000000000000"), unhex("20010db8ffffffffffffffffffffffff"))})

	// testSynthV2EAP is an IKEv2 IKE_AUTH response (as inside its SK) with
	// an EAP Request/Identity (RFC 3748 §5.1).
	testSynthV2EAP = buildIKE(0x0102030405060708, 0x1112131415161718, 2, ExchangeTypeIKEAuth, IKEv2FlagResponse, 1, 0,
		testPayload{typ: PayloadTypeEAP, body: cat([]byte{1, 7}, be16(5), []byte{1})})

	// testSynthV2Unknown has a critical payload of unassigned type 200, a
	// private-use payload 128 and a Nonce: unknown payloads are listed and
	// skipped, never rejected (RFC 7296 §2.5 leaves rejection to the peer).
	testSynthV2Unknown = buildIKE(0x0102030405060708, 0, 2, ExchangeTypeIKESAInit, IKEv2FlagInitiator, 0, 0,
		testPayload{typ: 200, critical: true, body: unhex("0102")},
		testPayload{typ: 128, body: nil},
		testPayload{typ: PayloadTypeNonce, body: unhex("000102030405060708090a0b0c0d0e0f")})
)

func ikeFixtures() []ikeFixture {
	return []ikeFixture{
		{
			name: "IKEv1MainMM1",
			data: testIKEv1MainMM1,
			want: &IKEMessage{
				Version:     1,
				SPIi:        0xe47a591fd057587f,
				Exchange:    ExchangeTypeIdentityProtection,
				Length:      168,
				NextPayload: PayloadTypeV1SA,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1SA, Length: 60, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 88, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 108, Entry: 1},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 128, Entry: 2},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 148, Entry: 3},
				},
				DOI:       1,
				Situation: 1,
				Proposals: []Proposal{
					{
						Number:   1,
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{
								Number: 1,
								ID:     1,
								Attributes: []Attribute{
									{Type: 1, Value: 0x7},
									{Type: 14, Value: 0x80},
									{Type: 2, Value: 0x2},
									{Type: 4, Value: 0x2},
									{Type: 3, Value: 0x1},
									{Type: 11, Value: 0x1},
									{Type: 12, Value: 0x15180},
								},
							},
						},
					},
				},
				VendorIDs: []VendorID{
					{Data: unhex("4a131c81070358455c5728f20e95452f"), Name: "RFC 3947 Negotiation of NAT-Traversal in the IKE"},
					{Data: unhex("439b59f8ba676c4c7737ae22eab8f582"), Name: "draft-ietf-ipsec-nat-t-ike-07"},
					{Data: unhex("7d9419a65310ca6f2c179d9215529d56"), Name: "draft-ietf-ipsec-nat-t-ike-03"},
					{Data: unhex("90cb80913ebb696e086381b5ec427b1f"), Name: "draft-ietf-ipsec-nat-t-ike-02\\n"},
				},
			},
		},
		{
			name: "IKEv1MainMM2",
			data: testIKEv1MainMM2,
			want: &IKEMessage{
				Version:     1,
				SPIi:        0xe47a591fd057587f,
				SPIr:        0xa00b8ef0902bb8ec,
				Exchange:    ExchangeTypeIdentityProtection,
				Length:      108,
				NextPayload: PayloadTypeV1SA,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1SA, Length: 60, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 88, Entry: 0},
				},
				DOI:       1,
				Situation: 1,
				Proposals: []Proposal{
					{
						Number:   1,
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{
								Number: 1,
								ID:     1,
								Attributes: []Attribute{
									{Type: 1, Value: 0x7},
									{Type: 14, Value: 0x80},
									{Type: 2, Value: 0x2},
									{Type: 4, Value: 0x2},
									{Type: 3, Value: 0x1},
									{Type: 11, Value: 0x1},
									{Type: 12, Value: 0x15180},
								},
							},
						},
					},
				},
				VendorIDs: []VendorID{
					{Data: unhex("4a131c81070358455c5728f20e95452f"), Name: "RFC 3947 Negotiation of NAT-Traversal in the IKE"},
				},
			},
		},
		{
			name: "IKEv1MainMM3",
			data: testIKEv1MainMM3,
			want: &IKEMessage{
				Version:     1,
				SPIi:        0xe47a591fd057587f,
				SPIr:        0xa00b8ef0902bb8ec,
				Exchange:    ExchangeTypeIdentityProtection,
				Length:      284,
				NextPayload: PayloadTypeV1KE,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1KE, Length: 132, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1Nonce, Length: 24, Offset: 160, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 184, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 204, Entry: 1},
					{Type: PayloadTypeV1VendorID, Length: 12, Offset: 224, Entry: 2},
					{Type: PayloadTypeV1NATD, Length: 24, Offset: 236, Entry: 0},
					{Type: PayloadTypeV1NATD, Length: 24, Offset: 260, Entry: 1},
				},
				VendorIDs: []VendorID{
					{Data: unhex("afcad71368a1f1c96b8696fc77570100"), Name: "RFC 3706 DPD (Dead Peer Detection)"},
					{Data: unhex("11bdfe02d056587f2c18125972c32401")},
					{Data: unhex("09002689dfd6b712"), Name: "XAUTH"},
				},
				NATD: []NATD{
					{Kind: NATDDestination, PayloadType: PayloadTypeV1NATD, Hash: unhex("1574d64c0165bad16a023f038d45a07498d8d051")},
					{Kind: NATDSource, PayloadType: PayloadTypeV1NATD, Hash: unhex("febf462f1cd75805a7baa28747e769d674f85600")},
				},
				KE:    &KeyExchange{Length: 128},
				Nonce: unhex("89d7c8fbf94b515b521d5d9589c2602021e1a709"),
			},
		},
		{
			name: "IKEv1NATTMM1",
			data: testIKEv1NATTMM1,
			want: &IKEMessage{
				Version:     1,
				SPIi:        0x9e89f2388f90bc1e,
				Exchange:    ExchangeTypeIdentityProtection,
				Length:      292,
				NextPayload: PayloadTypeV1SA,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1SA, Length: 148, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 16, Offset: 176, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 192, Entry: 1},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 212, Entry: 2},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 232, Entry: 3},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 252, Entry: 4},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 272, Entry: 5},
				},
				DOI:       1,
				Situation: 1,
				Proposals: []Proposal{
					{
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{
								ID: 1,
								Attributes: []Attribute{
									{Type: 11, Value: 0x1},
									{Type: 12, Value: 0xe10},
									{Type: 1, Value: 0x5},
									{Type: 2, Value: 0x1},
									{Type: 3, Value: 0x3},
									{Type: 4, Value: 0x5},
								},
							},
							{
								Number: 1,
								ID:     1,
								Attributes: []Attribute{
									{Type: 11, Value: 0x1},
									{Type: 12, Value: 0xe10},
									{Type: 1, Value: 0x5},
									{Type: 2, Value: 0x2},
									{Type: 3, Value: 0x3},
									{Type: 4, Value: 0x5},
								},
							},
							{
								Number: 2,
								ID:     1,
								Attributes: []Attribute{
									{Type: 11, Value: 0x1},
									{Type: 12, Value: 0xe10},
									{Type: 1, Value: 0x5},
									{Type: 2, Value: 0x2},
									{Type: 3, Value: 0x3},
									{Type: 4, Value: 0x2},
								},
							},
							{
								Number: 3,
								ID:     1,
								Attributes: []Attribute{
									{Type: 11, Value: 0x1},
									{Type: 12, Value: 0xe10},
									{Type: 1, Value: 0x5},
									{Type: 2, Value: 0x1},
									{Type: 3, Value: 0x3},
									{Type: 4, Value: 0x2},
								},
							},
						},
					},
				},
				VendorIDs: []VendorID{
					{Data: unhex("4f456b5262475852766d5045"), Name: "Openswan/FreeS/WAN"},
					{Data: unhex("afcad71368a1f1c96b8696fc77570100"), Name: "RFC 3706 DPD (Dead Peer Detection)"},
					{Data: unhex("4a131c81070358455c5728f20e95452f"), Name: "RFC 3947 Negotiation of NAT-Traversal in the IKE"},
					{Data: unhex("7d9419a65310ca6f2c179d9215529d56"), Name: "draft-ietf-ipsec-nat-t-ike-03"},
					{Data: unhex("cd60464335df21f87cfdb2fc68b6a448"), Name: "draft-ietf-ipsec-nat-t-ike-02"},
					{Data: unhex("4485152d18b6bbcd0be8a8469579ddcc"), Name: "draft-ietf-ipsec-nat-t-ike-00"},
				},
			},
		},
		{
			name: "IKEv1NATTMM2",
			data: testIKEv1NATTMM2,
			want: &IKEMessage{
				Version:     1,
				SPIi:        0x9e89f2388f90bc1e,
				SPIr:        0xa74357ce3d1a4bf,
				Exchange:    ExchangeTypeIdentityProtection,
				Length:      136,
				NextPayload: PayloadTypeV1SA,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1SA, Length: 52, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 16, Offset: 80, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 96, Entry: 1},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 116, Entry: 2},
				},
				DOI:       1,
				Situation: 1,
				Proposals: []Proposal{
					{
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{
								ID: 1,
								Attributes: []Attribute{
									{Type: 11, Value: 0x1},
									{Type: 12, Value: 0xe10},
									{Type: 1, Value: 0x5},
									{Type: 2, Value: 0x1},
									{Type: 3, Value: 0x3},
									{Type: 4, Value: 0x5},
								},
							},
						},
					},
				},
				VendorIDs: []VendorID{
					{Data: unhex("4f456b5262475852766d5045"), Name: "Openswan/FreeS/WAN"},
					{Data: unhex("afcad71368a1f1c96b8696fc77570100"), Name: "RFC 3706 DPD (Dead Peer Detection)"},
					{Data: unhex("4a131c81070358455c5728f20e95452f"), Name: "RFC 3947 Negotiation of NAT-Traversal in the IKE"},
				},
			},
		},
		{
			name: "IKEv1NATTMM3",
			data: testIKEv1NATTMM3,
			want: &IKEMessage{
				Version:     1,
				SPIi:        0x9e89f2388f90bc1e,
				SPIr:        0xa74357ce3d1a4bf,
				Exchange:    ExchangeTypeIdentityProtection,
				Length:      284,
				NextPayload: PayloadTypeV1KE,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1KE, Length: 196, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1Nonce, Length: 20, Offset: 224, Entry: 0},
					{Type: PayloadTypeV1NATD, Length: 20, Offset: 244, Entry: 0},
					{Type: PayloadTypeV1NATD, Length: 20, Offset: 264, Entry: 1},
				},
				NATD: []NATD{
					{Kind: NATDDestination, PayloadType: PayloadTypeV1NATD, Hash: unhex("6efe12f04af90dfbcfb15d71b841bb9e")},
					{Kind: NATDSource, PayloadType: PayloadTypeV1NATD, Hash: unhex("44f517e03fb381f80f842d1538ccffac")},
				},
				KE:    &KeyExchange{Length: 192},
				Nonce: unhex("66d6f632697b5e489a92936557a97fa8"),
			},
		},
		{
			name: "IKEv1Encrypted",
			data: testIKEv1Encrypted,
			want: &IKEMessage{
				Version:        1,
				SPIi:           0xcf02326f14a95b93,
				SPIr:           0x18a109f89219e8df,
				Exchange:       ExchangeTypeIdentityProtection,
				Flags:          1,
				Length:         108,
				NextPayload:    PayloadTypeV1ID,
				Encrypted:      true,
				EncryptedFirst: PayloadTypeV1ID,
			},
		},
		{
			name: "IKEv1Payload15",
			data: testIKEv1Payload15,
			want: &IKEMessage{
				Version:     1,
				SPIi:        0xcf02326f14a95b93,
				SPIr:        0x18a109f89219e8df,
				Exchange:    ExchangeTypeIdentityProtection,
				Length:      272,
				NextPayload: PayloadTypeV1KE,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1KE, Length: 100, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1Nonce, Length: 24, Offset: 128, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 152, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 172, Entry: 1},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 192, Entry: 2},
					{Type: PayloadTypeV1VendorID, Length: 12, Offset: 212, Entry: 3},
					{Type: PayloadTypeV1SAK, Length: 24, Offset: 224, Entry: 0},
					{Type: PayloadTypeV1SAK, Length: 24, Offset: 248, Entry: 1},
				},
				VendorIDs: []VendorID{
					{Data: unhex("12f5f28c457168a9702d9fe274cc0100"), Name: "CISCO-UNITY"},
					{Data: unhex("afcad71368a1f1c96b8696fc77570100"), Name: "RFC 3706 DPD (Dead Peer Detection)"},
					{Data: unhex("3ac5957214a85b93db6a509869fdb330")},
					{Data: unhex("09002689dfd6b712"), Name: "XAUTH"},
				},
				NATD: []NATD{
					{Kind: NATDDestination, PayloadType: payloadTypeV1NATDCisco, Hash: unhex("d5664a6fcbc7d769f693d4d83ce125b1415827ae")},
					{Kind: NATDSource, PayloadType: payloadTypeV1NATDCisco, Hash: unhex("6db4442c1af0b63d93334e3a0cb5ac19f804eca4")},
				},
				KE:    &KeyExchange{Length: 96},
				Nonce: unhex("6ea7c7ed3ca3383538801b4b32a5aba161807765"),
			},
		},
		{
			name: "IKEv1Aggressive",
			data: testIKEv1Aggressive,
			want: &IKEMessage{
				Version:     1,
				SPIi:        0xe47a591f78c99d7f,
				SPIr:        0xa00b8ef0ea9ff883,
				Exchange:    ExchangeTypeAggressive,
				Length:      420,
				NextPayload: PayloadTypeV1SA,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1SA, Length: 60, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 88, Entry: 0},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 108, Entry: 1},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 128, Entry: 2},
					{Type: PayloadTypeV1VendorID, Length: 12, Offset: 148, Entry: 3},
					{Type: PayloadTypeV1VendorID, Length: 20, Offset: 160, Entry: 4},
					{Type: PayloadTypeV1KE, Length: 132, Offset: 180, Entry: 0},
					{Type: PayloadTypeV1ID, Length: 12, Offset: 312, Entry: 0},
					{Type: PayloadTypeV1Nonce, Length: 24, Offset: 324, Entry: 0},
					{Type: PayloadTypeV1Hash, Length: 24, Offset: 348, Entry: -1},
					{Type: PayloadTypeV1NATD, Length: 24, Offset: 372, Entry: 0},
					{Type: PayloadTypeV1NATD, Length: 24, Offset: 396, Entry: 1},
				},
				DOI:       1,
				Situation: 1,
				Proposals: []Proposal{
					{
						Number:   1,
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{
								Number: 1,
								ID:     1,
								Attributes: []Attribute{
									{Type: 1, Value: 0x7},
									{Type: 14, Value: 0x80},
									{Type: 2, Value: 0x2},
									{Type: 4, Value: 0x2},
									{Type: 3, Value: 0x1},
									{Type: 11, Value: 0x1},
									{Type: 12, Value: 0x15180},
								},
							},
						},
					},
				},
				VendorIDs: []VendorID{
					{Data: unhex("12f5f28c457168a9702d9fe274cc0100"), Name: "CISCO-UNITY"},
					{Data: unhex("afcad71368a1f1c96b8696fc77570100"), Name: "RFC 3706 DPD (Dead Peer Detection)"},
					{Data: unhex("55cc29edea9ef883ec3bfd05ce835cc7")},
					{Data: unhex("09002689dfd6b712"), Name: "XAUTH"},
					{Data: unhex("4a131c81070358455c5728f20e95452f"), Name: "RFC 3947 Negotiation of NAT-Traversal in the IKE"},
				},
				NATD: []NATD{
					{Kind: NATDDestination, PayloadType: PayloadTypeV1NATD, Hash: unhex("f41cca0e525dcb00902a095074bb68ae9ae0b536")},
					{Kind: NATDSource, PayloadType: PayloadTypeV1NATD, Hash: unhex("453d0b014f3f3520ac1053b487072845f253a0ae")},
				},
				KE:    &KeyExchange{Length: 128},
				Nonce: unhex("1f26436f8ae50d3aad805d26ad4d7512a7e72a81"),
				IDs: []Identification{
					{Type: PayloadTypeV1ID, IDType: 1, Data: unhex("c0a80c02")},
				},
			},
		},
		{
			name: "IKEv1InfoNotify",
			data: testIKEv1InfoNotify,
			want: &IKEMessage{
				Version:     1,
				SPIi:        0xc6d1459285150c7e,
				Exchange:    ExchangeTypeInformationalV1,
				Length:      40,
				NextPayload: PayloadTypeV1Notification,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1Notification, Length: 12, Offset: 28, Entry: 0},
				},
				Notifies: []Notify{
					{Protocol: ProtocolIDIKE, Type: NotifyTypeV1NoProposalChosen},
				},
			},
		},
		{
			name: "IKEv2SAInitRequest",
			data: testIKEv2SAInitRequest,
			want: &IKEMessage{
				Version:     2,
				SPIi:        0x5ac0f4d122013f4,
				Exchange:    ExchangeTypeIKESAInit,
				Flags:       8,
				Length:      358,
				NextPayload: PayloadTypeSA,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeSA, Length: 48, Offset: 28, Entry: 0},
					{Type: PayloadTypeKE, Length: 104, Offset: 76, Entry: 0},
					{Type: PayloadTypeNonce, Length: 36, Offset: 180, Entry: 0},
					{Type: PayloadTypeVendorID, Length: 23, Offset: 216, Entry: 0},
					{Type: PayloadTypeVendorID, Length: 19, Offset: 239, Entry: 1},
					{Type: PayloadTypeVendorID, Length: 23, Offset: 258, Entry: 2},
					{Type: PayloadTypeVendorID, Length: 21, Offset: 281, Entry: 3},
					{Type: PayloadTypeNotify, Length: 28, Offset: 302, Entry: 0},
					{Type: PayloadTypeNotify, Length: 28, Offset: 330, Entry: 1},
				},
				Proposals: []Proposal{
					{
						Number:   1,
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{
								Type: TransformTypeENCR,
								ID:   12,
								Attributes: []Attribute{
									{Type: 14, Value: 0x100},
								},
							},
							{Type: TransformTypePRF, ID: 6},
							{Type: TransformTypeINTEG, ID: 13},
							{Type: TransformTypeKE, ID: 20},
						},
					},
				},
				Notifies: []Notify{
					{Type: NotifyTypeNATDetectionSourceIP, Data: unhex("4fbeaa57ffae70cc08776899742185b6c2bbb55d")},
					{Type: NotifyTypeNATDetectionDestinationIP, Data: unhex("b16f1538b2b4d28d6f1aa6e8f79d9e92ca33d409")},
				},
				VendorIDs: []VendorID{
					{Data: unhex("434953434f2d44454c4554452d524541534f4e"), Name: "Cisco Delete Reason Supported"},
					{Data: unhex("434953434f56504e2d5245562d3032"), Name: "Cisco VPN Revision 2"},
					{Data: unhex("434953434f2d44594e414d49432d524f555445"), Name: "Cisco Dynamic Route Supported"},
					{Data: unhex("464c455856504e2d535550504f52544544"), Name: "Cisco FlexVPN Supported"},
				},
				NATD: []NATD{
					{Kind: NATDSource, PayloadType: PayloadTypeNotify, Hash: unhex("4fbeaa57ffae70cc08776899742185b6c2bbb55d")},
					{Kind: NATDDestination, PayloadType: PayloadTypeNotify, Hash: unhex("b16f1538b2b4d28d6f1aa6e8f79d9e92ca33d409")},
				},
				KE:    &KeyExchange{Group: 20, Length: 96},
				Nonce: unhex("18a7bf678d74766c276f7056f3d39ce539b4c9e7841b63dba94add55291a568f"),
			},
		},
		{
			name: "IKEv2SAInitResponse",
			data: testIKEv2SAInitResponse,
			want: &IKEMessage{
				Version:     2,
				SPIi:        0x5ac0f4d122013f4,
				SPIr:        0x5f46ee70bc4c5d0d,
				Exchange:    ExchangeTypeIKESAInit,
				Flags:       32,
				Length:      358,
				NextPayload: PayloadTypeSA,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeSA, Length: 48, Offset: 28, Entry: 0},
					{Type: PayloadTypeKE, Length: 104, Offset: 76, Entry: 0},
					{Type: PayloadTypeNonce, Length: 36, Offset: 180, Entry: 0},
					{Type: PayloadTypeVendorID, Length: 23, Offset: 216, Entry: 0},
					{Type: PayloadTypeVendorID, Length: 19, Offset: 239, Entry: 1},
					{Type: PayloadTypeVendorID, Length: 23, Offset: 258, Entry: 2},
					{Type: PayloadTypeVendorID, Length: 21, Offset: 281, Entry: 3},
					{Type: PayloadTypeNotify, Length: 28, Offset: 302, Entry: 0},
					{Type: PayloadTypeNotify, Length: 28, Offset: 330, Entry: 1},
				},
				Proposals: []Proposal{
					{
						Number:   1,
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{
								Type: TransformTypeENCR,
								ID:   12,
								Attributes: []Attribute{
									{Type: 14, Value: 0x100},
								},
							},
							{Type: TransformTypePRF, ID: 6},
							{Type: TransformTypeINTEG, ID: 13},
							{Type: TransformTypeKE, ID: 20},
						},
					},
				},
				Notifies: []Notify{
					{Type: NotifyTypeNATDetectionSourceIP, Data: unhex("cf73f6965980a0fef59cdd6a6944b18aca914785")},
					{Type: NotifyTypeNATDetectionDestinationIP, Data: unhex("b5bf51e2925a867c96f0013bda4ce526d85f36a6")},
				},
				VendorIDs: []VendorID{
					{Data: unhex("434953434f2d44454c4554452d524541534f4e"), Name: "Cisco Delete Reason Supported"},
					{Data: unhex("434953434f56504e2d5245562d3032"), Name: "Cisco VPN Revision 2"},
					{Data: unhex("434953434f2d44594e414d49432d524f555445"), Name: "Cisco Dynamic Route Supported"},
					{Data: unhex("464c455856504e2d535550504f52544544"), Name: "Cisco FlexVPN Supported"},
				},
				NATD: []NATD{
					{Kind: NATDSource, PayloadType: PayloadTypeNotify, Hash: unhex("cf73f6965980a0fef59cdd6a6944b18aca914785")},
					{Kind: NATDDestination, PayloadType: PayloadTypeNotify, Hash: unhex("b5bf51e2925a867c96f0013bda4ce526d85f36a6")},
				},
				KE:    &KeyExchange{Group: 20, Length: 96},
				Nonce: unhex("5577a23522399f7a01ba16335346a48c22527167f9c59b2ddc20886d2688bfbc"),
			},
		},
		{
			name: "IKEv2IKEAuth",
			data: testIKEv2IKEAuth,
			want: &IKEMessage{
				Version:     2,
				SPIi:        0x5ac0f4d122013f4,
				SPIr:        0x5f46ee70bc4c5d0d,
				Exchange:    ExchangeTypeIKEAuth,
				Flags:       8,
				MessageID:   1,
				Length:      344,
				NextPayload: PayloadTypeSK,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeSK, Length: 316, Offset: 28, Entry: -1},
				},
				Encrypted:      true,
				EncryptedFirst: PayloadTypeVendorID,
			},
		},
		{
			name: "IKEv2NATCookieRequest",
			data: testIKEv2NATCookieRequest,
			want: &IKEMessage{
				Version:     2,
				SPIi:        0xb64ef32131a48952,
				Exchange:    ExchangeTypeIKESAInit,
				Flags:       8,
				Length:      800,
				NextPayload: PayloadTypeNotify,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeNotify, Length: 24, Offset: 28, Entry: 0},
					{Type: PayloadTypeSA, Length: 520, Offset: 52, Entry: 0},
					{Type: PayloadTypeKE, Length: 136, Offset: 572, Entry: 0},
					{Type: PayloadTypeNonce, Length: 36, Offset: 708, Entry: 0},
					{Type: PayloadTypeNotify, Length: 28, Offset: 744, Entry: 1},
					{Type: PayloadTypeNotify, Length: 28, Offset: 772, Entry: 2},
				},
				Proposals: []Proposal{
					{
						Number:   1,
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{
								Type: TransformTypeENCR,
								ID:   12,
								Attributes: []Attribute{
									{Type: 14, Value: 0x80},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   12,
								Attributes: []Attribute{
									{Type: 14, Value: 0x100},
								},
							},
							{Type: TransformTypeINTEG, ID: 2},
							{Type: TransformTypeINTEG, ID: 12},
							{Type: TransformTypePRF, ID: 2},
							{Type: TransformTypePRF, ID: 5},
							{Type: TransformTypeKE, ID: 2},
							{Type: TransformTypeKE, ID: 5},
						},
					},
					{
						Number:   2,
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{Type: TransformTypeENCR, ID: 3},
							{
								Type: TransformTypeENCR,
								ID:   12,
								Attributes: []Attribute{
									{Type: 14, Value: 0x80},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   12,
								Attributes: []Attribute{
									{Type: 14, Value: 0xc0},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   12,
								Attributes: []Attribute{
									{Type: 14, Value: 0x100},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   13,
								Attributes: []Attribute{
									{Type: 14, Value: 0x80},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   13,
								Attributes: []Attribute{
									{Type: 14, Value: 0xc0},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   13,
								Attributes: []Attribute{
									{Type: 14, Value: 0x100},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   18,
								Attributes: []Attribute{
									{Type: 14, Value: 0x80},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   18,
								Attributes: []Attribute{
									{Type: 14, Value: 0xc0},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   18,
								Attributes: []Attribute{
									{Type: 14, Value: 0x100},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   19,
								Attributes: []Attribute{
									{Type: 14, Value: 0x80},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   19,
								Attributes: []Attribute{
									{Type: 14, Value: 0xc0},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   19,
								Attributes: []Attribute{
									{Type: 14, Value: 0x100},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   20,
								Attributes: []Attribute{
									{Type: 14, Value: 0x80},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   20,
								Attributes: []Attribute{
									{Type: 14, Value: 0xc0},
								},
							},
							{
								Type: TransformTypeENCR,
								ID:   20,
								Attributes: []Attribute{
									{Type: 14, Value: 0x100},
								},
							},
							{Type: TransformTypeINTEG, ID: 1},
							{Type: TransformTypeINTEG, ID: 2},
							{Type: TransformTypeINTEG, ID: 5},
							{Type: TransformTypeINTEG, ID: 12},
							{Type: TransformTypeINTEG, ID: 13},
							{Type: TransformTypeINTEG, ID: 14},
							{Type: TransformTypePRF, ID: 1},
							{Type: TransformTypePRF, ID: 2},
							{Type: TransformTypePRF, ID: 4},
							{Type: TransformTypePRF, ID: 5},
							{Type: TransformTypePRF, ID: 6},
							{Type: TransformTypePRF, ID: 7},
							{Type: TransformTypeKE, ID: 2},
							{Type: TransformTypeKE, ID: 5},
							{Type: TransformTypeKE, ID: 14},
							{Type: TransformTypeKE, ID: 15},
							{Type: TransformTypeKE, ID: 16},
							{Type: TransformTypeKE, ID: 18},
							{Type: TransformTypeKE, ID: 19},
							{Type: TransformTypeKE, ID: 20},
							{Type: TransformTypeKE, ID: 21},
							{Type: TransformTypeKE, ID: 22},
							{Type: TransformTypeKE, ID: 23},
							{Type: TransformTypeKE, ID: 24},
							{Type: TransformTypeKE, ID: 25},
							{Type: TransformTypeKE, ID: 26},
							{Type: TransformTypeKE, ID: 27},
							{Type: TransformTypeKE, ID: 28},
							{Type: TransformTypeKE, ID: 29},
							{Type: TransformTypeKE, ID: 30},
						},
					},
				},
				Notifies: []Notify{
					{Type: NotifyTypeCookie, Data: unhex("000155739f613a70f771484cb7a6aa3f")},
					{Type: NotifyTypeNATDetectionSourceIP, Data: unhex("0bac9eb0fe54562b461e584ab413d13c42c4cf07")},
					{Type: NotifyTypeNATDetectionDestinationIP, Data: unhex("4a262dd5967ee72965e98867cb8596e75a7f212f")},
				},
				NATD: []NATD{
					{Kind: NATDSource, PayloadType: PayloadTypeNotify, Hash: unhex("0bac9eb0fe54562b461e584ab413d13c42c4cf07")},
					{Kind: NATDDestination, PayloadType: PayloadTypeNotify, Hash: unhex("4a262dd5967ee72965e98867cb8596e75a7f212f")},
				},
				KE:    &KeyExchange{Group: 2, Length: 128},
				Nonce: unhex("56988560334605f0c319a63422d290766385c62f0869db458eeadbc1d52a0d60"),
			},
		},
		{
			name: "IKEv2NATResponse",
			data: testIKEv2NATResponse,
			want: &IKEMessage{
				Version:     2,
				SPIi:        0xb64ef32131a48952,
				SPIr:        0x86babd3904886955,
				Exchange:    ExchangeTypeIKESAInit,
				Flags:       32,
				Length:      288,
				NextPayload: PayloadTypeSA,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeSA, Length: 48, Offset: 28, Entry: 0},
					{Type: PayloadTypeKE, Length: 136, Offset: 76, Entry: 0},
					{Type: PayloadTypeNonce, Length: 20, Offset: 212, Entry: 0},
					{Type: PayloadTypeNotify, Length: 28, Offset: 232, Entry: 0},
					{Type: PayloadTypeNotify, Length: 28, Offset: 260, Entry: 1},
				},
				Proposals: []Proposal{
					{
						Number:   1,
						Protocol: ProtocolIDIKE,
						Transforms: []Transform{
							{
								Type: TransformTypeENCR,
								ID:   12,
								Attributes: []Attribute{
									{Type: 14, Value: 0x100},
								},
							},
							{Type: TransformTypePRF, ID: 2},
							{Type: TransformTypeINTEG, ID: 2},
							{Type: TransformTypeKE, ID: 2},
						},
					},
				},
				Notifies: []Notify{
					{Protocol: ProtocolIDIKE, Type: NotifyTypeNATDetectionSourceIP, Data: unhex("a16029d72b156c3ed814c4f942dd53b0be0bc383")},
					{Protocol: ProtocolIDIKE, Type: NotifyTypeNATDetectionDestinationIP, Data: unhex("d571bce853a806d6e7cb8c34ce8819a5fab8ed62")},
				},
				NATD: []NATD{
					{Kind: NATDSource, PayloadType: PayloadTypeNotify, Hash: unhex("a16029d72b156c3ed814c4f942dd53b0be0bc383")},
					{Kind: NATDDestination, PayloadType: PayloadTypeNotify, Hash: unhex("d571bce853a806d6e7cb8c34ce8819a5fab8ed62")},
				},
				KE:    &KeyExchange{Group: 2, Length: 128},
				Nonce: unhex("fb34e7753263714109dd4a48824259c3"),
			},
		},
		{
			name: "IKEv2Cookie",
			data: testIKEv2Cookie,
			want: &IKEMessage{
				Version:     2,
				SPIi:        0xb64ef32131a48952,
				Exchange:    ExchangeTypeIKESAInit,
				Flags:       32,
				Length:      52,
				NextPayload: PayloadTypeNotify,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeNotify, Length: 24, Offset: 28, Entry: 0},
				},
				Notifies: []Notify{
					{Type: NotifyTypeCookie, Data: unhex("000155739f613a70f771484cb7a6aa3f")},
				},
			},
		},
		{
			name: "IKEv2SKF",
			data: testIKEv2SKF,
			want: &IKEMessage{
				Version:     2,
				SPIi:        0x46fd10006d11e258,
				SPIr:        0x14633b5928660a90,
				Exchange:    ExchangeTypeIKEAuth,
				Flags:       8,
				MessageID:   1,
				Length:      308,
				NextPayload: PayloadTypeSKF,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeSKF, Length: 280, Offset: 28, Entry: 0},
				},
				Encrypted: true,
				Fragment:  &FragmentInfo{Number: 2, Total: 2, Last: true},
			},
		},
		{
			name: "IKEv2CreateChildSA",
			data: testIKEv2CreateChildSA,
			want: &IKEMessage{
				Version:     2,
				SPIi:        0x8e7779464044673e,
				SPIr:        0x7b452c842bc4e891,
				Exchange:    ExchangeTypeCreateChildSA,
				Flags:       8,
				MessageID:   2,
				Length:      384,
				NextPayload: PayloadTypeSK,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeSK, Length: 356, Offset: 28, Entry: -1},
				},
				Encrypted:      true,
				EncryptedFirst: PayloadTypeSA,
			},
		},
		{
			name: "IKEv2Informational",
			data: testIKEv2Informational,
			want: &IKEMessage{
				Version:     2,
				SPIi:        0x8e7779464044673e,
				SPIr:        0x7b452c842bc4e891,
				Exchange:    ExchangeTypeInformational,
				Length:      96,
				NextPayload: PayloadTypeSK,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeSK, Length: 68, Offset: 28, Entry: -1},
				},
				Encrypted: true,
			},
		},
		{
			name: "IKEv2IDNormal",
			data: testIKEv2IDNormal,
			want: &IKEMessage{
				Version:     2,
				Exchange:    ExchangeTypeIKEAuth,
				Flags:       8,
				MessageID:   1,
				Length:      76,
				NextPayload: PayloadTypeIDi,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeIDi, Length: 9, Offset: 28, Entry: 0},
				},
				IDs: []Identification{
					{Type: PayloadTypeIDi, IDType: 1, Data: unhex("de")},
				},
			},
			wantErr: "ike: payload chain at offset 37: 39 bytes after the last payload",
		},
		{
			name: "IKEv2IDShort",
			data: testIKEv2IDShort,
			want: &IKEMessage{
				Version:     2,
				Exchange:    ExchangeTypeIKEAuth,
				Flags:       8,
				MessageID:   1,
				Length:      76,
				NextPayload: PayloadTypeIDi,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeIDi, Length: 5, Offset: 28, Entry: -1},
				},
			},
			wantErr: "ike: payload \"Identification - Initiator\" at offset 32: body 1 bytes < 4",
		},
		{
			name: "SynthV1NATDDraft",
			data: testSynthV1NATDDraft,
			want: &IKEMessage{
				Version: 1, SPIi: 0x1111111111111111, SPIr: 0x2222222222222222,
				Exchange: ExchangeTypeIdentityProtection, Length: 120, NextPayload: PayloadTypeV1NATDDraft,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1NATDDraft, Length: 28, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1NATDDraft, Length: 28, Offset: 56, Entry: 1},
					{Type: PayloadTypeV1NATOADraft, Length: 12, Offset: 84, Entry: 0},
					{Type: PayloadTypeV1NATOA, Length: 24, Offset: 96, Entry: 1},
				},
				NATD: []NATD{
					{Kind: NATDDestination, PayloadType: PayloadTypeV1NATDDraft, Hash: unhex("00112233445566778899aabbccddeeff0011223344556677")},
					{Kind: NATDSource, PayloadType: PayloadTypeV1NATDDraft, Hash: unhex("ffeeddccbbaa99887766554433221100ffeeddccbbaa9988")},
				},
				NATOA: []NATOA{
					{PayloadType: PayloadTypeV1NATOADraft, IDType: 1, Addr: unhex("c0a80164")},
					{PayloadType: PayloadTypeV1NATOA, IDType: 5, Addr: unhex("20010db8000000000000000000000001")},
				},
			},
		},
		{
			name: "SynthV1InfoDelete",
			data: testSynthV1InfoDelete,
			want: &IKEMessage{
				Version: 1, SPIi: 0x0102030405060708, SPIr: 0x1112131415161718,
				Exchange: ExchangeTypeInformationalV1, MessageID: 0x01020304, Length: 104, NextPayload: PayloadTypeV1Notification,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeV1Notification, Length: 28, Offset: 28, Entry: 0},
					{Type: PayloadTypeV1Delete, Length: 28, Offset: 56, Entry: 0},
					{Type: PayloadTypeV1Delete, Length: 20, Offset: 84, Entry: 1},
				},
				Notifies: []Notify{{Protocol: ProtocolIDISAKMP, SPI: unhex("01020304050607081112131415161718"), Type: NotifyTypeV1InitialContact}},
				Deletes: []Delete{
					{Protocol: ProtocolIDISAKMP, SPIs: [][]byte{unhex("01020304050607081112131415161718")}},
					{Protocol: ProtocolIDESP, SPIs: [][]byte{unhex("c0ffee01"), unhex("c0ffee02")}},
				},
			},
		},
		{
			name: "SynthV1ModeConfig",
			data: testSynthV1ModeConfig,
			want: &IKEMessage{
				Version: 1, SPIi: 0x0102030405060708, SPIr: 0x1112131415161718,
				Exchange: ExchangeTypeTransaction, MessageID: 7, Length: 59, NextPayload: PayloadTypeV1Attributes,
				Payloads: []PayloadSummary{{Type: PayloadTypeV1Attributes, Length: 31, Offset: 28, Entry: 0}},
				Config: &Config{Type: 2, Identifier: 0x1234, Attributes: []ConfigAttribute{
					{Type: 16520, Length: 2, Value: unhex("0000")},
					{Type: 16521, Length: 5, Value: []byte("alice")},
					{Type: 16522, Length: 6},
				}},
			},
		},
		{
			name: "SynthV1CiscoFragment",
			data: testSynthV1CiscoFragment,
			want: &IKEMessage{
				Version: 1, SPIi: 0x0102030405060708, SPIr: 0x1112131415161718,
				Exchange: ExchangeTypeIdentityProtection, Length: 40, NextPayload: PayloadTypeV1CiscoFragment,
				Payloads: []PayloadSummary{{Type: PayloadTypeV1CiscoFragment, Length: 12, Offset: 28, Entry: 0}},
				Fragment: &FragmentInfo{ID: 0x42, Number: 2, Last: true},
			},
		},
		{
			name: "SynthV2InfoDelete",
			data: testSynthV2InfoDelete,
			want: &IKEMessage{
				Version: 2, SPIi: 0x0102030405060708, SPIr: 0x1112131415161718,
				Exchange: ExchangeTypeInformational, Flags: IKEv2FlagInitiator, MessageID: 5, Length: 52, NextPayload: PayloadTypeDelete,
				Payloads: []PayloadSummary{{Type: PayloadTypeDelete, Length: 16, Offset: 28, Entry: 0}, {Type: PayloadTypeDelete, Length: 8, Offset: 44, Entry: 1}},
				Deletes: []Delete{
					{Protocol: ProtocolIDESP, SPIs: [][]byte{unhex("c0ffee01"), unhex("c0ffee02")}},
					{Protocol: ProtocolIDIKE},
				},
			},
		},
		{
			name: "SynthV2AuthClear",
			data: testSynthV2AuthClear,
			want: &IKEMessage{
				Version: 2, SPIi: 0x0102030405060708, SPIr: 0x1112131415161718,
				Exchange: ExchangeTypeIKEAuth, Flags: IKEv2FlagInitiator, MessageID: 1, Length: 217, NextPayload: PayloadTypeIDi,
				Payloads: []PayloadSummary{
					{Type: PayloadTypeIDi, Length: 19, Offset: 28, Entry: 0},
					{Type: PayloadTypeCert, Length: 9, Offset: 47, Entry: 0},
					{Type: PayloadTypeCertReq, Length: 25, Offset: 56, Entry: -1},
					{Type: PayloadTypeAuth, Length: 12, Offset: 81, Entry: 0},
					{Type: PayloadTypeCP, Length: 16, Offset: 93, Entry: 0},
					{Type: PayloadTypeSA, Length: 36, Offset: 109, Entry: 0},
					{Type: PayloadTypeTSi, Length: 24, Offset: 145, Entry: 0},
					{Type: PayloadTypeTSr, Length: 48, Offset: 169, Entry: 1},
				},
				Proposals: []Proposal{{Number: 1, Protocol: ProtocolIDESP, SPI: unhex("cafe0001"), Transforms: []Transform{
					{Type: TransformTypeENCR, ID: 20, Attributes: []Attribute{{Type: 14, Value: 256}}},
					{Type: TransformTypeESN, ID: 0},
				}}},
				IDs:        []Identification{{Type: PayloadTypeIDi, IDType: 2, Data: []byte("vpn.example")}},
				Certs:      []CertInfo{{Encoding: 4, Length: 4}},
				CertReqs:   1,
				AuthMethod: 2,
				Config:     &Config{Type: 1, Attributes: []ConfigAttribute{{Type: 1}, {Type: 3}}},
				TS: []TrafficSelector{
					{Initiator: true, Type: 7, Protocol: 6, StartPort: 0, EndPort: 65535, Start: unhex("0a000000"), End: unhex("0a0000ff")},
					{Type: 8, StartPort: 500, EndPort: 500, Start: unhex("20010db8000000000000000000000000"), End: unhex("20010db8ffffffffffffffffffffffff")},
				},
			},
		},
		{
			name: "SynthV2EAP",
			data: testSynthV2EAP,
			want: &IKEMessage{
				Version: 2, SPIi: 0x0102030405060708, SPIr: 0x1112131415161718,
				Exchange: ExchangeTypeIKEAuth, Flags: IKEv2FlagResponse, MessageID: 1, Length: 37, NextPayload: PayloadTypeEAP,
				Payloads: []PayloadSummary{{Type: PayloadTypeEAP, Length: 9, Offset: 28, Entry: 0}},
				EAP:      &EAPMessage{Code: 1, Identifier: 7, Length: 5, Type: 1},
			},
		},
		{
			name: "SynthV2Unknown",
			data: testSynthV2Unknown,
			want: &IKEMessage{
				Version: 2, SPIi: 0x0102030405060708,
				Exchange: ExchangeTypeIKESAInit, Flags: IKEv2FlagInitiator, Length: 58, NextPayload: 200,
				Payloads: []PayloadSummary{
					{Type: 200, Length: 6, Critical: true, Offset: 28, Entry: -1},
					{Type: 128, Length: 4, Offset: 34, Entry: -1},
					{Type: PayloadTypeNonce, Length: 20, Offset: 38, Entry: 0},
				},
				Nonce: unhex("000102030405060708090a0b0c0d0e0f"),
			},
		},
	}
}

// TestParseIKEMessageFixtures decodes every fixture and compares the whole
// message with the expected one.
func TestParseIKEMessageFixtures(t *testing.T) {
	for _, tc := range ikeFixtures() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseIKEMessage(tc.data)
			if gotErr := errString(err); gotErr != tc.wantErr {
				t.Errorf("ParseIKEMessage(%s) error = %q, want %q", tc.name, gotErr, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseIKEMessage(%s) =\n%+v\nwant\n%+v", tc.name, got, tc.want)
				diffMessages(t, got, tc.want)
			}
		})
	}
}

// diffMessages reports which fields of two messages differ, to make a
// failing DeepEqual readable.
func diffMessages(t *testing.T, got, want *IKEMessage) {
	t.Helper()
	if got == nil || want == nil {
		return
	}
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < gv.NumField(); i++ {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("  field %s: got %+v, want %+v", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestParseIKEMessageNoAlias checks that the message owns its bytes:
// overwriting the input after parsing changes nothing in it.
func TestParseIKEMessageNoAlias(t *testing.T) {
	for _, tc := range ikeFixtures() {
		t.Run(tc.name, func(t *testing.T) {
			data := append([]byte(nil), tc.data...)
			m, _ := ParseIKEMessage(data)
			for i := range data {
				data[i] ^= 0xff
			}
			if !reflect.DeepEqual(m, tc.want) {
				t.Errorf("ParseIKEMessage(%s) changed when its input was overwritten", tc.name)
			}
		})
	}
}

// TestParseIKEMessageMalformed feeds broken messages and checks the error,
// and that a message is returned exactly when the header decoded.
func TestParseIKEMessageMalformed(t *testing.T) {
	v2 := func(payloads ...testPayload) []byte {
		return buildIKE(0x0102030405060708, 0, 2, ExchangeTypeIKESAInit, IKEv2FlagInitiator, 0, PayloadTypeIDi, payloads...)
	}
	v1 := func(payloads ...testPayload) []byte {
		return buildIKE(0x0102030405060708, 0, 1, ExchangeTypeIdentityProtection, 0, 0, 0, payloads...)
	}
	// setLen rewrites the Payload Length of the payload whose header is at
	// message offset off.
	setLen := func(b []byte, off int, n uint16) []byte {
		b = append([]byte(nil), b...)
		b[off+2], b[off+3] = byte(n>>8), byte(n)
		return b
	}
	// setNext rewrites the Next Payload field at message offset off.
	setNext := func(b []byte, off int, t PayloadType) []byte {
		b = append([]byte(nil), b...)
		b[off] = byte(t)
		return b
	}
	nonce := testPayload{typ: PayloadTypeNonce, body: make([]byte, 16)}
	notify := testPayload{typ: PayloadTypeNotify, body: cat([]byte{0, 0}, be16(uint16(NotifyTypeCookie)), unhex("0011223344556677"))}
	sa := func(body []byte) testPayload { return testPayload{typ: PayloadTypeSA, body: body} }
	header := v2(nonce)[:IKEHeaderLen]

	tests := []struct {
		name      string
		data      []byte
		wantErr   string
		truncated bool // errors.Is(err, ErrTruncated)
		noMessage bool // the header does not decode: no message at all
	}{
		{name: "empty", data: nil, wantErr: "ike: header at offset 0: truncated: 0 bytes, header needs 28 bytes", truncated: true, noMessage: true},
		{name: "header shorter than 28", data: header[:20], wantErr: "ike: header at offset 0: truncated: 20 bytes, header needs 28 bytes", truncated: true, noMessage: true},
		{name: "length field below 28", data: append(header[:24:24], 0, 0, 0, 12), wantErr: "ike: length at offset 24: length 12 < 28", noMessage: true},
		{name: "length field zero (tcpdump isakmp-pointer-loop)", data: testIsakmpPointerLoop, wantErr: "ike: length at offset 24: length 0 < 28", noMessage: true},
		{name: "major version 3", data: func() []byte { b := append([]byte(nil), header...); b[17] = 0x30; return b }(), wantErr: "ike: version at offset 17: unsupported major version 3", noMessage: true},
		{name: "length beyond the data", data: v2(nonce, notify)[:60], wantErr: "ike: message at offset 60: truncated: 60 of 64 bytes captured", truncated: true},
		{name: "payload length below 4", data: setLen(v2(nonce, notify), 48, 3), wantErr: `ike: payload "Notify" at offset 48: length 3 < 4`},
		{name: "zero-length payload", data: setLen(v2(nonce, notify), 48, 0), wantErr: `ike: payload "Notify" at offset 48: length 0 < 4`},
		{name: "payload overrun", data: setLen(v2(nonce, notify), 48, 200), wantErr: `ike: payload "Notify" at offset 48: length 200 > 16 remaining`},
		{name: "chain never ends in NONE", data: setNext(v2(nonce, notify), 48, PayloadTypeNotify), wantErr: `ike: payload "Notify" at offset 64: missing: the message ends before it`},
		{name: "chain ends inside a header", data: fixLength(append(setNext(v2(nonce), 28, PayloadTypeNonce), 0, 0)), wantErr: `ike: payload "Nonce" at offset 48: header needs 4 bytes, 2 remaining`},
		{name: "bytes after the last payload", data: fixLength(append(v2(nonce), 1, 2, 3, 4, 5)), wantErr: "ike: payload chain at offset 48: 5 bytes after the last payload"},
		{name: "bytes after the encrypted payload", data: fixLength(append(v2(testPayload{typ: PayloadTypeSK, body: make([]byte, 32)}), 9, 9, 9, 9)), wantErr: "ike: payload chain at offset 64: 4 bytes after the encrypted payload"},
		{name: "v2 ID shorter than its header (tcpdump ikev2-id-short)", data: testIKEv2IDShort, wantErr: `ike: payload "Identification - Initiator" at offset 32: body 1 bytes < 4`},
		{name: "v1 payload length 3 (zeek-spicy-ipsec bad length)", data: testIKEv1BadLength, wantErr: `ike: payload "Vendor ID" at offset 88: length 3 < 4`},
		{name: "v1 notification chain without NONE (tcpdump isakmp-no-none-np)", data: testIKEv1NoNoneNP, wantErr: `ike: payload "Notification" at offset 84: missing: the message ends before it`},
		{name: "KE shorter than its header", data: v2(testPayload{typ: PayloadTypeKE, body: []byte{0, 14}}), wantErr: `ike: payload "Key Exchange" at offset 32: body 2 bytes < 4`},
		{name: "notify SPI overrun", data: v2(testPayload{typ: PayloadTypeNotify, body: []byte{3, 8, 0x40, 0x00, 1, 2}}), wantErr: `ike: payload "Notify" at offset 33: SPI size 8 > 2 remaining`},
		{name: "delete SPIs do not fill", data: v2(testPayload{typ: PayloadTypeDelete, body: cat([]byte{3, 4}, be16(3), make([]byte, 8))}), wantErr: `ike: payload "Delete" at offset 33: 3 SPIs of 4 bytes do not fill 8 bytes`},
		{name: "SKF shorter than its header", data: v2(testPayload{typ: PayloadTypeSKF, body: []byte{0, 1}}), wantErr: `ike: payload "Encrypted and Authenticated Fragment" at offset 32: body 2 bytes < 4`},
		{name: "proposal length beyond the SA", data: v2(sa(cat([]byte{0, 0}, be16(40), []byte{1, 1, 0, 0}))), wantErr: `ike: payload "Security Association" at offset 32: proposal length 40 outside 8..8`},
		{name: "proposal SPI overrun", data: v2(sa(cat([]byte{0, 0}, be16(8), []byte{1, 3, 4, 0}))), wantErr: `ike: payload "Security Association" at offset 38: proposal SPI size 4 > 0 remaining`},
		{name: "transform count mismatch", data: v2(sa(cat([]byte{0, 0}, be16(16), []byte{1, 1, 0, 2}, []byte{0, 0}, be16(8), []byte{1, 0}, be16(12)))), wantErr: `ike: payload "Security Association" at offset 39: proposal announces 2 transforms, holds 1`},
		{name: "transform length below 8", data: v2(sa(cat([]byte{0, 0}, be16(16), []byte{1, 1, 0, 1}, []byte{0, 0}, be16(4), []byte{1, 0}, be16(12)))), wantErr: `ike: payload "Security Association" at offset 40: transform length 4 outside 8..8`},
		{name: "attribute overrun", data: v2(sa(cat([]byte{0, 0}, be16(20), []byte{1, 1, 0, 1}, []byte{0, 0}, be16(12), []byte{1, 0}, be16(12), be16(14), be16(9)))), wantErr: `ike: payload "Security Association" at offset 48: attribute 14 length 9 > 0 remaining`},
		{name: "attribute cut", data: v2(sa(cat([]byte{0, 0}, be16(18), []byte{1, 1, 0, 1}, []byte{0, 0}, be16(10), []byte{1, 0}, be16(12), be16(0x800e)))), wantErr: `ike: payload "Security Association" at offset 48: attribute needs 4 bytes, 2 remaining`},
		{name: "proposal announces another", data: v2(sa(cat([]byte{2, 0}, be16(8), []byte{1, 1, 0, 0}))), wantErr: `ike: payload "Security Association" at offset 32: proposal announces another, none follows`},
		{name: "v1 SA shorter than DOI and situation", data: v1(testPayload{typ: PayloadTypeV1SA, body: be32(1)}), wantErr: `ike: payload "Security Association" at offset 32: body 4 bytes < 8`},
		{name: "traffic selector of the wrong length", data: v2(testPayload{typ: PayloadTypeTSi, body: cat([]byte{1, 0, 0, 0}, []byte{7, 0}, be16(12), be16(0), be16(0), be32(0))}), wantErr: `ike: payload "Traffic Selector - Initiator" at offset 38: traffic selector type 7 length 12, want 16`},
		{name: "traffic selector count mismatch", data: v2(testPayload{typ: PayloadTypeTSr, body: []byte{2, 0, 0, 0}}), wantErr: `ike: payload "Traffic Selector - Responder" at offset 32: payload announces 2 traffic selectors, holds 0`},
		{name: "configuration attribute overrun", data: v2(testPayload{typ: PayloadTypeCP, body: cat([]byte{1, 0, 0, 0}, be16(1), be16(4))}), wantErr: `ike: payload "Configuration" at offset 36: attribute 1 length 4 > 0 remaining`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseIKEMessage(tc.data)
			if err == nil {
				t.Fatalf("ParseIKEMessage(%x) = nil error, want %q", tc.data, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseIKEMessage error = %q, want %q", err, tc.wantErr)
			}
			var de *Error
			if !errors.As(err, &de) || de.Layer != "ike" {
				t.Errorf("ParseIKEMessage error %T is not an ike *Error", err)
			}
			if got := errors.Is(err, ErrTruncated); got != tc.truncated {
				t.Errorf("errors.Is(%q, ErrTruncated) = %v, want %v", err, got, tc.truncated)
			}
			if (m == nil) != tc.noMessage {
				t.Errorf("ParseIKEMessage returned message %v, want a message: %v", m != nil, !tc.noMessage)
			}
		})
	}
}

// fixLength rewrites the IKE header's Length to the message's length.
func fixLength(b []byte) []byte {
	n := len(b)
	b[24], b[25], b[26], b[27] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}

// TestParseIKEMessageManyPayloads decodes a message of 1000 payloads: the
// walk is bounded by bytes, not by a count, and a long chain is legal.
func TestParseIKEMessageManyPayloads(t *testing.T) {
	payloads := make([]testPayload, 1000)
	for i := range payloads {
		payloads[i] = testPayload{typ: PayloadTypeVendorID, body: []byte{byte(i >> 8), byte(i)}}
	}
	data := buildIKE(1, 2, 2, ExchangeTypeIKESAInit, IKEv2FlagInitiator, 0, 0, payloads...)
	m, err := ParseIKEMessage(data)
	if err != nil {
		t.Fatalf("ParseIKEMessage(1000 payloads) error = %v", err)
	}
	if len(m.Payloads) != 1000 || len(m.VendorIDs) != 1000 {
		t.Fatalf("ParseIKEMessage(1000 payloads) = %d payloads, %d vendor IDs, want 1000 each", len(m.Payloads), len(m.VendorIDs))
	}
	if got := m.VendorIDs[999].Data; string(got) != "\x03\xe7" {
		t.Errorf("last vendor ID = %x, want 03e7", got)
	}
}

// TestPayloadIterBounded shows that the iterator cannot loop: every step
// consumes at least the 4-byte generic header, so a chain of n bytes yields
// at most n/4 payloads whatever its Next Payload and length fields say. The
// chains below are the classic loop attempts: payloads of length 4 that all
// name the next one, a chain whose every Next Payload names itself, the
// length-0 header of tcpdump's isakmp-pointer-loop.pcap (rejected, not
// re-read), and random chains.
func TestPayloadIterBounded(t *testing.T) {
	walk := func(chain []byte, first PayloadType, version uint8) (int, error) {
		var it PayloadIter
		it.Reset(chain, first, version)
		n := 0
		for it.Next() {
			n++
			if n > len(chain)/minPayloadLen {
				t.Fatalf("walk of %d bytes yielded %d payloads", len(chain), n)
			}
		}
		return n, it.Err()
	}
	selfChain := make([]byte, 4000)
	for i := 0; i < len(selfChain); i += 4 {
		selfChain[i], selfChain[i+3] = byte(PayloadTypeVendorID), 4 // next = itself, length 4
	}
	if n, err := walk(selfChain, PayloadTypeVendorID, 2); n != 1000 || err == nil {
		t.Errorf("self-referencing chain: %d payloads, error %v; want 1000 and a missing-payload error", n, err)
	}
	zeroLen := []byte{byte(PayloadTypeV1Hash), 0, 0, 0, 0, 0, 0, 0}
	if n, err := walk(zeroLen, PayloadTypeV1Hash, 1); n != 0 || err == nil {
		t.Errorf("length-0 payload: %d payloads, error %v; want 0 and an error", n, err)
	}
	if n, err := walk(testIsakmpPointerLoop[IKEHeaderLen:], PayloadTypeV1Hash, 1); n != 0 || err == nil {
		t.Errorf("isakmp-pointer-loop chain: %d payloads, error %v; want 0 and an error", n, err)
	}
	seed := uint32(1)
	for i := 0; i < 2000; i++ {
		chain := make([]byte, i%257)
		for j := range chain {
			seed = seed*1664525 + 1013904223
			chain[j] = byte(seed >> 24)
			if j%4 == 2 {
				chain[j] = 0 // keep lengths small so that walks go deep
			}
		}
		walk(chain, PayloadType(seed>>8), uint8(1+i%2))
	}
}

// TestPayloadIterOffsets checks the accessors on a known chain, and that
// the walk of an IKEv2 message ends at SK whose NextType is the first
// encrypted payload.
func TestPayloadIterOffsets(t *testing.T) {
	data := buildIKE(1, 2, 2, ExchangeTypeIKEAuth, IKEv2FlagInitiator, 1, PayloadTypeIDi,
		testPayload{typ: 200, critical: true, body: []byte{1, 2, 3}},
		testPayload{typ: PayloadTypeSK, body: make([]byte, 20)})
	var it PayloadIter
	it.Reset(data[IKEHeaderLen:], PayloadType(data[16]), 2)
	type step struct {
		typ, next PayloadType
		critical  bool
		off, len  int
	}
	var got []step
	for it.Next() {
		got = append(got, step{it.Type(), it.NextType(), it.Critical(), it.Offset(), it.Length()})
		if len(it.Body()) != it.Length()-4 {
			t.Errorf("Body() is %d bytes, Length() %d", len(it.Body()), it.Length())
		}
	}
	want := []step{{200, PayloadTypeSK, true, 28, 7}, {PayloadTypeSK, PayloadTypeIDi, false, 35, 24}}
	if it.Err() != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("walk = %+v, err %v; want %+v", got, it.Err(), want)
	}
	// IKEv1 has no Critical bit and SK means nothing there.
	it.Reset(data[IKEHeaderLen:], PayloadType(data[16]), 1)
	for it.Next() {
		if it.Critical() {
			t.Errorf("IKEv1 walk reports payload %v critical", it.Type())
		}
	}
	if it.Err() == nil {
		t.Errorf("IKEv1 walk past SK: no error, want a missing-payload error")
	}
}

// decodeAll decodes the header of every fixture and walks its payload chain:
// the zero-allocation path that classifies IKE packets. It returns the
// number of payloads seen.
func decodeAll(tb testing.TB, ike *IKE, it *PayloadIter, fixtures []ikeFixture) int {
	n := 0
	for _, f := range fixtures {
		if f.wantErr != "" {
			continue // errors may allocate; the success path may not
		}
		if err := ike.DecodeFromBytes(f.data, gopacket.NilDecodeFeedback); err != nil {
			tb.Fatalf("DecodeFromBytes(%s) error = %v", f.name, err)
		}
		if ike.Encrypted() {
			continue
		}
		for it.Reset(ike.Payload, ike.NextPayload, ike.MajorVersion); it.Next(); {
			n += len(it.Body()) & 1
		}
	}
	return n
}

// TestParseIKENoAllocsIterator checks that IKE.DecodeFromBytes and a
// PayloadIter walk allocate nothing.
func TestParseIKENoAllocsIterator(t *testing.T) {
	var ike IKE
	var it PayloadIter
	fixtures := ikeFixtures()
	if allocs := testing.AllocsPerRun(1000, func() { decodeAll(t, &ike, &it, fixtures) }); allocs != 0 {
		t.Errorf("decoding %d fixtures allocated %v times, want 0", len(fixtures), allocs)
	}
}

// BenchmarkParseIKE measures ParseIKEMessage, and the allocation-free header
// decode plus payload walk, on every fixture.
func BenchmarkParseIKE(b *testing.B) {
	for _, f := range ikeFixtures() {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(f.data)))
			for b.Loop() {
				ParseIKEMessage(f.data)
			}
		})
	}
	b.Run("DecodeAndWalk", func(b *testing.B) {
		fixtures := ikeFixtures()
		var ike IKE
		var it PayloadIter
		total := 0
		for _, f := range fixtures {
			total += len(f.data)
		}
		b.ReportAllocs()
		b.SetBytes(int64(total))
		for b.Loop() {
			decodeAll(b, &ike, &it, fixtures)
		}
	})
}
