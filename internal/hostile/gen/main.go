// Command gen writes a hostile capture (package hostile): go run
// ./internal/hostile/gen -kind ike-spis -n 1000000 -o ike-spis.pcap.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/vpnpcap/vpnpcap/internal/hostile"
)

func main() {
	kind := flag.String("kind", string(hostile.IKESPIs), fmt.Sprintf("the kind of capture: %v", hostile.Kinds))
	n := flag.Int("n", 100_000, "subjects: IKE SAs, SAs, flows, datagrams or messages")
	out := flag.String("o", "hostile.pcap", "output file")
	flag.Parse()
	f, err := os.Create(*out)
	if err == nil {
		err = hostile.Write(f, hostile.Kind(*kind), *n)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}
