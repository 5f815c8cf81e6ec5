package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// Fuzz targets of the decoding pipeline. Each asserts properties, not just
// the absence of a panic. Seeds come from the fixtures and, when it is
// present, from the first frames of every capture of the public corpus.

// rawIPv4 builds an IPv4 header (no options, not fragmented) around
// payload, by hand: fuzz iterations must be cheap.
func rawIPv4(proto uint8, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	b[0], b[8], b[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(payload)))
	copy(b[12:], []byte{192, 0, 2, 1})
	copy(b[16:], []byte{198, 51, 100, 2})
	return append(b, payload...)
}

// rawUDP builds a UDP header around payload.
func rawUDP(sp, dp uint16, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b, sp)
	binary.BigEndian.PutUint16(b[2:], dp)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	return append(b, payload...)
}

// rawTCP builds a TCP header (ACK, PSH) around payload.
func rawTCP(sp, dp uint16, seq uint32, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(b, sp)
	binary.BigEndian.PutUint16(b[2:], dp)
	binary.BigEndian.PutUint32(b[4:], seq)
	b[12], b[13] = 5<<4, 0x18
	return append(b, payload...)
}

// fuzzCorpusFrames returns up to n frames of each corpus capture, with
// their link types, or nothing when the corpus is not there.
func fuzzCorpusFrames(n int) (frames [][]byte, lts []layers.LinkType) {
	dir := filepath.Join(corpus.RepoRoot(), "..", "shared", "captures", "public")
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		switch filepath.Ext(path) {
		case ".pcap", ".pcapng", ".cap":
		default:
			return nil
		}
		r, err := capture.Open(path)
		if err != nil {
			return nil
		}
		defer r.Close()
		var rec capture.Record
		for i := 0; i < n && r.Next(&rec) == nil; i++ {
			frames = append(frames, append([]byte(nil), rec.Data...))
			lts = append(lts, rec.LinkType)
		}
		return nil
	})
	return frames, lts
}

// decodeTwice decodes the records on two fresh decoders, fails unless the
// results are equal (decoding is a function of the input), and returns
// them.
func decodeTwice(t *testing.T, opts Options, recs []*capture.Record) ([]Packet, Stats) {
	t.Helper()
	run := func() ([]Packet, Stats) {
		d := NewDecoder(opts)
		var out []Packet
		for _, r := range recs {
			out = append(out, d.Decode(r)...)
		}
		out = append(out, d.Flush()...)
		return out, d.Stats()
	}
	a, sa := run()
	b, sb := run()
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(sa, sb) {
		t.Fatalf("decoding twice differs:\n%+v\n%+v", summarize(a), summarize(b))
	}
	return a, sa
}

// checkPackets asserts what holds of every packet and of the stats.
func checkPackets(t *testing.T, ps []Packet, st Stats, frames int) {
	t.Helper()
	for _, p := range ps {
		if p.Kind >= Kind(NumKinds) {
			t.Fatalf("invalid kind %d", p.Kind)
		}
		if p.Frame < 1 || p.Frame > frames || p.FirstFrame < 1 || p.FirstFrame > p.Frame {
			t.Fatalf("packet frames %d..%d outside 1..%d", p.FirstFrame, p.Frame, frames)
		}
		if (p.Kind == KindMalformed) != (p.Fault.Kind != FaultNone) || (p.Kind == KindMalformed) != (p.Fault.Message != "") {
			t.Fatalf("kind %v with fault %+v", p.Kind, p.Fault)
		}
	}
	if st.Frames != frames || st.Accounted() != frames {
		t.Fatalf("stats account for %d of %d frames: %+v", st.Accounted(), frames, st)
	}
}

