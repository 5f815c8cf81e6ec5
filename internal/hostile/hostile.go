// Package hostile writes captures nobody would choose: floods, scans and
// broken sensors in the shapes that make an analyser slow or greedy — many
// IKE SAs from one host, many ESP SPIs or UDP 4500 flows between one pair
// of addresses, incomplete IP fragments, IKE messages with endless payload
// chains, and one-way SAs by the thousand that each make a finding. Tests
// and benchmarks use it to hold vpnpcap to bounds in time, memory and
// report size. The output is deterministic: the same kind and count give
// the same bytes.
package hostile

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// Kind is a shape of hostile capture.
type Kind string

// The kinds. Every subject shares one pair of addresses, so that no
// grouping by address spares an all-pairs comparison.
const (
	// IKESPIs: n IKE_SA_INIT requests, each with a new initiator SPI,
	// from one host and port to one gateway, none answered.
	IKESPIs Kind = "ike-spis"
	// ESPSPIs: n raw ESP SAs (one packet each, a new SPI every time)
	// from one host to one gateway.
	ESPSPIs Kind = "esp-spis"
	// UDP4500Flows: n ESP-in-UDP flows from one host to a gateway's UDP
	// 4500, each from a new source port and SPI.
	UDP4500Flows Kind = "udp4500-flows"
	// Fragments: n IP-fragmented UDP 4500 datagrams whose last fragment
	// never arrives.
	Fragments Kind = "fragments"
	// LargeFragments: n IP-fragmented UDP datagrams of 60,000 octets of
	// which only a fragment near the end arrives: each costs 1.5 kB of
	// capture, and a reassembler that buffers a datagram from its start
	// holds 60 kB for it.
	LargeFragments Kind = "large-fragments"
	// LongChains: n IKE payloads (vendor IDs and notifies, alternately)
	// in IKE_SA_INIT requests whose chains hold as many as fit in 60 kB.
	LongChains Kind = "long-chains"
	// OneWay: n ESP-in-UDP SAs, each on a flow of its own with 8 packets
	// one way and none back: a one-way finding apiece.
	OneWay Kind = "one-way"
)

// Kinds lists every kind.
var Kinds = []Kind{IKESPIs, ESPSPIs, UDP4500Flows, Fragments, LargeFragments, LongChains, OneWay}

var (
	client = netip.MustParseAddr("198.51.100.77")
	gw     = netip.MustParseAddr("203.0.113.10")
	t0     = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
)

