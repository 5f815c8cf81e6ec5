package tui

import (
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// decodedFrame is one packet of a capture with its frame's bytes.
type decodedFrame struct {
	p  decode.Packet
	fd frameData
}

// readFrames decodes a capture file and keeps every packet with its bytes.
func readFrames(t *testing.T, path string) []decodedFrame {
	t.Helper()
	r, err := decode.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := decode.NewDecoder(decode.Options{KeepOther: true})
	var out []decodedFrame
	var rec decode.Record
	for {
		if err := r.Next(&rec); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		fd := newFrameData(&rec)
		for _, p := range d.Decode(&rec) {
			out = append(out, decodedFrame{p, fd})
		}
	}
	return out
}

// checkRanges walks a tree and reports fields whose bytes lie outside the
// frame or outside their parent's bytes.
func checkRanges(t *testing.T, where string, f *field, parent *field, n int) {
	t.Helper()
	if f.hasRange() {
		if f.start < 0 || f.end > n {
			t.Errorf("%s: field %q covers [%d,%d) of a %d-byte frame", where, f.label, f.start, f.end, n)
		}
		if parent != nil && parent.hasRange() && (f.start < parent.start || f.end > parent.end) {
			t.Errorf("%s: field %q [%d,%d) lies outside its parent %q [%d,%d)", where, f.label, f.start, f.end, parent.label, parent.start, parent.end)
		}
	}
	for _, c := range f.children {
		checkRanges(t, where, c, f, n)
	}
}

// labels returns every label of a tree.
func labels(f *field) []string {
	out := []string{f.label}
	for _, c := range f.children {
		out = append(out, labels(c)...)
	}
	return out
}

// find returns the first field whose label starts with prefix.
func find(f *field, prefix string) *field {
	if strings.HasPrefix(f.label, prefix) {
		return f
	}
	for _, c := range f.children {
		if g := find(c, prefix); g != nil {
			return g
		}
	}
	return nil
}

func TestDissectSamples(t *testing.T) {
	cases := []struct {
		sample string
		want   []string // labels some packet of the inside capture has
	}{
		{"natt-ok", []string{"Non-ESP marker (RFC 3948 §2.2): 00 00 00 00", "Notify: NAT_DETECTION_SOURCE_IP (16388)",
			"Proposal 1: IKE, 4 transforms", "ENCR: ENCR_AES_CBC", "Key Length: 256", "Encapsulating Security Payload: SPI",
			"NAT-T keepalive (RFC 3948 §2.3): ff", "MISMATCH: a NAT changed", "Encrypted and Authenticated:"}},
		{"natt-ok-ikev1", []string{"Transform 1: KEY_IKE", "Encryption-Algorithm: AES-CBC", "NAT-D (RFC 3947)", "Vendor ID: RFC 3947"}},
		{"passthrough-ok", []string{"Encapsulating Security Payload: SPI"}},
		{"ah-through-nat", []string{"Authentication Header: SPI", "Integrity check value:"}},
		{"pptp-ok", []string{"Generic Routing Encapsulation (enhanced, PPTP)", "Key: payload length", "PPTP control message: Start-Control-Connection-Request"}},
		{"ike-fragments-dropped", []string{"IP fragment data:", "Reassembled from"}},
	}
	for _, tc := range cases {
		t.Run(tc.sample, func(t *testing.T) {
			in, _ := samplePair(t, tc.sample)
			seen := map[string]bool{}
			for _, df := range readFrames(t, in) {
				p, fd := df.p, df.fd
				root := dissect(&p, &fd, "inside.pcap")
				where := tc.sample + " frame " + strconv.Itoa(p.Frame) + " " + p.Kind.String()
				checkRanges(t, where, root, nil, len(fd.data))
				for _, l := range labels(root) {
					for _, w := range tc.want {
						if strings.HasPrefix(l, w) || strings.Contains(l, w) {
							seen[w] = true
						}
					}
				}
				checkIKE(t, where, &p, &fd, root)
				checkESP(t, where, &p, &fd, root)
			}
			for _, w := range tc.want {
				if !seen[w] {
					t.Errorf("no decode tree of %s has %q", tc.sample, w)
				}
			}
		})
	}
}

// checkIKE checks that an IKE message taken whole from its frame has its
// header and every payload placed on the right bytes.
func checkIKE(t *testing.T, where string, p *decode.Packet, fd *frameData, root *field) {
	t.Helper()
	if p.Kind != decode.KindIKE || p.Fragments > 0 || p.TCPEncap || p.IKE.Encrypted && p.IKE.Version == 1 {
		return
	}
	hdr := find(root, "Header")
	if hdr == nil || hdr.end-hdr.start != decode.IKEHeaderLen {
		t.Errorf("%s: IKE header field %+v, want 28 bytes", where, hdr)
		return
	}
	if got := binary.BigEndian.Uint64(fd.data[hdr.start:]); got != p.IKE.SPIi {
		t.Errorf("%s: header at %d holds SPIi %#x, want %#x", where, hdr.start, got, p.IKE.SPIi)
	}
	ike := find(root, "Internet Key Exchange")
	payloads := ike.children[1:]
	if len(payloads) != len(p.IKE.Payloads) {
		t.Errorf("%s: %d payload fields, want %d", where, len(payloads), len(p.IKE.Payloads))
		return
	}
	for i, f := range payloads {
		if !f.hasRange() || f.end-f.start != p.IKE.Payloads[i].Length {
			t.Errorf("%s: payload %d (%s) covers [%d,%d), want %d bytes", where, i, f.label, f.start, f.end, p.IKE.Payloads[i].Length)
		}
	}
}

// checkESP checks that the SPI field covers the SPI's bytes.
func checkESP(t *testing.T, where string, p *decode.Packet, fd *frameData, root *field) {
	t.Helper()
	if p.Kind != decode.KindESP && p.Kind != decode.KindUDPESP {
		return
	}
	f := find(root, "SPI: ")
	if f == nil || !f.hasRange() {
		t.Errorf("%s: no SPI field with bytes", where)
		return
	}
	if f.end-f.start != 4 || binary.BigEndian.Uint32(fd.data[f.start:]) != p.ESP.SPI {
		t.Errorf("%s: SPI field [%d,%d) does not hold %s", where, f.start, f.end, decode.SPI(p.ESP.SPI).String())
	}
}

// TestDissectTruncated cuts every frame of a sample at every length: the
// tree must still build, with ranges inside what is left.
func TestDissectTruncated(t *testing.T) {
	for _, sample := range []string{"natt-ok", "natt-ok-ikev1", "pptp-ok", "ah-through-nat"} {
		in, _ := samplePair(t, sample)
		for _, df := range readFrames(t, in) {
			for n := 0; n <= len(df.fd.data); n++ {
				fd := df.fd
				fd.data = fd.data[:n]
				root := dissect(&df.p, &fd, "")
				checkRanges(t, sample+" frame "+strconv.Itoa(df.p.Frame)+" cut to "+strconv.Itoa(n), root, nil, n)
			}
		}
	}
}

// TestDissectWithoutBytes builds the tree from the packet alone.
func TestDissectWithoutBytes(t *testing.T) {
	for _, p := range scenarioInside() {
		root := dissect(&p, nil, "inside.pcap")
		checkRanges(t, "frame "+strconv.Itoa(p.Frame), root, nil, 0)
		if p.Kind == decode.KindIKE && find(root, "Internet Key Exchange version 2") == nil {
			t.Errorf("frame %d: no IKE node in %v", p.Frame, labels(root))
		}
	}
}

// icmpFrames builds and decodes frames of ICMP errors about VPN packets:
// port unreachable for ESP in UDP (a whole quote), fragmentation needed for
// raw ESP quoted as RFC 792 asks, protocol unreachable for enhanced GRE,
// administratively filtered for IKE behind the marker, ICMPv6 packet too
// big for ESP in UDP, and port unreachable for ESP in UDP quoted as RFC 792
// asks, which cuts off what tells ESP from IKE.
func icmpFrames(t *testing.T) []decodedFrame {
	t.Helper()
	addr := netip.MustParseAddr
	nat, gw, client := addr("198.51.100.1"), addr("198.51.100.2"), addr("10.0.0.2")
	nat6, gw6 := addr("2001:db8:1::1"), addr("2001:db8:2::2")
	esp := func(spi, seq uint32, n int) []byte {
		return append(append(pcaptest.U32(spi), pcaptest.U32(seq)...), make([]byte, n)...)
	}
	datagram := func(p pcaptest.Packet) []byte {
		p.TTL = 64
		d, err := p.Datagram()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	udpESP := datagram(pcaptest.Packet{Src: gw, Dst: nat, Proto: pcaptest.ProtoUDP, SrcPort: 4500, DstPort: 1042, Payload: esp(0x7aa865d2, 7, 128)})
	rawESP := datagram(pcaptest.Packet{Src: client, Dst: gw, Proto: pcaptest.ProtoESP, Payload: esp(0xc0ffee01, 9, 1400)})
	gre, err := pcaptest.EnhancedGRE{CallID: 16384, Seq: 3, HasSeq: true}.GRE(make([]byte, 40))
	if err != nil {
		t.Fatal(err)
	}
	greDatagram := datagram(pcaptest.Packet{Src: gw, Dst: nat, Proto: pcaptest.ProtoGRE, Payload: gre})
	ike := pcaptest.WithMarker((&pcaptest.Message{SPIi: 0x1122334455667788, SPIr: 0x99, Version: 2, Exchange: 37, Flags: 0x08, MessageID: 2}).Marshal())
	ikeDatagram := datagram(pcaptest.Packet{Src: nat, Dst: gw, Proto: pcaptest.ProtoUDP, SrcPort: 4500, DstPort: 4500, Payload: ike})
	esp6 := datagram(pcaptest.Packet{Src: nat6, Dst: gw6, Proto: pcaptest.ProtoUDP, SrcPort: 4500, DstPort: 4500, Payload: esp(0xbeef, 4, 1400)})
	packets := []pcaptest.Packet{
		{Src: nat, Dst: gw, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 3, 0, udpESP, 0)},
		{Src: addr("192.0.2.254"), Dst: client, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 4, 1400, rawESP, 28)},
		{Src: nat, Dst: gw, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 2, 0, greDatagram, 0)},
		{Src: gw, Dst: nat, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 13, 0, ikeDatagram, 0)},
		{Src: gw6, Dst: nat6, Proto: pcaptest.ProtoICMPv6, Payload: pcaptest.ICMPv6Error(gw6, nat6, 2, 0, 1280, esp6, 0)},
		{Src: nat, Dst: gw, Proto: pcaptest.ProtoICMP, Payload: pcaptest.ICMPError(3, 3, 0, udpESP, 28)},
	}
	d := decode.NewDecoder(decode.Options{})
	var out []decodedFrame
	for i, p := range packets {
		p.TTL = 64
		p.SrcMAC, p.DstMAC = pcaptest.MustMAC("02:00:00:00:00:01"), pcaptest.MustMAC("02:00:00:00:00:02")
		fs, err := p.Frames(1500)
		if err != nil {
			t.Fatal(err)
		}
		rec := decode.Record{Frame: i + 1, LinkType: layers.LinkTypeEthernet, Data: fs[0], Length: len(fs[0])}
		ps := d.Decode(&rec)
		if len(ps) != 1 || ps[0].Kind != decode.KindICMPError {
			t.Fatalf("frame %d decodes as %v, want one icmp-error", i+1, ps)
		}
		out = append(out, decodedFrame{ps[0], newFrameData(&rec)})
	}
	return out
}

