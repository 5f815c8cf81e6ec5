package rules

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// Tests of the capture-time and copy rules VP909–VP911, of how the engine
// doubts findings that rest on capture time, and of the rules that go on
// without usable time stamps.

// vp91Merged returns vp9Healthy's capture as a merge puts it in a file:
// its second half first, so that time runs backwards once.
func vp91Merged() []decode.Packet {
	pkts := vp9Healthy(10)
	half := len(pkts) / 2
	merged := append(slices.Clone(pkts[half:]), pkts[:half]...)
	for i := range merged {
		merged[i].Frame, merged[i].FirstFrame = i+1, i+1
	}
	return merged
}

// vp91Epoch returns pkts with every time stamp set to the Unix epoch.
func vp91Epoch(pkts []decode.Packet) []decode.Packet {
	out := slices.Clone(pkts)
	for i := range out {
		out[i].Time = time.Unix(0, 0).UTC()
	}
	return out
}

func TestVP909TimeBackwards(t *testing.T) {
	pkts := vp91Merged()
	c := oneCapture(t, pkts)
	f := wantFindings(t, checkRule(t, captureTimeBackwards{}, c), 1)[0]
	back := len(pkts) - len(pkts)/2 + 1 // the first frame of the earlier half
	wantMessage(t, f.Message, "in.pcap: time runs backwards once", "at frame "+strconv.Itoa(back),
		"the packets were analysed in time order, under the file's frame numbers")
	wantFrames(t, f, flows.SideInside, back-1, back)
	// The tunnel is what it is in time order: no address change.
	wantFindings(t, checkRule(t, ikeAddressChange{}, c), 0)

	wantFindings(t, checkRule(t, captureTimeBackwards{}, oneCapture(t, vp9Healthy(10))), 0)

	// Too many packets to sort: file order, said so.
	a := flows.Analyze(flows.Packets("in.pcap", pkts), decode.Options{KeepOther: true}, flows.Options{MaxReorder: 10})
	f = wantFindings(t, checkRule(t, captureTimeBackwards{}, NewContext(a, nil)), 1)[0]
	wantMessage(t, f.Message, "too many packets to sort them in memory, so the analysis follows file order")
}

func TestVP910TimeUnusable(t *testing.T) {
	c := oneCapture(t, vp91Epoch(vp9Healthy(5)))
	f := wantFindings(t, checkRule(t, captureTimeUnusable{}, c), 1)[0]
	wantMessage(t, f.Message, "the time stamp 1970-01-01 00:00:00, the Unix epoch",
		"checks that measure capture time could not: VP101 (", "VP204 (how long ESP flowed one way; judging by packet counts, instead)",
		"VP305 (idle gaps against the NAT's UDP timeout)", "checks that need only the order of packets (VP110, VP202, VP203, VP309, VP404) ran on the order of the file")
	if strings.Contains(f.Message, "VP205") {
		t.Errorf("VP910 lists VP205, which needs two captures: %s", f.Message)
	}
	wantFindings(t, checkRule(t, captureTimeUnusable{}, oneCapture(t, vp9Healthy(5))), 0)
	// No time stamps at all (pcapng simple packet blocks).
	unstamped := vp9Healthy(2)
	for i := range unstamped {
		unstamped[i].Time = time.Time{}
	}
	f = wantFindings(t, checkRule(t, captureTimeUnusable{}, oneCapture(t, unstamped)), 1)[0]
	wantMessage(t, f.Message, "in.pcap: 0 of the "+strconv.Itoa(len(unstamped))+" frames carry a time stamp (pcapng simple packet blocks have none);")
	// One frame has nothing to time.
	wantFindings(t, checkRule(t, captureTimeUnusable{}, oneCapture(t, vp91Epoch(vp9Healthy(5))[:1])), 0)
}

func TestVP911DuplicateFrames(t *testing.T) {
	var pkts []decode.Packet
	for _, p := range vp9Healthy(3) {
		pkts = append(pkts, p)
		if p.Kind == decode.KindUDPESP {
			c := p
			c.Time = c.Time.Add(15 * time.Microsecond)
			c.DuplicateOf = -1
			pkts = append(pkts, c)
		}
	}
	for i := range pkts {
		pkts[i].Frame, pkts[i].FirstFrame = i+1, i+1
		if pkts[i].DuplicateOf != 0 {
			pkts[i].DuplicateOf = int32(i)
		}
	}
	c := oneCapture(t, pkts)
	f := wantFindings(t, checkRule(t, captureDuplicateFrames{}, c), 1)[0]
	wantMessage(t, f.Message, "in.pcap: 6 VPN frames of ", "are the same packet captured a second time, within 10ms of the first",
		"frame 6 repeats frame 5, frame 8 repeats frame 7")
	// Left out: the ESP SAs have no repeated sequence number.
	wantFindings(t, checkRule(t, espSequenceRepeated{}, c), 0)
	wantFindings(t, checkRule(t, captureDuplicateFrames{}, oneCapture(t, vp9Healthy(3))), 0)
}

