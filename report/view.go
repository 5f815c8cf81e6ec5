package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// view is a check as the Markdown and HTML reports show it: the same
// verdicts, totals, findings and explanations as the text report, with a
// tshark command for each finding's evidence, and the tables of what the
// captures hold.
type view struct {
	// Anchor identifies the check's section in a report of several.
	Anchor string
	Name   string
	// Status is the check's ("pass", "fail", "error"); empty for the one
	// report of analyze.
	Status   string
	Outcomes []outcomeView
	Totals   string
	// Summaries are the verdicts in full.
	Summaries []string
	Ladders   []*ladder.Ladder
	// LaddersNote says which subjects the ladders are of, when not all.
	LaddersNote string
	Findings    []findingView
	// Unreadable lists the captures that could not be read, with why.
	Unreadable []string
	// Detail holds the tables of the captures, tunnels, calls, ESP groups
	// and NAT mappings (analyze, and check's Markdown and HTML reports).
	Captures []Capture
	Tables   []namedTable
	// Correlation says how the captures compare.
	Correlation []string
}

// outcomeView is one verdict line.
type outcomeView struct {
	Label, Class, Subject, Peers, Reason string
}

// findingView is one finding, with its explanation when it is the first
// to refer to it.
type findingView struct {
	Severity, Rule, Title, Subject, Message, Confidence, Evidence string
	Baselined                                                     bool
	// Commands are tshark commands that show the evidence frames, one per
	// capture.
	Commands []string
	// Decrypted says what keys revealed in the evidence frames, for a
	// finding that rests on it.
	Decrypted []string
	// Explain is the explanation, on the first finding that refers to it;
	// Ref names it for the others.
	Explain *explanation
	Ref     string
}

// namedTable is a table with its heading and the notes under it.
type namedTable struct {
	Title string
	table
	Notes []string
}

// newView builds the view of a check; n numbers it in a batch (0: the one
// report of analyze).
func newView(c *Check, n int, dash string) view {
	v := view{Name: c.Name, Captures: c.Captures}
	if n > 0 {
		v.Anchor, v.Status = "check-"+strconv.Itoa(n), string(c.Status)
	}
	for _, cp := range c.Captures {
		if cp.ReadError != "" {
			v.Unreadable = append(v.Unreadable, cp.Role+" "+cp.Path+": "+cp.ReadError)
		}
	}
	if c.judged {
		for _, o := range outcomes(c) {
			label, _ := outcomeLabel(o.Outcome)
			class := o.Outcome
			v.Outcomes = append(v.Outcomes, outcomeView{Label: label, Class: class, Subject: o.Subject, Peers: o.Peers, Reason: o.reason(c.Captures, dash)})
			v.Summaries = append(v.Summaries, o.Summary)
		}
		v.Totals = totals(c)
	}
	es, refs := explanations(c.Findings)
	explained := map[string]bool{}
	for i, f := range c.Findings {
		fv := findingView{
			Severity: f.Severity.String(), Rule: f.RuleID, Title: f.Title, Subject: findingSubject(f.Finding),
			Message: f.Message, Confidence: f.Confidence.String(), Evidence: evidenceFrames(f.Evidence, c.Captures, dash),
			Baselined: f.Baselined, Commands: tsharkCommands(f.Evidence, c.Captures), Ref: refs[i],
			Decrypted: decryptedEvidence(f.Finding, c, dash),
		}
		if !explained[refs[i]] {
			explained[refs[i]] = true
			for j := range es {
				if es[j].Ref == refs[i] {
					fv.Explain = &es[j]
				}
			}
		}
		v.Findings = append(v.Findings, fv)
	}
	if r := c.Detail; r != nil {
		v.Ladders, v.LaddersNote = r.Ladders, r.laddersNote()
		v.Captures = r.Captures
		v.Correlation = correlationWords(r.Correlation)
		v.Tables = detailTables(r)
	}
	return v
}

// correlationWords says how the captures were compared.
func correlationWords(cor *Correlation) []string {
	if cor == nil {
		return nil
	}
	out := []string{"Roles: " + cor.Roles + "."}
	if cor.Anchors == 0 {
		return append(out, "The captures share no packet: they cannot be compared.")
	}
	out = append(out, fmt.Sprintf("Clock: outside = inside %+.6f s (drift %.1f ppm, from %d packet pairs).", cor.OffsetSeconds, cor.DriftPPM, cor.Anchors))
	if cor.Overlaps {
		out = append(out, fmt.Sprintf("Overlap: %.1f s; compared %d inside and %d outside packets: %d matched, %d modified; unmatched: %d inside, %d outside.",
			cor.OverlapSeconds, cor.InsideCompared, cor.OutsideCompared, cor.Matched, cor.Modified, cor.InsideUnmatched, cor.OutsideUnmatched))
	} else {
		out = append(out, "Overlap: none: the captures do not cover the same time.")
	}
	return out
}

