package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// quickModeScript is IKEv1 Main Mode 1–4 with RFC 3947 NAT-T and a NAT in
// front of the initiator, then a cleartext Quick Mode proposing ESP with
// the given encapsulation mode, with NAT-OA when natoa is set.
func quickModeScript(mode uint64, natoa bool) *pt.Script {
	rfc := []decode.VendorID{ntVIDRFC}
	s := ikev1Main(rfc, rfc, 20)
	qm := decode.IKEMessage{Version: 1, SPIi: testSPIi, SPIr: testSPIr, Exchange: 32, MessageID: 77,
		Proposals: []decode.Proposal{{Number: 1, Protocol: 3, SPI: []byte{1, 2, 3, 4},
			Transforms: []decode.Transform{{Number: 1, ID: 12, Attributes: []decode.Attribute{{Type: 4, Value: mode}}}}}}}
	if natoa {
		qm.NATOA = []decode.NATOA{{PayloadType: 21, IDType: 1, Addr: []byte{10, 0, 0, 2}}}
	}
	s.IKE(ntCli4500, ntGW4500, qm, 60)
	return s
}

func TestTransportModeWithoutNATOA(t *testing.T) {
	r := transportModeWithoutNATOA{}
	t.Run("UDP-encapsulated transport, no NAT-OA", func(t *testing.T) {
		s := quickModeScript(4, false)
		n := len(s.Packets)
		ntExpect{count: 1, tunnel: 1, conf: Medium,
			facts:  []string{"Quick Mode proposes transport mode", "NAT in front of the initiator 10.0.0.2 (the responder's NAT-D hash of it does not match 10.0.0.2:500)", "no NAT-OA payload was sent"},
			inside: []int{n}}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("draft value, two captures", func(t *testing.T) {
		c := ntTwo(t, quickModeScript(61444, false).Packets, pt.NAT{Map: ntNAPT})
		ntExpect{count: 1, tunnel: 1, conf: Medium, facts: []string{"(inside frame 6)"}, inside: []int{6}, outside: []int{6}}.check(t, r, checkRule(t, r, c))
	})
	t.Run("with NAT-OA", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, quickModeScript(4, true).Packets)))
	})
	t.Run("tunnel mode", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, quickModeScript(3, false).Packets)))
	})
	t.Run("IKEv2 transport mode", func(t *testing.T) {
		s := ntNATTInside(1)
		s.IKE(ntCli4500, ntGW4500, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 36, MessageID: 2, Flags: decode.IKEv2FlagInitiator,
			Notifies: []decode.Notify{{Type: decode.NotifyTypeUseTransportMode}}}, 70)
		ntExpect{count: 1, tunnel: 1, conf: Medium, facts: []string{"USE_TRANSPORT_MODE", "IKEv2 has no NAT-OA"}, inside: []int{len(s.Packets)}}.
			check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("IKEv2 transport mode, no NAT", func(t *testing.T) {
		s := pt.New()
		match := []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
		s.IKE("192.0.2.10:500", ntGW500, decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator, NATD: match,
			Notifies: []decode.Notify{{Type: decode.NotifyTypeUseTransportMode}}}, 1)
		s.IKE(ntGW500, "192.0.2.10:500", decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse, NATD: match}, 2)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
}
