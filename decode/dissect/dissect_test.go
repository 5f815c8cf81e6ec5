package dissect

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
	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// frame is one decoded packet with its frame's record, which owns its
// bytes.
type frame struct {
	p   decode.Packet
	rec capture.Record
}

// readFrames decodes a capture file and keeps every packet with its frame.
func readFrames(t testing.TB, path string, opts decode.Options) []frame {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	opts.KeepOther = true
	d := decode.NewDecoder(opts)
	var out []frame
	byFrame := map[int]capture.Record{}
	var rec capture.Record
	for {
		if err := r.Next(&rec); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Logf("%s: %v (frames before it are checked)", path, err)
			}
			break
		}
		own := rec
		own.Data = append([]byte(nil), rec.Data...)
		byFrame[rec.Frame] = own
		for _, p := range d.Decode(&rec) {
			out = append(out, frame{p, byFrame[p.Frame]})
		}
	}
	for _, p := range d.Flush() {
		out = append(out, frame{p, byFrame[p.Frame]})
	}
	return out
}

// sample returns the path of a sample capture of the repository.
func sample(name, side string) string {
	return filepath.Join(corpus.RepoRoot(), "samples", name, side+".pcap")
}

// checkTree checks every field's bytes: inside the frame, inside the
// parent's bytes, and none at all for a tree built without bytes.
func checkTree(t testing.TB, where string, root *Node, n int) {
	t.Helper()
	root.Walk(func(f, parent *Node) {
		if !f.HasBytes() {
			return
		}
		if f.Start < 0 || f.End > n {
			t.Errorf("%s: field %q covers [%d,%d) of a %d-byte frame", where, f.Text(), f.Start, f.End, n)
		}
		if parent != nil && parent.HasBytes() && (f.Start < parent.Start || f.End > parent.End) {
			t.Errorf("%s: field %q [%d,%d) lies outside its parent %q [%d,%d)", where, f.Text(), f.Start, f.End, parent.Text(), parent.Start, parent.End)
		}
		if parent != nil && !parent.HasBytes() {
			t.Errorf("%s: field %q [%d,%d) has bytes, its parent %q none", where, f.Text(), f.Start, f.End, parent.Text())
		}
	})
}

// lines returns every field's text and note of a tree.
func lines(root *Node) []string {
	var out []string
	root.Walk(func(f, _ *Node) {
		out = append(out, f.Text())
		out = append(out, f.Notes...)
	})
	return out
}

// checkIKE checks that an IKE message taken whole from its frame has its
// header on the bytes of its SPIs and every payload on its own bytes: as
// long as its summary says, at its offset, and named by the Next Payload
// field before it.
func checkIKE(t testing.TB, where string, f *frame, root *Node) {
	t.Helper()
	p := &f.p
	if p.Kind != decode.KindIKE || p.Fragments > 0 || p.TCPEncap {
		return
	}
	data := f.rec.Data
	ike := root.Find("Internet Key Exchange version")
	if ike == nil || !ike.HasBytes() || len(ike.Children) == 0 {
		t.Errorf("%s: IKE field %+v, want one on the frame's bytes", where, ike)
		return
	}
	hdr := ike.Children[0]
	if hdr.Label != "Header" || hdr.End-hdr.Start != decode.IKEHeaderLen {
		t.Errorf("%s: IKE header field %+v, want 28 bytes", where, hdr)
		return
	}
	if got := binary.BigEndian.Uint64(data[hdr.Start:]); got != p.IKE.SPIi {
		t.Errorf("%s: header at %d holds SPIi %#x, want %#x", where, hdr.Start, got, p.IKE.SPIi)
	}
	if p.IKE.Version == 1 && p.IKE.Encrypted {
		return
	}
	payloads := ike.Children[1:]
	if len(payloads) != len(p.IKE.Payloads) {
		t.Errorf("%s: %d payload fields, want %d", where, len(payloads), len(p.IKE.Payloads))
		return
	}
	next := data[hdr.Start+16]
	for i, n := range payloads {
		s := p.IKE.Payloads[i]
		if !n.HasBytes() || n.End-n.Start != s.Length || n.Start != hdr.Start+s.Offset {
			t.Errorf("%s: payload %d (%s) covers [%d,%d), want %d bytes at %d", where, i, n.Text(), n.Start, n.End, s.Length, hdr.Start+s.Offset)
			continue
		}
		if next != uint8(s.Type) {
			t.Errorf("%s: payload %d (%s) follows a Next Payload of %d", where, i, n.Text(), next)
		}
		next = data[n.Start]
	}
}

