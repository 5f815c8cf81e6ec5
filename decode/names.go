package decode

import (
	"net/netip"
	"strconv"
)

// This file holds the one way vpnpcap writes the values decode produces:
// SPIs, protocol numbers, header flags, payload abbreviations, ICMP errors
// and what a decrypted ESP packet carried. Findings, reports, the TUI and
// the dissection tree all print these through here, so that a value looks
// the same wherever a user meets it.

// SPI is an ESP or AH security parameter index (RFC 4303 §2.1, RFC 4302
// §2.4). Its String is 0x and eight lowercase hex digits, as Wireshark
// shows it ("0x7aa865d2").
type SPI uint32

// String formats the SPI as 0x and eight lowercase hex digits.
func (s SPI) String() string { return "0x" + hexDigits(uint64(s), 8) }

// IKESPI is an IKE SA SPI (RFC 7296 §3.1) or ISAKMP cookie (RFC 2408
// §3.1). Its String is 0x and sixteen lowercase hex digits
// ("0x1122334455667788").
type IKESPI uint64

// String formats the SPI as 0x and sixteen lowercase hex digits.
func (s IKESPI) String() string { return "0x" + hexDigits(uint64(s), 16) }

// hexDigits writes the low n hex digits of v, zero-padded.
func hexDigits(v uint64, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b)
}

// IP protocol numbers of the transports vpnpcap follows (IANA "Assigned
// Internet Protocol Numbers").
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoGRE    = 47
	ProtoESP    = 50
	ProtoAH     = 51
	ProtoICMPv6 = 58
)

// ProtoName names an IP protocol in lowercase as flows and findings show
// it: "udp", "tcp", "gre", "esp", "ah", or "ip-proto-N".
func ProtoName(p uint8) string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoGRE:
		return "gre"
	case ProtoESP:
		return "esp"
	case ProtoAH:
		return "ah"
	}
	return "ip-proto-" + itoa(int(p))
}

// FlagNames names the header flags that are set, in header bit order:
// "initiator", "response", "version" for IKEv2 (RFC 7296 §3.1);
// "encryption", "commit", "auth-only" for IKEv1 (RFC 2408 §3.1). It is
// empty, not nil, when none is set.
func (m *IKEMessage) FlagNames() []string {
	flags := []string{}
	if m.Version == 2 {
		if m.Flags&IKEv2FlagInitiator != 0 {
			flags = append(flags, "initiator")
		}
		if m.Flags&IKEv2FlagResponse != 0 {
			flags = append(flags, "response")
		}
		if m.Flags&IKEv2FlagVersion != 0 {
			flags = append(flags, "version")
		}
		return flags
	}
	if m.Flags&IKEv1FlagEncryption != 0 {
		flags = append(flags, "encryption")
	}
	if m.Flags&IKEv1FlagCommit != 0 {
		flags = append(flags, "commit")
	}
	if m.Flags&IKEv1FlagAuthOnly != 0 {
		flags = append(flags, "auth-only")
	}
	return flags
}

// PayloadAbbrev names a payload of the message as RFC 7296 §1.2 and
// RFC 2409 write exchanges: SA, KE, Ni or Nr (by the message's I flag), N,
// V, SK, SKF(2/3)…; an unknown type is shown by its number.
func (m *IKEMessage) PayloadAbbrev(t PayloadType) string {
	if m.Version == 2 {
		switch t {
		case PayloadTypeNonce:
			if m.IsInitiator() {
				return "Ni"
			}
			return "Nr"
		case PayloadTypeSKF:
			if f := m.Fragment; f != nil {
				return "SKF(" + itoa(int(f.Number)) + "/" + itoa(int(f.Total)) + ")"
			}
			return "SKF"
		}
		if s, ok := payloadAbbrevsV2[t]; ok {
			return s
		}
		return itoa(int(t))
	}
	if s, ok := payloadAbbrevsV1[t]; ok {
		return s
	}
	return itoa(int(t))
}

