package flows

import (
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// labCorrelation correlates a lab scenario's two captures, inside first.
func labCorrelation(t *testing.T, scenario string) *Correlation {
	t.Helper()
	dir := filepath.Join(corpus.LabDir(t), scenario)
	return Correlate(File(filepath.Join(dir, "inside.pcap")), File(filepath.Join(dir, "outside.pcap")), CorrelateOptions{RolesGiven: true})
}

// TestICMPErrorsLab checks the ties of the lab captures' ICMP errors
// against their TRUTH.md: the NAT (198.51.100.1, outside) answers ESP that
// the gateway sends to a stale NAT-T mapping with port unreachable, and
// inbound GRE, without a PPTP helper, with protocol unreachable; none of
// these errors is seen inside.
func TestICMPErrorsLab(t *testing.T) {
	nat := netip.MustParseAddr("198.51.100.1")
	gw := netip.MustParseAddr("198.51.100.2")
	for _, tc := range []struct {
		scenario string
		frames   []int  // the outside frames of the ICMP errors (TRUTH.md, "ICMP errors")
		oldPort  uint16 // the stale outside port the quoted ESP went to
		spiI     uint64 // the tunnel's initiator SPI
		espSPI   uint32 // the responder→initiator SA of the quoted ESP
	}{
		{"natt-rebind", []int{23, 26}, 1042, 0xae24b8a21fcd1cfe, 0x7aa865d2},
		{"natt-rebind-mobike", []int{23, 26, 31, 34, 37, 42, 45, 48, 53, 56, 59, 64, 67, 70}, 3452, 0x00f360b46548a3f4, 0x994c3065},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			c := labCorrelation(t, tc.scenario)
			if n := len(c.Inside.ICMPErrors); n != 0 {
				t.Errorf("inside: %d ICMP errors, want none", n)
			}
			out := c.Outside
			var frames []int
			for _, e := range out.ICMPErrors {
				frames = append(frames, e.Frame)
				q := &e.Msg.Quote
				if e.From != nat || e.To != gw || !e.Msg.PortUnreachable() {
					t.Errorf("frame %d: %s → %s %s/%s, want port unreachable from the NAT to the gateway", e.Frame, e.From, e.To, e.Msg.TypeName(), e.Msg.CodeName())
				}
				if q.Source() != netip.AddrPortFrom(gw, 4500) || q.Destination() != netip.AddrPortFrom(nat, tc.oldPort) {
					t.Errorf("frame %d quotes %s → %s, want %s:4500 → %s:%d", e.Frame, q.Source(), q.Destination(), gw, nat, tc.oldPort)
				}
				if e.Flow == nil || e.Flow.Key != mustKey(ProtoUDP, q.Source(), q.Destination()) {
					t.Errorf("frame %d: flow %v, want the quoted 5-tuple's", e.Frame, e.Flow)
				}
				if e.SA == nil || e.SA.SPI != tc.espSPI || e.SA.Src != gw || e.SA.Dst != nat || e.SAByFlow {
					t.Errorf("frame %d: SA %+v, want %#x %s → %s by its SPI", e.Frame, e.SA, tc.espSPI, gw, nat)
				}
				if e.Tunnel == nil || e.Tunnel.SPIi != tc.spiI || e.Session != nil {
					t.Errorf("frame %d: tunnel %v, session %v; want the IKE SA %#x", e.Frame, e.Tunnel, e.Session, tc.spiI)
				}
				if e.Origin != ICMPOriginNAT {
					t.Errorf("frame %d: origin %v, want nat", e.Frame, e.Origin)
				}
			}
			if !slices.Equal(frames, tc.frames) {
				t.Errorf("ICMP errors at frames %v, want %v", frames, tc.frames)
			}
			tun := out.Tunnels[0]
			n := len(tc.frames)
			if icmpOf(tun.ICMP).Count != n || icmpOf(tun.ICMP).FromNAT != n || !slices.Equal(icmpOf(tun.ICMP).Frames(), tc.frames[:min(n, maxICMPListed)]) ||
				!slices.Equal(icmpOf(tun.ICMP).Codes, []ICMPCodeCount{{Type: 3, Code: 3, Count: n}}) {
				t.Errorf("tunnel ICMP = %+v, frames %v; want %d port unreachable from the NAT", tun.ICMP, icmpOf(tun.ICMP).Frames(), n)
			}
			for _, sa := range out.SAs {
				want := 0
				if sa.SPI == tc.espSPI {
					want = n
				}
				if icmpOf(sa.ICMP).Count != want || icmpOf(sa.ICMP).FromNAT != want {
					t.Errorf("SA %#x: %d ICMP errors (%d from the NAT), want %d", sa.SPI, icmpOf(sa.ICMP).Count, icmpOf(sa.ICMP).FromNAT, want)
				}
			}
			if out.ICMPUnmatched.Count != 0 {
				t.Errorf("%d errors tied to nothing", out.ICMPUnmatched.Count)
			}
		})
	}
	t.Run("pptp-gre-nohelper", func(t *testing.T) {
		c := labCorrelation(t, "pptp-gre-nohelper")
		out := c.Outside
		want := []int{15, 17, 21, 24, 37, 39, 43, 48, 63}
		var frames []int
		total := 0
		for _, e := range out.ICMPErrors {
			frames = append(frames, e.Frame)
			q := &e.Msg.Quote
			if e.From != nat || !e.Msg.ProtocolUnreachable() || q.Proto != ProtoGRE || q.Src != gw || q.Dst != nat ||
				q.GRE.Version != 1 || q.GRE.CallID != 0x4000 || e.Origin != ICMPOriginNAT {
				t.Errorf("frame %d: %s %s/%s quoting %v %s → %s call %#x, origin %v; want protocol unreachable from the NAT for GRE call 0x4000",
					e.Frame, e.From, e.Msg.TypeName(), e.Msg.CodeName(), q.Proto, q.Src, q.Dst, q.GRE.CallID, e.Origin)
			}
			// Both calls carry PNS call ID 0x4000 from one address
			// (TRUTH.md): the error goes with the GRE it quotes, to the
			// newest such call.
			if e.Session == nil || e.Session.ClientCallID != 0x4000 || e.Session.Client.Addr() != nat || e.Tunnel != nil || e.SA != nil {
				t.Errorf("frame %d: session %+v, tunnel %v, SA %v; want a PPTP call with client call ID 0x4000", e.Frame, e.Session, e.Tunnel, e.SA)
			}
		}
		for _, s := range out.Sessions {
			total += icmpOf(s.ICMP).Count
			if icmpOf(s.ICMP).FromNAT != icmpOf(s.ICMP).Count {
				t.Errorf("session %d: %d of %d errors from the NAT", s.ID, icmpOf(s.ICMP).FromNAT, icmpOf(s.ICMP).Count)
			}
		}
		if !slices.Equal(frames, want) || total != len(want) || out.ICMPUnmatched.Count != 0 {
			t.Errorf("errors at %v, %d tied to sessions, %d to nothing; want %v, all tied", frames, total, out.ICMPUnmatched.Count, want)
		}
		if len(c.Inside.ICMPErrors) != 0 {
			t.Errorf("inside: %d ICMP errors, want none", len(c.Inside.ICMPErrors))
		}
	})
}

