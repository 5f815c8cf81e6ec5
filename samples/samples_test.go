package samples_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vpnpcap/vpnpcap/samples"
)

// maxTotal is the size budget of all committed samples together.
const maxTotal = 2 << 20

// natLANMAC is the NAT's LAN-side MAC address in every scenario.
var natLANMAC = []byte{0x50, 0xc7, 0xbf, 0x62, 0x31, 0xa0}

// TestCommittedFilesAreGenerated regenerates every scenario into a
// temporary directory and compares it byte for byte with the files
// committed next to this test. A difference means the generator changed
// and `go run ./samples/gen` was not run, or a file was edited by hand.
func TestCommittedFilesAreGenerated(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	if err := samples.Generate(dir); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	t.Logf("generated %d scenarios in %v", len(samples.Names()), time.Since(start))
	var total int64
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		total += int64(len(got))
		want, err := os.ReadFile(rel)
		if err != nil {
			t.Errorf("%s: not committed (%v); run go run ./samples/gen", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: committed file differs from the generator's output; run go run ./samples/gen", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > maxTotal {
		t.Errorf("samples total %d bytes, budget %d", total, maxTotal)
	}
	t.Logf("samples total %d bytes", total)

	// Every committed scenario directory is one the generator knows.
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	names := samples.Names()
	for _, e := range entries {
		if e.IsDir() && e.Name() != "gen" && !slices.Contains(names, e.Name()) {
			t.Errorf("directory %s is not a scenario of the generator", e.Name())
		}
	}
}

// TestDeterministic builds everything twice in one process: the bytes
// must not depend on map order, time or anything but the seeds.
func TestDeterministic(t *testing.T) {
	a, err := samples.All()
	if err != nil {
		t.Fatal(err)
	}
	b, err := samples.All()
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		na, da, err := a[i].Files()
		if err != nil {
			t.Fatal(err)
		}
		nb, db, err := b[i].Files()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(na, nb) {
			t.Fatalf("%s: file lists differ: %v vs %v", a[i].Name, na, nb)
		}
		for j := range da {
			if !bytes.Equal(da[j], db[j]) {
				t.Errorf("%s: two builds differ", na[j])
			}
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := samples.All(); err != nil {
			b.Fatal(err)
		}
	}
}

// wire is one frame of a generated capture as gopacket decodes it.
type wire struct {
	ts      time.Time
	data    []byte
	ip      *layers.IPv4
	udp     *layers.UDP
	tcp     *layers.TCP
	payload []byte // transport payload (for ESP, AH, GRE: the IP payload)
}

// readWire reads a generated pcap back with pcapgo and gopacket, checking
// the file header tcpdump writes.
func readWire(t *testing.T, c *samples.Capture) []wire {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(c.Bytes))
	if err != nil {
		t.Fatalf("%s: %v", c.File, err)
	}
	if r.LinkType() != layers.LinkTypeEthernet || int(r.Snaplen()) != c.SnapLen {
		t.Errorf("%s: link type %v snaplen %d, want Ethernet %d", c.File, r.LinkType(), r.Snaplen(), c.SnapLen)
	}
	if !bytes.Equal(c.Bytes[:4], []byte{0xd4, 0xc3, 0xb2, 0xa1}) {
		t.Errorf("%s: magic % x, want microsecond little-endian", c.File, c.Bytes[:4])
	}
	var out []wire
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if c.Truncated && errors.Is(err, io.ErrUnexpectedEOF) {
			// The file ends in the middle of the record after the
			// manifest's frames, as the scenario meant.
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", c.File, err)
		}
		if ci.CaptureLength != len(data) || ci.Length < ci.CaptureLength {
			t.Errorf("%s record %d: captured %d of %d, data %d", c.File, len(out)+1, ci.CaptureLength, ci.Length, len(data))
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		w := wire{ts: ci.Timestamp, data: data}
		if l, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			w.ip = l
			w.payload = l.Payload
		}
		if l, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && (w.ip == nil || w.ip.FragOffset == 0) {
			w.udp, w.payload = l, l.Payload
		}
		if l, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
			w.tcp, w.payload = l, l.Payload
		}
		out = append(out, w)
	}
	if len(out) != len(c.Frames) {
		t.Fatalf("%s: %d records, manifest has %d frames", c.File, len(out), len(c.Frames))
	}
	return out
}

