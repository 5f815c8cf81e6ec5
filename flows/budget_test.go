package flows

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// Conversations summarised (SummarizeOther) that the memory bound refuses
// name the frame of the first refused, as flows do: VP907 prints it.
func TestBudgetNamesFirstFrameOfSummarised(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	var pkts []decode.Packet
	for i := 0; i < 200; i++ {
		pkts = append(pkts, decode.Packet{Frame: i + 1, Time: t0.Add(time.Duration(i) * time.Millisecond), Kind: decode.KindOther,
			Proto: ProtoUDP, Src: netip.MustParseAddr("10.0.0.2"), Dst: netip.MustParseAddr("192.0.2.1"),
			SrcPort: uint16(1024 + i), DstPort: 53})
	}
	a := Analyze(Packets("c.pcap", pkts), decode.Options{KeepOther: true}, Options{MaxMemory: 2000, SummarizeOther: true})
	b := a.Budget
	if !b.Exceeded() || b.FirstFrame < 2 || b.FirstFrame > 200 {
		t.Errorf("budget %+v: want the bound exceeded and the frame of the first conversation refused", b)
	}
}
