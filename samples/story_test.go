package samples_test

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/vpnpcap/vpnpcap/samples"
)

// The story tests check, from the manifests, that each scenario's captures
// show what its README says: the facts a rule will be built on.

var (
	clientA = netip.MustParseAddr("192.168.1.23")
	clientB = netip.MustParseAddr("192.168.1.31")
	gateway = netip.MustParseAddr("203.0.113.10")
	pptpSrv = netip.MustParseAddr("203.0.113.20")
	public  = netip.MustParseAddr("198.51.100.7")
)

// IKE exchange types and payload types used in the checks.
const (
	v1MainMode  = 2
	v1QuickMode = 32
	v2IKESAInit = 34
	v2IKEAuth   = 35
	natdDraft   = 130
	natdRFC     = 20
	notifyFrag  = 16430
)

func count(c *samples.Capture, pred func(*samples.Frame) bool) int {
	n := 0
	for _, f := range c.Frames {
		if pred(f) {
			n++
		}
	}
	return n
}

func kind(k string) func(*samples.Frame) bool {
	return func(f *samples.Frame) bool { return f.Kind == k }
}

func and(ps ...func(*samples.Frame) bool) func(*samples.Frame) bool {
	return func(f *samples.Frame) bool {
		for _, p := range ps {
			if !p(f) {
				return false
			}
		}
		return true
	}
}

func from(a netip.Addr) func(*samples.Frame) bool {
	return func(f *samples.Frame) bool { return f.Src == a }
}

func to(a netip.Addr) func(*samples.Frame) bool {
	return func(f *samples.Frame) bool { return f.Dst == a }
}

func exchange(x uint8) func(*samples.Frame) bool {
	return func(f *samples.Frame) bool { return f.IKE != nil && f.IKE.Exchange == x }
}

func port(p uint16) func(*samples.Frame) bool {
	return func(f *samples.Frame) bool { return f.SrcPort == p || f.DstPort == p }
}

func first(c *samples.Capture, pred func(*samples.Frame) bool) *samples.Frame {
	for _, f := range c.Frames {
		if pred(f) {
			return f
		}
	}
	return nil
}

// natd returns the match results of a frame's NAT-D hashes: source then
// destination for IKEv2; for IKEv1 in payload order.
func natdMatches(f *samples.Frame) (src, dst []bool) {
	for _, n := range f.IKE.NATD {
		if n.Source {
			src = append(src, n.Match)
		} else {
			dst = append(dst, n.Match)
		}
	}
	return src, dst
}

func wantNATD(t *testing.T, where string, f *samples.Frame, src, dst bool) {
	t.Helper()
	if f == nil || f.IKE == nil {
		t.Errorf("%s: no such IKE frame", where)
		return
	}
	s, d := natdMatches(f)
	if len(s) == 0 || len(d) != 1 || s[0] != src || d[0] != dst {
		t.Errorf("%s: NAT-D source %v destination %v, want %v %v", where, s, d, src, dst)
	}
}

func wantCount(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: %d, want %d", what, got, want)
	}
}

func wantSome(t *testing.T, what string, got int) {
	t.Helper()
	if got == 0 {
		t.Errorf("%s: none", what)
	}
}

