package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds what rules cite of the ICMP errors that quote VPN
// packets (flows ties each to the flow, ESP SA, tunnel or PPTP call of the
// packet it quotes): selecting the errors that answered the packets a
// finding is about, and the words and frames that say so.

// ICMPErrors returns the ICMP errors of one side's capture that keep
// selects, in capture order: each with what it quotes (Msg.Quote), what
// that belongs to (Flow, SA, Tunnel, Session) and, with two captures, where
// it came from (Origin: flows.ICMPOriginNAT when the NAT itself sent it).
func (c *Context) ICMPErrors(s flows.Side, keep func(*flows.ICMPError) bool) []*flows.ICMPError {
	a := c.Capture(s)
	if a == nil {
		return nil
	}
	return a.ICMPErrorsOf(keep)
}

// icmpAnswered describes ICMP errors of one side's capture as the answer to
// the packets a message has just counted, and returns their frames:
// "the NAT itself (198.51.100.1) answered 2 of them with ICMP port
// unreachable (outside frames 23, 26)". Errors from several senders get a
// clause each, joined by "; ". It returns "" for no errors.
func icmpAnswered(c *Context, s flows.Side, es []*flows.ICMPError) (string, []int) {
	var order []string
	groups := map[string][]*flows.ICMPError{}
	for _, e := range es {
		who := e.From.String()
		switch {
		case e.Origin == flows.ICMPOriginNAT:
			who = "the NAT itself (" + who + ")"
		case e.From == e.Msg.Quote.Dst:
			who += " (the address they were sent to)"
		}
		if groups[who] == nil {
			order = append(order, who)
		}
		groups[who] = append(groups[who], e)
	}
	var clauses []string
	var frames []int
	for _, who := range order {
		g := groups[who]
		var fs []int
		for _, e := range g {
			fs = append(fs, e.Frame)
		}
		frames = append(frames, fs...)
		n := strconv.Itoa(len(g)) + " of them"
		if len(g) == 1 {
			n = "one of them"
		}
		clauses = append(clauses, fmt.Sprintf("%s answered %s with %s (%s)", who, n, icmpKinds(g), sideFrameList(c, s, firstFrames(fs, 6))))
	}
	return strings.Join(clauses, "; "), frames
}

// icmpKinds names the types of a set of ICMP errors: "ICMP port
// unreachable", "ICMP fragmentation needed (next-hop MTU 1400)", or, when
// they differ, "ICMP port unreachable (3) and host unreachable (1)".
func icmpKinds(es []*flows.ICMPError) string {
	type kind struct {
		name string
		n    int
	}
	var kinds []kind
	family := "ICMP"
	for _, e := range es {
		if e.Msg.IPv6 {
			family = "ICMPv6"
		}
		name := icmpName(e.Msg)
		if i := slices.IndexFunc(kinds, func(k kind) bool { return k.name == name }); i >= 0 {
			kinds[i].n++
		} else {
			kinds = append(kinds, kind{name, 1})
		}
	}
	if len(kinds) == 1 {
		return family + " " + kinds[0].name
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s (%d)", k.name, k.n)
	}
	return family + " " + joinWithAnd(parts)
}

// icmpName names one error in running text: its code's name ("port
// unreachable"), or its type's where the code has none ("packet too big"),
// with the next-hop MTU where it says one.
func icmpName(e *decode.ICMPError) string {
	name := e.CodeName()
	if name == strconv.Itoa(int(e.Code)) {
		name = e.TypeName()
	}
	words := strings.Fields(name)
	for i, w := range words {
		// Title-case words go to lower case; acronyms (TOS, IPv6) stay.
		if r := []rune(w); len(r) > 1 && unicode.IsUpper(r[0]) && strings.ToLower(string(r[1:])) == string(r[1:]) {
			words[i] = strings.ToLower(w)
		}
	}
	name = strings.Join(words, " ")
	if e.TooBig() && e.MTU != 0 {
		name += " (next-hop MTU " + strconv.FormatUint(uint64(e.MTU), 10) + ")"
	}
	return name
}
