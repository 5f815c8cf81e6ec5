package tui

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
)

// span is where a payload lies in the frame: its generic header at start,
// its body from bodyAt to end; body aliases the frame.
type span struct {
	start, bodyAt, end int
	body               []byte
}

// ikeTree describes an IKE message: the header field by field and every
// payload with what it carries (RFC 7296 §3, RFC 2408 §3). b holds the
// message's bytes from its header on, at frame offset base; without them
// (nil) the fields carry no ranges. The payloads' meaning comes from the
// decoded message m, matched to the walk of b payload by payload.
func ikeTree(root *field, m *decode.IKEMessage, b []byte, base int) {
	var h decode.IKE
	ranged := b != nil && h.DecodeFromBytes(b, nil) == nil && h.SPIi == m.SPIi && h.Exchange == m.Exchange
	dir := ""
	if m.Version == 2 {
		dir = " request"
		if m.IsResponse() {
			dir = " response"
		}
	}
	ike := root.add(fmt.Sprintf("Internet Key Exchange version %d: %s%s, message ID %d", m.Version, m.Exchange, dir, m.MessageID), 0, 0)
	ike.open = true
	at := func(f *field, start, end int) *field {
		if ranged {
			f.start, f.end = base+start, base+end
		}
		return f
	}
	if ranged {
		ike.start, ike.end = base, base+decode.IKEHeaderLen+len(h.Payload)
	}
	hdr := at(ike.note("Header"), 0, decode.IKEHeaderLen)
	at(hdr.note("Initiator SPI: "+decode.IKESPI(m.SPIi).String()), 0, 8)
	at(hdr.note("Responder SPI: "+decode.IKESPI(m.SPIr).String()), 8, 16)
	at(hdr.note("Next payload: "+m.NextPayload.String()), 16, 17)
	at(hdr.note(fmt.Sprintf("Version: %d.%d", m.Version, m.MinorVersion)), 17, 18)
	at(hdr.note(fmt.Sprintf("Exchange type: %s (%d)", m.Exchange, uint8(m.Exchange))), 18, 19)
	flags := strings.Join(m.FlagNames(), ", ")
	if flags == "" {
		flags = "none"
	}
	at(hdr.note(fmt.Sprintf("Flags: 0x%02x (%s)", m.Flags, flags)), 19, 20)
	at(hdr.note("Message ID: "+strconv.FormatUint(uint64(m.MessageID), 10)), 20, 24)
	at(hdr.note("Length: "+strconv.FormatUint(uint64(m.Length), 10)), 24, 28)

	if m.Version == 1 && m.Encrypted {
		f := ike.note("Encrypted payloads (first: " + m.EncryptedFirst.String() + "): not decrypted")
		if ranged {
			f.start, f.end = base+decode.IKEHeaderLen, base+decode.IKEHeaderLen+len(h.Payload)
		}
		return
	}
	var spans []span
	if ranged {
		var it decode.PayloadIter
		for it.Reset(h.Payload, h.NextPayload, h.MajorVersion); it.Next(); {
			s := base + it.Offset()
			spans = append(spans, span{start: s, bodyAt: s + 4, end: s + it.Length(), body: it.Body()})
		}
	}
	z := &ikeZip{m: m}
	for i, ps := range m.Payloads {
		var sp *span
		if i < len(spans) && len(spans) == len(m.Payloads) {
			sp = &spans[i]
		}
		f := z.payload(ike, ps, sp)
		if sp != nil {
			f.start, f.end = sp.start, sp.end
		}
	}
}

// ikeZip walks the decoded message's per-type lists in step with its
// payload chain: the k-th Notify payload is m.Notifies[k], and so on.
type ikeZip struct {
	m                                       *decode.IKEMessage
	notify, vid, natd, id, cert, del, natoa int
	tsi, tsr                                int
	sawSA                                   bool
}

