package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// Tests of the capture quality rules VP901–VP908.

// vp9Healthy scripts a capture with nothing wrong: an IKEv2 tunnel that
// comes up, ESP both ways and DNS in both directions.
func vp9Healthy(seconds int) []decode.Packet {
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	for i := 1; i <= seconds; i++ {
		s.ESP("10.0.0.2:4500", "198.51.100.7:4500", 0xc1, uint32(i))
		s.ESP("198.51.100.7:4500", "10.0.0.2:4500", 0xc2, uint32(i))
		if i%5 == 0 {
			s.Other(17, "10.0.0.2:53000", "192.0.2.53:53", uint64(i)<<8)
			s.Other(17, "192.0.2.53:53", "10.0.0.2:53000", uint64(i)<<8|1)
		}
		s.After(time.Second)
	}
	return s.Packets
}

// vp9Source replays packets and then fails as a cut file does.
func vp9Source(pkts []decode.Packet, err error) flows.Source {
	src := flows.Packets("cut.pcap", pkts)
	read := src.Read
	src.Read = func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		st, _ := read(opts, fn)
		return st, err
	}
	return src
}

func TestVP901ReadError(t *testing.T) {
	pkts := vp9Healthy(5)
	err := &capture.FormatError{File: "cut.pcap", Offset: 4242, Err: fmt.Errorf("%w: record needs 1514 bytes, 700 left", capture.ErrTruncated)}
	a := flows.Analyze(vp9Source(pkts, err), decode.Options{KeepOther: true}, flows.Options{})
	c := NewContext(a, nil)
	f := wantFindings(t, checkRule(t, captureReadError{}, c), 1)[0]
	if f.Subject != "cut.pcap" || f.Tunnel != 0 {
		t.Errorf("subject %q tunnel %d; want cut.pcap, 0", f.Subject, f.Tunnel)
	}
	wantMessage(t, f.Message, "cut.pcap: the file ends in the middle of a record at byte offset 4242",
		fmt.Sprintf("the %d frames before the fault were analysed", len(pkts)))
	wantFrames(t, f, flows.SideInside, len(pkts))

	wantFindings(t, checkRule(t, captureReadError{}, oneCapture(t, pkts)), 0)
}

func TestVP902Snaplen(t *testing.T) {
	s := pt.New()
	for i, spi := range []uint64{testSPIi, 0x4444444444444444} {
		m := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
		m.SPIi = spi
		p := s.IKE("10.0.0.2:500", "198.51.100.7:500", m, uint64(i+1))
		p.Kind, p.Fault = decode.KindMalformed, decode.Fault{Kind: decode.FaultNotCaptured, Layer: "ike", Offset: 54, Message: "ike: message at offset 54: truncated: 54 of 300 bytes captured"}
		p.CapLen, p.Length = 96, 342
	}
	e := s.ESP("10.0.0.2:4500", "198.51.100.7:4500", 0xc1, 1)
	e.CapLen, e.Length = 96, 1400
	c := oneCapture(t, s.Packets)
	f := wantFindings(t, checkRule(t, captureSnaplenTruncated{}, c), 1)[0]
	if f.Confidence != High {
		t.Errorf("confidence %s, want high", f.Confidence)
	}
	wantMessage(t, f.Message, "in.pcap: 2 IKE messages were captured shorter than on the wire",
		"1 other VPN packet was cut too", "the snap length appears to be 96 bytes")
	wantFrames(t, f, flows.SideInside, 1, 2)
}

func TestVP902ESPOnly(t *testing.T) {
	pkts := vp9Healthy(3)
	for i := range pkts {
		if pkts[i].Kind == decode.KindUDPESP {
			pkts[i].CapLen, pkts[i].Length = 128, 1400
		}
	}
	f := wantFindings(t, checkRule(t, captureSnaplenTruncated{}, oneCapture(t, pkts)), 1)[0]
	if f.Confidence != Low {
		t.Errorf("confidence %s, want low", f.Confidence)
	}
	wantMessage(t, f.Message, "no IKE message was cut, but 6 VPN packets were captured shorter than on the wire")
}

