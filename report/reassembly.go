package report

import (
	"fmt"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// Reassembly reports the IP datagrams given up unreassembled to keep IP
// reassembly within its bounds (VP907), by bound: the number of datagrams
// in reassembly at once, and the octets of their buffers. Datagrams the
// network or the end of the capture left incomplete are not in it.
type Reassembly struct {
	ByDatagrams *GivenUp `json:"by_datagrams,omitempty"`
	ByBytes     *GivenUp `json:"by_bytes,omitempty"`
}

// GivenUp describes the datagrams given up for one bound: the bound
// (datagrams, or octets), how many, the fragments of them that arrived and
// the octets those brought, and the frame of the first fragment of the
// first datagram given up.
type GivenUp struct {
	Bound      int `json:"bound"`
	Datagrams  int `json:"datagrams"`
	Fragments  int `json:"fragments"`
	Octets     int `json:"octets"`
	FirstFrame int `json:"first_frame"`
}

// newReassembly returns what the analysis gave up for reassembly's
// bounds, or nil when it gave up nothing.
func newReassembly(a *flows.Analysis) *Reassembly {
	q, r := &a.Quality, a.Capture.Stats.Reassembly
	if q.Evicted() == 0 {
		return nil
	}
	givenUp := func(e *flows.Evicted, bound int) *GivenUp {
		if e.Datagrams == 0 {
			return nil
		}
		return &GivenUp{Bound: bound, Datagrams: e.Datagrams, Fragments: e.Fragments, Octets: e.Octets, FirstFrame: e.FirstFrame}
	}
	return &Reassembly{ByDatagrams: givenUp(&q.EvictedByCount, r.MaxDatagrams), ByBytes: givenUp(&q.EvictedByBytes, r.MaxBytes)}
}

// lines says what was given up, a line per bound, for the text reports.
func (r *Reassembly) lines() []string {
	if r == nil {
		return nil
	}
	var out []string
	line := func(g *GivenUp, bound string) {
		out = append(out, fmt.Sprintf("IP reassembly full (%s): %s (%s, %s) given up unreassembled from frame %d (VP907)",
			bound, words.Count(g.Datagrams, "datagram"), words.Count(g.Fragments, "fragment"), words.Count(g.Octets, "octet"), g.FirstFrame))
	}
	if g := r.ByDatagrams; g != nil {
		line(g, words.Count(g.Bound, "datagram"))
	}
	if g := r.ByBytes; g != nil {
		size := words.Count(g.Bound, "octet")
		if g.Bound >= 1<<20 && g.Bound%(1<<20) == 0 {
			size = fmt.Sprintf("%d MiB", g.Bound>>20)
		}
		line(g, size+" of buffers")
	}
	return out
}
