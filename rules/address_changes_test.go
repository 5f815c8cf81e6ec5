package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// A peer whose NAT gives it a new port for every message, a hundred times:
// VP110 counts the changes the tunnel recorded and says that more
// followed, rather than a total it cannot tell (some may be returns to an
// earlier endpoint, which it does not count).
func TestAddressChangesCountedPastTheListed(t *testing.T) {
	s := pt.New()
	resp := "203.0.113.1:4500"
	m := func(id uint32, flags uint8) decode.IKEMessage {
		return decode.IKEMessage{Version: 2, SPIi: 0x1111, SPIr: 0x2222, Exchange: decode.ExchangeTypeInformational, MessageID: id, Flags: flags, Encrypted: true}
	}
	s.IKE("198.51.100.7:4500", resp, m(1, decode.IKEv2FlagInitiator), 1).NonESPMarker = true
	s.IKE(resp, "198.51.100.7:4500", m(1, decode.IKEv2FlagResponse), 2).NonESPMarker = true
	for i := range 100 {
		ini := fmt.Sprintf("198.51.100.7:%d", 20000+i)
		id := uint32(i + 2)
		s.IKE(ini, resp, m(id, decode.IKEv2FlagInitiator), uint64(10*id)).NonESPMarker = true
		s.IKE(resp, ini, m(id, decode.IKEv2FlagResponse), uint64(10*id+1)).NonESPMarker = true
	}
	c := NewContext(flows.Analyze(flows.Packets("rebind.pcap", s.Packets), decode.Options{}, flows.Options{SummarizeOther: true}), DefaultConfig())
	var said []string
	for _, f := range Run(c) {
		if f.RuleID == "VP110" {
			said = append(said, f.Message)
		}
	}
	if len(said) == 0 || !strings.Contains(said[0], "64 address or port changes") || !strings.Contains(said[0], "and 61 more") ||
		!strings.Contains(said[0], "; 36 further changes followed, past the 64 the IKE SA records") {
		t.Errorf("VP110 says %q, want the 64 recorded, 3 of them listed, and the 36 further ones counted", said)
	}
}
