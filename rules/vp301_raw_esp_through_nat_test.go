package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// rawESPScript is an IKEv2 tunnel without NAT-T: IKE on 500, raw ESP for
// n seconds; inbound adds the gateway's ESP.
func rawESPScript(n int, inbound bool) *pt.Script {
	s := pt.New()
	ntV2Init(s, false)
	ntV2Auth(s, ntCli500, ntGW500)
	for i := 0; i < n; i++ {
		s.ESP(testClient, testGateway, 0xc0ffee01, uint32(i+1))
		if inbound {
			s.ESP(testGateway, testClient, 0xc0ffee02, uint32(i+1))
		}
	}
	return s
}

func TestRawESPThroughNAT(t *testing.T) {
	r := rawESPThroughNAT{}
	t.Run("private client, one capture", func(t *testing.T) {
		s := rawESPScript(3, true)
		ntExpect{count: 1, tunnel: 1, conf: Medium,
			facts:  []string{"initiator 10.0.0.2", "private", "neither peer sent NAT_DETECTION notifies", "6 ESP packets", "0xc0ffee01"},
			inside: []int{1, 2, 5, 6}}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("no ESP yet", func(t *testing.T) {
		s := rawESPScript(0, false)
		ntExpect{count: 1, tunnel: 1, conf: Medium, facts: []string{"no ESP was captured"}, inside: []int{1, 2}}.
			check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("responder silent", func(t *testing.T) {
		s := pt.New()
		s.IKE(ntCli500, ntGW500, decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator,
			NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}}, 1)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("public peers, one capture", func(t *testing.T) {
		s := pt.New()
		s.IKE("192.0.2.10:500", ntGW500, decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator}, 1)
		s.IKE(ntGW500, "192.0.2.10:500", decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse}, 2)
		s.ESP("192.0.2.10", testGateway, 0xc0ffee01, 1)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("NAT-T in use", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, ntNATTInside(5).Packets)))
	})
	t.Run("passthrough on, two captures", func(t *testing.T) {
		s := rawESPScript(3, true)
		nat := pt.NAT{Map: ntKeepPorts}
		c := ntTwo(t, s.Packets, nat)
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:   []string{"its address 10.0.0.2 inside is 203.0.113.5 outside", "forwarded 3 of 3 outbound and 3 of 3 inbound raw ESP packets (as 203.0.113.5): IPsec Passthrough is on"},
			inside:  []int{1, 2, 5},
			outside: []int{1, 2}}.check(t, r, checkRule(t, r, c))
	})
	t.Run("passthrough off, two captures", func(t *testing.T) {
		s := rawESPScript(3, false)
		nat := pt.NAT{Map: ntKeepPorts, Drop: func(_ int, p *decode.Packet) bool { return p.Kind == decode.KindESP }}
		c := ntTwo(t, s.Packets, nat)
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:   []string{"forwarded 0 of 3 outbound raw ESP packets: IPsec Passthrough is off"},
			inside:  []int{5, 6},
			outside: []int{1, 2}}.check(t, r, checkRule(t, r, c))
	})
	t.Run("no translation, two captures", func(t *testing.T) {
		s := rawESPScript(3, true)
		c := ntTwo(t, s.Packets, pt.NAT{Map: map[string]string{}})
		ntExpect{count: 0}.check(t, r, checkRule(t, r, c))
	})
	t.Run("IKEv1 responder without NAT-T", func(t *testing.T) {
		s := pt.New()
		mm1 := decode.IKEMessage{Version: 1, SPIi: testSPIi, Exchange: 2, VendorIDs: []decode.VendorID{ntVIDRFC}}
		s.IKE(ntCli500, ntGW500, mm1, 1)
		s.IKE(ntGW500, ntCli500, decode.IKEMessage{Version: 1, SPIi: testSPIi, SPIr: testSPIr, Exchange: 2}, 2)
		s.ESP(testClient, testGateway, 0xc0ffee01, 1)
		ntExpect{count: 1, tunnel: 1, conf: Medium,
			facts: []string{"the initiator offered NAT traversal (RFC 3947", "the responder sent no NAT-T vendor ID"}}.
			check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
}

// IKEv1 NAT-T vendor IDs (RFC 3947 §3.1 and draft 02).
var (
	ntVIDRFC     = decode.VendorID{Data: []byte{0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f}, Name: "RFC 3947 Negotiation of NAT-Traversal in the IKE"}
	ntVIDDraft02 = decode.VendorID{Data: []byte{0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8, 0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48}, Name: "draft-ietf-ipsec-nat-t-ike-02"}
)
