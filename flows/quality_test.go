package flows

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// qualityTruncatedScript scripts VPN packets cut by the snap length, an
// ICMP error and a non-VPN packet cut too, and an IP fragment whose own
// length says the capture cut it; it returns the frames of the IKE message
// and of the fragment.
func qualityTruncatedScript() (s *script, ikeFrame, fragFrame int) {
	s = newScript()
	ike := s.ike("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator, Length: 300}, 1)
	ike.Kind = decode.KindMalformed
	ike.Fault = decode.Fault{Kind: decode.FaultNotCaptured, Layer: "ike", Offset: 96, Message: "ike: message at offset 96: truncated: 96 of 300 bytes captured"}
	ike.CapLen, ike.Length = 138, 342
	ikeFrame = ike.Frame
	esp := s.esp("10.0.0.2:4500", "198.51.100.7:4500", 0xc1, 1)
	esp.CapLen, esp.Length = 128, 1400
	other := s.add(udp("10.0.0.2:53000", "192.0.2.53:53"))
	other.CapLen, other.Length = 60, 400
	// An ICMP error cut by the snap length: its quote is decoded as far
	// as it goes, and it is no VPN packet the capture lost.
	icmp := s.add(decode.Packet{Kind: decode.KindICMPError, Proto: 1, Src: ap("192.0.2.1:0").Addr(), Dst: ap("10.0.0.2:0").Addr(),
		ICMP: &decode.ICMPError{Type: 3, Code: 4, MTU: 1400}})
	icmp.CapLen, icmp.Length = 60, 590
	frag := s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 1,
		Src: ap("10.0.0.2:0").Addr(), Dst: ap("198.51.100.7:0").Addr(),
		Fault: decode.Fault{Kind: decode.FaultNotCaptured, Layer: "ipv4", Offset: -1, Message: "ipv4: fragment truncated in capture"}})
	return s, ikeFrame, frag.Frame
}

