package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// pcapngFixture is what the writer tests write: frames of two captures,
// one of them with a second link type, with comments that name each
// frame's origin.
func pcapngFixture() (recs []Record, ifaces []PcapngInterface, comments []string) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 123456789, time.UTC)
	inside := PcapngInterface{Name: "inside", Description: "lab/inside.pcap", Snaplen: 65535}
	outside := PcapngInterface{Name: "outside", Description: "lab/outside.pcap", Snaplen: 65535}
	recs = []Record{
		{Time: t0, LinkType: layers.LinkTypeEthernet, Data: []byte{1, 2, 3, 4, 5, 6, 7}, Length: 7},
		{Time: t0.Add(7300 * time.Millisecond), LinkType: layers.LinkTypeEthernet, Data: []byte{9, 8, 7, 6}, Length: 1500, FCSLen: 4},
		{Time: t0.Add(time.Second + 1), LinkType: layers.LinkTypeEthernet, Data: []byte{1, 1, 1, 1, 1, 1, 1, 1}, Length: 8},
		{Time: t0.Add(2 * time.Second), LinkType: layers.LinkTypeLinuxSLL, Data: []byte{0xaa, 0xbb}, Length: 2},
		{LinkType: layers.LinkTypeEthernet, Data: []byte{0x55}, Length: 1},
	}
	ifaces = []PcapngInterface{inside, outside, inside, inside, outside}
	comments = []string{"frame 27 of inside.pcap", "frame 25 of outside.pcap", "", "frame 40 of inside.pcap: ünïcode", "frame 99 of outside.pcap"}
	return recs, ifaces, comments
}

// TestPcapngWriterRoundTrip writes records of two captures and reads them
// back with Reader: the same bytes, lengths, times (to the nanosecond),
// link types and FCS lengths, each record on an interface of its own
// capture and link type, numbered 1, 2, … as Wireshark numbers them.
func TestPcapngWriterRoundTrip(t *testing.T) {
	recs, ifaces, comments := pcapngFixture()
	var buf bytes.Buffer
	w := NewPcapngWriter(&buf, "vpnpcap test")
	for i := range recs {
		if err := w.Write(&recs[i], ifaces[i], comments[i]); err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "written.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != "pcapng" {
		t.Errorf("format %q, want pcapng", r.Format())
	}
	// Interfaces in order of first use: inside/Ethernet, outside/Ethernet
	// with its FCS, inside/Linux SLL, outside/Ethernet without FCS.
	wantIface := []int{0, 1, 0, 2, 3}
	for i, want := range recs {
		var got Record
		if err := r.Next(&got); err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		want.Frame, want.Interface = i+1, wantIface[i]
		if want.Time.IsZero() {
			want.Time = time.Unix(0, 0).UTC() // a packet block always has a time
		}
		got.Offset = 0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("record %d: read %+v, wrote %+v", i+1, got, want)
		}
	}
	var rec Record
	if err := r.Next(&rec); err != io.EOF {
		t.Errorf("after the records: %v, want EOF", err)
	}
}

// TestPcapngWriterEmpty checks that a file without records is a capture.
func TestPcapngWriterEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := NewPcapngWriter(&buf, "").Finish(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "empty.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := r.Next(&rec); err != io.EOF {
		t.Errorf("empty file: %v, want EOF", err)
	}
}

// TestPcapngWriterLongComment refuses a comment an option cannot hold,
// and writes nothing for it.
func TestPcapngWriterLongComment(t *testing.T) {
	var buf bytes.Buffer
	w := NewPcapngWriter(&buf, "")
	rec := Record{LinkType: layers.LinkTypeEthernet, Data: []byte{1}, Length: 1}
	if err := w.Write(&rec, PcapngInterface{Name: "x"}, strings.Repeat("c", 70000)); !errors.Is(err, ErrOptionTooLong) {
		t.Fatalf("a 70000-byte comment: %v, want ErrOptionTooLong", err)
	}
	n := buf.Len()
	if err := w.Write(&rec, PcapngInterface{Name: "x"}, "ok"); err != nil {
		t.Fatal(err)
	}
	if buf.Len() == n {
		t.Error("the next record was not written")
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "long.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	var got Record
	if err := r.Next(&got); err != nil || got.Frame != 1 {
		t.Errorf("first record: frame %d, %v; want frame 1 (the refused one not written)", got.Frame, err)
	}
}

// TestPcapngWriterTshark has tshark read a written file: it must take
// every frame, with its comment as frame.comment, its interface's name,
// its time and length, so that an export opened in Wireshark shows where
// each frame came from. Skipped without tshark, except under CI.
func TestPcapngWriterTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark not found under CI: %v", err)
		}
		t.Skip("tshark not installed")
	}
	recs, ifaces, comments := pcapngFixture()
	path := filepath.Join(t.TempDir(), "export.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewPcapngWriter(f, "vpnpcap test")
	for i := range recs {
		if err := w.Write(&recs[i], ifaces[i], comments[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tshark, "-r", path, "-T", "fields", "-E", "separator=|",
		"-e", "frame.number", "-e", "frame.comment", "-e", "frame.interface_name", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len")
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	want := []string{
		"1|frame 27 of inside.pcap|inside|1773478800.123456789|7|7",
		"2|frame 25 of outside.pcap|outside|1773478807.423456789|1500|4",
		"3||inside|1773478801.123456790|8|8",
		"4|frame 40 of inside.pcap: ünïcode|inside|1773478802.123456789|2|2",
		"5|frame 99 of outside.pcap|outside|0.000000000|1|1",
	}
	got := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tshark reads\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
