package rules

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// dpScript turns bytes into an inside capture of ESP, AH, GRE, PPTP control
// and IKE packets between a few hosts, four bytes per packet, and says
// which packets the NAT drops: the fuzzer explores orderings, repeats,
// gaps and one-way flows that no hand-written case covers.
func dpScript(data []byte) (inside []decode.Packet, drop map[int]bool) {
	hosts := []string{testClient, testClient2, testGateway, dpPPTPServer}
	s := pt.New()
	drop = map[int]bool{}
	for i := 0; i+4 <= len(data) && i < 4*400; i += 4 {
		op, a, b, c := data[i], data[i+1], data[i+2], data[i+3]
		src, dst := hosts[a&3], hosts[(a>>2)&3]
		if src == dst {
			dst = hosts[(a+1)&3]
		}
		id := uint32(b & 3)
		seq := uint32(c)
		switch op % 7 {
		case 0:
			s.ESP(src, dst, 0xe0000000|id, seq)
		case 1:
			s.ESP(src+":4500", dst+":4500", 0xe1000000|id, seq)
		case 2:
			s.AH(src, dst, 0xa0000000|id, seq)
		case 3:
			s.GRE(src, dst, uint16(id), seq)
		case 4:
			typ := []decode.PPTPMessageType{dpSCCRQ, dpSCCRP, dpOCRQ, dpOCRP}[c&3]
			s.PPTP(src+":40000", dst+":1723", typ, uint16(id), uint16(b>>2&3), b>>4&1)
		case 5:
			flags := uint8(decode.IKEv2FlagInitiator)
			if c&1 == 1 {
				flags = decode.IKEv2FlagResponse
			}
			s.IKE(src+":500", dst+":500", decode.IKEMessage{Version: 2, SPIi: uint64(id) + 1, SPIr: uint64(b >> 2),
				Exchange: decode.ExchangeTypeIKESAInit + decode.ExchangeType(c>>1&3), MessageID: uint32(c >> 3), Flags: flags}, uint64(c))
		case 6:
			s.Other(17, src+":53000", "192.0.2.53:53", uint64(c))
		}
		drop[len(s.Packets)-1] = op&0x80 != 0
		s.After(time.Duration(a>>4) * 300 * time.Millisecond)
	}
	return s.Packets, drop
}

// dpCheckAll runs every ESP/AH and GRE/PPTP rule and checks what any
// finding must satisfy: a message, known sides, evidence frames that exist
// in the capture named.
func dpCheckAll(t *testing.T, c *Context) {
	t.Helper()
	for _, r := range All() {
		id := r.Meta().ID
		if !strings.HasPrefix(id, "VP2") && !strings.HasPrefix(id, "VP4") {
			continue
		}
		for _, f := range checkRule(t, r, c) {
			for _, e := range f.Evidence {
				a := c.Capture(e.Side)
				if a == nil || e.Capture != a.Capture.Path || e.Frame > a.Capture.Frames {
					t.Errorf("%s: evidence %+v does not exist (%s)", id, e, f.Message)
				}
			}
			if f.Tunnel < 0 || f.Tunnel > len(c.Tunnels) {
				t.Errorf("%s: tunnel %d of %d", id, f.Tunnel, len(c.Tunnels))
			}
		}
	}
}

func dpFuzzOne(t *testing.T, data []byte) {
	inside, drop := dpScript(data)
	if len(inside) == 0 {
		return
	}
	dpCheckAll(t, oneCapture(t, inside))
	nat := dpPassthroughNAT()
	nat.Drop = func(i int, _ *decode.Packet) bool { return drop[i] }
	outside := nat.Translate(inside)
	cor := flows.Correlate(flows.Packets("in.pcap", inside), flows.Packets("out.pcap", outside),
		flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	dpCheckAll(t, NewCorrelatedContext(cor, nil))
}

// TestDataPlaneRulesRandom runs the fuzz body over seeded random inputs, so
// that every test run explores some of the space.
func TestDataPlaneRulesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 60; i++ {
		data := make([]byte, 4*(20+rng.IntN(200)))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		dpFuzzOne(t, data)
	}
}

func FuzzDataPlaneRules(f *testing.F) {
	f.Add([]byte{0, 0x04, 0, 1, 0, 0x04, 0, 2, 0, 0x04, 0, 5, 0x80, 0x04, 0, 6, 0, 0x04, 0, 6})
	f.Add([]byte{4, 0x0c, 0, 0, 4, 0x03, 0, 1, 4, 0x0c, 0, 2, 4, 0x03, 0x11, 3, 3, 0x0c, 0, 0, 3, 0x03, 0, 0})
	f.Add([]byte{2, 0x08, 1, 1, 2, 0x02, 1, 1, 5, 0x08, 0, 0, 5, 0x02, 0, 1, 1, 0x48, 2, 9, 1, 0x42, 2, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		dpFuzzOne(t, data)
	})
}
