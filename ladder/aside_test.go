package ladder

import (
	"errors"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// readAside hands over every VPN packet in order, across many batches,
// leaves out the others, returns the source's error, and lets a panic of
// its callback go on in the caller's goroutine.
func TestReadAside(t *testing.T) {
	var pkts []decode.Packet
	for i := range 5*asideBatchLen + 7 {
		kind := decode.KindESP
		if i%3 == 0 {
			kind = decode.KindOther
		}
		pkts = append(pkts, decode.Packet{Frame: i + 1, Kind: kind})
	}
	fail := errors.New("cut short")
	src := flows.Packets("test", pkts)
	read := src.Read
	src.Read = func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		st, _ := read(decode.Options{KeepOther: true}, fn)
		return st, fail
	}
	var got []int
	err := readAside(src, decode.Options{}, func(p *decode.Packet) { got = append(got, p.Frame) })
	if err != fail {
		t.Errorf("error %v, want %v", err, fail)
	}
	want := 0
	for _, p := range pkts {
		if p.Kind != decode.KindOther {
			if want >= len(got) || got[want] != p.Frame {
				t.Fatalf("packet %d: got %v", want, got[min(want, len(got)-1)])
			}
			want++
		}
	}
	if want != len(got) {
		t.Fatalf("%d packets, want %d", len(got), want)
	}

	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want the callback's panic", p)
		}
	}()
	n := 0
	readAside(src, decode.Options{}, func(*decode.Packet) {
		if n++; n == asideBatchLen+3 {
			panic("boom")
		}
	})
	t.Error("the callback's panic was lost")
}
