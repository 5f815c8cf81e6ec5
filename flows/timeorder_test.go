package flows

import (
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// mergedOutOfOrder is an IKEv2 NAT-T tunnel as a merged capture holds it:
// the part on port 4500 (IKE_AUTH, ESP, keepalives) comes first in the
// file, the IKE_SA_INIT on port 500 it followed comes after it with earlier
// time stamps. Frame numbers are the file's.
func mergedOutOfOrder() (file, sorted []decode.Packet) {
	s := newScript()
	ikev2NATT(s, true)
	sorted = slices.Clone(s.pkts)
	file = append(slices.Clone(s.pkts[2:]), s.pkts[:2]...)
	for i := range file {
		file[i].Frame, file[i].FirstFrame = i+1, i+1
	}
	for i := range sorted {
		// The same packets, numbered as the file numbers them.
		idx := slices.IndexFunc(file, func(p decode.Packet) bool { return p.Time.Equal(sorted[i].Time) })
		sorted[i].Frame, sorted[i].FirstFrame = file[idx].Frame, file[idx].Frame
	}
	return file, sorted
}

// TestAnalyzeTimeOrder checks that a capture whose time runs backwards is
// analysed in time order, with the file's frame numbers, as Table.Add
// does on the sorted packets, and that it says so.
func TestAnalyzeTimeOrder(t *testing.T) {
	file, sorted := mergedOutOfOrder()
	for _, summarize := range []bool{false, true} {
		a := Analyze(Packets("merged.pcap", file), decode.Options{KeepOther: true}, Options{SummarizeOther: summarize})
		if a.Capture.TimeOrder != OrderTime {
			t.Fatalf("TimeOrder = %v, want OrderTime", a.Capture.TimeOrder)
		}
		c := &a.Capture.Stats.Clock
		if c.Backward != 1 || c.FirstBackwardFrame != len(file)-1 {
			t.Errorf("clock: %d steps back, first at frame %d; want 1 at frame %d", c.Backward, c.FirstBackwardFrame, len(file)-1)
		}
		tun := a.Tunnels[0]
		if !tun.Float || len(tun.EndpointChanges) != 2 || !tun.EndpointChanges[0].Float || !tun.EndpointChanges[1].Float {
			t.Errorf("float %v, endpoint changes %+v; want the two peers' floats from 500 alone", tun.Float, tun.EndpointChanges)
		}
		if tun.InitiatorFirst.Port() != 500 || tun.Initiator.Port() != 62001 {
			t.Errorf("initiator %v → %v, want port 500 first, then 62001", tun.InitiatorFirst, tun.Initiator)
		}
		if tun.Frames.First() != len(file)-1 {
			t.Errorf("first IKE frame %d, want %d (frame numbers of the file)", tun.Frames.First(), len(file)-1)
		}
		want := NewTable(Options{SummarizeOther: summarize})
		for i := range sorted {
			p := sorted[i]
			want.Add(&p)
		}
		w := want.Finish(Capture{Path: "merged.pcap"})
		if !reflect.DeepEqual(a.Tunnels, w.Tunnels) || !reflect.DeepEqual(a.SAs, w.SAs) {
			t.Errorf("summarize %v: the analysis differs from the table of the sorted packets", summarize)
		}
	}
	// In file order, as before: no reordering when time does not run
	// backwards.
	_, inOrder := mergedOutOfOrder()
	slices.SortFunc(inOrder, func(x, y decode.Packet) int { return x.Frame - y.Frame })
	for i := range inOrder {
		inOrder[i].Time = time.Date(2026, 3, 14, 9, 0, i, 0, time.UTC)
	}
	if a := Analyze(Packets("x.pcap", inOrder), decode.Options{}, Options{}); a.Capture.TimeOrder != OrderFile {
		t.Errorf("monotonic capture: TimeOrder = %v, want OrderFile", a.Capture.TimeOrder)
	}
}

// TestDuplicatesLeftOut checks that copies of frames are counted and kept
// out of tunnels and SAs: no retransmission, no repeated sequence number.
func TestDuplicatesLeftOut(t *testing.T) {
	s := newScript()
	ikev2NATT(s, true)
	var pkts []decode.Packet
	for _, p := range s.pkts {
		pkts = append(pkts, p)
		if p.Kind == decode.KindIKE || p.Kind == decode.KindUDPESP {
			c := p
			c.Time = c.Time.Add(20 * time.Microsecond)
			c.DuplicateOf = -1 // numbered below
			pkts = append(pkts, c)
		}
	}
	for i := range pkts {
		pkts[i].Frame, pkts[i].FirstFrame = i+1, i+1
		if pkts[i].DuplicateOf != 0 {
			pkts[i].DuplicateOf = int32(i) // the frame before
		}
	}
	a := Analyze(Packets("dup.pcap", pkts), decode.Options{}, Options{})
	clean := Analyze(Packets("clean.pcap", s.pkts), decode.Options{}, Options{})
	tun, want := a.Tunnels[0], clean.Tunnels[0]
	if tun.Retransmissions != 0 || tun.Messages() != want.Messages() {
		t.Errorf("retransmissions %d, messages %d; want 0 and %d", tun.Retransmissions, tun.Messages(), want.Messages())
	}
	for i, sa := range a.SAs {
		if sa.Packets() != clean.SAs[i].Packets() || sa.Repeated != 0 {
			t.Errorf("SA %#x: %d packets, %d repeated; want %d, 0", sa.SPI, sa.Packets(), sa.Repeated, clean.SAs[i].Packets())
		}
	}
	q := &a.Quality
	if q.Duplicates != 10 || a.Capture.Stats.Duplicates != 10 || len(q.DuplicatePairs) != 8 || q.DuplicatePairs[0] != [2]int{2, 1} {
		t.Errorf("duplicates %d (stats %d), pairs %v; want 10, 10, 8 pairs from (2, 1)", q.Duplicates, a.Capture.Stats.Duplicates, q.DuplicatePairs)
	}
}

// TestMarkerMissing checks that IKE on 4500 without the non-ESP marker is
// recorded on its tunnel.
func TestMarkerMissing(t *testing.T) {
	s := newScript()
	ikev2NATT(s, true)
	s.pkts[2].NonESPMarker, s.pkts[2].MissingMarker = false, true
	a := s.run()
	if got := a.Tunnels[0].MarkerMissing.List(); !slices.Equal(got, []int{3}) {
		t.Errorf("MarkerMissing = %v, want [3]", got)
	}
}

// TestCorpusTimeAndCopies holds the analysis of public captures to what
// tshark and the packets show: nDPI's merged capture runs backwards ten
// times (largest step 69414.044 s at frame 287, first at frame 16; tshark's
// frame.time_delta) and, in time order, its tunnels float from 500 to 4500
// (IKE_SA_INIT at frames 16–19 precedes the IKE_AUTH of frames 1–6); the
// suricata-verify capture holds every IKE frame twice, 1 to 29 µs apart,
// with identical bytes (tshark -x), which are no retransmissions; Openswan's
// v1certN3 is an IKEv1 message on UDP 4500 without the non-ESP marker.
func TestCorpusTimeAndCopies(t *testing.T) {
	dir := corpus.Dir(t)
	t.Run("nDPI/ipsec_isakmp_esp.pcap", func(t *testing.T) {
		a := Analyze(File(filepath.Join(dir, "nDPI/ipsec_isakmp_esp.pcap")), decode.Options{}, Options{})
		c := &a.Capture.Stats.Clock
		if c.Backward != 10 || c.FirstBackwardFrame != 16 || c.LargestBackwardFrame != 287 || c.LargestBackward != 69414044*time.Millisecond {
			t.Errorf("clock: %d steps back, first at %d, largest %s at %d; want 10, 16, 19h16m54.044s at 287",
				c.Backward, c.FirstBackwardFrame, c.LargestBackward, c.LargestBackwardFrame)
		}
		if a.Capture.TimeOrder != OrderTime {
			t.Errorf("TimeOrder = %v, want OrderTime", a.Capture.TimeOrder)
		}
		i := slices.IndexFunc(a.Tunnels, func(t *Tunnel) bool { return t.SPIi == 0xb64ef32131a48952 })
		if i < 0 {
			t.Fatal("no tunnel b64ef32131a48952")
		}
		tun := a.Tunnels[i]
		if tun.InitiatorFirst.Port() != 10500 || tun.Initiator.Port() != 14500 || tun.FloatFrame != 1 {
			t.Errorf("tunnel %016x: initiator %v → %v, float at frame %d; want b64ef32131a48952 from 10500 to 14500 at frame 1",
				tun.SPIi, tun.InitiatorFirst, tun.Initiator, tun.FloatFrame)
		}
		// The tunnels come in time order: the second half of the file
		// was captured first.
		if first := a.Tunnels[0]; first.SPIi != 0xa8f687d0face5780 || first.Frames.First() != 287 {
			t.Errorf("first tunnel %016x at frame %d, want a8f687d0face5780 at frame 287", first.SPIi, first.Frames.First())
		}
		for _, tun := range a.Tunnels {
			for _, ch := range tun.EndpointChanges {
				if !ch.Float {
					t.Errorf("tunnel %016x: %s moved %v → %v at frame %d, which is no float", tun.SPIi, ch.Peer, ch.From, ch.To, ch.Frame)
				}
			}
		}
	})
	t.Run("suricata-verify/detect-bypass-udp/input.pcap", func(t *testing.T) {
		a := Analyze(File(filepath.Join(dir, "suricata-verify/detect-bypass-udp/input.pcap")), decode.Options{}, Options{})
		if a.Quality.Duplicates != 33 || a.Quality.DuplicatePairs[0] != [2]int{2, 1} {
			t.Errorf("duplicates %d, first pair %v; want 33, (2, 1)", a.Quality.Duplicates, a.Quality.DuplicatePairs)
		}
		if len(a.Tunnels) != 1 || a.Tunnels[0].Retransmissions != 0 || a.Tunnels[0].Messages() != 33 {
			t.Errorf("tunnel: %d retransmissions of %d messages; want 0 of 33", a.Tunnels[0].Retransmissions, a.Tunnels[0].Messages())
		}
	})
	t.Run("Openswan/xf88-v1certQI1/v1certN3.pcap", func(t *testing.T) {
		a := Analyze(File(filepath.Join(dir, "Openswan/xf88-v1certQI1/v1certN3.pcap")), decode.Options{}, Options{})
		if len(a.Tunnels) != 1 || len(a.SAs) != 0 {
			t.Fatalf("%d tunnels, %d ESP SAs; want 1 tunnel and no SA", len(a.Tunnels), len(a.SAs))
		}
		if tun := a.Tunnels[0]; tun.SPIi != 0x8001020304050607 || !slices.Equal(tun.MarkerMissing.List(), []int{1}) {
			t.Errorf("tunnel %016x, marker missing in %v; want 8001020304050607, frame 1", tun.SPIi, tun.MarkerMissing.List())
		}
	})
}

// TestCorrelateTimeOrder checks that an inside capture merged out of time
// order correlates as the same capture in order does: every packet
// matched, the same mappings.
func TestCorrelateTimeOrder(t *testing.T) {
	inside := nattInside(40)
	nat := pt.NAT{Map: nattNAT, Offset: 7300 * time.Millisecond, Delay: time.Millisecond}
	outside := nat.Translate(inside)
	half := len(inside) / 2
	merged := append(slices.Clone(inside[half:]), inside[:half]...)
	for i := range merged {
		merged[i].Frame, merged[i].FirstFrame = i+1, i+1
	}
	opts := CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}}
	want := Correlate(Packets("in.pcap", inside), Packets("out.pcap", outside), opts)
	got := Correlate(Packets("in.pcap", merged), Packets("out.pcap", outside), opts)
	if got.Inside.Capture.TimeOrder != OrderTime {
		t.Errorf("inside TimeOrder = %v, want OrderTime", got.Inside.Capture.TimeOrder)
	}
	if got.Matched != len(inside) || got.Unmatched != want.Unmatched || len(got.Mappings) != len(want.Mappings) {
		t.Errorf("merged: matched %d, unmatched %v, %d mappings; in order: %d, %v, %d",
			got.Matched, got.Unmatched, len(got.Mappings), want.Matched, want.Unmatched, len(want.Mappings))
	}
}

