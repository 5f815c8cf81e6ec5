// Package filter parses packet filter expressions and matches decoded
// packets against them: `vpnpcap dump --filter 'host 10.0.0.2 and (ike or
// udp-esp) and not frame 1-10'`. The language is a small, tcpdump-like
// one; [Syntax] describes it. It depends on decode alone, so the CLI and
// the terminal UI can both use it.
//
// tui's row filter is another thing: it selects tunnels and flows of an
// analysis (by state, finding severity, side of the NAT), with terms that
// are all required, and stays in tui.
package filter

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
)

// Syntax describes the language, for help texts.
const Syntax = `A filter is made of primitives combined with and, or, not and parentheses
(&&, || and ! work too; two primitives side by side mean and; not binds
tighter than and, and than or):

  host ADDR        the packet's source or destination address (ADDR alone works too)
  net PREFIX       an address in the prefix, such as 10.0.0.0/8
  port N           the source or destination port
  src ..., dst ... host, net or port on the source or destination side only
  udp, tcp         the transport protocol
  spi HEX          an ESP or AH SPI, or an IKE SPI (initiator's or
                   responder's), in hexadecimal; 0x is optional
  kind KIND        the packet kind; a kind alone works too: ike, esp,
                   udp-esp, tcp-esp, nat-keepalive (keepalive), ah, gre,
                   pptp, ip-fragment (fragment), icmp-error (an ICMP error
                   that quotes a VPN packet), malformed, other
  frame N          frame number N; frame N-M from N to M; frame N- from N on
                   (a reassembled datagram is numbered by the frame that
                   completed it, as in its line)

Example: host 10.0.0.2 and (ike or udp-esp) and not frame 1-10`

// Filter is a parsed filter expression. The zero value and nil match every
// packet.
type Filter struct {
	text  string
	match func(*decode.Packet) bool
}

// String returns the expression as given.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.text
}

// Match reports whether p passes the filter.
func (f *Filter) Match(p *decode.Packet) bool {
	if f == nil || f.match == nil {
		return true
	}
	return f.match(p)
}

// Error is a syntax error: what is wrong, and where (the 1-based position
// of the word at fault in the expression, or 0 at its end).
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string {
	if e.Pos == 0 {
		return "filter: at the end: " + e.Msg
	}
	return fmt.Sprintf("filter: at character %d: %s", e.Pos, e.Msg)
}

// Parse parses a filter expression. The empty expression matches every
// packet. Errors are *Error; Parse never panics, and the expression is
// nested at most maxDepth parentheses and nots deep.
func Parse(s string) (*Filter, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	f := &Filter{text: strings.TrimSpace(s)}
	if len(toks) == 0 {
		return f, nil
	}
	p := &parser{toks: toks}
	m, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t, ok := p.peek(); ok {
		if t.text == ")" {
			return nil, &Error{t.pos, `")" without "("`}
		}
		return nil, &Error{t.pos, fmt.Sprintf("%q: expected and, or, or the end", t.text)}
	}
	f.match = m
	return f, nil
}

// maxDepth bounds nesting, so that a hostile expression cannot exhaust the
// stack.
const maxDepth = 100

type token struct {
	text string
	pos  int // 1-based byte position
}

// tokenize splits s into words, parentheses, "!", "&&" and "||".
func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, token{s[i : i+1], i + 1})
			i++
		case c == '!' && (i+1 == len(s) || s[i+1] != '='):
			toks = append(toks, token{"!", i + 1})
			i++
		case strings.HasPrefix(s[i:], "&&") || strings.HasPrefix(s[i:], "||"):
			toks = append(toks, token{s[i : i+2], i + 1})
			i += 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()!&|", rune(s[j])) {
				j++
			}
			if j == i {
				return nil, &Error{i + 1, fmt.Sprintf("unexpected %q (write && or || for and and or)", s[i:i+1])}
			}
			toks = append(toks, token{s[i:j], i + 1})
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	toks []token
	i    int
}

type pred = func(*decode.Packet) bool

func (p *parser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

func (p *parser) next() (token, bool) {
	t, ok := p.peek()
	if ok {
		p.i++
	}
	return t, ok
}

func isWord(t token, words ...string) bool {
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			return true
		}
	}
	return false
}

