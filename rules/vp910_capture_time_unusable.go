package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
)

// captureTimeUnusable reports a capture whose frames all carry the same
// time stamp, often the Unix epoch: its writer did not record time (test
// harnesses, some converters and embedded capture tools do this). Nothing
// can be timed in it: retransmission intervals, how long ESP flowed one
// way, idle gaps against a NAT timeout, and whether two identical frames
// are a capture's copy or a retransmission.
//
// The finding names the checks that read capture time (Meta.TimeUse) and
// so could not measure it here. Checks that need no time still run:
// a retransmission is recognised by identical content and message ID, ESP
// one way by its counts, and their findings say they rest on file order
// alone, with a confidence one step lower.
//
// Capture again with a tool that records time (tcpdump, dumpcap), or
// recover the original capture.
//
// High confidence: the time stamps are read from the file.
type captureTimeUnusable struct{}

func (captureTimeUnusable) Meta() Meta {
	return Meta{
		ID:         "VP910",
		Slug:       "capture-time-unusable",
		Title:      "Capture has no usable time stamps",
		Severity:   Warning,
		Confidence: High,
		Explanation: "Every frame of the capture carries the same time stamp, often 1970-01-01 00:00:00, the Unix epoch, " +
			"when the tool that wrote it did not record time. Nothing can be timed: not the intervals between retransmissions, not " +
			"how long ESP flowed in one direction, not the idle gaps that let a NAT mapping expire, not whether two identical " +
			"frames are one packet captured twice or a packet sent again. The checks that need no time still run, on the " +
			"order of the file and on counts.",
		Remedy: "Capture again with a tool that records time stamps (tcpdump, dumpcap, Wireshark), or find the original capture " +
			"if this one was converted or anonymised.",
		References: []string{
			"pcap-savefile(5) (per-record time stamps)",
			"RFC 7296 §2.1 (retransmission timers)",
			"RFC 3948 §4 (NAT keepalive timing)",
		},
	}
}

func (captureTimeUnusable) Check(c *Context, report func(Finding)) {
	var timed, ordered []string
	for _, r := range All() {
		m := r.Meta()
		if m.TimeUse == "" || !c.Config.enabled(m) || m.NeedsBoth && !c.Two() {
			continue
		}
		switch {
		case m.OrderOnly:
			ordered = append(ordered, m.ID)
		case m.Untimed != "":
			timed = append(timed, m.ID+" ("+m.TimeUse+"; "+m.Untimed+", instead)")
		default:
			timed = append(timed, m.ID+" ("+m.TimeUse+")")
		}
	}
	for s, a := range c.Captures {
		clock := &a.Capture.Stats.Clock
		if !clock.Unusable() {
			continue
		}
		frames := fmt.Sprintf("all %d frames carry ", clock.Stamped)
		stamp := "the same time stamp, " + timeText(clock.First)
		switch {
		case clock.Stamped <= 1:
			frames = fmt.Sprintf("%d of the %d frames carry a time stamp (pcapng simple packet blocks have none)", clock.Stamped, clock.Stamped+clock.Unstamped)
			stamp = ""
		case clock.AtEpoch():
			stamp = "the time stamp 1970-01-01 00:00:00, the Unix epoch, as when no time was recorded"
		}
		if clock.Unstamped > 0 && clock.Stamped > 1 {
			stamp += fmt.Sprintf(", and %d more carry none", clock.Unstamped)
		}
		msg := fmt.Sprintf("%s: %s%s; checks that measure capture time could not: %s; "+
			"checks that need only the order of packets (%s) ran on the order of the file; "+
			"two identical frames cannot be told apart as one packet captured twice or one sent twice, so copies are not looked for",
			a.Capture.Path, frames, stamp, strings.Join(timed, ", "), strings.Join(ordered, ", "))
		report(Finding{Subject: a.Capture.Path, Confidence: High, Message: msg, Evidence: c.Evidence(flows.Side(s), 1, a.Capture.Frames)})
	}
}

// timeText formats a time stamp for a message.
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000000 UTC") }
