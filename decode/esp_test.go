package decode

import (
	"testing"

	"github.com/gopacket/gopacket"
)

// Tests of the ESP and AH layers (esp.go).

func TestESPAndAH(t *testing.T) {
	var e ESP
	if err := e.DecodeFromBytes(espBytes(0x01020304, 99, 4), gopacket.NilDecodeFeedback); err != nil || e.SPI != 0x01020304 || e.Seq != 99 || len(e.Payload) != 4 || len(e.Contents) != 8 {
		t.Fatalf("ESP = %+v, %v", e, err)
	}
	if e.NextLayerType() != gopacket.LayerTypeZero || e.LayerType() != LayerTypeESP {
		t.Errorf("ESP layer types wrong")
	}
	// AH with a 12-octet ICV (payload length 4: (4+2)*4 = 24 octets).
	ah := []byte{50, 4, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xaa}
	var a AH
	if err := a.DecodeFromBytes(ah, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if a.SPI != 0x1001 || a.Seq != 3 || a.HeaderLen != 24 || len(a.ICV) != 12 || len(a.Payload) != 1 || a.NextLayerType() != LayerTypeESP {
		t.Errorf("AH = %+v", a)
	}
	for _, tc := range []struct {
		name, wantErr string
		data          []byte
		ah            bool
	}{
		{"esp short", "esp: header at offset 0: truncated", []byte{1, 2, 3}, false},
		{"esp spi 0", "esp: spi at offset 0: spi 0 is reserved", make([]byte, 8), false},
		{"ah short", "ah: header at offset 0: truncated", make([]byte, 11), true},
		{"ah length 0", "ah: payload length at offset 1: header length 8 < 12", []byte{50, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}, true},
		{"ah spi 0", "ah: spi at offset 4: spi 0 is reserved", []byte{50, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, true},
	} {
		var err error
		if tc.ah {
			err = new(AH).DecodeFromBytes(tc.data, gopacket.NilDecodeFeedback)
		} else {
			err = new(ESP).DecodeFromBytes(tc.data, gopacket.NilDecodeFeedback)
		}
		if err == nil || err.Error() != tc.wantErr {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}