// payload describes one payload.
func (z *ikeZip) payload(parent *field, ps decode.PayloadSummary, sp *span) *field {
	m := z.m
	name := ps.Type.String()
	label := func(detail string) *field {
		s := name
		if detail != "" {
			s += ": " + detail
		}
		if ps.Critical {
			s += " (critical)"
		}
		return parent.note(s)
	}
	switch ps.Type {
	case decode.PayloadTypeSA, decode.PayloadTypeV1SA:
		if z.sawSA {
			return label("not decoded (only the first SA payload is)")
		}
		z.sawSA = true
		f := label(strconv.Itoa(len(m.Proposals)) + " proposal" + plural(len(m.Proposals)))
		f.open = true
		saTree(f, m, sp)
		return f
	case decode.PayloadTypeKE, decode.PayloadTypeV1KE:
		if m.KE == nil {
			return label("")
		}
		if m.Version == 2 {
			return label(fmt.Sprintf("group %d (%s), %d bytes", m.KE.Group,
				decode.TransformIDName(2, 0, decode.TransformTypeKE, m.KE.Group), m.KE.Length))
		}
		return label(strconv.Itoa(m.KE.Length) + " bytes")
	case decode.PayloadTypeNonce, decode.PayloadTypeV1Nonce:
		return label(strconv.Itoa(len(m.Nonce)) + " bytes")
	case decode.PayloadTypeIDi, decode.PayloadTypeIDr, decode.PayloadTypeV1ID:
		if z.id >= len(m.IDs) {
			return label("")
		}
		id := m.IDs[z.id]
		z.id++
		return label(decode.IDTypeName(m.Version, id.IDType) + " " + idValue(id))
	case decode.PayloadTypeCert, decode.PayloadTypeV1Cert:
		if z.cert >= len(m.Certs) {
			return label("")
		}
		c := m.Certs[z.cert]
		z.cert++
		return label(fmt.Sprintf("encoding %d, %d bytes", c.Encoding, c.Length))
	case decode.PayloadTypeAuth:
		return label(authMethod(m.AuthMethod))
	case decode.PayloadTypeNotify, decode.PayloadTypeV1Notification:
		if z.notify >= len(m.Notifies) {
			return label("")
		}
		n := m.Notifies[z.notify]
		z.notify++
		detail := n.Type.Name(m.Version) + " (" + strconv.Itoa(int(n.Type)) + ")"
		if len(n.SPI) > 0 {
			detail += ", " + n.Protocol.Name(m.Version) + " SPI " + shortHex(n.SPI)
		}
		if m.Version == 2 && (n.Type == decode.NotifyTypeNATDetectionSourceIP || n.Type == decode.NotifyTypeNATDetectionDestinationIP) {
			f := label(detail)
			z.natdNode(f)
			f.open = true
			return f
		}
		f := label(detail)
		if n.Type.IsError() {
			f.tone = toneBad
		}
		if len(n.Data) > 0 {
			f.note("Data: " + shortHex(n.Data))
		}
		return f
	case decode.PayloadTypeDelete, decode.PayloadTypeV1Delete:
		if z.del >= len(m.Deletes) {
			return label("")
		}
		d := m.Deletes[z.del]
		z.del++
		return label(fmt.Sprintf("%s, %d SPI%s", d.Protocol.Name(m.Version), len(d.SPIs), plural(len(d.SPIs))))
	case decode.PayloadTypeVendorID, decode.PayloadTypeV1VendorID:
		if z.vid >= len(m.VendorIDs) {
			return label("")
		}
		v := m.VendorIDs[z.vid]
		z.vid++
		if v.Name != "" {
			return label(v.Name)
		}
		return label("unknown " + shortHex(v.Data))
	case decode.PayloadTypeTSi, decode.PayloadTypeTSr:
		ini := ps.Type == decode.PayloadTypeTSi
		var sel []decode.TrafficSelector
		for _, ts := range m.TS {
			if ts.Initiator == ini {
				sel = append(sel, ts)
			}
		}
		f := label(strconv.Itoa(len(sel)) + " selector" + plural(len(sel)))
		for _, ts := range sel {
			f.note(trafficSelector(ts))
		}
		return f
	case decode.PayloadTypeSK:
		n := ps.Length - 4
		return label(fmt.Sprintf("%d bytes, first payload inside: %s (not decrypted)", n, m.EncryptedFirst))
	case decode.PayloadTypeSKF:
		if f := m.Fragment; f != nil {
			return label(fmt.Sprintf("fragment %d of %d, first payload inside: %s (not decrypted)", f.Number, f.Total, m.EncryptedFirst))
		}
		return label("not decrypted")
	case decode.PayloadTypeCP, decode.PayloadTypeV1Attributes:
		if m.Config == nil {
			return label("")
		}
		return label(fmt.Sprintf("type %d, %d attribute%s", m.Config.Type, len(m.Config.Attributes), plural(len(m.Config.Attributes))))
	case decode.PayloadTypeEAP:
		if m.EAP == nil {
			return label("")
		}
		return label(fmt.Sprintf("code %d, identifier %d, type %d", m.EAP.Code, m.EAP.Identifier, m.EAP.Type))
	case decode.PayloadTypeV1NATD, decode.PayloadTypeV1NATDDraft:
		f := label("")
		z.natdNode(f)
		f.open = true
		return f
	case decode.PayloadTypeV1NATOA, decode.PayloadTypeV1NATOADraft:
		if z.natoa >= len(m.NATOA) {
			return label("")
		}
		oa := m.NATOA[z.natoa]
		z.natoa++
		if a, ok := netip.AddrFromSlice(oa.Addr); ok {
			return label("original address " + a.String())
		}
		return label(shortHex(oa.Addr))
	case decode.PayloadTypeV1CiscoFragment:
		if f := m.Fragment; f != nil {
			last := ""
			if f.Last {
				last = ", the last"
			}
			return label(fmt.Sprintf("fragment %d of message %d%s", f.Number, f.ID, last))
		}
	}
	return label(strconv.Itoa(ps.Length-4) + " bytes")
}