func TestVP902Clean(t *testing.T) {
	pkts := vp9Healthy(3)
	// Non-VPN frames cut short do not matter.
	for i := range pkts {
		if pkts[i].Kind == decode.KindOther {
			pkts[i].CapLen, pkts[i].Length = 60, 400
		}
	}
	wantFindings(t, checkRule(t, captureSnaplenTruncated{}, oneCapture(t, pkts)), 0)
}

func TestVP903NothingInCommon(t *testing.T) {
	in := vp9Healthy(3)
	s := pt.New()
	m := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	m.SPIi = 0x5555555555555555
	s.IKE("203.0.113.9:500", "192.0.2.99:500", m, 77)
	cor := flows.Correlate(flows.Packets("in.pcap", in), flows.Packets("out.pcap", s.Packets),
		flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	c := NewCorrelatedContext(cor, nil)
	f := wantFindings(t, checkRule(t, capturesNotComparable{}, c), 1)[0]
	wantMessage(t, f.Message, "no packet of in.pcap (", "appears in out.pcap (1 VPN packet, 09:00:00.000–09:00:00.000 UTC)",
		"the captures share no traffic")
	wantFrames(t, f, flows.SideInside, 1)
	wantFrames(t, f, flows.SideOutside, 1)
	// One capture: the rule does not run.
	wantFindings(t, checkRule(t, capturesNotComparable{}, oneCapture(t, in)), 0)
}

func TestVP903And904Clean(t *testing.T) {
	in := vp9Healthy(30)
	nat := vp1NAT()
	c := twoCaptures(t, in, nat.Translate(in))
	wantFindings(t, checkRule(t, capturesNotComparable{}, c), 0)
	wantFindings(t, checkRule(t, capturesPartialOverlap{}, c), 0)
	wantFindings(t, checkRule(t, captureClockDrift{}, c), 0)
}

func TestVP904PartialOverlap(t *testing.T) {
	in := vp9Healthy(60)
	nat := vp1NAT()
	// The outside capture starts 20 s late.
	start := in[0].Time.Add(20 * time.Second)
	nat.Drop = func(i int, p *decode.Packet) bool { return p.Time.Before(start) }
	c := twoCaptures(t, in, nat.Translate(in))
	f := wantFindings(t, checkRule(t, capturesPartialOverlap{}, c), 1)[0]
	wantMessage(t, f.Message, "the packets of in.pcap span 09:00:00.000–", "outside the common span 09:00:2", "were not compared", "either one capture was not running then, or nothing crossed the device")
	if len(evidenceFrames(f, flows.SideInside)) == 0 {
		t.Errorf("no inside evidence: %v", f.Evidence)
	}
}

func TestVP905Drift(t *testing.T) {
	in := vp9Healthy(300)
	nat := vp1NAT()
	nat.Drift = 2000
	c := twoCaptures(t, in, nat.Translate(in))
	f := wantFindings(t, checkRule(t, captureClockDrift{}, c), 1)[0]
	if f.Confidence != Medium {
		t.Errorf("confidence %s, want medium", f.Confidence)
	}
	wantMessage(t, f.Message, "the clock of out.pcap runs 2000 ppm faster than that of in.pcap", "clocks drift by far less than 500 ppm")
}

func TestVP906Malformed(t *testing.T) {
	pkts := vp9Healthy(3)
	s := &pt.Script{Now: pkts[len(pkts)-1].Time.Add(time.Second)}
	for range pkts {
		s.Add(decode.Packet{}) // keep frame numbers running on
	}
	s.Packets = nil
	bad := s.IKE("10.0.0.2:4500", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeInformational, 2, false), 9)
	bad.Kind, bad.Fault = decode.KindMalformed, decode.Fault{Kind: decode.FaultInvalid, Layer: "ike", Offset: 48, Message: `ike: payload "Notify" at offset 48: length 3 < 4`}
	esp := s.ESP("10.0.0.2:4500", "198.51.100.7:4500", 0xc1, 99)
	esp.Kind, esp.Fault = decode.KindMalformed, decode.Fault{Kind: decode.FaultTruncated, Layer: "esp", Offset: 0, Message: "esp: truncated header"}
	lost := s.Add(decode.Packet{Kind: decode.KindMalformed, Proto: 17, Fragments: 1,
		Src: pt.AddrPort("10.0.0.2").Addr(), Dst: pt.AddrPort("198.51.100.7").Addr(), SrcPort: 4500, DstPort: 4500,
		Fault: decode.Fault{Kind: decode.FaultFragmentsTimedOut, Layer: "ipv4", Offset: -1, Message: "ipv4: reassembly timed out: 1 fragments, 1480 octets, final fragment missing"}})
	end := s.Add(decode.Packet{Kind: decode.KindMalformed, Proto: 17, Fragments: 2,
		Src: pt.AddrPort("10.0.0.2").Addr(), Dst: pt.AddrPort("198.51.100.7").Addr(),
		Fault: decode.Fault{Kind: decode.FaultFragmentsAtEnd, Layer: "ipv4", Offset: -1, Message: "ipv4: capture ended before reassembly: 2 fragments, 2960 octets, final fragment missing"}})
	badFrame, espFrame, lostFrame, endFrame := bad.Frame, esp.Frame, lost.Frame, end.Frame
	all := append(pkts, s.Packets...)
	f := wantFindings(t, checkRule(t, captureMalformedPackets{}, oneCapture(t, all)), 1)[0]
	wantMessage(t, f.Message,
		fmt.Sprintf(`2 VPN packets could not be decoded (esp 1, ike 1); the first, frame %d: ike: payload "Notify"`, badFrame),
		"2 IP datagrams were given up with fragments missing (1 of them still incomplete when the capture ended)")
	wantFrames(t, f, flows.SideInside, badFrame, espFrame, lostFrame, endFrame)
}

