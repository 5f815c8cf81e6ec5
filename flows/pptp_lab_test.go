package flows

import (
	"slices"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// labPPTPCall is what a lab scenario's TRUTH.md (its facts tables, taken
// from tshark) says of one PPTP call in one capture: the client's control
// endpoint, the call IDs of the Outgoing-Call-Request and -Reply, and the
// frames of the call's GRE each way.
type labPPTPCall struct {
	client           string
	clientID, server uint16
	greOut, greIn    []int
}

func labCorrelate(t *testing.T, scenario string) *Correlation {
	t.Helper()
	in, out := corpus.LabScenario(t, scenario)
	cor := Correlate(File(in), File(out), CorrelateOptions{RolesGiven: true})
	for _, a := range []*Analysis{cor.Inside, cor.Outside} {
		if a.Capture.ReadError != nil {
			t.Fatalf("%s: %v", a.Capture.Path, a.Capture.ReadError)
		}
	}
	return cor
}

func checkLabCalls(t *testing.T, side string, got []*PPTPSession, want []labPPTPCall) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d PPTP calls, want %d", side, len(got), len(want))
	}
	for i, w := range want {
		s := got[i]
		if s.Client.String() != w.client || !s.ControlEstablished || !s.CallReplied || s.CallResult != 1 {
			t.Errorf("%s call %d: client %s, control %v, replied %v result %d; want %s connected", side, i+1, s.Client, s.ControlEstablished, s.CallReplied, s.CallResult, w.client)
		}
		if s.ClientCallID != w.clientID || s.ServerCallID != w.server {
			t.Errorf("%s call %d: call IDs %#04x/%#04x, want %#04x/%#04x", side, i+1, s.ClientCallID, s.ServerCallID, w.clientID, w.server)
		}
		if got := s.GREOutFrames.List(); !slices.Equal(got, w.greOut) {
			t.Errorf("%s call %d: GRE to the server in frames %v, want %v", side, i+1, got, w.greOut)
		}
		if got := s.GREInFrames.List(); !slices.Equal(got, w.greIn) {
			t.Errorf("%s call %d: GRE to the client in frames %v, want %v", side, i+1, got, w.greIn)
		}
		if s.GREOther != 0 || s.GREInShared != 0 || s.GREOutShared != 0 {
			t.Errorf("%s call %d: %d GRE with other call IDs, %d/%d shared; want none", side, i+1, s.GREOther, s.GREOutShared, s.GREInShared)
		}
	}
}

// TestPPTPSessionsLabHelper: the NAT with the Linux PPTP helper rewrote
// each client's call ID 0x4000 to its translated TCP port (0x9c40, 0x311a)
// and every GRE packet crossed both ways, under the translated key outside.
func TestPPTPSessionsLabHelper(t *testing.T) {
	cor := labCorrelate(t, "pptp-gre")
	checkLabCalls(t, "inside", cor.Inside.Sessions, []labPPTPCall{
		{"10.0.0.2:40000", 0x4000, 0x8001, []int{13, 17, 19, 37, 41}, []int{14, 15, 18, 20, 38, 42}},
		{"10.0.0.3:40000", 0x4000, 0x8002, []int{33, 39, 43, 53, 55}, []int{34, 35, 40, 44, 54, 56}},
	})
	checkLabCalls(t, "outside", cor.Outside.Sessions, []labPPTPCall{
		{"198.51.100.1:40000", 0x9c40, 0x8001, []int{13, 17, 19, 35, 39}, []int{14, 15, 18, 20, 36, 40}},
		{"198.51.100.1:12570", 0x311a, 0x8002, []int{31, 37, 41, 51, 53}, []int{32, 33, 38, 42, 52, 54}},
	})
}

