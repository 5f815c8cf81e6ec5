package capture

import (
	"errors"
	"io"
	"os"
	"runtime/debug"
)

// A capture file is read from a mapping of it rather than through read
// calls when it is a regular, uncompressed file of mapMin bytes or more:
// its records are then parsed where the page cache holds them, without the
// copy into a buffer that reading costs (on a 1.35 GB capture read from the
// cache, 0.12 s of CPU net of the faults the mapping takes). The pages left
// behind are given back every mapWindow bytes, so the mapping adds no more
// than a few windows to the resident memory however large the file. Giving
// pages back costs a flush of every core's address translations: 4 MiB
// windows make that rare (every MiB cost the reading goroutine 5% more).
const mapWindow = 4 << 20

// mapMin is the size from which a file is mapped; tests lower it to map
// every file.
var mapMin int64 = 1 << 20

// errShrank reports a mapped file that another program truncated while it
// was read: its pages past the new end can no longer be read.
var errShrank = errors.New("the file shrank while it was read (was it truncated or rewritten?)")

// mapping is a file mapped read-only, with the part of it already given
// back to the system.
type mapping struct {
	data    []byte
	dropped int // data[:dropped] was given back
}

// release gives back the pages of data[:upTo] that are not given back yet.
// They stay readable: a page given back is read again from the page cache
// when touched, so a slice of the mapping a caller still holds keeps its
// bytes.
func (m *mapping) release(upTo int) {
	upTo &^= os.Getpagesize() - 1
	if upTo > m.dropped {
		giveBack(m.data[m.dropped:upTo])
		m.dropped = upTo
	}
}

// holds reports whether addr is an address within the mapping.
func (m *mapping) holds(addr uintptr) bool {
	if len(m.data) == 0 {
		return false
	}
	start := addrOf(m.data)
	return addr >= start && addr-start < uintptr(len(m.data))
}

// openMapped maps f when it is a regular file worth mapping and not gzip-
// compressed (gzip reads its input through a buffer anyway). It returns
// nil, and no error, when the file is to be read instead.
func openMapped(f *os.File) *mapping {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < mapMin || int64(int(fi.Size())) != fi.Size() {
		return nil
	}
	var magic [2]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil || littleEndian.u16(magic[:]) == magicGzip {
		return nil
	}
	data, ok := mapFile(f, int(fi.Size()))
	if !ok {
		return nil
	}
	return &mapping{data: data}
}

// initMapped makes s read the mapping m.
func (s *source) initMapped(m *mapping) {
	*s = source{buf: m.data, w: len(m.data), limit: len(m.data), mapped: m, mark: mapWindow}
}

// passMark is advance's work every mapWindow bytes of a mapped file: give
// back the pages a window behind, and report progress to the watcher.
func (s *source) passMark() {
	s.mapped.release(s.r - mapWindow)
	s.mark = s.r + mapWindow
	s.report(s.r)
}

// report tells the watcher of a mapped file that reading has come to
// upTo; an error it returns ends reading there, as a read error ends a
// stream.
func (s *source) report(upTo int) {
	if s.watch == nil || upTo <= s.reported {
		return
	}
	n := upTo - s.reported
	s.reported = upTo
	if err := s.watch(n); err != nil {
		s.err = err
		s.w = s.r // nothing more is read
	}
}

// endMapped is fill at the end of a mapped file: every byte of it was
// read, a record cut short at its end included.
func (s *source) endMapped() {
	if s.err == nil {
		s.report(len(s.buf))
		if s.err == nil {
			s.err = io.EOF
		}
	}
}

// Watch has fn called as the reader consumes the file, with the number of
// bytes consumed since its last call (for a compressed file, of the file
// as stored), those read before Watch included: at least every few MiB,
// and at the end. An error fn returns
// ends reading as a read error would: Next reports it, wrapped in a
// [*FormatError], after the records before it. Watch is for progress
// reports and cancellation; set it before the first Next.
func (r *Reader) Watch(fn func(n int) error) {
	s := &r.src
	if r.raw != nil {
		s = r.raw
	}
	if s.mapped != nil {
		s.watch, s.reported = fn, 0
		return
	}
	s.rd = &watchedReader{rd: s.rd, fn: fn, before: int(s.off) + s.w - s.r}
}

// watchedReader is the reader of a stream that Watch watches.
type watchedReader struct {
	rd     io.Reader
	fn     func(n int) error
	before int // bytes read before Watch, not yet reported
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.rd.Read(p)
	if n > 0 || w.before > 0 {
		if werr := w.fn(n + w.before); werr != nil && err == nil {
			err = werr
		}
		w.before = 0
	}
	return n, err
}

// Protect runs fn, which reads r's records and their data, so that a file
// that shrinks while it is mapped (another program truncates or rewrites
// it) ends reading with a [*FormatError], which Protect returns and Next
// returns from then on, instead of crashing the program on the fault of a
// page that no longer exists. Records before the fault were read as usual.
// For a file that is not mapped, Protect just runs fn.
func (r *Reader) Protect(fn func()) (err error) {
	m := r.src.mapped
	if m == nil {
		fn()
		return nil
	}
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if p := recover(); p != nil {
			f, ok := p.(interface{ Addr() uintptr })
			if !ok || !m.holds(f.Addr()) {
				panic(p)
			}
			r.err = r.fail(r.src.off, errShrank)
			err = r.err
		}
	}()
	fn()
	return nil
}
