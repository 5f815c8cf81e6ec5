package decode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file holds the machinery of TestTsharkDiff: running tshark, reading
// its JSON tree, and turning both tshark's dissection and the Decoder's
// packets into comparable per-frame facts.

// tsharkLayers are the protocols whose subtrees tshark prints (-J): frame for
// the frame number, the VPN protocols, and _ws.malformed for context.
const tsharkLayers = "frame isakmp esp ah gre pptp udpencap icmp icmpv6 _ws.malformed"

// tsharkPrefs pin the preferences the comparison depends on, whatever a
// profile says: reassembled IP datagrams and TCP messages are dissected at
// the frame that completes them, as the Decoder reports them.
var tsharkPrefs = []string{
	"ip.defragment:TRUE",
	"ipv6.defragment:TRUE",
	"tcp.desegment_tcp_streams:TRUE",
}

// tsharkTimeout bounds one tshark run; the largest corpus capture takes
// well under a second.
const tsharkTimeout = 2 * time.Minute

// runTshark dissects the capture at path and returns its frames, and
// tshark's complaint when it exited with an error after printing what it
// could read (a capture cut short).
// configDir is an empty Wireshark configuration directory, so that no
// personal profile changes the dissection.
// decodeAs are tshark "Decode As" rules (-d) for this capture.
func runTshark(ctx context.Context, tshark, configDir, path string, decodeAs ...string) (frames []tsharkDiffFrame, complaint string, err error) {
	ctx, cancel := context.WithTimeout(ctx, tsharkTimeout)
	defer cancel()
	args := []string{"-n", "-r", path, "-T", "json", "-J", tsharkLayers}
	for _, p := range tsharkPrefs {
		args = append(args, "-o", p)
	}
	for _, d := range decodeAs {
		args = append(args, "-d", d)
	}
	cmd := exec.CommandContext(ctx, tshark, args...)
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+configDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	frames, perr := parseTsharkJSON(&stdout)
	if perr != nil {
		if runErr != nil {
			return nil, "", fmt.Errorf("tshark: %v: %s", runErr, tsharkStderr(stderr.String()))
		}
		return nil, "", fmt.Errorf("tshark output: %v", perr)
	}
	if runErr != nil {
		var ee *exec.ExitError
		if !errors.As(runErr, &ee) || ctx.Err() != nil {
			return nil, "", fmt.Errorf("tshark: %v", runErr)
		}
		complaint = tsharkStderr(stderr.String())
	}
	return frames, complaint, nil
}

// tsharkStderr drops tshark's warning about running as root, which says
// nothing about the capture.
func tsharkStderr(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "Running as user") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "; ")
}

// tsharkVersion returns the first line of tshark --version.
func tsharkVersion(tshark string) string {
	out, err := exec.Command(tshark, "--version").Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

// tsharkNode is one value of tshark's JSON output with the order and the
// duplicate keys of the text kept: tshark prints a protocol that occurs
// twice in a frame (GRE in GRE, two PPTP messages) and a repeated field
// (each ISAKMP payload's isakmp.typepayload) as repeated keys of one object,
// which encoding/json's maps would merge.
type tsharkNode struct {
	key   string
	value string // scalars, as text
	kids  []tsharkNode
}

// child returns the first child named key, or nil.
func (n *tsharkNode) child(key string) *tsharkNode {
	for i := range n.kids {
		if n.kids[i].key == key {
			return &n.kids[i]
		}
	}
	return nil
}

// has reports whether n has a child named key.
func (n *tsharkNode) has(key string) bool { return n.child(key) != nil }

// readTsharkNode reads the next value from dec as a node named key.
func readTsharkNode(dec *json.Decoder, key string, depth int) (tsharkNode, error) {
	if depth > 256 {
		return tsharkNode{}, errors.New("json nested more than 256 deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return tsharkNode{}, err
	}
	n := tsharkNode{key: key}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return n, err
				}
				k, ok := kt.(string)
				if !ok {
					return n, fmt.Errorf("json object key %v is not a string", kt)
				}
				c, err := readTsharkNode(dec, k, depth+1)
				if err != nil {
					return n, err
				}
				n.kids = append(n.kids, c)
			}
		case '[':
			for dec.More() {
				c, err := readTsharkNode(dec, "", depth+1)
				if err != nil {
					return n, err
				}
				n.kids = append(n.kids, c)
			}
		default:
			return n, fmt.Errorf("unexpected json delimiter %v", v)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return n, err
		}
	case string:
		n.value = v
	case json.Number:
		n.value = v.String()
	case bool:
		n.value = strconv.FormatBool(v)
	case nil:
		n.value = "null"
	}
	return n, nil
}

