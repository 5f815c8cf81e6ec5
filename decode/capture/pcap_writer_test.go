package capture

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// TestPcapWriterRoundTrip writes records and reads them back: the same
// bytes, lengths, times (to the nanosecond), link type and FCS length, in
// a file Reader takes for pcap.
func TestPcapWriterRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 123456789, time.UTC)
	recs := []Record{
		{Time: t0, LinkType: layers.LinkTypeEthernet, Data: []byte{1, 2, 3, 4, 5, 6}, Length: 6, FCSLen: 4},
		{Time: t0.Add(time.Second + 7), LinkType: layers.LinkTypeEthernet, Data: []byte{9, 8, 7}, Length: 1500, FCSLen: 4},
	}
	var buf bytes.Buffer
	w := NewPcapWriter(&buf, 65535)
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	other := Record{Time: t0, LinkType: layers.LinkTypeLinuxSLL, Data: []byte{1}, Length: 1}
	if err := w.Write(&other); !errors.Is(err, ErrLinkType) {
		t.Errorf("a Linux SLL record in an Ethernet file: %v, want ErrLinkType", err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "written.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != "pcap" || r.Snaplen() != 65535 {
		t.Errorf("format %q, snaplen %d", r.Format(), r.Snaplen())
	}
	for i, want := range recs {
		var got Record
		if err := r.Next(&got); err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		got.Offset, want.Frame = 0, i+1
		if !reflect.DeepEqual(got, want) {
			t.Errorf("record %d: read %+v, wrote %+v", i+1, got, want)
		}
	}
	var rec Record
	if err := r.Next(&rec); err != io.EOF {
		t.Errorf("after the records: %v, want EOF", err)
	}
}

// TestPcapWriterEmpty checks that a file without records is a capture.
func TestPcapWriterEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := NewPcapWriter(&buf, 0).Finish(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "empty.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := r.Next(&rec); err != io.EOF {
		t.Errorf("empty file: %v, want EOF", err)
	}
}
