package flows

import (
	"reflect"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

func TestQualityTruncated(t *testing.T) {
	s := newScript()
	ike := s.ike("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator, Length: 300}, 1)
	ike.Kind, ike.Err = decode.KindMalformed, "ike: message at offset 96: truncated: 96 of 300 bytes captured"
	ike.CapLen, ike.Length = 138, 342
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
		Src: ap("10.0.0.2:0").Addr(), Dst: ap("198.51.100.7:0").Addr(), Err: "ipv4: fragment truncated in capture"})
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
		{"ike frames", q.TruncatedIKEFrames.List(), []int{ike.Frame}},
		{"malformed", q.Malformed, 0},
		{"incomplete", q.Incomplete, 0},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got := q.TruncatedFrames.List(); len(got) != 3 || got[2] != frag.Frame {
		t.Errorf("truncated frames = %v, want the IKE, ESP and fragment frames", got)
	}
}

func TestQualityMalformedAndIncomplete(t *testing.T) {
	s := newScript()
	s.ike("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: 34, Flags: decode.IKEv2FlagInitiator, Length: 300}, 1)
	s.ike("198.51.100.7:500", "10.0.0.2:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 34, Flags: decode.IKEv2FlagResponse, Length: 300}, 2)
	bad := s.ike("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: 37, MessageID: 2, Flags: decode.IKEv2FlagInitiator}, 3)
	bad.Kind, bad.Err = decode.KindMalformed, `ike: payload "Notify" at offset 48: length 3 < 4`
	espBad := s.esp("10.0.0.2:4500", "198.51.100.7:4500", 0xc1, 1)
	espBad.Kind, espBad.Err = decode.KindMalformed, "esp: truncated header"
	reasm := s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 2, FirstFrame: 1,
		Src: ap("10.0.0.2:0").Addr(), Dst: ap("198.51.100.7:0").Addr(), Err: "ip: reassembled datagram: udp: length 9000 exceeds ip payload 2960"})
	lost := s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 1,
		Src: ap("10.0.0.2:0").Addr(), Dst: ap("198.51.100.7:0").Addr(), SrcPort: 4500, DstPort: 4500, NonESPMarker: true,
		Err: "ipv4: reassembly timed out: 1 fragments, 1480 octets, final fragment missing"})
	// The same on the NAT-T port without the marker: ESP in UDP, not IKE.
	espLost := s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 1,
		Src: ap("198.51.100.7:0").Addr(), Dst: ap("10.0.0.2:0").Addr(), SrcPort: 4500, DstPort: 4500,
		Err: "ipv4: reassembly timed out: 1 fragments, 1480 octets, final fragment missing"})
	end := s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 2,
		Src: ap("198.51.100.7:0").Addr(), Dst: ap("10.0.0.2:0").Addr(),
		Err: "ipv4: capture ended before reassembly: 2 fragments, 2960 octets, final fragment missing"})
	other := s.add(decode.Packet{Kind: decode.KindMalformed, Proto: ProtoUDP, Fragments: 1,
		Src: ap("10.0.0.2:0").Addr(), Dst: ap("192.0.2.53:0").Addr(), SrcPort: 53000, DstPort: 53,
		Err: "ipv4: reassembly timed out: 1 fragments, 1480 octets, final fragment missing"})
	a := s.run()
	q := a.Quality
	if q.Malformed != 3 || q.MalformedBy["ike"] != 1 || q.MalformedBy["esp"] != 1 || q.MalformedBy["ip"] != 1 {
		t.Errorf("malformed %d by %v; want 3: ike 1, esp 1, ip 1", q.Malformed, q.MalformedBy)
	}
	if q.FirstErrorFrame != bad.Frame || q.FirstError != bad.Err {
		t.Errorf("first error %d %q, want %d %q", q.FirstErrorFrame, q.FirstError, bad.Frame, bad.Err)
	}
	if got := q.MalformedFrames.List(); len(got) != 3 || got[2] != reasm.Frame {
		t.Errorf("malformed frames = %v", got)
	}
	if q.Incomplete != 4 || q.IncompleteAtEnd != 1 {
		t.Errorf("incomplete %d at end %d, want 4, 1", q.Incomplete, q.IncompleteAtEnd)
	}
	fr := a.Tunnels[0].IKEFragments
	if fr.Incomplete != 2 || fr.IncompleteByRole != [2]int{1, 1} || fr.IncompleteAtEnd != 1 || fr.IncompleteFragments != 3 {
		t.Errorf("tunnel incomplete %d by role %v at end %d fragments %d; want 2, [1 1], 1, 3 (the ESP datagram %d and the DNS datagram %d are not IKE)",
			fr.Incomplete, fr.IncompleteByRole, fr.IncompleteAtEnd, fr.IncompleteFragments, espLost.Frame, other.Frame)
	}
	if got := fr.IncompleteFrames.List(); len(got) != 2 || got[0] != lost.Frame || got[1] != end.Frame {
		t.Errorf("tunnel incomplete frames = %v, want [%d %d]", got, lost.Frame, end.Frame)
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
	fr := tun.IKEFragments
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
