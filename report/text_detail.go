package report

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// The sections of the text report that list what the captures hold:
// captures, tunnels, PPTP calls, ESP without IKE, NAT mappings and flows.

// MaxShown is how many tunnels, calls, ESP groups, mappings and
// verdicts the text report lists; the rest are counted. The JSON report
// lists more (Batch.BoundLists).
const MaxShown = 100

// MaxLadders is how many ladder diagrams a report draws (ChooseLadders);
// --tunnel, --call and --esp-group draw any one.
const MaxLadders = 10

// ChooseLadders picks the subjects whose ladders a report draws: the one
// named, else MaxLadders of the tunnels, PPTP calls and ESP groups, those
// whose verdict fails first, then those whose outcome cannot be told, then
// those that work; the ones chosen are drawn in report order. A report on
// a busy capture thus draws the negotiations it is read for, not merely
// the first ones.
func ChooseLadders(c *rules.Context, verdicts []rules.Verdict, only Subject) []ladder.Subject {
	var out []ladder.Subject
	for _, s := range ladder.Subjects(c) {
		if only.IsZero() || s.Kind() == only.Kind && s.ID() == only.ID {
			out = append(out, s)
		}
	}
	if len(out) <= MaxLadders {
		return out
	}
	rank := map[Subject]int{}
	for _, v := range verdicts {
		r := 2
		switch v.Outcome {
		case rules.OutcomeFails:
			r = 0
		case rules.OutcomeUnknown:
			r = 1
		}
		for _, s := range []Subject{{ladder.SubjectTunnel, v.Tunnel}, {ladder.SubjectCall, v.Session}, {ladder.SubjectGroup, v.Group}} {
			if s.ID != 0 {
				rank[s] = r
			}
		}
	}
	key := func(s ladder.Subject) int {
		if r, ok := rank[Subject{s.Kind(), s.ID()}]; ok {
			return r
		}
		return 3
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(key(out[a]), key(out[b])) })
	order = order[:MaxLadders]
	slices.Sort(order)
	chosen := make([]ladder.Subject, len(order))
	for i, j := range order {
		chosen[i] = out[j]
	}
	return chosen
}

// laddersNote says, when the report drew the ladders of some of its
// subjects only, how many and which; "" when it drew them all or was
// limited to one.
func (r *Report) laddersNote() string {
	of := r.subjects[0] + r.subjects[1] + r.subjects[2]
	if len(r.Ladders) == 0 || len(r.Ladders) >= of {
		return ""
	}
	var kinds []string
	for i, k := range []string{"tunnels", "PPTP calls", "ESP groups"} {
		if r.subjects[i] > 0 {
			kinds = append(kinds, k)
		}
	}
	if n := len(kinds); n > 1 {
		kinds = append(kinds[:n-2], kinds[n-2]+" and "+kinds[n-1])
	}
	n := len(r.Ladders)
	// ChooseLadders took those that fail, then those that cannot be
	// told, then those that work, each in report order.
	fails := min(n, r.failing)
	undecided := min(n-fails, r.undecided)
	works := n - fails - undecided
	var parts []string
	for _, g := range []struct {
		drawn, of int
		one, many string
	}{{fails, r.failing, "that fails", "that fail"}, {undecided, r.undecided, "whose outcome cannot be told", "whose outcome cannot be told"},
		{works, of - r.failing - r.undecided, "that works", "that work"}} {
		switch {
		case g.drawn == 0:
		case g.drawn == 1 && g.of == 1:
			parts = append(parts, "the one "+g.one)
		case g.drawn == g.of:
			parts = append(parts, "the "+words.Thousands(g.drawn)+" "+g.many)
		default:
			parts = append(parts, "the first "+words.Thousands(g.drawn)+" of the "+words.Thousands(g.of)+" "+g.many)
		}
	}
	return fmt.Sprintf("Ladders are drawn for %s of the %s %s: %s; vpnpcap analyze --tunnel N, --call N or --esp-group N draws any one.",
		words.Thousands(n), words.Thousands(of), strings.Join(kinds, ", "), strings.Join(parts, ", then "))
}

// omitted says how many rows a list left out.
func (t *textWriter) omitted(r *Report, n int, one, many string) {
	if n > 0 {
		t.wrap("  ", "", omittedNote(r, n, one, many))
	}
}

