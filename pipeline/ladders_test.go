package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/pipeline"
	"github.com/vpnpcap/vpnpcap/rules"
)

// TestLadders draws the ladder of natt-port-blocked's tunnel, whatever
// order its captures come in: IKE_SA_INIT crosses the NAT both ways, the
// IKE_AUTH request on 4500 and its 5 retransmissions stop at it (inside
// frames 5, 6, 7, 9, 27, 30: tshark -Y "udp.port==4500" lists them inside
// and nothing outside), as the sample's README tells.
func TestLadders(t *testing.T) {
	dir := filepath.Join(corpus.RepoRoot(), "samples", "natt-port-blocked")
	in, out := flows.File(filepath.Join(dir, "inside.pcap")), flows.File(filepath.Join(dir, "outside.pcap"))
	for _, srcs := range [][]flows.Source{{in, out}, {out, in}} {
		res, err := pipeline.Run(context.Background(), srcs, pipeline.Options{
			Decode:    decode.Options{KeepOther: true},
			Summarize: true,
			Ladders:   func(c *rules.Context, _ []rules.Verdict) []ladder.Subject { return ladder.Subjects(c) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Ladders) != 1 {
			t.Fatalf("%d ladders, want 1", len(res.Ladders))
		}
		l := res.Ladders[0]
		var auth *ladder.Row
		for i := range l.Rows {
			if l.Rows[i].Label == "IKE_AUTH request #1 on 4500" {
				auth = &l.Rows[i]
			}
		}
		if auth == nil {
			t.Fatalf("no IKE_AUTH row in %+v", l.Rows)
		}
		want := []int{5, 6, 7, 9, 27, 30}
		if auth.Lost != 6 || auth.Resent != 5 || auth.Crossed != 0 || !equal(auth.Frames[flows.SideInside].First, want) || auth.Frames[flows.SideOutside].N != 0 {
			t.Errorf("IKE_AUTH: lost %d, resent %d, crossed %d, frames %v/%v; want 6 lost from inside frames %v",
				auth.Lost, auth.Resent, auth.Crossed, auth.Frames[0], auth.Frames[1], want)
		}
		if r := l.Rows[0]; r.Label != "IKE_SA_INIT request #0" || r.Fate(true) != ladder.FateCrossed {
			t.Errorf("first row %q with fate %d, want IKE_SA_INIT request crossed", r.Label, r.Fate(true))
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// wholeReading is the capture at path read without decode.Options.Only:
// every packet decoded, as the ladders' reading was before it kept to the
// subjects' packets.
func wholeReading(path string) flows.Source {
	src := flows.File(path)
	read := src.Read
	src.Read = func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		opts.Only = nil
		return read(opts, fn)
	}
	return src
}

// drawLadders runs the pipeline on srcs (one capture, or a pair as given)
// and returns the lines of the ladders of the subjects pick chooses.
func drawLadders(t *testing.T, srcs []flows.Source, pick func([]ladder.Subject) []ladder.Subject) [][]string {
	t.Helper()
	res, err := pipeline.Run(context.Background(), srcs, pipeline.Options{
		Decode: decode.Options{KeepOther: true}, Summarize: len(srcs) == 1, RolesGiven: true,
		Ladders: func(c *rules.Context, _ []rules.Verdict) []ladder.Subject { return pick(ladder.Subjects(c)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, l := range res.Ladders {
		out = append(out, l.Lines(100, ladder.UTF8))
	}
	return out
}

// sameLaddersAlone checks that each subject's ladder, drawn alone from
// srcs, is the one drawn with every subject from whole, and reports
// whether there was any.
func sameLaddersAlone(t *testing.T, name string, srcs, whole []flows.Source) bool {
	t.Helper()
	want := drawLadders(t, whole, func(s []ladder.Subject) []ladder.Subject { return s })
	for i := range want {
		got := drawLadders(t, srcs, func(s []ladder.Subject) []ladder.Subject { return s[i : i+1] })
		if len(got) != 1 || !slices.Equal(got[0], want[i]) {
			t.Errorf("%s: ladder %d, drawn alone, differs from a full reading's:\n%s\nwant\n%s", name, i, strings.Join(slices.Concat(got...), "\n"), strings.Join(want[i], "\n"))
		}
	}
	return len(want) > 0
}

// A capture alone is read again for the drawn subjects' packets only (the
// decoder skips the other addresses): each subject's ladder, drawn alone,
// is the one a full reading draws, on every sample, lab and public
// capture.
func TestLaddersOfOnlyTheDrawn(t *testing.T) {
	files := append(append(corpus.SamplePaths(t), corpus.LabPaths(t)...), corpus.Paths(t)...)
	drawn := 0
	for _, path := range files {
		if sameLaddersAlone(t, path, []flows.Source{flows.File(path)}, []flows.Source{wholeReading(path)}) {
			drawn++
		}
	}
	if drawn < 50 {
		t.Errorf("only %d captures drew a ladder", drawn)
	}
}

// A pair of captures is read again for the packets of its subjects only
// (of every subject: a drawn one's packet may have gone to another): each
// subject's ladder, drawn alone, is the one a full reading draws, on every
// sample and lab pair.
func TestPairLaddersOfSubjectsOnly(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(corpus.RepoRoot(), "samples", "*"))
	labs, _ := filepath.Glob(filepath.Join(corpus.LabDir(t), "*"))
	drawn := 0
	for _, dir := range append(dirs, labs...) {
		in, out := filepath.Join(dir, "inside.pcap"), filepath.Join(dir, "outside.pcap")
		if _, err := os.Stat(in); err != nil {
			continue
		}
		if _, err := os.Stat(out); err != nil {
			continue
		}
		if sameLaddersAlone(t, dir, []flows.Source{flows.File(in), flows.File(out)}, []flows.Source{wholeReading(in), wholeReading(out)}) {
			drawn++
		}
	}
	if drawn < 30 {
		t.Errorf("only %d pairs drew a ladder", drawn)
	}
}
