package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	keyfiles "github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// swanctlSPIs reads the child SA SPIs that swanctl --list-sas printed
// ("in  2b6541f0, …" and "out 11b08b5f, …").
func swanctlSPIs(t *testing.T, dir string) []uint32 {
	re := regexp.MustCompile(`(?m)^\s+(?:in|out)\s+([0-9a-f]{8}),`)
	var spis []uint32
	for _, f := range []string{"swanctl-sas-client.txt", "swanctl-sas-gw.txt"} {
		b, err := os.ReadFile(filepath.Join(dir, "logs", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			v, _ := strconv.ParseUint(m[1], 16, 32)
			if !slices.Contains(spis, uint32(v)) {
				spis = append(spis, uint32(v))
			}
		}
	}
	slices.Sort(spis)
	return spis
}

// TestDecryptedChildSAs analyses the lab captures whose keys were logged,
// with the keys: the child SAs read from the decrypted SA payloads are the
// SPIs swanctl listed, with their proposal and mode, every ESP SA is tied
// to its tunnel exactly (not inferred), and the deletes say who ended what.
// Without keys the same SAs are inferred, as before.
func TestDecryptedChildSAs(t *testing.T) {
	tests := []struct {
		scenario  string
		proposal  string
		mode      string
		ikeDelete bool // the client deleted the IKE SA in a decrypted Delete
	}{
		{"natt-ok-keys", "ENCR_AES_CBC-128/AUTH_HMAC_SHA2_256_128/No Extended Sequence Numbers", "tunnel", true},
		{"ikev1-natt-keys", "ESP_AES-CBC-128/HMAC-SHA2-256", "UDP-encapsulated tunnel", true},
		{"natt-ctr-sha2-keys", "ENCR_AES_CBC-256/AUTH_HMAC_SHA2_512_256/No Extended Sequence Numbers", "tunnel", true},
		{"ike-rfc7383-keys", "ENCR_AES_CBC-128/AUTH_HMAC_SHA2_256_128/No Extended Sequence Numbers", "tunnel", true},
	}
	for _, tc := range tests {
		dir, store := labStore(t, tc.scenario)
		want := swanctlSPIs(t, dir)
		for _, side := range []string{"inside", "outside"} {
			t.Run(tc.scenario+"/"+side, func(t *testing.T) {
				a := Analyze(File(filepath.Join(dir, side+".pcap")), decode.Options{Keys: store}, Options{})
				if len(a.Tunnels) != 1 {
					t.Fatalf("%d tunnels", len(a.Tunnels))
				}
				tun := a.Tunnels[0]
				var got []uint32
				for _, c := range tun.ChildSAs {
					got = append(got, c.SPI)
					if c.Proposal != tc.proposal || c.Mode != tc.mode || c.Protocol != decode.ProtocolIDESP {
						t.Errorf("child SA %#x: proposal %q mode %q protocol %v", c.SPI, c.Proposal, c.Mode, c.Protocol)
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("child SAs %x, swanctl listed %x", got, want)
				}
				if len(tun.ESPSAs) != len(want) {
					t.Errorf("%d ESP SAs on the tunnel, want %d", len(tun.ESPSAs), len(want))
				}
				for _, sa := range tun.ESPSAs {
					c := tun.ChildSA(sa.SPI)
					if sa.Inferred || sa.Tunnel != tun.ID || c == nil {
						t.Errorf("ESP SA %#x: inferred %v, tunnel %d, child SA %v", sa.SPI, sa.Inferred, sa.Tunnel, c)
						continue
					}
					// The SA carries traffic to the peer that announced it.
					if to := tun.roleOfAddr(sa.Dst); to != c.Announcer {
						t.Errorf("ESP SA %#x goes to %v, announced by %v", sa.SPI, to, c.Announcer)
					}
				}
				if tun.Decryption.Failed != 0 || tun.Decryption.NoKey != 0 || tun.Decryption.Decrypted == 0 {
					t.Errorf("decryption %+v", tun.Decryption)
				}
				if d := tun.Decryption; tc.ikeDelete && (d.IKEDeletedFrame == 0 || d.IKEDeletedBy != RoleInitiator) {
					t.Errorf("IKE SA delete: frame %d by %v, want the client (initiator)", d.IKEDeletedFrame, d.IKEDeletedBy)
				}
				if tc.ikeDelete && (tun.State != StateDeleted || !strings.Contains(tun.StateReason, "the initiator deleted the IKE SA")) {
					t.Errorf("state %s: %s", tun.State, tun.StateReason)
				}

				plain := Analyze(File(filepath.Join(dir, side+".pcap")), decode.Options{}, Options{})
				for _, sa := range plain.Tunnels[0].ESPSAs {
					if !sa.Inferred {
						t.Errorf("without keys ESP SA %#x is not marked inferred", sa.SPI)
					}
				}
				if len(plain.Tunnels[0].ChildSAs) != 0 {
					t.Error("child SAs without keys")
				}
			})
		}
	}
}

// labStore loads the keys of a repository lab scenario from both peers'
// charon logs.
func labStore(t *testing.T, scenario string) (string, *keyfiles.Store) {
	t.Helper()
	dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab", scenario)
	store, _, err := keyfiles.LoadAll([]string{filepath.Join(dir, "logs", "charon-client.log"), filepath.Join(dir, "logs", "charon-gw.log")})
	if err != nil {
		t.Fatal(err)
	}
	return dir, store
}

// TestDecryptedRekeys holds natt-rekey-gcm-keys, read with its keys, to its
// TRUTH.md: two IKE SAs, the second made by rekeying the first; the ten
// child SAs in the IKE SA that negotiated them (net{1}–net{3} in the first,
// net{4}, net{5} in the second), each rekey naming the SPI it replaces, each
// old pair deleted by both peers, each IKE SA deleted by the client, and
// every ESP SA tied exactly.
func TestDecryptedRekeys(t *testing.T) {
	dir, store := labStore(t, "natt-rekey-gcm-keys")
	// Each SPI with the peer that announced it ("c" the client, the
	// initiator; "g" the gateway), the same peer's SPI it replaces, and
	// whether a Delete ended it (by the peer that announced it; net{3}'s
	// pair in the second IKE SA). The last pair was never deleted.
	type child struct {
		spi     uint32
		by      string
		rekeyOf uint32
		deleted bool
	}
	want := [2][]child{{
		{0xe9918968, "c", 0, true}, {0xdfce8f55, "g", 0, true},
		{0x718b02f9, "c", 0xe9918968, true}, {0xda4052d5, "g", 0xdfce8f55, true},
		{0xe664d6b2, "c", 0x718b02f9, true}, {0x6501e64c, "g", 0xda4052d5, true},
	}, {
		{0x45cafada, "c", 0xe664d6b2, true}, {0xc05d46cc, "g", 0x6501e64c, true},
		{0x005a124e, "c", 0x45cafada, false}, {0x81832798, "g", 0xc05d46cc, false},
	}}
	role := map[string]Role{"c": RoleInitiator, "g": RoleResponder}
	for _, side := range []string{"inside", "outside"} {
		t.Run(side, func(t *testing.T) {
			a := Analyze(File(filepath.Join(dir, side+".pcap")), decode.Options{Keys: store}, Options{})
			if len(a.Tunnels) != 2 {
				t.Fatalf("%d tunnels, want 2", len(a.Tunnels))
			}
			if a.Tunnels[1].RekeyOf != 1 || !a.Tunnels[1].RekeyExact || a.Tunnels[1].RekeyFrame != 66 {
				t.Errorf("tunnel 2 rekeys tunnel %d (exact %v, frame %d), want tunnel 1 exactly, answered at frame 66",
					a.Tunnels[1].RekeyOf, a.Tunnels[1].RekeyExact, a.Tunnels[1].RekeyFrame)
			}
			for i, tun := range a.Tunnels {
				var got, exp []string
				for _, c := range tun.ChildSAs {
					got = append(got, fmt.Sprintf("%08x %v rekeys %08x deleted %v", c.SPI, c.Announcer, c.RekeyOf, c.Deleted))
					if c.Mode != "tunnel" || !strings.HasPrefix(c.Proposal, "AES-GCM with a 16 octet ICV-128/") {
						t.Errorf("tunnel %d child SA %#x: %s, %s", tun.ID, c.SPI, c.Mode, c.Proposal)
					}
					if c.Deleted && c.DeletedBy != c.Announcer {
						t.Errorf("child SA %#x deleted by %v, announced by %v", c.SPI, c.DeletedBy, c.Announcer)
					}
				}
				for _, w := range want[i] {
					exp = append(exp, fmt.Sprintf("%08x %v rekeys %08x deleted %v", w.spi, role[w.by], w.rekeyOf, w.deleted))
				}
				slices.Sort(got)
				slices.Sort(exp)
				if !slices.Equal(got, exp) {
					t.Errorf("tunnel %d child SAs\n%s\nwant\n%s", tun.ID, strings.Join(got, "\n"), strings.Join(exp, "\n"))
				}
				if len(tun.ESPSAs) != len(want[i]) {
					t.Errorf("tunnel %d: %d ESP SAs, want %d", tun.ID, len(tun.ESPSAs), len(want[i]))
				}
				for _, sa := range tun.ESPSAs {
					if sa.Inferred || tun.ChildSA(sa.SPI) == nil {
						t.Errorf("tunnel %d: ESP SA %#x inferred %v", tun.ID, sa.SPI, sa.Inferred)
					}
				}
				if tun.State != StateDeleted || tun.Decryption.IKEDeletedBy != RoleInitiator || tun.Decryption.Failed+tun.Decryption.NoKey > 0 {
					t.Errorf("tunnel %d: state %s (%s), decryption %+v", tun.ID, tun.State, tun.StateReason, tun.Decryption)
				}
			}
			// The inner traffic of the truth: 30 pings from the client's
			// virtual IP and 14 from the gateway's side, all answered.
			echo := map[string]int{}
			for _, sa := range a.SAs {
				if sa.Inner().Decrypted != sa.Packets() || sa.Inner().Failed != 0 || sa.Inner().Key.Line == 0 {
					t.Errorf("ESP SA %#x: %d of %d packets decrypted, %d failed", sa.SPI, sa.Inner().Decrypted, sa.Packets(), sa.Inner().Failed)
				}
				for _, f := range sa.Inner().Flows {
					echo[fmt.Sprintf("%v→%v requests", f.Src, f.Dst)] += f.EchoRequests
					echo[fmt.Sprintf("%v→%v replies", f.Src, f.Dst)] += f.EchoReplies
					if f.Proto != 1 || f.Packets != f.EchoRequests+f.EchoReplies {
						t.Errorf("ESP SA %#x: inner flow %+v", sa.SPI, f)
					}
				}
			}
			want := map[string]int{"192.0.2.17→203.0.113.1 requests": 30, "192.0.2.17→203.0.113.1 replies": 14,
				"203.0.113.1→192.0.2.17 requests": 14, "203.0.113.1→192.0.2.17 replies": 30}
			if fmt.Sprint(echo) != fmt.Sprint(want) {
				t.Errorf("inner traffic %v, want %v", echo, want)
			}
		})
	}
}

// TestDecryptedAuthFailed: in ikev2-auth-failed-keys the gateway answered
// IKE_AUTH with AUTHENTICATION_FAILED inside the encryption. With the keys
// the tunnel failed (no IKE SA came up) and the notify is the
// responder's, read decrypted with a key named by file and line; without
// them IKE_AUTH looks answered and the notify is unseen.
func TestDecryptedAuthFailed(t *testing.T) {
	dir, store := labStore(t, "ikev2-auth-failed-keys")
	for _, side := range []string{"inside", "outside"} {
		t.Run(side, func(t *testing.T) {
			path := filepath.Join(dir, side+".pcap")
			tun := Analyze(File(path), decode.Options{Keys: store}, Options{}).Tunnels[0]
			if tun.State != StateFailed || tun.Established() || !strings.Contains(tun.StateReason, "the responder refused the authentication with AUTHENTICATION_FAILED (read decrypted, frame 6)") {
				t.Errorf("state %s, established %v: %s", tun.State, tun.Established(), tun.StateReason)
			}
			if len(tun.ErrorNotifies) != 1 {
				t.Fatalf("error notifies %+v", tun.ErrorNotifies)
			}
			n := tun.ErrorNotifies[0]
			if n.Type != decode.NotifyTypeAuthenticationFailed || n.From != RoleResponder || n.Frame != 6 || !n.Decrypted ||
				!strings.HasSuffix(n.Key.File, "charon-client.log") || n.Key.Line == 0 {
				t.Errorf("notify %+v", n)
			}
			plain := Analyze(File(path), decode.Options{}, Options{}).Tunnels[0]
			if len(plain.ErrorNotifies) != 0 || !plain.Established() {
				t.Errorf("without keys: notifies %+v, established %v", plain.ErrorNotifies, plain.Established())
			}
		})
	}
}