func (p *parser) or(depth int) (pred, error) {
	left, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok || !isWord(t, "or", "||") {
			return left, nil
		}
		p.i++
		right, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l := left
		left = func(pk *decode.Packet) bool { return l(pk) || right(pk) }
	}
}

func (p *parser) and(depth int) (pred, error) {
	left, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok || isWord(t, "or", "||") || t.text == ")" {
			return left, nil
		}
		if isWord(t, "and", "&&") {
			p.i++
		}
		right, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		l := left
		left = func(pk *decode.Packet) bool { return l(pk) && right(pk) }
	}
}

func (p *parser) unary(depth int) (pred, error) {
	if depth >= maxDepth {
		t, _ := p.peek()
		return nil, &Error{t.pos, fmt.Sprintf("nested more than %d deep", maxDepth)}
	}
	t, ok := p.next()
	if !ok {
		return nil, &Error{0, "a primitive is missing (such as host 10.0.0.2, port 4500 or esp)"}
	}
	switch {
	case isWord(t, "not", "!"):
		m, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return func(pk *decode.Packet) bool { return !m(pk) }, nil
	case t.text == "(":
		m, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		c, ok := p.next()
		if !ok {
			return nil, &Error{0, fmt.Sprintf(`"(" at character %d is not closed`, t.pos)}
		}
		if c.text != ")" {
			return nil, &Error{c.pos, fmt.Sprintf("%q: expected )", c.text)}
		}
		return m, nil
	case t.text == ")":
		return nil, &Error{t.pos, `")" where a primitive should be`}
	case isWord(t, "and", "or", "&&", "||"):
		return nil, &Error{t.pos, fmt.Sprintf("%q where a primitive should be", t.text)}
	}
	return p.primitive(t)
}

// side restricts host, net and port to the source or destination.
type side uint8

const (
	either side = iota
	source
	destination
)

func (p *parser) primitive(t token) (pred, error) {
	sd := either
	if isWord(t, "src", "dst") {
		sd = source
		if isWord(t, "dst") {
			sd = destination
		}
		n, ok := p.next()
		if !ok {
			return nil, &Error{0, fmt.Sprintf("%s needs host, net or port after it", strings.ToLower(t.text))}
		}
		if !isWord(n, "host", "net", "port") {
			return nil, &Error{n.pos, fmt.Sprintf("%q: %s takes host, net or port", n.text, strings.ToLower(t.text))}
		}
		t = n
	}
	word := strings.ToLower(t.text)
	switch word {
	case "host", "net", "port", "spi", "kind", "frame", "frames":
		arg, ok := p.next()
		if !ok {
			return nil, &Error{0, fmt.Sprintf("%s needs a value, as in %s", word, examples[word])}
		}
		if arg.text == "(" || arg.text == ")" || arg.text == "!" || isWord(arg, "and", "or", "not", "&&", "||") {
			return nil, &Error{arg.pos, fmt.Sprintf("%s needs a value, as in %s", word, examples[word])}
		}
		m, err := valued(word, arg.text, sd)
		if err != nil {
			return nil, &Error{arg.pos, err.Error()}
		}
		return m, nil
	case "udp", "tcp":
		proto := uint8(decode.ProtoUDP)
		if word == "tcp" {
			proto = decode.ProtoTCP
		}
		return func(pk *decode.Packet) bool { return pk.Proto == proto }, nil
	}
	if k, ok := KindByName(word); ok {
		return func(pk *decode.Packet) bool { return pk.Kind == k }, nil
	}
	if a, err := netip.ParseAddr(t.text); err == nil {
		return hostMatch(a, either), nil
	}
	return nil, &Error{t.pos, fmt.Sprintf("unknown word %q (want host, net, port, src, dst, udp, tcp, spi, kind, frame, a kind such as esp, or an address)", t.text)}
}

var examples = map[string]string{
	"host":   "host 10.0.0.2",
	"net":    "net 10.0.0.0/8",
	"port":   "port 4500",
	"spi":    "spi 0xc0ffee01",
	"kind":   "kind udp-esp",
	"frame":  "frame 10-20",
	"frames": "frames 10-20",
}

