package decode

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// tsharkDecryptFields are the fields TestTsharkDecrypt reads from tshark:
// per frame, every occurrence, joined by '|'.
var tsharkDecryptFields = []string{"frame.number", "isakmp.typepayload", "isakmp.notify.msgtype", "isakmp.spi",
	"isakmp.delete.spi", "isakmp.enc.icd", "isakmp.fragment.count", "esp.spi", "ip.src", "ip.dst", "ip.proto", "ipv6.src", "ipv6.dst"}

// decryptCase is a capture with the key files that decrypt it.
type decryptCase struct {
	name    string
	capture string
	keys    []string
}

// rawESPKeyLine reads the keys the raw-esp lab scripts print
// ("SA spi=0x…: ESP tunnel mode, AES-128-CBC key 0x…, HMAC-SHA1-96 key 0x…").
var rawESPKeyLine = regexp.MustCompile(`SA spi=0x([0-9a-f]{8}): ESP tunnel mode, AES-128-CBC key 0x([0-9a-f]{32}), HMAC-SHA1-96 key 0x([0-9a-f]{40})`)

// rawESPTable writes the keys of a raw-esp lab scenario as an esp_sa table.
func rawESPTable(t *testing.T, dir string) string {
	var b strings.Builder
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", "esp-*.txt"))
	seen := map[string]bool{}
	for _, l := range logs {
		text, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range rawESPKeyLine.FindAllStringSubmatch(string(text), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				fmt.Fprintf(&b, "\"IPv4\",\"*\",\"*\",\"0x%s\",\"AES-CBC [RFC3602]\",\"0x%s\",\"HMAC-SHA-1-96 [RFC2404]\",\"0x%s\"\n", m[1], m[2], m[3])
			}
		}
	}
	if b.Len() == 0 {
		t.Fatalf("no keys in %s", dir)
	}
	path := filepath.Join(t.TempDir(), keys.ESPTableName)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTsharkDecrypt decrypts real captures with vpnpcap and with tshark,
