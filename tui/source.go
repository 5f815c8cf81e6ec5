package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/vpnpcap/vpnpcap/decode"
	pcapfile "github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/flows"
)

// capture is one capture the UI reads: a file, which it can read again for
// a tunnel's packets, a frame's bytes or an export, or packets given by the
// caller (then there are no bytes to show or write).
type capture struct {
	path string
	// src is the caller's source; nil for a file.
	src *flows.Source
	// frames counts the frames read by the analysis in its current pass
	// over the capture, and pass counts the passes started (correlation
	// reads each capture twice). Both are read by the UI goroutine for the
	// progress line while the analysis writes them.
	frames atomic.Int64
	pass   atomic.Int32
}

// isFile reports whether the capture is a file whose bytes can be read.
func (c *capture) isFile() bool { return c.src == nil }

// cancelCheckEvery is how many records a reader goes between looks at its
// context: often enough to stop within milliseconds, rarely enough to cost
// nothing measurable.
const cancelCheckEvery = 1024

// errNoBytes reports a capture given as decoded packets: it has no bytes.
var errNoBytes = errors.New("tui: the capture was given as decoded packets and has no bytes")

// scan reads the capture in order and calls fn for every record with the
// packets the record yields (rec is nil for a capture given as packets, and
// for the packets the decoder reports when the capture ends). It stops
// early, returning ctx's error, when ctx is done, and counts records in
// counter when it is not nil.
func (c *capture) scan(ctx context.Context, opts decode.Options, counter *atomic.Int64, fn func(rec *pcapfile.Record, pkts []decode.Packet)) (decode.Stats, error) {
	if c.src != nil {
		var one [1]decode.Packet
		st, err := c.src.Read(opts, func(p *decode.Packet) {
			if ctx.Err() != nil {
				return
			}
			if counter != nil {
				counter.Add(1)
			}
			one[0] = *p
			fn(nil, one[:])
		})
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		return st, err
	}
	r, err := pcapfile.Open(c.path)
	if err != nil {
		return decode.Stats{}, err
	}
	defer r.Close()
	d := decode.NewDecoder(opts)
	var rec pcapfile.Record
	var readErr error
	cancelled := false
	fault := r.Protect(func() {
		for n := 0; ; n++ {
			if n%cancelCheckEvery == 0 && ctx.Err() != nil {
				cancelled = true
				return
			}
			if err := r.Next(&rec); err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = err
				}
				return
			}
			if counter != nil {
				counter.Add(1)
			}
			fn(&rec, d.Decode(&rec))
		}
	})
	if cancelled {
		return d.Stats(), ctx.Err()
	}
	if fault != nil {
		readErr = fault
	}
	fn(nil, d.Flush())
	return d.Stats(), readErr
}

// source returns the flows.Source the analysis reads: it counts frames for
// the progress line and stops when ctx is done (the analysis then finishes
// quickly on what it has, and its result is thrown away).
func (c *capture) source(ctx context.Context) flows.Source {
	return flows.Source{Path: c.path, Read: func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		c.pass.Add(1)
		c.frames.Store(0)
		return c.scan(ctx, opts, &c.frames, func(_ *pcapfile.Record, pkts []decode.Packet) {
			for i := range pkts {
				fn(&pkts[i])
			}
		})
	}}
}

// readFrame reads one frame's bytes from the capture file by frame number,
// reading the file from the start: captures are streams (and may be
// compressed), so there is nothing to seek by.
func (c *capture) readFrame(ctx context.Context, frame int) (pcapfile.Record, error) {
	if !c.isFile() {
		return pcapfile.Record{}, errNoBytes
	}
	r, err := pcapfile.Open(c.path)
	if err != nil {
		return pcapfile.Record{}, err
	}
	defer r.Close()
	var found pcapfile.Record
	if fault := r.Protect(func() { found, err = c.findFrame(ctx, r, frame) }); fault != nil {
		return pcapfile.Record{}, fault
	}
	return found, err
}

// findFrame reads r on to the frame numbered frame and returns a copy.
func (c *capture) findFrame(ctx context.Context, r *pcapfile.Reader, frame int) (pcapfile.Record, error) {
	var rec pcapfile.Record
	for n := 0; ; n++ {
		if n%cancelCheckEvery == 0 && ctx.Err() != nil {
			return pcapfile.Record{}, ctx.Err()
		}
		if err := r.Next(&rec); err != nil {
			if errors.Is(err, io.EOF) {
				return pcapfile.Record{}, fmt.Errorf("tui: %s has no frame %d", c.path, frame)
			}
			return pcapfile.Record{}, err
		}
		if rec.Frame == frame {
			return ownRecord(&rec), nil
		}
		if rec.Frame > frame {
			return pcapfile.Record{}, fmt.Errorf("tui: %s has no frame %d", c.path, frame)
		}
	}
}

// ownRecord copies a record with its bytes, which the reader reuses.
func ownRecord(rec *pcapfile.Record) pcapfile.Record {
	own := *rec
	own.Data = append([]byte(nil), rec.Data...)
	return own
}
