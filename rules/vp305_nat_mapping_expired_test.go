package rules

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// rebindInside is the nat-rebinding case as captured inside: a NAT-T
// tunnel works for 3 s, goes quiet for idle without keepalives, then the
// client's ESP and a liveness check get no answer. It returns the script
// and the time the client spoke again.
func rebindInside(idle time.Duration) (*pt.Script, time.Time) {
	s := pt.New()
	ntV2Init(s, true)
	ntV2Auth(s, ntCli4500, ntGW4500)
	seq := ntESPBoth(s, ntCli4500, ntGW4500, 3, 0)
	s.After(idle)
	resume := s.Now
	for k := 0; k < 4; k++ {
		seq++
		s.ESP(ntCli4500, ntGW4500, 0xc0ffee01, seq)
		s.After(time.Second)
	}
	info := decode.IKEMessage{Version: 2, SPIi: testSPIi, SPIr: testSPIr, Exchange: 37, MessageID: 2, Flags: decode.IKEv2FlagInitiator, Encrypted: true}
	for k := 0; k < 3; k++ {
		s.IKE(ntCli4500, ntGW4500, info, 50)
		s.After(2 * time.Second)
	}
	s.Other(17, testClient+":53000", "192.0.2.53:53", 99)
	return s, resume
}

// rebindOutside makes the outside capture of rebindInside: after the gap
// the NAT maps 10.0.0.2:4500 to a new port, and the gateway's answers go
// to the old one (the NAT drops them, so they exist outside only).
func rebindOutside(inside []decode.Packet, resume time.Time) []decode.Packet {
	newPort := uint16(62007)
	nat := pt.NAT{Map: ntNAPT, Delay: time.Millisecond, Rewrite: func(p *decode.Packet) {
		if !p.Time.Before(resume) && p.SrcPort == 62001 {
			p.SrcPort = newPort
		}
	}}
	out := nat.Translate(inside)
	old := netip.MustParseAddrPort(testPublic + ":62001")
	var extra []decode.Packet
	for _, p := range out {
		if p.SrcPort != newPort {
			continue
		}
		r := p
		r.Src, r.Dst, r.SrcPort, r.DstPort = p.Dst, old.Addr(), p.DstPort, old.Port()
		r.Time = p.Time.Add(25 * time.Millisecond)
		if p.IKE != nil {
			m := *p.IKE
			m.Flags = decode.IKEv2FlagResponse
			r.IKE, r.PayloadHash = &m, 51
		} else {
			r.ESP = decode.ESPInfo{SPI: 0xc0ffee02, Seq: p.ESP.Seq}
			r.PayloadHash = uint64(r.ESP.SPI)<<32 | uint64(r.ESP.Seq)
		}
		extra = append(extra, r)
	}
	out = append(out, extra...)
	slices.SortStableFunc(out, func(a, b decode.Packet) int { return a.Time.Compare(b.Time) })
	for i := range out {
		out[i].Frame, out[i].FirstFrame = i+1, i+1
	}
	return out
}

func TestNATMappingExpired(t *testing.T) {
	r := natMappingExpired{}
	s, resume := rebindInside(46 * time.Second)
	inside := s.Packets
	outside := rebindOutside(inside, resume)
	gapAfterIn := ntFrameOf(t, inside, func(p *decode.Packet) bool { return !p.Time.Before(resume) })
	newOut := ntFrameOf(t, outside, func(p *decode.Packet) bool { return p.SrcPort == 62007 })
	staleOut := ntFrameOf(t, outside, func(p *decode.Packet) bool { return p.DstPort == 62001 && !p.Time.Before(resume) })
	t.Run("inside capture", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: Medium,
			facts: []string{"idle for 47.0s", "longer than the NAT UDP timeout of 30.0s", "10.0.0.2 sent no NAT-T keepalives",
				"after the gap the initiator sent 7 packets", "the responder sent nothing back"},
			inside: []int{gapAfterIn - 1, gapAfterIn}}.check(t, r, checkRule(t, r, oneCapture(t, inside)))
	})
	t.Run("outside capture", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"left from 203.0.113.5:62007 instead of 203.0.113.5:62001", "the NAT had dropped the mapping",
				"the responder 198.51.100.7 kept sending 7 packets to the old port 62001"},
			inside: []int{newOut, staleOut}}.check(t, r, checkRule(t, r, oneCapture(t, outside)))
	})
	t.Run("two captures", func(t *testing.T) {
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"(between outside frames", "(outside frame", "the NAT mapped 10.0.0.2:4500 to 203.0.113.5:62001 and 203.0.113.5:62007 in turn",
				"after the gap the initiator sent 7 packets (inside frames"},
			inside:  []int{gapAfterIn},
			outside: []int{newOut, staleOut}}.check(t, r, checkRule(t, r, ntTwoPkts(t, inside, outside)))
	})
	t.Run("two captures, the NAT refuses the stale packets", func(t *testing.T) {
		refused, icmp := withICMPErrors(outside, testPublic, decode.ICMPTypeDestinationUnreachable, decode.ICMPCodePortUnreachable,
			func(p *decode.Packet) bool { return p.DstPort == 62001 && !p.Time.Before(resume) })
		ntExpect{count: 1, tunnel: 1, conf: High,
			facts: []string{"kept sending 7 packets to the old port 62001",
				"which the NAT no longer maps; the NAT itself (203.0.113.5) answered 7 of them with ICMP port unreachable (outside frames"},
			outside: icmp}.check(t, r, checkRule(t, r, ntTwoPkts(t, inside, refused)))
	})
	t.Run("keepalives keep it", func(t *testing.T) {
		s := pt.New()
		ntV2Init(s, true)
		ntV2Auth(s, ntCli4500, ntGW4500)
		seq := ntESPBoth(s, ntCli4500, ntGW4500, 3, 0)
		for k := 0; k < 3; k++ {
			s.After(20*time.Second).Keepalive(ntCli4500, ntGW4500)
		}
		s.After(10 * time.Second)
		ntESPBoth(s, ntCli4500, ntGW4500, 3, seq)
		c := ntTwo(t, s.Packets, pt.NAT{Map: ntNAPT})
		ntExpect{count: 0}.check(t, r, checkRule(t, r, c))
		ntExpect{count: 0}.check(t, nattKeepaliveTooSlow{}, checkRule(t, nattKeepaliveTooSlow{}, c))
	})
	t.Run("no NAT", func(t *testing.T) {
		// NAT-D matches; the peers float anyway (MOBIKE does).
		s, _ := rebindInside(46 * time.Second)
		for i := range s.Packets[:2] {
			if m := s.Packets[i].IKE; m != nil {
				m.NATD = []decode.NATD{pt.NATD(decode.NATDSource, decode.NATDMatched), pt.NATD(decode.NATDDestination, decode.NATDMatched)}
			}
		}
		ntExpect{count: 0}.check(t, r, checkRule(t, r, ntTwo(t, s.Packets, pt.NAT{Map: map[string]string{}})))
	})
}