func mustKey(proto uint8, src, dst netip.AddrPort) Key {
	k, _ := NewKey(proto, src, dst, 0)
	return k
}

// icmpScript is, as one capture sees it, an IKEv2 tunnel between
// 203.0.113.5 (behind a NAT) and 198.51.100.7 with ESP in UDP both ways, a
// keepalive and raw ESP, and a PPTP call between 203.0.113.9 and
// 198.51.100.8; with the packets the tests quote.
type icmpScript struct {
	s                              *pt.Script
	ike500, espOut, espIn, keepIn  decode.Packet
	rawESP, greIn, greOut, pptpOut decode.Packet
}

func newICMPScript() *icmpScript {
	x := &icmpScript{s: pt.New()}
	s := x.s
	i5, r5 := "203.0.113.5:500", "198.51.100.7:500"
	i4, r4 := "203.0.113.5:62001", "198.51.100.7:4500"
	x.ike500 = *s.IKE(i5, r5, decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator}, 1)
	s.IKE(r5, i5, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 34, Flags: decode.IKEv2FlagResponse}, 2)
	s.IKE(i4, r4, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator}, 3)
	s.IKE(r4, i4, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagResponse}, 4)
	x.espOut = *s.ESP(i4, r4, 0xc0ffee01, 1)
	x.espIn = *s.ESP(r4, i4, 0xc0ffee02, 1)
	x.keepIn = *s.Keepalive(r4, i4)
	x.rawESP = *s.ESP("203.0.113.5", "198.51.100.7", 0xc0ffee03, 1)
	c, sv := "203.0.113.9:40000", "198.51.100.8:1723"
	x.pptpOut = *s.PPTP(c, sv, decode.PPTPMessageTypeOutgoingCallRequest, 7, 0, 0)
	s.PPTP(sv, c, decode.PPTPMessageTypeOutgoingCallReply, 9, 7, 1)
	x.greOut = *s.GRE("203.0.113.9", "198.51.100.8", 9, 1)
	x.greIn = *s.GRE("198.51.100.8", "203.0.113.9", 7, 1)
	return x
}

