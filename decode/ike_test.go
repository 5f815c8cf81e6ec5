package decode

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
)

// truncFeedback records SetTruncated calls.
type truncFeedback struct{ truncated bool }

func (f *truncFeedback) SetTruncated() { f.truncated = true }

func TestIKEDecodeFromBytes(t *testing.T) {
	var ike IKE
	var fb truncFeedback
	if err := ike.DecodeFromBytes(testIKEv2SAInitRequest, &fb); err != nil {
		t.Fatalf("DecodeFromBytes error = %v", err)
	}
	want := IKE{SPIi: 0x05ac0f4d122013f4, NextPayload: PayloadTypeSA, MajorVersion: 2, Exchange: ExchangeTypeIKESAInit,
		Flags: IKEv2FlagInitiator, Length: 358}
	want.Contents = testIKEv2SAInitRequest[:28]
	want.Payload = testIKEv2SAInitRequest[28:]
	if !reflect.DeepEqual(ike, want) {
		t.Errorf("DecodeFromBytes = %+v, want %+v", ike, want)
	}
	if fb.truncated || ike.Clipped() || ike.Encrypted() {
		t.Errorf("whole message: truncated %v, Clipped %v, Encrypted %v; want all false", fb.truncated, ike.Clipped(), ike.Encrypted())
	}
	if ike.LayerType() != LayerTypeIKE || ike.CanDecode() != gopacket.LayerClass(LayerTypeIKE) || ike.NextLayerType() != gopacket.LayerTypeZero {
		t.Errorf("layer types: %v %v %v", ike.LayerType(), ike.CanDecode(), ike.NextLayerType())
	}

	// Reuse: every field is reset, so decoding another message gives what a
	// fresh layer gives.
	if err := ike.DecodeFromBytes(testIKEv1Encrypted, &fb); err != nil {
		t.Fatalf("DecodeFromBytes(v1) error = %v", err)
	}
	var fresh IKE
	fresh.DecodeFromBytes(testIKEv1Encrypted, gopacket.NilDecodeFeedback)
	if !reflect.DeepEqual(ike, fresh) {
		t.Errorf("reused layer = %+v, fresh layer %+v", ike, fresh)
	}
	if !ike.Encrypted() || ike.MajorVersion != 1 || ike.Flags != IKEv1FlagEncryption {
		t.Errorf("IKEv1 MM5: Encrypted %v, version %d, flags %#x; want true, 1, 0x01", ike.Encrypted(), ike.MajorVersion, ike.Flags)
	}
}

// TestIKEClipping checks the two ways the data and the Length field can
// disagree: fewer bytes captured (clipped, truncated feedback) and bytes
// after the message (not part of the layer).
func TestIKEClipping(t *testing.T) {
	var ike IKE
	var fb truncFeedback
	if err := ike.DecodeFromBytes(testIKEv2SAInitRequest[:100], &fb); err != nil {
		t.Fatalf("DecodeFromBytes(clipped) error = %v", err)
	}
	if !fb.truncated || !ike.Clipped() || len(ike.Payload) != 72 || ike.Length != 358 {
		t.Errorf("clipped: truncated %v, Clipped %v, payload %d bytes, Length %d; want true, true, 72, 358",
			fb.truncated, ike.Clipped(), len(ike.Payload), ike.Length)
	}
	long := append(append([]byte(nil), testIKEv2Cookie...), 0xde, 0xad)
	fb = truncFeedback{}
	if err := ike.DecodeFromBytes(long, &fb); err != nil {
		t.Fatalf("DecodeFromBytes(long) error = %v", err)
	}
	if fb.truncated || ike.Clipped() || len(ike.Contents)+len(ike.Payload) != len(testIKEv2Cookie) {
		t.Errorf("trailing bytes: truncated %v, Clipped %v, layer %d bytes; want false, false, %d",
			fb.truncated, ike.Clipped(), len(ike.Contents)+len(ike.Payload), len(testIKEv2Cookie))
	}
}

func TestIKEDecodeErrors(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		want      string
		truncated bool
	}{
		{"nothing", nil, "ike: header at offset 0: truncated: 0 bytes, header needs 28 bytes", true},
		{"27 bytes", testIKEv2Cookie[:27], "ike: header at offset 0: truncated: 27 bytes, header needs 28 bytes", true},
		{"version 0 (tcpdump isakmp-delete-segfault style)", append(append([]byte(nil), testIKEv2Cookie[:17]...), make([]byte, 11)...), "ike: version at offset 17: unsupported major version 0", false},
		{"length 0", testIsakmpPointerLoop, "ike: length at offset 24: length 0 < 28", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ike := IKE{SPIi: 1, Length: 99}
			var fb truncFeedback
			err := ike.DecodeFromBytes(tc.data, &fb)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("DecodeFromBytes error = %v, want %q", err, tc.want)
			}
			if errors.Is(err, ErrTruncated) != tc.truncated || fb.truncated != tc.truncated {
				t.Errorf("truncated: errors.Is %v, feedback %v; want %v", errors.Is(err, ErrTruncated), fb.truncated, tc.truncated)
			}
			if !reflect.DeepEqual(ike, IKE{}) {
				t.Errorf("a failed decode left fields set: %+v", ike)
			}
		})
	}
}

// TestIKEDecodingLayerParser decodes through gopacket's DecodingLayerParser,
// as the packet decoder does.
func TestIKEDecodingLayerParser(t *testing.T) {
	var ike IKE
	p := gopacket.NewDecodingLayerParser(LayerTypeIKE, &ike)
	var decoded []gopacket.LayerType
	if err := p.DecodeLayers(testIKEv2Cookie, &decoded); err != nil {
		t.Fatalf("DecodeLayers error = %v", err)
	}
	if !reflect.DeepEqual(decoded, []gopacket.LayerType{LayerTypeIKE}) || ike.SPIi != 0xb64ef32131a48952 || ike.NextPayload != PayloadTypeNotify {
		t.Errorf("DecodeLayers = %v, SPIi %#x, next %v", decoded, ike.SPIi, ike.NextPayload)
	}
}
