package rules

import (
	"strconv"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// backTo500 is a NAT-T tunnel whose liveness check (message ID 2) goes
// over UDP 500 after the float.
func backTo500() *pt.Script {
	s := ntNATTInside(3)
	s.After(10 * time.Second)
	ntV2Info(s, ntCli500, ntGW500, 2, true)
	return s
}

func TestIKEBackToPort500(t *testing.T) {
	r := ikeBackToPort500{}
	t.Run("one capture", func(t *testing.T) {
		s := backTo500()
		n := len(s.Packets)
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"after the float to UDP 4500 (frame 3)", "1 message from the initiator (frame " + strconv.Itoa(n-1) + ")",
				"1 message from the responder (frame " + strconv.Itoa(n) + ")", "INFORMATIONAL (message ID 2)"},
			inside: []int{3, n - 1, n}}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("dropped at the NAT", func(t *testing.T) {
		s := backTo500()
		n := len(s.Packets)
		// The NAT's port 500 mapping expired; it drops the request.
		nat := pt.NAT{Map: ntNAPT, Drop: func(i int, p *decode.Packet) bool { return i >= n-2 }}
		in := s.Packets[:n-1] // the response never comes
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:  []string{"none of the initiator's appear in the outside capture: the NAT dropped them"},
			inside: []int{n - 1}}.check(t, r, checkRule(t, r, ntTwo(t, in, nat)))
	})
	t.Run("stays on 4500", func(t *testing.T) {
		s := ntNATTInside(3)
		ntV2Info(s, ntCli4500, ntGW4500, 2, true)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("retransmitted IKE_SA_INIT response", func(t *testing.T) {
		s := pt.New()
		ntV2Init(s, true)
		ntV2Auth(s, ntCli4500, ntGW4500)
		// The responder resends its IKE_SA_INIT response (same bytes).
		s.IKE(ntGW500, ntCli500, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse}, 2)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
}
