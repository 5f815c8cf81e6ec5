package flows

import (
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestNewKeyCanonical(t *testing.T) {
	tests := []struct {
		name     string
		proto    uint8
		src, dst netip.AddrPort
		id       uint32
		want     Key
		wantDir  Dir
	}{
		{"udp a to b", ProtoUDP, ap("10.0.0.2:500"), ap("198.51.100.7:500"), 0,
			Key{ProtoUDP, ap("10.0.0.2:500"), ap("198.51.100.7:500"), 0}, DirAB},
		{"udp b to a", ProtoUDP, ap("198.51.100.7:500"), ap("10.0.0.2:500"), 0,
			Key{ProtoUDP, ap("10.0.0.2:500"), ap("198.51.100.7:500"), 0}, DirBA},
		{"same address, ports decide", ProtoUDP, ap("10.0.0.2:4500"), ap("10.0.0.2:500"), 0,
			Key{ProtoUDP, ap("10.0.0.2:500"), ap("10.0.0.2:4500"), 0}, DirBA},
		{"nat-t port change is a new flow", ProtoUDP, ap("203.0.113.5:62001"), ap("198.51.100.7:4500"), 0,
			Key{ProtoUDP, ap("198.51.100.7:4500"), ap("203.0.113.5:62001"), 0}, DirBA},
		{"ipv6", ProtoTCP, ap("[2001:db8::2]:443"), ap("[2001:db8::1]:50000"), 0,
			Key{ProtoTCP, ap("[2001:db8::1]:50000"), ap("[2001:db8::2]:443"), 0}, DirBA},
		{"ipv4 sorts before ipv6", ProtoUDP, ap("[2001:db8::1]:500"), ap("192.0.2.1:500"), 0,
			Key{ProtoUDP, ap("192.0.2.1:500"), ap("[2001:db8::1]:500"), 0}, DirBA},
		{"esp is one-way: never swapped", ProtoESP, ap("198.51.100.7:0"), ap("10.0.0.2:0"), 0xc0ffee01,
			Key{ProtoESP, ap("198.51.100.7:0"), ap("10.0.0.2:0"), 0xc0ffee01}, DirAB},
		{"gre is one-way", ProtoGRE, ap("198.51.100.7:0"), ap("10.0.0.2:0"), 7,
			Key{ProtoGRE, ap("198.51.100.7:0"), ap("10.0.0.2:0"), 7}, DirAB},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, d := NewKey(tc.proto, tc.src, tc.dst, tc.id)
			if k != tc.want || d != tc.wantDir {
				t.Errorf("NewKey(%d, %v, %v, %d) = %v, %v; want %v, %v", tc.proto, tc.src, tc.dst, tc.id, k, d, tc.want, tc.wantDir)
			}
			if !k.Directional() {
				back, bd := NewKey(tc.proto, tc.dst, tc.src, tc.id)
				if back != k || bd == d {
					t.Errorf("reverse direction gives %v, %v; want %v, the other direction", back, bd, k)
				}
			}
		})
	}
}

func TestKeyString(t *testing.T) {
	tests := []struct {
		k    Key
		want string
	}{
		{Key{ProtoUDP, ap("10.0.0.2:500"), ap("198.51.100.7:500"), 0}, "udp 10.0.0.2:500 <-> 198.51.100.7:500"},
		{Key{ProtoESP, ap("10.0.0.2:0"), ap("198.51.100.7:0"), 0xc0ffee01}, "esp 10.0.0.2 -> 198.51.100.7 spi 0xc0ffee01"},
		{Key{ProtoGRE, ap("10.0.0.2:0"), ap("198.51.100.7:0"), 42}, "gre 10.0.0.2 -> 198.51.100.7 key 42"},
	}
	for _, tc := range tests {
		if got := tc.k.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.k, got, tc.want)
		}
	}
}

// frameSampler is what Frames and InlineFrames share.
type frameSampler interface {
	Add(frame int)
	Count() int
	List() []int
	First() int
	Last() int
}