var (
	payloadAbbrevsV2 = map[PayloadType]string{
		PayloadTypeSA: "SA", PayloadTypeKE: "KE", PayloadTypeIDi: "IDi", PayloadTypeIDr: "IDr",
		PayloadTypeCert: "CERT", PayloadTypeCertReq: "CERTREQ", PayloadTypeAuth: "AUTH", PayloadTypeNotify: "N",
		PayloadTypeDelete: "D", PayloadTypeVendorID: "V", PayloadTypeTSi: "TSi", PayloadTypeTSr: "TSr",
		PayloadTypeSK: "SK", PayloadTypeCP: "CP", PayloadTypeEAP: "EAP",
	}
	payloadAbbrevsV1 = map[PayloadType]string{
		PayloadTypeV1SA: "SA", PayloadTypeV1KE: "KE", PayloadTypeV1ID: "ID", PayloadTypeV1Cert: "CERT",
		PayloadTypeV1CR: "CR", PayloadTypeV1Hash: "HASH", PayloadTypeV1Sig: "SIG", PayloadTypeV1Nonce: "NONCE",
		PayloadTypeV1Notification: "N", PayloadTypeV1Delete: "D", PayloadTypeV1VendorID: "VID",
		PayloadTypeV1Attributes: "ATTR", PayloadTypeV1NATD: "NAT-D", PayloadTypeV1NATDDraft: "NAT-D",
		PayloadTypeV1NATOA: "NAT-OA", PayloadTypeV1NATOADraft: "NAT-OA", PayloadTypeV1CiscoFragment: "FRAG",
	}
)

// Name names the error as users know it: by its code ("Port unreachable",
// "Fragmentation needed"), or by its type where the code has no name of
// its own ("Packet Too Big").
func (e *ICMPError) Name() string {
	if n := e.CodeName(); n != itoa(int(e.Code)) {
		return n
	}
	return e.TypeName()
}

// String describes what a decrypted ESP packet carried, such as
// "192.0.2.17 > 203.0.113.1 icmp echo-request" (tunnel mode) or
// "transport 4500 > 500 udp".
func (in InnerPacket) String() string {
	var b []byte
	// Without its transport header (a non-first fragment, a header cut
	// short) a packet has no ports or ICMP type to name.
	ports := (in.Proto == ProtoTCP || in.Proto == ProtoUDP) && in.Transport
	if in.Tunnel {
		b = append(b, innerEndpoint(in.Src, in.SrcPort, ports)...)
		b = append(b, " > "...)
		b = append(b, innerEndpoint(in.Dst, in.DstPort, ports)...)
	} else {
		b = append(b, "transport"...)
		if ports {
			b = append(b, ' ')
			b = strconv.AppendUint(b, uint64(in.SrcPort), 10)
			b = append(b, " > "...)
			b = strconv.AppendUint(b, uint64(in.DstPort), 10)
		}
	}
	icmp := func(name string, echoRequest, echoReply uint8) {
		b = append(b, ' ')
		b = append(b, name...)
		switch in.ICMPType {
		case echoRequest:
			b = append(b, " echo-request"...)
		case echoReply:
			b = append(b, " echo-reply"...)
		default:
			b = append(b, " type "...)
			b = strconv.AppendUint(b, uint64(in.ICMPType), 10)
			b = append(b, " code "...)
			b = strconv.AppendUint(b, uint64(in.ICMPCode), 10)
		}
	}
	switch {
	case in.Proto == ProtoICMP && !in.Transport:
		b = append(b, " icmp"...)
	case in.Proto == ProtoICMPv6 && !in.Transport:
		b = append(b, " icmpv6"...)
	case in.Proto == ProtoICMP:
		icmp("icmp", 8, 0)
	case in.Proto == ProtoICMPv6:
		icmp("icmpv6", 128, 129)
	case in.Proto == ProtoTCP:
		b = append(b, " tcp"...)
	case in.Proto == ProtoUDP:
		b = append(b, " udp"...)
	default:
		b = append(b, " proto "...)
		b = strconv.AppendUint(b, uint64(in.Proto), 10)
	}
	return string(b)
}

// innerEndpoint shows an address, with its port for protocols that have
// ports, or "-" for no address.
func innerEndpoint(a netip.Addr, port uint16, ports bool) string {
	if !a.IsValid() {
		return "-"
	}
	if !ports {
		return a.String()
	}
	return netip.AddrPortFrom(a, port).String()
}
