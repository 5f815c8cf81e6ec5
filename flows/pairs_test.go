package flows

import (
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// tunnelPackets returns the packets of a capture that belong to its first
// tunnel: IKE messages and ESP of its SAs.
func tunnelPackets(a *Analysis, pkts []decode.Packet) []decode.Packet {
	var out []decode.Packet
	tun := a.Tunnels[0]
	for i := range pkts {
		p := &pkts[i]
		switch {
		case p.IKE != nil && a.TunnelOf(p.IKE) == tun:
		case a.SAOf(p) != nil && a.SAOf(p).Tunnel == tun.ID:
		default:
			continue
		}
		out = append(out, *p)
	}
	return out
}

func TestPairMatchesAndLocatesDrops(t *testing.T) {
	inside := nattInside(20)
	// Drop the inside→outside ESP with an odd sequence number.
	nat := pt.NAT{Map: nattNAT, Offset: 4 * time.Second, Delay: time.Millisecond,
		Drop: func(i int, p *decode.Packet) bool {
			return p.Kind == decode.KindUDPESP && p.ESP.SPI == 0xc0ffee01 && p.ESP.Seq%2 == 1
		}}
	outside := nat.Translate(inside)
	c := Correlate(Packets("in.pcap", inside), Packets("out.pcap", outside), CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	in, out := tunnelPackets(c.Inside, inside), tunnelPackets(c.Outside, outside)
	pairs := c.Pair(in, out)

	var matched, dropped, outsideOnly int
	for i, p := range pairs {
		switch {
		case p.Matched():
			matched++
			pi, po := in[p.Inside], out[p.Outside]
			if pi.Kind == decode.KindIKE && pi.IKE.MessageID != po.IKE.MessageID {
				t.Errorf("pair %d: IKE message %d matched with %d", i, pi.IKE.MessageID, po.IKE.MessageID)
			}
			if pi.Kind == decode.KindUDPESP && (pi.ESP != po.ESP) {
				t.Errorf("pair %d: ESP %+v matched with %+v", i, pi.ESP, po.ESP)
			}
			if p.Modified {
				t.Errorf("pair %d: modified, want unmodified", i)
			}
		case p.Inside >= 0:
			dropped++
			if pi := in[p.Inside]; pi.ESP.SPI != 0xc0ffee01 || pi.ESP.Seq%2 != 1 {
				t.Errorf("pair %d: unmatched inside packet %+v, want an odd outbound ESP", i, pi.ESP)
			}
			if !p.Compared {
				t.Errorf("pair %d: not compared, want compared", i)
			}
		default:
			outsideOnly++
		}
		if i > 0 && p.Time.Before(pairs[i-1].Time) {
			t.Errorf("pair %d at %v comes before pair %d at %v", i, p.Time, i-1, pairs[i-1].Time)
		}
	}
	// 4 IKE + 20 inbound ESP + 10 even outbound ESP cross; 10 odd ones do not.
	if matched != 34 || dropped != 10 || outsideOnly != 0 {
		t.Errorf("Pair: %d matched, %d dropped, %d outside only; want 34, 10, 0", matched, dropped, outsideOnly)
	}
	if len(pairs) != len(in) {
		t.Errorf("Pair: %d rows, want %d (one per inside packet)", len(pairs), len(in))
	}
}

func TestPairMarksRewrittenSPIs(t *testing.T) {
	inside := nattInside(3)
	nat := pt.NAT{Map: nattNAT, Offset: time.Second, Delay: time.Millisecond,
		Rewrite: func(p *decode.Packet) {
			if p.IKE != nil && p.SrcPort == 500 {
				m := *p.IKE
				m.SPIi ^= 0xffff
				p.IKE = &m
			}
		}}
	outside := nat.Translate(inside)
	c := Correlate(Packets("in.pcap", inside), Packets("out.pcap", outside), CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	var in, out []decode.Packet
	for _, p := range inside {
		if p.Kind == decode.KindIKE {
			in = append(in, p)
		}
	}
	for _, p := range outside {
		if p.Kind == decode.KindIKE {
			out = append(out, p)
		}
	}
	pairs := c.Pair(in, out)
	modified := 0
	for _, p := range pairs {
		if !p.Matched() {
			t.Errorf("pair %+v: unmatched, want every IKE message matched", p)
			continue
		}
		if p.Modified {
			modified++
		}
	}
	// The IKE_SA_INIT request and response are sent from port 500 and
	// rewritten; IKE_AUTH on 4500 is not.
	if modified != 2 {
		t.Errorf("Pair: %d modified pairs, want 2", modified)
	}
}

func TestPairWithoutClockComparesNothing(t *testing.T) {
	inside := nattInside(2)
	c := Correlate(Packets("in.pcap", inside), Packets("empty.pcap", nil), CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	pairs := c.Pair(inside, nil)
	if len(pairs) != len(inside) {
		t.Fatalf("Pair: %d rows, want %d", len(pairs), len(inside))
	}
	for _, p := range pairs {
		if p.Compared || p.Matched() {
			t.Errorf("pair %+v: compared or matched without a clock estimate", p)
		}
	}
}