func FuzzUDP4500(f *testing.F) {
	f.Add([]byte{0xff})
	f.Add([]byte{0, 0, 0, 0})
	f.Add(append([]byte{0, 0, 0, 0}, ikeSAInit(0x0102030405060708, netip.AddrPortFrom(testIPA, 4500), netip.AddrPortFrom(testIPB, 4500))...))
	f.Add(ikeSAInit(0x8001020304050607, netip.AddrPortFrom(testIPA, 4500), netip.AddrPortFrom(testIPB, 4500)))
	f.Add(espBytes(0x1234, 1, 16))
	f.Add([]byte{0, 0, 0})
	for _, name := range []string{"udp-esp.txt", "nat-keepalive.txt", "ike-4500-marker.txt"} {
		if fr := readHexDump(f, name); len(fr) > 42 {
			f.Add(fr[42:])
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > 65000 {
			return
		}
		frame := rawIPv4(17, rawUDP(4500, 4500, payload))
		ps, st := decodeTwice(t, Options{}, []*capture.Record{recAt(1, testT0, layers.LinkTypeRaw, frame)})
		checkPackets(t, ps, st, 1)
		if len(ps) != 1 {
			t.Fatalf("%d packets, want 1", len(ps))
		}
		p := ps[0]
		// IKE is hashed without the marker and the SPIs (what an ALG may
		// rewrite), even when too short for its header; everything else
		// whole.
		want := PayloadHash(payload)
		switch {
		case p.NonESPMarker && len(payload) >= 4+16:
			want = PayloadHash(payload[4+16:])
		case p.MissingMarker:
			want = PayloadHash(payload[16:])
		}
		if p.PayloadLen != len(payload) || p.PayloadHash != want {
			t.Fatalf("payload %d/%#x, want %d/%#x", p.PayloadLen, p.PayloadHash, len(payload), want)
		}
		var u UDPEncap
		_ = u.DecodeFromBytes(payload, gopacket.NilDecodeFeedback)
		switch u.NextLayerType() {
		case LayerTypeNonESPMarker:
			if !p.NonESPMarker || (p.Kind != KindIKE && p.Kind != KindMalformed) {
				t.Fatalf("marker: got %v (marker %v)", p.Kind, p.NonESPMarker)
			}
		case LayerTypeNATTKeepalive:
			if p.Kind != KindNATKeepalive || !bytes.Equal(payload, []byte{0xff}) {
				t.Fatalf("keepalive: got %v for %x", p.Kind, payload)
			}
		case LayerTypeIKE:
			// An IKE header without the marker: IKE, flagged, never ESP.
			if !p.MissingMarker || p.NonESPMarker || p.IKE == nil || (p.Kind != KindIKE && p.Kind != KindMalformed) {
				t.Fatalf("IKE without marker: got %v (missing marker %v)", p.Kind, p.MissingMarker)
			}
		case LayerTypeESP:
			if p.NonESPMarker || p.MissingMarker {
				t.Fatal("ESP with marker flag")
			}
			switch p.Kind {
			case KindUDPESP:
				if len(payload) < 8 || p.ESP.SPI == 0 || p.ESP.SPI != binary.BigEndian.Uint32(payload) || p.ESP.Seq != binary.BigEndian.Uint32(payload[4:]) {
					t.Fatalf("ESP %+v from %x", p.ESP, payload)
				}
			case KindMalformed:
				if len(payload) >= 8 && binary.BigEndian.Uint32(payload) != 0 {
					t.Fatalf("valid ESP header reported malformed: %s", p.Fault.Message)
				}
			default:
				t.Fatalf("ESP payload decoded as %v", p.Kind)
			}
		default:
			t.Fatalf("UDPEncap next layer %v", u.NextLayerType())
		}
	})
}