func TestQualityTruncated(t *testing.T) {
	s, ikeFrame, fragFrame := qualityTruncatedScript()
	q := s.run().Quality
	checks := []struct {
		name      string
		got, want any
	}{
		{"truncated ike", q.TruncatedIKE, 1},
		{"truncated esp", q.TruncatedESP, 1},
		{"truncated other", q.TruncatedOther, 1},
		{"truncated", q.Truncated(), 3},
		{"snaplen", q.SnapLen, 138},
		{"ike frames", q.TruncatedIKEFrames.List(), []int{ikeFrame}},
		{"malformed", q.Malformed, 0},
		{"incomplete", q.Incomplete, 0},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got := q.TruncatedFrames.List(); len(got) != 3 || got[2] != fragFrame {
		t.Errorf("truncated frames = %v, want the IKE, ESP and fragment frames", got)
	}
}

// malformedFrames are the frames of qualityMalformedScript's packets.
type malformedFrames struct {
	bad, reasm, lost, espLost, end, other int
	badFault                              decode.Fault
	// evicted are the frames of the datagrams given up for the count of
	// datagrams and (two) for the octets held, and evictedFirst the
	// frames of their first fragments.
	evicted, evictedFirst [3]int
}

// qualityMalformedScript scripts an IKEv2 tunnel with a malformed IKE
// message, a malformed ESP packet, a reassembled datagram whose content is
// malformed, and IP datagrams given up with fragments missing: of IKE on
// the NAT-T port, of ESP in UDP, of IKE at the end of the capture, and of
// DNS; and IKE datagrams given up for reassembly's bounds, one for the
// count of datagrams and two for the octets held.
func qualityMalformedScript() (*script, malformedFrames) {
	var f malformedFrames
	s := newScript()
	s.ike("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator, Length: 300}, 1)
	s.ike("198.51.100.7:500", "10.0.0.2:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 34, Flags: decode.IKEv2FlagResponse, Length: 300}, 2)
	bad := s.ike("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 37, MessageID: 2, Flags: decode.IKEv2FlagInitiator}, 3)
	bad.Kind = decode.KindMalformed
	bad.Fault = decode.Fault{Kind: decode.FaultInvalid, Layer: "ike", Offset: 48, Message: `ike: payload "Notify" at offset 48: length 3 < 4`}
	f.bad, f.badFault = bad.Frame, bad.Fault
	espBad := s.esp("10.0.0.2:4500", "198.51.100.7:4500", 0xc1, 1)
	espBad.Kind = decode.KindMalformed
	espBad.Fault = decode.Fault{Kind: decode.FaultTruncated, Layer: "esp", Offset: 0, Message: "esp: header at offset 0: truncated"}
	timedOut := decode.Fault{Kind: decode.FaultFragmentsTimedOut, Layer: "ipv4", Offset: -1,
		Message: "ipv4: reassembly timed out: 1 fragments, 1480 octets, final fragment missing"}
	f.reasm = s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 2, FirstFrame: 1,
		Src: ap("10.0.0.2:0").Addr(), Dst: ap("198.51.100.7:0").Addr(),
		Fault: decode.Fault{Kind: decode.FaultInvalid, Layer: "ip", Offset: -1, Message: "ip: reassembled datagram: udp: length 9000 exceeds ip payload 2960"}}).Frame
	f.lost = s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 1,
		Src: ap("10.0.0.2:0").Addr(), Dst: ap("198.51.100.7:0").Addr(), SrcPort: 4500, DstPort: 4500, NonESPMarker: true,
		Fault: timedOut}).Frame
	// The same on the NAT-T port without the marker: ESP in UDP, not IKE.
	f.espLost = s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 1,
		Src: ap("198.51.100.7:0").Addr(), Dst: ap("10.0.0.2:0").Addr(), SrcPort: 4500, DstPort: 4500,
		Fault: timedOut}).Frame
	f.end = s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 2,
		Src: ap("198.51.100.7:0").Addr(), Dst: ap("10.0.0.2:0").Addr(),
		Fault: decode.Fault{Kind: decode.FaultFragmentsAtEnd, Layer: "ipv4", Offset: -1,
			Message: "ipv4: capture ended before reassembly: 2 fragments, 2960 octets, final fragment missing"}}).Frame
	f.other = s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 1,
		Src: ap("10.0.0.2:0").Addr(), Dst: ap("192.0.2.53:0").Addr(), SrcPort: 53000, DstPort: 53,
		Fault: timedOut}).Frame
	evicted := func(k decode.FaultKind, first, fragments, octets int) (frame int) {
		p := s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: fragments, FragmentOctets: octets,
			Src: ap("10.0.0.2:0").Addr(), Dst: ap("198.51.100.7:0").Addr(), SrcPort: 4500, DstPort: 4500, NonESPMarker: true,
			Fault: decode.Fault{Kind: k, Layer: "ipv4", Offset: -1, Message: "ipv4: reassembly table full, datagram dropped"}})
		p.FirstFrame = first
		return p.Frame
	}
	f.evictedFirst = [3]int{f.lost, f.espLost, f.end}
	f.evicted[0] = evicted(decode.FaultFragmentsEvicted, f.evictedFirst[0], 1, 1480)
	f.evicted[1] = evicted(decode.FaultFragmentsEvictedBytes, f.evictedFirst[1], 3, 4440)
	f.evicted[2] = evicted(decode.FaultFragmentsEvictedBytes, f.evictedFirst[2], 1, 8)
	return s, f
}

