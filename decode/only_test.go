package decode

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// Options.Only yields, for the address pair it accepts, exactly the
// packets a full decode yields between those addresses, and every ICMP
// message; the frames it leaves out are counted as Skipped, and every
// frame is still accounted for.
func TestOnlyKeepsThePairsPackets(t *testing.T) {
	files := append(corpus.SamplePaths(t), corpus.LabPaths(t)...)
	type pair [2]netip.Addr
	key := func(a, b netip.Addr) pair {
		if b.Less(a) {
			a, b = b, a
		}
		return pair{a, b}
	}
	checked := 0
	for _, path := range files {
		var all []Packet
		full, err := ReadFile(path, Options{KeepOther: true}, func(p *Packet) { all = append(all, *p) })
		if err != nil {
			continue // damaged on purpose; the rest of the capture is tested elsewhere
		}
		var want pair
		for _, p := range all {
			if p.Kind != KindOther && p.Src.IsValid() && p.Dst.IsValid() && p.Src != p.Dst {
				want = key(p.Src, p.Dst)
				break
			}
		}
		if !want[0].IsValid() {
			continue
		}
		var got []Packet
		st, _ := ReadFile(path, Options{KeepOther: true, Only: func(a, b netip.Addr) bool { return key(a, b) == want }},
			func(p *Packet) { got = append(got, *p) })
		var kept []Packet
		for _, p := range all {
			if p.Proto == ProtoICMP || p.Proto == ProtoICMPv6 || p.Src.IsValid() && key(p.Src, p.Dst) == want || !p.Src.IsValid() {
				kept = append(kept, p)
			}
		}
		var gotPair []Packet
		for _, p := range got {
			if p.Proto == ProtoICMP || p.Proto == ProtoICMPv6 || !p.Src.IsValid() || key(p.Src, p.Dst) == want {
				gotPair = append(gotPair, p)
			} else {
				t.Errorf("%s: frame %d between %v and %v passed the filter", path, p.Frame, p.Src, p.Dst)
			}
		}
		if len(gotPair) != len(kept) {
			t.Errorf("%s: %d packets of %v, want %d", path, len(gotPair), want, len(kept))
			continue
		}
		for i := range kept {
			a, b := kept[i], gotPair[i]
			a.IKE, b.IKE = nil, nil // decoded anew: compared by hash and length
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: packet %d differs:\n got %+v\nwant %+v", path, i, b, a)
				break
			}
		}
		if st.Accounted() != st.Frames || st.Frames != full.Frames {
			t.Errorf("%s: %d of %d frames accounted for (full: %d)", path, st.Accounted(), st.Frames, full.Frames)
		}
		if st.Skipped > 0 {
			checked++
		}
	}
	t.Logf("%d captures, %d with frames left out", len(files), checked)
	if checked == 0 {
		t.Fatal("no capture had frames to leave out")
	}
}

// An ICMP error about a packet between the accepted addresses comes from
// a third address (a router): it passes Options.Only, and so do ICMPv6
// errors; traffic between other addresses does not, whatever it carries.
func TestOnlyLetsICMPThrough(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.7")
	router, other := netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("10.9.9.9")
	a6, router6 := netip.MustParseAddr("2001:db8::a"), netip.MustParseAddr("2001:db8::1")
	ike := udpFrame(t, a, b, 500, 500, ikeSAInit(1, netip.AddrPortFrom(a, 500), netip.AddrPortFrom(b, 500)))
	quote := ike[14 : 14+28+8] // its IP and UDP headers and the first octets
	frames := [][]byte{
		ike,
		icmpFrame(t, router, a, 3, 4, 1400, quote),
		udpFrame(t, a, other, 500, 500, ikeSAInit(2, netip.AddrPortFrom(a, 500), netip.AddrPortFrom(other, 500))),
		rawFrame(t, other, b, layers.IPProtocolESP, espBytes(7, 1, 40)),
		icmpFrame(t, router6, a6, 1, 0, 0, make([]byte, 48)),
	}
	only := func(x, y netip.Addr) bool { return x == a && y == b || x == b && y == a }
	got, st := decodeFrames(t, Options{KeepOther: true, Only: only}, frames...)
	var kinds []string
	for _, p := range got {
		kinds = append(kinds, fmt.Sprintf("%d:%s", p.Frame, p.Kind))
	}
	if want := []string{"1:ike", "2:icmp-error", "5:other"}; !slices.Equal(kinds, want) {
		t.Errorf("packets %v, want %v", kinds, want)
	}
	if st.Skipped != 2 || st.Accounted() != st.Frames {
		t.Errorf("%d frames skipped, %d of %d accounted for", st.Skipped, st.Accounted(), st.Frames)
	}
}
