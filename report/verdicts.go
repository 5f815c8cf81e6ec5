package report

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/rules"
)

// outcome is one line of the verdicts a report opens with: a tunnel,
// PPTP call or ESP group, whether it works, why, and whether it depends on
// Passthrough. Every writer says it the same way.
type outcome struct {
	// Subject is "tunnel 1 (IKEv2)", "PPTP call 2", "ESP group 3"; Peers
	// "192.168.1.23 → 203.0.113.10".
	Subject, Peers string
	// Outcome is rules' ("works", "fails", "unknown").
	Outcome string
	Headline
	// Depends is "yes", "no" or "unknown"; Passthrough names what it
	// depends on ("IPsec Passthrough", "PPTP passthrough").
	Depends, Passthrough string
	Summary              string
}

// outcomes lists a check's verdicts: its tunnels', then its calls' and
// ESP groups'.
func outcomes(c *Check) []outcome {
	var out []outcome
	for _, tn := range c.Tunnels {
		if tn.Outcome == "" {
			continue
		}
		out = append(out, outcome{
			Subject: "tunnel " + strconv.Itoa(tn.ID) + " (IKEv" + strconv.Itoa(int(tn.IKEVersion)) + ")",
			Peers:   addrOf(tn.Initiator) + " → " + addrOf(tn.Responder),
			Outcome: tn.Outcome, Headline: tn.Headline,
			Depends: tn.DependsOnPassthrough, Passthrough: "IPsec Passthrough", Summary: tn.Summary,
		})
	}
	for _, o := range c.Others {
		line := outcome{Peers: o.Host + " → " + o.Peer, Outcome: o.Outcome, Headline: o.Headline,
			Depends: o.DependsOnPassthrough, Passthrough: "IPsec Passthrough", Summary: o.Summary}
		switch o.Kind {
		case "pptp":
			line.Subject, line.Passthrough = "PPTP call "+strconv.Itoa(o.ID), "PPTP passthrough"
		default:
			line.Subject, line.Peers = "ESP group "+strconv.Itoa(o.ID), o.Host+" ↔ "+o.Peer
		}
		out = append(out, line)
	}
	return out
}

// addrOf drops the port of an address and port.
func addrOf(s string) string {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String()
	}
	return s
}

// outcomeLabel is how a verdict line opens.
func outcomeLabel(o string) (string, string) {
	switch o {
	case rules.OutcomeWorks:
		return "WORKS", ansiGreen
	case rules.OutcomeFails:
		return "FAILS", ansiRed
	}
	return "CANNOT TELL", ansiYellow
}

// reason is what a verdict line says after its subject: the headline, the
// rule and frames that show it, and what the subject depends on.
func (o outcome) reason(caps []Capture, dash string) string {
	s := o.Headline.Headline
	var why []string
	if o.Rule != "" {
		why = append(why, o.Rule)
	}
	if ev := evidenceFrames(o.Evidence, caps, dash); ev != "" {
		why = append(why, ev)
	}
	if len(why) > 0 {
		s += " (" + strings.Join(why, "; ") + ")"
	}
	return s + "; depends on " + o.Passthrough + ": " + o.Depends
}

// evidenceFrames lists evidence frames by capture, naming a capture by its
// role when the report has two and runs of frames as ranges: "inside
// frames 4–7, 9; outside frame 2", or "frames 4–7, 9" for one capture.
func evidenceFrames(ev []rules.Evidence, caps []Capture, dash string) string {
	var order []string
	frames := map[string][]int{}
	for _, e := range ev {
		if _, ok := frames[e.Capture]; !ok {
			order = append(order, e.Capture)
		}
		frames[e.Capture] = append(frames[e.Capture], e.Frame)
	}
	parts := make([]string, 0, len(order))
	for _, path := range order {
		name := path
		for _, c := range caps {
			if c.Path == path {
				name = c.Role
			}
		}
		fs := frames[path]
		head := name + " " + words.Pick(len(fs), "frame", "frames") + " "
		if name == "capture" {
			head = words.Pick(len(fs), "frame", "frames") + " "
		}
		parts = append(parts, head+frameRanges(fs, dash))
	}
	return strings.Join(parts, "; ")
}

