package tui

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pcapfile "github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
)

// Bounds of what one packet list holds, so that selecting the tunnel of a
// capture with millions of ESP packets costs a bounded amount of memory:
// the list keeps the first maxListPackets packets of each capture, and the
// bytes of their frames up to maxCachedBytes in all (frames past that are
// read again from the file when shown).
const (
	maxListPackets = 200_000
	maxCachedBytes = 64 << 20
)

// packetLoad is the packets of one subject, read again from the captures.
type packetLoad struct {
	subj  subject
	two   bool
	lists [2][]decode.Packet
	// frames holds the bytes of the listed frames, by side and frame.
	frames    [2]map[int]pcapfile.Record
	rows      []pktRow
	truncated bool
	dropped   int
	modified  int
	// offset describes the clock offset applied to outside times;
	// toInside applies it.
	offset   string
	toInside func(time.Time) time.Time
	// readErr is a capture's read error; the packets before it are listed.
	readErr error
	// ladder is the ladder of a tunnel or PPTP call, drawn from the
	// lists; nil for other subjects.
	ladder *ladder.Ladder
}

// loadPackets reads the captures again and keeps the packets of the
// subject, pairing the two captures' packets when there are two. It runs
// off the UI goroutine and only reads the model. counter counts the frames
// read, for the progress shown while it runs.
func loadPackets(ctx context.Context, m *model, subj subject, dopts decode.Options, counter *atomic.Int64) (*packetLoad, error) {
	// Side by side only for a subject seen in both captures: a flow is
	// one capture's (its NAT-translated twin is another flow).
	ld := &packetLoad{subj: subj, two: m.two() && len(subj.sides(m)) == 2}
	budget := maxCachedBytes
	for _, sd := range m.sides {
		member := subj.member(m, sd.index)
		if member == nil || sd.src == nil {
			continue
		}
		if err := ld.readSide(ctx, sd, member, dopts, counter, &budget); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cor := m.rc.Correlation
	if !ld.two || cor == nil {
		for s := range ld.lists {
			for i, p := range ld.lists[s] {
				r := pktRow{idx: [2]int{-1, -1}, fate: fateSingle, t: p.Time}
				r.idx[s] = i
				ld.rows = append(ld.rows, r)
			}
		}
		return ld, nil
	}
	ld.pairSides(cor)
	return ld, nil
}

// readSide reads one capture and lists the subject's packets in it (those
// member accepts), up to maxListPackets, keeping their frames' bytes while
// budget lasts. It fails only when ctx is done; a capture damaged part way
// keeps what came before the fault, in readErr.
func (ld *packetLoad) readSide(ctx context.Context, sd *side, member func(*decode.Packet) bool, dopts decode.Options, counter *atomic.Int64, budget *int) error {
	s := sd.index
	ld.frames[s] = map[int]pcapfile.Record{}
	// A side whose list is full stops reading: sideCtx ends its scan.
	sideCtx, stop := context.WithCancel(ctx)
	full := false
	_, err := sd.src.scan(sideCtx, dopts, counter, func(rec *pcapfile.Record, pkts []decode.Packet) {
		if full {
			return
		}
		kept := false
		for i := range pkts {
			p := &pkts[i]
			if !member(p) {
				continue
			}
			if len(ld.lists[s]) >= maxListPackets {
				full, ld.truncated = true, true
				stop()
				return
			}
			ld.lists[s] = append(ld.lists[s], *p)
			kept = true
		}
		if kept && rec != nil && *budget >= len(rec.Data) {
			if _, ok := ld.frames[s][rec.Frame]; !ok {
				*budget -= len(rec.Data)
				ld.frames[s][rec.Frame] = ownRecord(rec)
			}
		}
	})
	stop()
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil && !full:
		// A damaged capture: list what came before the fault.
		ld.readErr = err
	}
	return nil
}

// pairSides makes the rows of a subject both captures saw: each packet's
// inside and outside sightings on one row, with its fate across the NAT.
func (ld *packetLoad) pairSides(cor *flows.Correlation) {
	ld.toInside = cor.ToInside
	if cor.Anchors > 0 {
		ld.offset = "shifted by " + formatOffset(-cor.Offset)
	} else {
		ld.offset = "not shifted (no clock estimate)"
	}
	for _, pp := range cor.Pair(ld.lists[0], ld.lists[1]) {
		r := pktRow{idx: [2]int{pp.Inside, pp.Outside}, t: pp.Time}
		switch {
		case pp.Matched() && pp.Modified:
			r.fate = fateModified
			ld.modified++
		case pp.Matched():
			r.fate = fateMatched
		case pp.Compared:
			r.fate = fateDropped
			ld.dropped++
		default:
			r.fate = fateNotCompared
		}
		ld.rows = append(ld.rows, r)
	}
}

// formatOffset shows a clock offset with its sign: "+6.909427s".
func formatOffset(d time.Duration) string {
	s := d.Round(time.Microsecond).String()
	if d >= 0 {
		s = "+" + s
	}
	return s
}
