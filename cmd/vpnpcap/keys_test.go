package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

// TestKeysCommand converts the lab's charon logs into Wireshark tables,
// decrypts the capture with them, and checks that no key reaches the output
// and that the logs are left as they were.
func TestKeysCommand(t *testing.T) {
	lab := filepath.Join(corpus.RepoRoot(), "testdata", "lab", "natt-ok-keys")
	log := filepath.Join(lab, "logs", "charon-gw.log")
	before, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "tables")
	code, stdout, stderr := runArgs(t, "keys", "--from-charon-log", log, "--out", out)
	if code != exitOK || !strings.Contains(stdout, "1 IKEv2, 0 IKEv1 and 2 ESP SAs") {
		t.Fatalf("keys: %d\n%s%s", code, stdout, stderr)
	}
	for _, name := range []string{"ikev2_decryption_table", "esp_sa"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	secrets := []string{"3e08d0628eada37158fc845d1fbf8d17", "63ab406113a378d4fd453b855ae1b92d", "60b198d6f5804cfeb92b053ea22b53f9"}
	for _, keysArgs := range [][]string{
		{"--keys", filepath.Join(out, "ikev2_decryption_table"), "--keys", filepath.Join(out, "esp_sa")},
		{"--keys", log},
	} {
		args := append([]string{"dump"}, keysArgs...)
		code, stdout, stderr = runArgs(t, append(args, filepath.Join(lab, "inside.pcap"))...)
		if code != exitOK {
			t.Fatalf("dump: %d %s", code, stderr)
		}
		for _, want := range []string{"IKE_AUTH", "decrypted=Identification - Initiator,Notify", "notifies=INITIAL_CONTACT",
			"udp-esp spi=0x11b08b5f seq=1 decrypted: 192.0.2.17 > 203.0.113.1 icmp echo-request",
			"udp-esp spi=0x2b6541f0 seq=5 decrypted: 203.0.113.1 > 192.0.2.17 icmp echo-reply", "INFORMATIONAL", "decrypted=Delete"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("dump %v: no %q in\n%s", keysArgs, want, stdout)
			}
		}
		code, json, _ := runArgs(t, append(append(args, "--format", "json"), filepath.Join(lab, "inside.pcap"))...)
		if code != exitOK || !strings.Contains(json, `"decryption":{"status":"decrypted","key":"`) || !strings.Contains(json, `"inner_src":"192.0.2.17"`) {
			t.Errorf("dump json:\n%s", json)
		}
		for _, s := range secrets {
			if strings.Contains(stdout+stderr+json, s) || strings.Contains(strings.ToUpper(stdout+json), strings.ToUpper(s)) {
				t.Errorf("a key is printed")
			}
		}
	}
	after, _ := os.ReadFile(log)
	if !bytes.Equal(before, after) {
		t.Error("the charon log was changed")
	}
	if code, _, stderr := runArgs(t, "keys", "--from-charon-log", log, "--out", log); code != exitUsage || !strings.Contains(stderr, "is an input") {
		t.Errorf("--out onto the input: %d %s", code, stderr)
	}
}

