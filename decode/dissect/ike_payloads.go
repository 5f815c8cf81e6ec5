package dissect

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
)

// show lays out what a payload carries, by type (RFC 7296 §3, RFC 2408
// §3 and the payloads of RFC 3947 and RFC 7383).
func (t *ikeTree) show(x *payload) {
	switch x.s.Type {
	case decode.PayloadTypeSA, decode.PayloadTypeV1SA:
		t.sa(x)
	case decode.PayloadTypeKE, decode.PayloadTypeV1KE:
		t.ke(x)
	case decode.PayloadTypeNonce, decode.PayloadTypeV1Nonce:
		x.n.Value = strconv.Itoa(x.s.Length-4) + " bytes"
		if x.s.Entry == 0 {
			x.n.at("Nonce data", shortHex(t.m.Nonce), x.at, x.n.End)
		}
	case decode.PayloadTypeIDi, decode.PayloadTypeIDr, decode.PayloadTypeV1ID:
		if x.entry(len(t.m.IDs)) {
			t.identification(x.n, t.m.IDs[x.s.Entry], x.at)
		}
	case decode.PayloadTypeCert, decode.PayloadTypeV1Cert, decode.PayloadTypeCertReq, decode.PayloadTypeV1CR:
		t.cert(x)
	case decode.PayloadTypeAuth:
		t.auth(x)
	case decode.PayloadTypeNotify, decode.PayloadTypeV1Notification:
		if x.entry(len(t.m.Notifies)) {
			t.notify(x.n, x.s, x.at)
		}
	case decode.PayloadTypeDelete, decode.PayloadTypeV1Delete:
		t.delete(x)
	case decode.PayloadTypeVendorID, decode.PayloadTypeV1VendorID:
		if x.entry(len(t.m.VendorIDs)) {
			v := t.m.VendorIDs[x.s.Entry]
			x.n.Value = v.Name
			if v.Name == "" {
				x.n.Value = "unknown " + shortHex(v.Data)
			}
		}
	case decode.PayloadTypeTSi, decode.PayloadTypeTSr:
		t.trafficSelectors(x)
	case decode.PayloadTypeSK, decode.PayloadTypeSKF:
		t.encrypted(x)
	case decode.PayloadTypeCP, decode.PayloadTypeV1Attributes:
		t.config(x)
	case decode.PayloadTypeEAP:
		if e := t.m.EAP; x.s.Entry == 0 && e != nil {
			x.n.Value = decode.EAPCodeName(e.Code) + ", identifier " + strconv.Itoa(int(e.Identifier))
			if e.Type != 0 {
				x.n.Value += ", type " + strconv.Itoa(int(e.Type))
			}
		}
	case decode.PayloadTypeV1NATD, decode.PayloadTypeV1NATDDraft, 15:
		if d := t.m.NATDOf(x.s); d != nil {
			natd(x.n, d, x.at)
		}
	case decode.PayloadTypeV1NATOA, decode.PayloadTypeV1NATOADraft, 16:
		t.natoa(x)
	case decode.PayloadTypeV1CiscoFragment:
		if f := t.m.Fragment; f != nil && x.s.Entry == 0 {
			x.n.Value = "fragment " + strconv.Itoa(int(f.Number)) + " of message " + strconv.Itoa(int(f.ID))
			if f.Last {
				x.n.Value += ", the last"
			}
		}
	}
}

// sa shows an SA payload: the first one's proposals down to attributes.
func (t *ikeTree) sa(x *payload) {
	if x.s.Entry != 0 {
		x.n.Value = "not decoded (only the first SA payload is)"
		return
	}
	x.n.Value = count(len(t.m.Proposals), "proposal")
	x.n.Open = true
	saTree(x.n, t.m, x.body, x.at)
}

// ke shows a KE payload: the IKEv2 group, the key's length.
func (t *ikeTree) ke(x *payload) {
	m := t.m
	switch {
	case x.s.Entry != 0 || m.KE == nil:
	case m.Version == 2:
		x.n.Value = "group " + strconv.Itoa(int(m.KE.Group)) + " (" +
			decode.TransformIDName(2, 0, decode.TransformTypeKE, m.KE.Group) + "), " + strconv.Itoa(m.KE.Length) + " bytes"
		x.n.at("Group", strconv.Itoa(int(m.KE.Group)), x.at, x.at+2)
		x.n.at("Key exchange data", strconv.Itoa(m.KE.Length)+" bytes", x.at+4, x.n.End)
	default:
		x.n.Value = strconv.Itoa(m.KE.Length) + " bytes"
	}
}

// cert shows a CERT payload's encoding and length, or a CERTREQ's
// encoding (its certification authorities are hashes).
func (t *ikeTree) cert(x *payload) {
	switch x.s.Type {
	case decode.PayloadTypeCertReq, decode.PayloadTypeV1CR:
		if len(x.body) >= 1 {
			x.n.Value = decode.CertEncodingName(x.body[0]) + ", " + strconv.Itoa(len(x.body)-1) + " bytes of certification authorities"
		}
		return
	}
	if !x.entry(len(t.m.Certs)) {
		return
	}
	c := t.m.Certs[x.s.Entry]
	x.n.Value = decode.CertEncodingName(c.Encoding) + ", " + strconv.Itoa(c.Length) + " bytes"
	x.n.at("Encoding", decode.CertEncodingName(c.Encoding)+" ("+strconv.Itoa(int(c.Encoding))+")", x.at, x.at+1)
	x.n.at("Certificate data", strconv.Itoa(c.Length)+" bytes", x.at+1, x.n.End)
}