func TestVP906Clean(t *testing.T) {
	pkts := vp9Healthy(3)
	// A datagram cut off by the end of the capture alone is no finding.
	pkts = append(pkts, decode.Packet{Frame: len(pkts) + 1, Time: pkts[len(pkts)-1].Time, Kind: decode.KindMalformed, Proto: 17, Fragments: 1,
		Src: pt.AddrPort("10.0.0.2").Addr(), Dst: pt.AddrPort("198.51.100.7").Addr(),
		Fault: decode.Fault{Kind: decode.FaultFragmentsAtEnd, Layer: "ipv4", Offset: -1, Message: "ipv4: capture ended before reassembly: 1 fragments, 1480 octets, final fragment missing"}})
	wantFindings(t, checkRule(t, captureMalformedPackets{}, oneCapture(t, pkts)), 0)
}

func TestVP907Overflow(t *testing.T) {
	pkts := vp9Healthy(10)
	a := flows.Analyze(flows.Packets("big.pcap", pkts), decode.Options{KeepOther: true}, flows.Options{MaxFlows: 2})
	f := wantFindings(t, checkRule(t, captureTableOverflow{}, NewContext(a, nil)), 1)[0]
	wantMessage(t, f.Message, "big.pcap: the flow or tunnel table was full: not tracked: 1 flow (", "the analysis is incomplete")
	wantFindings(t, checkRule(t, captureTableOverflow{}, oneCapture(t, pkts)), 0)
	// The memory bound, not a count: it says how much and from which frame.
	a = flows.Analyze(flows.Packets("big.pcap", pkts), decode.Options{KeepOther: true}, flows.Options{MaxMemory: 2000})
	f = wantFindings(t, checkRule(t, captureTableOverflow{}, NewContext(a, nil)), 1)[0]
	wantMessage(t, f.Message, "big.pcap: the memory bound of 2,000 bytes was reached at frame ", "not tracked: ", "the analysis is incomplete")
}

