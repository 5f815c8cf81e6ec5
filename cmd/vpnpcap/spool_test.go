package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"
)

func newTestSpool(t *testing.T, data []byte) *spool {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "spool")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	// One byte at a time: the reads of a pipe come in pieces.
	return newSpool(f, iotest.OneByteReader(bytes.NewReader(data)))
}

// TestSpoolKept: a kept stream reads whole as often as asked, from readers
// that interleave, and its checksum covers every byte.
func TestSpoolKept(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	s := newTestSpool(t, data)
	if err := s.fill(100); err != nil {
		t.Fatal(err)
	}
	if n, done := s.size(); n < 100 || done {
		t.Fatalf("after fill(100): %d bytes, done %v", n, done)
	}
	a, b := s.reader(), s.reader()
	var gotA, gotB bytes.Buffer
	buf := make([]byte, 37)
	for {
		n, errA := a.Read(buf)
		gotA.Write(buf[:n])
		m, errB := b.Read(buf[:11])
		gotB.Write(buf[:m])
		if errA == io.EOF && errB == io.EOF {
			break
		}
		if errA != nil && errA != io.EOF || errB != nil && errB != io.EOF {
			t.Fatal(errA, errB)
		}
	}
	if !bytes.Equal(gotA.Bytes(), data) || !bytes.Equal(gotB.Bytes(), data) {
		t.Fatalf("readers got %d and %d bytes, want the %d of the stream", gotA.Len(), gotB.Len(), len(data))
	}
	c, err := io.ReadAll(s.reader())
	if err != nil || !bytes.Equal(c, data) {
		t.Fatalf("a later reader: %d bytes, %v", len(c), err)
	}
	other := newTestSpool(t, data)
	sa, na, errA := s.sum()
	sb, nb, errB := other.sum()
	if errA != nil || errB != nil || sa != sb || na != int64(len(data)) || nb != na {
		t.Errorf("sums %x/%d and %x/%d (%v, %v), want equal, of %d bytes", sa, na, sb, nb, errA, errB, len(data))
	}
}

// TestSpoolReadOnce: a stream read once reads whole once; only what was
// spooled before (the sniffed prefix) can be read again, and a second
// reading fails rather than return a capture with a hole.
func TestSpoolReadOnce(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	s := newTestSpool(t, data)
	if err := s.fill(64); err != nil {
		t.Fatal(err)
	}
	prefix, _ := s.size()
	s.once()
	got, err := io.ReadAll(s.reader())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("first reading: %d bytes, %v; want %d", len(got), err, len(data))
	}
	again := s.reader()
	head := make([]byte, prefix)
	if _, err := io.ReadFull(again, head); err != nil || !bytes.Equal(head, data[:prefix]) {
		t.Fatalf("the spooled prefix again: %v", err)
	}
	if _, err := again.Read(make([]byte, 10)); !errors.Is(err, errStreamRead) {
		t.Errorf("past the prefix: %v, want errStreamRead", err)
	}
}
