package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/hostile"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/pipeline"
	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

// hostileCapture writes a hostile capture of n subjects into dir.
func hostileCapture(tb testing.TB, dir string, kind hostile.Kind, n int) string {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.pcap", kind, n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := hostile.Write(f, kind, n); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestHostileBounded runs the whole analysis on every kind of hostile
// capture with 100,000 subjects sharing one pair of addresses: a rule or
// stage that compares all pairs would not finish within the test's time.
// Each keeps its state within the memory bound, lists each rule's findings
// within MaxFindingsPerRule plus one that sums up the rest, draws the
// ladders of its first tunnels, and writes a text report of a few
// kilobytes.
func TestHostileBounded(t *testing.T) {
	const n = 100_000
	dir := t.TempDir()
	for _, kind := range hostile.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			path := hostileCapture(t, dir, kind, n)
			opts := pipeline.Options{Decode: decode.Options{KeepOther: true}, Summarize: true, Flows: flows.Options{MaxMemory: 64 << 20},
				Ladders: func(c *rules.Context, vs []rules.Verdict) []ladder.Subject {
					return report.ChooseLadders(c, vs, report.Subject{})
				}}
			res, err := pipeline.Run(context.Background(), []flows.Source{flows.File(path)}, opts)
			if err != nil {
				t.Fatal(err)
			}
			a := res.Context.Captures[0]
			// What the bound left out is said: VP907 names the memory bound
			// whenever it was reached.
			if b := a.Budget; b.Exceeded() && !slices.ContainsFunc(res.Findings, func(f rules.Finding) bool {
				return f.RuleID == "VP907" && strings.Contains(f.Message, "the memory bound of")
			}) {
				t.Errorf("the memory bound left %d objects out from frame %d, and no VP907 finding says so", b.NotKept, b.FirstFrame)
			}
			if r := a.Capture.Stats.Reassembly; r.PeakBytes > r.MaxBytes || r.PeakDatagrams > r.MaxDatagrams {
				t.Errorf("IP reassembly held %d octets in %d datagrams, over its bounds of %d and %d", r.PeakBytes, r.PeakDatagrams, r.MaxBytes, r.MaxDatagrams)
			}
			// Past a bound of IP reassembly, VP907 says which.
			if bound, ok := map[hostile.Kind]string{
				hostile.Fragments:      "its bound of 1,024 datagrams in reassembly at once",
				hostile.LargeFragments: "its bound of 4 MiB of buffers for the datagrams in reassembly",
			}[kind]; ok {
				said := false
				for _, f := range res.Findings {
					said = said || f.RuleID == "VP907" && strings.Contains(f.Message, bound)
				}
				if !said {
					t.Errorf("no VP907 finding says %q", bound)
				}
			}
			perRule := map[string]int{}
			for _, f := range res.Findings {
				perRule[f.RuleID+f.Severity.String()]++
			}
			for r, k := range perRule {
				if k > rules.MaxFindingsPerRule+1 {
					t.Errorf("%s: %d findings listed", r, k)
				}
			}
			var text, analyzeJSON, checkJSON bytes.Buffer
			c := report.NewCheck(path, res.Context, res.Findings, res.Verdicts, report.Options{Detail: true, Ladders: res.Ladders})
			single := report.NewSingle(report.FailOn{None: true}, c)
			single.BoundLists(report.DefaultMaxListed)
			if err := report.WriteText(&text, single, report.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if text.Len() > 256<<10 {
				t.Errorf("text report of %d bytes", text.Len())
			}
			if err := report.WriteJSON(&analyzeJSON, c.Detail); err != nil {
				t.Fatal(err)
			}
			batch := report.NewBatch(report.FailOn{None: true}, nil)
			batch.BoundLists(report.DefaultMaxListed)
			batch.Add(report.NewCheck(path, res.Context, res.Findings, res.Verdicts, report.Options{}))
			if err := report.WriteBatchJSON(&checkJSON, batch); err != nil {
				t.Fatal(err)
			}
			// A thousand tunnels of about 1.5 KB each, or SAs of 200 bytes.
			for name, b := range map[string]*bytes.Buffer{"analyze": &analyzeJSON, "check": &checkJSON} {
				if b.Len() > 4<<20 {
					t.Errorf("%s JSON report of %d bytes", name, b.Len())
				}
			}
		})
	}
}

// BenchmarkHostile analyses hostile captures of 10,000, 100,000 and (with
// VPNPCAP_LARGE=1) 1,000,000 subjects: time and peak heap must grow at most
// linearly with the subjects, and stop growing at the memory bound.
func BenchmarkHostile(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("VPNPCAP_LARGE") != "" {
		sizes = append(sizes, 1_000_000)
	}
	dir := b.TempDir()
	for _, kind := range hostile.Kinds {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/%d", kind, n), func(b *testing.B) {
				path := hostileCapture(b, dir, kind, n)
				st, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(st.Size())
				b.ReportAllocs()
				var peak uint64
				for b.Loop() {
					res, err := pipeline.Run(context.Background(), []flows.Source{flows.File(path)},
						pipeline.Options{Decode: decode.Options{KeepOther: true}, Summarize: true})
					if err != nil {
						b.Fatal(err)
					}
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
					_ = res
				}
				b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
			})
		}
	}
}