// auth shows an AUTH payload's method.
func (t *ikeTree) auth(x *payload) {
	if x.s.Entry != 0 {
		return
	}
	x.n.Value = decode.AuthMethodName(t.m.AuthMethod) + " (" + strconv.Itoa(int(t.m.AuthMethod)) + ")"
	x.n.at("Authentication method", x.n.Value, x.at, x.at+1)
	x.n.at("Authentication data", strconv.Itoa(x.s.Length-8)+" bytes", x.at+4, x.n.End)
}

// delete shows a Delete payload's protocol and SPIs.
func (t *ikeTree) delete(x *payload) {
	if !x.entry(len(t.m.Deletes)) {
		return
	}
	d := t.m.Deletes[x.s.Entry]
	x.n.Value = d.Protocol.Name(t.m.Version) + ", " + count(len(d.SPIs), "SPI")
	// The SPIs follow Protocol ID, SPI Size and the count (RFC 7296
	// §3.11), and a DOI before them in IKEv1 (RFC 2408 §3.15).
	pos := x.at + 4
	if t.m.Version == 1 {
		pos += 4
	}
	for _, spi := range d.SPIs {
		x.n.at("SPI", spiText(spi), pos, pos+len(spi))
		pos += len(spi)
	}
}

// trafficSelectors shows a TSi or TSr payload's selectors: those from its
// Entry on, as many as its count says (or, without its bytes, while they
// are of its side).
func (t *ikeTree) trafficSelectors(x *payload) {
	if !x.entry(len(t.m.TS)) {
		return
	}
	ini := x.s.Type == decode.PayloadTypeTSi
	var sel []decode.TrafficSelector
	for _, ts := range t.m.TS[x.s.Entry:] {
		if ts.Initiator != ini || len(x.body) >= 1 && len(sel) == int(x.body[0]) {
			break
		}
		sel = append(sel, ts)
	}
	x.n.Value = count(len(sel), "selector")
	for _, ts := range sel {
		x.n.field("Selector", trafficSelector(ts))
	}
}

// encrypted shows an SK or SKF payload and what the keys made of it.
func (t *ikeTree) encrypted(x *payload) {
	m := t.m
	if x.s.Type == decode.PayloadTypeSK {
		x.n.Value = strconv.Itoa(x.s.Length-4) + " bytes, first payload inside: " + m.EncryptedFirst.String()
	} else {
		x.n.Value = "first payload inside: " + m.EncryptedFirst.String()
		if f := m.Fragment; f != nil && x.s.Entry == 0 {
			x.n.Value = "fragment " + strconv.Itoa(int(f.Number)) + " of " + strconv.Itoa(int(f.Total)) + ", " + x.n.Value
			x.n.at("Fragment number", strconv.Itoa(int(f.Number)), x.at, x.at+2)
			x.n.at("Total fragments", strconv.Itoa(int(f.Total)), x.at+2, x.at+4)
		}
	}
	t.decryption(x.n)
}

// config shows a configuration payload's type and attributes.
func (t *ikeTree) config(x *payload) {
	c := t.m.Config
	if x.s.Entry != 0 || c == nil {
		return
	}
	x.n.Value = decode.ConfigTypeName(c.Type) + ", " + count(len(c.Attributes), "attribute")
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
		x.n.field(decode.ConfigAttributeName(t.m.Version, a.Type), v)
	}
}

// natoa shows an IKEv1 NAT-OA payload's original address.
func (t *ikeTree) natoa(x *payload) {
	if !x.entry(len(t.m.NATOA)) {
		return
	}
	oa := t.m.NATOA[x.s.Entry]
	if a, ok := netip.AddrFromSlice(oa.Addr); ok {
		x.n.Value = "original address " + a.String()
	} else {
		x.n.Value = shortHex(oa.Addr)
	}
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

// idValue shows an identification's data: addresses as addresses, IKEv1's
// subnets and ranges (RFC 2407 §4.6.2.1) as prefixes and ranges, names as
// text.
func idValue(id decode.Identification) string {
	switch id.IDType {
	case 1, 5: // ID_IPV4_ADDR, ID_IPV6_ADDR
		if a, ok := netip.AddrFromSlice(id.Data); ok {
			return a.String()
		}
	case 4, 6, 7, 8: // ID_IPV4_ADDR_SUBNET, _IPV6_, ID_IPV4_ADDR_RANGE, _IPV6_
		if id.Type != decode.PayloadTypeV1ID || len(id.Data) != 8 && len(id.Data) != 32 {
			break
		}
		a, _ := netip.AddrFromSlice(id.Data[:len(id.Data)/2])
		b, _ := netip.AddrFromSlice(id.Data[len(id.Data)/2:])
		if id.IDType == 7 || id.IDType == 8 {
			return a.String() + "-" + b.String()
		}
		if bits, ok := maskBits(b); ok {
			if p, err := a.Prefix(bits); err == nil && p.Addr() == a {
				return p.String()
			}
		}
		return a.String() + "/" + b.String()
	}
	return printable(id.Data)
}

// maskBits returns the length of a network mask, and false for an
// address that is no mask (its ones not contiguous).
func maskBits(mask netip.Addr) (int, bool) {
	bits, done := 0, false
	for _, c := range mask.AsSlice() {
		for i := 7; i >= 0; i-- {
			switch one := c>>i&1 == 1; {
			case one && done:
				return 0, false
			case one:
				bits++
			default:
				done = true
			}
		}
	}
	return bits, true
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
