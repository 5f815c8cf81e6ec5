package capture

import (
	"errors"
	"io"
	"math"
)

// source is a read buffer that tracks the stream offset. Unlike
// bufio.Reader it grows on demand (up to bufMax) so that a whole block
// can be parsed in place, and it can skip any distance without allocating.
type source struct {
	rd    io.Reader
	buf   []byte
	r, w  int   // buf[r:w] is read but not consumed
	off   int64 // stream offset of buf[r]
	err   error // the error that stopped reading; io.EOF at the end
	empty int   // consecutive reads that returned nothing
	limit int   // the size the buffer may grow to

	// A mapped file is buf whole (see mapping.go): advance passes a mark
	// every mapWindow bytes (never, for a stream), where the pages behind
	// are given back and watch hears how far reading has come.
	mapped   *mapping
	mark     int
	watch    func(n int) error
	reported int // buf[:reported] was reported to watch
}

func (s *source) init(rd io.Reader, size int) {
	*s = source{rd: rd, buf: make([]byte, size), limit: max(size, bufMax), mark: math.MaxInt}
}

// fill reads until n bytes are buffered or reading stops. n must not exceed
// s.limit.
func (s *source) fill(n int) {
	if s.mapped != nil {
		s.endMapped() // the whole file is buffered
		return
	}
	n = min(n, s.limit)
	if s.r == s.w {
		s.r, s.w = 0, 0
	}
	for s.w-s.r < n && s.err == nil {
		if s.r+n > len(s.buf) {
			if n > len(s.buf) {
				size := min(max(2*len(s.buf), n), s.limit)
				nb := make([]byte, size)
				s.w = copy(nb, s.buf[s.r:s.w])
				s.r, s.buf = 0, nb
			} else {
				s.w = copy(s.buf, s.buf[s.r:s.w])
				s.r = 0
			}
		}
		m, err := s.rd.Read(s.buf[s.w:])
		if m < 0 || m > len(s.buf)-s.w {
			s.err = errors.New("reader returned an invalid count")
			return
		}
		s.w += m
		switch {
		case err != nil:
			s.err = err
		case m > 0:
			s.empty = 0
		default:
			// As bufio does, give up on a reader that keeps
			// returning nothing.
			if s.empty++; s.empty >= 100 {
				s.err = io.ErrNoProgress
			}
		}
	}
}

// peek returns the next n bytes without consuming them, or fewer if the
// input ends first. n must not exceed s.limit.
func (s *source) peek(n int) []byte {
	if s.w-s.r < n {
		s.fill(n)
		if s.w-s.r < n {
			return s.buf[s.r:s.w]
		}
	}
	return s.buf[s.r : s.r+n]
}

// advance consumes n buffered bytes.
func (s *source) advance(n int) {
	s.r += n
	s.off += int64(n)
	if s.r >= s.mark {
		s.passMark()
	}
}

// discard consumes up to n bytes, reading past the buffer as needed, and
// returns how many it consumed.
func (s *source) discard(n uint64) uint64 {
	var done uint64
	for done < n {
		if s.r == s.w {
			s.fill(1)
			if s.r == s.w {
				break
			}
		}
		k := uint64(s.w - s.r)
		if k > n-done {
			k = n - done
		}
		s.advance(int(k))
		done += k
	}
	return done
}

// Read implements io.Reader, so that a gzip.Reader can read the raw stream
// through the bytes already buffered.
func (s *source) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if s.r == s.w {
		s.fill(1)
		if s.r == s.w {
			return 0, s.err
		}
	}
	n := copy(p, s.buf[s.r:s.w])
	s.advance(n)
	return n, nil
}

// ReadByte implements io.ByteReader, which spares gzip a bufio.Reader.
func (s *source) ReadByte() (byte, error) {
	if s.r == s.w {
		s.fill(1)
		if s.r == s.w {
			return 0, s.err
		}
	}
	b := s.buf[s.r]
	s.advance(1)
	return b, nil
}
