package flows

import (
	"slices"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

func TestSeqRuns(t *testing.T) {
	cases := []struct {
		name   string
		seqs   []uint32
		want   string
		count  int
		unkept int
	}{
		{"empty", nil, "", 0, 0},
		{"one", []uint32{7}, "7", 1, 0},
		{"run", []uint32{31, 32, 33, 34}, "31-34", 4, 0},
		{"runs and singles", []uint32{3, 9, 10, 11, 12, 40}, "3, 9-12, 40", 6, 0},
		{"repeat inside a run", []uint32{5, 6, 6, 7}, "5-7", 4, 0},
		{"out of order starts a run", []uint32{10, 11, 4, 5}, "10-11, 4-5", 4, 0},
		{"top of the range", []uint32{0xfffffffe, 0xffffffff, 0}, "4294967294-4294967295, 0", 3, 0},
		{"bounded", []uint32{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 20}, "1, 3, 5, 7, 9, 11, 13, 15 and 3 more", 11, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r SeqRuns
			for _, s := range tc.seqs {
				r.Add(s)
			}
			if got := r.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if r.Count != tc.count || r.Unkept != tc.unkept {
				t.Errorf("Count, Unkept = %d, %d; want %d, %d", r.Count, r.Unkept, tc.count, tc.unkept)
			}
			for _, seq := range tc.seqs {
				if !r.Contains(seq) && tc.unkept == 0 {
					t.Errorf("Contains(%d) = false, want true", seq)
				}
			}
			if r.Contains(1000) {
				t.Errorf("Contains(1000) = true")
			}
			if len(r.Runs()) > maxSeqRuns {
				t.Errorf("Runs() kept %d runs, more than %d", len(r.Runs()), maxSeqRuns)
			}
		})
	}
}

func TestSeqRunsNoAllocs(t *testing.T) {
	var r SeqRuns
	seq := uint32(0)
	if n := testing.AllocsPerRun(1000, func() { seq += 2; r.Add(seq) }); n != 0 {
		t.Errorf("Add allocates %v times, want 0", n)
	}
}

// TestCorrelateLostSequenceNumbers checks that correlation records which
// sequence numbers of an SA the other capture did not see.
func TestCorrelateLostSequenceNumbers(t *testing.T) {
	inside := nattInside(40)
	nat := pt.NAT{Map: nattNAT, Offset: time.Second, Delay: time.Millisecond,
		Drop: func(_ int, p *decode.Packet) bool {
			return p.Kind == decode.KindUDPESP && p.ESP.SPI == 0xc0ffee01 && (p.ESP.Seq == 5 || p.ESP.Seq >= 20 && p.ESP.Seq <= 24)
		}}
	c := Correlate(Packets("in.pcap", inside), Packets("out.pcap", nat.Translate(inside)),
		CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	for _, sa := range c.Inside.SAs {
		want := ""
		if sa.SPI == 0xc0ffee01 {
			want = "5, 20-24"
		}
		if got, n := sa.Lost.String(), lostCount(sa); got != want || n != sa.Fate().Dropped {
			t.Errorf("SA %#x: Lost = %q (%d), want %q (%d dropped)", sa.SPI, got, n, want, sa.Fate().Dropped)
		}
	}
	for _, sa := range c.Outside.SAs {
		if sa.Lost != nil {
			t.Errorf("outside SA %#x: Lost = %q, want none", sa.SPI, sa.Lost.String())
		}
	}
}

// TestGRESequenceFrames checks that a PPTP call's GRE sequence tracks keep
// the frames after gaps and of repeats.
func TestGRESequenceFrames(t *testing.T) {
	s := pt.New()
	s.PPTP("10.0.0.2:40000", "198.51.100.9:1723", pptpOutgoingCallRequest, 100, 0, 0)
	s.PPTP("198.51.100.9:1723", "10.0.0.2:40000", pptpOutgoingCallReply, 200, 100, 1)
	for _, seq := range []uint32{0, 1, 4, 5, 5, 3, 6} {
		s.GRE("10.0.0.2", "198.51.100.9", 200, seq)
	}
	a := Analyze(Packets("in.pcap", s.Packets), decode.Options{}, Options{})
	tr := a.Sessions[0].GREOutSeq
	if tr.Missing != 2 || tr.Repeated != 2 {
		t.Errorf("missing %d repeated %d, want 2 and 2", tr.Missing, tr.Repeated)
	}
	if got := tr.GapFrames.List(); !slices.Equal(got, []int{5}) {
		t.Errorf("gap frames = %v, want [5]", got)
	}
	if got := tr.DupFrames.List(); !slices.Equal(got, []int{7, 8}) {
		t.Errorf("repeat frames = %v, want [7 8]", got)
	}
}

// TestSeqRunsNil: an SA with nothing lost has no SeqRuns, which reads as
// empty.
func TestSeqRunsNil(t *testing.T) {
	var s *SeqRuns
	if s.Contains(7) || s.String() != "" || s.Runs() != nil {
		t.Errorf("nil SeqRuns: Contains %v, String %q, Runs %v; want false, \"\", nil", s.Contains(7), s.String(), s.Runs())
	}
}

// lostCount returns the sequence numbers an SA lost, 0 without any.
func lostCount(sa *ESPSA) int {
	if sa.Lost == nil {
		return 0
	}
	return sa.Lost.Count
}
