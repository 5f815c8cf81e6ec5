package capture

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// pcapHeader is a pcap file header with no records: magic (as the four
// bytes of the file), version 2.4, snap length 65535, LINKTYPE_ETHERNET,
// in the byte order the magic says.
func pcapHeader(magic string, bigEndian bool) []byte {
	if bigEndian {
		return captureHex(magic + " 00020004 00000000 00000000 0000ffff 00000001")
	}
	return captureHex(magic + " 02000400 00000000 00000000 ffff0000 01000000")
}

// TestSniff lists every magic number the reader accepts and every one it
// refuses, plain and gzip-compressed, and checks that Sniff says of each
// what NewReader says: the same format, or the same error.
func TestSniff(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		want   Format // 0: refused
		wantIs error  // for a refusal: what the error wraps, if anything
		errSub string
		gz     bool // data is gzip-compressed, with a whole gzip header
	}{
		// Accepted.
		{name: "pcap µs little-endian d4c3b2a1", data: pcapHeader("d4c3b2a1", false), want: FormatPcap},
		{name: "pcap µs big-endian a1b2c3d4", data: pcapHeader("a1b2c3d4", true), want: FormatPcap},
		{name: "pcap ns little-endian 4d3cb2a1", data: pcapHeader("4d3cb2a1", false), want: FormatPcap},
		{name: "pcap ns big-endian a1b23c4d", data: pcapHeader("a1b23c4d", true), want: FormatPcap},
		{name: "pcapng little-endian 0a0d0d0a 4d3c2b1a", data: fixturePcapngTwoInterfaces, want: FormatPcapng},
		{name: "pcapng big-endian 0a0d0d0a 1a2b3c4d", data: fixturePcapngBigEndianSPB, want: FormatPcapng},

		// Refused: capture formats the reader does not read.
		{name: "modified pcap little-endian 34cdb2a1", data: pcapHeader("34cdb2a1", false), errSub: "modified pcap format (magic 0xa1b2cd34) is not supported"},
		{name: "modified pcap big-endian a1b2cd34", data: pcapHeader("a1b2cd34", true), errSub: "modified pcap format (magic 0x34cdb2a1) is not supported"},
		{name: "ixia lcap 1c0001ac", data: pcapHeader("1c0001ac", true), wantIs: ErrNotCapture, errSub: "unknown magic number 0xac01001c"},
		{name: "ixia lcap ac01001c", data: pcapHeader("ac01001c", false), wantIs: ErrNotCapture, errSub: "unknown magic number 0x1c0001ac"},
		// Refused: no capture at all.
		{name: "empty", data: nil, wantIs: ErrNotCapture, errSub: "not a capture file: empty file"},
		{name: "three bytes of pcap magic", data: captureHex("d4c3b2"), wantIs: ErrNotCapture, errSub: "not a capture file: only 3 bytes"},
		{name: "text", data: []byte("GET / HTTP/1.1\r\n"), wantIs: ErrNotCapture, errSub: "unknown magic number 0x20544547"},
		{name: "pcapng block type in text", data: []byte("\n\r\r\nnot a section header"), wantIs: ErrNotCapture, errSub: "pcapng section header with unknown byte-order magic 0x65732061"},
		{name: "gzip of nothing", data: gzipBytes(t, nil), gz: true, wantIs: ErrNotCapture, errSub: "not a capture file: empty file"},
		{name: "gzip of text", data: gzipBytes(t, []byte("plain text")), gz: true, wantIs: ErrNotCapture, errSub: "not a capture file: gzip-compressed, but unknown magic number 0x69616c70 inside"},
		{name: "gzip of modified pcap", data: gzipBytes(t, pcapHeader("34cdb2a1", false)), gz: true, errSub: "modified pcap format (magic 0xa1b2cd34) is not supported"},
		{name: "gzip header cut", data: gzipBytes(t, fixturePcapLEMicro)[:6], wantIs: ErrTruncated, errSub: "gzip header cut short"},
	}
	for _, tc := range tests {
		for _, compress := range []bool{false, true} {
			data, name := tc.data, tc.name
			if compress {
				if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
					continue // compressed already
				}
				data, name = gzipBytes(t, data), "gzip of "+name
			}
			t.Run(name, func(t *testing.T) {
				f, compressed, err := Sniff(bytes.NewReader(data), "x")
				if compressed != (compress || tc.gz) {
					t.Errorf("Sniff compressed = %v, want %v", compressed, compress || tc.gz)
				}
				r, rerr := NewReader(bytes.NewReader(data), "x")
				if tc.want != 0 {
					if f != tc.want || err != nil {
						t.Fatalf("Sniff = %v, %v; want %v", f, err, tc.want)
					}
					if rerr != nil || r.Format() != tc.want.String() {
						t.Fatalf("NewReader = %v; want a %v reader", rerr, tc.want)
					}
					return
				}
				if f != 0 || err == nil {
					t.Fatalf("Sniff = %v, %v; want an error", f, err)
				}
				captureCheckError(t, err, tc.errSub, tc.wantIs, 0)
				if rerr == nil || rerr.Error() != err.Error() {
					t.Errorf("NewReader error %v, Sniff error %v; want the same", rerr, err)
				}
				if tc.wantIs == nil && errors.Is(err, ErrNotCapture) {
					t.Errorf("errors.Is(%v, ErrNotCapture) = true, want false: it is a capture, of a format not read", err)
				}
			})
		}
	}
}

// TestSniffFile checks the file variant: a capture, a file that is none,
// and one that cannot be opened.
func TestSniffFile(t *testing.T) {
	if f, compressed, err := SniffFile(filepath.Join("testdata", "pcapng-le-2if.pcapng.gz")); f != FormatPcapng || !compressed || err != nil {
		t.Errorf("SniffFile(pcapng-le-2if.pcapng.gz) = %v, %v, %v; want pcapng, compressed", f, compressed, err)
	}
	notes := filepath.Join(t.TempDir(), "notes.pcap")
	if err := os.WriteFile(notes, []byte("not a capture at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := SniffFile(notes)
	var fe *FormatError
	if !errors.Is(err, ErrNotCapture) || !errors.As(err, &fe) || fe.File != notes {
		t.Errorf("SniffFile(notes.pcap) = %v, want ErrNotCapture naming the file", err)
	}
	if _, _, err := SniffFile(filepath.Join(t.TempDir(), "missing.pcap")); !errors.Is(err, os.ErrNotExist) || errors.As(err, &fe) {
		t.Errorf("SniffFile(missing) = %v, want the operating system's error", err)
	}
}
