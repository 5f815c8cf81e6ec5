package samples_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/samples"
)

// The story checks of the scenarios that make the remaining rules fire: as
// in story_test.go, the facts each README states, read from the manifests.

// More exchange, notify and payload numbers (RFC 2408, RFC 7296).
const (
	v1Informational   = 5
	v2Informational   = 37
	notifyNoProposal  = 14
	notifyInvalidKE   = 17
	payloadSAv1       = 1
	payloadNATOA      = 21
	pptpOutgoingCallQ = 7
)

// pairs returns the inside and outside copies of each packet seen in both
// captures, by packet.
func pairs(in, out *samples.Capture) map[int][2]*samples.Frame {
	m := map[int][2]*samples.Frame{}
	for ci, c := range []*samples.Capture{in, out} {
		for _, f := range c.Frames {
			if f.Fragment != nil && f.Fragments == 0 {
				continue
			}
			p := m[f.Packet]
			p[ci] = f
			m[f.Packet] = p
		}
	}
	for k, p := range m {
		if p[0] == nil || p[1] == nil {
			delete(m, k)
		}
	}
	return m
}

// espSeqs returns the sequence numbers of an SPI in capture order.
func espSeqs(c *samples.Capture, spi uint32) []uint32 {
	var out []uint32
	for _, f := range c.Frames {
		if f.ESP != nil && f.ESP.SPI == spi {
			out = append(out, f.ESP.Seq)
		}
	}
	return out
}

