package flows

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// synthetic is a capture generated on the fly, so that benchmarks measure
// the flow table and the correlation, not a stored packet list: tunnels
// clients behind a NAT, each with an IKEv2 negotiation and then ESP in UDP
// both ways, and background DNS, until packets packets were made. With
// outside set it yields the same traffic as the outside capture sees it.
type synthetic struct {
	tunnels int
	packets int
	outside bool
}

func (s synthetic) source() Source {
	name := "inside.pcap"
	if s.outside {
		name = "outside.pcap"
	}
	return Source{Path: name, Read: func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		var st decode.Stats
		var p decode.Packet
		var msg decode.IKEMessage
		gw := netip.MustParseAddr("198.51.100.7")
		nat := netip.MustParseAddr("203.0.113.5")
		t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
		offset := time.Duration(0)
		if s.outside {
			offset = 7*time.Second + time.Millisecond
		}
		for i := 0; i < s.packets; i++ {
			tun := i % s.tunnels
			round := i / s.tunnels
			client := netip.AddrFrom4([4]byte{10, byte(tun >> 16), byte(tun >> 8), byte(tun)})
			cport := uint16(4500)
			if s.outside {
				client, cport = nat, uint16(1024+tun)
			}
			p = decode.Packet{Frame: i + 1, FirstFrame: i + 1, Time: t0.Add(offset + time.Duration(i)*50*time.Microsecond),
				Length: 180, Proto: 17, TTL: 64, IPID: uint32(i), PayloadLen: 140}
			out := round%2 == 0
			if out {
				p.Src, p.SrcPort, p.Dst, p.DstPort = client, cport, gw, 4500
			} else {
				p.Src, p.SrcPort, p.Dst, p.DstPort = gw, 4500, client, cport
			}
			spiI := uint64(tun+1) << 20
			switch {
			case round < 4:
				// IKE_SA_INIT then IKE_AUTH, request and response.
				msg = decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34 + decode.ExchangeType(round/2), MessageID: uint32(round / 2)}
				if round > 0 {
					msg.SPIr = spiI + 1
				}
				if out {
					msg.Flags = decode.IKEv2FlagInitiator
				} else {
					msg.Flags = decode.IKEv2FlagResponse
				}
				m := msg
				p.Kind, p.IKE, p.NonESPMarker = decode.KindIKE, &m, round >= 2
				p.PayloadHash = spiI + uint64(round)
			case round%7 == 6:
				p.Kind = decode.KindOther
				p.SrcPort, p.DstPort = 53000, 53
				p.PayloadHash = uint64(i)
			default:
				spi := uint32(tun)<<1 | 1
				if !out {
					spi++
				}
				p.Kind = decode.KindUDPESP
				p.ESP = decode.ESPInfo{SPI: spi, Seq: uint32(round)}
				p.PayloadHash = uint64(spi)<<32 | uint64(round)
			}
			st.Frames++
			st.Kinds[p.Kind]++
			if p.Kind == decode.KindOther && !opts.KeepOther {
				continue
			}
			fn(&p)
		}
		return st, nil
	}}
}

// peakHeap samples the heap in use while f runs and returns the largest
// value seen, in MiB.
func peakHeap(f func()) float64 {
	runtime.GC()
	done := make(chan struct{})
	peak := uint64(0)
	go func() {
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak {
				peak = ms.HeapInuse
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	return float64(peak) / (1 << 20)
}

// BenchmarkAnalyze measures the flow table on one capture: packets per
// second and the peak heap, for 10k tunnels at 1M and 4M packets (the heap
// must not grow with packets).
func BenchmarkAnalyze(b *testing.B) {
	for _, n := range []int{1 << 20, 4 << 20} {
		b.Run(sizeName(n), func(b *testing.B) {
			src := synthetic{tunnels: 10000, packets: n}.source()
			b.ReportAllocs()
			var peak float64
			for b.Loop() {
				peak = max(peak, peakHeap(func() { Analyze(src, decode.Options{KeepOther: true}, Options{}) }))
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
			b.ReportMetric(peak, "peak-MiB")
		})
	}
}

// BenchmarkCorrelate measures two-capture correlation of a generated pair:
// packets per second (counting both captures) and the peak heap.
func BenchmarkCorrelate(b *testing.B) {
	for _, n := range []int{1 << 20, 4 << 20} {
		b.Run(sizeName(n), func(b *testing.B) {
			in := synthetic{tunnels: 10000, packets: n}.source()
			out := synthetic{tunnels: 10000, packets: n, outside: true}.source()
			b.ReportAllocs()
			var peak float64
			for b.Loop() {
				peak = max(peak, peakHeap(func() {
					c := Correlate(in, out, CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
					if c.Matched != n {
						b.Fatalf("matched %d of %d", c.Matched, n)
					}
				}))
			}
			b.ReportMetric(2*float64(n)*float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
			b.ReportMetric(peak, "peak-MiB")
		})
	}
}

func sizeName(n int) string {
	return itoa(n>>20) + "M"
}

// TestSyntheticCorrelates keeps the benchmark's generator honest on a small
// size: every packet matches, every tunnel is found on both sides and
// established.
func TestSyntheticCorrelates(t *testing.T) {
	in := synthetic{tunnels: 50, packets: 5000}.source()
	out := synthetic{tunnels: 50, packets: 5000, outside: true}.source()
	c := Correlate(in, out, CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	if c.Matched != 5000 || len(c.Inside.Tunnels) != 50 || len(c.TunnelPairs) != 50 {
		t.Fatalf("matched %d, tunnels %d, pairs %d; want 5000, 50, 50", c.Matched, len(c.Inside.Tunnels), len(c.TunnelPairs))
	}
	for _, tun := range c.Inside.Tunnels {
		if tun.State != StateEstablished || len(tun.ESPSAs) != 2 {
			t.Fatalf("tunnel %d: state %s, %d SAs; want established, 2", tun.ID, tun.State, len(tun.ESPSAs))
		}
	}
	if d := c.Offset - 7001*time.Millisecond; d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("offset %v, want 7.001s", c.Offset)
	}
}