// TestEngineDoubtsTime checks that the engine lowers the confidence of
// findings that rest on capture time on a capture whose time runs
// backwards or stands still, and leaves others alone.
func TestEngineDoubtsTime(t *testing.T) {
	s := pt.New()
	s.ESP("10.0.0.2:4500", "198.51.100.7:4500", 0xc1, 1)
	f := Finding{Confidence: High, Message: "m", Evidence: []Evidence{{Side: flows.SideInside, Frame: 1}}}
	for _, tc := range []struct {
		name      string
		pkts      []decode.Packet
		orderOnly bool
		want      Confidence
		note      string
	}{
		{"healthy", vp9Healthy(3), false, High, ""},
		{"backwards", vp91Merged(), false, Medium, "the capture's time runs backwards (VP909)"},
		{"backwards, order only", vp91Merged(), true, Medium, "the capture's time runs backwards (VP909)"},
		{"epoch", vp91Epoch(vp9Healthy(3)), false, Medium, "the capture's time stamps are all the same (VP910)"},
		{"epoch, order only", vp91Epoch(vp9Healthy(3)), true, High, ""},
	} {
		g := f
		oneCapture(t, tc.pkts).doubtTime(&g, tc.orderOnly)
		if g.Confidence != tc.want || tc.note == "" && g.Message != "m" || tc.note != "" && !strings.Contains(g.Message, tc.note) {
			t.Errorf("%s: confidence %s, message %q; want %s with %q", tc.name, g.Confidence, g.Message, tc.want, tc.note)
		}
	}
}

// vp91QuickLost scripts an IKEv1 Quick Mode whose QM3 does not get
// through: the responder resends QM2 after it, three times.
func vp91QuickLost() []decode.Packet {
	s := pt.New()
	ini, resp := "192.1.2.254:4500", "192.1.2.23:4500"
	m := func(h uint64) decode.IKEMessage {
		return decode.IKEMessage{Version: 1, SPIi: 0x9e89f2388f90bc1e, SPIr: 0x0a74357ce3d1a4bf, Exchange: decode.ExchangeTypeQuick, MessageID: 0x8b7e8947, Encrypted: true}
	}
	s.IKE(ini, resp, m(1), 1)
	s.IKE(resp, ini, m(2), 2)
	s.IKE(ini, resp, m(3), 3)
	for range 3 {
		s.After(time.Second)
		s.IKE(resp, ini, m(2), 2)
		s.IKE(ini, resp, m(3), 3)
	}
	return s.Packets
}

func TestVP101FinalMessageLost(t *testing.T) {
	f := wantFindings(t, checkRule(t, ikeRequestUnanswered{}, oneCapture(t, vp91QuickLost())), 1)[0]
	wantMessage(t, f.Message, "the responder 192.1.2.23:4500 sent QM2 (message ID 0x8b7e8947) again 3 times after the initiator had sent the final QM3 (frames 4, 6, 8)",
		"the initiator sent QM3 4 times in all (frames 3, 5, 7, 9)", "the final message did not reach the responder, or the responder did not accept it")
	wantFrames(t, f, flows.SideInside, 3, 4, 5, 6, 7, 8, 9)

	// Resent once only: below the threshold of two retransmissions.
	wantFindings(t, checkRule(t, ikeRequestUnanswered{}, oneCapture(t, vp91QuickLost()[:5])), 0)

	// QM3 sent once and QM2 resent after it without another QM3: one
	// frame is named as one.
	var once []decode.Packet
	for _, p := range vp91QuickLost() {
		if p.Frame <= 3 || p.SrcPort == 4500 && p.Src.String() == "192.1.2.23" {
			once = append(once, p)
		}
	}
	f = wantFindings(t, checkRule(t, ikeRequestUnanswered{}, oneCapture(t, once)), 1)[0]
	wantMessage(t, f.Message, "again 3 times after the initiator had sent the final QM3 (frames 4, 6, 8)",
		"the initiator sent QM3 once in all (frame 3)")
}

