package decode

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vpnpcap/vpnpcap/decode/capture"
)

// writePcap writes Ethernet frames to a pcap file in a temporary directory.
func writePcap(t *testing.T, frames ...[]byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: testT0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "test.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

func TestReadFile(t *testing.T) {
	ka := udpFrame(t, testIPA, testIPB, 4500, 4500, []byte{0xff})
	esp := rawFrame(t, testIPA, testIPB, layers.IPProtocolESP, espBytes(3, 1, 32))
	dns := udpFrame(t, testIPA, testIPB, 40000, 53, []byte("q"))
	// The first fragment of a datagram that never completes: reported at
	// the end by Flush.
	frag := ipv4Fragment(t, testIPA, testIPB, 77, layers.IPProtocolUDP, make([]byte, 64), fragment{0, 32, true})
	path, data := writePcap(t, ka, esp, dns, frag)

	var kinds []Kind
	st, err := ReadFile(path, Options{}, func(p *Packet) { kinds = append(kinds, p.Kind) })
	if err != nil {
		t.Fatalf("ReadFile = %v", err)
	}
	want := []Kind{KindNATKeepalive, KindESP, KindIPFragment, KindMalformed}
	if len(kinds) != len(want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds %v, want %v", kinds, want)
		}
	}
	if st.Frames != 4 || st.Accounted() != 4 || st.Kinds[KindOther] != 1 {
		t.Errorf("stats = %+v", st)
	}

	// Cut the file inside the last record: everything before it is still
	// delivered, and the fault comes back as a *capture.FormatError.
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	kinds = kinds[:0]
	st, err = ReadFile(cut, Options{}, func(p *Packet) { kinds = append(kinds, p.Kind) })
	var fe *capture.FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("ReadFile(cut) error = %v, want a *capture.FormatError", err)
	}
	if len(kinds) != 2 || st.Frames != 3 {
		t.Errorf("ReadFile(cut) delivered %v over %d frames, want the keepalive and the ESP of 3 frames", kinds, st.Frames)
	}

	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.pcap"), Options{}, func(*Packet) {}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want a not-exist error", err)
	}
}

// A mapped capture that another program truncates while ReadFile decodes
// it: the packets before the fault are delivered, the error names the
// file, and every frame read is still accounted for, the one cut short
// included.
func TestReadFileShrinking(t *testing.T) {
	var buf bytes.Buffer
	w := capture.NewPcapWriter(&buf, 65535)
	a, b := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("203.0.113.1")
	frame := udpFrame(t, a, b, 4500, 4500, espBytes(7, 1, 1200))
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for i := range 4000 { // 5 MB: mapped, not read
		if err := w.Write(&capture.Record{Time: t0.Add(time.Duration(i) * time.Millisecond), LinkType: layers.LinkTypeEthernet, Data: frame, Length: len(frame)}); err != nil {
			t.Fatal(err)
		}
	}
	w.Finish()
	path := filepath.Join(t.TempDir(), "shrinking.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// Cut at a page boundary inside a record's data, past its headers:
	// the record is read, and the fault comes while decoding its payload.
	rec := 16 + len(frame)
	cut := 0
	for k := 1000; cut == 0; k++ {
		data := 24 + k*rec + 16
		if page := (data + 100 + 4095) &^ 4095; page < data+len(frame) {
			cut = page
		}
	}
	n := 0
	st, err := ReadFile(path, Options{}, func(p *Packet) {
		if n++; n == 100 {
			if err := os.Truncate(path, int64(cut)); err != nil {
				t.Error(err)
			}
		}
	})
	var fe *capture.FormatError
	if !errors.As(err, &fe) || fe.File != path || n < 100 || n >= 4000 {
		t.Fatalf("after %d packets: %v", n, err)
	}
	if st.Accounted() != st.Frames {
		t.Errorf("%d of %d frames accounted for", st.Accounted(), st.Frames)
	}
}
