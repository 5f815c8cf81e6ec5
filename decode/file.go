package decode

import (
	"errors"
	"io"

	"github.com/vpnpcap/vpnpcap/decode/capture"
)

// ReadFile decodes the capture at path (pcap or pcapng, optionally
// gzip-compressed) and calls fn for each packet, in order, followed by the
// packets that Flush reports at the end. fn must not keep the *Packet; the
// Packet value it points to may be copied and kept.
//
// It returns the Decoder's stats and, when the file is corrupt or
// truncated, the reader's error (a [*capture.FormatError] naming the file
// and offset): every packet before the fault has still been delivered, and
// the pending state was flushed. An error opening the file is returned
// as is, with empty stats.
func ReadFile(path string, opts Options, fn func(*Packet)) (Stats, error) {
	r, err := capture.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer r.Close()
	return ReadPackets(r, opts, fn)
}

// ReadPackets is [ReadFile] for a capture already opened, with
// [capture.OpenFile] or [capture.NewReader] (a stream, a reader that counts
// bytes or can be cancelled): it decodes every record of r and calls fn for
// each packet, then for those that Flush reports. A mapped file that
// shrinks meanwhile ends reading with r's error (see [capture.Reader.Protect]).
// It does not close r.
func ReadPackets(r *capture.Reader, opts Options, fn func(*Packet)) (Stats, error) {
	d := NewDecoder(opts)
	var rec capture.Record
	var readErr error
	fault := r.Protect(func() {
		for {
			if err := r.Next(&rec); err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = err
				}
				return
			}
			for i := range d.Decode(&rec) {
				fn(&d.out[i])
			}
		}
	})
	if fault != nil {
		readErr = fault
	}
	for i := range d.Flush() {
		fn(&d.out[i])
	}
	return d.Stats(), readErr
}
