package report

import (
	"slices"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// decryptedEvidence says, for a finding that rests on what keys decrypted
// (rules.Finding.Decrypted), what its evidence frames
// revealed, a line per ladder row that holds some of them: "IKE_AUTH
// response #1 on 4500 (inside frame 6, outside frame 6):
// N(AUTHENTICATION_FAILED)". It reads the ladders the report drew, whose
// rows keep what the keys revealed; a finding about a subject not drawn,
// or whose evidence frames no row lists, gets nothing.
func decryptedEvidence(f rules.Finding, c *Check, dash string) []string {
	if c.Detail == nil || len(f.Evidence) == 0 || !f.Decrypted {
		return nil
	}
	var out []string
	for _, l := range c.Detail.Ladders {
		for i := range l.Rows {
			r := &l.Rows[i]
			if r.Decrypted == "" {
				continue
			}
			var ev []rules.Evidence
			for _, e := range f.Evidence {
				if (e.Side == flows.SideInside || e.Side == flows.SideOutside) && rowHas(r.Frames[e.Side], e.Frame) {
					ev = append(ev, e)
				}
			}
			if len(ev) == 0 {
				continue
			}
			line := r.Label + " (" + evidenceFrames(ev, c.Captures, dash) + "): " + r.Decrypted
			if !slices.Contains(out, line) {
				out = append(out, line)
			}
		}
	}
	return out
}

// rowHas reports whether a ladder row lists a frame of one capture.
func rowHas(f ladder.Frames, frame int) bool {
	return f.N > 0 && (f.Last == frame || slices.Contains(f.First, frame))
}