// TestManifestMatchesBytes checks the manifest against the frames as
// gopacket reads them, and the NAT's rewriting between the two captures:
// the outside copy of a packet has the translated address, a TTL one
// lower (outbound) or higher (inbound), the same IP ID, the same payload,
// a zero UDP checksum kept zero, and is captured 0.2–3 ms apart on the
// skewed clock.
func TestManifestMatchesBytes(t *testing.T) {
	rs, err := samples.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		t.Run(r.Name, func(t *testing.T) {
			type key struct{ packet, off int }
			copies := map[key][2]*samples.Frame{}
			wires := map[*samples.Frame]wire{}
			for ci, c := range r.Captures {
				ws := readWire(t, c)
				var last time.Time
				for i, f := range c.Frames {
					w := ws[i]
					wires[f] = w
					if f.Number != i+1 {
						t.Fatalf("%s frame %d numbered %d", c.File, i+1, f.Number)
					}
					if !w.ts.Equal(f.Time) || w.ts.Before(last) {
						t.Errorf("%s frame %d: time %v, manifest %v, previous %v", c.File, f.Number, w.ts, f.Time, last)
					}
					last = w.ts
					if w.ip == nil {
						t.Fatalf("%s frame %d: no IPv4", c.File, f.Number)
					}
					src, dst := w.ip.SrcIP.String(), w.ip.DstIP.String()
					if src != f.Src.String() || dst != f.Dst.String() || w.ip.TTL != f.TTL || uint32(w.ip.Id) != f.IPID ||
						uint8(w.ip.Protocol) != f.Proto {
						t.Errorf("%s frame %d: %s→%s ttl %d id %d proto %d, manifest %+v", c.File, f.Number, src, dst, w.ip.TTL, w.ip.Id, w.ip.Protocol, f)
					}
					if w.udp != nil && (uint16(w.udp.SrcPort) != f.SrcPort || uint16(w.udp.DstPort) != f.DstPort) {
						t.Errorf("%s frame %d: udp %d→%d, manifest %d→%d", c.File, f.Number, w.udp.SrcPort, w.udp.DstPort, f.SrcPort, f.DstPort)
					}
					if f.Kind == samples.KindUDPESP && w.udp != nil && w.udp.Checksum != 0 {
						t.Errorf("%s frame %d: ESP-in-UDP checksum %#04x, want 0 (RFC 3948 §2.1)", c.File, f.Number, w.udp.Checksum)
					}
					if f.Kind == samples.KindUDPESP || f.Kind == samples.KindESP {
						if f.ESP == nil || f.ESP.SPI == 0 || f.ESP.Seq == 0 {
							t.Errorf("%s frame %d: ESP without SPI/sequence in manifest", c.File, f.Number)
						}
					}
					off := 0
					if f.Fragment != nil {
						off = f.Fragment.Offset
					}
					k := key{f.Packet, off}
					pair := copies[k]
					pair[ci] = f
					copies[k] = pair
				}
			}
			if len(r.Captures) < 2 {
				return
			}
			lo, hi := 200*time.Microsecond, 3500*time.Microsecond
			for k, pair := range copies {
				in, out := pair[0], pair[1]
				if in == nil || out == nil {
					continue
				}
				win, wout := wires[in], wires[out]
				// Inside, an outbound frame is addressed to the NAT's LAN MAC.
				outbound := bytes.Equal(win.data[:6], natLANMAC)
				var delay time.Duration
				skew := r.OutsideOffset(in.Time)
				if outbound {
					delay = out.Time.Sub(in.Time) - skew
					if out.TTL != in.TTL-1 {
						t.Errorf("packet %d outbound: ttl inside %d outside %d", k.packet, in.TTL, out.TTL)
					}
				} else {
					delay = in.Time.Sub(out.Time) + skew
					if in.TTL != out.TTL-1 {
						t.Errorf("packet %d inbound: ttl outside %d inside %d", k.packet, out.TTL, in.TTL)
					}
				}
				// Timestamps are truncated to the microsecond on each side.
				if delay < lo-time.Microsecond || delay > hi+time.Microsecond {
					t.Errorf("packet %d: forwarded after %v, want 0.2–3 ms", k.packet, delay)
				}
				if in.IPID != out.IPID || win.ip.Length != wout.ip.Length {
					t.Errorf("packet %d: ip id %d/%d length %d/%d", k.packet, in.IPID, out.IPID, win.ip.Length, wout.ip.Length)
				}
				pin, pout := win.payload, wout.payload
				if in.Fragment != nil && in.Fragment.Offset == 0 && len(pin) >= 8 && len(pout) >= 8 {
					pin, pout = pin[8:], pout[8:] // the UDP header in the first fragment: port and checksum translated
				}
				if r.Name == "ike-alg-rewrite" && in.IKE != nil && len(pin) >= 8 && len(pout) >= 8 {
					pin, pout = pin[8:], pout[8:] // the ALG rewrote the initiator SPI
				}
				if in.PPTP != nil && out.PPTP != nil && *in.PPTP != *out.PPTP && len(pin) >= 16 && len(pout) >= 16 {
					// A PPTP helper translated a call ID (octets 12–15 of
					// the control message, RFC 2637 §2.7, §2.8).
					pin = append(append([]byte(nil), pin[:12]...), pin[16:]...)
					pout = append(append([]byte(nil), pout[:12]...), pout[16:]...)
				}
				cut := in.CapLen < in.Length || out.CapLen < out.Length
				if !cut && !bytes.Equal(pin, pout) {
					t.Errorf("packet %d (%s): payload changed by the NAT", k.packet, in.Note)
				}
				if win.udp != nil && wout.udp != nil && (win.udp.Checksum == 0) != (wout.udp.Checksum == 0) {
					t.Errorf("packet %d: udp checksum %#04x inside, %#04x outside", k.packet, win.udp.Checksum, wout.udp.Checksum)
				}
			}
		})
	}
}