func valued(word, val string, sd side) (pred, error) {
	switch word {
	case "host":
		a, err := netip.ParseAddr(val)
		if err != nil {
			return nil, fmt.Errorf("host %s: not an IP address", val)
		}
		return hostMatch(a, sd), nil
	case "net":
		pf, err := netip.ParsePrefix(val)
		if err != nil {
			return nil, fmt.Errorf("net %s: not an address prefix such as 10.0.0.0/8", val)
		}
		pf = pf.Masked()
		return addrMatch(func(a netip.Addr) bool { return pf.Contains(a.Unmap()) }, sd), nil
	case "port":
		n, err := strconv.ParseUint(val, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port %s: not a port number (0 to 65535)", val)
		}
		port := uint16(n)
		return func(pk *decode.Packet) bool {
			if pk.Proto != decode.ProtoTCP && pk.Proto != decode.ProtoUDP {
				return false
			}
			switch sd {
			case source:
				return pk.SrcPort == port
			case destination:
				return pk.DstPort == port
			}
			return pk.SrcPort == port || pk.DstPort == port
		}, nil
	case "spi":
		h := strings.TrimPrefix(strings.ToLower(val), "0x")
		spi, err := strconv.ParseUint(h, 16, 64)
		if err != nil || h == "" {
			return nil, fmt.Errorf("spi %s: not a hexadecimal SPI", val)
		}
		return func(pk *decode.Packet) bool { return hasSPI(pk, spi) }, nil
	case "kind":
		k, ok := KindByName(strings.ToLower(val))
		if !ok {
			return nil, fmt.Errorf("kind %s: unknown kind (want %s)", val, kindList())
		}
		return func(pk *decode.Packet) bool { return pk.Kind == k }, nil
	case "frame", "frames":
		lo, hi, err := frameRange(val)
		if err != nil {
			return nil, fmt.Errorf("frame %s: %w", val, err)
		}
		return func(pk *decode.Packet) bool { return pk.Frame >= lo && pk.Frame <= hi }, nil
	}
	return nil, fmt.Errorf("unknown primitive %q", word)
}

func hostMatch(a netip.Addr, sd side) pred {
	a = a.Unmap()
	return addrMatch(func(b netip.Addr) bool { return b.Unmap() == a }, sd)
}

func addrMatch(ok func(netip.Addr) bool, sd side) pred {
	return func(pk *decode.Packet) bool {
		switch sd {
		case source:
			return pk.Src.IsValid() && ok(pk.Src)
		case destination:
			return pk.Dst.IsValid() && ok(pk.Dst)
		}
		return pk.Src.IsValid() && ok(pk.Src) || pk.Dst.IsValid() && ok(pk.Dst)
	}
}

// hasSPI reports whether the packet carries spi: an ESP or AH SPI, or
// either SPI of an IKE header (a malformed IKE message included).
func hasSPI(pk *decode.Packet, spi uint64) bool {
	switch pk.Kind {
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
		return uint64(pk.ESP.SPI) == spi
	case decode.KindAH:
		return uint64(pk.AH.SPI) == spi
	}
	if m := pk.IKE; m != nil {
		return m.SPIi == spi || m.SPIr == spi
	}
	return false
}

var errFrameRange = errors.New("want N, N-M or N- (frame numbers start at 1)")

// frameRange parses N, N-M or N-.
func frameRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err = strconv.Atoi(a)
	if err != nil || lo < 1 {
		return 0, 0, errFrameRange
	}
	switch {
	case !isRange:
		return lo, lo, nil
	case b == "":
		return lo, int(^uint(0) >> 1), nil
	}
	hi, err = strconv.Atoi(b)
	if err != nil || hi < 1 {
		return 0, 0, errFrameRange
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("the range ends before it starts")
	}
	return lo, hi, nil
}

// kindAliases are short names of kinds.
var kindAliases = map[string]decode.Kind{
	"keepalive": decode.KindNATKeepalive,
	"fragment":  decode.KindIPFragment,
}

// KindByName returns the kind a filter names: by its name ("udp-esp") or
// a short one ("keepalive", "fragment").
func KindByName(s string) (decode.Kind, bool) {
	if k, ok := kindAliases[s]; ok {
		return k, true
	}
	for k := range decode.NumKinds {
		if decode.Kind(k).String() == s {
			return decode.Kind(k), true
		}
	}
	return 0, false
}

func kindList() string {
	names := make([]string, decode.NumKinds)
	for k := range decode.NumKinds {
		names[k] = decode.Kind(k).String()
	}
	return strings.Join(names, ", ")
}