var stories = map[string]func(t *testing.T, in, out *samples.Capture){
	"natt-ok": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" raw ESP", count(c, kind(samples.KindESP)), 0)
			wantSome(t, c.File+" ESP in UDP from the client", count(c, and(kind(samples.KindUDPESP), to(gateway))))
			wantSome(t, c.File+" ESP in UDP from the gateway", count(c, and(kind(samples.KindUDPESP), from(gateway))))
			wantSome(t, c.File+" IKE_AUTH on 4500 with marker", count(c, and(exchange(v2IKEAuth), port(4500), func(f *samples.Frame) bool { return f.IKE.NonESPMarker })))
		}
		wantCount(t, "keepalives inside vs outside", count(in, kind(samples.KindNATKeepalive)), count(out, kind(samples.KindNATKeepalive)))
		wantSome(t, "keepalives", count(in, kind(samples.KindNATKeepalive)))
		wantCount(t, "frames inside vs outside (nothing dropped)", len(in.Frames), len(out.Frames))
		wantNATD(t, "inside IKE_SA_INIT request", first(in, and(exchange(v2IKESAInit), to(gateway))), true, true)
		wantNATD(t, "outside IKE_SA_INIT request", first(out, and(exchange(v2IKESAInit), to(gateway))), false, true)
		wantNATD(t, "inside IKE_SA_INIT response", first(in, and(exchange(v2IKESAInit), from(gateway))), true, false)
		wantNATD(t, "outside IKE_SA_INIT response", first(out, and(exchange(v2IKESAInit), from(gateway))), true, true)
	},
	"natt-ok-ikev1": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" Main Mode", count(c, exchange(v1MainMode)), 6)
			wantCount(t, c.File+" Quick Mode on 4500", count(c, and(exchange(v1QuickMode), port(4500))), 3)
			wantCount(t, c.File+" Main Mode on 4500 (MM5, MM6)", count(c, and(exchange(v1MainMode), port(4500))), 2)
			wantCount(t, c.File+" raw ESP", count(c, kind(samples.KindESP)), 0)
			wantSome(t, c.File+" ESP in UDP both ways", min(count(c, and(kind(samples.KindUDPESP), from(gateway))), count(c, and(kind(samples.KindUDPESP), to(gateway)))))
			mm1 := first(c, exchange(v1MainMode))
			if mm1 == nil || !hasVID(mm1, rfc3947) {
				t.Errorf("%s: MM1 without the RFC 3947 Vendor ID", c.File)
			}
			wantCount(t, c.File+" NAT-D (20) payloads", countNATD(c, natdRFC), 4)
		}
		wantSome(t, "keepalives", count(in, kind(samples.KindNATKeepalive)))
	},
	"natt-port-blocked": func(t *testing.T, in, out *samples.Capture) {
		wantCount(t, "inside IKE_AUTH transmissions", count(in, exchange(v2IKEAuth)), 6)
		wantCount(t, "outside IKE_AUTH", count(out, exchange(v2IKEAuth)), 0)
		wantCount(t, "outside anything on 4500", count(out, port(4500)), 0)
		wantSome(t, "inside keepalives", count(in, kind(samples.KindNATKeepalive)))
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" ESP", count(c, kind(samples.KindESP))+count(c, kind(samples.KindUDPESP)), 0)
		}
		n := 0
		for _, f := range in.Frames {
			if f.IKE != nil && f.IKE.Exchange == v2IKEAuth {
				if f.IKE.Retransmission != n || f.IKE.MessageID != 1 {
					t.Errorf("IKE_AUTH #%d: retransmission %d message ID %d", n, f.IKE.Retransmission, f.IKE.MessageID)
				}
				n++
			}
		}
	},
	"passthrough-ok": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" NAT-D", countNATD(c, natdRFC)+countNATD(c, natdDraft), 0)
			wantCount(t, c.File+" port 4500", count(c, port(4500)), 0)
			wantSome(t, c.File+" raw ESP from the gateway", count(c, and(kind(samples.KindESP), from(gateway))))
		}
		wantCount(t, "raw ESP inside vs outside", count(in, kind(samples.KindESP)), count(out, kind(samples.KindESP)))
		wantCount(t, "outside IKE not from port 500", count(out, and(kind(samples.KindIKE), to(gateway), func(f *samples.Frame) bool { return f.SrcPort != 500 })), 0)
	},
	"passthrough-off": func(t *testing.T, in, out *samples.Capture) {
		wantSome(t, "inside raw ESP from the client", count(in, and(kind(samples.KindESP), from(clientA))))
		wantCount(t, "outside ESP", count(out, kind(samples.KindESP)), 0)
		wantCount(t, "inside ESP from the gateway", count(in, and(kind(samples.KindESP), from(gateway))), 0)
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" Quick Mode", count(c, exchange(v1QuickMode)), 3)
		}
	},
	"passthrough-collision": func(t *testing.T, in, out *samples.Capture) {
		spis := map[uint32]bool{}
		for _, f := range out.Frames {
			if f.Kind == samples.KindESP && f.Src == gateway {
				spis[f.ESP.SPI] = true
			}
		}
		wantCount(t, "gateway SPIs outside", len(spis), 2)
		wantCount(t, "inside ESP to client B", count(in, and(kind(samples.KindESP), to(clientB))), 0)
		wantSome(t, "inside ESP from client B", count(in, and(kind(samples.KindESP), from(clientB))))
		got := map[uint32]bool{}
		for _, f := range in.Frames {
			if f.Kind == samples.KindESP && f.Dst == clientA {
				got[f.ESP.SPI] = true
			}
		}
		wantCount(t, "gateway SPIs delivered to client A", len(got), 2)
	},
	"natt-with-passthrough": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" raw ESP", count(c, kind(samples.KindESP)), 0)
		}
		wantCount(t, "outside client ports other than 500/4500", count(out, and(to(gateway), func(f *samples.Frame) bool {
			return f.Kind != samples.KindOther && f.SrcPort != 500 && f.SrcPort != 4500
		})), 0)
		wantNATD(t, "outside IKE_SA_INIT request", first(out, and(exchange(v2IKESAInit), to(gateway))), false, true)
	},
	"ike-alg-rewrite": func(t *testing.T, in, out *samples.Capture) {
		ri := first(in, and(exchange(v2IKESAInit), from(clientA)))
		ro := first(out, and(exchange(v2IKESAInit), to(gateway)))
		if ri == nil || ro == nil {
			t.Fatal("IKE_SA_INIT request missing")
		}
		if !bytes.Equal(ri.IKE.Nonce, ro.IKE.Nonce) || ri.IKE.SPIi == ro.IKE.SPIi {
			t.Errorf("IKE_SA_INIT: nonce equal %v, SPIi %016x inside %016x outside; want same nonce, different SPIi",
				bytes.Equal(ri.IKE.Nonce, ro.IKE.Nonce), ri.IKE.SPIi, ro.IKE.SPIi)
		}
		if ro.SrcPort != 500 {
			t.Errorf("outside source port %d, want 500 (static)", ro.SrcPort)
		}
		wantCount(t, "client B IKE_SA_INIT inside", count(in, and(exchange(v2IKESAInit), from(clientB))), 6)
		wantCount(t, "IKE_SA_INIT requests outside", count(out, and(exchange(v2IKESAInit), to(gateway))), 1)
		wantNATD(t, "outside IKE_SA_INIT request", ro, false, false)
		wantNATD(t, "inside IKE_SA_INIT response", first(in, and(exchange(v2IKESAInit), from(gateway))), false, false)
		wantCount(t, "IKE_AUTH responses", count(out, and(exchange(v2IKEAuth), from(gateway))), 0)
	},
	"ike-fragments-dropped": func(t *testing.T, in, out *samples.Capture) {
		wantCount(t, "inside fragments (first of each)", count(in, kind(samples.KindIPFragment)), 6)
		wantCount(t, "inside reassembled IKE_AUTH", count(in, and(exchange(v2IKEAuth), func(f *samples.Frame) bool { return f.Fragments == 2 })), 6)
		wantCount(t, "outside fragments", count(out, kind(samples.KindIPFragment)), 6)
		wantCount(t, "outside IKE_AUTH", count(out, exchange(v2IKEAuth)), 0)
		req := first(in, and(exchange(v2IKESAInit), from(clientA)))
		resp := first(in, and(exchange(v2IKESAInit), from(gateway)))
		if req == nil || resp == nil || !hasNotify(req, notifyFrag) || hasNotify(resp, notifyFrag) {
			t.Error("want IKEV2_FRAGMENTATION_SUPPORTED from the client only")
		}
	},
	"nat-rebinding": func(t *testing.T, in, out *samples.Capture) {
		ports := map[uint16]bool{}
		for _, f := range out.Frames {
			if f.Kind == samples.KindUDPESP && f.Dst == gateway {
				ports[f.SrcPort] = true
			}
		}
		wantCount(t, "public ports of the client's ESP", len(ports), 2)
		wantCount(t, "keepalives", count(in, kind(samples.KindNATKeepalive)), 0)
		lost := count(out, and(from(gateway), func(f *samples.Frame) bool { return f.Kind != samples.KindOther })) -
			count(in, and(from(gateway), func(f *samples.Frame) bool { return f.Kind != samples.KindOther }))
		wantCount(t, "gateway packets seen outside only (4 ESP, 4 INFORMATIONAL responses)", lost, 8)
	},
	"mixed-encapsulation": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantSome(t, c.File+" raw ESP from the client", count(c, and(kind(samples.KindESP), to(gateway))))
			wantCount(t, c.File+" raw ESP from the gateway", count(c, and(kind(samples.KindESP), from(gateway))), 0)
			wantSome(t, c.File+" ESP in UDP from the gateway", count(c, and(kind(samples.KindUDPESP), from(gateway))))
			wantCount(t, c.File+" ESP in UDP from the client", count(c, and(kind(samples.KindUDPESP), to(gateway))), 0)
		}
	},
	"forced-encapsulation": func(t *testing.T, in, out *samples.Capture) {
		wantCount(t, "frames inside vs outside", len(in.Frames), len(out.Frames))
		byPacket := map[int]*samples.Frame{}
		for _, f := range out.Frames {
			byPacket[f.Packet] = f
		}
		for _, a := range in.Frames {
			b := byPacket[a.Packet]
			if b == nil {
				t.Errorf("frame %d: not forwarded", a.Number)
				continue
			}
			if a.Src != b.Src || a.Dst != b.Dst || a.SrcPort != b.SrcPort || a.DstPort != b.DstPort {
				t.Errorf("frame %d: %v:%d→%v:%d inside, %v:%d→%v:%d outside", a.Number, a.Src, a.SrcPort, a.Dst, a.DstPort, b.Src, b.SrcPort, b.Dst, b.DstPort)
			}
		}
		for _, c := range []*samples.Capture{in, out} {
			wantNATD(t, c.File+" IKE_SA_INIT request", first(c, and(exchange(v2IKESAInit), to(gateway))), false, true)
			wantNATD(t, c.File+" IKE_SA_INIT response", first(c, and(exchange(v2IKESAInit), from(gateway))), true, true)
			wantSome(t, c.File+" ESP in UDP", count(c, kind(samples.KindUDPESP)))
			wantCount(t, c.File+" keepalives", count(c, kind(samples.KindNATKeepalive)), 0)
		}
	},
	"ah-through-nat": func(t *testing.T, in, out *samples.Capture) {
		wantSome(t, "inside AH", count(in, and(kind(samples.KindAH), from(clientA))))
		wantCount(t, "AH inside vs outside", count(in, kind(samples.KindAH)), count(out, and(kind(samples.KindAH), from(public))))
		wantCount(t, "AH from the gateway", count(out, and(kind(samples.KindAH), from(gateway))), 0)
	},
	"ikev1-natt-draft-mismatch": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" draft NAT-D (130)", countNATD(c, natdDraft), 2)
			wantCount(t, c.File+" RFC NAT-D (20)", countNATD(c, natdRFC), 0)
			wantCount(t, c.File+" port 4500", count(c, port(4500)), 0)
			mm := make([]*samples.Frame, 0, 2)
			for _, f := range c.Frames {
				if f.IKE != nil && f.IKE.Exchange == v1MainMode && len(mm) < 2 {
					mm = append(mm, f)
				}
			}
			if len(mm) != 2 || hasVID(mm[0], rfc3947) || !hasVID(mm[1], rfc3947) || !hasVID(mm[0], draft02) || hasVID(mm[1], draft02) {
				t.Errorf("%s: want draft-02 VIDs only in MM1 and RFC 3947 only in MM2", c.File)
			}
		}
		wantSome(t, "inside raw ESP", count(in, kind(samples.KindESP)))
		wantCount(t, "outside raw ESP", count(out, kind(samples.KindESP)), 0)
		wantNATD(t, "inside MM3", first(in, func(f *samples.Frame) bool { return f.IKE != nil && len(f.IKE.NATD) > 0 }), true, true)
		wantNATD(t, "outside MM3", first(out, func(f *samples.Frame) bool { return f.IKE != nil && len(f.IKE.NATD) > 0 }), false, true)
	},
	"pptp-ok": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" PPTP control messages", count(c, kind(samples.KindPPTP)), 9)
			wantSome(t, c.File+" GRE from the server", count(c, and(kind(samples.KindGRE), from(pptpSrv))))
		}
		wantCount(t, "GRE inside vs outside", count(in, kind(samples.KindGRE)), count(out, kind(samples.KindGRE)))
	},
	"pptp-gre-blocked": func(t *testing.T, in, out *samples.Capture) {
		wantCount(t, "inside GRE from the server", count(in, and(kind(samples.KindGRE), from(pptpSrv))), 0)
		wantSome(t, "outside GRE from the server", count(out, and(kind(samples.KindGRE), from(pptpSrv))))
		wantCount(t, "client LCP attempts inside", count(in, and(kind(samples.KindGRE), from(clientA))), 10)
		for _, f := range in.Frames {
			if f.Kind == samples.KindGRE && f.GRE.HasAck {
				t.Errorf("frame %d: client GRE acknowledges %d, but it never received any", f.Number, f.GRE.Ack)
			}
		}
	},
	"pptp-callid-collision": func(t *testing.T, in, out *samples.Capture) {
		wantCount(t, "inside GRE to client B", count(in, and(kind(samples.KindGRE), to(clientB))), 0)
		wantSome(t, "inside GRE from client B", count(in, and(kind(samples.KindGRE), from(clientB))))
		zero := count(in, and(kind(samples.KindGRE), to(clientA), func(f *samples.Frame) bool { return f.GRE.HasSeq && f.GRE.Seq == 0 }))
		wantCount(t, "GRE streams starting at sequence 0 delivered to client A", zero, 2)
	},
	"ike-over-tcp": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" IKE_SA_INIT on UDP", count(c, and(exchange(v2IKESAInit), func(f *samples.Frame) bool { return !f.IKE.TCP && f.Proto == 17 })), 5)
			wantSome(t, c.File+" IKE over TCP", count(c, func(f *samples.Frame) bool { return f.IKE != nil && f.IKE.TCP }))
			wantSome(t, c.File+" ESP over TCP from the gateway", count(c, and(kind(samples.KindTCPESP), from(gateway))))
			wantSome(t, c.File+" ESP over TCP to the gateway", count(c, and(kind(samples.KindTCPESP), to(gateway))))
		}
	},
}