// natdNode adds the next NAT-D hash's verification under f: whether the
// hash matches the address and port this capture shows (RFC 7296 §2.23,
// RFC 3947 §3.2).
func (z *ikeZip) natdNode(f *field) {
	if z.natd >= len(z.m.NATD) {
		return
	}
	n := z.m.NATD[z.natd]
	z.natd++
	whose := "the sender's"
	if n.Kind == decode.NATDDestination {
		whose = "the receiver's"
	}
	var verdict string
	switch {
	case n.Match == decode.NATDMatched:
		verdict = "matches the captured tuple: no NAT changed " + whose + " address and port before this capture point"
		f.tone = toneGood
	case n.Match == decode.NATDMismatch && n.PortZero:
		verdict = "matches the captured tuple with port 0: a faked NAT-D that forces UDP encapsulation"
		f.tone = toneBad
	case n.Match == decode.NATDMismatch:
		verdict = "MISMATCH: a NAT changed " + whose + " address or port"
		f.tone = toneBad
	default:
		verdict = "not verified (the hash algorithm is not known yet)"
	}
	f.label += " — hash of " + whose + " address and port " + verdict
	f.note("Hash: " + shortHex(n.Hash))
}

// saTree adds the proposals, transforms and attributes of the first SA
// payload under f, with their ranges when sp holds the payload's bytes.
func saTree(f *field, m *decode.IKEMessage, sp *span) {
	var body []byte
	pos, at := 0, 0
	if sp != nil {
		body, at = sp.body, sp.bodyAt
		if m.Version == 1 {
			// DOI and situation; a labeled-domain situation has more,
			// which this walk does not follow (then no ranges).
			pos = 8
			f.add(fmt.Sprintf("DOI %d, situation 0x%x", m.DOI, m.Situation), at, at+8)
			if m.Situation&0x6 != 0 {
				body = nil
			}
		}
	}
	u16 := func(i int) (int, bool) {
		if body == nil || i < 0 || i+2 > len(body) {
			return 0, false
		}
		return int(binary.BigEndian.Uint16(body[i:])), true
	}
	for _, p := range m.Proposals {
		spi := ""
		if len(p.SPI) > 0 {
			spi = ", SPI " + shortHex(p.SPI)
		}
		pf := f.note(fmt.Sprintf("Proposal %d: %s%s, %d transform%s", p.Number, p.Protocol.Name(m.Version), spi, len(p.Transforms), plural(len(p.Transforms))))
		pf.open = true
		plen, ok := u16(pos + 2)
		if !ok || plen < 8 || pos+plen > len(body) || pos+8 > len(body) {
			body = nil
		} else {
			pf.start, pf.end = at+pos, at+pos+plen
		}
		tpos := pos + 8
		if body != nil {
			tpos += int(body[pos+6])
		}
		for _, t := range p.Transforms {
			tf := pf.note(transformLabel(m.Version, p.Protocol, t))
			tlen, ok := u16(tpos + 2)
			if !ok || tlen < 8 || tpos+tlen > pos+plen {
				body = nil
			} else {
				tf.start, tf.end = at+tpos, at+tpos+tlen
			}
			apos := tpos + 8
			for _, a := range t.Attributes {
				af := tf.note(attributeLabel(m.Version, p.Protocol, a))
				word, ok := u16(apos)
				if !ok {
					body = nil
					continue
				}
				alen := 4
				if word&0x8000 == 0 {
					n, ok := u16(apos + 2)
					if !ok {
						body = nil
						continue
					}
					alen += n
				}
				if apos+alen > tpos+tlen {
					body = nil
					continue
				}
				af.start, af.end = at+apos, at+apos+alen
				apos += alen
			}
			tpos += tlen
		}
		pos += plen
	}
}