// tsharkDiffFrame is one frame of tshark's output: its number, protocol stack,
// and the protocol layers in the order tshark dissected them.
type tsharkDiffFrame struct {
	number    int
	protocols string
	malformed bool
	layers    []tsharkNode
}

// parseTsharkJSON reads tshark -T json output: an array of packets, each
// with _source.layers holding one object per protocol layer.
func parseTsharkJSON(r io.Reader) ([]tsharkDiffFrame, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("output starts with %v, not an array", tok)
	}
	var frames []tsharkDiffFrame
	for dec.More() {
		pkt, err := readTsharkNode(dec, "", 0)
		if err != nil {
			return nil, fmt.Errorf("packet %d: %v", len(frames)+1, err)
		}
		src := pkt.child("_source")
		if src == nil || src.child("layers") == nil {
			return nil, fmt.Errorf("packet %d: no _source.layers", len(frames)+1)
		}
		layers := src.child("layers")
		fr := tsharkDiffFrame{layers: layers.kids}
		if f := layers.child("frame"); f != nil {
			if num := f.child("frame.number"); num != nil {
				fr.number, _ = strconv.Atoi(num.value)
			}
			if p := f.child("frame.protocols"); p != nil {
				fr.protocols = p.value
			}
		}
		if fr.number <= 0 {
			return nil, fmt.Errorf("packet %d: no frame.number", len(frames)+1)
		}
		fr.malformed = layers.has("_ws.malformed")
		frames = append(frames, fr)
	}
	return frames, nil
}

// vpnFacts is what one side says about the VPN protocols of one frame:
// each protocol instance (isakmp, isakmp#2, esp, ah, gre, pptp,
// nat-keepalive…) with its fields. Instances are numbered per protocol in
// the order of the frame: an AH header before the ESP it protects, PPTP
// messages in stream order.
type vpnFacts struct {
	instances []vpnInstance
	// notes are context printed with a disagreement: the Decoder's
	// malformed reasons, tshark's protocol stack and Malformed Packet
	// mark.
	notes []string
}

// vpnInstance is one protocol instance and its fields, in a fixed order.
type vpnInstance struct {
	proto  string // "isakmp"
	name   string // "isakmp", or "isakmp#2" for the second in the frame
	fields []vpnField
}

type vpnField struct {
	name, value string
}

// add appends an instance of proto with its fields.
func (f *vpnFacts) add(proto string, fields []vpnField) {
	n := 1
	for _, in := range f.instances {
		if in.proto == proto {
			n++
		}
	}
	name := proto
	if n > 1 {
		name += "#" + strconv.Itoa(n)
	}
	f.instances = append(f.instances, vpnInstance{proto: proto, name: name, fields: fields})
}

// instance returns the instance called name, or nil.
func (f *vpnFacts) instance(name string) *vpnInstance {
	for i := range f.instances {
		if f.instances[i].name == name {
			return &f.instances[i]
		}
	}
	return nil
}

// value returns the value of the field name, or factAbsent.
func (in *vpnInstance) value(name string) string {
	for _, f := range in.fields {
		if f.name == name {
			return f.value
		}
	}
	return factAbsent
}