// port3 is ICMP port unreachable.
func port3(q decode.ICMPQuote) decode.ICMPError {
	return decode.ICMPError{Type: decode.ICMPTypeDestinationUnreachable, Code: decode.ICMPCodePortUnreachable, Quote: q}
}

// TestICMPErrorTies checks what an error is tied to, for each kind of
// quoted packet, whole and cut as RFC 792 asks, in both table modes.
func TestICMPErrorTies(t *testing.T) {
	moved := func(p decode.Packet) decode.Packet {
		// Another address pair: nothing but the SPIs ties it.
		p.Src = netip.MustParseAddr("192.0.2.99")
		return p
	}
	greNoKey := func(x *icmpScript) decode.ICMPQuote {
		q := pt.Quote(&x.greIn)
		q.Have &^= decode.QuoteGREKey | decode.QuoteGRESeq
		q.GRE.CallID, q.GRE.Key = 0, 0
		return q
	}
	tests := []struct {
		name    string
		quote   func(x *icmpScript) decode.ICMPQuote
		flow    string // the flow key's String, or ""
		sa      uint32 // the SA's SPI, or 0
		byFlow  bool
		tunnel  bool
		session bool
	}{
		{"esp in udp by its spi", func(x *icmpScript) decode.ICMPQuote { return pt.Quote(&x.espIn) },
			"udp 198.51.100.7:4500 <-> 203.0.113.5:62001", 0xc0ffee02, false, true, false},
		{"esp in udp with the spi cut off", func(x *icmpScript) decode.ICMPQuote { return pt.CutQuote(pt.Quote(&x.espIn)) },
			"udp 198.51.100.7:4500 <-> 203.0.113.5:62001", 0xc0ffee02, true, true, false},
		{"the other direction with the spi cut off", func(x *icmpScript) decode.ICMPQuote { return pt.CutQuote(pt.Quote(&x.espOut)) },
			"udp 198.51.100.7:4500 <-> 203.0.113.5:62001", 0xc0ffee01, true, true, false},
		{"raw esp", func(x *icmpScript) decode.ICMPQuote { return pt.CutQuote(pt.Quote(&x.rawESP)) },
			"esp 203.0.113.5 -> 198.51.100.7 spi 0xc0ffee03", 0xc0ffee03, false, true, false},
		{"ike by its spis", func(x *icmpScript) decode.ICMPQuote { return pt.Quote(&x.ike500) },
			"udp 198.51.100.7:500 <-> 203.0.113.5:500", 0, false, true, false},
		{"ike spis from elsewhere", func(x *icmpScript) decode.ICMPQuote { p := moved(x.ike500); return pt.Quote(&p) },
			"", 0, false, true, false},
		{"ike on 500 cut as rfc 792 asks", func(x *icmpScript) decode.ICMPQuote { return pt.CutQuote(pt.Quote(&x.ike500)) },
			"udp 198.51.100.7:500 <-> 203.0.113.5:500", 0, false, true, false},
		{"keepalive", func(x *icmpScript) decode.ICMPQuote { return pt.Quote(&x.keepIn) },
			"udp 198.51.100.7:4500 <-> 203.0.113.5:62001", 0, false, true, false},
		{"gre by its call id", func(x *icmpScript) decode.ICMPQuote { return pt.CutQuote(pt.Quote(&x.greIn)) },
			"gre 198.51.100.8 -> 203.0.113.9 key 7", 0, false, false, true},
		{"gre with the call id cut off", greNoKey, "", 0, false, false, true},
		{"pptp control", func(x *icmpScript) decode.ICMPQuote { return pt.CutQuote(pt.Quote(&x.pptpOut)) },
			"tcp 198.51.100.8:1723 <-> 203.0.113.9:40000", 0, false, false, true},
		{"esp between unknown hosts", func(x *icmpScript) decode.ICMPQuote {
			p := x.espIn
			p.Src, p.Dst = netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
			return pt.Quote(&p)
		}, "", 0, false, false, false},
	}
	for _, tc := range tests {
		for _, opts := range []Options{{}, {SummarizeOther: true}} {
			t.Run(tc.name, func(t *testing.T) {
				x := newICMPScript()
				x.s.ICMPError("192.0.2.254", "198.51.100.7", port3(tc.quote(x)))
				a := Analyze(Packets("c.pcap", x.s.Packets), decode.Options{}, opts)
				if len(a.ICMPErrors) != 1 {
					t.Fatalf("%d ICMP errors kept, want 1", len(a.ICMPErrors))
				}
				e := a.ICMPErrors[0]
				flow := ""
				if e.Flow != nil {
					flow = e.Flow.Key.String()
				}
				var sa uint32
				if e.SA != nil {
					sa = e.SA.SPI
				}
				if flow != tc.flow || sa != tc.sa || e.SAByFlow != tc.byFlow || (e.Tunnel != nil) != tc.tunnel || (e.Session != nil) != tc.session {
					t.Errorf("tied to flow %q, SA %#x (by flow %v), tunnel %v, session %v; want %q, %#x (%v), %v, %v",
						flow, sa, e.SAByFlow, e.Tunnel != nil, e.Session != nil, tc.flow, tc.sa, tc.byFlow, tc.tunnel, tc.session)
				}
				if e.From != netip.MustParseAddr("192.0.2.254") || e.Origin != ICMPOriginUnknown {
					t.Errorf("from %s, origin %v; want 192.0.2.254, unknown with one capture", e.From, e.Origin)
				}
				matched := tc.flow != "" || tc.sa != 0 || tc.tunnel || tc.session
				if got := a.ICMPUnmatched.Count; got != 0 == matched {
					t.Errorf("%d errors tied to nothing, want matched %v", got, matched)
				}
				if tc.tunnel && icmpOf(a.Tunnels[0].ICMP).Count != 1 || tc.session && icmpOf(a.Sessions[0].ICMP).Count != 1 {
					t.Errorf("tunnel counts %d, session %d", icmpOf(a.Tunnels[0].ICMP).Count, icmpOf(a.Sessions[0].ICMP).Count)
				}
				if e.Flow != nil && (e.Flow.ICMP == nil || e.Flow.ICMP.Count != 1) {
					t.Errorf("flow counts %+v", e.Flow.ICMP)
				}
			})
		}
	}
}

