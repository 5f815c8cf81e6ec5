package tui

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/internal/hostile"
)

// BenchmarkOpen measures what a user waits for on a large capture: the
// first screen, a key handled while the analysis runs, and the analysis
// to its end. The capture is VPNPCAP_TUI_BENCH (for example the
// performance yardstick's 2M-packet big.pcap), else a generated one of
// 100,000 ESP-in-UDP flows. Reported per run: first-screen-ms, key-ms
// (the slowest of the keys typed while loading) and loaded-ms.
func BenchmarkOpen(b *testing.B) {
	path := os.Getenv("VPNPCAP_TUI_BENCH")
	if path == "" {
		path = filepath.Join(b.TempDir(), "flows.pcap")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := hostile.Write(f, hostile.OneWay, 100_000); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	var first, key, loaded time.Duration
	for b.Loop() {
		f, k, l := openOnce(b, path)
		first, key, loaded = first+f, max(key, k), loaded+l
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-screen-ms")
	b.ReportMetric(float64(key.Microseconds())/1000, "key-ms")
	b.ReportMetric(float64(loaded.Milliseconds())/float64(b.N), "loaded-ms")
}

func openOnce(b *testing.B, path string) (first, key, loaded time.Duration) {
	a, err := New(Config{Captures: []Capture{{Path: path}}})
	if err != nil {
		b.Fatal(err)
	}
	s := tcell.NewSimulationScreen("UTF-8")
	a.SetScreen(s)
	s.SetSize(120, 40)
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	defer func() {
		a.quit()
		<-done
	}()
	shown := func() bool {
		cells, _, _ := s.GetContents()
		for _, c := range cells {
			if len(c.Runes) > 0 && c.Runes[0] != ' ' {
				return true
			}
		}
		return false
	}
	for !shown() {
		time.Sleep(100 * time.Microsecond)
	}
	first = time.Since(start)
	isLoaded := func() bool {
		ok := make(chan bool, 1)
		a.tv.QueueUpdate(func() { ok <- a.model != nil || a.analysisErr != nil })
		return <-ok
	}
	// Keys while the analysis runs: move down and back in the list.
	for i := 0; !isLoaded() && i < 20; i++ {
		want := a.handled.Load() + 1
		t0 := time.Now()
		s.InjectKey(tcell.KeyRune, rune("jk"[i%2]), tcell.ModNone)
		for a.handled.Load() < want {
			time.Sleep(50 * time.Microsecond)
		}
		key = max(key, time.Since(t0))
		time.Sleep(20 * time.Millisecond)
	}
	for !isLoaded() {
		time.Sleep(time.Millisecond)
	}
	loaded = time.Since(start)
	return first, key, loaded
}
