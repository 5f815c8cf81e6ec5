package decode

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// TestSkipPayloadHash checks Options.SkipPayloadHash: no hash for the
// payloads only correlation compares, their lengths still set; IKE still
// hashed, behind the marker too; HashAll wins.
func TestSkipPayloadHash(t *testing.T) {
	esp := espBytes(0x4242, 17, 64)
	gre := []byte{0x20, 0x00, 0x08, 0x00, 0, 0, 0, 42, 0x45, 0}
	ike := ikeSAInit(0x0102030405060708, netip.AddrPortFrom(testIPA, 500), netip.AddrPortFrom(testIPB, 500))
	tests := []struct {
		name     string
		frame    []byte
		kind     Kind
		len      int
		hashWith uint64 // the hash without the option
	}{
		{"udp-esp", udpFrame(t, testIPA, testIPB, 4500, 4500, esp), KindUDPESP, len(esp), PayloadHash(esp)},
		{"esp", rawFrame(t, testIPA, testIPB, layers.IPProtocolESP, esp), KindESP, len(esp), PayloadHash(esp)},
		{"keepalive", udpFrame(t, testIPA, testIPB, 4500, 4500, []byte{0xff}), KindNATKeepalive, 1, PayloadHash([]byte{0xff})},
		{"gre", rawFrame(t, testIPA, testIPB, layers.IPProtocolGRE, gre), KindGRE, 2, PayloadHash(gre[8:])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				opts Options
				hash uint64
			}{{Options{}, tc.hashWith}, {Options{SkipPayloadHash: true}, 0}, {Options{SkipPayloadHash: true, HashAll: true}, tc.hashWith}} {
				ps, _ := decodeFrames(t, c.opts, tc.frame)
				if len(ps) != 1 || ps[0].Kind != tc.kind || ps[0].PayloadLen != tc.len || ps[0].PayloadHash != c.hash {
					t.Errorf("%+v: got %+v, want %s with length %d and hash %#x", c.opts, summarize(ps), tc.kind, tc.len, c.hash)
				}
			}
		})
	}
	for _, f := range [][]byte{
		udpFrame(t, testIPA, testIPB, 500, 500, ike),
		udpFrame(t, testIPA, testIPB, 4500, 4500, append([]byte{0, 0, 0, 0}, ike...)),
	} {
		ps, _ := decodeFrames(t, Options{SkipPayloadHash: true}, f)
		if len(ps) != 1 || ps[0].Kind != KindIKE || ps[0].PayloadHash != PayloadHash(ike[16:]) {
			t.Errorf("IKE with SkipPayloadHash: got %+v, want its hash %#x", summarize(ps), PayloadHash(ike[16:]))
		}
	}
}

// TestSkipPayloadHashNoAllocs checks that with SkipPayloadHash, frames that
// are not VPN traffic and ESP still decode without allocating.
func TestSkipPayloadHashNoAllocs(t *testing.T) {
	for _, fx := range frameFixtures(t) {
		if fx.name == "ike-sa-init" || fx.name == "icmp-port-unreachable-udp-esp" {
			continue // IKE messages and ICMP errors are values the packet owns
		}
		d := NewDecoder(Options{SkipPayloadHash: true, KeepOther: true})
		r := rec(1, fx.data)
		d.Decode(r)
		if n := testing.AllocsPerRun(1000, func() { d.Decode(r) }); n != 0 {
			t.Errorf("%s: %v allocations per Decode, want 0", fx.name, n)
		}
	}
}
