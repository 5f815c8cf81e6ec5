package rules

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// TestDataPlaneRulesOnCorpus runs the ESP/AH and GRE/PPTP rules over every
// public capture: no rule may panic, every evidence frame must exist in
// its capture, and the captures whose content is known (checked with
// tshark) give the findings they should.
func TestDataPlaneRulesOnCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	// want lists, per capture, the rules that must report and the
	// evidence frames of their first finding (nil: any).
	want := map[string]map[string][]int{
		// SPI 0xc4c0e3f5, 109.237.187.130 → 192.168.2.100: sequence
		// numbers 1, 2, 4, 5, 6 (frames 571-575); 3 never arrived.
		"nDPI/ipsec_isakmp_esp.pcap": {"VP202": {573}},
		// Three enhanced-GRE packets of two calls and no TCP 1723.
		"PcapPlusPlus/Packet++Test/GrePackets.pcap": {"VP405": nil},
		// ESP of SAs negotiated before the capture (sequence numbers
		// far above 1), no IKE.
		"arkime/wireshark-esp.pcap": {"VP208": {1}},
		// Real PPTP calls, none showing a failure: control and GRE
		// both ways (PacketLife); one LCP packet out and the capture
		// ends (tcpdump); TCP 1723 alone, no GRE captured (nDPI).
		"tcpdump/pptp.pcap":                      {},
		"nDPI/pptp.pcap":                         {},
		"PcapPlusPlus/Pcap++Test/GrePackets.cap": {},
	}
	for _, file := range corpus.Files(t) {
		t.Run(file, func(t *testing.T) {
			a := flows.Analyze(flows.File(filepath.Join(dir, file)), decode.Options{}, flows.Options{})
			c := NewContext(a, nil)
			got := map[string][]Finding{}
			for _, r := range All() {
				id := r.Meta().ID
				if !strings.HasPrefix(id, "VP2") && !strings.HasPrefix(id, "VP4") {
					continue
				}
				for _, f := range checkRule(t, r, c) {
					for _, e := range f.Evidence {
						if e.Frame > a.Capture.Frames || e.Capture != a.Capture.Path {
							t.Errorf("%s: evidence %+v outside the capture (%d frames)", id, e, a.Capture.Frames)
						}
					}
					got[id] = append(got[id], f)
				}
			}
			w, known := want[file]
			if !known {
				return
			}
			for id, frames := range w {
				fs := got[id]
				if len(fs) == 0 {
					t.Errorf("%s: no finding, want one", id)
					continue
				}
				if ev := evidenceFrames(fs[0], flows.SideInside); frames != nil && !slices.Equal(ev, frames) {
					t.Errorf("%s evidence = %v, want %v (%s)", id, ev, frames, fs[0].Message)
				}
			}
			for id, fs := range got {
				if _, ok := w[id]; !ok && (strings.HasPrefix(id, "VP4") || id == "VP201" || id == "VP204") {
					t.Errorf("unexpected %s: %s", id, fs[0].Message)
				}
			}
		})
	}
}
