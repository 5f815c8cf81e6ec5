package flows

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// script builds packet sequences for table tests: each step is one packet
// one second (or a given gap) after the previous.
type script struct {
	t0     time.Time
	now    time.Time
	frame  int
	pkts   []decode.Packet
	hashes uint64
}

func newScript() *script {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	return &script{t0: t0, now: t0}
}

func (s *script) after(d time.Duration) *script { s.now = s.now.Add(d); return s }

func (s *script) add(p decode.Packet) *decode.Packet {
	s.frame++
	p.Frame, p.FirstFrame, p.Time = s.frame, s.frame, s.now
	if p.Length == 0 {
		p.Length = 200
	}
	s.pkts = append(s.pkts, p)
	s.now = s.now.Add(10 * time.Millisecond)
	return &s.pkts[len(s.pkts)-1]
}

func udp(src, dst string) decode.Packet {
	a, b := ap(src), ap(dst)
	return decode.Packet{Src: a.Addr(), Dst: b.Addr(), SrcPort: a.Port(), DstPort: b.Port(), Proto: ProtoUDP}
}

// ike adds an IKE message; hash distinguishes distinct messages (equal hash
// = retransmission).
func (s *script) ike(src, dst string, m decode.IKEMessage, hash uint64) *decode.Packet {
	p := udp(src, dst)
	p.Kind = decode.KindIKE
	mm := m
	p.IKE = &mm
	p.PayloadHash = hash
	p.NonESPMarker = p.SrcPort == 4500 || p.DstPort == 4500
	return s.add(p)
}

func (s *script) esp(src, dst string, spi, seq uint32) *decode.Packet {
	a, b := ap(src), ap(dst)
	p := decode.Packet{Src: a.Addr(), Dst: b.Addr(), Kind: decode.KindESP, Proto: ProtoESP, ESP: decode.ESPInfo{SPI: spi, Seq: seq}}
	if a.Port() != 0 {
		p = udp(src, dst)
		p.Kind = decode.KindUDPESP
		p.ESP = decode.ESPInfo{SPI: spi, Seq: seq}
	}
	return s.add(p)
}

func (s *script) keepalive(src, dst string) *decode.Packet {
	p := udp(src, dst)
	p.Kind = decode.KindNATKeepalive
	return s.add(p)
}

func (s *script) run() *Analysis {
	t := NewTable(Options{})
	for i := range s.pkts {
		t.Add(&s.pkts[i])
	}
	return t.Finish(Capture{Path: "test.pcap"})
}

const (
	spiI = 0x1111111111111111
	spiR = 0x2222222222222222
)

func natd(kind decode.NATDKind, match decode.NATDMatch) decode.NATD {
	return decode.NATD{Kind: kind, Match: match, PayloadType: 41}
}

// ikev2NATT scripts an IKEv2 tunnel with the initiator behind a NAT, as
// captured outside: the initiator's source hash mismatches.
func ikev2NATT(s *script, authAnswered bool) {
	ini, resp := "203.0.113.5:500", "198.51.100.7:500"
	s.ike(ini, resp, decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator,
		NATD: []decode.NATD{natd(decode.NATDSource, decode.NATDMismatch), natd(decode.NATDDestination, decode.NATDMatched)}}, 1)
	s.ike(resp, ini, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 34, Flags: decode.IKEv2FlagResponse,
		NATD: []decode.NATD{natd(decode.NATDSource, decode.NATDMatched), natd(decode.NATDDestination, decode.NATDMatched)}}, 2)
	ini4500, resp4500 := "203.0.113.5:62001", "198.51.100.7:4500"
	auth := decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Encrypted: true}
	s.ike(ini4500, resp4500, auth, 3)
	if !authAnswered {
		for _, gap := range []time.Duration{4 * time.Second, 7200 * time.Millisecond, 12960 * time.Millisecond} {
			s.after(gap).ike(ini4500, resp4500, auth, 3)
		}
		s.after(30 * time.Second)
		return
	}
	s.ike(resp4500, ini4500, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagResponse, Encrypted: true}, 4)
	for seq := uint32(1); seq <= 3; seq++ {
		s.esp(ini4500, resp4500, 0xc0ffee01, seq)
		s.esp(resp4500, ini4500, 0xc0ffee02, seq)
	}
	s.after(20*time.Second).keepalive(ini4500, resp4500)
	s.after(20*time.Second).keepalive(ini4500, resp4500)
}