// vp907Evicted scripts a healthy capture with an IKE tunnel, then IKE
// datagrams between its peers given up to keep IP reassembly within its
// bounds: one for the number of datagrams, two for the octets held. It
// returns the frames of the first fragment of the first datagram given up
// for each bound, and of the latest fragment of each datagram.
func vp907Evicted() (pkts []decode.Packet, firstByCount, firstByBytes int, latest []int) {
	pkts = vp9Healthy(10)
	s := &pt.Script{Now: pkts[len(pkts)-1].Time.Add(time.Second)}
	for range pkts {
		s.Add(decode.Packet{}) // keep frame numbers running on
	}
	s.Packets = nil
	client, gateway := pt.AddrPort(testClient).Addr(), pt.AddrPort(testGateway).Addr()
	evicted := func(k decode.FaultKind, id uint32, fragments, octets int) *decode.Packet {
		first := s.Add(decode.Packet{Kind: decode.KindIPFragment, Proto: 17, Src: client, Dst: gateway, SrcPort: 4500, DstPort: 4500,
			Fragment: decode.Fragment{ID: id, More: true}}).Frame
		p := s.Add(decode.Packet{Kind: decode.KindMalformed, Proto: 17, Fragments: fragments, FragmentOctets: octets,
			Src: client, Dst: gateway, SrcPort: 4500, DstPort: 4500, NonESPMarker: true,
			Fault: decode.Fault{Kind: k, Layer: "ipv4", Offset: -1, Message: "ipv4: reassembly table full, datagram dropped"}})
		p.FirstFrame = first
		latest = append(latest, p.Frame)
		return p
	}
	firstByCount = evicted(decode.FaultFragmentsEvicted, 1, 1, 1480).FirstFrame
	firstByBytes = evicted(decode.FaultFragmentsEvictedBytes, 2, 2, 2960).FirstFrame
	evicted(decode.FaultFragmentsEvictedBytes, 3, 40, 59200)
	return append(pkts, s.Packets...), firstByCount, firstByBytes, latest
}

// TestVP907Reassembly: datagrams given up for IP reassembly's bounds make
// one VP907 finding per capture, which says which bound, how many
// datagrams, fragments and octets, and from which frame; they are not
// fragments the network lost (VP104, VP906).
func TestVP907Reassembly(t *testing.T) {
	pkts, firstByCount, firstByBytes, latest := vp907Evicted()
	c := oneCapture(t, pkts)
	f := wantFindings(t, checkRule(t, captureTableOverflow{}, c), 1)[0]
	if f.Confidence != High || f.Subject != "in.pcap" {
		t.Errorf("confidence %s subject %q; want high, in.pcap", f.Confidence, f.Subject)
	}
	wantMessage(t, f.Message,
		"in.pcap: IP reassembly reached its bound of 1,024 datagrams in reassembly at once (vpnpcap's default): "+
			fmt.Sprintf("1 IP datagram with fragments still missing was given up, its 1 fragment (1,480 octets) not reassembled; it began at frame %d", firstByCount),
		"; IP reassembly reached its bound of 4 MiB of buffers for the datagrams in reassembly (vpnpcap's default): "+
			fmt.Sprintf("2 IP datagrams with fragments still missing were given up, their 42 fragments (62,160 octets) not reassembled; the first began at frame %d", firstByBytes),
		"; the analysis is incomplete")
	wantFrames(t, f, flows.SideInside, latest[0]-1, latest[0], latest[1]-1, latest[1], latest[2])
	if m := (captureTableOverflow{}).Meta(); m.Severity != Warning || m.Confidence != High {
		t.Errorf("VP907 is %s, %s; want a warning of high confidence: vpnpcap's own bound, counted exactly", m.Severity, m.Confidence)
	}
	wantFindings(t, checkRule(t, ikeFragmentsDropped{}, c), 0)
	wantFindings(t, checkRule(t, captureMalformedPackets{}, c), 0)

	// A bound set by the caller is said as it is, without "default".
	a := flows.Analyze(flows.Packets("in.pcap", pkts), decode.Options{KeepOther: true, MaxFragments: 16, MaxFragmentBytes: 64 << 10}, flows.Options{})
	f = wantFindings(t, checkRule(t, captureTableOverflow{}, NewContext(a, nil)), 1)[0]
	wantMessage(t, f.Message, "its bound of 16 datagrams in reassembly at once: ", "its bound of 65,536 bytes of buffers for the datagrams in reassembly: ")
	if strings.Contains(f.Message, "default") {
		t.Errorf("message %q calls a bound given the default", f.Message)
	}
}