// TestICMPErrorsBounded checks that a tunnel lists the first errors and
// counts them all, by type and code, and that an SA attached to its tunnel
// only when the table is finished brings its errors along.
func TestICMPErrorsBounded(t *testing.T) {
	x := newICMPScript()
	var frames []int
	for i := range 20 {
		code := decode.ICMPCodePortUnreachable
		if i%5 == 4 {
			code = decode.ICMPCodeHostUnreachable
		}
		e := x.s.ICMPError("203.0.113.5", "198.51.100.7", decode.ICMPError{Type: 3, Code: code, Quote: pt.Quote(&x.espIn)})
		frames = append(frames, e.Frame)
	}
	a := Analyze(Packets("c.pcap", x.s.Packets), decode.Options{}, Options{})
	s := icmpOf(a.Tunnels[0].ICMP)
	if s.Count != 20 || !slices.Equal(s.Frames(), frames[:maxICMPListed]) {
		t.Errorf("tunnel: %d errors, frames %v; want 20, %v", s.Count, s.Frames(), frames[:maxICMPListed])
	}
	wantCodes := []ICMPCodeCount{{Type: 3, Code: 3, Count: 16}, {Type: 3, Code: 1, Count: 4}}
	if !slices.Equal(s.Codes, wantCodes) {
		t.Errorf("codes %+v, want %+v", s.Codes, wantCodes)
	}

	// Mid-tunnel: ESP and an error about it before any IKE message.
	m := pt.New()
	esp := m.ESP("198.51.100.7:4500", "203.0.113.5:62001", 0xc0ffee02, 40)
	m.ICMPError("203.0.113.5", "198.51.100.7", port3(pt.Quote(esp)))
	m.IKE("203.0.113.5:62001", "198.51.100.7:4500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 37, MessageID: 5, Flags: decode.IKEv2FlagInitiator}, 9)
	a = Analyze(Packets("c.pcap", m.Packets), decode.Options{}, Options{})
	e := a.ICMPErrors[0]
	if e.SA == nil || e.SA.Tunnel != 1 || e.Tunnel != a.Tunnels[0] || icmpOf(a.Tunnels[0].ICMP).Count != 1 {
		t.Errorf("late attachment: SA %+v, tunnel %v, tunnel count %d", e.SA, e.Tunnel, icmpOf(a.Tunnels[0].ICMP).Count)
	}
}

// insertPackets adds packets to a capture and numbers its frames again in
// time order.
func insertPackets(ps []decode.Packet, add ...decode.Packet) []decode.Packet {
	out := append(slices.Clone(ps), add...)
	slices.SortStableFunc(out, func(a, b decode.Packet) int { return a.Time.Compare(b.Time) })
	for i := range out {
		out[i].Frame, out[i].FirstFrame = i+1, i+1
	}
	return out
}

// TestCorrelateICMPOrigin checks who sent an error, as two captures tell:
// the NAT's own port unreachable for ESP sent to a stale port (seen outside
// only, from the NAT's outside address), a router's fragmentation needed
// that the NAT forwarded to the inside host (seen on both sides), and a
// router's error that the NAT did not forward (outside only, from another
// address).
func TestCorrelateICMPOrigin(t *testing.T) {
	inside := nattInside(30)
	nat := pt.NAT{Map: nattNAT, Offset: 0, Delay: time.Millisecond}
	outside := nat.Translate(inside)
	at := func(d time.Duration) *pt.Script { s := pt.New(); s.Now = pt.Start.Add(d); return s }

	stale := at(10 * time.Second)
	esp := stale.ESP("198.51.100.7:4500", "203.0.113.5:62002", 0xc0ffee02, 11)
	natErr := stale.ICMPError("203.0.113.5", "198.51.100.7", port3(pt.Quote(esp)))
	router := at(12 * time.Second)
	routerErr := router.ICMPError("192.0.2.1", "198.51.100.7", decode.ICMPError{Type: 3, Code: decode.ICMPCodeHostUnreachable, Quote: pt.Quote(esp)})
	// Fragmentation needed from a router outside, forwarded to the client.
	clientESP := outside[slices.IndexFunc(outside, func(p decode.Packet) bool { return p.Kind == decode.KindUDPESP && p.ESP.SPI == 0xc0ffee01 })]
	frag := at(14 * time.Second)
	fragOut := frag.ICMPError("192.0.2.1", "203.0.113.5", decode.ICMPError{Type: 3, Code: decode.ICMPCodeFragmentationNeeded, MTU: 1400, Quote: pt.Quote(&clientESP)})
	fragIn := *fragOut
	fragIn.Dst = netip.MustParseAddr("10.0.0.2")
	q := *fragOut.ICMP
	q.Quote.Src, q.Quote.SrcPort = netip.MustParseAddr("10.0.0.2"), 4500
	fragIn.ICMP = &q
	fragIn.Time = fragOut.Time.Add(time.Millisecond)

	outside = insertPackets(outside, *esp, *natErr, *routerErr, *fragOut)
	inside = insertPackets(inside, fragIn)
	c := Correlate(Packets("in.pcap", inside), Packets("out.pcap", outside), CorrelateOptions{RolesGiven: true})
	origins := map[string]ICMPOrigin{}
	for _, e := range c.Outside.ICMPErrors {
		origins["outside "+e.From.String()+" "+e.Msg.CodeName()] = e.Origin
	}
	for _, e := range c.Inside.ICMPErrors {
		origins["inside "+e.From.String()+" "+e.Msg.CodeName()] = e.Origin
	}
	want := map[string]ICMPOrigin{
		"outside 203.0.113.5 Port unreachable":   ICMPOriginNAT,
		"outside 192.0.2.1 Host unreachable":     ICMPOriginThisSide,
		"outside 192.0.2.1 Fragmentation needed": ICMPOriginCrossed,
		"inside 192.0.2.1 Fragmentation needed":  ICMPOriginCrossed,
	}
	if !maps.Equal(origins, want) {
		t.Errorf("origins %v, want %v", origins, want)
	}
	tun := c.Outside.Tunnels[0]
	if icmpOf(tun.ICMP).Count != 3 || icmpOf(tun.ICMP).FromNAT != 1 {
		t.Errorf("outside tunnel: %d errors, %d from the NAT; want 3, 1", icmpOf(tun.ICMP).Count, icmpOf(tun.ICMP).FromNAT)
	}
	if in := c.Inside.ICMPErrors; len(in) != 1 || in[0].SA == nil || in[0].SA.SPI != 0xc0ffee01 || in[0].Tunnel == nil {
		t.Errorf("inside error tied to %+v, want the client's SA and tunnel", in)
	}
}

// icmpOf returns a summary of ICMP errors, empty for nil (none).
func icmpOf(s *ICMPErrors) *ICMPErrors {
	if s == nil {
		return new(ICMPErrors)
	}
	return s
}
