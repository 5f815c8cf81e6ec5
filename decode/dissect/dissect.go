// Package dissect lays out one decoded packet as a tree of fields, as a
// protocol analyser shows it: the link, IP and transport headers, then every
// VPN protocol vpnpcap decodes (the UDP 4500 split, IKEv1 and IKEv2 with
// every payload, ESP, AH, GRE, PPTP control messages, ICMP errors with the
// packet they quote), each field with the bytes of the frame it covers.
//
// The tree shows what the analysis saw. Header fields are read from the
// frame, where they lie; what the packet is and means comes from the
// [decode.Packet] the pipeline produced for it, which holds what one frame's
// bytes cannot tell: the packet's kind (the UDP 4500 split), NAT-D hashes
// verified against the captured addresses, payloads decrypted with the keys
// given, datagrams reassembled from fragments, messages reassembled from a
// TCP stream, and where each IKE payload lies ([decode.PayloadSummary]).
// Names come from decode's registries and formatters, so a value reads the
// same here as in findings, reports and the packet list.
//
// It is a package of its own so that the decoder stays a decoder: the tree
// is for people, and it reads decode's model rather than working any of it
// out again.
package dissect

import (
	"strconv"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/capture"
)

// Tone says how a field reads: plainly, as good news (a NAT-D hash that
// matches the captured addresses) or as bad news (one that does not, an
// error notify, a malformed packet).
type Tone uint8

// Tones.
const (
	Plain Tone = iota
	Good
	Bad
)

// Node is one field of the tree.
type Node struct {
	// Label names the field: "Initiator SPI", or a protocol's summary line
	// such as "User Datagram Protocol, 500 → 500".
	Label string
	// Value is the field's value as shown after the label ("0x1122…"),
	// or empty when the label says it all.
	Value string
	// Start and End delimit the bytes of the frame the field covers,
	// [Start, End); the field covers none when End ≤ Start (no bytes were
	// given, or the value was not read from this frame: a reassembled
	// datagram, a decrypted payload).
	Start, End int
	Tone       Tone
	// Notes explain the field in sentences, such as what a NAT-D hash
	// that does not match means.
	Notes []string
	// Open says whether the field is shown expanded at first.
	Open     bool
	Children []*Node
}

// Text is the field's line: its label, and its value after a colon.
func (n *Node) Text() string {
	if n.Value == "" {
		return n.Label
	}
	return n.Label + ": " + n.Value
}

// HasBytes reports whether the field covers bytes of the frame.
func (n *Node) HasBytes() bool { return n.End > n.Start }

// Walk calls fn for the node and every node below it, parents first; parent
// is nil for the node Walk was called on.
func (n *Node) Walk(fn func(n, parent *Node)) {
	n.walk(nil, fn)
}

func (n *Node) walk(parent *Node, fn func(n, parent *Node)) {
	fn(n, parent)
	for _, c := range n.Children {
		c.walk(n, fn)
	}
}

// Find returns the first node, parents first, whose Text starts with
// prefix, or nil.
func (n *Node) Find(prefix string) *Node {
	var found *Node
	n.Walk(func(c, _ *Node) {
		if found == nil && len(c.Text()) >= len(prefix) && c.Text()[:len(prefix)] == prefix {
			found = c
		}
	})
	return found
}

// field appends a child that covers no bytes.
func (n *Node) field(label, value string) *Node {
	c := &Node{Label: label, Value: value}
	n.Children = append(n.Children, c)
	return c
}

// at appends a child covering [start, end) of the frame when that lies
// within n's bytes, and a child without bytes otherwise. Every range in a
// tree is placed through here, so a field never reaches outside its parent
// or the frame, whatever a damaged or cut frame holds.
func (n *Node) at(label, value string, start, end int) *Node {
	c := n.field(label, value)
	c.place(n, start, end)
	return c
}

// place gives n the bytes [start, end) when they lie within parent's.
func (n *Node) place(parent *Node, start, end int) {
	if parent.HasBytes() && start >= parent.Start && end <= parent.End && end > start {
		n.Start, n.End = start, end
	}
}

// note adds a sentence that explains the field.
func (n *Node) note(s string) { n.Notes = append(n.Notes, s) }

