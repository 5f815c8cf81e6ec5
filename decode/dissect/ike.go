package dissect

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
)

// ikeAfterUDP lays out the UDP 4500 split (RFC 3948 §2.2) in front of an
// IKE message, and the message.
func (b *builder) ikeAfterUDP(parent *Node, start, end int) {
	p := b.p
	switch {
	case p.NonESPMarker:
		label, value := "Non-ESP marker (RFC 3948 §2.2)", "00 00 00 00"
		if bs := b.span(start, start+4); bs != nil && be32(bs) == 0 {
			parent.at(label, value, start, start+4)
		} else {
			parent.field(label, value)
		}
		start += 4
	case p.MissingMarker:
		n := parent.field("No non-ESP marker", "on UDP 4500 a receiver reads this as ESP (RFC 3948 §2.2)")
		n.Tone = Bad
	}
	b.ike(parent, p.IKE, start, end)
}

// ike lays out an IKE message (RFC 7296 §3, RFC 2408 §3) whose bytes are
// [start, end) of the frame: the header field by field and every payload
// with what it carries. The payloads' meaning comes from the decoded
// message, which places them ([decode.PayloadSummary]); the bytes are used
// only when they hold that message.
func (b *builder) ike(parent *Node, m *decode.IKEMessage, start, end int) {
	var h decode.IKE
	bs := b.span(start, end)
	ranged := bs != nil && h.DecodeFromBytes(bs, nil) == nil && h.SPIi == m.SPIi && h.SPIr == m.SPIr &&
		h.Exchange == m.Exchange && h.MessageID == m.MessageID
	dir := ""
	if m.Version == 2 {
		dir = " request"
		if m.IsResponse() {
			dir = " response"
		}
	}
	n := parent.field("Internet Key Exchange version "+strconv.Itoa(int(m.Version)),
		m.Exchange.String()+dir+", message ID "+strconv.FormatUint(uint64(m.MessageID), 10))
	n.Open = true
	if ranged {
		n.place(parent, start, start+decode.IKEHeaderLen+len(h.Payload))
	}
	hdr := n.at("Header", "", start, start+decode.IKEHeaderLen)
	hdr.at("Initiator SPI", decode.IKESPI(m.SPIi).String(), start, start+8)
	hdr.at("Responder SPI", decode.IKESPI(m.SPIr).String(), start+8, start+16)
	hdr.at("Next payload", m.NextPayload.String(), start+16, start+17)
	hdr.at("Version", strconv.Itoa(int(m.Version))+"."+strconv.Itoa(int(m.MinorVersion)), start+17, start+18)
	hdr.at("Exchange type", m.Exchange.String()+" ("+strconv.Itoa(int(m.Exchange))+")", start+18, start+19)
	flags := strings.Join(m.FlagNames(), ", ")
	if flags == "" {
		flags = "none"
	}
	hdr.at("Flags", "0x"+hex8(m.Flags)+" ("+flags+")", start+19, start+20)
	hdr.at("Message ID", strconv.FormatUint(uint64(m.MessageID), 10), start+20, start+24)
	hdr.at("Length", strconv.FormatUint(uint64(m.Length), 10), start+24, start+28)

	t := &ikeTree{b: b, m: m}
	if m.Version == 1 && m.Encrypted {
		e := n.at("Encrypted payloads", "first: "+m.EncryptedFirst.String(), start+decode.IKEHeaderLen, n.End)
		t.decryption(e)
		return
	}
	for _, s := range m.Payloads {
		at := -1
		if n.HasBytes() {
			at = start + s.Offset
		}
		t.payload(n, s, at)
	}
}

// ikeTree lays out the payloads of one message.
type ikeTree struct {
	b *builder
	m *decode.IKEMessage
}

