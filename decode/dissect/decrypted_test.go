package dissect

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// decrypted returns an IKEv2 message whose encrypted payload decrypted to
// the payloads given, their content in the message's fields as the
// decoder leaves it.
func decrypted(payloads ...decode.PayloadSummary) *decode.IKEMessage {
	return &decode.IKEMessage{Version: 2, Exchange: decode.ExchangeTypeIKEAuth, Encrypted: true,
		Payloads:   []decode.PayloadSummary{{Type: decode.PayloadTypeSK, Entry: -1}},
		Decryption: &decode.Decryption{Status: decode.Decrypted, Payloads: payloads}}
}

func TestDecryptedPayloads(t *testing.T) {
	ip := func(s string) []byte { return netipAddr(s) }
	for _, tc := range []struct {
		name string
		m    *decode.IKEMessage
		want string
	}{
		{"refused", func() *decode.IKEMessage {
			m := decrypted(decode.PayloadSummary{Type: decode.PayloadTypeNotify, Entry: 0})
			m.Notifies = []decode.Notify{{Type: decode.NotifyTypeAuthenticationFailed}}
			return m
		}(), "N(AUTHENTICATION_FAILED)"},
		{"IKE_AUTH response", func() *decode.IKEMessage {
			m := decrypted(
				decode.PayloadSummary{Type: decode.PayloadTypeIDr, Entry: 0},
				decode.PayloadSummary{Type: decode.PayloadTypeAuth, Entry: 0},
				decode.PayloadSummary{Type: decode.PayloadTypeCP, Entry: 0},
				decode.PayloadSummary{Type: decode.PayloadTypeSA, Entry: 0},
				decode.PayloadSummary{Type: decode.PayloadTypeTSi, Entry: 0},
				decode.PayloadSummary{Type: decode.PayloadTypeTSr, Entry: 1},
			)
			m.IDs = []decode.Identification{{Type: decode.PayloadTypeIDr, IDType: 2, Data: []byte("gw.example.org")}}
			m.AuthMethod = 2
			m.Config = &decode.Config{Type: 2, Attributes: []decode.ConfigAttribute{{Type: 1, Length: 4, Value: ip("192.0.2.17")}, {Type: 3, Length: 0}}}
			m.Proposals = []decode.Proposal{{Number: 1, Protocol: decode.ProtocolIDESP, SPI: []byte{0x11, 0xb0, 0x8b, 0x5f}}}
			m.TS = []decode.TrafficSelector{
				{Initiator: true, Type: 7, StartPort: 0, EndPort: 0xffff, Start: ip("192.0.2.17"), End: ip("192.0.2.17")},
				{Initiator: false, Type: 7, StartPort: 0, EndPort: 0xffff, Start: ip("203.0.113.0"), End: ip("203.0.113.255")},
				{Initiator: false, Type: 7, Protocol: 17, StartPort: 500, EndPort: 500, Start: ip("10.0.0.1"), End: ip("10.0.0.9")},
			}
			return m
		}(), `IDr("gw.example.org") AUTH(Shared Key Message Integrity Code) CP(CFG_REPLY 192.0.2.17) SA(ESP 0x11b08b5f) TSi(192.0.2.17) TSr(203.0.113.0/24, 10.0.0.1-10.0.0.9 UDP 500)`},
		{"delete and rekey", func() *decode.IKEMessage {
			m := decrypted(
				decode.PayloadSummary{Type: decode.PayloadTypeNotify, Entry: 0},
				decode.PayloadSummary{Type: decode.PayloadTypeDelete, Entry: 0},
				decode.PayloadSummary{Type: decode.PayloadTypeNonce, Entry: 0},
			)
			m.Flags = decode.IKEv2FlagInitiator
			m.Notifies = []decode.Notify{{Type: decode.NotifyTypeRekeySA, Protocol: decode.ProtocolIDESP, SPI: []byte{0xe9, 0x91, 0x89, 0x68}}}
			m.Deletes = []decode.Delete{{Protocol: decode.ProtocolIDESP, SPIs: [][]byte{{0, 0, 0, 1}, {0, 0, 0, 2}}}}
			return m
		}(), "N(REKEY_SA ESP 0xe9918968) D(ESP 0x00000001, 0x00000002) Ni"},
		{"empty", decrypted(), "no payload"},
		{"IKEv1 subnet", func() *decode.IKEMessage {
			m := &decode.IKEMessage{Version: 1, Exchange: decode.ExchangeTypeQuickMode, Encrypted: true,
				Decryption: &decode.Decryption{Status: decode.Decrypted, Payloads: []decode.PayloadSummary{
					{Type: decode.PayloadTypeV1Hash, Entry: -1}, {Type: decode.PayloadTypeV1ID, Entry: 0}, {Type: decode.PayloadTypeV1ID, Entry: 1}, {Type: decode.PayloadTypeV1ID, Entry: 2}}}}
			m.IDs = []decode.Identification{
				{Type: decode.PayloadTypeV1ID, IDType: 1, Data: ip("192.0.2.17")},
				{Type: decode.PayloadTypeV1ID, IDType: 4, Data: append(ip("203.0.113.0"), 255, 255, 255, 0)},
				{Type: decode.PayloadTypeV1ID, IDType: 4, Data: append(ip("203.0.113.0"), 255, 0, 255, 0)},
			}
			return m
		}(), "HASH ID(192.0.2.17) ID(203.0.113.0/24) ID(203.0.113.0/255.0.255.0)"},
		{"not decrypted", &decode.IKEMessage{Version: 2, Encrypted: true}, ""},
		{"no key", &decode.IKEMessage{Version: 2, Encrypted: true, Decryption: &decode.Decryption{Status: decode.DecryptNoKey}}, ""},
		{"fragment", &decode.IKEMessage{Version: 2, Encrypted: true, Decryption: &decode.Decryption{Status: decode.DecryptFragment}}, ""},
		{"failed", &decode.IKEMessage{Version: 2, Encrypted: true, Decryption: &decode.Decryption{Status: decode.DecryptFailed, Reason: "integrity check failed"}}, ""},
	} {
		if got := DecryptedPayloads(tc.m); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	failed := &decode.Packet{IKE: &decode.IKEMessage{Version: 2, Encrypted: true, Decryption: &decode.Decryption{Status: decode.DecryptFailed, Reason: "integrity check failed with the key of k:3"}}}
	if got := DecryptFailure(failed); got != "integrity check failed with the key of k:3" {
		t.Errorf("DecryptFailure = %q", got)
	}
	esp := &decode.Packet{Kind: decode.KindUDPESP, Decrypted: &decode.ESPDecryption{Status: decode.DecryptFailed, Reason: "integrity check failed"}}
	if got := DecryptFailure(esp); got != "integrity check failed" {
		t.Errorf("DecryptFailure of ESP = %q", got)
	}
	if got := DecryptFailure(&decode.Packet{Decrypted: &decode.ESPDecryption{Status: decode.Decrypted}}); got != "" {
		t.Errorf("DecryptFailure of a decrypted packet = %q", got)
	}
}

func netipAddr(s string) []byte { return netip.MustParseAddr(s).AsSlice() }

// TestDecryptedPayloadsLab reads what the lab's logged keys decrypt, as
// the scenarios' TRUTH.md lists it: natt-ok-keys' IKE_AUTH (frames 5/6:
// IDi client.example.org, IDr gw.example.org, virtual IP 192.0.2.17,
// CHILD_SA 192.0.2.17/32 === 203.0.113.0/24 with ESP SPIs 0x2b6541f0 and
// 0x11b08b5f) and its Delete (frame 21), ikev2-auth-failed-keys' refusal
// (frame 6: one Notify, AUTHENTICATION_FAILED), and ikev1-natt-keys'
// Quick Mode (frame 11: HASH, SA with SPI 0xe4f2b526, nonce, IDs
// 192.0.2.17 and 203.0.113.0/255.255.255.0).
func TestDecryptedPayloadsLab(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		frame    int
		want     []string // in order
	}{
		{"natt-ok-keys", 5, []string{`IDi("client.example.org")`, `IDr("gw.example.org")`, "AUTH(", "CP(CFG_REQUEST)", "SA(ESP 0x2b6541f0)", "TSi(", "TSr("}},
		{"natt-ok-keys", 6, []string{`IDr("gw.example.org")`, "AUTH(", "CP(CFG_REPLY 192.0.2.17)", "SA(ESP 0x11b08b5f)", "TSi(192.0.2.17)", "TSr(203.0.113.0/24)"}},
		{"natt-ok-keys", 21, []string{"D(IKE)"}},
		{"ikev2-auth-failed-keys", 6, []string{"N(AUTHENTICATION_FAILED)"}},
		{"ikev1-natt-keys", 11, []string{"HASH", "SA(IPSEC_ESP 0xe4f2b526)", "NONCE", "ID(192.0.2.17)", "ID(203.0.113.0/24)"}},
	} {
		dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab", tc.scenario)
		found := false
		for _, f := range readFrames(t, filepath.Join(dir, "inside.pcap"), decode.Options{Keys: labKeys(t, dir)}) {
			if f.p.Frame != tc.frame || f.p.IKE == nil {
				continue
			}
			found = true
			got := DecryptedPayloads(f.p.IKE)
			rest := got
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("%s frame %d: %q lacks %q (in order)", tc.scenario, tc.frame, got, w)
					break
				}
				rest = rest[i+len(w):]
			}
			if tc.scenario == "ikev2-auth-failed-keys" && got != "N(AUTHENTICATION_FAILED)" {
				t.Errorf("%s frame %d: %q, want the one notify", tc.scenario, tc.frame, got)
			}
			if s := Summary(&f.p); !strings.HasSuffix(s, "; decrypted: "+got) {
				t.Errorf("%s frame %d: summary %q does not end with what was decrypted", tc.scenario, tc.frame, s)
			}
		}
		if !found {
			t.Errorf("%s has no IKE message at frame %d", tc.scenario, tc.frame)
		}
	}
}

