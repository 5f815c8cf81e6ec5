package tui

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// writeLargeCapture writes a capture of n packets, one millisecond apart:
// DNS-like background traffic over 2,000 UDP flows, and one IKEv2 tunnel
// (IKE_SA_INIT on 500, IKE_AUTH on 4500 with the non-ESP marker, then ESP in
// UDP 4500 both ways, one packet in a hundred). With outside set it writes
// what a capture outside a NAT would show of the same traffic: the inside
// hosts translated to 203.0.113.5 with other ports, and a clock 5 s ahead.
func writeLargeCapture(tb testing.TB, path string, n int, outside bool) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w, err := pcaptest.NewWriter(f, 65535)
	if err != nil {
		tb.Fatal(err)
	}
	client, gw := netip.AddrFrom4([4]byte{10, 0, 0, 2}), netip.AddrFrom4([4]byte{198, 51, 100, 7})
	pkt := pcaptest.Packet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		Proto: pcaptest.ProtoUDP, TTL: 64}
	payload := make([]byte, 64)
	ike := func(exchange, flags, next uint8, msgID uint32, body []byte) []byte {
		h := make([]byte, 28, 28+4+len(body))
		binary.BigEndian.PutUint64(h[0:], 0xa1a2a3a4a5a6a7a8)
		if flags&0x20 != 0 || exchange == 35 {
			binary.BigEndian.PutUint64(h[8:], 0xb1b2b3b4b5b6b7b8)
		}
		h[16], h[17], h[18], h[19] = next, 0x20, exchange, flags
		binary.BigEndian.PutUint32(h[20:], msgID)
		p := append(h, 0, 0, 0, 0)
		binary.BigEndian.PutUint16(p[30:], uint16(4+len(body)))
		p = append(p, body...)
		binary.BigEndian.PutUint32(p[24:], uint32(len(p)))
		return p
	}
	nonce := make([]byte, 16)
	sk := make([]byte, 80)
	marker := func(b []byte) []byte { return append([]byte{0, 0, 0, 0}, b...) }
	start := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	var esp [2]uint32
	for i := 0; i < n; i++ {
		ts := start.Add(time.Duration(i) * time.Millisecond)
		var data []byte
		switch {
		case i == 0:
			pkt.Src, pkt.Dst, pkt.SrcPort, pkt.DstPort = client, gw, 500, 500
			data = ike(34, 0x08, 40, 0, nonce)
		case i == 1:
			pkt.Src, pkt.Dst, pkt.SrcPort, pkt.DstPort = gw, client, 500, 500
			data = ike(34, 0x20, 40, 0, nonce)
		case i == 2:
			pkt.Src, pkt.Dst, pkt.SrcPort, pkt.DstPort = client, gw, 4500, 4500
			data = marker(ike(35, 0x08, 46, 1, sk))
		case i == 3:
			pkt.Src, pkt.Dst, pkt.SrcPort, pkt.DstPort = gw, client, 4500, 4500
			data = marker(ike(35, 0x20, 46, 1, sk))
		case i%100 == 50:
			dir := (i / 100) % 2
			pkt.Src, pkt.Dst = client, gw
			if dir == 1 {
				pkt.Src, pkt.Dst = gw, client
			}
			pkt.SrcPort, pkt.DstPort = 4500, 4500
			esp[dir]++
			data = make([]byte, 8, 8+96)
			binary.BigEndian.PutUint32(data, 0xc0ffee01+uint32(dir))
			binary.BigEndian.PutUint32(data[4:], esp[dir])
			data = append(data, payload...)
			data = append(data, payload[:32]...)
		default:
			flow := i % 2000
			host := netip.AddrFrom4([4]byte{10, 1, byte(flow >> 8), byte(flow)})
			dns := netip.AddrFrom4([4]byte{192, 0, 2, byte(flow % 7)})
			if i%2 == 0 {
				pkt.Src, pkt.Dst, pkt.SrcPort, pkt.DstPort = host, dns, uint16(30000+flow), 53
			} else {
				pkt.Src, pkt.Dst, pkt.SrcPort, pkt.DstPort = dns, host, 53, uint16(30000+flow)
			}
			binary.BigEndian.PutUint32(payload, uint32(i))
			data = payload
		}
		p := pkt
		if outside {
			nat := netip.AddrFrom4([4]byte{203, 0, 113, 5})
			switch {
			case p.Src.As4()[0] == 10:
				p.Src, p.SrcPort = nat, natPort(p.Src, p.SrcPort)
			case p.Dst.As4()[0] == 10:
				p.Dst, p.DstPort = nat, natPort(p.Dst, p.DstPort)
			}
			ts = ts.Add(5 * time.Second)
		}
		p.ID = uint32(uint16(i))
		p.Payload = data
		frames, err := p.Frames(1500)
		if err != nil {
			tb.Fatal(err)
		}
		if err := w.WritePacket(ts, frames[0]); err != nil {
			tb.Fatal(err)
		}
	}
}