// payload lays out payload s under parent; its generic header lies at
// frame offset at, or nowhere in the frame when at is negative (a
// decrypted payload, a message without its bytes).
func (t *ikeTree) payload(parent *Node, s decode.PayloadSummary, at int) *Node {
	m := t.m
	label := s.Type.String()
	if s.Critical {
		label += " (critical)"
	}
	n := parent.field(label, "")
	if at >= 0 {
		n.place(parent, at, at+s.Length)
	}
	// body is the payload after its generic header, bat its frame offset;
	// nil when the payload is not on the frame's bytes.
	var body []byte
	bat := n.Start + 4
	if n.HasBytes() {
		body = t.b.data[bat:n.End]
	}
	list := func(length int) bool { return s.Entry >= 0 && s.Entry < length }
	switch s.Type {
	case decode.PayloadTypeSA, decode.PayloadTypeV1SA:
		if s.Entry != 0 {
			n.Value = "not decoded (only the first SA payload is)"
			break
		}
		n.Value = count(len(m.Proposals), "proposal")
		n.Open = true
		saTree(n, m, body, bat)
	case decode.PayloadTypeKE, decode.PayloadTypeV1KE:
		switch {
		case s.Entry != 0 || m.KE == nil:
			n.Value = strconv.Itoa(s.Length-4) + " bytes"
		case m.Version == 2:
			n.Value = "group " + strconv.Itoa(int(m.KE.Group)) + " (" +
				decode.TransformIDName(2, 0, decode.TransformTypeKE, m.KE.Group) + "), " + strconv.Itoa(m.KE.Length) + " bytes"
			n.at("Group", strconv.Itoa(int(m.KE.Group)), bat, bat+2)
			n.at("Key exchange data", strconv.Itoa(m.KE.Length)+" bytes", bat+4, n.End)
		default:
			n.Value = strconv.Itoa(m.KE.Length) + " bytes"
		}
	case decode.PayloadTypeNonce, decode.PayloadTypeV1Nonce:
		n.Value = strconv.Itoa(s.Length-4) + " bytes"
		if s.Entry == 0 {
			n.at("Nonce data", shortHex(m.Nonce), bat, n.End)
		}
	case decode.PayloadTypeIDi, decode.PayloadTypeIDr, decode.PayloadTypeV1ID:
		if list(len(m.IDs)) {
			t.identification(n, m.IDs[s.Entry], bat)
		}
	case decode.PayloadTypeCert, decode.PayloadTypeV1Cert:
		if list(len(m.Certs)) {
			c := m.Certs[s.Entry]
			n.Value = decode.CertEncodingName(c.Encoding) + ", " + strconv.Itoa(c.Length) + " bytes"
			n.at("Encoding", decode.CertEncodingName(c.Encoding)+" ("+strconv.Itoa(int(c.Encoding))+")", bat, bat+1)
			n.at("Certificate data", strconv.Itoa(c.Length)+" bytes", bat+1, n.End)
		}
	case decode.PayloadTypeCertReq, decode.PayloadTypeV1CR:
		n.Value = strconv.Itoa(s.Length-4) + " bytes"
		if len(body) >= 1 {
			n.Value = decode.CertEncodingName(body[0]) + ", " + strconv.Itoa(len(body)-1) + " bytes of certification authorities"
		}
	case decode.PayloadTypeAuth:
		if s.Entry == 0 {
			n.Value = decode.AuthMethodName(m.AuthMethod) + " (" + strconv.Itoa(int(m.AuthMethod)) + ")"
			n.at("Authentication method", n.Value, bat, bat+1)
			n.at("Authentication data", strconv.Itoa(s.Length-8)+" bytes", bat+4, n.End)
		}
	case decode.PayloadTypeNotify, decode.PayloadTypeV1Notification:
		if list(len(m.Notifies)) {
			t.notify(n, s, body, bat)
		}
	case decode.PayloadTypeDelete, decode.PayloadTypeV1Delete:
		if list(len(m.Deletes)) {
			d := m.Deletes[s.Entry]
			n.Value = d.Protocol.Name(m.Version) + ", " + count(len(d.SPIs), "SPI")
			// The SPIs follow Protocol ID, SPI Size and the count (RFC 7296
			// §3.11), and a DOI before them in IKEv1 (RFC 2408 §3.15).
			pos := bat + 4
			if m.Version == 1 {
				pos += 4
			}
			for _, spi := range d.SPIs {
				n.at("SPI", spiText(spi), pos, pos+len(spi))
				pos += len(spi)
			}
		}
	case decode.PayloadTypeVendorID, decode.PayloadTypeV1VendorID:
		if list(len(m.VendorIDs)) {
			v := m.VendorIDs[s.Entry]
			if v.Name != "" {
				n.Value = v.Name
			} else {
				n.Value = "unknown " + shortHex(v.Data)
			}
		}
	case decode.PayloadTypeTSi, decode.PayloadTypeTSr:
		if list(len(m.TS)) {
			ini := s.Type == decode.PayloadTypeTSi
			var sel []decode.TrafficSelector
			for _, ts := range m.TS[s.Entry:] {
				if ts.Initiator != ini || len(body) >= 1 && len(sel) == int(body[0]) {
					break
				}
				sel = append(sel, ts)
			}
			n.Value = count(len(sel), "selector")
			for _, ts := range sel {
				n.field("Selector", trafficSelector(ts))
			}
		}
	case decode.PayloadTypeSK:
		n.Value = strconv.Itoa(s.Length-4) + " bytes, first payload inside: " + m.EncryptedFirst.String()
		t.decryption(n)
	case decode.PayloadTypeSKF:
		n.Value = "first payload inside: " + m.EncryptedFirst.String()
		if f := m.Fragment; f != nil && s.Entry == 0 {
			n.Value = "fragment " + strconv.Itoa(int(f.Number)) + " of " + strconv.Itoa(int(f.Total)) + ", " + n.Value
			n.at("Fragment number", strconv.Itoa(int(f.Number)), bat, bat+2)
			n.at("Total fragments", strconv.Itoa(int(f.Total)), bat+2, bat+4)
		}
		t.decryption(n)
	case decode.PayloadTypeCP, decode.PayloadTypeV1Attributes:
		if s.Entry == 0 && m.Config != nil {
			c := m.Config
			n.Value = decode.ConfigTypeName(c.Type) + ", " + count(len(c.Attributes), "attribute")
			for _, a := range c.Attributes {
				v := strconv.Itoa(a.Length) + " bytes"
				switch {
				case a.Value == nil && a.Length > 0:
					v += ", not kept (a secret)"
				case configAddress(a) != "":
					v = configAddress(a)
				case len(a.Value) > 0:
					v += ": " + shortHex(a.Value)
				}
				n.field(decode.ConfigAttributeName(m.Version, a.Type), v)
			}
		}
	case decode.PayloadTypeEAP:
		if s.Entry == 0 && m.EAP != nil {
			e := m.EAP
			n.Value = decode.EAPCodeName(e.Code) + ", identifier " + strconv.Itoa(int(e.Identifier))
			if e.Type != 0 {
				n.Value += ", type " + strconv.Itoa(int(e.Type))
			}
		}
	case decode.PayloadTypeV1NATD, decode.PayloadTypeV1NATDDraft, 15:
		if d := m.NATDOf(s); d != nil {
			natd(n, d, bat)
		}
	case decode.PayloadTypeV1NATOA, decode.PayloadTypeV1NATOADraft, 16:
		if list(len(m.NATOA)) {
			oa := m.NATOA[s.Entry]
			if a, ok := netip.AddrFromSlice(oa.Addr); ok {
				n.Value = "original address " + a.String()
			} else {
				n.Value = shortHex(oa.Addr)
			}
		}
	case decode.PayloadTypeV1CiscoFragment:
		if f := m.Fragment; f != nil && s.Entry == 0 {
			n.Value = "fragment " + strconv.Itoa(int(f.Number)) + " of message " + strconv.Itoa(int(f.ID))
			if f.Last {
				n.Value += ", the last"
			}
		}
	}
	if n.Value == "" {
		n.Value = strconv.Itoa(s.Length-4) + " bytes"
	}
	return n
}