func TestFramesSample(t *testing.T) {
	tests := []struct {
		n    int
		want []int
	}{
		{0, []int{}},
		{1, []int{1}},
		{2, []int{1, 2}},
		{3, []int{1, 2, 3}},
		{6, []int{1, 2, 3, 4, 5, 6}},
		{9, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{12, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		{20, []int{1, 2, 3, 4, 5, 6, 15, 16, 17, 18, 19, 20}},
		{23, []int{1, 2, 3, 4, 5, 6, 18, 19, 20, 21, 22, 23}},
	}
	for _, newSample := range []func() frameSampler{
		func() frameSampler { return new(Frames) },
		func() frameSampler { return new(InlineFrames) },
	} {
		for _, tc := range tests {
			f := newSample()
			for i := 1; i <= tc.n; i++ {
				f.Add(i)
			}
			got := f.List()
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%T after %d frames: List() = %v, want %v", f, tc.n, got, tc.want)
			}
			if f.Count() != tc.n {
				t.Errorf("%T: Count() = %d, want %d", f, f.Count(), tc.n)
			}
			if tc.n > 0 && (f.First() != 1 || f.Last() != tc.n) {
				t.Errorf("%T after %d frames: First, Last = %d, %d", f, tc.n, f.First(), f.Last())
			}
			if tc.n == 0 && (f.First() != 0 || f.Last() != 0) {
				t.Errorf("%T empty: First, Last = %d, %d, want 0, 0", f, f.First(), f.Last())
			}
		}
	}
}

func TestESPCountEncapsulation(t *testing.T) {
	tests := []struct {
		c    ESPCount
		want Encapsulation
	}{
		{ESPCount{}, EncapNone},
		{ESPCount{Raw: 3}, EncapRaw},
		{ESPCount{UDP: 3}, EncapUDP},
		{ESPCount{TCP: 1}, EncapTCP},
		{ESPCount{Raw: 1, UDP: 9}, EncapMixed},
		{ESPCount{AH: 4}, EncapAH},
		{ESPCount{AH: 4, UDP: 1}, EncapUDP},
	}
	for _, tc := range tests {
		if got := tc.c.Encapsulation(); got != tc.want {
			t.Errorf("%+v.Encapsulation() = %s, want %s", tc.c, got, tc.want)
		}
	}
}

// otherSet answers as a plain map of conversations to directions would,
// whatever its cache of recent conversations holds: many conversations,
// so that they collide in it, IPv4 and IPv6, looked up in bursts and at
// random.
func TestOtherSetMatchesMap(t *testing.T) {
	s := newOtherSet()
	want := map[flowKey]uint8{}
	rnd := rand.New(rand.NewPCG(7, 7))
	keyOf := func(i int) flowKey {
		var a, b netip.Addr
		if i%10 == 0 {
			a = netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, 14: byte(i >> 8), 15: byte(i)})
			b = netip.MustParseAddr("2001:db8::1")
		} else {
			a = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
			b = netip.AddrFrom4([4]byte{192, 0, 2, byte(i % 7)})
		}
		k, _ := packetFlowKey(&decode.Packet{Proto: 6, Src: a, Dst: b, SrcPort: uint16(1024 + i%5000), DstPort: 443})
		return k
	}
	for step := range 200000 {
		i := rnd.IntN(20000)
		if step%3 == 0 {
			i = step / 30 // a burst on one conversation
		}
		k := keyOf(i)
		bit := uint8(1) << rnd.IntN(2)
		_, held := want[k]
		if got := s.note(&k, bit); got != held {
			t.Fatalf("step %d: note says %v, the map %v", step, got, held)
		}
		if held {
			want[k] |= bit
		} else if rnd.IntN(2) == 0 {
			s.insert(&k, bit)
			want[k] = bit
		}
	}
	got := map[flowKey]uint8{}
	s.each(func(k flowKey, dirs uint8) { got[k] = dirs })
	if !maps.Equal(got, want) || s.len() != len(want) {
		t.Fatalf("the set holds %d conversations, the map %d, or their directions differ", len(got), len(want))
	}
}

// A flowCache finds what its map holds, whatever it held before: many
// flows colliding in it, looked up in bursts and at random, some keys
// never in the map.
func TestFlowCacheMatchesMap(t *testing.T) {
	m := map[flowKey]*Flow{}
	var keys []flowKey
	for i := range 20000 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if i%7 == 0 {
			a = netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, 14: byte(i >> 8), 15: byte(i)})
		}
		k, _ := packetFlowKey(&decode.Packet{Proto: 17, Src: a, Dst: netip.MustParseAddr("192.0.2.1"), SrcPort: uint16(i), DstPort: 53})
		keys = append(keys, k)
		if i%5 != 0 {
			m[k] = &Flow{}
		}
	}
	var c flowCache
	rnd := rand.New(rand.NewPCG(3, 4))
	for step := range 200000 {
		k := keys[rnd.IntN(len(keys))]
		if step%4 == 0 {
			k = keys[step/40]
		}
		if got, want := c.lookup(&k, m), m[k]; got != want {
			t.Fatalf("step %d: the cache found %p, the map holds %p", step, got, want)
		}
	}
}
