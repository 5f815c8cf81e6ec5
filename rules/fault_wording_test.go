package rules

import (
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// TestFindingsIgnoreFaultWording checks that no finding rests on the words
// of a decoding fault: each capture with malformed packets (samples whose
// datagrams lose fragments or whose IKE the snap length cuts, and the
// public corpus when it is present) is analysed twice, the second time with
// every fault message reworded into text that holds the phrases the
// decoder's messages once carried, and every rule gives the same findings.
// Only the fault VP906 quotes reads differently, and is read back.
func TestFindingsIgnoreFaultWording(t *testing.T) {
	t.Run("samples", func(t *testing.T) {
		// IKE cut by the snap length, and datagrams of ESP and of IKE
		// given up with fragments missing.
		paths := []string{
			filepath.Join("..", "samples", "capture-snaplen", "outside.pcap"),
			filepath.Join("..", "samples", "esp-fragments-dropped", "inside.pcap"),
			filepath.Join("..", "samples", "ike-fragments-dropped", "outside.pcap"),
		}
		if n := checkFaultWording(t, paths); n != len(paths) {
			t.Errorf("%d of the %d sample captures have malformed packets, want all", n, len(paths))
		}
	})
	t.Run("public corpus", func(t *testing.T) {
		dir := corpus.Dir(t)
		var paths []string
		for _, f := range corpus.Files(t) {
			paths = append(paths, filepath.Join(dir, f))
		}
		// Malformed IKE, ESP and GRE, and IKE messages longer than the
		// octets captured in frames whose length says they are whole.
		if n := checkFaultWording(t, paths); n < 10 {
			t.Errorf("%d captures of the corpus have malformed packets, want at least 10", n)
		}
	})
}

// checkFaultWording compares the findings of each capture with those of
// the same capture with its faults reworded. It returns the number of
// captures that have malformed packets.
func checkFaultWording(t *testing.T, paths []string) int {
	t.Helper()
	withFaults := 0
	for _, path := range paths {
		faults := 0
		plain := wordingFindings(t, path, func(f *decode.Fault) { faults++ })
		if faults == 0 {
			continue
		}
		withFaults++
		reworded := map[string]string{}
		got := wordingFindings(t, path, func(f *decode.Fault) {
			r := "⟨reworded " + strconv.Itoa(len(reworded)) + ": the capture ended, 10 of 20 bytes captured, truncated in capture, reassembly⟩"
			reworded[r] = f.Message
			f.Message = r
		})
		for i := range got {
			for r, m := range reworded {
				got[i].Message = strings.ReplaceAll(got[i].Message, r, m)
			}
		}
		if !reflect.DeepEqual(got, plain) {
			t.Errorf("%s: findings with reworded faults differ:\n%s\nwant\n%s", path, wordingDump(got), wordingDump(plain))
		}
	}
	return withFaults
}

// wordingFindings analyses one capture, passing the fault of each
// malformed packet to fault before the flows see it, and runs every rule.
func wordingFindings(t *testing.T, path string, fault func(*decode.Fault)) []Finding {
	t.Helper()
	src := flows.Source{Path: path, Read: func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		return decode.ReadFile(path, opts, func(p *decode.Packet) {
			if p.Kind == decode.KindMalformed {
				q := *p
				fault(&q.Fault)
				fn(&q)
				return
			}
			fn(p)
		})
	}}
	a := flows.Analyze(src, decode.Options{KeepOther: true}, flows.Options{})
	return Run(NewContext(a, nil))
}

func wordingDump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.RuleID + " " + f.Message + "\n")
	}
	return b.String()
}
