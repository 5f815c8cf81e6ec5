package flows

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/capture"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// nattInside scripts, as the inside capture sees it, an IKEv2 client
// 10.0.0.2 behind a NAT reaching 198.51.100.7, with NAT-T, UDP-encapsulated
// ESP both ways for n seconds, keepalives and DNS background traffic.
func nattInside(seconds int) []decode.Packet {
	s := pt.New()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator,
		NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}}, 1)
	s.IKE(resp, ini, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 34, Flags: decode.IKEv2FlagResponse,
		NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMismatch)}}, 2)
	i4, r4 := "10.0.0.2:4500", "198.51.100.7:4500"
	s.IKE(i4, r4, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator}, 3)
	s.IKE(r4, i4, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagResponse}, 4)
	seq := uint32(0)
	for sec := 0; sec < seconds; sec++ {
		seq++
		s.ESP(i4, r4, 0xc0ffee01, seq)
		s.ESP(r4, i4, 0xc0ffee02, seq)
		s.Other(17, "10.0.0.2:53000", "192.0.2.53:53", uint64(sec)<<8|1)
		if sec%20 == 19 {
			s.Keepalive(i4, r4)
		}
		s.After(time.Second)
	}
	return s.Packets
}

var nattNAT = map[string]string{
	"10.0.0.2:500":   "203.0.113.5:500",
	"10.0.0.2:4500":  "203.0.113.5:62001",
	"10.0.0.2:53000": "203.0.113.5:41000",
}

func TestCorrelateNATT(t *testing.T) {
	inside := nattInside(60)
	nat := pt.NAT{Map: nattNAT, Offset: 7300 * time.Millisecond, Delay: time.Millisecond}
	outside := nat.Translate(inside)
	// Given in the wrong order: the correlation must tell which is which.
	c := Correlate(Packets("out.pcap", outside), Packets("in.pcap", inside), CorrelateOptions{Decode: decode.Options{KeepOther: true}})
	if c.Inside.Capture.Path != "in.pcap" || !c.Swapped {
		t.Fatalf("inside = %s (swapped %v), want in.pcap; roles: %s", c.Inside.Capture.Path, c.Swapped, c.Roles)
	}
	if d := absDur(c.Offset - 7301*time.Millisecond); d > 2*time.Millisecond {
		t.Errorf("offset = %v, want 7.301s", c.Offset)
	}
	if c.Matched != len(inside) || c.Unmatched != [2]int{} {
		t.Errorf("matched %d unmatched %v, want %d, none", c.Matched, c.Unmatched, len(inside))
	}
	if len(c.TunnelPairs) != 1 || c.TunnelPairs[0].SPIRewritten {
		t.Errorf("tunnel pairs = %+v, want one, not rewritten", c.TunnelPairs)
	}
	want := map[string]string{
		"udp 10.0.0.2:500":   "203.0.113.5:500",
		"udp 10.0.0.2:4500":  "203.0.113.5:62001",
		"udp 10.0.0.2:53000": "203.0.113.5:41000",
	}
	got := map[string]string{}
	for _, m := range c.Mappings {
		got[decode.ProtoName(m.Protocol)+" "+m.Inside.String()] = m.Outside.String()
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("mapping %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	in, out := c.Inside.Tunnels[0], c.Outside.Tunnels[0]
	if in.NAT() != NATInitiator || out.NAT() != NATInitiator {
		t.Errorf("NAT inside %v outside %v, want initiator on both", in.NAT(), out.NAT())
	}
	if in.Fate().Forwarded != 4 || in.Fate().Dropped != 0 {
		t.Errorf("inside tunnel IKE fate %+v, want 4 forwarded", in.Fate())
	}
}

// TestCorrelateRolesDoubt gives the roles: the correlation keeps them, and
// says so when the captures show the opposite.
func TestCorrelateRolesDoubt(t *testing.T) {
	inside := nattInside(20)
	nat := pt.NAT{Map: nattNAT, Delay: time.Millisecond}
	outside := nat.Translate(inside)
	opts := CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}}
	c := Correlate(Packets("in.pcap", inside), Packets("out.pcap", outside), opts)
	if c.RolesDoubt != "" || c.Swapped {
		t.Errorf("roles given right: doubt %q, swapped %v; want none", c.RolesDoubt, c.Swapped)
	}
	c = Correlate(Packets("out.pcap", outside), Packets("in.pcap", inside), opts)
	if c.Swapped || c.Inside.Capture.Path != "out.pcap" {
		t.Errorf("roles given wrong: inside %s, swapped %v; want the roles kept", c.Inside.Capture.Path, c.Swapped)
	}
	if !strings.HasPrefix(c.RolesDoubt, "in.pcap is inside (") {
		t.Errorf("roles given wrong: doubt %q, want it to say in.pcap is inside", c.RolesDoubt)
	}
}

