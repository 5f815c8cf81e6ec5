package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// bigCapture writes a capture of n records of varied lengths, large enough
// to be mapped, in the given format, and returns its bytes.
func bigCapture(t *testing.T, ng bool, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	pw := NewPcapWriter(&buf, 65535)
	nw := NewPcapngWriter(&buf, "test")
	t0 := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	rnd := rand.New(rand.NewPCG(1, 2)) // incompressible, so that gzip reads in many pieces too
	for i := range n {
		data := make([]byte, 60+i%1400)
		for j := range data {
			data[j] = byte(rnd.Uint32())
		}
		rec := Record{Time: t0.Add(time.Duration(i) * time.Millisecond), LinkType: layers.LinkTypeEthernet, Data: data, Length: len(data) + i%3}
		var err error
		if ng {
			err = nw.Write(&rec, PcapngInterface{Name: "eth0"}, "")
		} else {
			err = pw.Write(&rec)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if ng {
		nw.Finish()
	} else {
		pw.Finish()
	}
	if buf.Len() < 2*mapWindow {
		t.Fatalf("capture of %d bytes is too small to test the mapping", buf.Len())
	}
	return buf.Bytes()
}

type readRecord struct {
	Record
	Data []byte
}

// readAll reads r to its end inside Protect, copying each record.
func readAll(t *testing.T, r *Reader) ([]readRecord, error) {
	t.Helper()
	var out []readRecord
	var err error
	if ferr := r.Protect(func() {
		var rec Record
		for {
			if err = r.Next(&rec); err != nil {
				return
			}
			out = append(out, readRecord{rec, bytes.Clone(rec.Data)})
			out[len(out)-1].Record.Data = nil
		}
	}); ferr != nil {
		err = ferr
	}
	return out, err
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.cap")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A mapped file reads exactly as the same bytes read through a buffer:
// records, frame numbers, offsets, and the error at a cut end.
func TestMappedReadsAsBuffered(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("files are not mapped here")
	}
	for _, ng := range []bool{false, true} {
		full := bigCapture(t, ng, 12000)
		for _, cut := range []int{len(full), len(full) - 7} {
			b := full[:cut]
			path := writeTemp(t, b)
			mr, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if mr.src.mapped == nil {
				t.Fatal("a large regular file is not mapped")
			}
			got, gotErr := readAll(t, mr)
			mr.Close()
			br, err := NewReader(bytes.NewReader(b), path)
			if err != nil {
				t.Fatal(err)
			}
			want, wantErr := readAll(t, br)
			if len(got) != len(want) || len(got) < 11999 {
				t.Fatalf("pcapng %v cut %d: %d records mapped, %d buffered", ng, cut, len(got), len(want))
			}
			for i := range got {
				if got[i].Frame != want[i].Frame || got[i].Offset != want[i].Offset || !got[i].Time.Equal(want[i].Time) ||
					got[i].Length != want[i].Length || !bytes.Equal(got[i].Data, want[i].Data) {
					t.Fatalf("pcapng %v: record %d differs: %+v, want %+v", ng, i, got[i].Record, want[i].Record)
				}
			}
			if (gotErr == nil) != (wantErr == nil) || gotErr.Error() != wantErr.Error() {
				t.Fatalf("pcapng %v cut %d: error %v, want %v", ng, cut, gotErr, wantErr)
			}
		}
	}
}

// Watch hears every byte of a mapped file and of a stream, and an error it
// returns stops reading there, reported after the records before it.
func TestWatch(t *testing.T) {
	b := bigCapture(t, false, 12000)
	path := writeTemp(t, b)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(b)
	zw.Close()
	gzPath := writeTemp(t, gz.Bytes())
	open := map[string]func() (*Reader, error){
		"mapped": func() (*Reader, error) { return Open(path) },
		"stream": func() (*Reader, error) { return NewReader(io.MultiReader(bytes.NewReader(b)), path) },
		"gzip":   func() (*Reader, error) { return Open(gzPath) },
	}
	cut := b[:len(b)-7] // ends inside its last record
	cutPath := writeTemp(t, cut)
	open["mapped, cut"] = func() (*Reader, error) { return Open(cutPath) }
	size := map[string]int{"mapped": len(b), "stream": len(b), "gzip": gz.Len(), "mapped, cut": len(cut)}
	for name, o := range open {
		r, err := o()
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		r.Watch(func(n int) error { total += n; return nil })
		recs, err := readAll(t, r)
		r.Close()
		if name != "mapped, cut" && (!errors.Is(err, io.EOF) || len(recs) != 12000) {
			t.Fatalf("%s: %d records, %v", name, len(recs), err)
		}
		if total != size[name] {
			t.Fatalf("%s: Watch heard of %d bytes of %d", name, total, len(b))
		}

		stop := errors.New("stopped")
		r, _ = o()
		seen := 0
		r.Watch(func(n int) error {
			if seen += n; seen > size[name]/2 {
				return stop
			}
			return nil
		})
		recs, err = readAll(t, r)
		r.Close()
		var fe *FormatError
		if !errors.Is(err, stop) || !errors.As(err, &fe) || len(recs) == 0 || len(recs) >= 12000 {
			t.Fatalf("%s: stopped after %d records with %v", name, len(recs), err)
		}
		if last := recs[len(recs)-1]; fe.Offset <= last.Offset {
			t.Fatalf("%s: stopped at offset %d, before the last record read (%d)", name, fe.Offset, last.Offset)
		}
	}
}

// A mapped file that another program truncates while it is read ends the
// reading with an error naming the file, not with a crash.
func TestMappedFileShrinks(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fault of a truncated mapping is tested on Linux")
	}
	b := bigCapture(t, false, 12000)
	path := writeTemp(t, b)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rec Record
	n := 0
	err = r.Protect(func() {
		for ; r.Next(&rec) == nil; n++ {
			if n == 100 {
				if err := os.Truncate(path, int64(len(b)/3)); err != nil {
					t.Error(err)
				}
			}
			var sum byte
			for _, c := range rec.Data {
				sum += c
			}
			_ = sum
		}
	})
	var fe *FormatError
	if !errors.Is(err, errShrank) || !errors.As(err, &fe) || fe.File != path {
		t.Fatalf("after %d records: %v", n, err)
	}
	if n < 100 || n >= 12000 {
		t.Fatalf("read %d records", n)
	}
	if err := r.Next(&rec); !errors.Is(err, errShrank) {
		t.Fatalf("Next after the fault: %v", err)
	}
}

// Every capture of the corpora, damaged ones included, reads the same
// mapped as through a buffer: records, frame numbers, offsets, errors.
func TestMappedCorpusReadsAsBuffered(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("files are not mapped here")
	}
	defer func(n int64) { mapMin = n }(mapMin)
	mapMin = 1
	files := append(corpus.Paths(t), corpus.LabPaths(t)...)
	mapped := 0
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		mr, mErr := Open(path)
		br, bErr := NewReader(bytes.NewReader(b), path)
		if (mErr == nil) != (bErr == nil) || mErr != nil && mErr.Error() != bErr.Error() {
			t.Errorf("%s: opening mapped: %v; buffered: %v", path, mErr, bErr)
			continue
		}
		if mErr != nil {
			continue
		}
		if mr.src.mapped != nil {
			mapped++
		}
		got, gotErr := readAll(t, mr)
		mr.Close()
		want, wantErr := readAll(t, br)
		if len(got) != len(want) {
			t.Errorf("%s: %d records mapped, %d buffered", path, len(got), len(want))
			continue
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%s: record %d differs: %+v, want %+v", path, i, got[i].Record, want[i].Record)
				break
			}
		}
		if gotErr.Error() != wantErr.Error() {
			t.Errorf("%s: error %v, want %v", path, gotErr, wantErr)
		}
	}
	t.Logf("%d of %d captures mapped", mapped, len(files))
	if mapped < len(files)/2 {
		t.Errorf("only %d of %d captures were mapped", mapped, len(files))
	}
}
