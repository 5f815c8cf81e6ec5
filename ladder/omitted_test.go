package ladder

import (
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// Past MaxRows a ladder counts the rows it leaves out, not their packets:
// a message sent again and a run of ESP are one row each, as drawn rows
// would be.
func TestOmittedRowsCountRows(t *testing.T) {
	long := func() (inside, outside []decode.Packet) {
		s := pt.New()
		ini, resp := "10.0.0.2:4500", "198.51.100.7:4500"
		s.IKE("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: spiI, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator}, 1)
		s.IKE("198.51.100.7:500", "10.0.0.2:500", decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagResponse}, 2)
		// 101 informational requests: rows 3 to 103, the last 3 past MaxRows.
		var last decode.IKEMessage
		for id := uint32(1); id <= 101; id++ {
			last = decode.IKEMessage{Version: 2, SPIi: spiI, SPIr: spiR, Exchange: decode.ExchangeTypeInformational, MessageID: id, Flags: decode.IKEv2FlagInitiator, Encrypted: true}
			s.IKE(ini, resp, last, uint64(100+id))
		}
		s.IKE(ini, resp, last, 201) // sent again: the same row
		s.IKE(ini, resp, last, 201)
		for seq := uint32(1); seq <= 50; seq++ {
			s.ESP("10.0.0.2", "198.51.100.7", 0xc0ffee01, seq)
		}
		return s.Packets, s.Packets
	}
	ls := collect(t, long)
	if len(ls) != 1 {
		t.Fatalf("%d ladders, want 1", len(ls))
	}
	l := ls[0]
	if len(l.Rows) != MaxRows {
		t.Fatalf("%d rows drawn, want %d", len(l.Rows), MaxRows)
	}
	// Left out: 3 requests (one of them sent 3 times) and the ESP run.
	if l.OmittedRows != 4 || l.OmittedPackets != 3+2+50 {
		t.Errorf("omitted %d rows, %d packets; want 4 rows, 55 packets", l.OmittedRows, l.OmittedPackets)
	}
}

// A rewritten IKE SPI is named by its side: the initiator's, or the
// responder's alone when only that one differs.
func TestChangedNamesTheSPIRewritten(t *testing.T) {
	in := &decode.Packet{IKE: &decode.IKEMessage{SPIi: 0x11, SPIr: 0x22}}
	for _, tc := range []struct {
		out  decode.IKEMessage
		want string
	}{
		{decode.IKEMessage{SPIi: 0x33, SPIr: 0x22}, "the NAT rewrote the IKE SPIs: initiator's 0x0000000000000011 inside, 0x0000000000000033 outside"},
		{decode.IKEMessage{SPIi: 0x11, SPIr: 0x44}, "the NAT rewrote the IKE SPIs: responder's 0x0000000000000022 inside, 0x0000000000000044 outside"},
		{decode.IKEMessage{SPIi: 0x11, SPIr: 0x22}, "the NAT changed the packet's bytes"},
	} {
		out := tc.out
		if got := changed(in, &decode.Packet{IKE: &out}, "the NAT"); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
