package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// Shared scaffolding of the VP2xx and VP4xx tests: scripted captures, the
// NAT that turns an inside capture into an outside one, and a runner that
// checks one rule.

const (
	dpSPIi   = 0x1111111111111111
	dpSPIr   = 0x2222222222222222
	dpSPIOut = 0xc0ffee01 // client → gateway
	dpSPIIn  = 0xc0ffee02 // gateway → client
	dpHost   = "10.0.0.2"
	dpHost2  = "10.0.0.3"
	dpPublic = "203.0.113.5"
	dpGW     = "198.51.100.7"
)

// dpIKEv2 scripts an IKEv2 IKE_SA_INIT and IKE_AUTH between a client and a
// gateway, on 500 then (natt) 4500, with NAT-D saying the client is behind
// a NAT when natt is set; without it the peers send no NAT-D (NAT-T off)
// and stay on 500.
func dpIKEv2(s *pt.Script, client, gw string, spiI, spiR uint64, natt bool) {
	c500, g500 := client+":500", gw+":500"
	var iNATD, rNATD []decode.NATD
	if natt {
		iNATD = []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
		rNATD = []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMismatch)}
	}
	h := spiI & 0xffff << 8
	s.IKE(c500, g500, decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator, NATD: iNATD}, h|1)
	s.IKE(g500, c500, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagResponse, NATD: rNATD}, h|2)
	ca, ga := c500, g500
	if natt {
		ca, ga = client+":4500", gw+":4500"
	}
	s.IKE(ca, ga, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeIKEAuth, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}, h|3)
	s.IKE(ga, ca, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeIKEAuth, MessageID: 1, Flags: decode.IKEv2FlagResponse, Encrypted: true}, h|4)
}

// dpESPBoth scripts n seconds of ESP both ways, one packet per second per
// direction, with background DNS so that the NAT model has other traffic
// to carry. Sequence numbers start at 1. A port on the endpoints makes it
// ESP in UDP.
func dpESPBoth(s *pt.Script, client, gw string, out, in uint32, n int) {
	for i := 1; i <= n; i++ {
		s.ESP(client, gw, out, uint32(i))
		s.ESP(gw, client, in, uint32(i))
		s.After(time.Second)
	}
}

// dpNATTInside is the inside capture of a NAT-T client 10.0.0.2 reaching
// 198.51.100.7, with n seconds of UDP-encapsulated ESP both ways.
func dpNATTInside(n int) *pt.Script {
	s := pt.New()
	dpIKEv2(s, dpHost, dpGW, dpSPIi, dpSPIr, true)
	dpESPBoth(s, dpHost+":4500", dpGW+":4500", dpSPIOut, dpSPIIn, n)
	return s
}

// dpNATT is the NAT in front of the NAT-T client: 10.0.0.2 appears as
// 203.0.113.5, its port 4500 as 62001; 1 ms of forwarding delay and a
// clock 2.5 s ahead outside. (Exact entries only: the model tries its
// entries in map order, so an address-only entry for the same host would
// make the translation random.)
func dpNATT() pt.NAT {
	return pt.NAT{
		Map: map[string]string{
			dpHost + ":500":  dpPublic + ":500",
			dpHost + ":4500": dpPublic + ":62001",
		},
		Offset: 2500 * time.Millisecond,
		Delay:  time.Millisecond,
	}
}

// dpPassthroughNAT is a NAT with IPsec Passthrough: 10.0.0.2 and 10.0.0.3
// both appear as 203.0.113.5, keeping their ports (IKE stays on 500).
func dpPassthroughNAT() pt.NAT {
	return pt.NAT{
		Map: map[string]string{
			dpHost:  dpPublic,
			dpHost2: dpPublic,
		},
		Offset: 2500 * time.Millisecond,
		Delay:  time.Millisecond,
	}
}

// dpSingle analyses one capture.
func dpSingle(t testing.TB, pkts []decode.Packet) *Context {
	t.Helper()
	a := flows.Analyze(flows.Packets("in.pcap", pkts), decode.Options{KeepOther: true}, flows.Options{})
	return NewContext(a, nil)
}

// dpPair correlates an inside capture with the outside one.
func dpPair(t *testing.T, inside, outside []decode.Packet) *Context {
	t.Helper()
	cor := flows.Correlate(flows.Packets("in.pcap", inside), flows.Packets("out.pcap", outside),
		flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	if cor.Anchors == 0 {
		t.Fatalf("the test captures do not correlate")
	}
	return NewCorrelatedContext(cor, nil)
}

// dpFindings runs one rule as the engine does and returns its findings,
// sorted.
func dpFindings(t *testing.T, c *Context, r Rule) []Finding {
	t.Helper()
	m := r.Meta()
	if m.NeedsBoth && !c.Two() {
		return nil
	}
	var out []Finding
	r.Check(c, func(f Finding) {
		f.RuleID, f.Slug, f.Title, f.Severity = m.ID, m.Slug, m.Title, m.Severity
		if f.Message == "" {
			t.Errorf("%s: finding without message", m.ID)
		}
		for _, e := range f.Evidence {
			if e.Frame <= 0 || e.Capture == "" {
				t.Errorf("%s: bad evidence %+v", m.ID, e)
			}
		}
		out = append(out, f)
	})
	SortFindings(out)
	return out
}

// dpWithout removes packets from a capture and renumbers the rest, as if
// they had never been captured.
func dpWithout(pkts []decode.Packet, drop func(p *decode.Packet) bool) []decode.Packet {
	var out []decode.Packet
	for _, p := range pkts {
		if drop(&p) {
			continue
		}
		out = append(out, p)
	}
	for i := range out {
		out[i].Frame, out[i].FirstFrame = i+1, i+1
	}
	return out
}

// dpFrames returns the frames of the packets that match.
func dpFrames(pkts []decode.Packet, match func(p *decode.Packet) bool) []int {
	var out []int
	for i := range pkts {
		if match(&pkts[i]) {
			out = append(out, pkts[i].Frame)
		}
	}
	return out
}

// dpESPSeq matches ESP packets of one SPI with a sequence number in [lo, hi].
func dpESPSeq(spi, lo, hi uint32) func(p *decode.Packet) bool {
	return func(p *decode.Packet) bool {
		return (p.Kind == decode.KindESP || p.Kind == decode.KindUDPESP) && p.ESP.SPI == spi && p.ESP.Seq >= lo && p.ESP.Seq <= hi
	}
}

// dpEvidenceFrames returns the frames of one side's evidence.
func dpEvidenceFrames(f Finding, side flows.Side) []int {
	var out []int
	for _, e := range f.Evidence {
		if e.Side == side {
			out = append(out, e.Frame)
		}
	}
	return out
}

// dpWantMessage checks that a message states every fact.
func dpWantMessage(t *testing.T, f Finding, facts ...string) {
	t.Helper()
	for _, s := range facts {
		if !strings.Contains(f.Message, s) {
			t.Errorf("%s message %q lacks %q", f.RuleID, f.Message, s)
		}
	}
}

// dpWantFrames checks one side's evidence frames.
func dpWantFrames(t *testing.T, f Finding, side flows.Side, want []int) {
	t.Helper()
	if got := dpEvidenceFrames(f, side); !slices.Equal(got, want) {
		t.Errorf("%s %s evidence = %v, want %v", f.RuleID, side, got, want)
	}
}
