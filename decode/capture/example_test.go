package capture_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vpnpcap/vpnpcap/decode/capture"
)

// ExampleReader reads a pcapng file with two interfaces of different link
// types and time stamp resolutions. The reader knows the format from the
// content, not the name, and numbers frames as Wireshark does.
func ExampleReader() {
	r, err := capture.Open("testdata/pcapng-le-2if.pcapng")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Println(r.Format(), "compressed:", r.Compressed())
	var rec capture.Record
	for {
		err := r.Next(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A *capture.FormatError naming the file and offset; the
			// records before it have been returned.
			fmt.Println(err)
			return
		}
		fmt.Printf("frame %d at offset %d: %s, interface %d (%v), %d of %d bytes\n",
			rec.Frame, rec.Offset, rec.Time.Format(time.RFC3339Nano), rec.Interface, rec.LinkType, len(rec.Data), rec.Length)
	}
	// Output:
	// pcapng compressed: false
	// frame 1 at offset 108: 2023-11-14T22:13:20.123456Z, interface 0 (Ethernet), 16 of 16 bytes
	// frame 2 at offset 156: 2023-11-14T22:13:25.000000001Z, interface 1 (Raw), 20 of 20 bytes
	// frame 3 at offset 236: 2023-11-14T22:13:20.5Z, interface 0 (Ethernet), 16 of 1514 bytes
	// frame 4 at offset 332: 2023-11-14T22:13:26Z, interface 1 (Raw), 20 of 20 bytes
}

// ExampleFormatError reads a capture cut short: the records before the cut
// come back, then an error wrapping ErrTruncated that names the offset of the
// record that is cut.
func ExampleFormatError() {
	data, err := os.ReadFile("testdata/pcap-le-usec.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := capture.NewReader(bytes.NewReader(data[:len(data)-3]), "cut.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	var rec capture.Record
	for {
		if err := r.Next(&rec); err != nil {
			fmt.Println(err)
			fmt.Println("truncated:", errors.Is(err, capture.ErrTruncated))
			break
		}
		fmt.Println("frame", rec.Frame, "at offset", rec.Offset)
	}
	// Output:
	// frame 1 at offset 24
	// capture: cut.pcap: offset 56: truncated: record has 21 of 24 bytes
	// truncated: true
}

// ExampleSniff tells captures from other files by their first bytes, as
// the reader recognises them, without reading them through.
func ExampleSniff() {
	for _, name := range []string{"testdata/pcapng-le-2if.pcapng.gz", "testdata/pcap-be-nsec.pcap", "testdata/README.md"} {
		f, compressed, err := capture.SniffFile(name)
		switch {
		case errors.Is(err, capture.ErrNotCapture):
			fmt.Println(name, "is not a capture")
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Println(name, "is", f, "compressed:", compressed)
		}
	}
	// Output:
	// testdata/pcapng-le-2if.pcapng.gz is pcapng compressed: true
	// testdata/pcap-be-nsec.pcap is pcap compressed: false
	// testdata/README.md is not a capture
}
