package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// rasInside is the Windows RAS case as captured inside: the client floats
// from 500 to 4500, the gateway answers IKE_AUTH and sends its ESP to the
// client's IKE_SA_INIT port, which the NAT still maps to 10.0.0.2:500.
func rasInside() *pt.Script {
	s := pt.New()
	ntV2Init(s, true)
	auth := decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}
	resp := decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagResponse, Encrypted: true}
	s.IKE(ntCli4500, ntGW4500, auth, 3)
	s.IKE(ntGW4500, ntCli500, resp, 4)
	for i := uint32(1); i <= 3; i++ {
		s.After(time.Second)
		s.ESP(ntCli4500, ntGW4500, 0xc0ffee01, i)
		s.ESP(ntGW4500, ntCli500, 0xc0ffee02, i)
	}
	return s
}

func TestReplyToStalePort(t *testing.T) {
	r := replyToStalePort{}
	s, resume := rebindInside(46 * time.Second)
	outside := rebindOutside(s.Packets, resume)
	moved := ntFrameOf(t, outside, func(p *decode.Packet) bool { return p.SrcPort == 62007 })
	stale := ntFrameOf(t, outside, func(p *decode.Packet) bool { return p.DstPort == 62001 && !p.Time.Before(resume) })
	t.Run("rebinding, outside capture", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"the responder 198.51.100.7 kept sending to 203.0.113.5:62001 after the initiator had moved to 203.0.113.5:62007",
				"7 packets (4 ESP, 3 IKE)"},
			inside: []int{moved, stale}}.check(t, r, checkRule(t, r, oneCapture(t, outside)))
	})
	t.Run("rebinding, two captures", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:   []string{"(outside frame", "none of them reached the inside capture: the NAT no longer maps 203.0.113.5:62001"},
			outside: []int{moved, stale}}.check(t, r, checkRule(t, r, ntTwoPkts(t, s.Packets, outside)))
	})
	// The NAT answers each packet sent to the port it no longer maps with
	// ICMP port unreachable from its outside address, as the lab's
	// natt-rebind capture shows.
	staleSend := func(p *decode.Packet) bool { return p.DstPort == 62001 && !p.Time.Before(resume) }
	refused, icmp := withICMPErrors(outside, testPublic, decode.ICMPTypeDestinationUnreachable, decode.ICMPCodePortUnreachable, staleSend)
	t.Run("rebinding, two captures, the NAT refuses them", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"7 packets (4 ESP, 3 IKE)",
				"the NAT itself (203.0.113.5) answered 7 of them with ICMP port unreachable (outside frames " + frameList(firstFrames(icmp, 6))[len("frames "):]},
			outside: icmp}.check(t, r, checkRule(t, r, ntTwoPkts(t, s.Packets, refused)))
	})
	t.Run("rebinding, outside capture, refused", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:  []string{"203.0.113.5 (the address they were sent to) answered 7 of them with ICMP port unreachable (frames"},
			inside: icmp}.check(t, r, checkRule(t, r, oneCapture(t, refused)))
	})
	t.Run("errors about other packets are not cited", func(t *testing.T) {
		// A router refuses some of the initiator's packets from its new
		// port: nothing to do with the stale sends.
		other, _ := withICMPErrors(outside, "192.0.2.254", decode.ICMPTypeTimeExceeded, decode.ICMPCodeTTLExceeded,
			func(p *decode.Packet) bool { return p.SrcPort == 62007 })
		fs := checkRule(t, r, oneCapture(t, other))
		ntExpect{count: 1, tunnel: 1, conf: High, facts: []string{"7 packets (4 ESP, 3 IKE)"}}.check(t, r, fs)
		if strings.Contains(fs[0].Message, "answered") {
			t.Errorf("message cites ICMP errors about other packets: %s", fs[0].Message)
		}
	})
	t.Run("IKE_SA_INIT port, inside capture", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:  []string{"kept sending to 10.0.0.2:500 after the initiator had moved to 10.0.0.2:4500 (frame 3; its last packet from 10.0.0.2:500 was frame 1)", "4 packets (3 ESP, 1 IKE)"},
			inside: []int{1, 3, 4, 6}}.check(t, r, checkRule(t, r, oneCapture(t, rasInside().Packets)))
	})
	t.Run("IKE_SA_INIT port, two captures", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:   []string{"kept sending to 203.0.113.5:41500", "the NAT delivered 4 of them to 10.0.0.2:500 inside (inside frames 4, 6, 8, 10)"},
			inside:  []int{4},
			outside: []int{1, 3, 4}}.check(t, r, checkRule(t, r, ntTwo(t, rasInside().Packets, pt.NAT{Map: ntNAPT})))
	})
	t.Run("NAT-T as it should be", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, ntTwo(t, ntNATTInside(10).Packets, pt.NAT{Map: ntNAPT})))
	})
	t.Run("in flight at the move", func(t *testing.T) {
		s := pt.New()
		ntV2Init(s, true)
		ntV2Auth(s, ntCli4500, ntGW4500)
		s.ESP(ntCli4500, ntGW4500, 0xc0ffee01, 1)
		s.ESP(testClient+":4501", ntGW4500, 0xc0ffee01, 2)
		s.ESP(ntGW4500, ntCli4500, 0xc0ffee02, 1)
		s.ESP(ntGW4500, testClient+":4501", 0xc0ffee02, 2)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
}