func TestTunnelNATTEstablished(t *testing.T) {
	s := newScript()
	ikev2NATT(s, true)
	a := s.run()
	if len(a.Tunnels) != 1 {
		t.Fatalf("got %d tunnels, want 1", len(a.Tunnels))
	}
	tun := a.Tunnels[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"state", tun.State, StateEstablished},
		{"nat", tun.NAT(), NATInitiator},
		{"natt negotiated", tun.NATTNegotiated(), true},
		{"float", tun.Float, true},
		{"float frame", tun.FloatFrame, 3},
		{"encapsulation", tun.Encapsulation(), EncapUDP},
		{"esp sas", len(tun.ESPSAs), 2},
		{"esp packets", tun.ESPPackets(), 6},
		{"spi_r", tun.SPIr, uint64(spiR)},
		{"initiator", tun.Initiator, ap("203.0.113.5:62001")},
		{"initiator first", tun.InitiatorFirst, ap("203.0.113.5:500")},
		{"responder", tun.Responder, ap("198.51.100.7:4500")},
		{"endpoint changes", len(tun.EndpointChanges), 2},
		{"initiator float", tun.EndpointChanges[0].Float, true},
		{"keepalives", tun.Keepalives.Count, 2},
		{"keepalive interval", tun.Keepalives.MeanInterval().Round(time.Second), 20 * time.Second},
		{"exchanges", len(tun.Exchanges), 2},
		{"retransmissions", tun.Retransmissions, 0},
		{"faked", len(tun.NATDFaked()), 0},
		{"largest gap", tun.LargestGap.Round(time.Second), 20 * time.Second},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, sa := range tun.ESPSAs {
		if !sa.Inferred || sa.Tunnel != tun.ID {
			t.Errorf("SA %#x: tunnel %d inferred %v; want %d, true", sa.SPI, sa.Tunnel, sa.Inferred, tun.ID)
		}
	}
}

func TestTunnelAuthUnanswered(t *testing.T) {
	s := newScript()
	ikev2NATT(s, false)
	tun := s.run().Tunnels[0]
	if tun.State != StateFailed {
		t.Errorf("state = %v (%s), want failed", tun.State, tun.StateReason)
	}
	if tun.Retransmissions != 3 {
		t.Errorf("retransmissions = %d, want 3", tun.Retransmissions)
	}
	auth := tun.Exchanges[1]
	if auth.Answered || auth.Requests() != 4 || auth.Retransmissions != 3 {
		t.Errorf("IKE_AUTH exchange: answered %v, requests %d, retransmissions %d; want false, 4, 3", auth.Answered, auth.Requests(), auth.Retransmissions)
	}
	if len(tun.StateEvidence) != 4 {
		t.Errorf("state evidence = %v, want the 4 request frames", tun.StateEvidence)
	}
	if tun.Encapsulation() != EncapNone {
		t.Errorf("encapsulation = %v, want none", tun.Encapsulation())
	}
}

func TestTunnelIKEv1MainQuick(t *testing.T) {
	s := newScript()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	v1 := func(spir uint64, ex decode.ExchangeType, msgid uint32) decode.IKEMessage {
		return decode.IKEMessage{Version: 1, SPIi: spiI, SPIr: spir, Exchange: ex, MessageID: msgid}
	}
	rfc := decode.VendorID{Data: []byte{0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f}, Name: "RFC 3947"}
	mm1 := v1(0, 2, 0)
	mm1.VendorIDs = []decode.VendorID{rfc}
	s.ike(ini, resp, mm1, 1)
	mm2 := v1(spiR, 2, 0)
	mm2.VendorIDs = []decode.VendorID{rfc}
	s.ike(resp, ini, mm2, 2)
	mm3 := v1(spiR, 2, 0)
	mm3.NATD = []decode.NATD{{Kind: decode.NATDDestination, Match: decode.NATDMatched, PayloadType: 20}, {Kind: decode.NATDSource, Match: decode.NATDMatched, PayloadType: 20}}
	s.ike(ini, resp, mm3, 3)
	mm4 := v1(spiR, 2, 0)
	mm4.NATD = []decode.NATD{{Kind: decode.NATDDestination, Match: decode.NATDMismatch, PayloadType: 20}, {Kind: decode.NATDSource, Match: decode.NATDMatched, PayloadType: 20}}
	s.ike(resp, ini, mm4, 4)
	ini4500, resp4500 := "10.0.0.2:4500", "198.51.100.7:4500"
	s.ike(ini4500, resp4500, v1(spiR, 2, 0), 5)
	s.ike(resp4500, ini4500, v1(spiR, 2, 0), 6)
	s.ike(ini4500, resp4500, v1(spiR, 32, 77), 7)
	s.ike(resp4500, ini4500, v1(spiR, 32, 77), 8)
	s.ike(ini4500, resp4500, v1(spiR, 32, 77), 9)
	tun := s.run().Tunnels[0]
	if tun.State != StateEstablished {
		t.Errorf("state = %v (%s), want established", tun.State, tun.StateReason)
	}
	if tun.NAT() != NATInitiator {
		t.Errorf("nat = %v, want initiator (inside capture: the responder's hash of the initiator mismatches)", tun.NAT())
	}
	if !tun.NATTNegotiated() {
		t.Errorf("NAT-T not negotiated; vendor IDs %v", tun.NATTVendorIDs)
	}
	if len(tun.Exchanges) != 2 || !tun.Exchanges[0].Complete || !tun.Exchanges[1].Complete {
		t.Errorf("exchanges: %d, want Main and Quick, both complete", len(tun.Exchanges))
	}
	if !tun.Float || tun.FloatFrame != 5 {
		t.Errorf("float %v at %d, want true at 5", tun.Float, tun.FloatFrame)
	}
}