func TestQualityMalformedAndIncomplete(t *testing.T) {
	s, f := qualityMalformedScript()
	a := s.run()
	q := a.Quality
	if q.Malformed != 3 || q.MalformedBy["ike"] != 1 || q.MalformedBy["esp"] != 1 || q.MalformedBy["ip"] != 1 {
		t.Errorf("malformed %d by %v; want 3: ike 1, esp 1, ip 1", q.Malformed, q.MalformedBy)
	}
	if q.FirstFaultFrame != f.bad || q.FirstFault != f.badFault {
		t.Errorf("first fault %d %+v, want %d %+v", q.FirstFaultFrame, q.FirstFault, f.bad, f.badFault)
	}
	if got := q.MalformedFrames.List(); len(got) != 3 || got[2] != f.reasm {
		t.Errorf("malformed frames = %v", got)
	}
	if q.Incomplete != 4 || q.IncompleteAtEnd != 1 {
		t.Errorf("incomplete %d at end %d, want 4, 1", q.Incomplete, q.IncompleteAtEnd)
	}
	// Datagrams given up for reassembly's bounds are counted by bound,
	// apart from those the network left incomplete, and are no IKE
	// fragments a tunnel lost.
	byCount := Evicted{Datagrams: 1, Fragments: 1, Octets: 1480, FirstFrame: f.evictedFirst[0]}
	byCount.Frames.Add(f.evicted[0])
	byBytes := Evicted{Datagrams: 2, Fragments: 4, Octets: 4448, FirstFrame: f.evictedFirst[1]}
	byBytes.Frames.Add(f.evicted[1])
	byBytes.Frames.Add(f.evicted[2])
	if !reflect.DeepEqual(q.EvictedByCount, byCount) || !reflect.DeepEqual(q.EvictedByBytes, byBytes) || q.Evicted() != 3 {
		t.Errorf("evicted by count %+v, by bytes %+v; want %+v, %+v", q.EvictedByCount, q.EvictedByBytes, byCount, byBytes)
	}
	fr := a.Tunnels[0].IKEFragments()
	if fr.Incomplete != 2 || fr.IncompleteByRole != [2]int{1, 1} || fr.IncompleteAtEnd != 1 || fr.IncompleteFragments != 3 {
		t.Errorf("tunnel incomplete %d by role %v at end %d fragments %d; want 2, [1 1], 1, 3 (the ESP datagram %d and the DNS datagram %d are not IKE)",
			fr.Incomplete, fr.IncompleteByRole, fr.IncompleteAtEnd, fr.IncompleteFragments, f.espLost, f.other)
	}
	if got := fr.IncompleteFrames.List(); len(got) != 2 || got[0] != f.lost || got[1] != f.end {
		t.Errorf("tunnel incomplete frames = %v, want [%d %d]", got, f.lost, f.end)
	}
}

// TestQualityIgnoresWording checks that what the quality counts rests on
// the faults' kinds and layers, not on their words: the same packets with
// every message reworded give the same counts, frames and tunnel
// fragment accounting; only the first fault's message differs.
func TestQualityIgnoresWording(t *testing.T) {
	truncated, _, _ := qualityTruncatedScript()
	malformed, _ := qualityMalformedScript()
	for name, s := range map[string]*script{"truncated": truncated, "malformed": malformed} {
		t.Run(name, func(t *testing.T) {
			want := s.run()
			for i := range s.pkts {
				if f := &s.pkts[i].Fault; f.Message != "" {
					f.Message = "reworded: the capture ended, bytes captured in capture, reassembly " + strconv.Itoa(i)
				}
			}
			got := s.run()
			if got.Quality.Malformed > 0 && got.Quality.FirstFault.Message == want.Quality.FirstFault.Message {
				t.Fatal("the messages were not reworded")
			}
			got.Quality.FirstFault.Message = want.Quality.FirstFault.Message
			if !reflect.DeepEqual(got.Quality, want.Quality) {
				t.Errorf("reworded: quality %+v\nwant %+v", got.Quality, want.Quality)
			}
			if len(got.Tunnels) != len(want.Tunnels) {
				t.Fatalf("reworded: %d tunnels, want %d", len(got.Tunnels), len(want.Tunnels))
			}
			for i := range got.Tunnels {
				if !reflect.DeepEqual(got.Tunnels[i].IKEFragments(), want.Tunnels[i].IKEFragments()) {
					t.Errorf("reworded: tunnel %d fragments %+v, want %+v", i, got.Tunnels[i].IKEFragments(), want.Tunnels[i].IKEFragments())
				}
			}
		})
	}
}