// checkESP checks that the SPI field of an ESP packet covers the SPI's
// bytes.
func checkESP(t testing.TB, where string, f *frame, root *Node) {
	t.Helper()
	p := &f.p
	if p.Kind != decode.KindESP && p.Kind != decode.KindUDPESP || p.Fragments > 0 {
		return
	}
	var n *Node
	if esp := root.Find("Encapsulating Security Payload"); esp != nil {
		n = esp.Find("SPI: ")
	}
	if n == nil || !n.HasBytes() {
		t.Errorf("%s: no ESP SPI field with bytes", where)
		return
	}
	if n.End-n.Start != 4 || binary.BigEndian.Uint32(f.rec.Data[n.Start:]) != p.ESP.SPI {
		t.Errorf("%s: SPI field [%d,%d) does not hold %s", where, n.Start, n.End, decode.SPI(p.ESP.SPI))
	}
}

// checkFrame builds the tree of one packet with and without its bytes and
// checks both.
func checkFrame(t testing.TB, where string, f *frame) *Node {
	t.Helper()
	root := Packet(&f.p, &f.rec)
	checkTree(t, where, root, len(f.rec.Data))
	checkIKE(t, where, f, root)
	checkESP(t, where, f, root)
	checkTree(t, where+" without bytes", Packet(&f.p, nil), 0)
	return root
}

func TestSamples(t *testing.T) {
	cases := []struct {
		sample string
		want   []string // lines some packet of the inside capture has
	}{
		{"natt-ok", []string{"Non-ESP marker (RFC 3948 §2.2): 00 00 00 00", "Notify: NAT_DETECTION_SOURCE_IP (16388)",
			"Proposal 1: IKE, 4 transforms", "ENCR: ENCR_AES_CBC", "Key Length: 256", "Encapsulating Security Payload: SPI",
			"NAT-T keepalive (RFC 3948 §2.3): ff", "MISMATCH: a NAT changed", "Encrypted and Authenticated: ",
			"Initiator SPI: 0x", "Flags: 0x08 (initiator)", "Vendor ID: "}},
		{"natt-ok-ikev1", []string{"Transform 1: KEY_IKE", "Encryption-Algorithm: AES-CBC", "NAT-D (RFC 3947)", "Vendor ID: RFC 3947",
			"DOI and situation: 1, 0x1"}},
		{"passthrough-ok", []string{"Encapsulating Security Payload: SPI"}},
		{"ah-through-nat", []string{"Authentication Header: SPI", "Integrity check value:"}},
		{"pptp-ok", []string{"Generic Routing Encapsulation (enhanced, PPTP)", "Key: payload length",
			"PPTP control message: Start-Control-Connection-Request", "Magic cookie: 0x1a2b3c4d", "Call ID: "}},
		{"ike-fragments-dropped", []string{"IP fragment data:", "Reassembled from"}},
		{"ike-over-tcp", []string{"TCP data: ", "RFC 9329 stream"}},
	}
	for _, tc := range cases {
		t.Run(tc.sample, func(t *testing.T) {
			seen := map[string]bool{}
			for _, f := range readFrames(t, sample(tc.sample, "inside"), decode.Options{}) {
				where := tc.sample + " frame " + strconv.Itoa(f.p.Frame) + " " + f.p.Kind.String()
				root := checkFrame(t, where, &f)
				for _, l := range lines(root) {
					for _, w := range tc.want {
						if strings.Contains(l, w) {
							seen[w] = true
						}
					}
				}
			}
			for _, w := range tc.want {
				if !seen[w] {
					t.Errorf("no tree of %s has %q", tc.sample, w)
				}
			}
		})
	}
}

