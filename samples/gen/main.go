// Command gen writes the sample captures: for every scenario of package
// samples, its inside.pcap and outside.pcap (or capture.pcap), README.md and
// expect.json, plus the index README.md. Run it from the repository root:
//
//	go run ./samples/gen            # writes into samples/
//	go run ./samples/gen -out DIR   # writes into DIR
//
// The output is the same, byte for byte, on every run.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/vpnpcap/vpnpcap/samples"
)

func main() {
	out := flag.String("out", "samples", "directory to write the scenarios into")
	flag.Parse()
	start := time.Now()
	if err := samples.Generate(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: wrote %d scenarios into %s in %v\n", len(samples.Names()), *out, time.Since(start).Round(time.Millisecond))
}