// TestVP204Untimed checks that ESP one way is judged by counts in a
// capture whose time stamps are all the same, without a duration.
func TestVP204Untimed(t *testing.T) {
	s := pt.New()
	vp1SAInit(s, "10.0.0.2:500", "198.51.100.7:500")
	s.IKE("10.0.0.2:4500", "198.51.100.7:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.IKE("198.51.100.7:4500", "10.0.0.2:4500", vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	for i := 1; i <= 8; i++ {
		s.ESP("10.0.0.2:4500", "198.51.100.7:4500", 0xf4dc0ae5, uint32(i))
	}
	timed := oneCapture(t, s.Packets)
	// 80 ms of ESP: too short to call it one way when time can tell.
	wantFindings(t, checkRule(t, espOneWay{}, timed), 0)
	f := wantFindings(t, checkRule(t, espOneWay{}, oneCapture(t, vp91Epoch(s.Packets))), 1)[0]
	wantMessage(t, f.Message, "8 packets on SPI 0xf4dc0ae5, over a time the capture does not tell; none from 198.51.100.7 back")
}

// TestVP310MarkerMissingAnySPI checks that IKE the decoder found on 4500
// without the marker is reported whatever its SPIs, with no ESP SA of them.
func TestVP310MarkerMissingAnySPI(t *testing.T) {
	s := pt.New()
	m := decode.IKEMessage{Version: 1, SPIi: 0x8001020304050607, SPIr: 0x640a06435c7c4b31, Exchange: decode.ExchangeTypeIdentityProtection, Encrypted: true}
	p := s.IKE("192.168.0.1:4500", "93.184.216.34:55044", m, 1)
	p.NonESPMarker, p.MissingMarker = false, true
	f := wantFindings(t, checkRule(t, nonESPMarkerViolation{}, oneCapture(t, s.Packets)), 1)[0]
	wantMessage(t, f.Message, "1 IKE message of this IKE SA travels on UDP port 4500 without the non-ESP marker (frame 1, first 192.168.0.1:4500 to 93.184.216.34:55044)",
		"initiator SPI 0x8001020304050607 for an ESP SPI (0x80010203)")
}