// TestDissectICMP checks the decode tree of ICMP errors: the ICMP header,
// and the quoted packet as a subtree whose fields lie on the quoted bytes.
func TestDissectICMP(t *testing.T) {
	want := [][]string{
		{"Internet Control Message Protocol: Destination unreachable (Port unreachable)", "Type: 3 (Destination unreachable)",
			"Quoted packet: udp-esp 198.51.100.2:4500 → 198.51.100.1:1042, 164 of 164 bytes", "User Datagram Protocol, 4500 → 1042",
			"Encapsulating Security Payload", "Sequence number: 7"},
		{"Internet Control Message Protocol: Destination unreachable (Fragmentation needed)", "MTU of next hop: 1400",
			"Quoted packet: esp 10.0.0.2 → 198.51.100.2, 28 of 1428 bytes", "SPI: 0xc0ffee01", "Sequence number: 9"},
		{"Internet Control Message Protocol: Destination unreachable (Protocol unreachable)",
			"Generic Routing Encapsulation, version 1", "Key: payload length 40, call ID 16384"},
		{"Communication administratively filtered", "Non-ESP marker (RFC 3948 §2.2): 00 00 00 00",
			"Initiator SPI: 0x1122334455667788", "Version 2, exchange INFORMATIONAL, message ID 2"},
		{"Internet Control Message Protocol v6: Packet Too Big\n", "Code: 0\n", "MTU: 1280",
			"Quoted packet: udp-esp [2001:db8:1::1]:4500 → [2001:db8:2::2]:4500, 1232 of 1456 bytes", "SPI: 0x0000beef"},
		{"Quoted packet: udp 198.51.100.2:4500 → 198.51.100.1:1042, 28 of 164 bytes",
			"The quote ends before the UDP payload (IKE, ESP or keepalive)"},
	}
	for i, df := range icmpFrames(t) {
		p, fd := df.p, df.fd
		where := "frame " + strconv.Itoa(p.Frame)
		root := dissect(&p, &fd, "outside.pcap")
		checkRanges(t, where, root, nil, len(fd.data))
		all := strings.Join(labels(root), "\n") + "\n"
		for _, w := range want[i] {
			if !strings.Contains(all, w) {
				t.Errorf("%s: no label %q in\n%s", where, w, all)
			}
		}
		// The quoted SPI lies on the SPI's bytes.
		if q := p.ICMP.Quote; q.Have.Has(decode.QuoteSPI) {
			f := find(root, "SPI: ")
			if f == nil || !f.hasRange() || f.end-f.start != 4 || binary.BigEndian.Uint32(fd.data[f.start:]) != q.ESP.SPI {
				t.Errorf("%s: SPI field %+v does not cover the quoted SPI %s", where, f, decode.SPI(q.ESP.SPI).String())
			}
		}
		if f := find(root, "Initiator SPI: "); f != nil && binary.BigEndian.Uint64(fd.data[f.start:]) != p.ICMP.Quote.IKE.SPIi {
			t.Errorf("%s: initiator SPI field [%d,%d) does not hold it", where, f.start, f.end)
		}
		for n := 0; n <= len(fd.data); n++ {
			cut := fd
			cut.data = cut.data[:n]
			checkRanges(t, where+" cut to "+strconv.Itoa(n), dissect(&p, &cut, ""), nil, n)
		}
		noBytes := dissect(&p, nil, "")
		checkRanges(t, where+" without bytes", noBytes, nil, 0)
		if find(noBytes, "Quoted packet: ") == nil {
			t.Errorf("%s without bytes: no quoted packet in %v", where, labels(noBytes))
		}
	}
}

