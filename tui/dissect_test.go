package tui

import (
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/report"
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
		t.Errorf("%s: SPI field [%d,%d) does not hold %s", where, f.start, f.end, report.SPI(p.ESP.SPI))
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