// frameRanges writes frame numbers with runs of three or more as ranges:
// "4–7, 9, 27".
func frameRanges(fs []int, dash string) string {
	var parts []string
	for i := 0; i < len(fs); {
		j := i
		for j+1 < len(fs) && fs[j+1] == fs[j]+1 {
			j++
		}
		switch {
		case j >= i+2:
			parts = append(parts, strconv.Itoa(fs[i])+dash+strconv.Itoa(fs[j]))
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, strconv.Itoa(fs[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// verdictLines writes a check's verdicts, one per tunnel, call and ESP
// group, each a line wrapped under its outcome: the first MaxShown, then
// the others counted by outcome.
func (t *textWriter) verdictLines(indent string, c *Check) {
	all := outcomes(c)
	shown := all[:min(len(all), MaxShown)]
	labelWidth := 0
	for _, o := range shown {
		l, _ := outcomeLabel(o.Outcome)
		labelWidth = max(labelWidth, len(l))
	}
	for _, o := range shown {
		l, color := outcomeLabel(o.Outcome)
		label := l + strings.Repeat(" ", labelWidth-len(l)+2)
		t.wrapStyled(indent, label, t.style(color, l)+strings.Repeat(" ", labelWidth-len(l)+2),
			o.Subject+" "+o.Peers+": "+o.reason(c.Captures, t.glyphs.Dash))
	}
	if rest := all[len(shown):]; len(rest) > 0 {
		t.wrap(indent, "", "… and "+words.Thousands(len(rest))+" more, not listed here: "+outcomeCounts(rest)+" ("+c.jsonNote()+").")
	}
}

// outcomeCounts counts verdicts by outcome: "3 work, 1 fails".
func outcomeCounts(os []outcome) string {
	counts := map[string]int{}
	for _, o := range os {
		counts[o.Outcome]++
	}
	var parts []string
	for _, o := range []string{rules.OutcomeFails, rules.OutcomeUnknown, rules.OutcomeWorks} {
		n := counts[o]
		if n == 0 {
			continue
		}
		switch o {
		case rules.OutcomeFails:
			parts = append(parts, words.Thousands(n)+words.Pick(n, " fails", " fail"))
		case rules.OutcomeWorks:
			parts = append(parts, words.Thousands(n)+words.Pick(n, " works", " work"))
		default:
			parts = append(parts, words.Thousands(n)+" cannot be told")
		}
	}
	return strings.Join(parts, ", ")
}

// totals sums a check up, as linters end their output: its tunnels, calls
// and ESP groups by outcome, and its findings by severity.
func totals(c *Check) string {
	var parts []string
	count := func(kind string, noun string) {
		var os []outcome
		for _, o := range outcomes(c) {
			if strings.HasPrefix(o.Subject, kind) {
				os = append(os, o)
			}
		}
		if len(os) > 0 {
			parts = append(parts, words.Count(len(os), noun)+" ("+outcomeCounts(os)+")")
		}
	}
	count("tunnel", "tunnel")
	count("PPTP call", "PPTP call")
	count("ESP group", "ESP group")
	what := strings.Join(parts, ", ")
	if what == "" {
		what = "no tunnel, PPTP call or ESP"
	}
	return what + "; findings: " + severityCounts(c.Counts) + baselinedWords(c.Baselined)
}

func severityCounts(s SeverityCounts) string {
	return words.Count(s.Error, "error") + ", " + words.Count(s.Warning, "warning") + ", " + strconv.Itoa(s.Info) + " info"
}

func baselinedWords(n int) string {
	if n == 0 {
		return ""
	}
	return " (" + strconv.Itoa(n) + " baselined)"
}
