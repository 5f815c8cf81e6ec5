package rules

import (
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// Scripted ESP, AH and PPTP traffic that the tests of the data-plane
// (VP2xx) and GRE/PPTP (VP4xx) rules share, and the NATs that turn an
// inside capture into an outside one.

const (
	dpSPIOut = 0xc0ffee01 // client → gateway
	dpSPIIn  = 0xc0ffee02 // gateway → client
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
	dpIKEv2(s, testClient, testGateway, testSPIi, testSPIr, true)
	dpESPBoth(s, testClient+":4500", testGateway+":4500", dpSPIOut, dpSPIIn, n)
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
			testClient + ":500":  testPublic + ":500",
			testClient + ":4500": testPublic + ":62001",
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
			testClient:  testPublic,
			testClient2: testPublic,
		},
		Offset: 2500 * time.Millisecond,
		Delay:  time.Millisecond,
	}
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