// configAddress shows the address a configuration attribute assigns
// (INTERNAL_IP4_ADDRESS, _DNS, _NBNS, _DHCP; the IPv6 ones, whose value may
// carry a prefix length after the address), or returns "".
func configAddress(a decode.ConfigAttribute) string {
	switch {
	case (a.Type == 1 || a.Type == 3 || a.Type == 4 || a.Type == 6) && len(a.Value) == 4,
		(a.Type == 8 || a.Type == 10 || a.Type == 11 || a.Type == 12) && (len(a.Value) == 16 || len(a.Value) == 17):
		addr, _ := netip.AddrFromSlice(a.Value[:len(a.Value)/4*4])
		return addr.String()
	}
	return ""
}

// identification shows an ID payload.
func (t *ikeTree) identification(n *Node, id decode.Identification, bat int) {
	n.Value = decode.IDTypeName(t.m.Version, id.IDType) + " " + idValue(id)
	n.at("ID type", decode.IDTypeName(t.m.Version, id.IDType)+" ("+strconv.Itoa(int(id.IDType))+")", bat, bat+1)
	if t.m.Version == 1 && (id.Protocol != 0 || id.Port != 0) {
		n.at("Protocol and port", protocolName(id.Protocol)+" ("+strconv.Itoa(int(id.Protocol))+"), port "+strconv.Itoa(int(id.Port)), bat+1, bat+4)
	}
	n.at("Identification data", idValue(id), bat+4, n.End)
}