// omittedNote says how many rows a list left out, and where they are.
func omittedNote(r *Report, n int, one, many string) string {
	return "… and " + words.Thousands(n) + " more " + words.Pick(n, one, many) + ", not listed here (" + r.jsonNote() + ")"
}

func (t *textWriter) captures(r *Report) {
	t.heading("CAPTURES")
	const more = "           "
	for _, c := range r.Captures {
		span := ""
		if c.First != "" {
			span = fmt.Sprintf(", %s to %s (%.1f s)", c.First, c.Last, c.Span)
		}
		t.wrap("  ", fmt.Sprintf("%-8s ", c.Role), c.Path+": "+frameCounts(c)+span)
		if c.Packets != c.VPNFrames {
			t.wrap(more, "", fmt.Sprintf("decoded into %s: %s (one frame can carry several)", words.Count(c.Packets, "VPN packet"), kindCounts(c.Kinds)))
		}
		if c.Duplicates > 0 {
			t.wrap(more, "", fmt.Sprintf("%s captured twice: copies left out of the analysis (VP911)", words.Count(c.Duplicates, "VPN frame")))
		}
		switch c.TimeOrder {
		case "time":
			t.wrap(more, "", "time runs backwards in the file: packets analysed in time order (VP909)")
		case "file-unsorted":
			t.wrap(more, "", "time runs backwards in the file, and the packets are too many to sort: analysed in file order (VP909)")
		case "file-stream":
			t.wrap(more, "", "time runs backwards in the stream, which cannot be read again to sort it: analysed in file order (VP909)")
		}
		if c.SameTime {
			t.wrap(more, "", "every frame has the same time stamp: nothing can be timed (VP910)")
		}
		if c.Malformed > 0 {
			t.wrap(more, "", words.Count(c.Malformed, "malformed VPN packet"))
		}
		for _, reason := range sortedKeys(c.Undecodable) {
			t.wrap(more, "", fmt.Sprintf("%s not decoded: %s", words.Count(c.Undecodable[reason], "frame"), reason))
		}
		if c.ReadError != "" {
			t.wrapStyled(more, "read error: ", t.style(ansiRed, "read error")+": ", c.ReadError+" (everything before it was analysed)")
		}
		if c.Overflow != nil {
			t.wrap(more, "", fmt.Sprintf("flow table full: %d flows (%d packets) and %d tunnels not tracked", c.Overflow.Flows, c.Overflow.Packets, c.Overflow.Tunnels))
		}
		for _, l := range c.Reassembly.lines() {
			t.wrap(more, "", l)
		}
	}
	if cor := r.Correlation; cor != nil {
		t.wrap("  ", "roles: ", cor.Roles)
		if cor.Anchors == 0 {
			t.wrap("  ", "correlation: ", "the captures share no packet; they cannot be compared")
			return
		}
		t.wrap("  ", "clock: ", fmt.Sprintf("outside = inside %+.6f s (drift %.1f ppm, from %d packet pairs)", cor.OffsetSeconds, cor.DriftPPM, cor.Anchors))
		if cor.Overlaps {
			t.wrap("  ", "overlap: ", fmt.Sprintf("%.1f s; compared %d inside and %d outside packets: %d matched, %d modified; unmatched: %d inside, %d outside",
				cor.OverlapSeconds, cor.InsideCompared, cor.OutsideCompared, cor.Matched, cor.Modified, cor.InsideUnmatched, cor.OutsideUnmatched))
		} else {
			t.wrap("  ", "overlap: ", "none: the captures do not cover the same time")
		}
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

// endpoints shows an endpoint by capture role, inside first, and where it
// moved (the float, a rebinding): "ins 10.0.0.2:500 → :4500" when only
// the port changed.
func endpoints(m map[string]string) string {
	var parts []string
	for _, role := range []string{"capture", "inside", "outside"} {
		v, ok := m[role]
		if !ok {
			continue
		}
		if latest, ok := m[role+"_latest"]; ok {
			v += " → " + movedTo(v, latest)
		}
		if role != "capture" {
			v = role[:3] + " " + v
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "\n")
}

// movedTo shows where an endpoint moved: its port alone when the address
// stayed.
func movedTo(from, to string) string {
	f, errF := netip.ParseAddrPort(from)
	t, errT := netip.ParseAddrPort(to)
	if errF == nil && errT == nil && f.Addr() == t.Addr() {
		return ":" + strconv.Itoa(int(t.Port()))
	}
	return to
}

func (t *textWriter) tunnels(r *Report) {
	t.heading("TUNNELS")
	if len(r.Tunnels) == 0 {
		t.printf("  none (no IKE seen)\n")
		return
	}
	shown := r.Tunnels[:min(len(r.Tunnels), MaxShown)]
	t.table(tunnelTable(shown))
	t.omitted(r, len(r.Tunnels)-len(shown), "tunnel", "tunnels")
	reasons := map[string]int{}
	for _, tn := range shown {
		t.wrap("  ", fmt.Sprintf("%d: ", tn.ID), fmt.Sprintf("SPIs %s/%s; %s", tn.SPIi, tn.SPIr, tn.StateReason))
		switch first, ok := reasons[tn.NATBasis.Reason]; {
		case tn.NATBasis.Reason == "":
		case ok:
			t.wrap("     ", "NAT: ", fmt.Sprintf("as for tunnel %d", first))
		default:
			reasons[tn.NATBasis.Reason] = tn.ID
			t.wrap("     ", "NAT: ", tn.NATBasis.Reason)
		}
		if s := fragmentationWords(tn.Fragmentation); s != "" {
			t.wrap("     ", "fragmentation: ", s)
		}
		for i, p := range []PeerNAT{tn.NATBasis.Initiator, tn.NATBasis.Responder} {
			if p.NATDFaked != "" {
				t.wrap("     ", "NAT-D: ", fmt.Sprintf("the %s's source hash is no evidence of a NAT: %s", flows.Role(i), p.NATDFakedReason))
			}
		}
	}
}

// tunnelTable is the table of tunnels: their peers, NAT, NAT-T, ESP and
// state.
func tunnelTable(tunnels []Tunnel) table {
	rows := make([][]string, 0, len(tunnels))
	for _, tn := range tunnels {
		natt := "no"
		if tn.NATTNegotiated {
			natt = "yes"
			if tn.Float {
				natt += ", floated"
			}
		}
		nat := tn.NAT
		if basis := natBasisWords(tn.NATBasis); basis != "" {
			nat += "\n(" + basis + ")"
		}
		rows = append(rows, []string{
			fmt.Sprint(tn.ID), fmt.Sprintf("v%d", tn.IKEVersion),
			endpoints(tn.Initiator), endpoints(tn.Responder),
			nat, natt, tn.Encapsulation, espWords(tn.ESPSAs), tn.State,
		})
	}
	narrow := table{header: []string{"#", "PEERS", "NAT", "ESP", "STATE"}, record: "tunnel", keep: 1}
	for i, tn := range tunnels {
		r := rows[i]
		peers := prefixLines(r[2], "ini ") + "\n" + prefixLines(r[3], "res ")
		narrow.rows = append(narrow.rows, []string{r[0] + "\n" + r[1], peers, r[4] + "\nNAT-T " + r[5], tn.Encapsulation + "\n" + r[7], r[8]})
	}
	return table{header: []string{"#", "IKE", "INITIATOR", "RESPONDER", "NAT", "NAT-T", "ESP ENCAP", "ESP", "STATE"}, rows: rows, record: "tunnel", narrow: &narrow}
}

// prefixLines puts a prefix before a cell's first line and indents the
// others as far.
func prefixLines(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", len(prefix)))
}

// fragmentationWords says how large IKE messages travelled, when any was
// fragmented.
func fragmentationWords(f Fragmentation) string {
	if f.IKEFragments == 0 && f.IPFragmented == 0 {
		return ""
	}
	var parts []string
	switch {
	case f.Announced["initiator"] && f.Announced["responder"]:
		parts = append(parts, "IKE fragmentation announced by both peers")
	case f.Announced["initiator"]:
		parts = append(parts, "IKE fragmentation announced by the initiator only")
	case f.Announced["responder"]:
		parts = append(parts, "IKE fragmentation announced by the responder only")
	default:
		parts = append(parts, "IKE fragmentation announced by neither peer")
	}
	if f.IKEFragments > 0 {
		parts = append(parts, fmt.Sprintf("%d IKE fragments (RFC 7383) carried the large messages", f.IKEFragments))
	}
	if f.IPFragmented > 0 {
		parts = append(parts, fmt.Sprintf("%d IKE messages travelled as IP fragments (the largest %d octets)", f.IPFragmented, f.LargestOctets))
	} else {
		parts = append(parts, "no IKE message was IP-fragmented")
	}
	return strings.Join(parts, "; ")
}

// natBasisWords names, in a few words, what shows the NAT position.
func natBasisWords(n NAT) string {
	want := "yes"
	if n.Initiator.Behind != "yes" && n.Responder.Behind != "yes" {
		want = "no"
	}
	var words []string
	for _, p := range []PeerNAT{n.Initiator, n.Responder} {
		if p.Behind != want {
			continue
		}
		for _, b := range p.Basis {
			w := basisWord(b)
			if !slices.Contains(words, w) {
				words = append(words, w)
			}
		}
	}
	return strings.Join(words, ", ")
}

func basisWord(b string) string {
	switch b {
	case string(flows.BasisTranslation), string(flows.BasisOtherTraffic):
		return "translation seen"
	case string(flows.BasisSameAddress):
		return "same address"
	case string(flows.BasisNATDDestination), string(flows.BasisNATDSource):
		return "NAT-D"
	case string(flows.BasisPrivateAddress):
		return "private address"
	}
	return b
}

// espWords counts a tunnel's distinct SAs and their packets, each SA
// counted once however many captures saw it (with the larger count).
func espWords(sas []ESPSA) string {
	type key struct{ spi, proto string }
	packets := map[key]int{}
	var order []key
	for _, sa := range sas {
		k := key{sa.SPI, sa.Protocol}
		if _, ok := packets[k]; !ok {
			order = append(order, k)
		}
		packets[k] = max(packets[k], sa.Packets)
	}
	n := 0
	for _, k := range order {
		n += packets[k]
	}
	out := fmt.Sprintf("%d SAs", len(order))
	if len(order) == 1 {
		out = "1 SA"
	}
	if len(order) > 0 {
		out += fmt.Sprintf(", %d pkts", n)
	}
	return out
}

func (t *textWriter) sessions(r *Report) {
	if len(r.PPTP) == 0 {
		return
	}
	t.heading("PPTP CALLS")
	shown := r.PPTP[:min(len(r.PPTP), MaxShown)]
	t.table(sessionTable(shown))
	t.omitted(r, len(r.PPTP)-len(shown), "PPTP call", "PPTP calls")
	for _, s := range shown {
		if note := callIDNote(s); note != "" {
			t.wrap("  ", fmt.Sprintf("%d: ", s.ID), note)
		}
	}
}

// sessionTable is the table of PPTP calls.
func sessionTable(calls []PPTPSession) table {
	rows := make([][]string, 0, len(calls))
	for _, s := range calls {
		state := "control refused"
		switch {
		case s.ControlEstablished && s.CallResult == 1:
			state = "connected"
		case s.ControlEstablished:
			state = fmt.Sprintf("call result %d", s.CallResult)
		}
		rows = append(rows, []string{fmt.Sprint(s.ID), endpoints(s.Client), endpoints(s.Server),
			roleCallIDs(s.Client, s.ClientCallIDs), roleCallIDs(s.Client, s.ServerCallIDs), state,
			roleGRECounts(s.GREOut, s.GREOutShared), roleGRECounts(s.GREIn, s.GREInShared)})
	}
	return table{header: []string{"#", "CLIENT", "SERVER", "CLIENT CALL ID", "SERVER CALL ID", "STATE", "GRE OUT", "GRE IN"}, rows: rows, record: "PPTP call"}
}

// roleGRECounts shows a call's GRE counts per capture role, inside first,
// with those shared with a colliding call.
func roleGRECounts(m, shared map[string]int) string {
	var parts []string
	for _, role := range []string{"capture", "inside", "outside"} {
		n, ok := m[role]
		if !ok {
			continue
		}
		v := fmt.Sprint(n)
		if sh := shared[role]; sh > 0 {
			v += fmt.Sprintf(" +%d shared", sh)
		}
		if role != "capture" {
			v = role[:3] + " " + v
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "\n")
}

// roleCallIDs shows a call ID per capture role that saw the call, inside
// first; "-" where that capture saw the call but not the message with the
// ID.
func roleCallIDs(sides map[string]string, ids map[string]uint16) string {
	var parts []string
	for _, role := range []string{"capture", "inside", "outside"} {
		if _, ok := sides[role]; !ok {
			continue
		}
		v := "-"
		if id, ok := ids[role]; ok {
			v = decode.CallIDString(id)
		}
		if role != "capture" {
			v = role[:3] + " " + v
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "\n")
}

// callIDNote says what the NAT did with a call's IDs, when both captures
// saw them, and which GRE counts as shared.
func callIDNote(s PPTPSession) string {
	var notes []string
	in, inOK := s.ClientCallIDs["inside"]
	out, outOK := s.ClientCallIDs["outside"]
	sin, sinOK := s.ServerCallIDs["inside"]
	sout, soutOK := s.ServerCallIDs["outside"]
	switch {
	case s.ClientCallIDTranslated && s.ServerCallIDTranslated:
		notes = append(notes, fmt.Sprintf("the NAT translated both call IDs: the client's %s inside is %s outside, the server's %s outside is %s inside",
			decode.CallIDString(in), decode.CallIDString(out), decode.CallIDString(sout), decode.CallIDString(sin)))
	case s.ClientCallIDTranslated:
		n := fmt.Sprintf("the NAT translated the client's call ID, %s inside, %s outside (PPTP passthrough with call-ID translation)",
			decode.CallIDString(in), decode.CallIDString(out))
		if sinOK && soutOK {
			n += fmt.Sprintf("; the server's, %s, is the same on both sides", decode.CallIDString(sin))
		}
		notes = append(notes, n)
	case s.ServerCallIDTranslated:
		notes = append(notes, fmt.Sprintf("the NAT translated the server's call ID, %s outside, %s inside; the client's is the same on both sides",
			decode.CallIDString(sout), decode.CallIDString(sin)))
	case inOK && outOK:
		notes = append(notes, "the call IDs are the same on both sides: the NAT did not translate them")
	}
	for _, role := range []string{"capture", "inside", "outside"} {
		if n := s.GREInShared[role] + s.GREOutShared[role]; n > 0 {
			where := "in the capture"
			if role != "capture" {
				where = role
			}
			notes = append(notes, fmt.Sprintf("%s, %s fit both this call and another one up at the same time with the same call ID: shared, counted for neither alone",
				where, words.Count(n, "GRE packet")))
		}
	}
	return strings.Join(notes, "; ")
}

// espGroups lists the ESP without a tunnel, by pair of peers.
func (t *textWriter) espGroups(r *Report) {
	if len(r.ESPGroups) == 0 {
		return
	}
	t.heading("ESP WITHOUT IKE")
	shown := r.ESPGroups[:min(len(r.ESPGroups), MaxShown)]
	t.table(groupTable(shown))
	t.omitted(r, len(r.ESPGroups)-len(shown), "group of ESP without IKE", "groups of ESP without IKE")
}

// groupTable is the table of ESP without IKE, by pair of peers.
func groupTable(groups []ESPGroup) table {
	rows := make([][]string, 0, len(groups))
	for _, g := range groups {
		nat := g.NAT
		if basis := natBasisWords(g.NATBasis); basis != "" {
			nat += "\n(" + basis + ")"
		}
		encap := ""
		if g.Verdict != nil {
			encap = string(g.Verdict.Encapsulation)
		}
		rows = append(rows, []string{fmt.Sprint(g.ID), endpoints(g.Host), endpoints(g.Peer), nat, encap,
			spiCell(g.SPIs), roleCounts(g.Packets)})
	}
	return table{header: []string{"#", "HOST", "PEER", "NAT", "ENCAP", "SPIS", "PACKETS"}, rows: rows, record: "ESP group"}
}

// spiCell lists SPIs one per line, the first few and a count of the rest.
func spiCell(spis []string) string {
	const n = 6
	if len(spis) <= n {
		return strings.Join(spis, "\n")
	}
	return strings.Join(spis[:n], "\n") + "\n… " + words.Thousands(len(spis)-n) + " more"
}

// roleCounts shows counts per capture role, inside first.
func roleCounts(m map[string]int) string {
	var parts []string
	for _, role := range []string{"capture", "inside", "outside"} {
		if n, ok := m[role]; ok {
			if role == "capture" {
				parts = append(parts, fmt.Sprint(n))
			} else {
				parts = append(parts, fmt.Sprintf("%s %d", role[:3], n))
			}
		}
	}
	return strings.Join(parts, "\n")
}

func (t *textWriter) mappings(r *Report) {
	if r.Correlation == nil {
		return
	}
	t.heading("NAT MAPPINGS")
	shown, all := r.mappingRows(MaxShown)
	if all == 0 {
		t.printf("  none seen\n")
		return
	}
	t.table(mappingTable(shown))
	t.omitted(r, all-len(shown), "NAT mapping", "NAT mappings")
}

// mappingTable is the table of NAT mappings.
func mappingTable(ms []Mapping) table {
	rows := make([][]string, 0, len(ms))
	for _, m := range ms {
		out := m.Outside
		if !m.Translated {
			out += " (unchanged)"
		}
		ids := ""
		if len(m.InboundIDs) > 0 {
			sep := " "
			if m.Protocol == "gre" {
				sep = ", " // a call ID prints with a space: "16384 (0x4000)"
			}
			ids = strings.Join(m.InboundIDs, sep)
		}
		rows = append(rows, []string{m.Protocol, m.Inside + "\n→ " + out, fmt.Sprintf("%d out\n%d in", m.PacketsOut, m.PacketsIn),
			shortTime(m.First) + "\n" + shortTime(m.Last), ids})
	}
	return table{header: []string{"PROTO", "INSIDE → OUTSIDE", "PACKETS", "FIRST, LAST", "INBOUND SPI/CALL"}, rows: rows, keep: 1}
}

// shortTime keeps the time of day of an RFC 3339 timestamp, to the
// millisecond.
func shortTime(s string) string {
	if i := strings.IndexByte(s, 'T'); i >= 0 && len(s) >= i+13 {
		return s[i+1 : i+13]
	}
	return s
}

func (t *textWriter) flows(r *Report) {
	t.heading("FLOWS")
	rows := make([][]string, 0, len(r.Flows))
	two := r.Correlation != nil
	for _, f := range r.Flows {
		row := []string{f.Capture, f.Key, fmt.Sprint(f.PacketsAB), fmt.Sprint(f.PacketsBA)}
		tun := ""
		if f.Tunnel != 0 {
			tun = fmt.Sprint(f.Tunnel)
		}
		row = append(row, tun)
		if two {
			row = append(row, fmt.Sprint(f.Forwarded), fmt.Sprint(f.Dropped), fmt.Sprint(f.Modified))
		}
		rows = append(rows, row)
	}
	header := []string{"CAPTURE", "FLOW", "A→B", "B→A", "TUNNEL"}
	if two {
		header = append(header, "FWD", "LOST", "MOD")
	}
	t.table(table{header: header, rows: rows})
	if two {
		t.wrap("  ", "", "FWD: packets forwarded across the NAT; LOST: dropped between the captures; MOD: modified beyond translation.")
	}
}

// evidenceText lists evidence frames by capture: "inside.pcap frames 3, 5;
// outside.pcap frame 2".
func evidenceText(ev []rules.Evidence) string {
	var order []string
	frames := map[string][]string{}
	for _, e := range ev {
		if _, ok := frames[e.Capture]; !ok {
			order = append(order, e.Capture)
		}
		frames[e.Capture] = append(frames[e.Capture], fmt.Sprint(e.Frame))
	}
	parts := make([]string, 0, len(order))
	for _, c := range order {
		word := "frame"
		if len(frames[c]) > 1 {
			word = "frames"
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", c, word, strings.Join(frames[c], ", ")))
	}
	return strings.Join(parts, "; ")
}

// frameCounts says how many frames a capture has and how many of them
// carry VPN traffic: "35 frames, 27 with VPN traffic".
func frameCounts(c Capture) string {
	return fmt.Sprintf("%s, %d with VPN traffic", words.Count(c.Frames, "frame"), c.VPNFrames)
}

// kindNouns names the packet kinds for people, in the order listed.
var kindNouns = []struct{ kind, noun string }{
	{"ike", "IKE message"},
	{"esp", "ESP packet"},
	{"udp-esp", "UDP-encapsulated ESP packet"},
	{"tcp-esp", "TCP-encapsulated ESP packet"},
	{"nat-keepalive", "NAT-T keepalive"},
	{"ah", "AH packet"},
	{"gre", "GRE packet"},
	{"pptp", "PPTP message"},
	{"ip-fragment", "IP fragment"},
	{"malformed", "malformed packet"},
}

// kindCounts lists the VPN packets by kind: "5 IKE messages, 9 IP
// fragments".
func kindCounts(kinds map[string]int) string {
	var parts []string
	for _, k := range kindNouns {
		if n := kinds[k.kind]; n > 0 {
			parts = append(parts, words.Count(n, k.noun))
		}
	}
	return strings.Join(parts, ", ")
}
