package decode

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
)

// Tests of the RFC 3948 demultiplexing layers (natt.go).

// TestUDPEncapSplit checks the RFC 3948 §2 split documented on
// UDPEncap.NextLayerType.
func TestUDPEncapSplit(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want gopacket.LayerType
	}{
		{"non-esp marker", []byte{0, 0, 0, 0, 1, 2}, LayerTypeNonESPMarker},
		{"marker alone", []byte{0, 0, 0, 0}, LayerTypeNonESPMarker},
		{"keepalive", []byte{0xff}, LayerTypeNATTKeepalive},
		{"two 0xff", []byte{0xff, 0xff}, LayerTypeESP},
		{"esp", espBytes(1, 1, 0), LayerTypeESP},
		{"three zeros", []byte{0, 0, 0}, LayerTypeESP},
		{"empty", nil, LayerTypeESP},
		// RFC 3948 §2.2: an IKE header without the marker is IKE sent
		// wrongly, not ESP with the initiator's cookie for an SPI.
		{"ike without marker", ikeSAInit(0x8001020304050607, netip.MustParseAddrPort("192.0.2.1:4500"), netip.MustParseAddrPort("198.51.100.7:4500")), LayerTypeIKE},
	}
	for _, tc := range tests {
		var u UDPEncap
		if err := u.DecodeFromBytes(tc.data, gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
		if got := u.NextLayerType(); got != tc.want {
			t.Errorf("%s: NextLayerType = %v, want %v", tc.name, got, tc.want)
		}
		if len(u.Contents) != 0 || len(u.Payload) != len(tc.data) {
			t.Errorf("%s: UDPEncap consumed octets", tc.name)
		}
	}
	var m NonESPMarker
	if err := m.DecodeFromBytes([]byte{0, 0, 0, 1}, gopacket.NilDecodeFeedback); err == nil || !strings.Contains(err.Error(), "not zero") {
		t.Errorf("NonESPMarker accepted a nonzero octet: %v", err)
	}
	var k NATTKeepalive
	if err := k.DecodeFromBytes([]byte{0xfe}, gopacket.NilDecodeFeedback); err == nil {
		t.Errorf("NATTKeepalive accepted 0xfe")
	}
}