var moreStories = map[string]func(t *testing.T, in, out *samples.Capture){
	"ike-no-proposal-chosen": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			resp := first(c, and(exchange(v2IKESAInit), from(gateway)))
			if resp == nil || !hasNotify(resp, notifyNoProposal) || len(resp.IKE.Notifies) != 1 || resp.IKE.SPIr != 0 {
				t.Errorf("%s: want an IKE_SA_INIT response with NO_PROPOSAL_CHOSEN only and a zero SPIr", c.File)
			}
			wantCount(t, c.File+" IKE_AUTH", count(c, exchange(v2IKEAuth)), 0)
			wantCount(t, c.File+" IKE_SA_INIT requests", count(c, and(exchange(v2IKESAInit), to(gateway))), 1)
		}
	},
	"ike-invalid-ke-retry": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			var reqs []*samples.Frame
			for _, f := range c.Frames {
				if f.IKE != nil && f.IKE.Exchange == v2IKESAInit && f.Dst == gateway {
					reqs = append(reqs, f)
				}
			}
			if len(reqs) != 2 || reqs[0].IKE.SPIi != reqs[1].IKE.SPIi || reqs[0].IKE.KEGroup != 31 || reqs[1].IKE.KEGroup != 14 {
				t.Errorf("%s: want two IKE_SA_INIT requests, same SPIi, KE groups 31 then 14", c.File)
			}
			resp := first(c, and(exchange(v2IKESAInit), from(gateway)))
			if resp == nil || !hasNotify(resp, notifyInvalidKE) || resp.IKE.SPIr != 0 {
				t.Errorf("%s: first response is not INVALID_KE_PAYLOAD with a zero SPIr", c.File)
			}
			wantSome(t, c.File+" ESP in UDP from the gateway", count(c, and(kind(samples.KindUDPESP), from(gateway))))
		}
	},
	"windows-server-behind-nat": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" Main Mode", count(c, exchange(v1MainMode)), 4)
			wantCount(t, c.File+" Quick Mode", count(c, exchange(v1QuickMode)), 0)
			mm1 := first(c, exchange(v1MainMode))
			if mm1 == nil || len(mm1.IKE.VendorIDs) == 0 || len(mm1.IKE.VendorIDs[0]) != 20 {
				t.Errorf("%s: MM1 without the MS NT5 ISAKMPOAKLEY Vendor ID first", c.File)
			}
		}
		// The server's hash of its own address never matches: its NAT is
		// beyond both captures.
		mm4 := first(out, and(exchange(v1MainMode), from(gateway), func(f *samples.Frame) bool { return len(f.IKE.NATD) > 0 }))
		if s, d := natdMatches(mm4); len(s) != 1 || s[0] || len(d) != 1 || !d[0] {
			t.Errorf("outside MM4 NAT-D: source %v destination %v, want mismatch, match", s, d)
		}
	},
	"nat-clients-sa-collision": func(t *testing.T, in, out *samples.Capture) {
		// Client A's inbound SPI: the first ESP from the gateway to A.
		fa := first(in, and(kind(samples.KindUDPESP), from(gateway), to(clientA)))
		if fa == nil {
			t.Fatal("no ESP to client A")
		}
		wantSome(t, "client A's inbound SPI delivered to client B", count(in, and(to(clientB), func(f *samples.Frame) bool {
			return f.ESP != nil && f.ESP.SPI == fa.ESP.SPI
		})))
		ports := map[uint16]bool{}
		for _, f := range out.Frames {
			if f.ESP != nil && f.ESP.SPI == fa.ESP.SPI {
				ports[f.DstPort] = true
			}
		}
		wantCount(t, "public ports client A's inbound SPI is sent to", len(ports), 2)
	},
	"ike-back-to-port-500": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			back := count(c, and(exchange(v1Informational), func(f *samples.Frame) bool { return !f.IKE.NonESPMarker }))
			wantCount(t, c.File+" Informational without the marker (the DPD on 500)", back, 2)
			wantSome(t, c.File+" Main Mode 5/6 behind the marker", count(c, and(exchange(v1MainMode), func(f *samples.Frame) bool { return f.IKE.NonESPMarker })))
		}
		wantCount(t, "inside Informational on port 500", count(in, and(exchange(v1Informational), port(500))), 2)
	},
	"port-forward-4500-to-500": func(t *testing.T, in, out *samples.Capture) {
		server := first(in, exchange(v2IKESAInit)).Dst
		wantCount(t, "inside IKE_AUTH to the server's port 500 with the marker", count(in, and(exchange(v2IKEAuth), to(server),
			func(f *samples.Frame) bool { return f.DstPort == 500 && f.IKE.NonESPMarker })), 6)
		wantCount(t, "outside IKE_AUTH to port 4500", count(out, and(exchange(v2IKEAuth), func(f *samples.Frame) bool { return f.DstPort == 4500 })), 6)
		wantCount(t, "IKE_AUTH responses", count(in, and(exchange(v2IKEAuth), from(server))), 0)
	},
	"esp-loss-reorder-upstream": func(t *testing.T, in, out *samples.Capture) {
		fa := first(out, and(kind(samples.KindUDPESP), from(gateway)))
		si, so := espSeqs(in, fa.ESP.SPI), espSeqs(out, fa.ESP.SPI)
		if !slices.Equal(si, so) {
			t.Errorf("the gateway's ESP differs between the captures: %v inside, %v outside", si, so)
		}
		gaps, back := 0, 0
		for i := 1; i < len(so); i++ {
			switch {
			case so[i] < so[i-1]:
				back++
			case so[i] > so[i-1]+1:
				gaps++
			}
		}
		if gaps == 0 || back != 2 {
			t.Errorf("outside: %d gaps and %d late packets, want some gaps and 2 late", gaps, back)
		}
	},
	"capture-mid-session": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" IKE", count(c, kind(samples.KindIKE)), 0)
			wantCount(t, c.File+" PPTP control", count(c, kind(samples.KindPPTP)), 0)
			wantSome(t, c.File+" GRE", count(c, kind(samples.KindGRE)))
			f := first(c, kind(samples.KindUDPESP))
			if f == nil || f.ESP.Seq <= 1 {
				t.Errorf("%s: first ESP %+v, want one numbered above 1", c.File, f)
			}
		}
	},
	"passthrough-spi-matching": func(t *testing.T, in, out *samples.Capture) {
		owner := map[uint32]map[string]bool{}
		for _, f := range in.Frames {
			if f.Kind == samples.KindESP && f.Src == gateway {
				if owner[f.ESP.SPI] == nil {
					owner[f.ESP.SPI] = map[string]bool{}
				}
				owner[f.ESP.SPI][f.Dst.String()] = true
			}
		}
		hosts := map[string]bool{}
		for spi, h := range owner {
			if len(h) != 1 {
				t.Errorf("SPI %#x delivered to %d hosts", spi, len(h))
			}
			for a := range h {
				hosts[a] = true
			}
		}
		wantCount(t, "inside hosts receiving raw ESP", len(hosts), 2)
		wantCount(t, "gateway ESP outside vs inside", count(out, and(kind(samples.KindESP), from(gateway))), count(in, and(kind(samples.KindESP), from(gateway))))
	},
	"natt-not-floated": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			wantCount(t, c.File+" port 4500", count(c, port(4500)), 0)
			wantCount(t, c.File+" NAT-D (20) payloads", countNATD(c, natdRFC), 4)
			wantCount(t, c.File+" Quick Mode on 500", count(c, and(exchange(v1QuickMode), port(500))), 3)
		}
		wantSome(t, "inside raw ESP", count(in, kind(samples.KindESP)))
		wantCount(t, "outside ESP", count(out, kind(samples.KindESP)), 0)
	},
	"natt-keepalive-off": func(t *testing.T, in, out *samples.Capture) {
		wantCount(t, "keepalives", count(in, kind(samples.KindNATKeepalive)), 0)
		var last time.Time
		gap := time.Duration(0)
		for _, f := range in.Frames {
			if f.Kind == samples.KindUDPESP || f.Kind == samples.KindIKE {
				if !last.IsZero() {
					gap = max(gap, f.Time.Sub(last))
				}
				last = f.Time
			}
		}
		if gap < 50*time.Second {
			t.Errorf("longest silence of the tunnel %v, want over 50 s", gap)
		}
		ports := map[uint16]bool{}
		for _, f := range out.Frames {
			if f.Kind == samples.KindUDPESP && f.Dst == gateway {
				ports[f.SrcPort] = true
			}
		}
		wantCount(t, "public ports of the client's ESP", len(ports), 1)
	},
	"ike-esp-split-mapping": func(t *testing.T, in, out *samples.Capture) {
		ike := first(out, and(exchange(v2IKEAuth), to(gateway)))
		esp := first(out, and(kind(samples.KindUDPESP), to(gateway)))
		if ike == nil || esp == nil || ike.SrcPort == esp.SrcPort {
			t.Errorf("outside: IKE and ESP from the same public port, want two")
		}
		wantSome(t, "outside gateway ESP to the IKE port", count(out, and(kind(samples.KindUDPESP), from(gateway),
			func(f *samples.Frame) bool { return f.DstPort == ike.SrcPort })))
		wantCount(t, "inside gateway ESP", count(in, and(kind(samples.KindUDPESP), from(gateway))), 0)
	},
	"transport-mode-without-natoa": func(t *testing.T, in, out *samples.Capture) {
		for _, c := range []*samples.Capture{in, out} {
			qm := 0
			for _, f := range c.Frames {
				if f.IKE == nil {
					continue
				}
				if slices.Contains(f.IKE.Payloads, payloadNATOA) {
					t.Errorf("%s frame %d: NAT-OA payload", c.File, f.Number)
				}
				if f.IKE.Exchange == v1QuickMode {
					qm++
					if f.IKE.Encrypted {
						t.Errorf("%s frame %d: Quick Mode encrypted, want it decrypted", c.File, f.Number)
					}
				}
			}
			wantCount(t, c.File+" Quick Mode", qm, 3)
			q1 := first(c, exchange(v1QuickMode))
			if q1 == nil || !slices.Contains(q1.IKE.Payloads, payloadSAv1) {
				t.Errorf("%s: Quick Mode 1 without an SA payload", c.File)
			}
		}
	},
	"esp-fragments-dropped": func(t *testing.T, in, out *samples.Capture) {
		wantSome(t, "inside datagrams never completed", count(in, func(f *samples.Frame) bool { return f.Incomplete }))
		wantCount(t, "outside datagrams never completed", count(out, func(f *samples.Frame) bool { return f.Incomplete }), 0)
		wantSome(t, "outside ESP in UDP reassembled from two fragments", count(out, and(kind(samples.KindUDPESP), func(f *samples.Frame) bool { return f.Fragments == 2 })))
	},
	"pptp-alg-half-translation": func(t *testing.T, in, out *samples.Capture) {
		isOCRQ := func(f *samples.Frame) bool { return f.PPTP != nil && f.PPTP.Type == pptpOutgoingCallQ }
		qi, qo := first(in, isOCRQ), first(out, isOCRQ)
		if qi == nil || qo == nil || qi.PPTP.CallID == qo.PPTP.CallID {
			t.Fatal("the helper did not translate the call ID of the Outgoing-Call-Request")
		}
		wantSome(t, "inside GRE to the client keyed with the translated call ID", count(in, and(kind(samples.KindGRE), to(clientA),
			func(f *samples.Frame) bool { return f.GRE.CallID == qo.PPTP.CallID })))
		wantCount(t, "inside GRE to the client keyed with its own call ID", count(in, and(kind(samples.KindGRE), to(clientA),
			func(f *samples.Frame) bool { return f.GRE.CallID == qi.PPTP.CallID })), 0)
	},
	"pptp-gre-loss-at-nat": func(t *testing.T, in, out *samples.Capture) {
		gi, gout := count(in, and(kind(samples.KindGRE), from(pptpSrv))), count(out, and(kind(samples.KindGRE), from(pptpSrv)))
		if gi >= gout {
			t.Errorf("the server's GRE: %d inside, %d outside; want some lost at the NAT", gi, gout)
		}
		wantCount(t, "the client's GRE inside vs outside", count(in, and(kind(samples.KindGRE), to(pptpSrv))), count(out, and(kind(samples.KindGRE), to(pptpSrv))))
	},
	"capture-truncated": func(t *testing.T, in, out *samples.Capture) {
		if !in.Truncated || out.Truncated || len(in.Frames) >= len(out.Frames) {
			t.Errorf("truncated inside %v (%d frames), outside %v (%d frames); want the inside file cut short", in.Truncated, len(in.Frames), out.Truncated, len(out.Frames))
		}
	},
	"capture-snaplen": func(t *testing.T, in, out *samples.Capture) {
		if in.SnapLen != 262144 || out.SnapLen != 96 {
			t.Errorf("snap lengths %d, %d; want 262144 inside, 96 outside", in.SnapLen, out.SnapLen)
		}
		wantSome(t, "outside frames cut", count(out, func(f *samples.Frame) bool { return f.CapLen < f.Length }))
		wantCount(t, "inside frames cut", count(in, func(f *samples.Frame) bool { return f.CapLen < f.Length }), 0)
	},
	"captures-not-comparable": func(t *testing.T, in, out *samples.Capture) {
		wantCount(t, "packets in both captures", len(pairs(in, out)), 0)
		if end, start := in.Frames[len(in.Frames)-1].Time, out.Frames[0].Time.Add(-15*time.Second); !end.Before(start) {
			t.Errorf("the inside capture ends at %v, after the outside one starts (%v, skew at most 12 s)", end, start)
		}
	},
	"capture-clock-drift": func(t *testing.T, in, out *samples.Capture) {
		var offs []time.Duration
		var times []time.Time
		for _, p := range pairs(in, out) {
			offs = append(offs, p[1].Time.Sub(p[0].Time))
			times = append(times, p[0].Time)
		}
		lo, hi := 0, 0
		for i := range times {
			if times[i].Before(times[lo]) {
				lo = i
			}
			if times[i].After(times[hi]) {
				hi = i
			}
		}
		span := times[hi].Sub(times[lo])
		drift := float64(offs[hi]-offs[lo]) / float64(span) * 1e6
		if drift < 1900 || drift > 2100 {
			t.Errorf("offset grows by %.0f ppm over %v, want about 2000", drift, span)
		}
	},
	"flow-table-overflow": func(t *testing.T, in, out *samples.Capture) {
		conv := map[[2]uint16]bool{}
		for _, f := range in.Frames {
			if f.Kind == samples.KindOther && f.Src == clientA {
				conv[[2]uint16{f.SrcPort, f.DstPort}] = true
			}
		}
		if len(conv) <= 16 {
			t.Errorf("%d conversations besides the tunnel, want more than the 16 flows the table keeps", len(conv))
		}
	},
	"capture-one-direction": func(t *testing.T, c, _ *samples.Capture) {
		wantCount(t, "frames not sent by the client", count(c, func(f *samples.Frame) bool { return f.Src != clientA }), 0)
		wantSome(t, "IKE_AUTH requests", count(c, exchange(v2IKEAuth)))
		wantSome(t, "ESP in UDP", count(c, kind(samples.KindUDPESP)))
	},
}