// TestDecryptedESPSummary: a decrypted ESP packet's summary says what it
// carried, marked as decrypted: natt-ok-keys' frames 7 and 8 are the first
// ping and its reply, 192.0.2.17 ↔ 203.0.113.1 (TRUTH.md).
func TestDecryptedESPSummary(t *testing.T) {
	dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab", "natt-ok-keys")
	want := map[int]string{
		7: "spi 0x11b08b5f seq 1; decrypted: 192.0.2.17 > 203.0.113.1 icmp echo-request",
		8: "spi 0x2b6541f0 seq 1; decrypted: 203.0.113.1 > 192.0.2.17 icmp echo-reply",
	}
	for _, f := range readFrames(t, filepath.Join(dir, "inside.pcap"), decode.Options{Keys: labKeys(t, dir)}) {
		if w, ok := want[f.p.Frame]; ok {
			if got := Summary(&f.p); got != w {
				t.Errorf("frame %d: %q, want %q", f.p.Frame, got, w)
			}
			delete(want, f.p.Frame)
		}
	}
	if len(want) > 0 {
		t.Errorf("frames %v not found", want)
	}
	// Without keys, nothing is said of the content.
	for _, f := range readFrames(t, filepath.Join(dir, "inside.pcap"), decode.Options{}) {
		if s := Summary(&f.p); strings.Contains(s, "decrypted") {
			t.Errorf("frame %d without keys: %q", f.p.Frame, s)
		}
	}
}