// transformLabel names a transform: "ENCR: ENCR_AES_CBC" (IKEv2) or
// "Transform 1: KEY_IKE" (IKEv1, whose algorithms are attributes).
func transformLabel(version uint8, proto decode.ProtocolID, t decode.Transform) string {
	id := decode.TransformIDName(version, proto, t.Type, t.ID)
	if version == 1 {
		return fmt.Sprintf("Transform %d: %s", t.Number, id)
	}
	name := t.Type.String()
	if i := strings.LastIndexByte(name, '('); i >= 0 && strings.HasSuffix(name, ")") {
		name = name[i+1 : len(name)-1]
	}
	return name + ": " + id
}

// attributeLabel shows an SA attribute by name and value.
func attributeLabel(version uint8, proto decode.ProtocolID, a decode.Attribute) string {
	v := decode.AttributeValueName(version, proto, a.Type&0x7fff, a.Value)
	if a.Data != nil {
		v = shortHex(a.Data)
	}
	return decode.AttributeName(version, proto, a.Type&0x7fff) + ": " + v
}

// idValue shows an identification's data: addresses as addresses, names as
// text.
func idValue(id decode.Identification) string {
	switch id.IDType {
	case 1, 5: // ID_IPV4_ADDR, ID_IPV6_ADDR
		if a, ok := netip.AddrFromSlice(id.Data); ok {
			return a.String()
		}
	}
	return printable(id.Data)
}

// authMethod names an IKEv2 authentication method (RFC 7296 §3.8, RFC 7427
// for 14).
func authMethod(m uint8) string {
	names := map[uint8]string{1: "RSA Digital Signature", 2: "Shared Key Message Integrity Code",
		3: "DSS Digital Signature", 9: "ECDSA with SHA-256 on the P-256 curve", 10: "ECDSA with SHA-384 on the P-384 curve",
		11: "ECDSA with SHA-512 on the P-521 curve", 12: "Generic Secure Password Authentication Method",
		13: "NULL Authentication", 14: "Digital Signature"}
	if n, ok := names[m]; ok {
		return n + " (" + strconv.Itoa(int(m)) + ")"
	}
	return "method " + strconv.Itoa(int(m))
}

// trafficSelector shows a traffic selector (RFC 7296 §3.13.1).
func trafficSelector(ts decode.TrafficSelector) string {
	addr := func(b []byte) string {
		if a, ok := netip.AddrFromSlice(b); ok {
			return a.String()
		}
		return shortHex(b)
	}
	proto := "any protocol"
	if ts.Protocol != 0 {
		proto = "protocol " + strconv.Itoa(int(ts.Protocol))
	}
	return fmt.Sprintf("%s – %s, ports %d–%d, %s", addr(ts.Start), addr(ts.End), ts.StartPort, ts.EndPort, proto)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
