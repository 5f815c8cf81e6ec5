package dissect

import (
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
)

// protocolNames are the IANA keywords of the IP protocols a header may name
// ("Assigned Internet Protocol Numbers").
var protocolNames = map[uint8]string{
	0: "IPv6 Hop-by-Hop Option", 1: "ICMP", 2: "IGMP", 4: "IPv4", 6: "TCP", 17: "UDP", 41: "IPv6",
	43: "IPv6 Routing Header", 44: "IPv6 Fragment Header", 47: "GRE", 50: "ESP", 51: "AH", 58: "ICMPv6",
	59: "IPv6 No Next Header", 60: "IPv6 Destination Options", 132: "SCTP", 135: "Mobility Header",
	136: "UDP-Lite", 139: "HIP", 140: "Shim6",
}

// protocolName names an IP protocol as headers show it: "UDP", "ESP",
// or the number.
func protocolName(p uint8) string {
	if s, ok := protocolNames[p]; ok {
		return s
	}
	return "protocol " + strconv.Itoa(int(p))
}

// etherTypeNames name the EtherTypes a link header may carry.
var etherTypeNames = map[uint16]string{
	0x0800: "IPv4", 0x0806: "ARP", 0x86dd: "IPv6", 0x8100: "802.1Q", 0x88a8: "802.1ad", 0x9100: "802.1Q (0x9100)",
	0x8863: "PPPoE discovery", 0x8864: "PPPoE session", 0x880b: "PPP", 0x88cc: "LLDP",
}

// etherTypeName shows an EtherType by name and number: "IPv4 (0x0800)".
func etherTypeName(t uint16) string {
	if s, ok := etherTypeNames[t]; ok {
		return s + " (0x" + hex16(t) + ")"
	}
	return "0x" + hex16(t)
}

func hex8(v uint8) string   { return hex.EncodeToString([]byte{v}) }
func hex16(v uint16) string { return hex.EncodeToString([]byte{byte(v >> 8), byte(v)}) }

// mac formats a link-layer address as colon-separated hex.
func mac(b []byte) string {
	var s strings.Builder
	for i, x := range b {
		if i > 0 {
			s.WriteByte(':')
		}
		s.WriteString(hex8(x))
	}
	return s.String()
}

// shortHex shows bytes as hex, eliding the middle of long values.
func shortHex(b []byte) string {
	if len(b) <= 20 {
		return hex.EncodeToString(b)
	}
	return hex.EncodeToString(b[:8]) + "…" + hex.EncodeToString(b[len(b)-4:]) + " (" + strconv.Itoa(len(b)) + " bytes)"
}

// printable shows identification data as quoted text when it is text, else
// as hex.
func printable(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	s := string(b)
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return shortHex(b)
		}
	}
	return strconv.Quote(s)
}

// count writes a number and a noun, plural when it is not one.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