// TestICMPErrorsInTunnel checks that a tunnel's packets include the ICMP
// errors that quote them, with a summary line: in the lab's natt-rebind
// outside capture, the NAT's port unreachable for the gateway's ESP to a
// stale port (frames 23 and 26, TRUTH.md).
func TestICMPErrorsInTunnel(t *testing.T) {
	dir := filepath.Join(corpus.LabDir(t), "natt-rebind")
	out := filepath.Join(dir, "outside.pcap")
	m := fileModel(t, filepath.Join(dir, "inside.pcap"), out)
	member := subject{view: m.rc.Tunnels[0]}.member(m, flows.SideOutside)
	var frames []int
	for _, df := range readFrames(t, out) {
		if df.p.Kind == decode.KindICMPError {
			if !member(&df.p) {
				t.Errorf("frame %d: the ICMP error is not among the tunnel's packets", df.p.Frame)
			}
			frames = append(frames, df.p.Frame)
			want := "Port unreachable for udp-esp 198.51.100.2:4500 → 198.51.100.1:1042 spi 0x7aa865d2"
			if got := summary(&df.p); got != want {
				t.Errorf("summary = %q, want %q", got, want)
			}
		}
	}
	if len(frames) != 2 || frames[0] != 23 || frames[1] != 26 {
		t.Errorf("ICMP errors at %v, want 23 and 26", frames)
	}
}