func TestTunnelIKEv1Retransmitted(t *testing.T) {
	s := newScript()
	ini, resp := "10.0.0.2:500", "198.51.100.7:500"
	mm1 := decode.IKEMessage{Version: 1, SPIi: spiI, Exchange: 2}
	s.ike(ini, resp, mm1, 1)
	s.after(5*time.Second).ike(ini, resp, mm1, 1)
	s.after(10*time.Second).ike(ini, resp, mm1, 1)
	tun := s.run().Tunnels[0]
	if tun.State != StateFailed || tun.Retransmissions != 2 {
		t.Errorf("state %v, retransmissions %d; want failed, 2", tun.State, tun.Retransmissions)
	}
}

func TestFlowTableCap(t *testing.T) {
	tab := NewTable(Options{MaxFlows: 2})
	for i := 0; i < 5; i++ {
		p := udp("10.0.0.2:"+itoa(1000+i), "192.0.2.53:53")
		p.Frame = i + 1
		tab.Add(&p)
		tab.Add(&p)
	}
	a := tab.Finish(Capture{})
	if len(a.Flows) != 2 || a.OverflowFlows != 3 || a.OverflowPackets != 6 {
		t.Errorf("flows %d, overflow flows %d, packets %d; want 2, 3, 6", len(a.Flows), a.OverflowFlows, a.OverflowPackets)
	}
}

func TestESPSequence(t *testing.T) {
	s := newScript()
	for _, seq := range []uint32{1, 2, 3, 7, 8, 8, 5, 9} {
		s.esp("10.0.0.2:0", "198.51.100.7:0", 0xabc, seq)
	}
	a := s.run()
	if len(a.SAs) != 1 {
		t.Fatalf("SAs = %d, want 1", len(a.SAs))
	}
	sa := a.SAs[0]
	// 4, 5 and 6 were skipped; 5 came late (reordered, not lost), the
	// second 8 is a duplicate.
	if sa.Missing != 2 || sa.Repeated != 2 || sa.MaxSeq != 9 || sa.Raw != 8 {
		t.Errorf("missing %d repeated %d max %d raw %d; want 2 2 9 8", sa.Missing, sa.Repeated, sa.MaxSeq, sa.Raw)
	}
	if got := sa.GapFrames.List(); len(got) != 1 || got[0] != 4 {
		t.Errorf("gap frames = %v, want [4]", got)
	}
	if len(a.Unattached) != 1 {
		t.Errorf("unattached = %d, want 1", len(a.Unattached))
	}
}

