package rules

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// withICMPErrors adds to a capture, a millisecond after each packet keep
// selects, the ICMP error that from sends about it to its sender, and
// numbers the frames again. It returns the capture and the errors' frames.
func withICMPErrors(pkts []decode.Packet, from string, typ decode.ICMPType, code decode.ICMPCode, keep func(*decode.Packet) bool) ([]decode.Packet, []int) {
	s := pt.New()
	var errs []decode.Packet
	for i := range pkts {
		if p := &pkts[i]; keep(p) {
			s.Now = p.Time.Add(time.Millisecond)
			errs = append(errs, *s.ICMPError(from, p.Src.String(), decode.ICMPError{Type: typ, Code: code, Quote: pt.Quote(p)}))
		}
	}
	out := append(slices.Clone(pkts), errs...)
	slices.SortStableFunc(out, func(a, b decode.Packet) int { return a.Time.Compare(b.Time) })
	var frames []int
	for i := range out {
		out[i].Frame, out[i].FirstFrame = i+1, i+1
		if out[i].Kind == decode.KindICMPError {
			frames = append(frames, i+1)
		}
	}
	return out, frames
}

// TestICMPAnswered checks the words by which findings cite ICMP errors.
func TestICMPAnswered(t *testing.T) {
	nat, router := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("192.0.2.254")
	quote := decode.ICMPQuote{Src: netip.MustParseAddr("198.51.100.2"), Dst: nat}
	msg := func(ipv6 bool, typ decode.ICMPType, code decode.ICMPCode, mtu uint32) *decode.ICMPError {
		return &decode.ICMPError{IPv6: ipv6, Type: typ, Code: code, MTU: mtu, Quote: quote}
	}
	port := msg(false, 3, 3, 0)
	one := &Context{Joined: &flows.Joined{Captures: []*flows.Analysis{{}}}}
	two := &Context{Joined: &flows.Joined{Captures: []*flows.Analysis{{}, {}}, Correlation: &flows.Correlation{}}}
	tests := []struct {
		name   string
		c      *Context
		es     []*flows.ICMPError
		want   string
		frames []int
	}{
		{"the nat itself", two, []*flows.ICMPError{
			{Frame: 23, From: nat, Msg: port, Origin: flows.ICMPOriginNAT},
			{Frame: 26, From: nat, Msg: port, Origin: flows.ICMPOriginNAT}},
			"the NAT itself (198.51.100.1) answered 2 of them with ICMP port unreachable (outside frames 23, 26)", []int{23, 26}},
		{"one capture", one, []*flows.ICMPError{{Frame: 23, From: nat, Msg: port}},
			"198.51.100.1 (the address they were sent to) answered one of them with ICMP port unreachable (frame 23)", []int{23}},
		{"a router, two kinds", one, []*flows.ICMPError{
			{Frame: 5, From: router, Msg: msg(false, 3, 4, 1400)},
			{Frame: 6, From: router, Msg: msg(false, 3, 4, 1400)},
			{Frame: 7, From: router, Msg: msg(false, 3, 13, 0)}},
			"192.0.2.254 answered 3 of them with ICMP fragmentation needed (next-hop MTU 1400) (2) and communication administratively filtered (1) (frames 5, 6, 7)",
			[]int{5, 6, 7}},
		{"two senders", one, []*flows.ICMPError{
			{Frame: 5, From: router, Msg: msg(false, 11, 0, 0)},
			{Frame: 6, From: nat, Msg: msg(false, 3, 10, 0)}},
			"192.0.2.254 answered one of them with ICMP time to live exceeded in transit (frame 5); " +
				"198.51.100.1 (the address they were sent to) answered one of them with ICMP host administratively prohibited (frame 6)",
			[]int{5, 6}},
		{"icmpv6", one, []*flows.ICMPError{{Frame: 9, From: router, Msg: msg(true, 2, 0, 1280)}},
			"192.0.2.254 answered one of them with ICMPv6 packet too big (next-hop MTU 1280) (frame 9)", []int{9}},
		{"none", one, nil, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, frames := icmpAnswered(tc.c, flows.SideOutside, tc.es)
			if got != tc.want || !slices.Equal(frames, tc.frames) {
				t.Errorf("icmpAnswered = %q, %v\nwant %q, %v", got, frames, tc.want, tc.frames)
			}
		})
	}
}
