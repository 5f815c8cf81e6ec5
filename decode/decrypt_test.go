package decode

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// labKeys loads the keys of a repository lab scenario from its charon logs.
func labKeys(t testing.TB, scenario string) (*keys.Store, string) {
	t.Helper()
	dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab", scenario)
	s, warnings, err := keys.LoadAll([]string{filepath.Join(dir, "logs", "charon-client.log"), filepath.Join(dir, "logs", "charon-gw.log")})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Fatalf("warnings: %q", warnings)
	}
	return s, dir
}

// decryptedSummary describes a decrypted IKE message as "frame exchange:
// payloads [notifies]".
func decryptedSummary(p *Packet) string {
	m := p.IKE
	var names []string
	for _, pl := range m.Decryption.Payloads {
		names = append(names, pl.Type.String())
	}
	var ns []string
	for _, n := range m.Notifies {
		ns = append(ns, n.Type.String())
	}
	return fmt.Sprintf("%d %s: %s [%s]", p.Frame, m.Exchange, strings.Join(names, " "), strings.Join(ns, " "))
}

// TestDecryptLab decrypts the lab captures whose keys were logged and
// holds the result to their TRUTH.md: every encrypted IKE message (every
// SKF fragment, and the message it completes) and every ESP packet
// decrypts, with the payloads the truth lists for particular frames, the
// child SA SPIs of IKE_AUTH and Quick Mode, and the inner ICMP traffic.
func TestDecryptLab(t *testing.T) {
	const out, back = "192.0.2.17→203.0.113.1", "203.0.113.1→192.0.2.17"
	tests := []struct {
		scenario  string
		encrypted int
		fragments int
		want      []string // payload summaries of particular frames
		spis      []uint32 // child SA SPIs in the SA payloads
		echo      map[string]int
	}{
		{"natt-ok-keys", 4, 0, []string{
			"21 INFORMATIONAL: Delete []",
		}, []uint32{0x2b6541f0, 0x11b08b5f}, map[string]int{out + " request": 5, back + " reply": 5}},
		{"ikev1-natt-keys", 9, 0, []string{
			"7 Identity Protection (Main Mode): Identification Hash Notification [INITIAL-CONTACT]",
			"28 Informational: Hash Delete []",
		}, []uint32{0xe4f2b526, 0xb3db9272}, map[string]int{out + " request": 5, back + " reply": 5}},
		{"natt-rekey-gcm-keys", 24, 0, []string{
			"21 CREATE_CHILD_SA: Notify Security Association Nonce Traffic Selector - Initiator Traffic Selector - Responder [REKEY_SA]",
			"23 INFORMATIONAL: Delete []",
			"65 CREATE_CHILD_SA: Security Association Nonce Key Exchange []",
			"81 CREATE_CHILD_SA: Notify Security Association Nonce Traffic Selector - Initiator Traffic Selector - Responder [REKEY_SA]",
		}, []uint32{0xe9918968, 0xdfce8f55}, map[string]int{out + " request": 30, back + " reply": 30, back + " request": 14, out + " reply": 14}},
		{"natt-ctr-sha2-keys", 4, 0, []string{
			"23 INFORMATIONAL: Delete []",
		}, []uint32{0x0f9a1d3a, 0x6d77c8bc}, map[string]int{out + " request": 4, back + " reply": 4, back + " request": 3, out + " reply": 3}},
		{"ikev2-auth-failed-keys", 2, 0, []string{
			"6 IKE_AUTH: Notify [AUTHENTICATION_FAILED]",
		}, []uint32{0x1f249f2c}, map[string]int{}},
		{"ike-rfc7383-keys", 4, 2, []string{
			"8 IKE_AUTH: Identification - Responder Certificate Authentication Configuration Security Association Traffic Selector - Initiator Traffic Selector - Responder Notify Notify [MOBIKE_SUPPORTED NO_ADDITIONAL_ADDRESSES]",
			"21 INFORMATIONAL: Delete []",
		}, []uint32{0x58383c70, 0x6970fb25}, map[string]int{out + " request": 3, back + " reply": 3, back + " request": 3, out + " reply": 3}},
	}
	icmp := map[uint8]string{0: "reply", 8: "request"}
	for _, tc := range tests {
		for _, side := range []string{"inside", "outside"} {
			t.Run(tc.scenario+"/"+side, func(t *testing.T) {
				store, dir := labKeys(t, tc.scenario)
				var got []string
				var spis []uint32
				encrypted, fragments, echo := 0, 0, map[string]int{}
				_, err := ReadFile(filepath.Join(dir, side+".pcap"), Options{Keys: store}, func(p *Packet) {
					if p.IKE != nil && p.IKE.Encrypted {
						d := p.IKE.Decryption
						if d != nil && d.Status == DecryptFragment {
							fragments++
							return
						}
						encrypted++
						if d == nil || d.Status != Decrypted {
							t.Errorf("frame %d: %+v", p.Frame, d)
							return
						}
						got = append(got, decryptedSummary(p))
						checkDecryptedPlacement(t, p)
						if p.IKE.Exchange == ExchangeTypeIKEAuth || p.IKE.Exchange == ExchangeTypeQuickMode {
							for _, pr := range p.IKE.Proposals {
								if len(pr.SPI) == 4 {
									spis = append(spis, uint32(pr.SPI[0])<<24|uint32(pr.SPI[1])<<16|uint32(pr.SPI[2])<<8|uint32(pr.SPI[3]))
								}
							}
						}
					}
					if p.Kind == KindUDPESP {
						d := p.Decrypted
						if d == nil || d.Status != Decrypted {
							t.Errorf("ESP frame %d: %+v", p.Frame, d)
							return
						}
						if d.Inner.Proto != 1 {
							t.Errorf("ESP frame %d: inner protocol %d, want ICMP", p.Frame, d.Inner.Proto)
						}
						echo[fmt.Sprintf("%v→%v %s", d.Inner.Src, d.Inner.Dst, icmp[d.Inner.ICMPType])]++
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if encrypted != tc.encrypted || fragments != tc.fragments {
					t.Errorf("%d encrypted IKE messages and %d more fragments, want %d and %d", encrypted, fragments, tc.encrypted, tc.fragments)
				}
				for _, w := range tc.want {
					if !slices.Contains(got, w) {
						t.Errorf("no %q in\n%s", w, strings.Join(got, "\n"))
					}
				}
				slices.Sort(spis)
				spis = slices.Compact(spis)
				wantSPIs := slices.Clone(tc.spis)
				slices.Sort(wantSPIs)
				if !slices.Equal(spis, wantSPIs) {
					t.Errorf("child SA SPIs %x, want %x", spis, wantSPIs)
				}
				if fmt.Sprint(echo) != fmt.Sprint(tc.echo) {
					t.Errorf("inner traffic %v, want %v", echo, tc.echo)
				}
			})
		}
	}
}

// checkDecryptedPlacement checks that the decrypted payloads lie one after
// the other from the start of the plaintext, and that each one's Entry
// holds what it decoded: the k-th decrypted notify is the notify at its
// Entry, after the cleartext ones.
func checkDecryptedPlacement(t *testing.T, p *Packet) {
	t.Helper()
	m, off := p.IKE, 0
	for i, s := range m.Decryption.Payloads {
		if s.Offset != off {
			t.Errorf("frame %d: decrypted payload %d (%v) at %d, want %d", p.Frame, i, s.Type, s.Offset, off)
		}
		off += s.Length
		switch s.Type {
		case PayloadTypeNotify, PayloadTypeV1Notification:
			if s.Entry < 0 || s.Entry >= len(m.Notifies) {
				t.Errorf("frame %d: decrypted notify %d has entry %d of %d", p.Frame, i, s.Entry, len(m.Notifies))
			}
		case PayloadTypeSA, PayloadTypeV1SA:
			if s.Entry == 0 && len(m.Proposals) == 0 {
				t.Errorf("frame %d: decrypted SA %d has entry 0, and no proposals were decoded", p.Frame, i)
			}
		}
	}
}

// TestDecryptWrongKey gives keys with one bit changed: every message and
// packet of the SA is reported as failing its integrity check, naming the
// key's file and line, and nothing is decoded from it.
func TestDecryptWrongKey(t *testing.T) {
	for _, scenario := range []string{"natt-ok-keys", "ikev1-natt-keys"} {
		t.Run(scenario, func(t *testing.T) {
			store, dir := labKeys(t, scenario)
			for i := range store.IKEv2 {
				store.IKEv2[i].IntegI[0] ^= 1
				store.IKEv2[i].IntegR[0] ^= 1
			}
			for i := range store.IKEv1 {
				store.IKEv1[i].Key[0] ^= 1
			}
			for i := range store.ESP {
				store.ESP[i].AuthKey[0] ^= 1
			}
			failed := 0
			_, err := ReadFile(filepath.Join(dir, "inside.pcap"), Options{Keys: store}, func(p *Packet) {
				var status DecryptStatus
				var reason string
				switch {
				case p.IKE != nil && p.IKE.Encrypted:
					if p.IKE.Decryption == nil {
						t.Fatalf("frame %d: no decryption outcome", p.Frame)
					}
					status, reason = p.IKE.Decryption.Status, p.IKE.Decryption.Reason
					if len(p.IKE.Decryption.Payloads) > 0 {
						t.Errorf("frame %d: payloads decoded with a wrong key", p.Frame)
					}
				case p.Decrypted != nil:
					status, reason = p.Decrypted.Status, p.Decrypted.Reason
				default:
					return
				}
				failed++
				if status != DecryptFailed || !strings.Contains(reason, "charon-") || !strings.Contains(reason, ".log:") {
					t.Errorf("frame %d: %v %q, want a failure naming the key's file and line", p.Frame, status, reason)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if failed == 0 {
				t.Fatal("nothing was tried")
			}
		})
	}
}

// FuzzDecrypt feeds arbitrary IKE messages and ESP packets to a decrypter
// holding the lab's keys, after the lab's own messages (so that IKEv1 state
// exists): no panic, and a message that decrypts has its payloads listed.
func FuzzDecrypt(f *testing.F) {
	var seeds [][]byte
	for _, scenario := range []string{"natt-ok-keys", "ikev1-natt-keys"} {
		r, err := capture.Open(filepath.Join(corpus.RepoRoot(), "testdata", "lab", scenario, "inside.pcap"))
		if err != nil {
			f.Fatal(err)
		}
		var rec capture.Record
		for r.Next(&rec) == nil {
			if len(rec.Data) > 42 {
				b := rec.Data[42:]
				if len(b) > 4 && b[0]|b[1]|b[2]|b[3] == 0 {
					b = b[4:]
				}
				seeds = append(seeds, append([]byte(nil), b...))
			}
		}
		r.Close()
	}
	for _, s := range seeds {
		f.Add(s)
	}
	s1, _ := labKeys(f, "natt-ok-keys")
	s2, _ := labKeys(f, "ikev1-natt-keys")
	store := &keys.Store{IKEv2: s1.IKEv2, IKEv1: s2.IKEv1, ESP: append(s1.ESP, s2.ESP...)}
	f.Fuzz(func(t *testing.T, b []byte) {
		dc := newDecrypter(store)
		for _, s := range append(seeds, b) {
			if m, err := ParseIKEMessage(s); err == nil {
				dc.message(m, s, PayloadHash(s))
				if d := m.Decryption; d != nil && d.Status == Decrypted && len(d.Payloads) == 0 && m.EncryptedFirst != PayloadTypeNone && d.Fragments == 0 {
					t.Fatalf("decrypted without payloads: %x", s)
				}
			}
			if len(s) >= 8 {
				p := Packet{ESP: ESPInfo{SPI: uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])}}
				dc.esp(&p, s)
			}
		}
	})
}

// TestBindKeys gives the keys of the IKE SA that natt-rekey-gcm-keys'
// rekey made, which the charon log prints without SPIs, the SPIs of the SA
// they verify: 7530bf696826712e/b73aadcd0f7ca84c in the truth.
func TestBindKeys(t *testing.T) {
	store, dir := labKeys(t, "natt-rekey-gcm-keys")
	n, err := BindKeys(store, filepath.Join(dir, "inside.pcap"))
	if err != nil || n != 1 {
		t.Fatalf("BindKeys: %d bound, %v; want 1", n, err)
	}
	k := store.IKEv2For(0x7530bf696826712e, 0xb73aadcd0f7ca84c)
	if k == nil || hex.EncodeToString(k.EncI) != "0d2b892401d755149c50dc565402e3b3c565bf06" {
		t.Errorf("rekeyed SA's keys: %+v", k)
	}
	if n, err := BindKeys(store, filepath.Join(dir, "inside.pcap")); n != 0 || err != nil {
		t.Errorf("second BindKeys: %d, %v; want nothing left to bind", n, err)
	}
	if _, err := BindKeys(&keys.Store{IKEv2: []keys.IKEv2SA{{}}}, filepath.Join(dir, "missing.pcap")); err == nil {
		t.Error("a missing capture gives no error")
	}
}

// TestInnerPacketFragment: a decrypted inner IPv4 packet that is a
// non-first fragment has no transport header to read, so no ICMP type
// (type 0 would read as an echo reply) and no ports.
func TestInnerPacketFragment(t *testing.T) {
	ip := func(fragOff uint16, proto uint8, payload ...byte) []byte {
		b := []byte{0x45, 0, 0, byte(20 + len(payload)), 0, 1, byte(fragOff >> 8), byte(fragOff), 64, proto, 0, 0, 192, 0, 2, 17, 203, 0, 113, 1}
		return append(b, payload...)
	}
	echo := innerPacket(ip(0, 1, 8, 0, 0, 0), 4)
	if !echo.Tunnel || !echo.Transport || echo.Proto != 1 || echo.ICMPType != 8 {
		t.Errorf("echo request: %+v", echo)
	}
	frag := innerPacket(ip(0x00b9, 1, 0, 0, 0, 0), 4)
	if !frag.Tunnel || frag.Transport || frag.Proto != 1 || frag.Src.String() != "192.0.2.17" {
		t.Errorf("non-first fragment: %+v", frag)
	}
	short := innerPacket(ip(0, 17, 0x13), 4)
	if short.Transport || short.SrcPort != 0 {
		t.Errorf("UDP header cut short: %+v", short)
	}
}
