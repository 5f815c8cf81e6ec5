package tui

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/filter"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// rowFilter is a parsed filter expression of the tunnels-and-flows pane: terms separated by spaces, all of
// which a row must match. The terms are
//
//	esp ike udp-esp gre …   a packet kind the row carried (decode.Kind names)
//	pptp                    the PPTP calls (their rows and flows) and any PPTP control flow
//	udp tcp                 the flow's transport protocol
//	tunnels flows           the row's type
//	10.0.0.2 10.0.0.0/8     an address or prefix, on either side
//	port 4500, port=4500    a port, on either side
//	spi=0xc0ffee01          an ESP/AH SPI or an IKE SPI (hex, 0x optional)
//	severity>=warning       the worst finding of the row's tunnel or call (=, !=, <, <=, >, >=; sev for short)
//	tunnel=2                the tunnel (its row and its flows)
//	session=1               the PPTP call (its row and its flows; P1 too)
//	side=inside             the capture (inside, outside; in, out)
//	state=failed            the tunnel's state
//
// and any term may be negated with a leading "!".
type rowFilter struct {
	text  string
	terms []term
}

// term is one condition of a filter.
type term struct {
	neg   bool
	match func(m *model, r *row) bool
}

// filterHelp is what the filter bar shows when a term is not understood.
const filterHelp = "try esp, ike, gre, udp-esp, 10.0.0.2, port 4500, spi=0xc0ffee01, severity>=warning, tunnel=2, pptp, session=1"

// parseFilter parses a filter expression. The empty expression matches
// everything. Errors name the term at fault; they never panic.
func parseFilter(s string) (*rowFilter, error) {
	f := &rowFilter{text: strings.TrimSpace(s)}
	fields := strings.Fields(s)
	for i := 0; i < len(fields); i++ {
		tok := fields[i]
		neg := false
		if strings.HasPrefix(tok, "!") {
			neg, tok = true, tok[1:]
			if tok == "" {
				return nil, fmt.Errorf("filter: %q negates nothing", "!")
			}
		}
		if strings.EqualFold(tok, "port") {
			if i+1 >= len(fields) {
				return nil, fmt.Errorf("filter: port needs a number, as in port 4500")
			}
			i++
			tok = "port=" + fields[i]
		}
		m, err := parseTerm(tok)
		if err != nil {
			return nil, err
		}
		f.terms = append(f.terms, term{neg: neg, match: m})
	}
	return f, nil
}

// matches reports whether a row passes the filter.
func (f *rowFilter) matches(m *model, r *row) bool {
	if f == nil {
		return true
	}
	for _, t := range f.terms {
		if t.match(m, r) == t.neg {
			return false
		}
	}
	return true
}

// comparison operators, longest first so that ">=" is not read as ">".
var filterOps = []string{">=", "<=", "!=", "=", ">", "<"}

func parseTerm(tok string) (func(*model, *row) bool, error) {
	for _, op := range filterOps {
		if i := strings.Index(tok, op); i > 0 {
			return parseComparison(strings.ToLower(tok[:i]), op, tok[i+len(op):])
		}
	}
	low := strings.ToLower(tok)
	switch low {
	case "tunnels", "tunnel":
		return func(_ *model, r *row) bool { return r.kind == rowTunnel }, nil
	case "flows", "flow":
		return func(_ *model, r *row) bool { return r.kind == rowFlow }, nil
	case "udp", "tcp":
		proto := uint8(flows.ProtoUDP)
		if low == "tcp" {
			proto = flows.ProtoTCP
		}
		return func(_ *model, r *row) bool { return slices.Contains(r.protos, proto) }, nil
	case "pptp":
		return func(_ *model, r *row) bool { return r.session != 0 || r.kinds[decode.KindPPTP] }, nil
	}
	if kind, ok := filter.KindByName(low); ok {
		return func(_ *model, r *row) bool { return r.kinds[kind] }, nil
	}
	if strings.Contains(tok, "/") {
		if p, err := netip.ParsePrefix(tok); err == nil {
			p = p.Masked()
			return func(_ *model, r *row) bool {
				return slices.ContainsFunc(r.addrs, func(a netip.Addr) bool { return p.Contains(a.Unmap()) })
			}, nil
		}
		return nil, fmt.Errorf("filter: %q is not an address prefix", tok)
	}
	if a, err := netip.ParseAddr(tok); err == nil {
		a = a.Unmap()
		return func(_ *model, r *row) bool {
			return slices.ContainsFunc(r.addrs, func(b netip.Addr) bool { return b.Unmap() == a })
		}, nil
	}
	return nil, fmt.Errorf("filter: unknown term %q (%s)", tok, filterHelp)
}