// tsharkFacts extracts the facts of one tshark frame. VPN layers that
// follow a GRE layer are inside the GRE payload, which the Decoder does
// not decode (it reports the outer GRE packet of a frame, RFC 2784 §2):
// they are counted in tunnelled and not returned.
func tsharkFacts(fr *tsharkDiffFrame) (facts vpnFacts, tunnelled int) {
	facts.notes = append(facts.notes, "tshark: "+fr.protocols)
	if fr.malformed {
		facts.notes = append(facts.notes, "tshark: Malformed Packet")
	}
	inGRE := false
	marker := false // a non-ESP marker precedes the next ISAKMP layer
	espEncap := "ip"
	// quote is the ICMP error whose quoted packet the layers that follow
	// belong to: tshark prints the quoted UDP payload's protocols after
	// the ICMP layer rather than inside it. quoteVPN says whether it
	// quotes VPN traffic (it is then an instance of facts).
	var quote *tsharkNode
	quoteVPN := false
	for i := range fr.layers {
		l := &fr.layers[i]
		switch l.key {
		case "isakmp", "esp", "ah", "gre", "pptp", "udpencap", "icmp", "icmpv6":
		default:
			continue
		}
		if inGRE {
			tunnelled++
			continue
		}
		if quote != nil {
			if quoteVPN {
				in := &facts.instances[len(facts.instances)-1]
				in.fields = append(in.fields, tsharkQuotedVPN(l)...)
			}
			continue
		}
		switch l.key {
		case "icmp", "icmpv6":
			fields, vpn := tsharkICMP(l)
			if fields == nil {
				continue // not an error message: it quotes nothing
			}
			quote, quoteVPN = l, vpn
			if vpn {
				facts.add(l.key, fields)
			}
		case "udpencap":
			espEncap = "udp"
			if l.has("udpencap.non_esp_marker") {
				marker = true
			}
			if l.has("udpencap.nat_keepalive") {
				facts.add("nat-keepalive", nil)
			}
		case "isakmp":
			facts.add("isakmp", tsharkISAKMP(l, marker))
			marker = false
		case "esp":
			facts.add("esp", []vpnField{
				{"encap", espEncap},
				{"spi", tsharkHex(l, "esp.spi", 8)},
				{"seq", tsharkDec(l, "esp.sequence")},
			})
			espEncap = "ip"
		case "ah":
			facts.add("ah", []vpnField{
				{"spi", tsharkHex(l, "ah.spi", 8)},
				{"seq", tsharkDec(l, "ah.sequence")},
			})
		case "gre":
			facts.add("gre", tsharkGRE(l))
			inGRE = true
		case "pptp":
			facts.add("pptp", tsharkPPTP(l))
		}
	}
	return facts, tunnelled
}

// tsharkICMPErrors are the ICMP and ICMPv6 error types whose body quotes
// the packet that caused them (RFC 792, RFC 4443 §3), which are the ones
// the comparison covers.
var tsharkICMPErrors = map[string][]uint64{"icmp": {3, 11, 12}, "icmpv6": {1, 2, 3, 4}}