func TestSendsBackoff(t *testing.T) {
	s := newScript()
	ikev2NATT(s, false)
	tun := s.run().Tunnels[0]
	auth := tun.Exchanges[1]
	sd := auth.Sends
	if sd.From != RoleInitiator || sd.N != 4 || sd.Retransmissions() != 3 || sd.Length != 0 {
		t.Errorf("sends from %v n %d retransmissions %d length %d; want initiator, 4, 3, 0", sd.From, sd.N, sd.Retransmissions(), sd.Length)
	}
	want := []time.Duration{4010 * time.Millisecond, 7210 * time.Millisecond, 12970 * time.Millisecond}
	if got := sd.Intervals(); !reflect.DeepEqual(got, want) {
		t.Errorf("intervals = %v, want %v", got, want)
	}
	if got := sd.FrameList(); !reflect.DeepEqual(got, []int{3, 4, 5, 6}) {
		t.Errorf("frames = %v, want [3 4 5 6]", got)
	}
	if sd.Src != ap("203.0.113.5:62001") || sd.Dst != ap("198.51.100.7:4500") {
		t.Errorf("endpoints %v -> %v", sd.Src, sd.Dst)
	}
	// The answered IKE_SA_INIT holds its response.
	if init := tun.Exchanges[0].Sends; init.From != RoleResponder || init.N != 1 || init.FrameList()[0] != 2 {
		t.Errorf("IKE_SA_INIT sends %+v, want the response once at frame 2", init)
	}
}

func TestSendsBeyondKept(t *testing.T) {
	s := newScript()
	req := decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator}
	for i := 0; i < maxSendsKept+3; i++ {
		s.after(time.Second).ike("10.0.0.2:500", "198.51.100.7:500", req, 1)
	}
	sd := s.run().Tunnels[0].Exchanges[0].Sends
	if sd.N != maxSendsKept+3 {
		t.Errorf("n = %d, want %d", sd.N, maxSendsKept+3)
	}
	iv := sd.Intervals()
	if len(iv) != maxSendsKept || iv[len(iv)-1] != 3*(time.Second+10*time.Millisecond) {
		t.Errorf("intervals = %v: want %d, the last spanning the 3 unkept transmissions", iv, maxSendsKept)
	}
	if fl := sd.FrameList(); len(fl) != maxSendsKept+1 || fl[len(fl)-1] != maxSendsKept+3 {
		t.Errorf("frames = %v", fl)
	}
}

func TestIKEFragmentsAndStrays(t *testing.T) {
	s := newScript()
	s.ike("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator, Length: 300}, 1)
	big := s.ike("10.0.0.2:4500", "198.51.100.7:4500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 35, MessageID: 1, Flags: decode.IKEv2FlagInitiator, Length: 2800}, 2)
	big.Fragments, big.FirstFrame = 2, 1
	// The responder's answer goes to another inside host.
	stray := s.ike("198.51.100.7:500", "10.0.0.3:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 34, Flags: decode.IKEv2FlagResponse, Length: 300}, 3)
	tun := s.run().Tunnels[0]
	fr := tun.IKEFragments()
	if fr.Largest != 2800 || fr.LargestFrame != big.Frame || fr.Messages != 1 || fr.ByRole != [2]int{1, 0} || fr.Fragments != 2 {
		t.Errorf("fragmentation %+v", fr)
	}
	if got := fr.FirstFrames.List(); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("first frames = %v, want [1]", got)
	}
	if tun.StrayCount != 1 || len(tun.Strays) != 1 || tun.Strays[0].Frame != stray.Frame || tun.Strays[0].To != ap("10.0.0.3:500") {
		t.Errorf("strays %d %+v, want one at frame %d to 10.0.0.3:500", tun.StrayCount, tun.Strays, stray.Frame)
	}
}

func TestNoStrayForKnownAddresses(t *testing.T) {
	s := newScript()
	ikev2NATT(s, true)
	if tun := s.run().Tunnels[0]; tun.StrayCount != 0 {
		t.Errorf("strays = %+v, want none", tun.Strays)
	}
}

// TestAddOtherNoAllocs checks that accounting a packet that is not VPN
// traffic, of a flow already known, allocates nothing.
func TestAddOtherNoAllocs(t *testing.T) {
	tab := NewTable(Options{})
	p := udp("10.0.0.2:53000", "192.0.2.53:53")
	p.Frame, p.Time, p.Length, p.CapLen = 1, time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), 400, 60
	tab.Add(&p)
	allocs := testing.AllocsPerRun(1000, func() {
		p.Frame++
		p.Time = p.Time.Add(time.Millisecond)
		tab.Add(&p)
	})
	if allocs != 0 {
		t.Errorf("Add of a non-VPN packet allocates %.1f times, want 0", allocs)
	}
}
