package pipeline_test

import (
	"context"
	"path/filepath"
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