// Packet lays out p. rec holds the bytes of p's frame; when it is nil, or
// holds another frame, the tree is built from p alone and covers no bytes.
// The tree is built anew on every call and may be kept.
//
// Bytes that do not hold what p says (another capture's frame of that
// number, a frame cut short) never make it panic or place a field outside
// its parent: fields are placed on the bytes only where they agree with p,
// and shown without bytes otherwise.
func Packet(p *decode.Packet, rec *capture.Record) *Node {
	root := &Node{Label: "Frame " + strconv.Itoa(p.Frame), Open: true}
	root.Value = strconv.Itoa(p.Length) + " bytes on the wire"
	if p.CapLen > 0 {
		root.Value += ", " + strconv.Itoa(p.CapLen) + " captured"
	}
	t := p.Time.UTC().Format("2006-01-02 15:04:05.000000000 UTC")
	if p.Time.IsZero() {
		t += " (the capture has no time for this frame)"
	}
	root.field("Arrival time", t)
	if p.FirstFrame != 0 && p.FirstFrame != p.Frame {
		root.field("Begins in frame", strconv.Itoa(p.FirstFrame)+" (reassembled here)")
	}
	if p.DuplicateOf != 0 {
		root.field("Copy of frame", strconv.Itoa(int(p.DuplicateOf))+" (the same packet captured twice)")
	}
	if p.Kind == decode.KindMalformed {
		root.field("Malformed", p.Fault.Message).Tone = Bad
	}
	if rec != nil && rec.Frame == p.Frame && len(rec.Data) > 0 {
		b := &builder{p: p, data: rec.Data}
		if rec.FCSLen > 0 && rec.FCSLen <= len(b.data) && rec.Length <= len(b.data) {
			// The frame check sequence is not payload (decode trims it
			// alike).
			b.data = b.data[:len(b.data)-rec.FCSLen]
		}
		root.Start, root.End = 0, len(rec.Data)
		n := len(root.Children)
		if b.link(root, rec.LinkType) {
			if fcs := rec.Data[len(b.data):]; len(fcs) > 0 {
				// A note, not a field: the packet's own protocol stays the
				// last field, which a reader's eye goes to.
				root.note("The frame ends in a " + strconv.Itoa(len(fcs)) + "-byte frame check sequence, " + shortHex(fcs) + ", which is not payload.")
			}
			return root
		}
		// The bytes do not hold what the packet says: describe the packet
		// from its values alone.
		root.Children = root.Children[:n]
	}
	(&builder{p: p}).fromValues(root)
	return root
}

// builder lays out one packet. data is the frame without its FCS, nil when
// the tree is built from the packet's values alone.
type builder struct {
	p    *decode.Packet
	data []byte
	// anchored is set once the packet's own header is laid out on the
	// bytes; what follows it need not agree with the packet (the data an
	// AH packet protects).
	anchored bool
}

// fromValues describes the packet without its bytes.
func (b *builder) fromValues(root *Node) {
	p := b.p
	if !p.Src.IsValid() {
		return
	}
	ver := "4"
	if p.IPv6 {
		ver = "6"
	}
	ip := root.field("Internet Protocol Version "+ver+", "+p.Src.String()+" → "+p.Dst.String(), "")
	ip.field("Protocol", protocolName(p.Proto)+" ("+strconv.Itoa(int(p.Proto))+")")
	ip.field("TTL", strconv.Itoa(int(p.TTL)))
	if p.IPID != 0 {
		ip.field("Identification", strconv.FormatUint(uint64(p.IPID), 10))
	}
	if p.Fragment.IsFragment() {
		ip.field("Fragment", fragmentText(p.Fragment))
	}
	if p.Fragments > 0 {
		ip.field("Reassembled from", reassembledText(p))
	}
	transportFromValues(p, root)
	b.contentFromValues(root)
}

// transportFromValues adds the UDP or TCP line of a packet described
// without its bytes.
func transportFromValues(p *decode.Packet, n *Node) {
	switch p.Proto {
	case decode.ProtoUDP:
		n.field("User Datagram Protocol, "+ports(p.SrcPort, p.DstPort), "")
	case decode.ProtoTCP:
		n.field("Transmission Control Protocol, "+ports(p.SrcPort, p.DstPort), "")
	}
}

// ranged reports whether the builder places fields on bytes.
func (b *builder) ranged() bool { return b.data != nil }

// span returns data[start:end] when it lies within the frame, else nil.
func (b *builder) span(start, end int) []byte {
	if b.data == nil || start < 0 || end > len(b.data) || start > end {
		return nil
	}
	return b.data[start:end]
}

// fragmentText describes an IP fragment.
func fragmentText(f decode.Fragment) string {
	s := "at offset " + strconv.Itoa(f.Offset)
	if f.More {
		return s + ", more follow"
	}
	return s + ", the last"
}

// reassembledText says which frames a reassembled datagram came from.
func reassembledText(p *decode.Packet) string {
	return strconv.Itoa(p.Fragments) + " fragments (frames " + strconv.Itoa(p.FirstFrame) + "–" + strconv.Itoa(p.Frame) + ")"
}

// ports shows a port pair.
func ports(src, dst uint16) string {
	return strconv.Itoa(int(src)) + " → " + strconv.Itoa(int(dst))
}