// TestAnalyzeTooManyToSort checks that a capture whose time runs backwards
// and that holds more packets than Options.MaxReorder is analysed in file
// order, and says so.
func TestAnalyzeTooManyToSort(t *testing.T) {
	file, _ := mergedOutOfOrder()
	a := Analyze(Packets("merged.pcap", file), decode.Options{}, Options{MaxReorder: len(file) - 1})
	if a.Capture.TimeOrder != OrderFileUnsorted {
		t.Fatalf("TimeOrder = %v, want OrderFileUnsorted", a.Capture.TimeOrder)
	}
	// File order: the initiator seems to come from 4500 first.
	if tun := a.Tunnels[0]; tun.InitiatorFirst.Port() != 62001 {
		t.Errorf("initiator first at %v, want the file's first, port 62001", tun.InitiatorFirst)
	}
	if a := Analyze(Packets("merged.pcap", file), decode.Options{}, Options{MaxReorder: len(file)}); a.Capture.TimeOrder != OrderTime {
		t.Errorf("at the limit: TimeOrder = %v, want OrderTime", a.Capture.TimeOrder)
	}
}

// TestAnalyzeStreamReadOnce: a source that can be read once is analysed in
// file order when its time runs backwards, and says why; read twice, it
// would fail.
func TestAnalyzeStreamReadOnce(t *testing.T) {
	file, _ := mergedOutOfOrder()
	src := Packets("-", file)
	reads := 0
	read := src.Read
	src.Read = func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		reads++
		return read(opts, fn)
	}
	src.Once = true
	for _, summarize := range []bool{false, true} {
		reads = 0
		a := Analyze(src, decode.Options{}, Options{SummarizeOther: summarize})
		if a.Capture.TimeOrder != OrderFileStream || reads != 1 {
			t.Errorf("summarize %v: TimeOrder = %v after %d reads, want OrderFileStream after 1", summarize, a.Capture.TimeOrder, reads)
		}
	}
}

