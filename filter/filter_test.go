package filter

import (
	"errors"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
)

// packets are one of each shape the filter looks at, by name.
var packets = map[string]decode.Packet{
	"ike": {Frame: 1, Kind: decode.KindIKE, Proto: 17,
		Src: netip.MustParseAddr("10.0.0.2"), SrcPort: 500, Dst: netip.MustParseAddr("198.51.100.7"), DstPort: 500,
		IKE: &decode.IKEMessage{SPIi: 0x5aea2d3a24ed10a9}},
	"ike-reply": {Frame: 2, Kind: decode.KindIKE, Proto: 17,
		Src: netip.MustParseAddr("198.51.100.7"), SrcPort: 500, Dst: netip.MustParseAddr("10.0.0.2"), DstPort: 500,
		IKE: &decode.IKEMessage{SPIi: 0x5aea2d3a24ed10a9, SPIr: 0xeba088beafdb0431}},
	"udp-esp": {Frame: 7, Kind: decode.KindUDPESP, Proto: 17,
		Src: netip.MustParseAddr("10.0.0.2"), SrcPort: 4500, Dst: netip.MustParseAddr("198.51.100.7"), DstPort: 4500,
		ESP: decode.ESPInfo{SPI: 0xc0ffee01, Seq: 1}},
	"esp6": {Frame: 20, Kind: decode.KindESP, Proto: 50, IPv6: true,
		Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"),
		ESP: decode.ESPInfo{SPI: 0x1000}},
	"ah": {Frame: 21, Kind: decode.KindAH, Proto: 51,
		Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), AH: decode.ESPInfo{SPI: 0x2000}},
	"pptp": {Frame: 30, Kind: decode.KindPPTP, Proto: 6,
		Src: netip.MustParseAddr("10.0.0.3"), SrcPort: 40000, Dst: netip.MustParseAddr("198.51.100.9"), DstPort: 1723},
	"other": {Frame: 31, Kind: decode.KindOther, Proto: 17,
		Src: netip.MustParseAddr("::ffff:10.0.0.2"), SrcPort: 53000, Dst: netip.MustParseAddr("192.0.2.53"), DstPort: 53},
	"malformed-ike": {Frame: 40, FirstFrame: 38, Kind: decode.KindMalformed, Proto: 17, Fragments: 3,
		Src: netip.MustParseAddr("10.0.0.2"), SrcPort: 4500, Dst: netip.MustParseAddr("198.51.100.7"), DstPort: 4500,
		IKE: &decode.IKEMessage{SPIi: 0xabc}},
}

