package pipeline_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/pipeline"
	"github.com/vpnpcap/vpnpcap/report"
)

// TestSummarizedAsFullFlows checks that a capture analysed alone with its
// other traffic summarised (Options.Summarize: on two goroutines, no
// payload hashes but IKE's) gives the reports that full flows give, as
// analyze and check write them: the same findings, verdicts, tunnels and
// capture figures, byte for byte, on every sample capture and every public
// capture.
func TestSummarizedAsFullFlows(t *testing.T) {
	samples := corpus.SamplePaths(t)
	files := append(corpus.Paths(t), samples...)
	withFindings := 0
	for _, f := range files {
		want := reportsOf(t, false, f)
		got := reportsOf(t, true, f)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the summarised report differs from the one with full flows:\n%s\nwant:\n%s", f, got, want)
		}
		if bytes.Contains(want, []byte(`"rule":`)) {
			withFindings++
		}
	}
	// The comparison means something only if the captures give findings.
	if withFindings < len(samples) {
		t.Errorf("only %d of %d captures have findings", withFindings, len(files))
	}
}

// TestSummarizedPairsAsFullFlows is TestSummarizedAsFullFlows for two
// captures: every pair of the samples and of the lab, with the other
// traffic of both summarised, gives the reports full flows give, byte for
// byte: the matching, the NAT mappings, which addresses lie on which side
// and the packets outside the captures' common span all come out the same.
func TestSummarizedPairsAsFullFlows(t *testing.T) {
	var pairs [][2]string
	for _, root := range []string{filepath.Join(corpus.RepoRoot(), "samples"), corpus.LabDir(t)} {
		ins, _ := filepath.Glob(filepath.Join(root, "*", "inside.pcap"))
		for _, in := range ins {
			out := filepath.Join(filepath.Dir(in), "outside.pcap")
			if _, err := os.Stat(out); err == nil {
				pairs = append(pairs, [2]string{in, out})
			}
		}
	}
	// Captures whose time runs backwards are analysed, and matched, in
	// time order: so are those of the samples, some records swapped.
	for _, name := range []string{"capture-truncated", "natt-ok", "capture-clock-drift"} {
		dir := filepath.Join(corpus.RepoRoot(), "samples", name)
		in := filepath.Join(t.TempDir(), "inside.pcap")
		writeSwapped(t, filepath.Join(dir, "inside.pcap"), in)
		pairs = append(pairs, [2]string{in, filepath.Join(dir, "outside.pcap")})
	}
	notCompared, timeOrdered := 0, 0
	for _, p := range pairs {
		want := reportsOf(t, false, p[0], p[1])
		if got := reportsOf(t, true, p[0], p[1]); !bytes.Equal(got, want) {
			t.Errorf("%s: the summarised report differs from the one with full flows:\n%s\nwant:\n%s", p[0], got, want)
		}
		if bytes.Contains(want, []byte(`"VP904"`)) {
			notCompared++
		}
		if bytes.Contains(want, []byte(`"time_order": "time"`)) {
			timeOrdered++
		}
	}
	if timeOrdered < 3 {
		t.Errorf("%d pairs analysed in time order, want the 3 with records swapped", timeOrdered)
	}
	// The pairs must count packets outside their common span, which the
	// correlation tells of summarised conversations from the second pass.
	if len(pairs) < 43 || notCompared == 0 {
		t.Errorf("%d pairs, %d with packets outside their common span: too few to compare", len(pairs), notCompared)
	}
}

// writeSwapped copies the classic pcap file src to dst with every fourth
// record swapped with the next, so that time runs backwards; a record cut
// short at the end stays where it is.
func writeSwapped(t *testing.T, src, dst string) {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian classic pcap file", src)
	}
	var recs [][]byte
	off := 24
	for off+16 <= len(b) {
		n := 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
		if off+n > len(b) {
			break
		}
		recs = append(recs, b[off:off+n])
		off += n
	}
	for i := 1; i+1 < len(recs); i += 4 {
		recs[i], recs[i+1] = recs[i+1], recs[i]
	}
	out := append([]byte{}, b[:24]...)
	for _, r := range recs {
		out = append(out, r...)
	}
	out = append(out, b[off:]...)
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// reportsOf returns the reports of the captures in files, as check and
// analyze write them in JSON, with their other traffic summarised or not.
func reportsOf(t *testing.T, summarize bool, files ...string) []byte {
	var srcs []flows.Source
	for _, f := range files {
		srcs = append(srcs, flows.File(f))
	}
	res, err := pipeline.Run(context.Background(), srcs, pipeline.Options{Decode: decode.Options{KeepOther: true}, Summarize: summarize})
	if err != nil {
		t.Fatal(err)
	}
	b := report.NewBatch(report.FailOn{None: true}, nil)
	b.Add(report.NewCheck(files[0], res.Context, res.Findings, res.Verdicts, report.Options{}))
	var buf bytes.Buffer
	if err := report.WriteBatchJSON(&buf, b); err != nil {
		t.Fatal(err)
	}
	r := report.Build(res.Context, res.Findings, res.Verdicts, report.Options{})
	if err := report.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRunCancelled: a run whose context ends returns the context's error.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := filepath.Join(corpus.RepoRoot(), "samples", "natt-ok", "inside.pcap")
	if _, err := os.Stat(f); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Run(ctx, []flows.Source{flows.File(f)}, pipeline.Options{}); err != context.Canceled {
		t.Errorf("Run with a cancelled context: %v, want context.Canceled", err)
	}
}