// tsharkICMP reads an ICMP or ICMPv6 error and the packet it quotes, which
// tshark nests in the ICMP layer: the IP header, the UDP, TCP, GRE or AH
// header, ESP when tshark dissects it there. It returns nil for a message
// that is not an error, and says whether the quoted packet is VPN traffic:
// ESP, AH or GRE; UDP from or to port 500 or 4500; TCP from or to 1723
// (PPTP) or 4500 (RFC 9329). The rule is written out here rather than taken
// from icmp.go, so that the comparison does not share the decoder's logic.
func tsharkICMP(l *tsharkNode) (fields []vpnField, vpn bool) {
	p := l.key + "."
	typ, ok := tsharkNum(l, p+"type")
	if !ok || !slices.Contains(tsharkICMPErrors[l.key], typ) {
		return nil, false
	}
	fields = []vpnField{
		{"type", tsharkDec(l, p+"type")},
		{"code", tsharkDec(l, p+"code")},
	}
	if l.has(p + "mtu") {
		fields = append(fields, vpnField{"mtu", tsharkDec(l, p+"mtu")})
	}
	var proto uint64
	for _, c := range l.kids {
		switch c.key {
		case "ip":
			proto, _ = tsharkNum(&c, "ip.proto")
			fields = append(fields,
				vpnField{"src", tsharkText(&c, "ip.src")},
				vpnField{"dst", tsharkText(&c, "ip.dst")},
				vpnField{"proto", tsharkDec(&c, "ip.proto")})
		case "ipv6":
			proto, _ = tsharkNum(&c, "ipv6.nxt")
			fields = append(fields,
				vpnField{"src", tsharkText(&c, "ipv6.src")},
				vpnField{"dst", tsharkText(&c, "ipv6.dst")},
				vpnField{"proto", tsharkDec(&c, "ipv6.nxt")})
		case "udp", "tcp":
			sp, _ := tsharkNum(&c, c.key+".srcport")
			dp, _ := tsharkNum(&c, c.key+".dstport")
			fields = append(fields,
				vpnField{"sport", tsharkDec(&c, c.key+".srcport")},
				vpnField{"dport", tsharkDec(&c, c.key+".dstport")})
			ports := []uint64{500, 4500}
			if c.key == "tcp" {
				ports = []uint64{1723, 4500}
			}
			vpn = vpn || slices.Contains(ports, sp) || slices.Contains(ports, dp)
		case "gre":
			fv, _ := tsharkNum(&c, "gre.flags_and_version")
			fields = append(fields, vpnField{"gre-version", strconv.FormatUint(fv&7, 10)})
			switch {
			case c.has("gre.key.call_id"):
				fields = append(fields, vpnField{"call-id", tsharkDec(&c, "gre.key.call_id")})
			case c.has("gre.key"):
				fields = append(fields, vpnField{"key", tsharkHex(&c, "gre.key", 8)})
			}
		case "esp", "ah", "isakmp":
			fields = append(fields, tsharkQuotedVPN(&c)...)
		}
	}
	switch proto {
	case 47, 50, 51:
		vpn = true
	}
	return fields, vpn
}

// tsharkQuotedVPN reads the SPIs of a VPN layer inside an ICMP error's
// quote: ESP SPI and sequence number, AH SPI and sequence number, the IKE
// SPIs.
func tsharkQuotedVPN(l *tsharkNode) []vpnField {
	switch l.key {
	case "esp", "ah":
		var fields []vpnField
		if l.has(l.key + ".spi") {
			fields = append(fields, vpnField{"spi", tsharkHex(l, l.key+".spi", 8)})
		}
		if l.has(l.key + ".sequence") {
			fields = append(fields, vpnField{"seq", tsharkDec(l, l.key+".sequence")})
		}
		return fields
	case "isakmp":
		var fields []vpnField
		if l.has("isakmp.ispi") {
			fields = append(fields, vpnField{"ispi", tsharkSPI(l, "isakmp.ispi")})
		}
		if l.has("isakmp.rspi") {
			fields = append(fields, vpnField{"rspi", tsharkSPI(l, "isakmp.rspi")})
		}
		return fields
	}
	return nil
}

// factAbsent is the value of a field that one side does not have.
const factAbsent = "(absent)"

