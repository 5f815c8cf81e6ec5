package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

func TestDoubleNAT(t *testing.T) {
	r := doubleNAT{}
	t.Run("both peers behind NATs", func(t *testing.T) {
		// Inside the client's NAT: the client's hashes match; the
		// responder's hash of itself does not (it is behind a port
		// forward), nor its hash of the client.
		s := pt.New()
		s.IKE(ntCli500, ntGW500, decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator,
			NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}}, 1)
		s.IKE(ntGW500, ntCli500, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse,
			NATD: []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMismatch), pt.NATD(decode.NATDDestination, decode.NATDMismatch)}}, 2)
		ntV2Auth(s, ntCli4500, ntGW4500)
		s.Keepalive(ntCli4500, ntGW4500)
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"both the initiator 10.0.0.2 and the responder 198.51.100.7 are behind NATs (initiator: the responder's NAT-D hash of it does not match 10.0.0.2:500; responder: its own NAT-D hash does not match 198.51.100.7:500)",
				"the initiator sent 1 keepalive, the responder 0 keepalives, though the responder is behind a NAT too"},
			inside: []int{1, 2}}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("carrier-grade NAT beyond the outside capture", func(t *testing.T) {
		// The home NAT maps the client to 100.64.1.5; a CGNAT beyond the
		// outside capture maps it again, so the gateway's hash of the
		// client mismatches there too.
		nat := pt.NAT{Map: map[string]string{testClient: "100.64.1.5"}, Rewrite: func(p *decode.Packet) {
			if p.IKE != nil && p.IKE.IsResponse() {
				for i := range p.IKE.NATD {
					if p.IKE.NATD[i].Kind == decode.NATDDestination {
						p.IKE.NATD[i].Match = decode.NATDMismatch
					}
				}
			}
		}}
		c := ntTwo(t, ntNATTInside(3).Packets, nat)
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"translates the initiator 10.0.0.2 to 100.64.1.5, and a second one beyond the outside capture translates it again",
				"the initiator still has an RFC 6598 shared address, used by carrier-grade NATs, 100.64.1.5 (outside frame 1)"},
			inside: []int{1}, outside: []int{1, 2}}.check(t, r, checkRule(t, r, c))
	})
	t.Run("contradictory NAT-D", func(t *testing.T) {
		// Every hash mismatches: no NAT explains that (a capture whose
		// addresses were rewritten does), so no NAT is concluded.
		s := pt.New()
		mm := []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMismatch), pt.NATD(decode.NATDDestination, decode.NATDMismatch)}
		s.IKE("192.168.1.2:500", "192.168.1.1:500", decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator, NATD: mm}, 1)
		s.IKE("192.168.1.1:500", "192.168.1.2:500", decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse, NATD: mm}, 2)
		s.IKE("192.168.1.2:500", "192.168.1.1:500", decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator}, 3)
		s.IKE("192.168.1.1:500", "192.168.1.2:500", decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagResponse}, 4)
		c := oneCapture(t, s.Packets)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, c))
		ntExpect{count: 0}.check(t, nattNotUsed{}, checkRule(t, nattNotUsed{}, c))
	})
	t.Run("one NAT", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, ntTwo(t, ntNATTInside(3).Packets, pt.NAT{Map: ntNAPT})))
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, ntNATTInside(3).Packets)))
	})
}
