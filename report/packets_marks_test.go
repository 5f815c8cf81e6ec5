package report

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// TestPacketMarksCopiesAndMissingMarker checks that dump shows a frame
// captured twice and IKE on 4500 without the non-ESP marker, in text and
// JSON.
func TestPacketMarksCopiesAndMissingMarker(t *testing.T) {
	p := decode.Packet{Frame: 2, Time: time.Unix(0, 0), Src: netip.MustParseAddr("192.168.0.1"), Dst: netip.MustParseAddr("93.184.216.34"),
		SrcPort: 4500, DstPort: 55044, Proto: 17, Kind: decode.KindIKE, MissingMarker: true, DuplicateOf: 1,
		IKE: &decode.IKEMessage{Version: 1, SPIi: 0x8001020304050607, Exchange: decode.ExchangeTypeIdentityProtection}}
	if line := PacketLine(&p); !strings.HasSuffix(line, " no-non-esp-marker copy-of=1") {
		t.Errorf("PacketLine = %q, want it to end in no-non-esp-marker copy-of=1", line)
	}
	j := NewPacket("", &p)
	if !j.NoMarker || j.CopyOf != 1 {
		t.Errorf("JSON missing_non_esp_marker %v, duplicate_of %d; want true, 1", j.NoMarker, j.CopyOf)
	}
}