// TestKeysErrors: a malformed key file stops the command with its file and
// line; a wrong key is reported per packet as an integrity failure naming
// the key's file and line.
func TestKeysErrors(t *testing.T) {
	lab := filepath.Join(corpus.RepoRoot(), "testdata", "lab", "natt-ok-keys")
	dir := t.TempDir()
	bad := filepath.Join(dir, "esp_sa")
	os.WriteFile(bad, []byte("# keys\n\"IPv4\",\"*\",\"*\",\"0x11b08b5f\",\"AES-CBC [RFC3602]\",\"0x63ab40\",\"NULL\",\"\"\n"), 0o600)
	code, _, stderr := runArgs(t, "analyze", "--keys", bad, filepath.Join(lab, "inside.pcap"))
	if code != exitUsage || !strings.Contains(stderr, bad+":2: encryption key: 3 bytes") {
		t.Errorf("malformed table: %d %s", code, stderr)
	}
	wrong := filepath.Join(dir, "wrong")
	os.WriteFile(wrong, []byte("\"IPv4\",\"*\",\"*\",\"0x11b08b5f\",\"AES-CBC [RFC3602]\",\"0x63ab406113a378d4fd453b855ae1b92d\","+
		"\"HMAC-SHA-256-128 [RFC4868]\",\"0x0000000000000000000000000000000000000000000000000000000000000000\"\n"), 0o600)
	code, stdout, _ := runArgs(t, "dump", "--keys", wrong, filepath.Join(lab, "inside.pcap"))
	if code != exitOK || !strings.Contains(stdout, "spi=0x11b08b5f seq=1 decrypt=failed (integrity check failed with the key of "+wrong+":1") {
		t.Errorf("wrong key: %d\n%s", code, stdout)
	}
}

// TestAnalyzeKeysExact: with the keys, analyze ties every ESP SA of the two
// captures to its tunnel exactly; without them the same SAs are inferred.
func TestAnalyzeKeysExact(t *testing.T) {
	lab := filepath.Join(corpus.RepoRoot(), "testdata", "lab", "natt-ok-keys")
	pair := []string{"--inside", filepath.Join(lab, "inside.pcap"), "--outside", filepath.Join(lab, "outside.pcap")}
	for _, tc := range []struct {
		keys      []string
		want, not string
	}{
		{[]string{"--keys", filepath.Join(lab, "logs", "charon-gw.log")}, `"inferred": false`, `"inferred": true`},
		{nil, `"inferred": true`, `"inferred": false`},
	} {
		args := append(append([]string{"analyze", "--format", "json"}, tc.keys...), pair...)
		_, stdout, stderr := runArgs(t, args...)
		if strings.Count(stdout, tc.want) != 4 || strings.Contains(stdout, tc.not) {
			t.Errorf("analyze %v: %d × %s, want the 4 SAs (2 per capture)\n%s", tc.keys, strings.Count(stdout, tc.want), tc.want, stderr)
		}
	}
}

// TestKeysCaptureBindsRekeyedSA: the charon log names no SPIs for the IKE
// SA a rekey made; with --capture, 'vpnpcap keys' writes its keys under the
// SPIs the truth gives (7530bf696826712e/b73aadcd0f7ca84c), without it
// leaves them out and says so.
func TestKeysCaptureBindsRekeyedSA(t *testing.T) {
	lab := filepath.Join(corpus.RepoRoot(), "testdata", "lab", "natt-rekey-gcm-keys")
	log := filepath.Join(lab, "logs", "charon-client.log")
	for _, tc := range []struct {
		capture []string
		summary string
		rekeyed bool
	}{
		{nil, "1 IKEv2, 0 IKEv1 and 10 ESP SAs", false},
		{[]string{"--capture", filepath.Join(lab, "outside.pcap")}, "2 IKEv2, 0 IKEv1 and 10 ESP SAs", true},
	} {
		out := t.TempDir()
		args := append([]string{"keys", "--from-charon-log", log, "--out", out}, tc.capture...)
		code, stdout, stderr := runArgs(t, args...)
		if code != exitOK || !strings.Contains(stdout, tc.summary) {
			t.Errorf("keys %v: %d\n%s%s", tc.capture, code, stdout, stderr)
		}
		if notWritten := strings.Contains(stderr, "not written"); notWritten == tc.rekeyed {
			t.Errorf("keys %v: stderr %q", tc.capture, stderr)
		}
		table, err := os.ReadFile(filepath.Join(out, "ikev2_decryption_table"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(table), "7530bf696826712e,b73aadcd0f7ca84c,"); got != tc.rekeyed {
			t.Errorf("keys %v: rekeyed SA in the table: %v\n%s", tc.capture, got, table)
		}
	}
}