// Write writes a capture of the kind with n subjects to w.
func Write(w io.Writer, kind Kind, n int) error {
	if n < 1 {
		return fmt.Errorf("hostile: %d subjects: need at least one", n)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	pw, err := pcaptest.NewWriter(bw, pcaptest.DefaultSnapLen)
	if err != nil {
		return err
	}
	g := &gen{
		w:  pw,
		fr: pcaptest.NewFramer(gw, []byte{0x00, 0x1b, 0x17, 0, 1, 0x10}, []byte{0x00, 0x00, 0x5e, 0, 1, 1}),
	}
	switch kind {
	case IKESPIs:
		err = g.ikeSPIs(n)
	case ESPSPIs:
		err = g.espSPIs(n)
	case UDP4500Flows:
		err = g.udp4500(n, 1)
	case Fragments:
		err = g.fragments(n)
	case LargeFragments:
		err = g.largeFragments(n)
	case LongChains:
		err = g.longChains(n)
	case OneWay:
		err = g.udp4500(n, 8)
	default:
		return fmt.Errorf("hostile: unknown kind %q", kind)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

type gen struct {
	w     *pcaptest.Writer
	fr    *pcaptest.Framer
	frame int
}

// write writes a frame, 100 µs after the previous one.
func (g *gen) write(frame []byte) error {
	g.frame++
	return g.w.WritePacket(t0.Add(time.Duration(g.frame)*100*time.Microsecond), frame)
}

// spi returns the i-th of a sequence of distinct, non-zero, well-spread
// 64-bit values.
func spi(i int) uint64 {
	x := uint64(i) + 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	if x == 0 {
		x = 1
	}
	return x
}

// initRequest is an IKEv2 IKE_SA_INIT request's header followed by the
// given payload chain, with the lengths filled in.
func (g *gen) initRequest(spiI uint64, chain []pcaptest.Payload) []byte {
	m := pcaptest.Message{SPIi: spiI, Version: 2, Exchange: pcaptest.V2IKESAInit, Flags: 0x08, Payloads: chain}
	return m.Marshal()
}

func (g *gen) ikeSPIs(n int) error {
	chain := []pcaptest.Payload{
		pcaptest.SAv2(pcaptest.ProposalV2{Num: 1, Protocol: 1, Transforms: []pcaptest.TransformV2{{Type: 1, ID: 12, KeyLen: 128}, {Type: 2, ID: 5}, {Type: 3, ID: 12}, {Type: 4, ID: 14}}}),
		pcaptest.KEv2(14, make([]byte, 256)),
		pcaptest.NonceV2(make([]byte, 32)),
	}
	msg := g.initRequest(1, chain)
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint64(msg, spi(i))
		binary.BigEndian.PutUint64(msg[len(msg)-32:], spi(i)) // a fresh nonce
		if err := g.write(g.fr.UDP(client, gw, 500, 500, msg)); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) espSPIs(n int) error {
	esp := make([]byte, 8+64)
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint32(esp, uint32(spi(i))|1)
		binary.BigEndian.PutUint32(esp[4:], 1)
		if err := g.write(g.fr.Frame(client, gw, 50, 0, nil, esp)); err != nil {
			return err
		}
	}
	return nil
}

// udp4500 writes n ESP-in-UDP flows of per packets each, one flow after
// the other.
func (g *gen) udp4500(n, per int) error {
	esp := make([]byte, 8+64)
	for i := 0; i < n; i++ {
		sport := uint16(1024 + i%64000)
		src := client
		if i >= 64000 {
			// Past the ports of one address, the next addresses of the
			// same /16, all behind the one gateway pair of the kind.
			src = netip.AddrFrom4([4]byte{198, 51, byte(100 + i/64000/256), byte(77 + i/64000)})
		}
		binary.BigEndian.PutUint32(esp, uint32(spi(i))|0x100)
		for seq := 1; seq <= per; seq++ {
			binary.BigEndian.PutUint32(esp[4:], uint32(seq))
			if err := g.write(g.fr.UDP(src, gw, sport, 4500, esp)); err != nil {
				return err
			}
		}
	}
	return nil
}

// fragments writes, for each datagram, its first fragment only: a UDP
// 4500 header and the non-ESP marker, with more fragments announced.
func (g *gen) fragments(n int) error {
	first := make([]byte, 8+1472)
	binary.BigEndian.PutUint16(first[0:], 4500)
	binary.BigEndian.PutUint16(first[2:], 4500)
	binary.BigEndian.PutUint16(first[4:], 3000) // the datagram's full UDP length
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint64(first[12:], spi(i)) // an IKE header behind the marker
		if err := g.write(g.fr.Fragment4(client, gw, 17, uint16(i), 0, true, first)); err != nil {
			return err
		}
	}
	return nil
}

// largeFragments writes, for each datagram, the fragment of 1480 octets
// that ends 60,000 octets into it, with more fragments announced.
func (g *gen) largeFragments(n int) error {
	const end, size = 60_000, 1480
	part := make([]byte, size)
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint64(part, spi(i))
		if err := g.write(g.fr.Fragment4(client, gw, 17, uint16(i), end-size, true, part)); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) longChains(n int) error {
	const perMessage = 2400 // about 60 kB of payloads
	for sent, m := 0, 0; sent < n; m++ {
		k := min(perMessage, n-sent)
		chain := make([]pcaptest.Payload, k)
		for j := range chain {
			if j%2 == 0 {
				chain[j] = pcaptest.VendorV2([]byte("hostile vendor id"))
			} else {
				chain[j] = pcaptest.NotifyV2(0, nil, 16388, make([]byte, 20))
			}
		}
		if err := g.write(g.fr.UDP(client, gw, 500, 500, g.initRequest(spi(m), chain))); err != nil {
			return err
		}
		sent += k
	}
	return nil
}
