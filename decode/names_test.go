package decode

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestSPIString(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{SPI(0x7aa865d2).String(), "0x7aa865d2"},
		{SPI(0xbeef).String(), "0x0000beef"},
		{SPI(0).String(), "0x00000000"},
		{SPI(0xffffffff).String(), "0xffffffff"},
		{IKESPI(0x1122334455667788).String(), "0x1122334455667788"},
		{IKESPI(0x99).String(), "0x0000000000000099"},
		{IKESPI(0).String(), "0x0000000000000000"},
		// fmt uses String, so %s and %v print the one format.
		{fmt.Sprintf("%s %v", SPI(1), IKESPI(2)), "0x00000001 0x0000000000000002"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestProtoName(t *testing.T) {
	for p, want := range map[uint8]string{6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 1: "ip-proto-1", 0: "ip-proto-0", 255: "ip-proto-255"} {
		if got := ProtoName(p); got != want {
			t.Errorf("ProtoName(%d) = %q, want %q", p, got, want)
		}
	}
}

func TestFlagNames(t *testing.T) {
	cases := []struct {
		version, flags uint8
		want           string
	}{
		{2, IKEv2FlagInitiator, "initiator"},
		{2, IKEv2FlagResponse | IKEv2FlagInitiator | IKEv2FlagVersion, "initiator,response,version"},
		{2, 0, ""},
		// IKEv1 bits mean other things: 0x08 is not "initiator" there.
		{1, IKEv1FlagEncryption | IKEv1FlagCommit | IKEv1FlagAuthOnly | 0x08, "encryption,commit,auth-only"},
		{1, 0, ""},
	}
	for _, tc := range cases {
		m := &IKEMessage{Version: tc.version, Flags: tc.flags}
		got := m.FlagNames()
		if got == nil || strings.Join(got, ",") != tc.want {
			t.Errorf("v%d flags 0x%02x: FlagNames = %#v, want %q", tc.version, tc.flags, got, tc.want)
		}
	}
}

func TestPayloadAbbrev(t *testing.T) {
	v2i := &IKEMessage{Version: 2, Flags: IKEv2FlagInitiator}
	v2r := &IKEMessage{Version: 2, Flags: IKEv2FlagResponse}
	v2f := &IKEMessage{Version: 2, Fragment: &FragmentInfo{Number: 2, Total: 3}}
	v1 := &IKEMessage{Version: 1}
	cases := []struct {
		m    *IKEMessage
		t    PayloadType
		want string
	}{
		{v2i, PayloadTypeSA, "SA"},
		{v2i, PayloadTypeNonce, "Ni"},
		{v2r, PayloadTypeNonce, "Nr"},
		{v2i, PayloadTypeNotify, "N"},
		{v2i, PayloadTypeVendorID, "V"},
		{v2i, PayloadTypeSK, "SK"},
		{v2f, PayloadTypeSKF, "SKF(2/3)"},
		{v2i, PayloadTypeSKF, "SKF"},
		{v2i, 200, "200"},
		{v1, PayloadTypeV1SA, "SA"},
		{v1, PayloadTypeV1Nonce, "NONCE"},
		{v1, PayloadTypeV1NATD, "NAT-D"},
		{v1, PayloadTypeV1NATDDraft, "NAT-D"},
		{v1, PayloadTypeV1VendorID, "VID"},
		// 33 is SA in IKEv2, unknown in IKEv1.
		{v1, PayloadTypeSA, "33"},
	}
	for _, tc := range cases {
		if got := tc.m.PayloadAbbrev(tc.t); got != tc.want {
			t.Errorf("v%d PayloadAbbrev(%d) = %q, want %q", tc.m.Version, tc.t, got, tc.want)
		}
	}
}

func TestICMPErrorName(t *testing.T) {
	cases := []struct {
		e    ICMPError
		want string
	}{
		{ICMPError{Type: ICMPTypeDestinationUnreachable, Code: ICMPCodePortUnreachable}, "Port unreachable"},
		{ICMPError{Type: ICMPTypeDestinationUnreachable, Code: ICMPCodeFragmentationNeeded}, "Fragmentation needed"},
		{ICMPError{IPv6: true, Type: ICMPTypePacketTooBigV6}, "Packet Too Big"},
		{ICMPError{Type: ICMPTypeDestinationUnreachable, Code: 99}, "Destination unreachable"},
	}
	for _, tc := range cases {
		if got := tc.e.Name(); got != tc.want {
			t.Errorf("%+v: Name = %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestInnerPacketString(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.17"), netip.MustParseAddr("203.0.113.1")
	cases := []struct {
		in   InnerPacket
		want string
	}{
		{InnerPacket{Tunnel: true, Src: a, Dst: b, Proto: 1, Transport: true, ICMPType: 8}, "192.0.2.17 > 203.0.113.1 icmp echo-request"},
		{InnerPacket{Tunnel: true, Src: a, Dst: b, Proto: 1, Transport: true, ICMPType: 3, ICMPCode: 1}, "192.0.2.17 > 203.0.113.1 icmp type 3 code 1"},
		{InnerPacket{Tunnel: true, Src: a, Dst: b, Proto: 17, Transport: true, SrcPort: 53, DstPort: 1024}, "192.0.2.17:53 > 203.0.113.1:1024 udp"},
		{InnerPacket{Proto: 17, Transport: true, SrcPort: 4500, DstPort: 500}, "transport 4500 > 500 udp"},
		{InnerPacket{Proto: 58, Transport: true, ICMPType: 129}, "transport icmpv6 echo-reply"},
		{InnerPacket{Tunnel: true, Proto: 132}, "- > - proto 132"},
	}
	for _, tc := range cases {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%+v: String = %q, want %q", tc.in, got, tc.want)
		}
	}
}
