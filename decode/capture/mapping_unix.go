//go:build unix

package capture

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapFile maps size bytes of f read-only, for reading in order.
func mapFile(f *os.File, size int) ([]byte, bool) {
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, false
	}
	// Read ahead generously; pages behind are given back by release.
	_ = unix.Madvise(data, unix.MADV_SEQUENTIAL)
	return data, true
}

// giveBack drops the pages of b from the process; the file's pages stay in
// the page cache, and touching b again reads them from there.
func giveBack(b []byte) { _ = unix.Madvise(b, unix.MADV_DONTNEED) }

// unmap ends the mapping.
func unmap(b []byte) { _ = unix.Munmap(b) }

func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
