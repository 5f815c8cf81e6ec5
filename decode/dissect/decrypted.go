package dissect

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
)

// DecryptedPayloads says in a line what the keys revealed inside an IKE
// message's encryption: its decrypted payloads in RFC 7296 notation, in
// order, each with what it carries where that fits a line —
// `IDi("client.example.org") AUTH(Shared Key Message Integrity Code)
// SA(ESP 0x1f249f2c) TSi(0.0.0.0/0) N(AUTHENTICATION_FAILED)`. It returns
// "" when nothing was decrypted: no keys, no key for the SA, a fragment
// of a message not yet complete, or a failure (see DecryptFailure).
func DecryptedPayloads(m *decode.IKEMessage) string {
	if m == nil || m.Decryption == nil || m.Decryption.Status != decode.Decrypted {
		return ""
	}
	parts := make([]string, 0, len(m.Decryption.Payloads))
	for _, s := range m.Decryption.Payloads {
		name := m.PayloadAbbrev(s.Type)
		if what := payloadContent(m, s); what != "" {
			name += "(" + what + ")"
		}
		parts = append(parts, name)
	}
	if len(parts) == 0 {
		return "no payload"
	}
	return strings.Join(parts, " ")
}

// DecryptFailure says why the keys given did not open an IKE message or
// an ESP packet (a wrong key, a malformed plaintext), or returns "": when
// it decrypted, when no keys were given, and when none was for its SA.
func DecryptFailure(p *decode.Packet) string {
	switch {
	case p.IKE != nil && p.IKE.Decryption != nil && p.IKE.Decryption.Status == decode.DecryptFailed:
		return p.IKE.Decryption.Reason
	case p.Decrypted != nil && p.Decrypted.Status == decode.DecryptFailed:
		return p.Decrypted.Reason
	}
	return ""
}

// payloadContent is what a decrypted payload carries, in a few words, or
// "" where its name says all (HASH, Nonce, KE) or its content was not
// kept.
func payloadContent(m *decode.IKEMessage, s decode.PayloadSummary) string {
	in := func(n int) bool { return s.Entry >= 0 && s.Entry < n }
	switch s.Type {
	case decode.PayloadTypeIDi, decode.PayloadTypeIDr, decode.PayloadTypeV1ID:
		if in(len(m.IDs)) {
			return idValue(m.IDs[s.Entry])
		}
	case decode.PayloadTypeAuth:
		if s.Entry == 0 {
			return decode.AuthMethodName(m.AuthMethod)
		}
	case decode.PayloadTypeSA, decode.PayloadTypeV1SA:
		if s.Entry == 0 {
			return proposals(m)
		}
	case decode.PayloadTypeTSi, decode.PayloadTypeTSr:
		if in(len(m.TS)) {
			return selectors(m, s)
		}
	case decode.PayloadTypeNotify, decode.PayloadTypeV1Notification:
		if in(len(m.Notifies)) {
			n := m.Notifies[s.Entry]
			what := n.Type.Name(m.Version)
			if len(n.SPI) > 0 {
				what += " " + n.Protocol.Name(m.Version) + " " + spiText(n.SPI)
			}
			return what
		}
	case decode.PayloadTypeDelete, decode.PayloadTypeV1Delete:
		if in(len(m.Deletes)) {
			d := m.Deletes[s.Entry]
			what := d.Protocol.Name(m.Version)
			for i, spi := range d.SPIs {
				if i == 0 {
					what += " "
				} else {
					what += ", "
				}
				what += spiText(spi)
			}
			return what
		}
	case decode.PayloadTypeCP, decode.PayloadTypeV1Attributes:
		if c := m.Config; s.Entry == 0 && c != nil {
			what := decode.ConfigTypeName(c.Type)
			for _, a := range c.Attributes {
				if addr := configAddress(a); addr != "" {
					what += " " + addr
				}
			}
			return what
		}
	case decode.PayloadTypeEAP:
		if e := m.EAP; s.Entry == 0 && e != nil {
			return decode.EAPCodeName(e.Code)
		}
	case decode.PayloadTypeVendorID, decode.PayloadTypeV1VendorID:
		if in(len(m.VendorIDs)) && m.VendorIDs[s.Entry].Name != "" {
			return m.VendorIDs[s.Entry].Name
		}
	}
	return ""
}

// proposals names what the first SA payload's proposals are for: their
// protocol and SPI, each once ("ESP 0x1f249f2c").
func proposals(m *decode.IKEMessage) string {
	var seen []string
	for _, p := range m.Proposals {
		what := p.Protocol.Name(m.Version)
		if len(p.SPI) > 0 {
			what += " " + spiText(p.SPI)
		}
		if !slices.Contains(seen, what) {
			seen = append(seen, what)
		}
	}
	return strings.Join(seen, ", ")
}

// selectors shows the traffic selectors of a TSi or TSr payload in short:
// an address, a prefix or a range, with the protocol and ports when they
// are not any.
func selectors(m *decode.IKEMessage, s decode.PayloadSummary) string {
	ini := s.Type == decode.PayloadTypeTSi
	var out []string
	for _, ts := range m.TS[s.Entry:] {
		if ts.Initiator != ini {
			break
		}
		out = append(out, shortSelector(ts))
	}
	return strings.Join(out, ", ")
}

// shortSelector shows one traffic selector: "10.0.0.0/24", "192.0.2.17",
// "10.0.0.1-10.0.0.9", then "UDP 500" or "TCP 1000-2000" when it names a
// protocol or ports.
func shortSelector(ts decode.TrafficSelector) string {
	start, ok1 := netip.AddrFromSlice(ts.Start)
	end, ok2 := netip.AddrFromSlice(ts.End)
	var what string
	switch {
	case !ok1 || !ok2 || start.BitLen() != end.BitLen():
		what = shortHex(ts.Start) + "-" + shortHex(ts.End)
	case start == end:
		what = start.String()
	default:
		what = start.String() + "-" + end.String()
		if p, ok := rangePrefix(start, end); ok {
			what = p.String()
		}
	}
	if ts.Protocol != 0 {
		what += " " + protocolName(ts.Protocol)
	}
	if ts.StartPort != 0 || ts.EndPort != 0xffff {
		what += " " + strconv.Itoa(int(ts.StartPort))
		if ts.EndPort != ts.StartPort {
			what += "-" + strconv.Itoa(int(ts.EndPort))
		}
	}
	return what
}

// rangePrefix returns the prefix that covers exactly the addresses from
// start to end, if one does.
func rangePrefix(start, end netip.Addr) (netip.Prefix, bool) {
	for bits := 0; bits <= start.BitLen(); bits++ {
		p, err := start.Prefix(bits)
		if err != nil || p.Addr() != start {
			continue
		}
		if lastAddr(p) == end {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// lastAddr returns the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		host := p.Bits() - i*8 // the bits of byte i that are the prefix's
		switch {
		case host <= 0:
			b[i] = 0xff
		case host < 8:
			b[i] |= 0xff >> host
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
