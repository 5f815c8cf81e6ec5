package flows

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// tsharkTunnelExceptions are the captures where our tunnel list and
// tshark's set of IKE SPIs differ for a reason, by path.
var tsharkTunnelExceptions = map[string]string{
	// Crash reproducers whose only IKE is the head of an IPv4 datagram cut
	// short in its first fragment (RFC 791 §3.2): it can never be
	// reassembled, so vpnpcap reports the fragment and a malformed
	// datagram, while tshark dissects the partial payload and shows SPIs.
	"tcpdump/ikev1_id_ipv6_addr_subnet-oobr.pcap": truncatedFirstFragment,
	"tcpdump/isakmp-ikev1_n_print-oobr.pcap":      truncatedFirstFragment,
	"tcpdump/isakmp-various-oobr.pcap":            truncatedFirstFragment,
	"tcpdump/isakmpv1-attr-oobr.pcap":             truncatedFirstFragment,
	// An IKEv1 message on UDP 4500 without the non-ESP marker (RFC 3948
	// §2.2): tshark reads ESP as a receiver would; vpnpcap keeps the IKE
	// SA so that the missing marker can be reported.
	"Openswan/xf88-v1certQI1/v1certN3.pcap": "IKE on UDP 4500 without the non-ESP marker, dissected by tshark as ESP",
}

const truncatedFirstFragment = "IKE only in a first IPv4 fragment cut short (RFC 791 §3.2), dissected by tshark, never reassembled by vpnpcap"

// TestTunnelsAgreeWithTshark checks, on every public capture, that the
// tunnels flows builds are the IKE SAs tshark sees: one tunnel per
// distinct non-zero initiator SPI (per IKE version), with the responder
// SPI tshark shows for it.
func TestTunnelsAgreeWithTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark not installed; CI must have it (.ci/run installs it)")
		}
		t.Skip("tshark not installed")
	}
	dir := corpus.Dir(t)
	config := t.TempDir()
	compared := 0
	for _, rel := range corpus.Files(t) {
		path := filepath.Join(dir, rel)
		t.Run(rel, func(t *testing.T) {
			want, err := tsharkSPIs(tshark, config, path)
			if err != nil {
				t.Fatal(err)
			}
			a := Analyze(File(path), decode.Options{}, Options{})
			got := map[string]string{}
			for _, tun := range a.Tunnels {
				got[spiKey(tun.Version, tun.SPIi)] = fmt.Sprintf("%016x", tun.SPIr)
			}
			if reason, ok := tsharkTunnelExceptions[rel]; ok {
				t.Skipf("explained: %s", reason)
			}
			for k, rspis := range want {
				r, ok := got[k]
				switch {
				case !ok:
					t.Errorf("tshark sees IKE SA %s, flows has no tunnel for it", k)
				case r != "0000000000000000" && !rspis[r]:
					t.Errorf("tunnel %s: responder SPI %s, tshark saw %v", k, r, keys(rspis))
				case r == "0000000000000000" && len(rspis) > 1:
					t.Errorf("tunnel %s: no responder SPI, tshark saw %v", k, keys(rspis))
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("flows has tunnel %s, tshark sees no such IKE SA", k)
				}
			}
			compared += len(want)
		})
	}
	t.Logf("%d IKE SAs compared with tshark", compared)
}

func spiKey(version uint8, spi uint64) string { return fmt.Sprintf("v%d/%016x", version, spi) }

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// tsharkSPIs returns, per IKE SA tshark dissects (version and initiator
// SPI), the non-zero responder SPIs it shows for it.
func tsharkSPIs(tshark, config, path string) (map[string]map[string]bool, error) {
	cmd := exec.Command(tshark, "-n", "-r", path, "-o", "ip.defragment:TRUE", "-T", "fields",
		"-e", "isakmp.ispi", "-e", "isakmp.rspi", "-e", "isakmp.version", "-E", "occurrence=f")
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+config)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// tshark exits non-zero on captures cut short after printing what it
	// read; what it printed still counts.
	_ = cmd.Run()
	sas := map[string]map[string]bool{}
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 || f[0] == "" || strings.Trim(f[0], "0") == "" {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 8)
		if err != nil {
			continue
		}
		major := uint8(v >> 4)
		if major != 1 && major != 2 {
			continue // not an IKE header tshark could make sense of
		}
		spi, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			return nil, fmt.Errorf("tshark isakmp.ispi %q: %v", f[0], err)
		}
		k := spiKey(major, spi)
		if sas[k] == nil {
			sas[k] = map[string]bool{}
		}
		if r := f[1]; r != "" && strings.Trim(r, "0") != "" {
			sas[k][r] = true
		}
	}
	if out.Len() == 0 && errb.Len() > 0 && !strings.Contains(errb.String(), "cut short") {
		return nil, fmt.Errorf("tshark %s: %s", path, errb.String())
	}
	return sas, nil
}