// detailTables are the tables of a report, as the text report lists them.
func detailTables(r *Report) []namedTable {
	var out []namedTable
	if len(r.Tunnels) > 0 {
		shown := r.Tunnels[:min(len(r.Tunnels), MaxShown)]
		nt := namedTable{Title: "Tunnels", table: tunnelTable(shown)}
		for _, tn := range shown {
			nt.Notes = append(nt.Notes, fmt.Sprintf("Tunnel %d: SPIs %s/%s; %s.", tn.ID, tn.SPIi, tn.SPIr, tn.StateReason))
			if tn.NATBasis.Reason != "" {
				nt.Notes = append(nt.Notes, fmt.Sprintf("Tunnel %d, NAT: %s.", tn.ID, tn.NATBasis.Reason))
			}
		}
		out = append(out, nt.counted(r, len(r.Tunnels), "tunnel", "tunnels"))
	}
	if len(r.PPTP) > 0 {
		shown := r.PPTP[:min(len(r.PPTP), MaxShown)]
		nt := namedTable{Title: "PPTP calls", table: sessionTable(shown)}
		for _, s := range shown {
			if note := callIDNote(s); note != "" {
				nt.Notes = append(nt.Notes, fmt.Sprintf("Call %d: %s.", s.ID, note))
			}
		}
		out = append(out, nt.counted(r, len(r.PPTP), "PPTP call", "PPTP calls"))
	}
	if len(r.ESPGroups) > 0 {
		shown := r.ESPGroups[:min(len(r.ESPGroups), MaxShown)]
		out = append(out, namedTable{Title: "ESP without IKE", table: groupTable(shown)}.counted(r, len(r.ESPGroups), "group", "groups"))
	}
	if shown, all := r.mappingRows(MaxShown); all > 0 {
		out = append(out, namedTable{Title: "NAT mappings", table: mappingTable(shown)}.counted(r, all, "NAT mapping", "NAT mappings"))
	}
	return out
}

// counted notes the rows a table left out.
func (nt namedTable) counted(r *Report, all int, one, many string) namedTable {
	if n := all - len(nt.rows); n > 0 {
		nt.Notes = append(nt.Notes, omittedNote(r, n, one, many)+".")
	}
	return nt
}

// tsharkCommands are the commands that show evidence frames in tshark,
// one per capture: `tshark -r inside.pcap -Y "frame.number in {5 6 7}"`.
func tsharkCommands(ev []rules.Evidence, caps []Capture) []string {
	var order []string
	frames := map[string][]string{}
	for _, e := range ev {
		if _, ok := frames[e.Capture]; !ok {
			order = append(order, e.Capture)
		}
		frames[e.Capture] = append(frames[e.Capture], strconv.Itoa(e.Frame))
	}
	out := make([]string, 0, len(order))
	for _, path := range order {
		file := path
		for i := range caps {
			if caps[i].Path == path {
				file = caps[i].File()
			}
		}
		out = append(out, "tshark -r "+shellQuote(file)+` -Y "frame.number in {`+strings.Join(frames[path], " ")+`}"`)
	}
	return out
}

// shellQuote quotes a file name, given exactly, for a POSIX shell when it
// needs it: as is when it is plain, in single quotes when it shows as it
// is, and else in bash's $'…' with what SafeText escapes (control
// characters, bidirectional formatting characters, bytes that are not
// UTF-8) written as \xHH bytes, so that the command both reads safely in
// the report and opens the very file.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._/-+:@,", r)) {
			safe = false
			break
		}
	}
	switch {
	case safe:
		return s
	case unsafeIndex(s) < 0:
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, unsafeRune(r):
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteString("'")
	return b.String()
}

// batchViews are the views of a batch's checks, numbered for the index.
func batchViews(b *Batch, dash string) []view {
	out := make([]view, len(b.Checks))
	for i, c := range b.Checks {
		n := i + 1
		if b.single {
			n = 0
		}
		out[i] = newView(c, n, dash)
	}
	return out
}