// natPort is the port the NAT of writeLargeCapture gives an inside
// endpoint: 500 stays, the rest move above 40000.
func natPort(a netip.Addr, port uint16) uint16 {
	if port == 500 {
		return 500
	}
	b := a.As4()
	return uint16(40000 + (int(b[2])<<8|int(b[3]))%20000)
}

// TestLargeCaptureResponsive measures, on two generated captures of a
// million packets each (inside and outside a NAT), how soon the first
// screen appears, how fast keys are
// handled while the analysis runs, how long the analysis takes and how
// long listing the tunnel's packets takes. It runs when VPNPCAP_LARGE is
// set (it takes tens of seconds) and reports the figures with -v; it fails
// only when the first screen takes a second or more.
//
//	VPNPCAP_LARGE=1 go test ./tui -run TestLargeCaptureResponsive -v
func TestLargeCaptureResponsive(t *testing.T) {
	if os.Getenv("VPNPCAP_LARGE") == "" {
		t.Skip("set VPNPCAP_LARGE=1 to measure on a million packets")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("VPNPCAP_LARGE")); err == nil && v > 1 {
		n = v
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "inside.pcap"), filepath.Join(dir, "outside.pcap")
	t0 := time.Now()
	writeLargeCapture(t, in, n, false)
	writeLargeCapture(t, out, n, true)
	st, _ := os.Stat(in)
	t.Logf("generated two captures of %d packets (%d MB each) in %v", n, st.Size()>>20, time.Since(t0).Round(time.Millisecond))

	a, err := New(Config{Captures: []Capture{{Path: in}, {Path: out}}, RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	if err != nil {
		t.Fatal(err)
	}
	s := tcell.NewSimulationScreen("UTF-8")
	start := time.Now()
	h := runHarness(t, a, s, 100, 30)
	// The first screen: the title bar drawn.
	for {
		cells, w, _ := s.GetContents()
		if w > 0 && len(cells) > 2 && len(cells[1].Runes) > 0 && cells[1].Runes[0] == 'v' {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("no first screen after 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	first := time.Since(start)
	t.Logf("first screen after %v", first.Round(time.Microsecond))
	if first >= time.Second {
		t.Errorf("first screen after %v, want under 1 s", first)
	}

	// Keys while the analysis runs: the time from typing a key to the UI
	// goroutine having handled it.
	var lat []time.Duration
	keys := []rune{'2', '1', 'j', 'k', '?', '?', '3', '1'}
	for i := 0; ; i++ {
		done := false
		h.onUI(func() { done = h.a.model != nil })
		if done || i >= 200 {
			break
		}
		before := h.a.handled.Load()
		k0 := time.Now()
		s.InjectKey(tcell.KeyRune, keys[i%len(keys)], tcell.ModNone)
		h.keys++
		for h.a.handled.Load() == before {
			if time.Since(k0) > 5*time.Second {
				buf := make([]byte, 1<<20)
				t.Fatalf("a key was not handled within 5 s; goroutines:\n%s", buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(100 * time.Microsecond)
		}
		lat = append(lat, time.Since(k0))
		time.Sleep(50 * time.Millisecond)
	}
	h.settle()
	analysed := time.Since(start)
	slices.Sort(lat)
	if len(lat) > 0 {
		t.Logf("%d keys during the analysis: median %v, 95th percentile %v, worst %v", len(lat),
			lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*95/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	}
	t.Logf("analysis and the first tunnel's packet list done after %v", analysed.Round(time.Millisecond))
	var packets [2]int
	var matched int
	h.onUI(func() {
		if h.a.load != nil {
			packets = [2]int{len(h.a.load.lists[0]), len(h.a.load.lists[1])}
		}
		matched = h.a.model.rc.Correlation.Matched
	})
	t.Logf("correlation matched %d packets; tunnel 1 lists %d inside and %d outside", matched, packets[0], packets[1])
	if want := 4 + n/100; packets != [2]int{want, want} {
		t.Errorf("tunnel 1 lists %v packets, want %d on each side", packets, want)
	}
}