func TestVP908ESPBothWays(t *testing.T) {
	// A capture filter on one direction of UDP 500/4500 IKE: requests
	// only, but raw ESP flows both ways.
	s := pt.New()
	s.IKE("10.0.0.2:500", "198.51.100.7:500", vp1Msg(decode.ExchangeTypeIKESAInit, 0, false), 1)
	s.IKE("10.0.0.2:500", "198.51.100.7:500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 2)
	for i := uint32(1); i <= 3; i++ {
		s.ESP("10.0.0.2", "198.51.100.7", 0xc1, i)
		s.ESP("198.51.100.7", "10.0.0.2", 0xc2, i)
	}
	f := wantFindings(t, checkRule(t, captureOneDirection{}, oneCapture(t, s.Packets)), 1)[0]
	if f.Tunnel != 1 || f.Confidence != High {
		t.Errorf("tunnel %d confidence %s; want 1, high", f.Tunnel, f.Confidence)
	}
	wantMessage(t, f.Message, "shows 2 IKE messages from the initiator 10.0.0.2 and none back, yet its 6 ESP packets flow both ways")
	wantFrames(t, f, flows.SideInside, 1, 3, 4)
	// VP101 lowers its confidence for such a tunnel.
	s.After(3*time.Second).IKE("10.0.0.2:500", "198.51.100.7:500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 2)
	s.After(6*time.Second).IKE("10.0.0.2:500", "198.51.100.7:500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 2)
	s.After(20*time.Second).ESP("10.0.0.2", "198.51.100.7", 0xc1, 9)
	u := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, oneCapture(t, s.Packets)), 1)[0]
	if u.Confidence != Low {
		t.Errorf("VP101 confidence %s, want low", u.Confidence)
	}
	wantMessage(t, u.Message, "the capture missed them")
}

func TestVP908OneWayMirror(t *testing.T) {
	s := pt.New()
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	for i := 0; i < 4; i++ {
		s.After(time.Duration(i)*time.Second).IKE("10.0.0.2:500", "198.51.100.7:500", req, 1)
		s.Other(17, fmt.Sprintf("10.0.0.2:%d", 53000+i), "192.0.2.53:53", uint64(100+i))
		s.Other(6, fmt.Sprintf("10.0.0.2:%d", 40000+i), "192.0.2.80:443", uint64(200+i))
	}
	f := wantFindings(t, checkRule(t, captureOneDirection{}, oneCapture(t, s.Packets)), 1)[0]
	if f.Confidence != High || f.Tunnel != 0 {
		t.Errorf("confidence %s tunnel %d; want high, 0", f.Confidence, f.Tunnel)
	}
	wantMessage(t, f.Message, "4 IKE messages of 1 IKE SA and not one response, and none of the 8 other conversations has packets in both directions")
	wantFrames(t, f, flows.SideInside, 1)
}

func TestVP908Clean(t *testing.T) {
	wantFindings(t, checkRule(t, captureOneDirection{}, oneCapture(t, vp9Healthy(5))), 0)
	// Unanswered IKE in a capture that sees both directions: a real
	// failure, not a capture artefact.
	wantFindings(t, checkRule(t, captureOneDirection{}, oneCapture(t, vp101Inside(30*time.Second))), 0)
}

func TestVP906LeavesIKEFragmentsToVP104(t *testing.T) {
	in, _ := vp104Inside(false)
	out := vp104Outside(in)
	wantFindings(t, checkRule(t, captureMalformedPackets{}, oneCapture(t, out)), 0)
	wantFindings(t, checkRule(t, ikeFragmentsDropped{}, oneCapture(t, out)), 1)
}

// TestVP906ESPFragments checks that ESP in UDP 4500 given up with
// fragments missing is VP906's, not VP104's: its first fragment shows an
// SPI where IKE has the non-ESP marker.
func TestVP906ESPFragments(t *testing.T) {
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	for i := 0; i < 3; i++ {
		s.After(time.Second).Add(decode.Packet{Src: pt.AddrPort("198.51.100.7").Addr(), Dst: pt.AddrPort("10.0.0.2").Addr(), Proto: 17,
			SrcPort: 4500, DstPort: 4500, Kind: decode.KindMalformed, Fragments: 1,
			Fault: decode.Fault{Kind: decode.FaultFragmentsTimedOut, Layer: "ipv4", Offset: -1, Message: "ipv4: reassembly timed out: 1 fragments, 1480 octets, final fragment missing"}})
	}
	vp1Background(s, 40*time.Second)
	c := oneCapture(t, s.Packets)
	f := wantFindings(t, checkRule(t, captureMalformedPackets{}, c), 1)[0]
	wantMessage(t, f.Message, "3 IP datagrams were given up with fragments missing")
	wantFindings(t, checkRule(t, ikeFragmentsDropped{}, c), 0)
}