func FuzzGRE(f *testing.F) {
	for _, s := range [][]byte{testGREv1SeqAck, testGREv0All, testGRERouting, {0, 0, 8, 0}, {0x40, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		f.Add(s)
	}
	for _, name := range []string{"gre-v1-ack.txt", "gre-v0-key-vlan.txt"} {
		fr := readHexDump(f, name)
		for i := 0; i+4 <= len(fr); i++ {
			if fr[i] == 0x45 && len(fr) > i+20 {
				f.Add(fr[i+20:])
				break
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 65000 {
			return
		}
		var g, g2 GRE
		err := g.DecodeFromBytes(data, gopacket.NilDecodeFeedback)
		err2 := g2.DecodeFromBytes(data, gopacket.NilDecodeFeedback)
		if !reflect.DeepEqual(g, g2) || (err == nil) != (err2 == nil) {
			t.Fatal("decoding twice differs")
		}
		if err == nil {
			if len(g.Contents)+len(g.Payload) != len(data) || len(g.Contents) < 4 {
				t.Fatalf("contents %d + payload %d != %d", len(g.Contents), len(g.Payload), len(data))
			}
			if g.Version > 1 {
				t.Fatalf("version %d accepted", g.Version)
			}
			if g.Version == 1 && g.KeyPresent && (g.CallID != uint16(g.Key) || g.PayloadLength != uint16(g.Key>>16)) {
				t.Fatalf("call ID %#x / length %d from key %#x", g.CallID, g.PayloadLength, g.Key)
			}
		} else {
			var de *Error
			if !errors.As(err, &de) || de.Layer != "gre" {
				t.Fatalf("error %v is not a *decode.Error of layer gre", err)
			}
		}
		ps, st := decodeTwice(t, Options{}, []*capture.Record{recAt(1, testT0, layers.LinkTypeRaw, rawIPv4(47, data))})
		checkPackets(t, ps, st, 1)
		if len(ps) != 1 {
			t.Fatalf("%d packets, want 1", len(ps))
		}
		if err == nil && (ps[0].Kind != KindGRE || ps[0].GRE != g.Info()) {
			t.Fatalf("decoder says %v %+v, layer %+v", ps[0].Kind, ps[0].GRE, g.Info())
		}
		if err != nil && ps[0].Kind != KindMalformed {
			t.Fatalf("layer error %v, decoder says %v", err, ps[0].Kind)
		}
	})
}

func FuzzPPTP(f *testing.F) {
	var all []byte
	for typ := PPTPMessageType(1); typ <= 15; typ++ {
		m := pptpMessage(typ, uint16(typ), uint16(typ)<<8, 1)
		f.Add(m, uint16(len(m)/2))
		all = append(all, m...)
	}
	f.Add(all, uint16(100))
	f.Add(append([]byte{0, 1, 2, 3}, all[:200]...), uint16(7))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		if len(data) > 8000 {
			return
		}
		s := min(int(split), len(data))
		// One client-to-server stream in two segments, then a server
		// segment carrying the same octets.
		seg := func(n int, sp, dp uint16, seq uint32, b []byte) *capture.Record {
			return recAt(n, testT0.Add(time.Duration(n)*time.Second), layers.LinkTypeRaw, rawIPv4(6, rawTCP(sp, dp, seq, b)))
		}
		recs := []*capture.Record{
			seg(1, 40000, 1723, 100, data[:s]),
			seg(2, 40000, 1723, 100+uint32(s), data[s:]),
			seg(3, 1723, 40000, 9000, data),
		}
		ps, st := decodeTwice(t, Options{}, recs)
		checkPackets(t, ps, st, 3)
		var msgLen [2]int
		for _, p := range ps {
			switch p.Kind {
			case KindPPTP:
				if p.PPTP.Type < 1 || p.PPTP.Type > 15 || p.PayloadLen < pptpHeaderLen {
					t.Fatalf("PPTP packet %+v", p.PPTP)
				}
				dir := 0
				if p.SrcPort == 1723 {
					dir = 1
				}
				msgLen[dir] += p.PayloadLen
			case KindMalformed:
			default:
				t.Fatalf("packet of kind %v on a PPTP stream", p.Kind)
			}
		}
		if msgLen[0] > len(data) || msgLen[1] > len(data) {
			t.Fatalf("messages of %v octets from %d", msgLen, len(data))
		}
		// Framing does not depend on how the stream was cut into segments:
		// both directions carry the same octets.
		var types [2][]PPTPMessageType
		for _, p := range ps {
			if p.Kind == KindPPTP {
				dir := 0
				if p.SrcPort == 1723 {
					dir = 1
				}
				types[dir] = append(types[dir], p.PPTP.Type)
			}
		}
		if !reflect.DeepEqual(types[0], types[1]) {
			t.Fatalf("messages depend on segmentation: %v vs %v", types[0], types[1])
		}
		var p PPTP
		if err := p.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err == nil {
			if len(p.Contents) != int(p.Length) || len(p.Contents)+len(p.Payload) != len(data) {
				t.Fatalf("contents %d, payload %d, length %d", len(p.Contents), len(p.Payload), p.Length)
			}
		}
	})
}

// fuzzLinkTypes are the link types FuzzDecoder chooses from.
var fuzzLinkTypes = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, LinkTypeLinuxSLL2, layers.LinkTypeRaw, LinkTypeIPv4, LinkTypeIPv6,
	layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypePPP, LinkTypePPPHDLC, LinkTypeRawDLT12, 147,
}

func FuzzDecoder(f *testing.F) {
	ltIndex := func(lt layers.LinkType) uint8 {
		for i, l := range fuzzLinkTypes {
			if l == lt {
				return uint8(i)
			}
		}
		return 0
	}
	for _, fx := range frameFixtures(f) {
		f.Add(uint8(0), fx.data)
	}
	frames, lts := fuzzCorpusFrames(8)
	for i, fr := range frames {
		f.Add(ltIndex(lts[i]), fr)
	}
	f.Fuzz(func(t *testing.T, lt uint8, frame []byte) {
		if len(frame) > 65536 {
			return
		}
		l := fuzzLinkTypes[int(lt)%len(fuzzLinkTypes)]
		// The frame three times: the second time far later (timeouts
		// fire), the third with a byte changed (a fragment or segment that
		// overlaps the first with other data).
		mutated := append([]byte(nil), frame...)
		if len(mutated) > 0 {
			mutated[len(mutated)-1] ^= 0x5a
		}
		recs := []*capture.Record{
			recAt(1, testT0, l, frame),
			recAt(2, testT0.Add(time.Hour), l, frame),
			recAt(3, testT0.Add(time.Hour), l, mutated),
		}
		opts := Options{KeepOther: true, HashAll: true, IKEPorts: []uint16{1701, 10500}, MaxFragments: 2, MaxFragmentBytes: 3000, MaxStreams: 2}
		ps, st := decodeTwice(t, opts, recs)
		checkPackets(t, ps, st, 3)
	})
}

// TestFuzzSeedsDecode runs the corpus seeds of FuzzDecoder through the
// same checks without fuzzing, so that `go test` exercises them.
func TestFuzzSeedsDecode(t *testing.T) {
	frames, lts := fuzzCorpusFrames(2)
	for i, fr := range frames {
		ps, st := decodeTwice(t, Options{KeepOther: true}, []*capture.Record{recAt(1, testT0, lts[i], fr)})
		checkPackets(t, ps, st, 1)
	}
}