// TestNATDTones checks the verification of the natt-ok sample's NAT-D
// hashes as its README tells it: inside the NAT, the client's hashes of
// its own address match what the inside capture shows, and the gateway's
// hash of the client's address (its destination, the NAT's public address)
// does not.
func TestNATDTones(t *testing.T) {
	good, bad := 0, 0
	for _, f := range readFrames(t, sample("natt-ok", "inside"), decode.Options{}) {
		if f.p.Kind != decode.KindIKE || f.p.IKE.Exchange != decode.ExchangeTypeIKESAInit {
			continue
		}
		Packet(&f.p, &f.rec).Walk(func(n, _ *Node) {
			if !strings.HasPrefix(n.Value, "NAT_DETECTION_") {
				return
			}
			if h := n.Find("Hash: "); h == nil || !h.HasBytes() || h.End != n.End {
				t.Errorf("frame %d: %s has no hash on its last bytes", f.p.Frame, n.Text())
			}
			switch n.Tone {
			case Good:
				good++
			case Bad:
				bad++
			}
		})
	}
	if good == 0 || bad == 0 {
		t.Errorf("%d NAT-D hashes shown as matching, %d as not, want some of both", good, bad)
	}
}

// TestTruncated cuts every frame of some samples at every length: the tree
// still builds, with every field inside what is left.
func TestTruncated(t *testing.T) {
	for _, s := range []string{"natt-ok", "natt-ok-ikev1", "pptp-ok", "ah-through-nat", "ike-fragments-dropped"} {
		for _, f := range readFrames(t, sample(s, "inside"), decode.Options{}) {
			cutEverywhere(t, s+" frame "+strconv.Itoa(f.p.Frame), &f)
		}
	}
}

// cutEverywhere builds the tree of a packet with its frame cut at every
// length.
func cutEverywhere(t testing.TB, where string, f *frame) {
	t.Helper()
	for n := 0; n <= len(f.rec.Data); n++ {
		rec := f.rec
		rec.Data = rec.Data[:n]
		checkTree(t, where+" cut to "+strconv.Itoa(n), Packet(&f.p, &rec), n)
	}
}

// TestWrongBytes gives each packet the bytes of another frame: nothing is
// placed on bytes that are not the packet's.
func TestWrongBytes(t *testing.T) {
	frames := readFrames(t, sample("natt-ok", "inside"), decode.Options{})
	for i := range frames {
		f, other := &frames[i], frames[(i+7)%len(frames)]
		rec := other.rec
		rec.Frame = f.p.Frame
		root := Packet(&f.p, &rec)
		checkTree(t, "frame "+strconv.Itoa(f.p.Frame), root, len(rec.Data))
		if other.p.Src != f.p.Src || other.p.Dst != f.p.Dst {
			if n := root.Find("Internet Protocol Version"); n == nil || n.HasBytes() {
				t.Errorf("frame %d with the bytes of frame %d: IP field %+v placed on them", f.p.Frame, other.p.Frame, n)
			}
		}
	}
}

// TestLab checks the trees of every packet of the lab captures (the
// shared ones and the repository's, which come with their keys), and cuts
// the VPN frames of two of them at every length.
func TestLab(t *testing.T) {
	dir := corpus.LabDir(t)
	for _, name := range corpus.LabFiles(t) {
		for _, f := range readFrames(t, filepath.Join(dir, name), decode.Options{}) {
			checkFrame(t, name+" frame "+strconv.Itoa(f.p.Frame), &f)
		}
	}
	for _, name := range []string{"natt-rebind/outside.pcap", "pptp-gre/inside.pcap"} {
		for _, f := range readFrames(t, filepath.Join(dir, name), decode.Options{}) {
			if f.p.Kind.IsVPN() {
				cutEverywhere(t, name+" frame "+strconv.Itoa(f.p.Frame), &f)
			}
		}
	}
}

// TestRepositoryLab checks the trees of the repository's lab captures, with
// the keys of the scenarios that logged them.
func TestRepositoryLab(t *testing.T) {
	dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab")
	for _, name := range captureFiles(t, dir) {
		for _, f := range readFrames(t, filepath.Join(dir, name), decode.Options{Keys: labKeys(t, filepath.Join(dir, filepath.Dir(name)))}) {
			checkFrame(t, name+" frame "+strconv.Itoa(f.p.Frame), &f)
		}
	}
}

// captureFiles lists the pcap files under dir, relative to it.
func captureFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures under %s: %v", dir, err)
	}
	for i, f := range files {
		files[i], _ = filepath.Rel(dir, f)
	}
	return files
}