// notify shows a Notification (IKEv1) or Notify (IKEv2) payload, with the
// verification of a NAT-D hash it carries.
func (t *ikeTree) notify(n *Node, s decode.PayloadSummary, body []byte, bat int) {
	m := t.m
	x := m.Notifies[s.Entry]
	n.Value = x.Type.Name(m.Version) + " (" + strconv.Itoa(int(x.Type)) + ")"
	if len(x.SPI) > 0 {
		n.Value += ", " + x.Protocol.Name(m.Version) + " SPI " + spiText(x.SPI)
	}
	// The SPI and data follow the fixed fields: Protocol ID, SPI Size and
	// Notify Message Type in IKEv2 (RFC 7296 §3.10), a DOI before them in
	// IKEv1 (RFC 2408 §3.14).
	fixed := 4
	if m.Version == 1 {
		fixed = 8
	}
	spiAt := bat + fixed
	dataAt := spiAt + len(x.SPI)
	if len(x.SPI) > 0 {
		n.at("SPI", spiText(x.SPI), spiAt, dataAt)
	}
	if d := m.NATDOf(s); d != nil {
		natd(n, d, dataAt)
		return
	}
	if x.Type.IsError() {
		n.Tone = Bad
	}
	if len(x.Data) > 0 {
		n.at("Data", shortHex(x.Data), dataAt, n.End)
	}
}

// natd shows a NAT-D hash and its verification against the captured
// addresses and ports (RFC 7296 §2.23, RFC 3947 §3.2); the hash lies at
// frame offset at.
func natd(n *Node, d *decode.NATD, at int) {
	whose := "the sender's"
	if d.Kind == decode.NATDDestination {
		whose = "the receiver's"
	}
	var verdict string
	switch {
	case d.Match == decode.NATDMatched:
		verdict = "matches the captured tuple: no NAT changed " + whose + " address and port before this capture point"
		n.Tone = Good
	case d.Match == decode.NATDMismatch && d.PortZero:
		verdict = "matches the captured tuple with port 0: a faked NAT-D that forces UDP encapsulation"
		n.Tone = Bad
	case d.Match == decode.NATDMismatch:
		verdict = "MISMATCH: a NAT changed " + whose + " address or port before this capture point"
		n.Tone = Bad
	default:
		verdict = "not verified: the hash algorithm is not known yet (IKEv1 learns it from the SA payload)"
	}
	n.note("Hash of " + whose + " address and port: " + verdict + ".")
	n.Open = true
	n.at("Hash", shortHex(d.Hash), at, n.End)
}

// decryption shows what the keys made of a message's encrypted part, and
// the payloads they decrypted, without bytes: those are in no frame.
func (t *ikeTree) decryption(n *Node) {
	d := t.m.Decryption
	switch {
	case d == nil:
		n.Value += " (not decrypted)"
	case d.Status == decode.Decrypted:
		v := "with the key of " + d.Key.String()
		if d.Fragments > 0 {
			v += ", reassembled from " + strconv.Itoa(d.Fragments) + " fragments"
		}
		c := n.field("Decrypted", v)
		c.Open = true
		n.Open = true
		for _, s := range d.Payloads {
			t.payload(c, s, -1)
		}
	case d.Status == decode.DecryptFragment:
		n.field("Decrypted", "this fragment, with the key of "+d.Key.String()+"; the message is shown at the fragment that completes it")
	case d.Status == decode.DecryptNoKey:
		n.field("Not decrypted", d.Reason)
	default:
		c := n.field("Not decrypted", d.Reason)
		c.Tone = Bad
	}
}

