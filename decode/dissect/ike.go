package dissect

import (
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
		if p.TCPEncap {
			label = "Non-ESP marker (RFC 9329 §3)"
		}
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
	label := s.Type.String()
	if s.Critical {
		label += " (critical)"
	}
	x := &payload{n: parent.field(label, ""), s: s}
	if at >= 0 {
		x.n.place(parent, at, at+s.Length)
	}
	x.at = x.n.Start + 4
	if x.n.HasBytes() {
		x.body = t.b.data[x.at:x.n.End]
	}
	t.show(x)
	if x.n.Value == "" {
		x.n.Value = strconv.Itoa(s.Length-4) + " bytes"
	}
	return x.n
}

// payload is one payload being laid out: its field, its summary, and its
// body (the bytes after the generic header, at frame offset at; nil when
// the payload is not on the frame's bytes).
type payload struct {
	n    *Node
	s    decode.PayloadSummary
	body []byte
	at   int
}

// entry reports whether the payload's Entry indexes a list of n entries.
func (x *payload) entry(n int) bool { return x.s.Entry >= 0 && x.s.Entry < n }

// notify shows a Notification (IKEv1) or Notify (IKEv2) payload, with the
// verification of a NAT-D hash it carries.
func (t *ikeTree) notify(n *Node, s decode.PayloadSummary, bat int) {
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
