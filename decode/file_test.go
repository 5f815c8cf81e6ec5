package decode

import (
	"bytes"
	"errors"
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