func TestMatch(t *testing.T) {
	tests := []struct {
		expr string
		want string // the packets it matches, in the order of names, space-separated
	}{
		{"", "ah esp6 ike ike-reply malformed-ike other pptp udp-esp"},
		{"host 10.0.0.2", "ike ike-reply malformed-ike other udp-esp"},
		{"10.0.0.2", "ike ike-reply malformed-ike other udp-esp"},
		{"src host 10.0.0.2", "ike malformed-ike other udp-esp"},
		{"dst host 10.0.0.2", "ike-reply"},
		{"host 2001:db8::2", "esp6"},
		{"net 198.51.100.0/24", "ike ike-reply malformed-ike pptp udp-esp"},
		{"dst net 198.51.100.0/24", "ike malformed-ike pptp udp-esp"},
		{"net 10.0.0.0/8 and not net 10.0.0.2/32", "pptp"},
		{"port 4500", "malformed-ike udp-esp"},
		{"src port 53000", "other"},
		{"dst port 1723", "pptp"},
		{"port 0", ""},
		{"udp", "ike ike-reply malformed-ike other udp-esp"},
		{"tcp", "pptp"},
		{"spi c0ffee01", "udp-esp"},
		{"spi 0xC0FFEE01", "udp-esp"},
		{"spi 0x1000 or spi 0x2000", "ah esp6"},
		{"spi 0xeba088beafdb0431", "ike-reply"},
		{"spi 5aea2d3a24ed10a9", "ike ike-reply"},
		{"spi abc", "malformed-ike"},
		{"kind udp-esp", "udp-esp"},
		{"esp", "esp6"},
		{"ike or malformed", "ike ike-reply malformed-ike"},
		{"kind other", "other"},
		{"frame 7", "udp-esp"},
		{"frame 20-30", "ah esp6 pptp"},
		{"frames 30-", "malformed-ike other pptp"},
		{"frame 38", ""},
		{"ike and frame 2", "ike-reply"},
		{"ike frame 2", "ike-reply"},
		{"ike && frame 2", "ike-reply"},
		{"!ike", "ah esp6 malformed-ike other pptp udp-esp"},
		{"not not ike", "ike ike-reply"},
		{"ike or esp and frame 20", "esp6 ike ike-reply"},
		{"(ike or esp) and frame 20", "esp6"},
		{"ike || (udp and not port 500 and !other)", "ike ike-reply malformed-ike udp-esp"},
		{"NOT (Host 10.0.0.2 OR tcp)", "ah esp6"},
	}
	for _, tc := range tests {
		f, err := Parse(tc.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.expr, err)
			continue
		}
		if got := matching(f); got != tc.want {
			t.Errorf("%q matches %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func matching(f *Filter) string {
	var names []string
	for _, name := range sortedNames() {
		p := packets[name]
		if f.Match(&p) {
			names = append(names, name)
		}
	}
	return strings.Join(names, " ")
}

func sortedNames() []string { return slices.Sorted(maps.Keys(packets)) }

func TestParseErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"hots 10.0.0.2", `filter: at character 1: unknown word "hots"`},
		{"host", "filter: at the end: host needs a value, as in host 10.0.0.2"},
		{"host and esp", `filter: at character 6: host needs a value`},
		{"host 10.0.0.300", "filter: at character 6: host 10.0.0.300: not an IP address"},
		{"net 10.0.0.0", "not an address prefix"},
		{"port 65536", "port 65536: not a port number"},
		{"port -1", "not a port number"},
		{"spi xyz", "spi xyz: not a hexadecimal SPI"},
		{"spi 0x", "not a hexadecimal SPI"},
		{"spi 0x11112222333344445", "not a hexadecimal SPI"},
		{"kind vpn", "kind vpn: unknown kind (want other, ike, esp"},
		{"frame 0", "frame 0: want N, N-M or N-"},
		{"frame 20-10", "frame 20-10: the range ends before it starts"},
		{"frame x-", "want N, N-M or N-"},
		{"src esp", `filter: at character 5: "esp": src takes host, net or port`},
		{"dst", "dst needs host, net or port"},
		{"(ike", `"(" at character 1 is not closed`},
		{"ike)", `filter: at character 4: ")" without "("`},
		{"()", `")" where a primitive should be`},
		{"ike or", "a primitive is missing"},
		{"and ike", `"and" where a primitive should be`},
		{"not", "a primitive is missing"},
		{"ike & esp", `unexpected "&"`},
		{"ike | esp", `unexpected "|"`},
		{strings.Repeat("(", 200) + "ike" + strings.Repeat(")", 200), "nested more than 100 deep"},
		{strings.Repeat("not ", 200) + "ike", "nested more than 100 deep"},
	}
	for _, tc := range tests {
		f, err := Parse(tc.expr)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.expr, f, tc.want)
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("Parse(%q) error %T, want *Error", tc.expr, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %q, want it to contain %q", tc.expr, err, tc.want)
		}
	}
}

func TestNilFilterMatchesAll(t *testing.T) {
	var f *Filter
	p := packets["ike"]
	if !f.Match(&p) || f.String() != "" {
		t.Error("a nil filter must match every packet")
	}
	g, err := Parse("  \t ")
	if err != nil || !g.Match(&p) {
		t.Errorf("the empty expression: %v", err)
	}
}

func TestSyntaxNamesEveryKind(t *testing.T) {
	for k := range decode.NumKinds {
		if name := decode.Kind(k).String(); !strings.Contains(Syntax, name) {
			t.Errorf("Syntax does not name the kind %s", name)
		}
	}
}

// FuzzParse checks that no expression panics or hangs, and that a filter
// that parses matches deterministically.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"host 10.0.0.2 and (ike or udp-esp) and not frame 1-10", "src port 500 || spi 0xc0ffee01", "!(esp)", "((("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s)
		if err != nil {
			return
		}
		for _, name := range sortedNames() {
			p := packets[name]
			if flt.Match(&p) != flt.Match(&p) {
				t.Fatalf("%q matches %s differently twice", s, name)
			}
		}
	})
}
