// Command baseline is the yardstick of bench/run.sh: the bare gopacket loop
// that any Go tool reading a capture starts from. It reads a pcap file with
// pcapgo's zero-copy reader (behind a 1 MiB buffered reader, as any tool
// would read a file), decodes Ethernet, IPv4, IPv6, UDP and TCP with a
// DecodingLayerParser into preallocated layers, and counts packets and
// layers. It keeps nothing: what vpnpcap spends beyond it is the price of
// decoding VPN protocols, building flows and tunnels, and running rules.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: baseline CAPTURE.pcap")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "baseline: %v\n", err)
		os.Exit(1)
	}
}

func run(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return err
	}
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		ip6     layers.IPv6
		udp     layers.UDP
		tcp     layers.TCP
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &udp, &tcp, &payload)
	// ESP, GRE and the like have no decoder here: stop there quietly.
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	var packets, ipv4, ipv6, nudp, ntcp int
	for {
		data, _, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		packets++
		_ = parser.DecodeLayers(data, &decoded) // errors count as undecoded layers
		for _, lt := range decoded {
			switch lt {
			case layers.LayerTypeIPv4:
				ipv4++
			case layers.LayerTypeIPv6:
				ipv6++
			case layers.LayerTypeUDP:
				nudp++
			case layers.LayerTypeTCP:
				ntcp++
			}
		}
	}
	fmt.Printf("%d packets: %d IPv4, %d IPv6, %d UDP, %d TCP\n", packets, ipv4, ipv6, nudp, ntcp)
	return nil
}
