package flows

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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
	}
	for _, tc := range tests {
		dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab", tc.scenario)
		store, _, err := keyfiles.LoadAll([]string{filepath.Join(dir, "logs", "charon-client.log"), filepath.Join(dir, "logs", "charon-gw.log")})
		if err != nil {
			t.Fatal(err)
		}
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
