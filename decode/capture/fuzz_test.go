package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// FuzzReader reads arbitrary input as a capture file and checks properties
// that hold for any input: no panic; Sniff refuses what NewReader refuses,
// with the same error, and names the format NewReader reads; an end (every
// record consumes input);
// every error a *FormatError at an offset inside the input; frames numbered
// one after another, counting the blocks Wireshark numbers without a packet;
// records at strictly increasing offsets, each holding exactly the bytes of
// the input at its position; and the same result on a second reading.
//
// Seeds: every fixture, plain and gzip-compressed, every malformed row, and
// the first KiB of the public captures when the corpus is present.
// The input written to a file reads the same, mapped as every file is here
// (mapMin lowered), as through a buffer.
func FuzzReader(f *testing.F) {
	defer func(n int64) { mapMin = n }(mapMin)
	mapMin = 1
	for _, fx := range captureFixtures {
		f.Add(fx.data)
		f.Add(gzipBytes(f, fx.data))
	}
	for _, tc := range captureMalformed {
		f.Add(tc.data)
	}
	for _, tc := range captureMalformedGzip(f) {
		f.Add(tc.data)
	}
	// corpus.Dir skips the test when the corpus is missing; the fuzz target
	// should run on its fixtures alone then, so look before calling it.
	public := filepath.Join(corpus.RepoRoot(), "..", "shared", "captures", "public")
	if _, err := os.Stat(filepath.Join(public, "MANIFEST.md")); err == nil {
		dir := corpus.Dir(f)
		for _, name := range corpus.Files(f) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data[:min(len(data), 1024)])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first := captureCheckProperties(t, data)
		second := captureCheckProperties(t, data)
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("two readings differ:\n%+v\n%+v", first, second)
		}
		if mapped := captureReadMapped(t, data); !reflect.DeepEqual(first, mapped) {
			t.Fatalf("the file reads otherwise (mapped):\n%+v\n%+v", mapped, first)
		}
	})
}

// captureReadMapped writes data to a file and reads it with OpenFile, as
// captureCheckProperties reads it from memory.
func captureReadMapped(t *testing.T, data []byte) captureReading {
	path := filepath.Join(t.TempDir(), "fuzz.pcap")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var out captureReading
	r, err := OpenFile(f, "fuzz")
	if err != nil {
		out.err = err.Error()
		return out
	}
	defer r.Close()
	if fault := r.Protect(func() {
		var rec Record
		for {
			if err := r.Next(&rec); err != nil {
				if err != io.EOF {
					out.err = err.Error()
				}
				return
			}
			rec.Data = bytes.Clone(rec.Data)
			out.records = append(out.records, rec)
		}
	}); fault != nil {
		t.Fatalf("a file nobody truncates faulted: %v", fault)
	}
	return out
}

// captureReading is what one reading of an input yields.
type captureReading struct {
	records []Record
	err     string
}

// captureCheckProperties reads data and checks the properties FuzzReader
// states.
func captureCheckProperties(t *testing.T, data []byte) captureReading {
	var out captureReading
	checkErr := func(err error, prevOffset int64) {
		t.Helper()
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v (%T) is not a *FormatError", err, err)
		}
		if fe.Offset < prevOffset {
			t.Fatalf("error offset %d before the last record at %d", fe.Offset, prevOffset)
		}
		if len(data) > 1 && data[0] != 0x1f && fe.Offset > int64(len(data)) {
			t.Fatalf("error offset %d beyond the input of %d bytes", fe.Offset, len(data))
		}
		out.err = err.Error()
	}
	format, compressed, sniffErr := Sniff(bytes.NewReader(data), "fuzz")
	r, err := NewReader(bytes.NewReader(data), "fuzz")
	switch {
	case sniffErr != nil && (err == nil || err.Error() != sniffErr.Error()):
		t.Fatalf("Sniff refused the input (%v), NewReader said %v", sniffErr, err)
	case err == nil && (r.Format() != format.String() || r.Compressed() != compressed):
		t.Fatalf("Sniff said %v (compressed %v), NewReader read %s (compressed %v)", format, compressed, r.Format(), r.Compressed())
	}
	if err != nil {
		checkErr(err, 0)
		return out
	}
	prevFrame, prevSkipped, prevOffset := 0, 0, int64(-1)
	var rec Record
	for {
		err := r.Next(&rec)
		if err == io.EOF {
			if !r.Compressed() && r.Offset() != int64(len(data)) {
				t.Fatalf("clean end at offset %d of %d bytes", r.Offset(), len(data))
			}
			break
		}
		if err != nil {
			checkErr(err, prevOffset)
			if again := r.Next(&rec); again != err {
				t.Fatalf("Next after error %v = %v, want the same error", err, again)
			}
			break
		}
		if want := prevFrame + 1 + r.skipped - prevSkipped; rec.Frame != want {
			t.Fatalf("frame %d after %d with %d blocks skipped, want %d", rec.Frame, prevFrame, r.skipped-prevSkipped, want)
		}
		if rec.Offset <= prevOffset || rec.Offset >= r.Offset() {
			t.Fatalf("record at offset %d after one at %d, reader at %d", rec.Offset, prevOffset, r.Offset())
		}
		if len(rec.Data) > maxCaptureLen || rec.FCSLen < 0 || rec.Length < 0 || rec.Interface < 0 {
			t.Fatalf("record %+v out of bounds", rec)
		}
		if rec.Time.Location() != time.UTC {
			t.Fatalf("time %v not in UTC", rec.Time)
		}
		if !r.Compressed() {
			if r.Offset() > int64(len(data)) {
				t.Fatalf("reader at offset %d beyond the input of %d bytes", r.Offset(), len(data))
			}
			at := rec.Offset + int64(captureDataOffset(r, data[rec.Offset:]))
			if !bytes.Equal(rec.Data, data[at:at+int64(len(rec.Data))]) {
				t.Fatalf("frame %d: data differs from the input at offset %d", rec.Frame, at)
			}
		}
		prevFrame, prevSkipped, prevOffset = rec.Frame, r.skipped, rec.Offset
		rec.Data = bytes.Clone(rec.Data)
		out.records = append(out.records, rec)
	}
	return out
}

// captureDataOffset returns where the packet data of the record or block at
// the start of b begins.
func captureDataOffset(r *Reader, b []byte) int {
	if r.format == FormatPcap {
		return pcapRecordHeaderLen
	}
	if r.order.u32(b) == blockSPB {
		return minSPBLen - 4
	}
	return minEPBLen - 4 // EPB and PB
}
