package decode

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Tests of the GRE layer (gre.go).

// testGREv1SeqAck is enhanced GRE with sequence and acknowledgment numbers
// and a 4-octet PPP payload: flags 0x3081 (K, S, A, version 1), protocol
// 0x880b, payload length 4, call ID 0x1780, seq 7, ack 5. Built by hand
// after RFC 2637 §4.1.
var testGREv1SeqAck = []byte{
	0x30, 0x81, 0x88, 0x0b, 0x00, 0x04, 0x17, 0x80,
	0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05,
	0xff, 0x03, 0xc0, 0x21,
}

// testGREv0All is GRE version 0 with checksum, key and sequence number
// (RFC 2784 §2.1, RFC 2890 §2) carrying IPv4: flags 0xb000.
var testGREv0All = []byte{
	0xb0, 0x00, 0x08, 0x00, 0x12, 0x34, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x01, 0x00,
	0x45, 0x00,
}

// testGRERouting is GRE version 0 with the routing bit of RFC 1701: one
// IPv4 source route entry of 8 octets, then the null entry.
var testGRERouting = []byte{
	0x40, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // R; checksum and offset fields
	0x08, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, // SRE: family 0x0800, offset 0, length 8
	0x00, 0x00, 0x00, 0x00, // null SRE
	0x45,
}

func TestGRE(t *testing.T) {
	tests := []struct {
		name         string
		data         []byte
		want         GRE
		contents, pl int
	}{
		{"v1 seq ack", testGREv1SeqAck, GRE{KeyPresent: true, SeqPresent: true, AckPresent: true, Version: 1, Protocol: 0x880b,
			Key: 0x00041780, CallID: 0x1780, PayloadLength: 4, Seq: 7, Ack: 5}, 16, 4},
		{"v0 checksum key seq", testGREv0All, GRE{ChecksumPresent: true, KeyPresent: true, SeqPresent: true, Protocol: 0x0800,
			Checksum: 0x1234, Key: 42, Seq: 256}, 16, 2},
		{"v0 routing", testGRERouting, GRE{RoutingPresent: true, Protocol: 0x0800, Routing: testGRERouting[8:24]}, 24, 1},
		// In version 0 the A bit is reserved: it adds no field.
		{"v0 reserved a bit", []byte{0x00, 0x80, 0x08, 0x00, 0x45}, GRE{AckPresent: true, Protocol: 0x0800}, 4, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var g GRE
			if err := g.DecodeFromBytes(tc.data, gopacket.NilDecodeFeedback); err != nil {
				t.Fatalf("DecodeFromBytes = %v", err)
			}
			if len(g.Contents) != tc.contents || len(g.Payload) != tc.pl {
				t.Errorf("contents/payload = %d/%d octets, want %d/%d", len(g.Contents), len(g.Payload), tc.contents, tc.pl)
			}
			g.BaseLayer = layers.BaseLayer{}
			if !reflect.DeepEqual(g, tc.want) {
				t.Errorf("GRE = %+v, want %+v", g, tc.want)
			}
		})
	}
}

func TestGREMalformed(t *testing.T) {
	tests := []struct {
		name, wantErr string
		data          []byte
		truncated     bool
	}{
		{"empty", "gre: header at offset 0: truncated", nil, true},
		{"key cut", "gre: key at offset 4: truncated", []byte{0x20, 0, 8, 0, 0, 0}, true},
		{"seq cut", "gre: sequence number at offset 8: truncated", []byte{0x30, 0, 8, 0, 0, 0, 0, 1, 0}, true},
		{"ack cut", "gre: acknowledgment number at offset 8: truncated", []byte{0x20, 0x81, 0x88, 0x0b, 0, 0, 0, 1, 0, 0}, true},
		{"checksum cut", "gre: checksum at offset 4: truncated", []byte{0x80, 0, 8, 0, 0}, true},
		{"version 7", "gre: version at offset 1: unsupported version 7", []byte{0, 7, 8, 0}, false},
		{"routing unterminated", "gre: routing at offset 8: truncated", []byte{0x40, 0, 8, 0, 0, 0, 0, 0}, true},
		{"sre past end", "gre: routing at offset 8: source route entry runs past the packet", []byte{0x40, 0, 8, 0, 0, 0, 0, 0, 8, 0, 0, 200, 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var g GRE
			var df truncFlag
			err := g.DecodeFromBytes(tc.data, &df)
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("DecodeFromBytes = %v, want %q", err, tc.wantErr)
			}
			if bool(df) != tc.truncated || errors.Is(err, ErrTruncated) != tc.truncated {
				t.Errorf("truncated = %v (errors.Is %v), want %v", bool(df), errors.Is(err, ErrTruncated), tc.truncated)
			}
		})
	}
}

// truncFlag records SetTruncated.
type truncFlag bool

func (f *truncFlag) SetTruncated() { *f = true }

func TestGREReuseResetsFields(t *testing.T) {
	var g GRE
	if err := g.DecodeFromBytes(testGREv1SeqAck, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if err := g.DecodeFromBytes([]byte{0, 0, 8, 0}, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if g.Seq != 0 || g.Ack != 0 || g.CallID != 0 || g.KeyPresent {
		t.Errorf("fields of the previous packet kept: %+v", g)
	}
}
