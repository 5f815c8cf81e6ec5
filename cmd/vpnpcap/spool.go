package main

import (
	"errors"
	"hash/maphash"
	"io"
	"os"
	"sync"
)

// spool holds a stream's bytes as far as they have been read. The first
// reader to reach its end reads on from the stream itself, and what it
// reads is appended to the spool file on the way: a capture piped into
// vpnpcap is analysed as it arrives. A reader that comes later, or a
// second pass (a pair is read twice to match its packets), reads the
// spool and, past its end, the stream.
//
// A capture analysed alone is read once (readOnce): past its first bytes,
// which sniffing needs again, nothing is written to the file, since
// writing a capture of gigabytes to disk costs more than analysing it.
type spool struct {
	mu       sync.Mutex
	f        *os.File
	stream   io.Reader // nil once read to its end
	err      error     // why the stream ended, when not at EOF
	n        int64     // bytes read from the stream
	written  int64     // bytes in f: n, or less once readOnce
	readOnce bool
	// digest sums the bytes kept, so that two streams can be told apart
	// (captureInput.sameAs) without comparing them; maphash rather than
	// a CRC because it keeps pace with reading.
	digest maphash.Hash
}

// spoolSeed is the seed of every spool's digest: the digests of two
// streams are comparable only under one seed.
var spoolSeed = maphash.MakeSeed()

// errStreamRead is the error of a second reading of a stream read once.
var errStreamRead = errors.New("a stream can be read only once")

func newSpool(f *os.File, stream io.Reader) *spool {
	s := &spool{f: f, stream: stream}
	s.digest.SetSeed(spoolSeed)
	return s
}

// readAt reads the stream's bytes from off, from the spool file or, past
// its end, from the stream.
func (s *spool) readAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for off >= s.n {
		if s.stream == nil {
			if s.err != nil {
				return 0, s.err
			}
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		if off > s.n {
			return 0, errStreamRead // the bytes between were not kept
		}
		k, err := s.stream.Read(p)
		if k > 0 {
			if !s.readOnce {
				if _, werr := s.f.WriteAt(p[:k], s.n); werr != nil {
					s.stream, s.err = nil, werr
					return 0, werr
				}
				s.written += int64(k)
				s.digest.Write(p[:k])
			}
			s.n += int64(k)
			return k, nil
		}
		switch {
		case err == io.EOF:
			s.stream = nil
		case err != nil:
			s.stream, s.err = nil, err
		}
	}
	if off >= s.written {
		return 0, errStreamRead
	}
	k := int(min(int64(len(p)), s.written-off))
	return s.f.ReadAt(p[:k], off)
}

// once makes the spool keep no more of the stream than it has already:
// the stream is to be read once, by one reader.
func (s *spool) once() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnce = true
}

// readsOnce reports whether the stream can be read only once.
func (s *spool) readsOnce() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readOnce
}

// fill reads the stream to its end, or to at least n bytes (n < 0: to its
// end), into the spool.
func (s *spool) fill(n int64) error {
	buf := make([]byte, 256<<10)
	for {
		s.mu.Lock()
		have, done, err := s.n, s.stream == nil, s.err
		s.mu.Unlock()
		if done {
			return err
		}
		if n >= 0 && have >= n {
			return nil
		}
		if _, err := s.readAt(buf, have); err != nil && err != io.EOF {
			return err
		}
	}
}

// size returns the bytes spooled so far, and whether that is all of them.
func (s *spool) size() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n, s.stream == nil
}

// sum returns the digest of the stream's bytes, read to the end; only a
// stream kept whole (not read once) has one.
func (s *spool) sum() (uint64, int64, error) {
	if err := s.fill(-1); err != nil {
		return 0, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readOnce {
		return 0, 0, errStreamRead
	}
	return s.digest.Sum64(), s.n, nil
}

// reader returns a reader of the stream's bytes from the first.
func (s *spool) reader() io.Reader { return &spoolReader{s: s} }

type spoolReader struct {
	s   *spool
	off int64
}

func (r *spoolReader) Read(p []byte) (int, error) {
	n, err := r.s.readAt(p, r.off)
	r.off += int64(n)
	return n, err
}