// TestCorpusCaptureQuality holds the analysis of public captures, through
// the engine, to what tshark and the packets show.
func TestCorpusCaptureQuality(t *testing.T) {
	dir := corpus.Dir(t)
	run := func(t *testing.T, rel string, dopts decode.Options) (*Context, []Finding) {
		t.Helper()
		a := flows.Analyze(flows.File(filepath.Join(dir, rel)), dopts, flows.Options{SummarizeOther: true})
		c := NewContext(a, nil)
		return c, Run(c)
	}
	byRule := func(fs []Finding, id string) []Finding {
		var out []Finding
		for _, f := range fs {
			if f.RuleID == id {
				out = append(out, f)
			}
		}
		return out
	}
	// tshark: frame.time_delta < 0 at frames 16, 77, 104, 180, 260, 287,
	// 397, 612, 701 and 751; the largest, -69414.044 s, at frame 287.
	// In time order each IKE SA starts on 500 (10500 after the client's
	// NAT) and floats to 4500 (14500): no peer changes address or port
	// otherwise, so VP110 has nothing to say.
	t.Run("nDPI/ipsec_isakmp_esp.pcap", func(t *testing.T) {
		c, fs := run(t, "nDPI/ipsec_isakmp_esp.pcap", decode.Options{KeepOther: true})
		f := wantFindings(t, byRule(fs, "VP909"), 1)[0]
		wantMessage(t, f.Message, "time runs backwards 10 times; the largest step back is 19h17m (69414.044 s), at frame 287; the first at frame 16")
		wantFrames(t, f, flows.SideInside, 15, 16, 286, 287)
		wantFindings(t, byRule(fs, "VP110"), 0)
		for _, f := range fs {
			if m := Lookup(f.RuleID).Meta(); m.TimeUse != "" && (f.Confidence == High || !strings.Contains(f.Message, "(VP909)")) {
				t.Errorf("%s on tunnel %d rests on capture time, yet %s confidence: %s", f.RuleID, f.Tunnel, f.Confidence, f.Message)
			}
		}
		for _, v := range c.Tunnels {
			if t0 := v.Any(); t0.Float && (t0.InitiatorFirst.Port() == 14500 || t0.ResponderFirst.Port() == 4500) {
				t.Errorf("tunnel %d (%016x) floats from %v/%v: file order, not time order", v.ID, t0.SPIi, t0.InitiatorFirst, t0.ResponderFirst)
			}
		}
	})
	// All 35 frames at the epoch (tshark frame.time_epoch 0). Quick Mode
	// message ID 0x8b7e8947: QM2 from 192.1.2.23 in frames 10, 15, 20 and
	// 30 (identical UDP payloads), QM3 from 192.1.2.254 in frames 11, 16
	// and 21 (identical); ESP SPI 0xf4dc0ae5 from 192.1.2.254, sequence 1
	// to 8, and none back.
	t.Run("tcpdump/isakmp4500.pcap", func(t *testing.T) {
		_, fs := run(t, "tcpdump/isakmp4500.pcap", decode.Options{KeepOther: true})
		wantMessage(t, wantFindings(t, byRule(fs, "VP910"), 1)[0].Message, "all 35 frames carry the time stamp 1970-01-01 00:00:00, the Unix epoch")
		f := wantFindings(t, byRule(fs, "VP101"), 1)[0]
		wantMessage(t, f.Message, "the responder 192.1.2.23:4500 sent QM2 (message ID 0x8b7e8947) again 3 times after the initiator had sent the final QM3 (frames 15, 20, 30)",
			"the initiator sent QM3 3 times in all (frames 11, 16, 21)", "(VP910)")
		if f.Confidence != Medium {
			t.Errorf("VP101 confidence %s, want medium: no time to go by", f.Confidence)
		}
		f = wantFindings(t, byRule(fs, "VP204"), 1)[0]
		wantMessage(t, f.Message, "ESP flows only from 192.1.2.254 (initiator) to 192.1.2.23 (responder): 8 packets on SPI 0xf4dc0ae5, over a time the capture does not tell")
		if f.Confidence != Medium {
			t.Errorf("VP204 confidence %s, want medium", f.Confidence)
		}
		wantFindings(t, byRule(fs, "VP911"), 0)
	})
	// tshark -x: frames 2k and 2k-1 are byte for byte the same, 1 to
	// 29 µs apart; the IKE_INTERMEDIATE and IKE_AUTH exchanges themselves
	// are never resent.
	t.Run("suricata-verify/detect-bypass-udp/input.pcap", func(t *testing.T) {
		c, fs := run(t, "suricata-verify/detect-bypass-udp/input.pcap", decode.Options{KeepOther: true})
		f := wantFindings(t, byRule(fs, "VP911"), 1)[0]
		wantMessage(t, f.Message, "33 VPN frames of 66 are the same packet captured a second time", "frame 2 repeats frame 1", "every VPN packet was captured twice")
		if tun := c.Tunnels[0].Any(); tun.Retransmissions != 0 {
			t.Errorf("tunnel: %d retransmissions, want none", tun.Retransmissions)
		}
		wantFindings(t, byRule(fs, "VP101"), 0)
	})
	// tshark dissects ESP with SPI 0x80010203, sequence 0x04050607: the
	// first octets of an IKEv1 header (version 0x10, exchange 2, length
	// 1324 = the UDP payload) on UDP 4500 without the marker.
	t.Run("Openswan/xf88-v1certQI1/v1certN3.pcap", func(t *testing.T) {
		_, fs := run(t, "Openswan/xf88-v1certQI1/v1certN3.pcap", decode.Options{KeepOther: true})
		f := wantFindings(t, byRule(fs, "VP310"), 1)[0]
		wantMessage(t, f.Message, "1 IKE message of this IKE SA travels on UDP port 4500 without the non-ESP marker (frame 1, first 192.168.0.1:4500 to 93.184.216.34:55044)",
			"for an ESP SPI (0x80010203)")
		wantFindings(t, byRule(fs, "VP208"), 0)
	})
	// Ports a NAT gave the client, named as IKE ports: nDPI's client
	// 10500 (its 500) and 14500 (its 4500); zeek-plugin-ikev2's
	// responder answers to 63995 (IKE_SA_INIT, no marker) and 53725
	// (IKE_AUTH, with the marker). They carry IKE with and without the
	// marker, and the analysis is the one without the option: no marker
	// violation, no ESP made of IKE SPIs, no split mapping.
	for _, tc := range []struct {
		file  string
		ports []uint16
	}{
		{"nDPI/ipsec_isakmp_esp.pcap", []uint16{10500, 14500}},
		{"zeek-plugin-ikev2/ikev2.pcap", []uint16{63995, 53725}},
	} {
		t.Run(fmt.Sprintf("%s --ike-port %v", tc.file, tc.ports), func(t *testing.T) {
			plain, pfs := run(t, tc.file, decode.Options{KeepOther: true})
			c, fs := run(t, tc.file, decode.Options{KeepOther: true, IKEPorts: tc.ports})
			wantFindings(t, byRule(fs, "VP310"), 0)
			a, b := c.Captures[0], plain.Captures[0]
			if len(a.Tunnels) != len(b.Tunnels) || len(a.SAs) != len(b.SAs) || len(fs) != len(pfs) {
				t.Errorf("with the ports: %d tunnels, %d SAs, %d findings; without: %d, %d, %d",
					len(a.Tunnels), len(a.SAs), len(fs), len(b.Tunnels), len(b.SAs), len(pfs))
			}
			if a.Capture.Stats.Kinds != b.Capture.Stats.Kinds {
				t.Errorf("kinds with the ports %v, without %v", a.Capture.Stats.Kinds, b.Capture.Stats.Kinds)
			}
		})
	}
}