// tsharkNum returns the value of l's child key parsed as an unsigned
// integer (decimal or 0x hex), and whether it was there and parsed.
func tsharkNum(l *tsharkNode, key string) (uint64, bool) {
	c := l.child(key)
	if c == nil {
		return 0, false
	}
	v, err := strconv.ParseUint(c.value, 0, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// tsharkDec returns l's numeric child key in decimal, or factAbsent.
func tsharkDec(l *tsharkNode, key string) string {
	if v, ok := tsharkNum(l, key); ok {
		return strconv.FormatUint(v, 10)
	}
	return tsharkRaw(l, key)
}

// tsharkHex returns l's numeric child key as 0x and digits hex digits.
func tsharkHex(l *tsharkNode, key string, digits int) string {
	if v, ok := tsharkNum(l, key); ok {
		return factHex(v, digits)
	}
	return tsharkRaw(l, key)
}

// tsharkRaw returns a child's text as tshark printed it, for values that
// do not parse as numbers; factAbsent when there is no such child.
func tsharkRaw(l *tsharkNode, key string) string {
	if c := l.child(key); c != nil {
		return "unparsed " + strconv.Quote(c.value)
	}
	return factAbsent
}

// tsharkText returns a child's text as tshark printed it (an address),
// or factAbsent.
func tsharkText(l *tsharkNode, key string) string {
	if c := l.child(key); c != nil {
		return c.value
	}
	return factAbsent
}

func factHex(v uint64, digits int) string {
	return fmt.Sprintf("0x%0*x", digits, v)
}

// tsharkSPI returns an ISAKMP SPI, which tshark prints as colon-separated
// octets, as 0x and 16 hex digits.
func tsharkSPI(l *tsharkNode, key string) string {
	c := l.child(key)
	if c == nil {
		return factAbsent
	}
	h := strings.ReplaceAll(c.value, ":", "")
	v, err := strconv.ParseUint(h, 16, 64)
	if err != nil || len(h) != 16 {
		return "unparsed " + strconv.Quote(c.value)
	}
	return factHex(v, 16)
}

// tsharkISAKMP reads an ISAKMP header (RFC 2408 §3.1, RFC 7296 §3.1) and
// the types of the top-level payloads, which tshark prints as the
// isakmp.typepayload children of the layer (proposals and transforms are
// nested deeper). An IKEv1 message with the E flag has none: tshark shows
// its body as isakmp.enc.data.
func tsharkISAKMP(l *tsharkNode, marker bool) []vpnField {
	version := factAbsent
	if v, ok := tsharkNum(l, "isakmp.version"); ok {
		version = strconv.FormatUint(v>>4, 10) + "." + strconv.FormatUint(v&0xF, 10)
	}
	var types []string
	for _, c := range l.kids {
		if c.key == "isakmp.typepayload" {
			types = append(types, c.value)
		}
	}
	return []vpnField{
		{"non-esp-marker", strconv.FormatBool(marker)},
		{"ispi", tsharkSPI(l, "isakmp.ispi")},
		{"rspi", tsharkSPI(l, "isakmp.rspi")},
		{"next-payload", tsharkDec(l, "isakmp.nextpayload")},
		{"version", version},
		{"exchange", tsharkDec(l, "isakmp.exchangetype")},
		{"flags", tsharkHex(l, "isakmp.flags", 2)},
		{"message-id", tsharkHex(l, "isakmp.messageid", 8)},
		{"length", tsharkDec(l, "isakmp.length")},
		{"payloads", strings.Join(types, ",")},
	}
}

// GRE flag bits of the first two octets (RFC 2784 §2, RFC 2890 §2,
// RFC 2637 §4.1).
const (
	tsharkGREKeyBit = 0x2000
	tsharkGRESeqBit = 0x1000
	tsharkGREAckBit = 0x0080
)

// tsharkGRE reads a GRE header. tshark splits an enhanced GRE key into
// payload length and call ID (RFC 2637 §4.1) and prints a version 0 key
// whole (RFC 2890 §2.1).
func tsharkGRE(l *tsharkNode) []vpnField {
	fv, ok := tsharkNum(l, "gre.flags_and_version")
	if !ok {
		return []vpnField{{"flags-and-version", tsharkRaw(l, "gre.flags_and_version")}}
	}
	version := fv & 7
	fields := []vpnField{
		{"version", strconv.FormatUint(version, 10)},
		{"protocol", tsharkHex(l, "gre.proto", 4)},
	}
	if fv&tsharkGREKeyBit != 0 {
		if version == 1 {
			fields = append(fields,
				vpnField{"payload-length", tsharkDec(l, "gre.key.payload_length")},
				vpnField{"call-id", tsharkDec(l, "gre.key.call_id")})
		} else {
			fields = append(fields, vpnField{"key", tsharkHex(l, "gre.key", 8)})
		}
	}
	if fv&tsharkGRESeqBit != 0 {
		fields = append(fields, vpnField{"seq", tsharkDec(l, "gre.sequence_number")})
	}
	if fv&tsharkGREAckBit != 0 && version == 1 {
		fields = append(fields, vpnField{"ack", tsharkDec(l, "gre.ack_number")})
	}
	return fields
}

// tsharkPPTPResultFields are tshark's names of the Result Code field, one per
// message type that has one (RFC 2637 §2.2, §2.4, §2.6, §2.8, §2.10,
// §2.13).
var tsharkPPTPResultFields = []string{
	"pptp.control_result", "pptp.stop_result", "pptp.echo_result",
	"pptp.out_result", "pptp.in_result", "pptp.disc_result",
}

// tsharkPPTP reads a PPTP control message: its control message type (what
// tshark 4 calls pptp.control_message_type; its pptp.type is the message
// type of RFC 2637 §1.4, 1 for control), the call IDs and the result and
// error codes where the type has them.
func tsharkPPTP(l *tsharkNode) []vpnField {
	fields := []vpnField{{"type", tsharkDec(l, "pptp.control_message_type")}}
	if l.has("pptp.call_id") {
		fields = append(fields, vpnField{"call-id", tsharkDec(l, "pptp.call_id")})
	}
	if l.has("pptp.peer_call_id") {
		fields = append(fields, vpnField{"peer-call-id", tsharkDec(l, "pptp.peer_call_id")})
	}
	for _, k := range tsharkPPTPResultFields {
		if l.has(k) {
			fields = append(fields,
				vpnField{"result", tsharkDec(l, k)},
				vpnField{"error", tsharkDec(l, "pptp.error")})
			break
		}
	}
	return fields
}

// packetVPNFacts adds the facts of one decoded packet to the facts of its
// frame. Packets of kinds that tshark shows no VPN layer for (fragments,
// other traffic) add nothing; a malformed packet adds its reason as a note
// and, when its IKE header decoded, the IKE message.
func packetVPNFacts(f *vpnFacts, p *Packet) {
	switch p.Kind {
	case KindIKE:
		f.add("isakmp", packetISAKMPFacts(p))
	case KindMalformed:
		f.notes = append(f.notes, "vpnpcap: malformed: "+p.Fault.Message)
		if p.IKE != nil {
			f.add("isakmp", packetISAKMPFacts(p))
		}
	case KindESP, KindUDPESP, KindTCPESP:
		encap := map[Kind]string{KindESP: "ip", KindUDPESP: "udp", KindTCPESP: "tcp"}[p.Kind]
		f.add("esp", []vpnField{
			{"encap", encap},
			{"spi", factHex(uint64(p.ESP.SPI), 8)},
			{"seq", strconv.FormatUint(uint64(p.ESP.Seq), 10)},
		})
	case KindAH:
		f.add("ah", []vpnField{
			{"spi", factHex(uint64(p.AH.SPI), 8)},
			{"seq", strconv.FormatUint(uint64(p.AH.Seq), 10)},
		})
	case KindNATKeepalive:
		f.add("nat-keepalive", nil)
	case KindGRE:
		f.add("gre", packetGREFacts(&p.GRE))
	case KindPPTP:
		f.add("pptp", packetPPTPFacts(&p.PPTP))
	case KindICMPError:
		name := "icmp"
		if p.ICMP.IPv6 {
			name = "icmpv6"
		}
		f.add(name, packetICMPFacts(p.ICMP))
	}
}

// packetICMPFacts lists an ICMP error's fields and those of the quoted
// packet that the quote holds.
func packetICMPFacts(e *ICMPError) []vpnField {
	q := &e.Quote
	fields := []vpnField{
		{"type", strconv.Itoa(int(e.Type))},
		{"code", strconv.Itoa(int(e.Code))},
	}
	if e.TooBig() {
		fields = append(fields, vpnField{"mtu", strconv.FormatUint(uint64(e.MTU), 10)})
	}
	fields = append(fields,
		vpnField{"src", q.Src.String()},
		vpnField{"dst", q.Dst.String()},
		vpnField{"proto", strconv.Itoa(int(q.Proto))})
	if q.Have.Has(QuotePorts) {
		fields = append(fields,
			vpnField{"sport", strconv.Itoa(int(q.SrcPort))},
			vpnField{"dport", strconv.Itoa(int(q.DstPort))})
	}
	if q.Have.Has(QuoteGRE) {
		fields = append(fields, vpnField{"gre-version", strconv.Itoa(int(q.GRE.Version))})
	}
	if q.Have.Has(QuoteGREKey) {
		if q.GRE.Version == 1 {
			fields = append(fields, vpnField{"call-id", strconv.Itoa(int(q.GRE.CallID))})
		} else {
			fields = append(fields, vpnField{"key", factHex(uint64(q.GRE.Key), 8)})
		}
	}
	if q.Have.Has(QuoteSPI) {
		fields = append(fields, vpnField{"spi", factHex(uint64(q.ESP.SPI), 8)})
	}
	if q.Have.Has(QuoteSeq) {
		fields = append(fields, vpnField{"seq", strconv.FormatUint(uint64(q.ESP.Seq), 10)})
	}
	if q.Have.Has(QuoteIKESPIi) {
		fields = append(fields, vpnField{"ispi", factHex(q.IKE.SPIi, 16)})
	}
	if q.Have.Has(QuoteIKESPIr) {
		fields = append(fields, vpnField{"rspi", factHex(q.IKE.SPIr, 16)})
	}
	return fields
}

func packetISAKMPFacts(p *Packet) []vpnField {
	m := p.IKE
	types := make([]string, len(m.Payloads))
	for i, pl := range m.Payloads {
		types[i] = strconv.Itoa(int(pl.Type))
	}
	return []vpnField{
		{"non-esp-marker", strconv.FormatBool(p.NonESPMarker)},
		{"ispi", factHex(m.SPIi, 16)},
		{"rspi", factHex(m.SPIr, 16)},
		{"next-payload", strconv.Itoa(int(m.NextPayload))},
		{"version", strconv.Itoa(int(m.Version)) + "." + strconv.Itoa(int(m.MinorVersion))},
		{"exchange", strconv.Itoa(int(m.Exchange))},
		{"flags", factHex(uint64(m.Flags), 2)},
		{"message-id", factHex(uint64(m.MessageID), 8)},
		{"length", strconv.FormatUint(uint64(m.Length), 10)},
		{"payloads", strings.Join(types, ",")},
	}
}

func packetGREFacts(g *GREInfo) []vpnField {
	fields := []vpnField{
		{"version", strconv.Itoa(int(g.Version))},
		{"protocol", factHex(uint64(g.Protocol), 4)},
	}
	if g.KeyPresent {
		if g.Version == 1 {
			fields = append(fields,
				vpnField{"payload-length", strconv.Itoa(int(g.PayloadLen))},
				vpnField{"call-id", strconv.Itoa(int(g.CallID))})
		} else {
			fields = append(fields, vpnField{"key", factHex(uint64(g.Key), 8)})
		}
	}
	if g.SeqPresent {
		fields = append(fields, vpnField{"seq", strconv.FormatUint(uint64(g.Seq), 10)})
	}
	if g.AckPresent {
		fields = append(fields, vpnField{"ack", strconv.FormatUint(uint64(g.Ack), 10)})
	}
	return fields
}

func packetPPTPFacts(m *PPTPInfo) []vpnField {
	fields := []vpnField{{"type", strconv.Itoa(int(m.Type))}}
	if m.HasCallID {
		fields = append(fields, vpnField{"call-id", strconv.Itoa(int(m.CallID))})
	}
	if m.HasPeerCall {
		fields = append(fields, vpnField{"peer-call-id", strconv.Itoa(int(m.PeerCallID))})
	}
	if pptpHasResult(m.Type) {
		fields = append(fields,
			vpnField{"result", strconv.Itoa(int(m.ResultCode))},
			vpnField{"error", strconv.Itoa(int(m.ErrorCode))})
	}
	return fields
}

// pptpHasResult reports whether control messages of type t carry a Result
// Code and an Error Code: Start-Control-Connection-Reply (RFC 2637 §2.2),
// Stop-Control-Connection-Reply (§2.4), Echo-Reply (§2.6),
// Outgoing-Call-Reply (§2.8), Incoming-Call-Reply (§2.10) and
// Call-Disconnect-Notify (§2.13). It is written out here rather than taken
// from pptp.go, so that the comparison does not share the decoder's table.
func pptpHasResult(t PPTPMessageType) bool {
	switch t {
	case PPTPMessageTypeStartControlConnectionReply, PPTPMessageTypeStopControlConnectionReply,
		PPTPMessageTypeEchoReply, PPTPMessageTypeOutgoingCallReply,
		PPTPMessageTypeIncomingCallReply, PPTPMessageTypeCallDisconnectNotify:
		return true
	}
	return false
}

// vpnDiff is one disagreement between the Decoder and tshark about a
// field of a frame. Field is "proto.field" ("isakmp.exchange", "gre.seq",
// "pptp#2.call-id") or the instance name alone when one side has the
// protocol instance and the other does not.
type vpnDiff struct {
	frame        int
	field        string
	ours, theirs string
	notes        []string
}

func (d vpnDiff) String() string {
	s := fmt.Sprintf("frame %d %s: vpnpcap %s, tshark %s", d.frame, d.field, d.ours, d.theirs)
	if len(d.notes) > 0 {
		s += " [" + strings.Join(d.notes, "; ") + "]"
	}
	return s
}

// vpnDiffCounts counts what the comparison covered.
type vpnDiffCounts struct {
	files  int
	frames int // frames tshark read
	// compared is the number of frames in which either side has a VPN
	// protocol; fields the number of comparisons made in them: one per
	// protocol instance for its presence, one per field of an instance
	// both sides have.
	compared, fields int
	// instances counts the protocol instances both sides have, by
	// protocol.
	instances map[string]int
	explained int
	tunnelled int // VPN layers inside GRE, which the Decoder does not decode
}

func (c *vpnDiffCounts) merge(o *vpnDiffCounts) {
	c.files += o.files
	c.frames += o.frames
	c.compared += o.compared
	c.fields += o.fields
	c.explained += o.explained
	c.tunnelled += o.tunnelled
	for k, v := range o.instances {
		if c.instances == nil {
			c.instances = map[string]int{}
		}
		c.instances[k] += v
	}
}

// instanceSummary returns the instance counts as "esp 701, gre 1234…",
// by protocol name.
func (c *vpnDiffCounts) instanceSummary() string {
	protos := make([]string, 0, len(c.instances))
	for k := range c.instances {
		protos = append(protos, k)
	}
	sort.Strings(protos)
	parts := make([]string, len(protos))
	for i, k := range protos {
		parts[i] = k + " " + strconv.Itoa(c.instances[k])
	}
	return strings.Join(parts, ", ")
}

// compareVPNFacts compares the facts of one frame, adds what it compared
// to counts, and returns the disagreements.
func compareVPNFacts(frame int, ours, theirs *vpnFacts, counts *vpnDiffCounts) []vpnDiff {
	if len(ours.instances) == 0 && len(theirs.instances) == 0 {
		return nil
	}
	counts.compared++
	var diffs []vpnDiff
	notes := append(append([]string(nil), ours.notes...), theirs.notes...)
	seen := map[string]bool{}
	var order []*vpnInstance
	for _, side := range []*vpnFacts{ours, theirs} {
		for i := range side.instances {
			if in := &side.instances[i]; !seen[in.name] {
				seen[in.name] = true
				order = append(order, in)
			}
		}
	}
	for _, in := range order {
		o, t := ours.instance(in.name), theirs.instance(in.name)
		counts.fields++
		if o == nil || t == nil {
			d := vpnDiff{frame: frame, field: in.name, ours: "present", theirs: "present", notes: notes}
			if o == nil {
				d.ours = factAbsent
			} else {
				d.theirs = factAbsent
			}
			diffs = append(diffs, d)
			continue
		}
		if counts.instances == nil {
			counts.instances = map[string]int{}
		}
		counts.instances[in.proto]++
		fieldSeen := map[string]bool{}
		for _, side := range []*vpnInstance{o, t} {
			for _, f := range side.fields {
				if fieldSeen[f.name] {
					continue
				}
				fieldSeen[f.name] = true
				ov, tv := o.value(f.name), t.value(f.name)
				counts.fields++
				if ov != tv {
					diffs = append(diffs, vpnDiff{frame: frame, field: in.name + "." + f.name, ours: ov, theirs: tv, notes: notes})
				}
			}
		}
	}
	return diffs
}

// sortedFrameNumbers returns the keys of m in order.
func sortedFrameNumbers[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