// TestAnalyzeLateReports: an IP datagram given up when its reassembly timed
// out or a bound evicted it comes after later frames, with the frame and
// time of its latest fragment. That is no time running backwards; a later
// frame with an earlier time is.
func TestAnalyzeLateReports(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	src, dst := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("198.51.100.7")
	frag := decode.Packet{Frame: 1, FirstFrame: 1, Time: t0, Kind: decode.KindIPFragment, Src: src, Dst: dst, Proto: ProtoUDP,
		Fragment: decode.Fragment{ID: 7, More: true}}
	later := decode.Packet{Frame: 2, FirstFrame: 2, Time: t0.Add(31 * time.Second), Kind: decode.KindESP, Src: src, Dst: dst, Proto: 50,
		ESP: decode.ESPInfo{SPI: 0xc1, Seq: 1}}
	for _, k := range []decode.FaultKind{decode.FaultFragmentsTimedOut, decode.FaultFragmentsEvicted, decode.FaultFragmentsEvictedBytes} {
		givenUp := decode.Packet{Frame: 1, FirstFrame: 1, Time: t0, Kind: decode.KindMalformed, Src: src, Dst: dst, Proto: ProtoUDP, Fragments: 1,
			Fault: decode.Fault{Kind: k, Layer: "ipv4", Offset: -1}}
		a := Analyze(Packets("late.pcap", []decode.Packet{frag, later, givenUp}), decode.Options{}, Options{})
		if a.Capture.TimeOrder != OrderFile {
			t.Errorf("%v reported late: TimeOrder = %v, want OrderFile", k, a.Capture.TimeOrder)
		}
	}
	back := later
	back.Frame, back.FirstFrame, back.Time = 3, 3, t0
	if a := Analyze(Packets("back.pcap", []decode.Packet{frag, later, back}), decode.Options{}, Options{}); a.Capture.TimeOrder != OrderTime {
		t.Errorf("frame 3 before frame 2 in time: TimeOrder = %v, want OrderTime", a.Capture.TimeOrder)
	}
}