// labKeys loads the keys a lab scenario logged (the scenarios named
// "-keys"), or returns nil for one that logged none.
func labKeys(t testing.TB, dir string) *keys.Store {
	t.Helper()
	if !strings.HasSuffix(dir, "-keys") {
		return nil
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", "charon-*.log"))
	s, _, err := keys.LoadAll(logs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDecrypted checks that what the keys decrypted is shown, under the
// payload or packet it was encrypted in, marked as decrypted and without
// bytes: the plaintext is in no frame.
func TestDecrypted(t *testing.T) {
	for _, scenario := range []string{"natt-ok-keys", "ikev1-natt-keys"} {
		t.Run(scenario, func(t *testing.T) {
			dir := filepath.Join(corpus.RepoRoot(), "testdata", "lab", scenario)
			store := labKeys(t, dir)
			if store.Empty() {
				t.Fatal("no keys")
			}
			ike, esp := 0, 0
			for _, f := range readFrames(t, filepath.Join(dir, "inside.pcap"), decode.Options{Keys: store}) {
				root := checkFrame(t, "frame "+strconv.Itoa(f.p.Frame), &f)
				d := root.Find("Decrypted: with the key of ")
				switch {
				case f.p.IKE != nil && f.p.IKE.Encrypted:
					ike++
					if d == nil || len(d.Children) != len(f.p.IKE.Decryption.Payloads) {
						t.Errorf("frame %d: decrypted node %+v, want one field per decrypted payload (%d)", f.p.Frame, d, len(f.p.IKE.Decryption.Payloads))
						continue
					}
					d.Walk(func(n, _ *Node) {
						if n.HasBytes() {
							t.Errorf("frame %d: decrypted field %q has bytes of the frame", f.p.Frame, n.Text())
						}
					})
					for i, n := range d.Children {
						if want := f.p.IKE.Decryption.Payloads[i].Type.String(); !strings.HasPrefix(n.Label, want) {
							t.Errorf("frame %d: decrypted payload %d is %q, want %s", f.p.Frame, i, n.Text(), want)
						}
					}
				case f.p.Kind == decode.KindUDPESP:
					esp++
					if d == nil || d.Find("Carries: ") == nil {
						t.Errorf("frame %d: ESP without its decrypted content", f.p.Frame)
					}
				}
			}
			if ike == 0 || esp == 0 {
				t.Errorf("%d encrypted IKE messages and %d ESP packets, want both", ike, esp)
			}
		})
	}
}

// TestPublicCorpus checks the trees of every packet of the public capture
// corpus, and cuts the first VPN frames of each capture at every length.
func TestPublicCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	for _, name := range corpus.Files(t) {
		cut := 0
		for _, f := range readFrames(t, filepath.Join(dir, name), decode.Options{}) {
			where := name + " frame " + strconv.Itoa(f.p.Frame)
			checkFrame(t, where, &f)
			if f.p.Kind.IsVPN() && cut < 8 {
				cut++
				cutEverywhere(t, where, &f)
			}
		}
	}
}

// TestWithoutBytes builds trees from packets alone.
func TestWithoutBytes(t *testing.T) {
	for _, f := range readFrames(t, sample("natt-ok", "outside"), decode.Options{}) {
		root := Packet(&f.p, nil)
		checkTree(t, "frame "+strconv.Itoa(f.p.Frame), root, 0)
		if f.p.Kind == decode.KindIKE && root.Find("Internet Key Exchange version 2: ") == nil {
			t.Errorf("frame %d: no IKE field in %q", f.p.Frame, lines(root))
		}
		if f.p.Kind == decode.KindUDPESP && root.Find("Encrypted data and ICV: ") == nil {
			t.Errorf("frame %d: no ESP data field in %q", f.p.Frame, lines(root))
		}
	}
}

// TestLinkTypes wraps one IKE datagram in every link layer the decoder
// reads: each tree reaches the IKE header on its bytes.
func TestLinkTypes(t *testing.T) {
	ike := pcaptest.WithMarker((&pcaptest.Message{SPIi: 0x1122334455667788, SPIr: 0x99, Version: 2, Exchange: 37, Flags: 0x08, MessageID: 2}).Marshal())
	pkt := pcaptest.Packet{Src: netip.MustParseAddr("10.0.0.2"), Dst: netip.MustParseAddr("198.51.100.7"), Proto: pcaptest.ProtoUDP,
		SrcPort: 4500, DstPort: 4500, TTL: 64, Payload: ike}
	v4, err := pkt.Datagram()
	if err != nil {
		t.Fatal(err)
	}
	pkt.Src, pkt.Dst = netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8::7")
	v6, err := pkt.Datagram()
	if err != nil {
		t.Fatal(err)
	}
	eth := func(et uint16, rest ...[]byte) []byte {
		b := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}, byte(et>>8), byte(et))
		for _, r := range rest {
			b = append(b, r...)
		}
		return b
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	sll := []byte{0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00}
	sll2 := []byte{0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0}
	type linkCase struct {
		name string
		link layers.LinkType
		data []byte
		want string // a field the link layer adds
	}
	cases := []linkCase{
		{"ethernet", layers.LinkTypeEthernet, eth(0x0800, v4), "Type: IPv4 (0x0800)"},
		{"ethernet ipv6", layers.LinkTypeEthernet, eth(0x86dd, v6), "Type: IPv6 (0x86dd)"},
		{"vlan", layers.LinkTypeEthernet, eth(0x8100, []byte{0x20, 0x07, 0x08, 0x00}, v4), "VLAN ID: 7"},
		{"qinq", layers.LinkTypeEthernet, eth(0x88a8, []byte{0, 5, 0x81, 0x00, 0, 7, 0x08, 0x00}, v4), "802.1ad (0x88a8), VLAN 5"},
		{"pppoe", layers.LinkTypeEthernet, eth(0x8864, []byte{0x11, 0, 0x12, 0x34, 0, byte(len(v4) + 2), 0x00, 0x21}, v4), "PPPoE session: ID 0x1234"},
		{"linux sll", layers.LinkTypeLinuxSLL, cat(sll, v4), "Packet type: sent by us (4)"},
		{"linux sll2", 276, cat(sll2, v4), "Interface index: 3"},
		{"null", layers.LinkTypeNull, cat([]byte{2, 0, 0, 0}, v4), "Null/Loopback: address family 2"},
		{"loop", layers.LinkTypeLoop, cat([]byte{0, 0, 0, 2}, v4), "Null/Loopback: address family 2"},
		{"raw", layers.LinkTypeRaw, v4, "Internet Protocol Version 4"},
		{"raw ipv6", 229, v6, "Internet Protocol Version 6"},
		{"ppp", layers.LinkTypePPP, cat([]byte{0x00, 0x21}, v4), "Point-to-Point Protocol: IPv4 (0x0021)"},
		{"ppp hdlc", 50, cat([]byte{0xff, 0x03, 0x00, 0x21}, v4), "PPP address and control: ff 03"},
	}
	cases = append(cases, linkCase{"ethernet with FCS", layers.LinkTypeEthernet, eth(0x0800, v4, []byte{0xde, 0xad, 0xbe, 0xef}), "Type: IPv4 (0x0800)"})
	for _, tc := range cases {
		rec := capture.Record{Frame: 1, LinkType: tc.link, Data: tc.data, Length: len(tc.data)}
		if strings.HasSuffix(tc.name, "FCS") {
			rec.FCSLen = 4
		}
		ps := decode.NewDecoder(decode.Options{}).Decode(&rec)
		if len(ps) != 1 || ps[0].Kind != decode.KindIKE {
			t.Fatalf("%s: decodes as %v, want one IKE packet", tc.name, ps)
		}
		f := frame{ps[0], rec}
		root := checkFrame(t, tc.name, &f)
		if n := root.Find(tc.want); n == nil || !n.HasBytes() {
			t.Errorf("%s: no field %q with bytes in %q", tc.name, tc.want, lines(root))
		}
		if n := root.Find("Non-ESP marker"); n == nil || !n.HasBytes() || binary.BigEndian.Uint32(tc.data[n.Start:]) != 0 {
			t.Errorf("%s: marker field %+v", tc.name, n)
		}
		if last := root.Children[len(root.Children)-1]; last.End > len(tc.data)-rec.FCSLen || !strings.HasPrefix(last.Label, "Internet Key Exchange") {
			t.Errorf("%s: last field %q [%d,%d), want the IKE message, before any FCS", tc.name, last.Text(), last.Start, last.End)
		}
		if fcs := rec.FCSLen > 0; fcs != (len(root.Notes) == 1 && strings.Contains(root.Notes[0], "4-byte frame check sequence, deadbeef")) {
			t.Errorf("%s: FCS %d bytes, frame notes %q", tc.name, rec.FCSLen, root.Notes)
		}
		cutEverywhere(t, tc.name, &f)
	}
}