// TestStories runs the checks above and makes sure every scenario has one.
func TestStories(t *testing.T) {
	rs, err := samples.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		t.Run(r.Name, func(t *testing.T) {
			if r.Name == "no-nat" {
				c := r.Captures[0]
				if len(r.Captures) != 1 {
					t.Fatalf("%d captures, want 1", len(r.Captures))
				}
				for _, f := range c.Frames {
					if f.IKE == nil {
						continue
					}
					for _, n := range f.IKE.NATD {
						if !n.Match {
							t.Errorf("frame %d: NAT-D mismatch without NAT", f.Number)
						}
					}
				}
				wantCount(t, "port 4500", count(c, port(4500)), 0)
				wantSome(t, "raw ESP both ways", min(count(c, and(kind(samples.KindESP), from(gateway))), count(c, and(kind(samples.KindESP), to(gateway)))))
				return
			}
			check, ok := stories[r.Name]
			if !ok {
				check, ok = moreStories[r.Name]
			}
			if !ok {
				t.Fatal("no story check for this scenario")
			}
			switch len(r.Captures) {
			case 1:
				// A capture taken behind the NAT only.
				check(t, r.Captures[0], nil)
			case 2:
				check(t, r.Captures[0], r.Captures[1])
			default:
				t.Fatalf("%d captures, want 1 or 2", len(r.Captures))
			}
		})
	}
}

var (
	rfc3947 = []byte{0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f}
	draft02 = []byte{0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8, 0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48}
)

func hasVID(f *samples.Frame, v []byte) bool {
	for _, x := range f.IKE.VendorIDs {
		if bytes.Equal(x, v) {
			return true
		}
	}
	return false
}

func hasNotify(f *samples.Frame, n uint16) bool {
	for _, x := range f.IKE.Notifies {
		if x == n {
			return true
		}
	}
	return false
}

func countNATD(c *samples.Capture, payloadType uint8) int {
	n := 0
	for _, f := range c.Frames {
		if f.IKE == nil {
			continue
		}
		for _, d := range f.IKE.NATD {
			if d.PayloadType == payloadType {
				n++
			}
		}
	}
	return n
}