// saTree adds the proposals, transforms and attributes of the first SA
// payload under n. body holds the payload after its generic header, at
// frame offset at, or is nil; the walk of body places the substructures,
// whose meaning comes from the decoded message.
func saTree(n *Node, m *decode.IKEMessage, body []byte, at int) {
	pos := 0
	if m.Version == 1 {
		// DOI and situation; a labeled-domain situation has more, which
		// this walk does not follow (then no ranges).
		n.at("DOI and situation", strconv.FormatUint(uint64(m.DOI), 10)+", 0x"+strconv.FormatUint(uint64(m.Situation), 16), at, at+8)
		pos = 8
		if m.Situation&0x6 != 0 {
			body = nil
		}
	}
	u16 := func(i int) (int, bool) {
		if body == nil || i < 0 || i+2 > len(body) {
			return 0, false
		}
		return int(be16(body[i:])), true
	}
	for _, p := range m.Proposals {
		v := p.Protocol.Name(m.Version)
		if len(p.SPI) > 0 {
			v += ", SPI " + spiText(p.SPI)
		}
		pf := n.field("Proposal "+strconv.Itoa(int(p.Number)), v+", "+count(len(p.Transforms), "transform"))
		pf.Open = true
		plen, ok := u16(pos + 2)
		if !ok || plen < 8 || pos+plen > len(body) {
			body = nil
		} else {
			pf.place(n, at+pos, at+pos+plen)
		}
		tpos := pos + 8
		if body != nil {
			tpos += int(body[pos+6])
		}
		for _, x := range p.Transforms {
			tf := pf.field(transformLabel(m.Version, p.Protocol, x))
			tlen, ok := u16(tpos + 2)
			if !ok || tlen < 8 || tpos+tlen > pos+plen {
				body = nil
			} else {
				tf.place(pf, at+tpos, at+tpos+tlen)
			}
			apos := tpos + 8
			for _, a := range x.Attributes {
				af := tf.field(decode.AttributeName(m.Version, p.Protocol, a.Type&0x7fff), attributeValue(m.Version, p.Protocol, a))
				word, ok := u16(apos)
				if !ok {
					body = nil
					continue
				}
				alen := 4
				if word&0x8000 == 0 {
					l, ok := u16(apos + 2)
					if !ok {
						body = nil
						continue
					}
					alen += l
				}
				af.place(tf, at+apos, at+apos+alen)
				apos += alen
			}
			tpos += tlen
		}
		pos += plen
	}
}

// transformLabel names a transform: "ENCR" and "ENCR_AES_CBC" (IKEv2), or
// "Transform 1" and "KEY_IKE" (IKEv1, whose algorithms are attributes).
func transformLabel(version uint8, proto decode.ProtocolID, x decode.Transform) (string, string) {
	id := decode.TransformIDName(version, proto, x.Type, x.ID)
	if version == 1 {
		return "Transform " + strconv.Itoa(int(x.Number)), id
	}
	name := x.Type.String()
	if i := strings.LastIndexByte(name, '('); i >= 0 && strings.HasSuffix(name, ")") {
		name = name[i+1 : len(name)-1]
	}
	return name, id
}

// attributeValue shows an SA attribute's value by name where the registry
// has one.
func attributeValue(version uint8, proto decode.ProtocolID, a decode.Attribute) string {
	if a.Data != nil {
		return shortHex(a.Data)
	}
	return decode.AttributeValueName(version, proto, a.Type&0x7fff, a.Value)
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
		proto = protocolName(ts.Protocol) + " (" + strconv.Itoa(int(ts.Protocol)) + ")"
	}
	return addr(ts.Start) + " – " + addr(ts.End) + ", ports " + strconv.Itoa(int(ts.StartPort)) + "–" + strconv.Itoa(int(ts.EndPort)) + ", " + proto
}

// spiText shows an SPI of a proposal, notify or delete as the rest of
// vpnpcap writes SPIs: four bytes as an ESP or AH SPI, eight as an IKE SPI.
func spiText(b []byte) string {
	switch len(b) {
	case 4:
		return decode.SPI(be32(b)).String()
	case 8:
		return decode.IKESPI(uint64(be32(b))<<32 | uint64(be32(b[4:]))).String()
	}
	return shortHex(b)
}
