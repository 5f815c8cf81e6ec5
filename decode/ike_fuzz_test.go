package decode

import (
	"bufio"
	"bytes"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// FuzzIKE drives ParseIKEMessage, the IKE layer, PayloadIter and
// NATDVerifier with arbitrary bytes and checks properties, not only the
// absence of panics:
//   - parsing is pure: twice the same input gives DeepEqual results;
//   - the message owns its bytes: overwriting the input afterwards changes
//     nothing in it;
//   - without an error, the payload walk consumed exactly the IKE length;
//   - the walk never yields more than one payload per four bytes;
//   - the layer's Contents and Payload cover the message up to its Length;
//   - every payload summary lies where the walk finds the payload, and its
//     Entry points at an entry of the list or field of its type;
//   - verification is deterministic.
//
// It is seeded with every fixture and with every UDP 500 and 4500 payload of
// the public capture corpus (after the non-ESP marker on 4500), which makes
// `go test` run ParseIKEMessage over the whole corpus.
func FuzzIKE(f *testing.F) {
	for _, fx := range ikeFixtures() {
		f.Add(fx.data)
	}
	// Without the corpus the fixtures still run; TestCorpusSeeds reports a
	// missing corpus (and fails under CI).
	if corpusPresent() {
		for _, p := range corpusIKEPayloads(f) {
			f.Add(p)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseIKEMessage(data)
		m2, err2 := ParseIKEMessage(data)
		if !reflect.DeepEqual(m, m2) || errString(err) != errString(err2) {
			t.Fatalf("ParseIKEMessage is not deterministic: %v / %v", err, err2)
		}

		// Ownership: parse a copy, destroy the copy, compare.
		dup := append([]byte(nil), data...)
		m3, _ := ParseIKEMessage(dup)
		for i := range dup {
			dup[i] ^= 0xa5
		}
		if !reflect.DeepEqual(m, m3) {
			t.Fatalf("the message aliases its input")
		}

		var ike IKE
		herr := ike.DecodeFromBytes(data, gopacket.NilDecodeFeedback)
		if (herr == nil) != (m != nil) {
			t.Fatalf("IKE.DecodeFromBytes error %v but ParseIKEMessage message %v", herr, m != nil)
		}
		if herr == nil {
			want := min(uint64(len(data)), uint64(ike.Length))
			if uint64(len(ike.Contents)+len(ike.Payload)) != want {
				t.Fatalf("Contents+Payload = %d bytes, want %d", len(ike.Contents)+len(ike.Payload), want)
			}
		}

		// The walk is bounded by bytes whatever the version says.
		for _, version := range []uint8{1, 2} {
			var it PayloadIter
			n := 0
			for it.Reset(ike.Payload, ike.NextPayload, version); it.Next(); {
				n++
				if n > len(ike.Payload)/minPayloadLen {
					t.Fatalf("walk of %d bytes yielded %d payloads", len(ike.Payload), n)
				}
			}
		}

		if err == nil && m != nil {
			// A clean parse saw the whole message, and its payload walk ends
			// with no error exactly at Length (an IKEv1 message with the E
			// flag has no walk).
			if uint64(IKEHeaderLen+len(ike.Payload)) != uint64(m.Length) {
				t.Fatalf("clean parse of a clipped message: %d of %d bytes", IKEHeaderLen+len(ike.Payload), m.Length)
			}
			if !ike.Encrypted() {
				var it PayloadIter
				sum := 0
				for it.Reset(ike.Payload, ike.NextPayload, ike.MajorVersion); it.Next(); {
					sum += it.Length()
				}
				if it.Err() != nil || sum != len(ike.Payload) || len(m.Payloads)*minPayloadLen > sum {
					t.Fatalf("clean parse, but the walk consumed %d of %d bytes (err %v)", sum, len(ike.Payload), it.Err())
				}
			}
		}

		if m != nil && herr == nil {
			checkPlacement(t, m, m.Payloads, ike.Payload, ike.NextPayload, IKEHeaderLen)
		}

		if m != nil {
			var v NATDVerifier
			src, dst := netip.MustParseAddrPort("192.0.2.1:500"), netip.MustParseAddrPort("[2001:db8::2]:4500")
			v.Verify(m, src, dst)
			first := append([]NATD(nil), m.NATD...)
			v.Verify(m, src, dst)
			if !reflect.DeepEqual(first, m.NATD) {
				t.Fatalf("Verify is not deterministic")
			}
		}
	})
}

// checkPlacement checks payload summaries against a walk of the chain they
// were decoded from (base is the chain's offset in the space their Offsets
// count in): each summary's type, length and offset are the walk's, and its
// Entry points at an entry of the message that exists.
func checkPlacement(t testing.TB, m *IKEMessage, sums []PayloadSummary, chain []byte, first PayloadType, base int) {
	t.Helper()
	var it PayloadIter
	i := 0
	for it.Reset(chain, first, m.Version); it.Next() && i < len(sums); i++ {
		s := sums[i]
		if s.Type != it.Type() || s.Length != it.Length() || s.Offset != it.Offset()-IKEHeaderLen+base {
			t.Fatalf("payload %d is %v, the walk has type %v length %d at %d", i, s, it.Type(), it.Length(), it.Offset()-IKEHeaderLen+base)
		}
	}
	if i != len(sums) {
		t.Fatalf("%d payload summaries, the walk has %d", len(sums), i)
	}
	for i, s := range sums {
		n := -1 // entries of the payload's list, or -1 for a field of its own
		switch s.Type {
		case PayloadTypeNotify, PayloadTypeV1Notification:
			n = len(m.Notifies)
		case PayloadTypeVendorID, PayloadTypeV1VendorID:
			n = len(m.VendorIDs)
		case PayloadTypeIDi, PayloadTypeIDr, PayloadTypeV1ID:
			n = len(m.IDs)
		case PayloadTypeCert, PayloadTypeV1Cert:
			n = len(m.Certs)
		case PayloadTypeDelete, PayloadTypeV1Delete:
			n = len(m.Deletes)
		case PayloadTypeTSi, PayloadTypeTSr:
			n = len(m.TS)
		case PayloadTypeV1NATD, PayloadTypeV1NATDDraft, payloadTypeV1NATDCisco:
			n = len(m.NATD)
		case PayloadTypeV1NATOA, PayloadTypeV1NATOADraft, payloadTypeV1NATOACisco:
			n = len(m.NATOA)
		}
		switch {
		case s.Entry < -1, n >= 0 && s.Entry >= n, n < 0 && s.Entry > 0:
			t.Fatalf("payload %d (%v) has entry %d of %d", i, s.Type, s.Entry, n)
		}
	}
}

// corpusPresent reports whether the public capture corpus is where
// internal/corpus looks for it.
func corpusPresent() bool {
	_, err := os.Stat(filepath.Join(corpus.RepoRoot(), "..", "shared", "captures", "public", "MANIFEST.md"))
	return err == nil
}

// corpusIKEPayloads returns the UDP payloads to or from ports 500 and 4500
// in every capture of the public corpus, without the non-ESP marker on 4500
// (payloads on 4500 without it are ESP and left out). It skips when the
// corpus is absent (corpus.Dir decides).
func corpusIKEPayloads(tb testing.TB) [][]byte {
	tb.Helper()
	dir := corpus.Dir(tb)
	seen := map[string]bool{}
	var out [][]byte
	for _, name := range corpus.Files(tb) {
		for _, p := range udpPayloads(tb, filepath.Join(dir, name)) {
			if !seen[string(p)] {
				seen[string(p)] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// udpPayloads reads a pcap or pcapng file and returns the IKE candidates in
// it. Files or records that gopacket cannot read are skipped: the corpus has
// deliberately broken captures, and this is only a source of seeds.
func udpPayloads(tb testing.TB, path string) [][]byte {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("opening %s: %v", path, err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		return nil
	}
	type source interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var src source
	linkType := func(gopacket.CaptureInfo) layers.LinkType { return 0 }
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil
		}
		src = r
		linkType = func(ci gopacket.CaptureInfo) layers.LinkType {
			intf, err := r.Interface(ci.InterfaceIndex)
			if err != nil {
				return 0xffff
			}
			return intf.LinkType
		}
	} else {
		r, err := pcapgo.NewReader(br)
		if err != nil {
			return nil
		}
		src = r
		lt := r.LinkType()
		linkType = func(gopacket.CaptureInfo) layers.LinkType { return lt }
	}

	var (
		eth  layers.Ethernet
		q    layers.Dot1Q
		lo   layers.Loopback
		sll  layers.LinuxSLL
		ip4  layers.IPv4
		ip6  layers.IPv6
		udp  layers.UDP
		out  [][]byte
		kept []gopacket.LayerType
	)
	parsers := map[gopacket.LayerType]*gopacket.DecodingLayerParser{}
	parser := func(first gopacket.LayerType) *gopacket.DecodingLayerParser {
		if p := parsers[first]; p != nil {
			return p
		}
		p := gopacket.NewDecodingLayerParser(first, &eth, &q, &lo, &sll, &ip4, &ip6, &udp)
		p.IgnoreUnsupported = true
		parsers[first] = p
		return p
	}
	for {
		data, ci, err := src.ReadPacketData()
		if err == io.EOF || err != nil && len(data) == 0 {
			return out
		}
		var first gopacket.LayerType
		switch linkType(ci) {
		case layers.LinkTypeEthernet:
			first = layers.LayerTypeEthernet
		case layers.LinkTypeNull, layers.LinkTypeLoop:
			first = layers.LayerTypeLoopback
		case layers.LinkTypeLinuxSLL:
			first = layers.LayerTypeLinuxSLL
		case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12:
			first = layers.LayerTypeIPv4
			if len(data) > 0 && data[0]>>4 == 6 {
				first = layers.LayerTypeIPv6
			}
		default:
			continue
		}
		kept = kept[:0]
		_ = parser(first).DecodeLayers(data, &kept)
		for _, l := range kept {
			if l != layers.LayerTypeUDP {
				continue
			}
			p := udp.Payload
			switch {
			case udp.SrcPort == 4500 || udp.DstPort == 4500:
				if len(p) < 4 || p[0]|p[1]|p[2]|p[3] != 0 {
					continue
				}
				p = p[4:]
			case udp.SrcPort == 500 || udp.DstPort == 500:
			default:
				continue
			}
			out = append(out, append([]byte(nil), p...))
		}
	}
}

// TestCorpusSeeds checks that the corpus reader finds the IKE messages the
// fuzz target is seeded with, so that a broken reader cannot silently leave
// FuzzIKE with only the fixtures.
func TestCorpusSeeds(t *testing.T) {
	ps := corpusIKEPayloads(t)
	if len(ps) < 300 {
		t.Fatalf("found %d distinct IKE payloads in the corpus, want at least 300", len(ps))
	}
	parsed := 0
	for _, p := range ps {
		if m, err := ParseIKEMessage(p); m != nil && err == nil {
			parsed++
		}
	}
	if parsed < len(ps)*9/10 {
		t.Errorf("only %d of %d corpus IKE payloads parse cleanly", parsed, len(ps))
	}
}
