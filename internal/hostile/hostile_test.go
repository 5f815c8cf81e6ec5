package hostile

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// TestWriteDeterministic: the same kind and count give the same bytes.
func TestWriteDeterministic(t *testing.T) {
	for _, k := range Kinds {
		var a, b bytes.Buffer
		if err := Write(&a, k, 300); err != nil {
			t.Fatal(err)
		}
		if err := Write(&b, k, 300); err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(a.Bytes()) != sha256.Sum256(b.Bytes()) {
			t.Errorf("%s: two runs differ", k)
		}
	}
}

// TestWriteSubjects: each kind holds the subjects it promises, as vpnpcap
// decodes them.
func TestWriteSubjects(t *testing.T) {
	const n = 500
	for _, tc := range []struct {
		kind  Kind
		count func(a *flows.Analysis) int
	}{
		{IKESPIs, func(a *flows.Analysis) int { return len(a.Tunnels) }},
		{ESPSPIs, func(a *flows.Analysis) int { return len(a.SAs) }},
		{UDP4500Flows, func(a *flows.Analysis) int { return len(a.SAs) }},
		{OneWay, func(a *flows.Analysis) int { return len(a.SAs) }},
		{Fragments, func(a *flows.Analysis) int { return a.Quality.Incomplete }},
		// 500 payloads fit one message: one IKE SA, nothing malformed.
		{LongChains, func(a *flows.Analysis) int { return len(a.Tunnels) * n / (1 + a.Quality.Malformed) }},
	} {
		path := filepath.Join(t.TempDir(), string(tc.kind)+".pcap")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := Write(f, tc.kind, n); err != nil {
			t.Fatal(err)
		}
		f.Close()
		a := flows.Analyze(flows.File(path), decode.Options{KeepOther: true}, flows.Options{})
		if a.Capture.ReadError != nil {
			t.Fatalf("%s: %v", tc.kind, a.Capture.ReadError)
		}
		if got := tc.count(a); got != n {
			t.Errorf("%s: %d subjects, want %d", tc.kind, got, n)
		}
	}
}
