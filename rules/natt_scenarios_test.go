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

// The NAT traversal (VP3xx) tests script testClient behind a NAT (outside
// address testPublic) and testGateway, as the inside capture sees them;
// packettest.NAT turns that into the outside capture. ntExpect checks a
// rule's findings against what a test expects.

var (
	ntCli500  = testClient + ":500"
	ntCli4500 = testClient + ":4500"
	ntGW500   = testGateway + ":500"
	ntGW4500  = testGateway + ":4500"
)

// ntNAPT randomises ports: 500 and 4500 get ports of their own.
var ntNAPT = map[string]string{
	ntCli500:  testPublic + ":41500",
	ntCli4500: testPublic + ":62001",
}

// ntKeepPorts translates the address only (Linux keeps source ports when
// it can); it also carries raw ESP.
var ntKeepPorts = map[string]string{testClient: testPublic}

// ntTwo analyses the inside capture and the outside one the NAT makes of
// it, correlated.
func ntTwo(t *testing.T, inside []decode.Packet, nat pt.NAT) *Context {
	t.Helper()
	return twoCaptures(t, inside, ntOutside(inside, nat))
}

// ntV2Init adds an IKEv2 IKE_SA_INIT exchange on port 500 as the inside
// capture sees it. With natd both peers send NAT-D; the gateway saw the
// client's outside address, so its destination hash mismatches inside.
func ntV2Init(s *pt.Script, natd bool) {
	req := decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: 34, Flags: decode.IKEv2FlagInitiator}
	resp := decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 34, Flags: decode.IKEv2FlagResponse}
	if natd {
		req.NATD = []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
		resp.NATD = []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMismatch)}
	}
	s.IKE(ntCli500, ntGW500, req, 1)
	s.IKE(ntGW500, ntCli500, resp, 2)
}

// ntV2Auth adds an IKE_AUTH exchange between the given endpoints.
func ntV2Auth(s *pt.Script, ini, resp string) {
	s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}, 3)
	s.IKE(resp, ini, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagResponse, Encrypted: true}, 4)
}

// ntV2Info adds an INFORMATIONAL exchange (a liveness check) with the given
// message ID; answered adds the response.
func ntV2Info(s *pt.Script, ini, resp string, msgID uint32, answered bool) {
	s.IKE(ini, resp, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 37, MessageID: msgID, Flags: decode.IKEv2FlagInitiator, Encrypted: true}, 100+uint64(msgID))
	if answered {
		s.IKE(resp, ini, decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 37, MessageID: msgID, Flags: decode.IKEv2FlagResponse, Encrypted: true}, 200+uint64(msgID))
	}
}

// ntESPBoth adds n seconds of ESP both ways between two endpoints (raw
// when they have no port), one packet each way per second, continuing the
// sequence numbers from seq.
func ntESPBoth(s *pt.Script, a, b string, n int, seq uint32) uint32 {
	for i := 0; i < n; i++ {
		seq++
		s.ESP(a, b, 0xc0ffee01, seq)
		s.ESP(b, a, 0xc0ffee02, seq)
		s.After(time.Second)
	}
	return seq
}

// ntNATTInside is a working IKEv2 NAT-T tunnel as captured inside: NAT
// detected, float to 4500, ESP in UDP for n seconds, keepalives every 20 s.
func ntNATTInside(n int) *pt.Script {
	s := pt.New()
	ntV2Init(s, true)
	ntV2Auth(s, ntCli4500, ntGW4500)
	for i := 0; i < n; i++ {
		s.ESP(ntCli4500, ntGW4500, 0xc0ffee01, uint32(i+1))
		s.ESP(ntGW4500, ntCli4500, 0xc0ffee02, uint32(i+1))
		if i%20 == 19 {
			s.Keepalive(ntCli4500, ntGW4500)
		}
		s.After(time.Second)
	}
	return s
}

// ntExpect checks a rule's findings: count, ID, tunnel, message facts and
// that the evidence of each side contains the wanted frames.
type ntExpect struct {
	count   int
	tunnel  int
	conf    Confidence
	facts   []string
	inside  []int
	outside []int
}

func (e ntExpect) check(t *testing.T, r Rule, fs []Finding) {
	t.Helper()
	if len(fs) != e.count {
		for _, f := range fs {
			t.Logf("finding: %s tunnel %d: %s", f.RuleID, f.Tunnel, f.Message)
		}
		t.Fatalf("%s: got %d findings, want %d", r.Meta().ID, len(fs), e.count)
	}
	if e.count == 0 {
		return
	}
	f := fs[0]
	t.Logf("%s [%v] tunnel %d: %s", f.RuleID, f.Confidence, f.Tunnel, f.Message)
	if f.RuleID != r.Meta().ID {
		t.Errorf("rule = %s, want %s", f.RuleID, r.Meta().ID)
	}
	if f.Tunnel != e.tunnel {
		t.Errorf("tunnel = %d, want %d", f.Tunnel, e.tunnel)
	}
	if f.Confidence != e.conf {
		t.Errorf("confidence = %v, want %v (message: %s)", f.Confidence, e.conf, f.Message)
	}
	for _, fact := range e.facts {
		if !strings.Contains(f.Message, fact) {
			t.Errorf("message lacks %q:\n%s", fact, f.Message)
		}
	}
	for _, want := range [][2]any{{flows.SideInside, e.inside}, {flows.SideOutside, e.outside}} {
		side, frames := want[0].(flows.Side), want[1].([]int)
		got := evidenceFrames(f, side)
		for _, fr := range frames {
			if !slices.Contains(got, fr) {
				t.Errorf("%v evidence %v lacks frame %d", side, got, fr)
			}
		}
	}
	for _, ev := range f.Evidence {
		if ev.Frame <= 0 {
			t.Errorf("evidence frame %d is not a frame", ev.Frame)
		}
	}
}

// ntFrameOf returns the frame of the first packet of a capture matching
// keep, failing the test if there is none.
func ntFrameOf(t *testing.T, pkts []decode.Packet, keep func(p *decode.Packet) bool) int {
	t.Helper()
	for i := range pkts {
		if keep(&pkts[i]) {
			return pkts[i].Frame
		}
	}
	t.Fatalf("no packet matches")
	return 0
}

// ntOutside returns the outside capture of a NAT.
func ntOutside(inside []decode.Packet, nat pt.NAT) []decode.Packet {
	if nat.Delay == 0 {
		nat.Delay = time.Millisecond
	}
	return nat.Translate(inside)
}
