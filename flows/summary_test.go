package flows

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// mixedCapture generates the packets of a capture with VPN traffic among
// much other traffic: UDP, TCP and ICMP conversations over IPv4, IPv6 and
// IPv4-mapped IPv6, one-way and two-way, frames that carry no IP, an
// IKEv2 tunnel with ESP in UDP, raw ESP and keepalives, and conversations
// whose 5-tuple carries both (which the decoder never yields, but a Source
// may). Deterministic for a seed.
func mixedCapture(seed uint64, n int) []decode.Packet {
	r := rand.New(rand.NewPCG(seed, 7))
	addrs := []netip.Addr{
		netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3"),
		netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("198.51.100.7"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"),
		netip.MustParseAddr("::ffff:10.0.0.2"), netip.MustParseAddr("203.0.113.5"),
	}
	ports := []uint16{53, 443, 500, 4500, 40000, 40001, 62001}
	s := newScript()
	ikev2NATT(s, true)
	pkts := s.pkts
	// The capture goes on after the tunnel's packets: its time never
	// runs backwards, so Analyze keeps file order.
	t0 := pkts[len(pkts)-1].Time.Add(time.Second)
	for i := 0; i < n; i++ {
		var p decode.Packet
		switch k := r.IntN(20); {
		case k < 12: // other traffic between random endpoints
			p = decode.Packet{Kind: decode.KindOther, Proto: []uint8{ProtoUDP, ProtoTCP, 1}[r.IntN(3)]}
			p.Src, p.Dst = addrs[r.IntN(len(addrs))], addrs[r.IntN(len(addrs))]
			if p.Src.Is4() != p.Dst.Is4() {
				p.Dst = p.Src
			}
			if p.Proto != 1 {
				p.SrcPort, p.DstPort = ports[r.IntN(len(ports))], ports[r.IntN(len(ports))]
			}
		case k < 13: // not IP: counted only
			p = decode.Packet{Kind: decode.KindOther}
		case k < 15: // other traffic on the tunnel's 5-tuple
			p = udp("203.0.113.5:62001", "198.51.100.7:4500")
			p.Kind = decode.KindOther
			if r.IntN(2) == 0 {
				p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
			}
		case k < 17:
			p = udp("203.0.113.5:62001", "198.51.100.7:4500")
			p.Kind, p.ESP = decode.KindUDPESP, decode.ESPInfo{SPI: 0xc0ffee01, Seq: uint32(i)}
		case k < 18:
			p = decode.Packet{Src: addrs[0], Dst: addrs[3], Kind: decode.KindESP, Proto: ProtoESP, ESP: decode.ESPInfo{SPI: uint32(r.IntN(3)) + 1, Seq: uint32(i)}}
		case k < 19:
			p = udp("203.0.113.5:62001", "198.51.100.7:4500")
			p.Kind = decode.KindNATKeepalive
		default: // a conversation with VPN traffic one way, other traffic the other
			p = udp("10.0.0.2:40002", "192.0.2.53:53")
			p.Kind, p.ESP = decode.KindUDPESP, decode.ESPInfo{SPI: 9, Seq: uint32(i)}
			if r.IntN(2) == 0 {
				p = udp("192.0.2.53:53", "10.0.0.2:40002")
				p.Kind = decode.KindOther
			}
		}
		p.Frame, p.FirstFrame = len(pkts)+1, len(pkts)+1
		p.Time = t0.Add(time.Duration(i) * time.Millisecond)
		if r.IntN(500) == 0 {
			p.Time = time.Time{} // a pcapng simple packet block
		}
		p.Length = 100 + r.IntN(1400)
		p.CapLen = p.Length
		pkts = append(pkts, p)
	}
	return pkts
}

// TestSummarizeOtherSameConversations checks Options.SummarizeOther against
// full flows: the same conversations, two-way ones and overflow, the same
// totals, tunnels and SAs, and flows only for VPN traffic; and Analyze's two
// goroutines against Table.Add on one.
func TestSummarizeOtherSameConversations(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		pkts := mixedCapture(seed, 3000)
		for _, maxFlows := range []int{0, 3, 12, 40} {
			full := NewTable(Options{MaxFlows: maxFlows})
			sum := NewTable(Options{MaxFlows: maxFlows, SummarizeOther: true})
			for i := range pkts {
				p := pkts[i]
				full.Add(&p)
				q := pkts[i]
				sum.Add(&q)
			}
			af := full.Finish(Capture{Path: "t.pcap", Packets: full.Packets})
			as := sum.Finish(Capture{Path: "t.pcap", Packets: sum.Packets})
			split := Analyze(Packets("t.pcap", pkts), decode.Options{KeepOther: true}, Options{MaxFlows: maxFlows, SummarizeOther: true})

			tw1, tot1 := af.Conversations()
			tw2, tot2 := as.Conversations()
			if tw1 != tw2 || tot1 != tot2 || tot1 == 0 {
				t.Errorf("seed %d max %d: conversations %d two-way of %d summarised, %d of %d with flows", seed, maxFlows, tw2, tot2, tw1, tot1)
			}
			if af.OverflowFlows != as.OverflowFlows || af.OverflowPackets != as.OverflowPackets || af.OverflowTunnels != as.OverflowTunnels {
				t.Errorf("seed %d max %d: overflow %d/%d/%d summarised, %d/%d/%d with flows", seed, maxFlows,
					as.OverflowFlows, as.OverflowPackets, as.OverflowTunnels, af.OverflowFlows, af.OverflowPackets, af.OverflowTunnels)
			}
			if maxFlows == 3 && af.OverflowFlows == 0 {
				t.Errorf("seed %d: no overflow with 3 flows; the test does not reach the cap", seed)
			}
			if af.Capture.First != as.Capture.First || af.Capture.Last != as.Capture.Last || af.Capture.Packets != as.Capture.Packets {
				t.Errorf("seed %d max %d: capture %v–%v %d packets summarised, %v–%v %d with flows", seed, maxFlows,
					as.Capture.First, as.Capture.Last, as.Capture.Packets, af.Capture.First, af.Capture.Last, af.Capture.Packets)
			}
			if !reflect.DeepEqual(af.Tunnels, as.Tunnels) || !reflect.DeepEqual(af.SAs, as.SAs) {
				t.Errorf("seed %d max %d: tunnels or SAs differ", seed, maxFlows)
			}
			for _, f := range as.Flows {
				vpn := false
				for k, n := range f.Kinds {
					vpn = vpn || n > 0 && decode.Kind(k) != decode.KindOther
				}
				if !vpn || f.Kinds[decode.KindOther] > 0 {
					t.Errorf("seed %d max %d: summarised flow %v has kinds %v, want VPN packets only", seed, maxFlows, f.Key, f.Kinds)
				}
			}
			// The two goroutines of Analyze give what Table.Add gives.
			split.Capture.Stats = decode.Stats{}
			as.Capture.Stats = decode.Stats{}
			split.Capture.Frames = 0
			if !reflect.DeepEqual(split, as) {
				t.Errorf("seed %d max %d: Analyze with SummarizeOther differs from Table.Add", seed, maxFlows)
			}
		}
	}
}

