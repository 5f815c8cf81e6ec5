package main

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// A pipe a capture is read from is widened to 1 MiB; a regular file is
// left alone.
func TestWidenPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	before, err := unix.FcntlInt(r.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	widenPipe(r)
	after, err := unix.FcntlInt(r.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	if after != 1<<20 {
		t.Errorf("pipe of %d bytes, widened to %d, want 1 MiB", before, after)
	}
	f, err := os.CreateTemp(t.TempDir(), "capture")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	widenPipe(f) // must not fail or change anything
}
