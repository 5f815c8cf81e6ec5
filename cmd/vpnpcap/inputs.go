package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/report"
)

// This file reads the captures named on the command line: files, and
// streams — standard input ("-"), pipes, FIFOs, process substitution
// (<(...), a /dev/fd path).
//
// A stream can be read only once, and a capture may be read more than
// once: flows.Correlate analyses both captures, then reads both again to
// match their packets, a capture whose time runs backwards is analysed
// again in time order, and every command sniffs a capture before it
// analyses it. So analyze, flows and check keep the bytes of a stream, as
// they read them, in a spool: a private temporary file (os.CreateTemp:
// mode 0600, in $TMPDIR), unlinked as soon as it is made where the system
// allows, so that nothing is left behind even if the process is killed.
// The first pass reads the stream itself and appends to the spool on the
// way (see spool), so one capture piped in is analysed as it arrives, in
// one pass; any later read reads the spool through the same capture.Reader
// as a file: the same sniffing, the same frames, the same report as the
// file given by path. Keeping the bytes in memory instead would cost the
// capture's size in RAM. dump reads each capture once, in order, so it
// streams without a spool (openStreamFile), and prints packets as they
// arrive from `tcpdump -U -w - | vpnpcap dump -`. tui takes files only:
// it reads them again as one browses.

// defaultFIFOTimeout is how long opening a FIFO waits for a writer by
// default (--fifo-timeout).
const defaultFIFOTimeout = 30 * time.Second

// captureInput is one capture named on the command line.
type captureInput struct {
	arg  string // as given: a path, or "-" for standard input
	name string // as reports and messages show it: report.SafeText(arg)
	// spool holds the bytes of a stream as they are read; nil for a
	// regular file, which is read from arg each time.
	spool     *spool
	spoolFile *os.File
	// spoolPath is the spool's name while it still has one (where it
	// could not be unlinked at once).
	spoolPath string
	fileSize  int64 // bytes of a regular file
}

// size returns the capture's size in bytes: for a stream, what has been
// read of it so far.
func (in *captureInput) size() int64 {
	if in.spool != nil {
		n, _ := in.spool.size()
		return n
	}
	return in.fileSize
}

// regularInput is the input of a regular file at path.
func regularInput(path string, size int64) *captureInput {
	return &captureInput{arg: path, name: report.SafeText(path), fileSize: size}
}

// exactName returns the bytes of the name as given when the reports show
// it escaped, for Capture.PathBytes; nil when the name shows as is.
func (in *captureInput) exactName() []byte {
	if in.name == in.arg {
		return nil
	}
	return []byte(in.arg)
}

// reader opens the capture for decode. Reads stop once ctx is done, and
// add the bytes they read to the counters that are not nil. A spool may
// be read by several readers at once (the correlation reads both captures
// at once, and check may read a spool while sniffing another); a file is
// opened again for each (decode maps a large one rather than read it).
func (in *captureInput) reader(ctx context.Context, counters ...*atomic.Int64) (*capture.Reader, func(), error) {
	var dr *capture.Reader
	var err error
	if in.spool != nil {
		dr, err = capture.NewReader(in.spool.reader(), in.name)
	} else {
		var f *os.File
		if f, err = os.Open(in.arg); err != nil {
			return nil, nil, err
		}
		dr, err = capture.OpenFile(f, in.name)
	}
	if err != nil {
		return nil, nil, err
	}
	dr.Watch(func(n int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, c := range counters {
			if c != nil {
				c.Add(int64(n))
			}
		}
		return nil
	})
	return dr, func() { dr.Close() }, nil
}

// sniff tells whether decode reads the input as a capture: nil, or why
// not. It reads the file header only (for pcapng, the blocks before the
// first packet). This is the one test of what is a capture: decode's.
func (in *captureInput) sniff() error {
	_, release, err := in.reader(context.Background())
	if err != nil {
		return err
	}
	release()
	return nil
}

// source is the input as flows reads it. Reads stop once ctx is done, and
// add the bytes they read to the counters that are not nil.
func (in *captureInput) source(ctx context.Context, counters ...*atomic.Int64) flows.Source {
	once := in.spool != nil && in.spool.readsOnce()
	return flows.Source{Path: in.name, Once: once, Read: func(opts decode.Options, fn func(*decode.Packet)) (decode.Stats, error) {
		r, release, err := in.reader(ctx, counters...)
		if err != nil {
			return decode.Stats{}, err
		}
		defer release()
		return decode.ReadPackets(r, opts, fn)
	}}
}