func TestPPTPSession(t *testing.T) {
	s := newScript()
	ctl := func(src, dst string, typ decode.PPTPMessageType, call, peer uint16, result uint8) {
		p := udp(src, dst)
		p.Proto, p.Kind = ProtoTCP, decode.KindPPTP
		p.PPTP = decode.PPTPInfo{Type: typ, CallID: call, PeerCallID: peer, ResultCode: result, HasCallID: call != 0, HasPeerCall: peer != 0}
		s.add(p)
	}
	gre := func(src, dst string, call uint16, seq uint32) {
		a, b := netip.MustParseAddr(src), netip.MustParseAddr(dst)
		s.add(decode.Packet{Src: a, Dst: b, Proto: ProtoGRE, Kind: decode.KindGRE,
			GRE: decode.GREInfo{Version: 1, KeyPresent: true, SeqPresent: true, CallID: call, Seq: seq, Protocol: 0x880b}})
	}
	c, srv := "10.0.0.2:40000", "198.51.100.9:1723"
	ctl(c, srv, pptpStartControlRequest, 0, 0, 0)
	ctl(srv, c, pptpStartControlReply, 0, 0, 1)
	ctl(c, srv, pptpOutgoingCallRequest, 100, 0, 0)
	ctl(srv, c, pptpOutgoingCallReply, 200, 100, 1)
	gre("10.0.0.2", "198.51.100.9", 200, 0)
	gre("10.0.0.2", "198.51.100.9", 200, 1)
	gre("10.0.0.2", "198.51.100.9", 200, 3)
	gre("198.51.100.9", "10.0.0.2", 100, 0)
	gre("198.51.100.9", "10.0.0.2", 555, 0)
	a := s.run()
	if len(a.Sessions) != 1 {
		t.Fatalf("sessions = %d, want 1", len(a.Sessions))
	}
	ss := a.Sessions[0]
	if !ss.ControlEstablished || ss.ClientCallID != 100 || ss.ServerCallID != 200 || ss.CallResult != 1 {
		t.Errorf("session = %+v", ss)
	}
	if ss.GREOut != 3 || ss.GREIn != 1 || ss.GREOther != 1 || ss.GREOutSeq.Missing != 1 {
		t.Errorf("gre out %d in %d other %d missing %d; want 3 1 1 1", ss.GREOut, ss.GREIn, ss.GREOther, ss.GREOutSeq.Missing)
	}
}

func TestESPReorderWindow(t *testing.T) {
	tests := []struct {
		name         string
		seqs         []uint32
		missing, rep int
	}{
		{"in order", []uint32{1, 2, 3}, 0, 0},
		{"swap", []uint32{1, 3, 2, 4}, 0, 1},
		{"late by 62 fills the gap", append(append([]uint32{1}, seqRange(3, 64)...), 2), 0, 1},
		{"loss", []uint32{1, 2, 5, 6}, 2, 0},
		{"duplicate of the newest", []uint32{1, 2, 2}, 0, 1},
		{"late beyond the window stays missing", append(append([]uint32{1}, seqRange(3, 80)...), 2), 1, 1},
		{"late within the window after a big jump", []uint32{1, 200, 150}, 197, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript()
			for _, q := range tc.seqs {
				s.esp("10.0.0.2:0", "198.51.100.7:0", 0xabc, q)
			}
			sa := s.run().SAs[0]
			if sa.Missing != tc.missing || sa.Repeated != tc.rep {
				t.Errorf("seqs %v: missing %d repeated %d, want %d %d", tc.seqs, sa.Missing, sa.Repeated, tc.missing, tc.rep)
			}
		})
	}
}

func seqRange(from, to uint32) []uint32 {
	var out []uint32
	for q := from; q <= to; q++ {
		out = append(out, q)
	}
	return out
}

// TestTunnelAnswerImplied: a capture that sees one direction only shows the
// initiator's IKE_AUTH and, later, its INFORMATIONAL with the next message
// ID — which it sends only once it has the IKE_AUTH response.
func TestTunnelAnswerImplied(t *testing.T) {
	s := newScript()
	ini, resp := "10.0.0.2:4500", "198.51.100.7:4500"
	s.ike("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator}, 1)
	s.ike(ini, resp, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator}, 2)
	s.after(30*time.Second).ike(ini, resp, decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 37, MessageID: 2, Flags: decode.IKEv2FlagInitiator}, 3)
	s.after(30 * time.Second)
	tun := s.run().Tunnels[0]
	if tun.State != StateEstablished {
		t.Errorf("state %s (%s): the INFORMATIONAL implies IKE_AUTH was answered", tun.State, tun.StateReason)
	}
}

// A flow's count of packets by kind stops at the largest uint32 rather
// than wrap to zero, which would tell the flow holds none of that kind.
func TestFlowKindCountStops(t *testing.T) {
	f := &Flow{}
	f.Kinds[decode.KindESP] = math.MaxUint32 - 1
	p := &decode.Packet{Kind: decode.KindESP, Frame: 1}
	for range 3 {
		f.add(p, DirAB)
	}
	if got := f.Kinds[decode.KindESP]; got != math.MaxUint32 {
		t.Errorf("ESP count %d, want %d", got, uint32(math.MaxUint32))
	}
	if f.Packets[DirAB] != 3 {
		t.Errorf("%d packets, want 3", f.Packets[DirAB])
	}
}