// TestConversationsWithoutSummary checks Conversations on full flows:
// UDP, TCP and other protocols count, ESP, AH and GRE do not.
func TestConversationsWithoutSummary(t *testing.T) {
	s := newScript()
	s.add(udp("10.0.0.2:53000", "192.0.2.53:53"))
	s.add(udp("192.0.2.53:53", "10.0.0.2:53000"))
	s.add(udp("10.0.0.2:53001", "192.0.2.53:53"))
	icmp := udp("10.0.0.2:0", "192.0.2.1:0")
	icmp.Proto = 1
	s.add(icmp)
	s.esp("10.0.0.2:0", "198.51.100.7:0", 7, 1)
	s.esp("198.51.100.7:0", "10.0.0.2:0", 8, 1)
	twoWay, total := s.run().Conversations()
	if twoWay != 1 || total != 3 {
		t.Errorf("Conversations() = %d, %d; want 1 two-way of 3", twoWay, total)
	}
}

// TestPacketFlowKeyAsPacketKey checks that the table's key tells flows and
// directions apart exactly as PacketKey does, on every pair of packets
// built from a few endpoints (so that many pairs share a flow).
func TestPacketFlowKeyAsPacketKey(t *testing.T) {
	addrs := []netip.Addr{
		{}, netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.10"),
		netip.MustParseAddr("::ffff:10.0.0.2"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::1:0"),
	}
	var pkts []decode.Packet
	for _, src := range addrs {
		for _, dst := range addrs {
			for _, ports := range [][2]uint16{{0, 0}, {500, 4500}, {4500, 500}, {4500, 4500}} {
				for _, pk := range []struct {
					proto uint8
					kind  decode.Kind
				}{{ProtoUDP, decode.KindOther}, {ProtoUDP, decode.KindUDPESP}, {ProtoTCP, decode.KindOther},
					{ProtoESP, decode.KindESP}, {ProtoESP, decode.KindMalformed}, {ProtoAH, decode.KindAH}, {ProtoGRE, decode.KindGRE}} {
					p := decode.Packet{Src: src, Dst: dst, SrcPort: ports[0], DstPort: ports[1], Proto: pk.proto, Kind: pk.kind,
						ESP: decode.ESPInfo{SPI: 7}, AH: decode.ESPInfo{SPI: 8}, GRE: decode.GREInfo{Version: 1, CallID: 9, Key: 10}}
					pkts = append(pkts, p)
				}
			}
		}
	}
	for i := range pkts {
		ki, di := PacketKey(&pkts[i])
		fi, dfi := packetFlowKey(&pkts[i])
		if di != dfi {
			t.Fatalf("%+v: direction %d, PacketKey says %d", pkts[i], dfi, di)
		}
		if fi.directional() != ki.Directional() {
			t.Fatalf("%+v: directional %v, PacketKey says %v", pkts[i], fi.directional(), ki.Directional())
		}
		for j := range pkts {
			kj, _ := PacketKey(&pkts[j])
			fj, _ := packetFlowKey(&pkts[j])
			if (ki == kj) != (fi == fj) {
				t.Fatalf("%v and %v: same flow key %v, same PacketKey %v", ki, kj, fi == fj, ki == kj)
			}
		}
	}
}

// TestResumedAsEveryPacketAdded checks that the Resumed samples a finished
// table gives its gaps are those that adding every packet to every gap
// gives.
func TestResumedAsEveryPacketAdded(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	ini, resp := "203.0.113.5:62001", "198.51.100.7:4500"
	for round := 0; round < 20; round++ {
		s := newScript()
		ikev2NATT(s, true)
		for i := 0; i < 200; i++ {
			gap := time.Duration(r.IntN(3000)) * time.Millisecond
			switch r.IntN(5) {
			case 0:
				s.after(gap).keepalive(ini, resp)
			case 1, 2:
				s.after(gap).esp(ini, resp, 0xc0ffee01, uint32(100+i))
			default:
				s.after(gap).esp(resp, ini, 0xc0ffee02, uint32(100+i))
			}
		}
		pt := s.run().Tunnels[0].NATTrace.Peers
		if len(pt.Gaps) == 0 {
			t.Fatal("no gaps")
		}
		for _, g := range pt.Gaps {
			for idx := range g.Resumed {
				var want Frames
				for _, p := range s.pkts {
					if p.Frame >= g.AfterFrame && p.Kind != decode.KindNATKeepalive && p.Src == pt.Addrs[idx] {
						want.Add(p.Frame)
					}
				}
				if got := g.Resumed[idx]; got.Count() != want.Count() || !reflect.DeepEqual(got.List(), want.List()) {
					t.Fatalf("round %d, gap ending at frame %d, %s: Resumed %v (%d), want %v (%d)",
						round, g.AfterFrame, pt.Addrs[idx], got.List(), got.Count(), want.List(), want.Count())
				}
			}
		}
	}
}

// TestAnalyzeSplitPanics checks that a panic on either goroutine of a
// summarising Analyze reaches the caller, and leaves no goroutine behind.
func TestAnalyzeSplitPanics(t *testing.T) {
	before := runtime.NumGoroutine()
	errBoom := errors.New("boom")
	src := Source{Path: "t.pcap", Read: func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		for i := range 3 * splitBatchLen {
			p := udp("10.0.0.2:53000", "192.0.2.53:53")
			p.Kind, p.Frame = decode.KindOther, i+1
			fn(&p)
		}
		panic(errBoom)
	}}
	func() {
		defer func() {
			if p := recover(); p != errBoom {
				t.Errorf("recovered %v, want the source's panic", p)
			}
		}()
		Analyze(src, decode.Options{KeepOther: true}, Options{SummarizeOther: true})
	}()

	// A table that cannot account: its goroutine panics, and the panic
	// goes on where the packets are delivered.
	func() {
		defer func() {
			err, _ := recover().(error)
			if err == nil || !strings.HasPrefix(err.Error(), "flows: table: ") {
				t.Errorf("recovered %v, want the table goroutine's panic", err)
			}
		}()
		s := newSplitter(nil, true)
		defer s.stop()
		for i := range 3 * splitBatchLen {
			p := udp("10.0.0.2:53000", "192.0.2.53:53")
			p.Kind, p.Frame = decode.KindUDPESP, i+1
			s.add(&p)
		}
		s.finish()
	}()
	time.Sleep(10 * time.Millisecond) // let ended goroutines leave
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the panics, %d before", n, before)
	}
}