// parseComparison parses a term that compares a field with a value
// (severity>=warning, spi=0xc0ffee01), its key already lowercase.
func parseComparison(key, op, val string) (func(*model, *row) bool, error) {
	if val == "" {
		return nil, fmt.Errorf("filter: %s%s needs a value", key, op)
	}
	eqOnly := func() error {
		if op != "=" && op != "!=" {
			return fmt.Errorf("filter: %s takes = or !=, not %s", key, op)
		}
		return nil
	}
	neg := op == "!="
	switch key {
	case "severity", "sev":
		sev, err := rules.ParseSeverity(val)
		if err != nil {
			return nil, fmt.Errorf("filter: unknown severity %q (want info, warning or error)", val)
		}
		return func(m *model, r *row) bool {
			w, ok := m.worstOf(r)
			return ok && compareInts(int(w), op, int(sev))
		}, nil
	case "tunnel":
		n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(val), "T"))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("filter: tunnel=%s: not a tunnel number", val)
		}
		return func(_ *model, r *row) bool { return r.tunnel != 0 && compareInts(r.tunnel, op, n) }, nil
	case "session":
		n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(val), "P"))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("filter: session=%s: not a PPTP call number", val)
		}
		return func(_ *model, r *row) bool { return r.session != 0 && compareInts(r.session, op, n) }, nil
	case "port":
		n, err := strconv.ParseUint(val, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("filter: port %s: not a port number", val)
		}
		if err := eqOnly(); err != nil {
			return nil, err
		}
		port := uint16(n)
		return func(_ *model, r *row) bool { return slices.Contains(r.ports, port) != neg }, nil
	case "spi":
		if err := eqOnly(); err != nil {
			return nil, err
		}
		h := strings.TrimPrefix(strings.ToLower(val), "0x")
		n, err := strconv.ParseUint(h, 16, 64)
		if err != nil || h == "" {
			return nil, fmt.Errorf("filter: spi=%s: not a hexadecimal SPI", val)
		}
		return func(_ *model, r *row) bool { return slices.Contains(r.spis, n) != neg }, nil
	case "side":
		if err := eqOnly(); err != nil {
			return nil, err
		}
		return parseSide(val, neg)
	case "state":
		if err := eqOnly(); err != nil {
			return nil, err
		}
		return parseState(val, neg)
	case "kind":
		if err := eqOnly(); err != nil {
			return nil, err
		}
		m, err := parseTerm(val)
		if err != nil {
			return nil, err
		}
		return func(md *model, r *row) bool { return m(md, r) != neg }, nil
	}
	return nil, fmt.Errorf("filter: unknown field %q (%s)", key, filterHelp)
}

// parseSide parses side=val: the rows a capture saw, tunnels and PPTP
// calls by their sightings, flows by their capture; neg for side!=val.
func parseSide(val string, neg bool) (func(*model, *row) bool, error) {
	var s flows.Side
	switch strings.ToLower(val) {
	case "inside", "in":
		s = flows.SideInside
	case "outside", "out":
		s = flows.SideOutside
	default:
		return nil, fmt.Errorf("filter: side=%s: want inside or outside", val)
	}
	return func(_ *model, r *row) bool {
		switch r.kind {
		case rowTunnel:
			return (r.view.Sides[s] != nil) != neg
		case rowSession:
			return (r.call.Sides[s] != nil) != neg
		}
		return (r.side == s) != neg
	}, nil
}

// parseState parses state=val: the tunnel rows whose tunnel is in that
// state in a capture that saw it; neg for state!=val.
func parseState(val string, neg bool) (func(*model, *row) bool, error) {
	want := strings.ToLower(val)
	switch flows.State(want) {
	case flows.StateNegotiating, flows.StateEstablished, flows.StateFailed, flows.StateRekeyed, flows.StateDeleted:
	default:
		return nil, fmt.Errorf("filter: state=%s: want negotiating, established, failed, rekeyed or deleted", val)
	}
	return func(_ *model, r *row) bool {
		if r.view == nil {
			return neg
		}
		has := false
		for _, t := range r.view.Sides {
			if t != nil && string(t.State) == want {
				has = true
			}
		}
		return has != neg
	}, nil
}

func compareInts(a int, op string, b int) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}
