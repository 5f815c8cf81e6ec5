package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// widenPipe enlarges the pipe a stream is read from to 1 MiB, the most an
// unprivileged process may ask for by default (/proc/sys/fs/pipe-max-size):
// a pipe holds 64 KiB, so the reader, which reads 256 KiB at a time, and
// the writer (tcpdump, cat) would wake each other for every 64 KiB.
// Anything that is not a pipe, or a refusal, leaves it as it was.
func widenPipe(f *os.File) {
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, 1<<20)
}