// TestPPTPSessionsLabNoHelper: without the helper both calls keep call ID
// 0x4000 from one public address, so outside the server's GRE to
// 198.51.100.1 carries key 0x4000 for both. Which call a packet is for
// shows only in its GRE sequence numbers (each call's stream counts 0 to
// 5) and the server's log: frames 14, 16, 20, 23, 42, 47 are the first
// call's, 36, 38, 45, 50, 60, 62 the second's. A packet sent while both
// calls were up must not be counted for one of them alone.
func TestPPTPSessionsLabNoHelper(t *testing.T) {
	cor := labCorrelate(t, "pptp-gre-nohelper")
	checkLabCalls(t, "inside", cor.Inside.Sessions, []labPPTPCall{
		{"10.0.0.2:40000", 0x4000, 0x8001, []int{13, 15, 16, 31, 33}, nil},
		{"10.0.0.3:40000", 0x4000, 0x8002, []int{29, 32, 34, 43, 44}, nil},
	})
	out := cor.Outside.Sessions
	if len(out) != 2 {
		t.Fatalf("outside: %d PPTP calls, want 2", len(out))
	}
	truth := [2][]int{{14, 16, 20, 23, 42, 47}, {36, 38, 45, 50, 60, 62}}
	wantOut := [2][]int{{13, 19, 22, 41, 46}, {35, 44, 49, 59, 61}}
	all := map[int]bool{}
	for i, s := range out {
		if s.ClientCallID != 0x4000 || s.ServerCallID != 0x8001+uint16(i) {
			t.Errorf("outside call %d: call IDs %#04x/%#04x, want 0x4000/%#04x", i+1, s.ClientCallID, s.ServerCallID, 0x8001+i)
		}
		if got := s.GREOutFrames.List(); !slices.Equal(got, wantOut[i]) {
			t.Errorf("outside call %d: GRE to the server in frames %v, want %v", i+1, got, wantOut[i])
		}
		own, shared := s.GREInFrames.List(), s.GREInSharedFrames.List()
		for _, f := range own {
			if !slices.Contains(truth[i], f) {
				t.Errorf("outside call %d: the server's GRE in frame %d counted for it alone; it belongs to the other call", i+1, f)
			}
		}
		for _, f := range truth[i] {
			if !slices.Contains(own, f) && !slices.Contains(shared, f) {
				t.Errorf("outside call %d: its server GRE in frame %d is neither counted for it nor shared", i+1, f)
			}
		}
		if len(shared) == 0 {
			t.Errorf("outside call %d: no GRE counted as shared, though both calls were up with one key", i+1)
		}
		for _, f := range append(own, shared...) {
			all[f] = true
		}
		if s.GREInSeq.Repeated != 0 || s.GREInSeq.Missing != 0 {
			t.Errorf("outside call %d: GRE sequence %d missing, %d repeated: the other call's packets were tracked", i+1, s.GREInSeq.Missing, s.GREInSeq.Repeated)
		}
	}
	if len(all) != 12 {
		t.Errorf("outside: %d distinct server GRE frames attached to the calls, want the 12 the server sent", len(all))
	}
}

// TestCorrelateLabNonIP: the lab captures hold ARP, which a NAT does not
// translate and has no addresses to map. TRUTH.md of pptp-gre counts no
// IPv4 packet without a counterpart either way; that of pptp-gre-nohelper
// none inside and 21 outside (the server's 12 GRE packets, the NAT's 9
// ICMP errors). No mapping may be made of frames without addresses.
func TestCorrelateLabNonIP(t *testing.T) {
	for scenario, unmatched := range map[string][2]int{"pptp-gre": {0, 0}, "pptp-gre-nohelper": {0, 21}} {
		cor := labCorrelate(t, scenario)
		if cor.Unmatched != unmatched {
			t.Errorf("%s: unmatched inside/outside %v, want %v", scenario, cor.Unmatched, unmatched)
		}
		for _, m := range cor.Mappings {
			if !m.Inside.Addr().IsValid() || !m.Outside.Addr().IsValid() {
				t.Errorf("%s: mapping without addresses: %+v", scenario, m)
			}
		}
	}
}