// TestAddOtherSummarizedNoAllocs checks that summarising a packet of a
// known conversation allocates nothing, on the table and on the way to it.
func TestAddOtherSummarizedNoAllocs(t *testing.T) {
	tab := NewTable(Options{SummarizeOther: true})
	p := udp("10.0.0.2:53000", "192.0.2.53:53")
	p.Frame, p.Time = 1, time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	tab.Add(&p)
	if n := testing.AllocsPerRun(1000, func() {
		p.Frame++
		p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
		tab.Add(&p)
	}); n != 0 {
		t.Errorf("Table.Add of a summarised packet allocates %.1f times, want 0", n)
	}
	s := newSplitter(NewTable(Options{SummarizeOther: true}), true)
	defer s.stop()
	if n := testing.AllocsPerRun(5*splitBatchLen, func() {
		p.Frame++
		s.add(&p)
	}); n != 0 {
		t.Errorf("handing a summarised packet to the table allocates %.2f times, want 0", n)
	}
}

// FuzzPacketFlowKey checks on arbitrary pairs of packets that the table's
// key tells flows and directions apart as PacketKey does. An address of 4
// octets is IPv4, of 16 IPv6, of any other length invalid.
func FuzzPacketFlowKey(f *testing.F) {
	v4a, v4b := []byte{10, 0, 0, 2}, []byte{198, 51, 100, 7}
	mapped := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2}
	f.Add(v4a, v4b, v4b, v4a, uint16(4500), uint16(62001), uint16(62001), uint16(4500), uint8(ProtoUDP), uint8(decode.KindUDPESP))
	f.Add(v4a, v4a, v4a, v4a, uint16(500), uint16(4500), uint16(4500), uint16(500), uint8(ProtoUDP), uint8(decode.KindOther))
	f.Add(v4a, mapped, mapped, v4a, uint16(1), uint16(1), uint16(1), uint16(1), uint8(ProtoTCP), uint8(decode.KindOther))
	f.Add(v4a, v4b, v4b, v4a, uint16(0), uint16(0), uint16(0), uint16(0), uint8(ProtoESP), uint8(decode.KindESP))
	f.Add([]byte{}, v4b, v4b, []byte{}, uint16(0), uint16(0), uint16(0), uint16(0), uint8(1), uint8(decode.KindOther))
	f.Fuzz(func(t *testing.T, a, b, c, d []byte, pa, pb, pc, pd uint16, proto, kind uint8) {
		addr := func(x []byte) netip.Addr {
			a, _ := netip.AddrFromSlice(x)
			return a
		}
		mk := func(src, dst []byte, sp, dp uint16) decode.Packet {
			return decode.Packet{Src: addr(src), Dst: addr(dst), SrcPort: sp, DstPort: dp, Proto: proto,
				Kind: decode.Kind(kind % uint8(decode.NumKinds)), ESP: decode.ESPInfo{SPI: uint32(sp)},
				AH: decode.ESPInfo{SPI: uint32(dp)}, GRE: decode.GREInfo{Version: kind & 1, CallID: sp, Key: uint32(dp)}}
		}
		p, q := mk(a, b, pa, pb), mk(c, d, pc, pd)
		kp, dp := PacketKey(&p)
		kq, dq := PacketKey(&q)
		fp, dfp := packetFlowKey(&p)
		fq, dfq := packetFlowKey(&q)
		if dp != dfp || dq != dfq {
			t.Fatalf("directions %d, %d; PacketKey says %d, %d", dfp, dfq, dp, dq)
		}
		if (kp == kq) != (fp == fq) {
			t.Fatalf("%v and %v: same flow key %v, same PacketKey %v", kp, kq, fp == fq, kp == kq)
		}
		// The short key of the summary stands for the same conversation.
		if k4, ok := key4(&fp); ok && k4.long() != fp {
			t.Fatalf("%v: short key %+v gives back %+v, want %+v", kp, k4, k4.long(), fp)
		} else if ok != (p.Src.Is4() && p.Dst.Is4() && fp.id == 0) {
			t.Fatalf("%v: short key %v", kp, ok)
		}
		// The flow key gives back the addresses of the PacketKey, which
		// the correlation reads of summarised conversations.
		if x, y := fp.addrs(); x != kp.A.Addr() || y != kp.B.Addr() {
			t.Fatalf("%v: flow key's addresses %v, %v", kp, x, y)
		}
	})
}
