package decode

import (
	"net/netip"
	"testing"
)

// TestInnerPacketStringCut names what a decrypted ESP packet carried, and names no
// ICMP type and no ports it could not read (a non-first fragment).
func TestInnerPacketStringCut(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.17"), netip.MustParseAddr("203.0.113.1")
	tests := []struct {
		in   InnerPacket
		want string
	}{
		{InnerPacket{Tunnel: true, Src: a, Dst: b, Proto: 1, Transport: true, ICMPType: 8}, "192.0.2.17 > 203.0.113.1 icmp echo-request"},
		{InnerPacket{Tunnel: true, Src: b, Dst: a, Proto: 1, Transport: true}, "203.0.113.1 > 192.0.2.17 icmp echo-reply"},
		{InnerPacket{Tunnel: true, Src: b, Dst: a, Proto: 1}, "203.0.113.1 > 192.0.2.17 icmp"},
		{InnerPacket{Tunnel: true, Src: a, Dst: b, Proto: 17, Transport: true, SrcPort: 5353, DstPort: 53}, "192.0.2.17:5353 > 203.0.113.1:53 udp"},
		{InnerPacket{Tunnel: true, Src: a, Dst: b, Proto: 17}, "192.0.2.17 > 203.0.113.1 udp"},
		{InnerPacket{Proto: 6, Transport: true, SrcPort: 40000, DstPort: 1701}, "transport 40000 > 1701 tcp"},
	}
	for _, tc := range tests {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}
