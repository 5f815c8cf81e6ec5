package flows

import (
	"slices"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// pathOf returns the path of one sender, kind and source, or nil.
func pathOf(tr *NATTrace, from Role, kind PathKind, src string) *Path {
	for _, p := range tr.Paths {
		if p.From == from && p.Kind == kind && p.Src == ap(src) {
			return p
		}
	}
	return nil
}

func TestNATTracePaths(t *testing.T) {
	s := newScript()
	ikev2NATT(s, true)
	tr := &s.run().Tunnels[0].NATTrace
	cases := []struct {
		from    Role
		kind    PathKind
		src     string
		packets int
		first   int
	}{
		{RoleInitiator, PathIKE, "203.0.113.5:500", 1, 1},
		{RoleResponder, PathIKE, "198.51.100.7:500", 1, 2},
		{RoleInitiator, PathIKEMarker, "203.0.113.5:62001", 1, 3},
		{RoleResponder, PathIKEMarker, "198.51.100.7:4500", 1, 4},
		{RoleInitiator, PathESPInUDP, "203.0.113.5:62001", 3, 5},
		{RoleResponder, PathESPInUDP, "198.51.100.7:4500", 3, 6},
		{RoleInitiator, PathKeepalive, "203.0.113.5:62001", 2, 11},
	}
	for _, tc := range cases {
		p := pathOf(tr, tc.from, tc.kind, tc.src)
		if p == nil {
			t.Errorf("no %v path from %s (%s)", tc.kind, tc.src, tc.from)
			continue
		}
		if p.Packets != tc.packets || p.FirstFrame != tc.first || p.Frames.Count() != tc.packets {
			t.Errorf("%v path from %s: packets %d first frame %d; want %d, %d", tc.kind, tc.src, p.Packets, p.FirstFrame, tc.packets, tc.first)
		}
	}
	if len(tr.Paths) != len(cases) || tr.PathsOverflow != 0 || len(tr.Stale) != 0 {
		t.Errorf("paths %d overflow %d stale %d; want %d, 0, 0", len(tr.Paths), tr.PathsOverflow, len(tr.Stale), len(cases))
	}
	if !PathESPInUDP.Encap() || PathIKE.Encap() || PathESP.Encap() || PathKeepalive.String() != "NAT-T keepalive" || PathKind(99).String() != "path(99)" {
		t.Errorf("PathKind methods disagree with their documentation")
	}
	if tr.Peers == nil || tr.Peers.Packets != 12 || tr.Peers.Keepalives != [2]int{0, 2} {
		t.Errorf("peer trace = %+v, want 12 packets and 2 keepalives from 203.0.113.5", tr.Peers)
	}
}

func TestNATTraceRetransmissions(t *testing.T) {
	s := newScript()
	ikev2NATT(s, false)
	tr := &s.run().Tunnels[0].NATTrace
	p := pathOf(tr, RoleInitiator, PathIKEMarker, "203.0.113.5:62001")
	if p == nil || p.Packets != 4 || p.Retransmissions != 3 {
		t.Fatalf("IKE on 4500 from the initiator = %+v, want 4 packets, 3 retransmissions", p)
	}
	if q := pathOf(tr, RoleInitiator, PathIKE, "203.0.113.5:500"); q == nil || q.Retransmissions != 0 {
		t.Errorf("IKE_SA_INIT path = %+v, want no retransmission", q)
	}
}

// rebind scripts a NAT-T tunnel (outside view) whose initiator moves from
// port 62001 to 62007 after an idle gap, while the responder keeps sending
// to 62001.
func rebind(s *script) {
	ikev2NATT(s, true)
	s.after(45 * time.Second)
	for seq := uint32(4); seq <= 6; seq++ {
		s.esp("203.0.113.5:62007", "198.51.100.7:4500", 0xc0ffee01, seq)
		s.esp("198.51.100.7:4500", "203.0.113.5:62001", 0xc0ffee02, seq)
		s.after(time.Second)
	}
}

func TestNATTraceStale(t *testing.T) {
	s := newScript()
	rebind(s)
	tun := s.run().Tunnels[0]
	tr := &tun.NATTrace
	if len(tr.Stale) != 1 {
		t.Fatalf("stale sends = %d, want 1", len(tr.Stale))
	}
	st := tr.Stale[0]
	// Frames: 13 first ESP from 62007, 14/16/18 the responder's to 62001;
	// 12 the initiator's last keepalive from 62001.
	want := StaleSend{From: RoleResponder, To: ap("203.0.113.5:62001"), Current: ap("203.0.113.5:62007"),
		MovedFrame: 13, LeftFrame: 12, Packets: 3, ESP: 3}
	if st.From != want.From || st.To != want.To || st.Current != want.Current || st.MovedFrame != want.MovedFrame ||
		st.LeftFrame != want.LeftFrame || st.Packets != want.Packets || st.ESP != want.ESP || st.IKE != 0 {
		t.Errorf("stale = %+v, want %+v", *st, want)
	}
	if got := st.Frames.List(); !slices.Equal(got, []int{14, 16, 18}) {
		t.Errorf("stale frames = %v, want [14 16 18]", got)
	}
	if last, frame, ok := tr.LastFrom(RoleInitiator, ap("203.0.113.5:62001")); !ok || frame != 12 || !last.Before(st.First) {
		t.Errorf("LastFrom(62001) = %v, %d, %v; want frame 12 before the stale sends", last, frame, ok)
	}
	if _, frame, ok := tr.FirstFrom(RoleInitiator, ap("203.0.113.5:62007")); !ok || frame != 13 {
		t.Errorf("FirstFrom(62007) = %d, %v; want 13", frame, ok)
	}
	gaps := tr.Peers.GapsOver(30*time.Second, tun.First, tun.Last)
	if len(gaps) != 1 || gaps[0].BeforeFrame != 12 || gaps[0].AfterFrame != 13 || gaps[0].Duration() < 45*time.Second {
		t.Fatalf("gaps over 30s = %+v, want one from frame 12 to 13", gaps)
	}
	ini, resp := tr.Peers.Index(ap("203.0.113.5:1").Addr()), tr.Peers.Index(ap("198.51.100.7:1").Addr())
	if gaps[0].Resumed[ini].Count() != 3 || gaps[0].Resumed[resp].Count() != 3 {
		t.Errorf("resumed after the gap: initiator %d, responder %d; want 3 and 3", gaps[0].Resumed[ini].Count(), gaps[0].Resumed[resp].Count())
	}
	if tr.Peers.Index(ap("192.0.2.1:1").Addr()) != -1 {
		t.Errorf("Index of a stranger is not -1")
	}
}

func TestPeerTraceKeepsLargestGaps(t *testing.T) {
	s := newScript()
	ikev2NATT(s, true)
	// ikev2NATT leaves two 20 s gaps before its keepalives; then gaps of
	// 2, 9, 3, 8, 1.5 and 7 s between ESP packets. The four largest are
	// kept, in time order.
	gaps := []time.Duration{2 * time.Second, 9 * time.Second, 3 * time.Second, 8 * time.Second, 1500 * time.Millisecond, 7 * time.Second}
	for i, g := range gaps {
		s.after(g).esp("203.0.113.5:62001", "198.51.100.7:4500", 0xc0ffee01, uint32(10+i))
	}
	s.after(500*time.Millisecond).keepalive("203.0.113.5:62001", "198.51.100.7:4500")
	pt := s.run().Tunnels[0].NATTrace.Peers
	if len(pt.Gaps) != maxGaps {
		t.Fatalf("gaps kept = %d, want %d", len(pt.Gaps), maxGaps)
	}
	for i := 1; i < len(pt.Gaps); i++ {
		if !pt.Gaps[i-1].Start.Before(pt.Gaps[i].Start) {
			t.Errorf("gaps not in time order: %v then %v", pt.Gaps[i-1].Start, pt.Gaps[i].Start)
		}
	}
	var secs []int
	for _, g := range pt.Gaps {
		secs = append(secs, int(g.Duration().Round(time.Second)/time.Second))
	}
	if !slices.Equal(secs, []int{20, 20, 9, 8}) {
		t.Errorf("kept gaps = %v s, want the four largest [20 20 9 8]", secs)
	}
	// The closing keepalive is no resumed traffic.
	last := pt.Gaps[len(pt.Gaps)-1]
	if n := last.Resumed[pt.Index(ap("203.0.113.5:1").Addr())].Count(); n != 3 {
		t.Errorf("packets after the last kept gap = %d, want 3 (keepalives left out)", n)
	}
}

func TestNATTraceReturnTo500(t *testing.T) {
	s := newScript()
	ikev2NATT(s, true)
	// The responder resends its IKE_SA_INIT response (a retransmission,
	// left out), then an INFORMATIONAL exchange runs on 500.
	s.ike("198.51.100.7:500", "203.0.113.5:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 34, Flags: decode.IKEv2FlagResponse}, 2)
	s.ike("203.0.113.5:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 37, MessageID: 2, Flags: decode.IKEv2FlagInitiator}, 20)
	s.ike("198.51.100.7:500", "203.0.113.5:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 37, MessageID: 2, Flags: decode.IKEv2FlagResponse}, 21)
	tr := &s.run().Tunnels[0].NATTrace
	if got := tr.ReturnTo500[RoleInitiator].List(); !slices.Equal(got, []int{14}) {
		t.Errorf("initiator back on 500 = %v, want [14]", got)
	}
	if got := tr.ReturnTo500[RoleResponder].List(); !slices.Equal(got, []int{15}) {
		t.Errorf("responder back on 500 = %v, want [15] (the retransmission at 13 left out)", got)
	}
}

func TestNATTraceReturnTo500OutOfOrder(t *testing.T) {
	// A merged capture lists IKE_SA_INIT on 500 after the floated
	// IKE_AUTH, with earlier timestamps: that is no return to 500.
	s := newScript()
	s.after(time.Second)
	s.ike("203.0.113.5:62001", "198.51.100.7:4500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator}, 3)
	s.now = s.t0
	s.ike("203.0.113.5:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator}, 1)
	s.ike("198.51.100.7:500", "203.0.113.5:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 34, Flags: decode.IKEv2FlagResponse}, 2)
	tr := &s.run().Tunnels[0].NATTrace
	if n := tr.ReturnTo500[RoleInitiator].Count() + tr.ReturnTo500[RoleResponder].Count(); n != 0 {
		t.Errorf("messages back on 500 = %d, want 0 (they were sent before the float)", n)
	}
}

func TestNATTraceTransportMode(t *testing.T) {
	cases := []struct {
		name          string
		m             decode.IKEMessage
		transport, oa bool
	}{
		{"IKEv2 USE_TRANSPORT_MODE", decode.IKEMessage{Version: 2, Notifies: []decode.Notify{{Type: 16391}}}, true, false},
		{"IKEv1 UDP-Encapsulated-Transport", v1QM(4, false), true, false},
		{"IKEv1 draft transport", v1QM(61444, false), true, false},
		{"IKEv1 transport with NAT-OA", v1QM(4, true), true, true},
		{"IKEv1 UDP-Encapsulated-Tunnel", v1QM(3, false), false, false},
		{"IKEv1 plain transport", v1QM(2, false), false, false},
		{"IKEv2 without notify", decode.IKEMessage{Version: 2}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript()
			m := tc.m
			m.SPIi, m.SPIr, m.Exchange = spiI, spiR, 32
			if m.Version == 2 {
				m.Exchange, m.Flags = 36, decode.IKEv2FlagInitiator
			}
			s.ike("10.0.0.2:4500", "198.51.100.7:4500", m, 1)
			tr := &s.run().Tunnels[0].NATTrace
			if got := tr.TransportMode.Count() == 1; got != tc.transport {
				t.Errorf("transport mode seen = %v, want %v", got, tc.transport)
			}
			if got := tr.NATOA.Count() == 1; got != tc.oa {
				t.Errorf("NAT-OA seen = %v, want %v", got, tc.oa)
			}
		})
	}
}

// v1QM is a cleartext IKEv1 Quick Mode message proposing ESP with an
// encapsulation mode (RFC 2407 §4.5), with a NAT-OA payload if oa.
func v1QM(mode uint64, oa bool) decode.IKEMessage {
	m := decode.IKEMessage{Version: 1, MessageID: 9, Proposals: []decode.Proposal{{Protocol: 3,
		Transforms: []decode.Transform{{ID: 12, Attributes: []decode.Attribute{{Type: 1, Value: 1}, {Type: 4, Value: mode}}}}}}}
	if oa {
		m.NATOA = []decode.NATOA{{PayloadType: 21, IDType: 1, Addr: []byte{10, 0, 0, 2}}}
	}
	return m
}

func TestNATTraceBounded(t *testing.T) {
	s := newScript()
	ikev2NATT(s, true)
	// Far more source ports than paths kept, each answered at the old port.
	for i := 0; i < 3*maxPaths; i++ {
		src := "203.0.113.5:" + itoa(20000+i)
		s.esp(src, "198.51.100.7:4500", 0xc0ffee01, uint32(10+i))
		s.esp("198.51.100.7:4500", "203.0.113.5:62001", 0xc0ffee02, uint32(10+i))
		s.after(2 * time.Second)
	}
	tr := &s.run().Tunnels[0].NATTrace
	if len(tr.Paths) != maxPaths || tr.PathsOverflow == 0 {
		t.Errorf("paths %d overflow %d; want %d and some overflow", len(tr.Paths), tr.PathsOverflow, maxPaths)
	}
	if len(tr.Stale) > maxStale || len(tr.Peers.Gaps) > maxGaps {
		t.Errorf("stale %d gaps %d; want at most %d and %d", len(tr.Stale), len(tr.Peers.Gaps), maxStale, maxGaps)
	}
}

// TestNATTraceNoAllocs checks that tracing ESP of a known path allocates
// nothing.
func TestNATTraceNoAllocs(t *testing.T) {
	s := newScript()
	ikev2NATT(s, true)
	tab := NewTable(Options{})
	for i := range s.pkts {
		tab.Add(&s.pkts[i])
	}
	p := s.pkts[4] // ESP in UDP from the initiator
	allocs := testing.AllocsPerRun(1000, func() {
		p.Frame++
		p.ESP.Seq++
		p.Time = p.Time.Add(time.Millisecond)
		tab.Add(&p)
	})
	if allocs != 0 {
		t.Errorf("Add of ESP on a known path allocates %.1f times, want 0", allocs)
	}
}
