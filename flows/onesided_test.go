package flows

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// The addresses seen in one capture only are found among the summarised
// conversations as among flows: an inside host whose only traffic is not
// VPN traffic is still an inside host, and a server both captures talk to
// is on neither side alone.
func TestOnlyInCountsSummarisedConversations(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dns := netip.MustParseAddr("192.0.2.53")
	host, nat := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("198.51.100.7")
	host6 := netip.MustParseAddr("fd00::5")
	analysis := func(summarize bool, src ...netip.Addr) *Analysis {
		tb := NewTable(Options{SummarizeOther: summarize, keepOthers: summarize})
		for i, a := range src {
			tb.Add(&decode.Packet{Kind: decode.KindOther, Proto: ProtoUDP, Src: a, Dst: dns, SrcPort: 40000, DstPort: 53,
				Time: t0.Add(time.Duration(i) * time.Second), Frame: i + 1, Length: 80})
		}
		return tb.Finish(Capture{Path: "t.pcap"})
	}
	for _, summarize := range []bool{false, true} {
		c := &Correlation{Inside: analysis(summarize, host, host6), Outside: analysis(summarize, nat)}
		c.findOneSided()
		for _, x := range []struct {
			side Side
			addr netip.Addr
			want bool
		}{
			{SideInside, host, true}, {SideInside, host6, true}, {SideOutside, nat, true},
			{SideInside, dns, false}, {SideOutside, dns, false}, {SideOutside, host, false},
		} {
			if got := c.OnlyIn(x.side, x.addr); got != x.want {
				t.Errorf("summarised %v: OnlyIn(%v, %v) = %v, want %v", summarize, x.side, x.addr, got, x.want)
			}
		}
		if c.Inside.others != nil || c.Outside.others != nil {
			t.Errorf("summarised %v: the conversations are kept after their addresses were read", summarize)
		}
	}
}

// NotCompared keeps, of the conversations with packets outside the common
// span, the first two by their first packet and then by key, each once,
// and counts every packet.
func TestNotComparedKeepsFirstTwo(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	key := func(port uint16) Key {
		k, _ := NewKey(ProtoUDP, netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), port), netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), 53), 0)
		return k
	}
	var n NotCompared
	n.note(t0.Add(3*time.Second), key(3), 30)
	n.note(t0.Add(3*time.Second), key(3), 30) // its second packet
	n.note(t0.Add(2*time.Second), key(2), 20)
	n.note(t0.Add(5*time.Second), key(5), 50) // later than both
	n.note(t0.Add(2*time.Second), key(1), 10) // same time, lower key
	n.note(t0.Add(2*time.Second), key(2), 20)
	if got := n.FirstFrames(); len(got) != 2 || got[0] != 10 || got[1] != 20 {
		t.Errorf("first frames %v, want [10 20]", got)
	}
	if n.Packets != 6 {
		t.Errorf("%d packets, want 6", n.Packets)
	}
	var one NotCompared
	one.note(t0, key(1), 10)
	one.note(t0, key(1), 10)
	if got := one.FirstFrames(); len(got) != 1 || got[0] != 10 {
		t.Errorf("one conversation's two packets: first frames %v, want [10]", got)
	}
}