// readOnce says the capture is to be read once, alone: a stream is then
// analysed as it arrives and not kept on disk (see spool).
func (in *captureInput) readOnce() {
	if in.spool != nil {
		in.spool.once()
	}
}

// sameAs reports whether two inputs are certainly the same capture: one
// file named twice, or two streams with the same bytes.
func (in *captureInput) sameAs(other *captureInput) bool {
	if in.spool != nil || other.spool != nil {
		if in.spool == nil || other.spool == nil {
			return false
		}
		// Both streams are read to their ends: a pair is read whole
		// twice anyway.
		a, an, errA := in.spool.sum()
		b, bn, errB := other.spool.sum()
		return errA == nil && errB == nil && an == bn && a == b
	}
	a, errA := os.Stat(in.arg)
	b, errB := os.Stat(other.arg)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// countingReader counts the bytes read into counters (nil ones skipped),
// and fails once ctx is done.
type countingReader struct {
	ctx      context.Context
	r        io.Reader
	counters []*atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(b)
	for _, ctr := range c.counters {
		if ctr != nil {
			ctr.Add(int64(n))
		}
	}
	return n, err
}

// inputError is a capture named on the command line that cannot be read:
// its name as shown, and why.
type inputError struct {
	name   string
	reason string
	err    error // the cause, for errors.Is
}

func (e *inputError) Error() string { return e.name + ": " + e.reason }
func (e *inputError) Unwrap() error { return e.err }

// errIsDir is the cause of the inputError of a directory.
var errIsDir = errors.New("is a directory")

// problem returns why err keeps a capture from being read, without the
// capture's name, which the caller shows next to it: the reason of a
// capture.FormatError (with its offset when past the file header), of a
// file system error, or of an inputError.
func problem(err error) string {
	var ie *inputError
	if errors.As(err, &ie) {
		return ie.reason
	}
	var fe *capture.FormatError
	if errors.As(err, &fe) {
		if fe.Offset > 0 {
			return fmt.Sprintf("%v at byte offset %d", fe.Err, fe.Offset)
		}
		return fe.Err.Error()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// inputs opens the captures of one run of a command, and removes their
// spools when closed.
type inputs struct {
	ctx     context.Context
	stdin   io.Reader
	timeout time.Duration // for a FIFO's writer; 0: no limit
	stdinBy bool          // standard input was read
	spools  map[string]*captureInput
}

func newInputs(e *env, timeout time.Duration) *inputs {
	return &inputs{ctx: e.ctx, stdin: e.stdin, timeout: timeout, spools: map[string]*captureInput{}}
}

// input returns the input of path: its spool if add spooled it, else the
// regular file.
func (s *inputs) input(path string) *captureInput {
	if in, ok := s.spools[path]; ok {
		return in
	}
	var size int64
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	return regularInput(path, size)
}

// add opens the capture named arg: a regular file is opened when read, a
// stream is spooled now. A directory, a name that does not exist and a
// stream that cannot be read are an *inputError.
func (s *inputs) add(arg string) (*captureInput, error) {
	name := report.SafeText(arg)
	if arg == "-" {
		if s.stdinBy {
			return nil, &inputError{name: name, reason: "standard input is named twice"}
		}
		s.stdinBy = true
		if err := notTerminal(s.stdin, name); err != nil {
			return nil, err
		}
		return s.spoolFrom(arg, s.stdin)
	}
	if in, ok := s.spools[arg]; ok {
		return in, nil // a stream named twice is read once
	}
	st, err := os.Stat(arg)
	switch {
	case err != nil:
		return nil, &inputError{name: name, reason: problem(err), err: err}
	case st.IsDir():
		return nil, &inputError{name: name, reason: "is a directory", err: errIsDir}
	case st.Mode().IsRegular():
		return regularInput(arg, st.Size()), nil
	}
	f, err := openStream(s.ctx, arg, s.timeout)
	if err != nil {
		return nil, &inputError{name: name, reason: problem(err), err: err}
	}
	defer f.Close()
	if err := notTerminal(f, name); err != nil {
		return nil, err
	}
	return s.spoolFrom(arg, f)
}

// notTerminal refuses to read a capture from a terminal, where vpnpcap
// would wait for input that never comes.
func notTerminal(r io.Reader, name string) error {
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &inputError{name: name, reason: "is a terminal, not a capture: pipe a capture into vpnpcap, as in tcpdump -w - | vpnpcap analyze -"}
	}
	return nil
}

// spoolFrom starts the spool of a stream and returns the input reading
// it. The stream's first bytes are read at once, to refuse what is not a
// capture before anything else is done; the rest is read as the capture
// is analysed.
func (s *inputs) spoolFrom(arg string, r io.Reader) (*captureInput, error) {
	in := &captureInput{arg: arg, name: report.SafeText(arg)}
	f, err := os.CreateTemp("", "vpnpcap-*.spool")
	if err != nil {
		return nil, &inputError{name: in.name, reason: "cannot spool it: " + err.Error(), err: err}
	}
	in.spoolFile = f
	if err := os.Remove(f.Name()); err != nil {
		in.spoolPath = f.Name() // removed by close
	}
	s.spools[arg] = in
	if pipe, ok := r.(*os.File); ok {
		widenPipe(pipe)
	}
	in.spool = newSpool(f, &countingReader{ctx: s.ctx, r: r})
	// What is not a capture is refused once its first bytes are in, not
	// read to its end: a device such as /dev/zero has none.
	if err := in.spool.fill(sniffPrefix); err != nil {
		return nil, &inputError{name: in.name, reason: "reading it: " + problem(err), err: err}
	}
	if err := in.sniff(); errors.Is(err, capture.ErrNotCapture) {
		return nil, &inputError{name: in.name, reason: problem(err), err: err}
	}
	return in, nil
}

// sniffPrefix is how much of a stream is spooled before it is sniffed:
// enough for a pcapng section header and interface descriptions, or for
// a gzip stream to yield the magic number of what it holds.
const sniffPrefix = 64 << 10

// close removes the spools.
func (s *inputs) close() {
	for _, in := range s.spools {
		in.spoolFile.Close()
		if in.spoolPath != "" {
			os.Remove(in.spoolPath)
		}
	}
	clear(s.spools)
}

// openStream opens a file that is not a regular file (a FIFO, a pipe
// named by a /dev/fd path) for reading. Opening a FIFO waits for a process
// to open it for writing; with none, it would wait for ever, so it waits
// at most timeout (0: without limit), or until ctx is done.
func openStream(ctx context.Context, path string, timeout time.Duration) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.Open(path)
		done <- result{f, err}
	}()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	abandon := func() {
		// Let the waiting open complete: opening the FIFO for writing
		// without waiting succeeds now that a reader waits. What the open
		// then returns is closed.
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		go func() {
			if r := <-done; r.f != nil {
				r.f.Close()
			}
		}()
	}
	select {
	case r := <-done:
		return r.f, r.err
	case <-expired:
		abandon()
		return nil, fmt.Errorf("no process opened it for writing within %v (a FIFO waits for its writer; see --fifo-timeout)", timeout)
	case <-ctx.Done():
		abandon()
		return nil, ctx.Err()
	}
}

// openStreamFile opens arg for reading once, in order, for dump: standard
// input, a regular file or a stream; a FIFO waits for its writer at most
// timeout.
func openStreamFile(ctx context.Context, arg string, stdin io.Reader, timeout time.Duration) (io.Reader, func(), error) {
	name := report.SafeText(arg)
	if arg == "-" {
		if err := notTerminal(stdin, name); err != nil {
			return nil, nil, err
		}
		return stdin, func() {}, nil
	}
	st, err := os.Stat(arg)
	switch {
	case err != nil:
		return nil, nil, &inputError{name: name, reason: problem(err), err: err}
	case st.IsDir():
		return nil, nil, &inputError{name: name, reason: "is a directory", err: errIsDir}
	}
	var f *os.File
	if st.Mode().IsRegular() {
		f, err = os.Open(arg)
	} else {
		f, err = openStream(ctx, arg, timeout)
	}
	if err != nil {
		return nil, nil, &inputError{name: name, reason: problem(err), err: err}
	}
	if err := notTerminal(f, name); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