func TestCorrelateLocatesDrops(t *testing.T) {
	inside := nattInside(30)
	// The NAT drops everything on 4500 after the IKE_AUTH request: the
	// port is blocked outbound.
	nat := pt.NAT{Map: nattNAT, Offset: -3 * time.Second, Delay: 2 * time.Millisecond,
		Drop: func(i int, p *decode.Packet) bool { return p.DstPort == 4500 && p.Dst.String() == "198.51.100.7" }}
	outside := nat.Translate(inside)
	c := Correlate(Packets("in.pcap", inside), Packets("out.pcap", outside), CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	tun := c.Inside.Tunnels[0]
	if tun.Fate().Forwarded != 3 || tun.Fate().Dropped != 1 {
		t.Errorf("tunnel fate %+v: want 3 forwarded (SA_INIT pair, AUTH response) and 1 dropped (AUTH request)", tun.Fate())
	}
	for _, sa := range c.Inside.SAs {
		if sa.Dst.String() == "198.51.100.7" && (sa.Fate().Dropped != 30 || sa.Fate().Forwarded != 0) {
			t.Errorf("outbound SA fate %+v, want 30 dropped", sa.Fate())
		}
	}
	if got := c.Inside.Tunnels[0].Fate().DroppedFrames().List(); !slices.Equal(got, []int{3}) {
		t.Errorf("dropped IKE frames = %v, want [3]", got)
	}
}

// TestCorrelationProperties perturbs a capture pair — a large clock
// offset, drift, heavy loss on the outside, reordering — and checks that
// the correlation still finds the offset and accounts every packet.
func TestCorrelationProperties(t *testing.T) {
	cases := []struct {
		name    string
		offset  time.Duration
		drift   float64
		loss    float64
		reorder bool
	}{
		{"plus one hour", time.Hour, 0, 0, false},
		{"minus one hour", -time.Hour, 0, 0, false},
		{"drift 80ppm", 5 * time.Second, 80, 0, false},
		{"20% loss", 2 * time.Second, 0, 0.2, false},
		{"reordered", 2 * time.Second, 0, 0, true},
		{"all at once", -time.Hour, -50, 0.2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			inside := nattInside(600)
			dropped := map[int]bool{}
			nat := pt.NAT{Map: nattNAT, Offset: tc.offset, Drift: tc.drift, Delay: time.Millisecond,
				Drop: func(i int, p *decode.Packet) bool {
					if i >= 4 && rng.Float64() < tc.loss {
						dropped[p.Frame] = true
						return true
					}
					return false
				}}
			outside := nat.Translate(inside)
			if tc.reorder {
				// Swap neighbours that left the NAT close together, as
				// a multi-queue NAT does.
				for i := 0; i+1 < len(outside); i += 7 {
					if outside[i+1].Time.Sub(outside[i].Time) > 50*time.Millisecond {
						continue
					}
					outside[i].Time, outside[i+1].Time = outside[i+1].Time, outside[i].Time
					outside[i], outside[i+1] = outside[i+1], outside[i]
				}
			}
			c := Correlate(Packets("in.pcap", inside), Packets("out.pcap", outside), CorrelateOptions{Decode: decode.Options{KeepOther: true}})
			if c.Inside.Capture.Path != "in.pcap" {
				t.Fatalf("inside decided as %s: %s", c.Inside.Capture.Path, c.Roles)
			}
			if d := absDur(c.Offset - tc.offset - time.Millisecond); d > 5*time.Millisecond {
				t.Errorf("offset = %v, want %v", c.Offset, tc.offset+time.Millisecond)
			}
			if d := c.Drift - tc.drift; d > 5 || d < -5 {
				t.Errorf("drift = %.1f ppm, want %.1f", c.Drift, tc.drift)
			}
			if c.Matched != len(inside)-len(dropped) {
				t.Errorf("matched %d, want %d", c.Matched, len(inside)-len(dropped))
			}
			if c.Unmatched[SideInside] != len(dropped) || c.Unmatched[SideOutside] != 0 {
				t.Errorf("unmatched %v, want [%d 0]", c.Unmatched, len(dropped))
			}
		})
	}
}

// TestCorrelateCutInside checks that, when the inside file ends in the
// middle of a record, outside packets whose inside sighting would come
// after the last readable one are not counted as dropped: the inside
// capture may have had them in the part that was lost.
func TestCorrelateCutInside(t *testing.T) {
	inside := nattInside(30)
	nat := pt.NAT{Map: nattNAT, Offset: 7300 * time.Millisecond, Delay: time.Millisecond}
	outside := nat.Translate(inside)
	// The inside file stops right after the client's ESP of one second:
	// the gateway's ESP of the same second is outside only, its inside
	// copy being in the lost record.
	cut := slices.IndexFunc(inside, func(p decode.Packet) bool {
		return p.Kind == decode.KindUDPESP && p.ESP.Seq == 20 && p.ESP.SPI == 0xc0ffee02
	})
	src := Packets("in.pcap", inside[:cut])
	read := src.Read
	src.Read = func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		st, _ := read(opts, fn)
		return st, &capture.FormatError{File: "in.pcap", Offset: 9999, Err: capture.ErrTruncated}
	}
	c := Correlate(src, Packets("out.pcap", outside), CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	for _, sa := range c.Outside.SAs {
		if sa.Fate().Dropped != 0 {
			t.Errorf("SA %#x: %d dropped (%v), want none: the inside file was cut", sa.SPI, sa.Fate().Dropped, sa.Fate().DroppedFrames().List())
		}
	}
	// Read to its end, the same inside capture does show the loss: a
	// capture is taken to run a window beyond its last packet.
	c = Correlate(Packets("in.pcap", inside[:cut]), Packets("out.pcap", outside), CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	dropped := 0
	for _, sa := range c.Outside.SAs {
		dropped += sa.Fate().Dropped
	}
	if dropped == 0 {
		t.Error("without the read error: no packet dropped, want the edge packets counted")
	}
}
