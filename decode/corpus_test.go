package decode

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

var updatePipelineGolden = flag.Bool("update-pipeline-golden", false,
	"rewrite testdata/pipeline/corpus.golden from the decoder's output")

// TestCorpusReadFile decodes every capture of the public corpus with
// ReadFile and checks that nothing panics, that the stats account for
// every frame, that every packet is well formed, and that the counts per
// kind match testdata/pipeline/corpus.golden. The golden counts were
// checked frame by frame against tshark 4.x (frame.protocols, IP fragment
// fields and pptp.type); the differences are deliberate and listed in
// testdata/pipeline/README.md.
func TestCorpusReadFile(t *testing.T) {
	dir := corpus.Dir(t)
	var lines []string
	for _, f := range corpus.Files(t) {
		var counts [NumKinds]int
		maxFrame := 0
		st, err := ReadFile(filepath.Join(dir, f), Options{KeepOther: true}, func(p *Packet) {
			if p.Kind >= Kind(NumKinds) {
				t.Errorf("%s: packet of invalid kind %d", f, p.Kind)
				return
			}
			counts[p.Kind]++
			if p.Frame < 1 || p.FirstFrame < 1 || p.FirstFrame > p.Frame {
				t.Errorf("%s: packet frames %d..%d", f, p.FirstFrame, p.Frame)
			}
			if p.Kind == KindMalformed && (p.Fault.Kind == FaultNone || p.Fault.Layer == "" || p.Fault.Message == "") {
				t.Errorf("%s: frame %d: malformed packet without a reason", f, p.Frame)
			}
			if p.Kind != KindMalformed && p.Fault != (Fault{}) {
				t.Errorf("%s: frame %d: %v packet with fault %+v", f, p.Frame, p.Kind, p.Fault)
			}
			maxFrame = max(maxFrame, p.Frame)
		})
		if err != nil {
			// A corrupt file is reported with the valid part decoded.
			if _, ok := err.(*capture.FormatError); !ok {
				t.Errorf("%s: ReadFile error %v is not a *capture.FormatError", f, err)
			}
		}
		if st.Accounted() != st.Frames {
			t.Errorf("%s: stats account for %d of %d frames: %+v", f, st.Accounted(), st.Frames, st)
		}
		if counts != st.Kinds {
			t.Errorf("%s: packets delivered per kind %v, stats say %v", f, counts, st.Kinds)
		}
		lines = append(lines, corpusLine(f, &st, err))
	}
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "pipeline", "corpus.golden")
	if *updatePipelineGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-pipeline-golden to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("corpus.golden line %d:\ngot  %s\nwant %s", i+1, g, w)
			}
		}
	}
}

// corpusLine summarizes the decoding of one file on one line.
func corpusLine(f string, st *Stats, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s frames=%d", f, st.Frames)
	for k := Kind(0); k < Kind(NumKinds); k++ {
		if st.Kinds[k] > 0 {
			fmt.Fprintf(&b, " %s=%d", k, st.Kinds[k])
		}
	}
	if st.StreamSegments > 0 {
		fmt.Fprintf(&b, " stream-segments=%d", st.StreamSegments)
	}
	if st.Reassembled > 0 {
		fmt.Fprintf(&b, " reassembled=%d", st.Reassembled)
	}
	if st.VPNFrames != st.Frames {
		fmt.Fprintf(&b, " vpn-frames=%d", st.VPNFrames)
	}
	if st.Duplicates > 0 {
		fmt.Fprintf(&b, " duplicates=%d", st.Duplicates)
	}
	if c := &st.Clock; c.RunsBackward() {
		fmt.Fprintf(&b, " time-backward=%d(first@%d,largest=%s@%d)", c.Backward, c.FirstBackwardFrame, c.LargestBackward, c.LargestBackwardFrame)
	}
	if st.Clock.Unusable() {
		b.WriteString(" time-same")
	}
	for _, m := range []map[string]int{st.Undecodable, st.Malformed} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " [%s]=%d", k, m[k])
		}
	}
	if err != nil {
		b.WriteString(" read-error")
	}
	return b.String()
}