// giving tshark the Wireshark tables that keys.WriteWireshark made from the
// same key files (so the converter is tested too), and compares frame by
// frame: the payload types of every IKE message (cleartext and decrypted,
// without the proposal and transform substructures tshark lists as
// payloads), the notify types, the SPIs in proposals, notifies and deletes,
// that tshark checked each ICV (of every SKF fragment too) and reassembled a
// fragmented message from as many fragments; and for each ESP packet the
// inner addresses and protocol. Skipped without tshark, except under CI.
func TestTsharkDecrypt(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark not found under CI: %v", err)
		}
		t.Skipf("tshark not installed: %v", err)
	}
	lab := filepath.Join(corpus.RepoRoot(), "testdata", "lab")
	var cases []decryptCase
	for _, s := range []string{"natt-ok-keys", "ikev1-natt-keys", "natt-rekey-gcm-keys", "natt-ctr-sha2-keys", "ikev2-auth-failed-keys", "ike-rfc7383-keys"} {
		logs := []string{filepath.Join(lab, s, "logs", "charon-client.log"), filepath.Join(lab, s, "logs", "charon-gw.log")}
		for _, side := range []string{"inside", "outside"} {
			cases = append(cases, decryptCase{s + "/" + side, filepath.Join(lab, s, side+".pcap"), logs})
		}
	}
	shared := corpus.LabDir(t)
	for _, s := range []string{"raw-esp-passthrough", "raw-esp-passthrough-2clients"} {
		table := rawESPTable(t, filepath.Join(shared, s))
		for _, side := range []string{"inside", "outside"} {
			cases = append(cases, decryptCase{s + "/" + side, filepath.Join(shared, s, side+".pcap"), []string{table}})
		}
	}
	var ikeMsgs, decrypted, fragments, reassembled, payloads, notifies, spis, esp int
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store, _, err := keys.LoadAll(tc.keys)
			if err != nil {
				t.Fatal(err)
			}
			// The keys of an IKE SA made by a rekey name no SA in a charon
			// log: bind them to the SA they open, as 'vpnpcap keys
			// --capture' does, so that tshark gets them too.
			if _, err := BindKeys(store, tc.capture); err != nil {
				t.Fatal(err)
			}
			conf := t.TempDir()
			if _, skipped, err := keys.WriteWireshark(conf, store); err != nil || len(skipped) > 0 {
				t.Fatalf("WriteWireshark: skipped %v, %v", skipped, err)
			}
			theirs := tsharkDecrypt(t, tshark, conf, tc.capture)
			_, err = ReadFile(tc.capture, Options{Keys: store}, func(p *Packet) {
				th := theirs[p.Frame]
				if th == nil {
					t.Errorf("frame %d: tshark has no such frame", p.Frame)
					return
				}
				switch {
				case p.IKE != nil:
					ikeMsgs++
					m := p.IKE
					if m.Encrypted {
						switch {
						case m.Decryption != nil && m.Decryption.Status == DecryptFragment:
							// An SKF fragment that checked; the message is
							// decoded on the one that completes it, where
							// tshark shows it reassembled too.
							fragments++
						case m.Decryption == nil || m.Decryption.Status != Decrypted:
							t.Errorf("frame %d: not decrypted: %+v", p.Frame, m.Decryption)
							return
						default:
							decrypted++
						}
						if th["isakmp.enc.icd"] == "" && m.Version == 2 {
							t.Errorf("frame %d: tshark did not check the ICV", p.Frame)
						}
						if n := m.Decryption.Fragments; n > 0 {
							reassembled++
							if th["isakmp.fragment.count"] != strconv.Itoa(n) {
								t.Errorf("frame %d: reassembled from %d fragments, tshark from %q", p.Frame, n, th["isakmp.fragment.count"])
							}
						}
					}
					var ours []string
					for _, pl := range m.Payloads {
						ours = append(ours, strconv.Itoa(int(pl.Type)))
					}
					if m.Decryption != nil {
						for _, pl := range m.Decryption.Payloads {
							ours = append(ours, strconv.Itoa(int(pl.Type)))
						}
					}
					tp := slices.DeleteFunc(splitTshark(th["isakmp.typepayload"]), func(s string) bool { return s == "2" || s == "3" })
					if !slices.Equal(ours, tp) {
						t.Errorf("frame %d: payload types %v, tshark %v", p.Frame, ours, tp)
					}
					payloads += len(ours)
					var ns []string
					for _, n := range m.Notifies {
						ns = append(ns, strconv.Itoa(int(n.Type)))
					}
					if tn := splitTshark(th["isakmp.notify.msgtype"]); !slices.Equal(ns, tn) {
						t.Errorf("frame %d: notify types %v, tshark %v", p.Frame, ns, tn)
					}
					notifies += len(ns)
					var ourSPIs []string
					for _, pr := range m.Proposals {
						if len(pr.SPI) > 0 {
							ourSPIs = append(ourSPIs, hex.EncodeToString(pr.SPI))
						}
					}
					for _, n := range m.Notifies {
						if len(n.SPI) > 0 {
							ourSPIs = append(ourSPIs, hex.EncodeToString(n.SPI))
						}
					}
					for _, d := range m.Deletes {
						for _, s := range d.SPIs {
							ourSPIs = append(ourSPIs, hex.EncodeToString(s))
						}
					}
					theirSPIs := append(splitTshark(th["isakmp.spi"]), splitTshark(th["isakmp.delete.spi"])...)
					slices.Sort(ourSPIs)
					slices.Sort(theirSPIs)
					if !slices.Equal(ourSPIs, theirSPIs) {
						t.Errorf("frame %d: SPIs %v, tshark %v", p.Frame, ourSPIs, theirSPIs)
					}
					spis += len(ourSPIs)
				case p.Kind == KindESP || p.Kind == KindUDPESP:
					d := p.Decrypted
					if d == nil || d.Status != Decrypted {
						t.Errorf("frame %d: ESP not decrypted: %+v", p.Frame, d)
						return
					}
					esp++
					src, dst, proto := splitTshark(th["ip.src"]), splitTshark(th["ip.dst"]), splitTshark(th["ip.proto"])
					if len(src) < 2 || len(dst) < 2 || len(proto) < 2 {
						t.Errorf("frame %d: tshark shows no inner packet (%v → %v)", p.Frame, src, dst)
						return
					}
					got := fmt.Sprintf("%v → %v proto %d", d.Inner.Src, d.Inner.Dst, d.Inner.Proto)
					want := fmt.Sprintf("%s → %s proto %s", src[1], dst[1], proto[len(proto)-1])
					if got != want {
						t.Errorf("frame %d: inner %s, tshark %s", p.Frame, got, want)
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Logf("agreement with tshark over %d captures: %d IKE messages (%d decrypted, %d of them reassembled from SKF fragments, and %d fragments checked), %d payload types, %d notifies, %d SPIs; %d ESP packets decrypted, inner addresses and protocol",
		len(cases), ikeMsgs, decrypted, reassembled, fragments, payloads, notifies, spis, esp)
	if !t.Failed() && (decrypted == 0 || esp == 0 || reassembled == 0) {
		t.Error("nothing decrypted")
	}
}

func splitTshark(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// tsharkDecrypt runs tshark with conf as its configuration directory and
// returns each frame's fields.
func tsharkDecrypt(t *testing.T, tshark, conf, capture string) map[int]map[string]string {
	t.Helper()
	args := []string{"-n", "-r", capture, "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE",
		"-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-E", "separator=/t"}
	for _, f := range tsharkDecryptFields {
		args = append(args, "-e", f)
	}
	cmd := exec.CommandContext(context.Background(), tshark, args...)
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+conf)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	frames := map[int]map[string]string{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		n, err := strconv.Atoi(f[0])
		if err != nil || len(f) != len(tsharkDecryptFields) {
			t.Fatalf("tshark line %q", sc.Text())
		}
		m := map[string]string{}
		for i, name := range tsharkDecryptFields {
			m[name] = f[i]
		}
		frames[n] = m
	}
	return frames
}
