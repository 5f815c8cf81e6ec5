package rules

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// ikev1Main scripts IKEv1 Main Mode messages 1 to 4 with the given vendor
// IDs and NAT-D payload type (0: no NAT-D), then raw ESP.
func ikev1Main(viIni, viResp []decode.VendorID, natdType decode.PayloadType) *pt.Script {
	s := pt.New()
	v1 := func(spir uint64) decode.IKEMessage {
		return decode.IKEMessage{Version: 1, SPIi: testSPIi, SPIr: spir, Exchange: 2}
	}
	mm1 := v1(0)
	mm1.VendorIDs = viIni
	s.IKE(ntCli500, ntGW500, mm1, 1)
	mm2 := v1(testSPIr)
	mm2.VendorIDs = viResp
	s.IKE(ntGW500, ntCli500, mm2, 2)
	mm3, mm4 := v1(testSPIr), v1(testSPIr)
	if natdType != 0 {
		mm3.NATD = []decode.NATD{{Kind: decode.NATDDestination, Match: decode.NATDMatched, PayloadType: natdType},
			{Kind: decode.NATDSource, Match: decode.NATDMatched, PayloadType: natdType}}
		mm4.NATD = []decode.NATD{{Kind: decode.NATDDestination, Match: decode.NATDMismatch, PayloadType: natdType},
			{Kind: decode.NATDSource, Match: decode.NATDMatched, PayloadType: natdType}}
	}
	s.IKE(ntCli500, ntGW500, mm3, 3)
	s.IKE(ntGW500, ntCli500, mm4, 4)
	s.ESP(testClient, testGateway, 0xc0ffee01, 1)
	return s
}

func TestIKEv1NATTMethodMismatch(t *testing.T) {
	r := ikev1NATTMethodMismatch{}
	drafts := []decode.VendorID{ntVIDDraft02}
	rfc := []decode.VendorID{ntVIDRFC}
	t.Run("drafts against RFC", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"the initiator offered NAT traversal as draft-ietf-ipsec-nat-t-ike-02 and the responder as RFC 3947",
				"no method in common", "ESP travels raw and depends on IPsec Passthrough"},
			inside: []int{1, 2}}.check(t, r, checkRule(t, r, oneCapture(t, ikev1Main(drafts, rfc, 0).Packets)))
	})
	t.Run("two captures", func(t *testing.T) {
		c := ntTwo(t, ikev1Main(drafts, rfc, 0).Packets, pt.NAT{Map: ntKeepPorts})
		ntExpect{count: 1, tunnel: 1, conf: High, facts: []string{"its address 10.0.0.2 inside is 203.0.113.5 outside"},
			inside: []int{1, 2}, outside: []int{1, 2}}.check(t, r, checkRule(t, r, c))
	})
	t.Run("wrong NAT-D type", func(t *testing.T) {
		both := []decode.VendorID{ntVIDRFC, ntVIDDraft02}
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"agreed on NAT traversal as RFC 3947", "payload type is 20",
				"the initiator sent NAT-D as payload type 130 (frame 3)", "the responder sent NAT-D as payload type 130 (frame 4)"},
			inside: []int{1, 2, 3, 4}}.check(t, r, checkRule(t, r, oneCapture(t, ikev1Main(both, rfc, 130).Packets)))
	})
	t.Run("matching", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, ikev1Main(rfc, rfc, 20).Packets)))
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, ikev1Main(drafts, drafts, 130).Packets)))
	})
	t.Run("responder without NAT-T", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, ikev1Main(rfc, nil, 0).Packets)))
	})
	t.Run("IKEv2", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, ntNATTInside(2).Packets)))
	})
}

func TestNATDTypeOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		want decode.PayloadType
	}{
		{"RFC 3947 Negotiation of NAT-Traversal in the IKE", 20},
		{"draft-ietf-ipsec-nat-t-ike-00", 130},
		{"draft-ietf-ipsec-nat-t-ike-02\\n", 130},
		{"draft-ietf-ipsec-nat-t-ike-03", 130},
		{"draft-ietf-ipsec-nat-t-ike-05", 20},
		{"draft-ietf-ipsec-nat-t-ike-08", 0},
		{"draft-ietf-ipsec-nat-t-ike", 0},
		{"draft-stenberg-ipsec-nat-traversal-02", 0},
	} {
		if got := ntNATDTypeOf(tc.name); got != tc.want {
			t.Errorf("ntNATDTypeOf(%q) = %d, want %d", tc.name, got, tc.want)
		}
	}
}
