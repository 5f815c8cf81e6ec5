package rules

import (
	"slices"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// blockedScript: NAT detected on 500, IKE_AUTH to 4500 sent sends times
// with strongSwan's back-off, never answered.
func blockedScript(sends int) *pt.Script {
	s := pt.New()
	ntV2Init(s, true)
	auth := decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}
	gaps := []time.Duration{0, 4 * time.Second, 7200 * time.Millisecond, 12960 * time.Millisecond, 23330 * time.Millisecond}
	for i := 0; i < sends; i++ {
		s.After(gaps[i]).IKE(ntCli4500, ntGW4500, auth, 3)
	}
	s.After(10 * time.Second)
	s.Other(17, testClient+":53000", "192.0.2.53:53", 77)
	return s
}

// ntTwoPkts correlates an inside capture with a given outside capture.
func ntTwoPkts(t *testing.T, inside, outside []decode.Packet) *Context {
	t.Helper()
	cor := flows.Correlate(flows.Packets("in.pcap", inside), flows.Packets("out.pcap", outside),
		flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	return NewCorrelatedContext(cor, nil)
}

func TestNATTUDPBlocked(t *testing.T) {
	r := nattUDPBlocked{}
	t.Run("one capture", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"the responder 198.51.100.7 answered on UDP 500 (frame 2)", "initiator 10.0.0.2 moved to UDP 4500",
				"sent 4 IKE messages to 198.51.100.7:4500 (IKE_AUTH, 3 retransmissions) over 24.2s"},
			inside: []int{2, 3, 4, 5, 6}}.check(t, r, checkRule(t, r, oneCapture(t, blockedScript(4).Packets)))
	})
	t.Run("dropped at the NAT", func(t *testing.T) {
		nat := pt.NAT{Map: ntNAPT, Drop: func(_ int, p *decode.Packet) bool { return p.DstPort == 4500 }}
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:  []string{"none of the 4 appear in the outside capture: the NAT or its firewall dropped them"},
			inside: []int{3, 4, 5, 6}}.check(t, r, checkRule(t, r, ntTwo(t, blockedScript(4).Packets, nat)))
	})
	t.Run("dropped beyond the NAT", func(t *testing.T) {
		nat := pt.NAT{Map: ntNAPT}
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:   []string{"4 of 4 left the NAT as 203.0.113.5:62001 to 198.51.100.7:4500 (outside frames 3, 4, 5, 6) and got no reply"},
			inside:  []int{3},
			outside: []int{3, 4, 5, 6}}.check(t, r, checkRule(t, r, ntTwo(t, blockedScript(4).Packets, nat)))
	})
	t.Run("replies dropped inbound", func(t *testing.T) {
		in := blockedScript(4).Packets
		out := ntOutside(in, pt.NAT{Map: ntNAPT})
		// The responder answered outside; the NAT kept it out.
		resp := out[2]
		resp.Src, resp.Dst = out[2].Dst, out[2].Src
		resp.SrcPort, resp.DstPort = out[2].DstPort, out[2].SrcPort
		m := *out[2].IKE
		m.Flags = decode.IKEv2FlagResponse
		resp.IKE, resp.PayloadHash = &m, 4
		resp.Time = out[2].Time.Add(30 * time.Millisecond)
		out = append(out, resp)
		slices.SortStableFunc(out, func(a, b decode.Packet) int { return a.Time.Compare(b.Time) })
		for i := range out {
			out[i].Frame, out[i].FirstFrame = i+1, i+1
		}
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts:   []string{"the responder answered once on UDP 4500 in the outside capture (frame 4), but none of it reached the inside: the NAT drops inbound UDP 4500"},
			outside: []int{4}}.check(t, r, checkRule(t, r, ntTwoPkts(t, in, out)))
	})
	t.Run("answered on 4500", func(t *testing.T) {
		s := blockedScript(3)
		s.IKE(ntGW4500, ntCli4500, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagResponse, Encrypted: true}, 4)
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("one retransmission", func(t *testing.T) {
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, blockedScript(2).Packets)))
	})
	t.Run("responder silent on 500 too", func(t *testing.T) {
		s := pt.New()
		init := decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator}
		for i := 0; i < 4; i++ {
			s.After(2*time.Second).IKE(ntCli500, ntGW500, init, 1)
		}
		ntExpect{count: 0}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
	t.Run("TCP fallback", func(t *testing.T) {
		s := pt.New()
		init := decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator}
		for _, d := range []time.Duration{0, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second} {
			s.After(d).IKE(ntCli500, ntGW500, init, 1)
		}
		s.After(8 * time.Second)
		tcp := func(p *decode.Packet) { p.Proto, p.TCPEncap = 6, true }
		const spi2 = 0x3333333333333333
		tcp(s.IKE(testClient+":40000", ntGW4500, decode.IKEMessage{Version: 2, SPIi: spi2, Exchange: 34, Flags: decode.IKEv2FlagInitiator}, 11))
		tcp(s.IKE(ntGW4500, testClient+":40000", decode.IKEMessage{Version: 2, SPIi: spi2, SPIr: testSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse}, 12))
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"sent IKE_SA_INIT 5 times over UDP to 198.51.100.7:500 over 7.5s and got no reply",
				"over TCP port 4500 (RFC 9329, tunnel 2, frame 6)"},
			inside: []int{1, 2, 3, 4, 5, 6}}.check(t, r, checkRule(t, r, oneCapture(t, s.Packets)))
	})
}

// TestVP304PortForwardTo500 checks that IKE after the float which a port
// forward delivers, behind the marker, to the responder's port 500 is not
// reported as blocked: VP310 has it. Without the marker on 500 the same
// retransmissions are VP304's.
func TestVP304PortForwardTo500(t *testing.T) {
	script := func(marker bool) []decode.Packet {
		s := pt.New()
		ntV2Init(s, true)
		auth := decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}
		for i := 0; i < 4; i++ {
			dst := ntGW4500
			if marker {
				dst = ntGW500
			}
			p := s.IKE(ntCli4500, dst, auth, 3)
			p.NonESPMarker = true
			s.After(time.Duration(4<<i) * time.Second)
		}
		return s.Packets
	}
	c := oneCapture(t, script(true))
	ntExpect{}.check(t, nattUDPBlocked{}, checkRule(t, nattUDPBlocked{}, c))
	ntExpect{count: 1, tunnel: 1, conf: High, facts: []string{"4 IKE messages of this IKE SA carry the non-ESP marker on UDP port 500"}}.
		check(t, nonESPMarkerViolation{}, checkRule(t, nonESPMarkerViolation{}, c))
	ntExpect{count: 1, tunnel: 1, conf: High, facts: []string{"moved to UDP 4500"}}.
		check(t, nattUDPBlocked{}, checkRule(t, nattUDPBlocked{}, oneCapture(t, script(false))))
}
