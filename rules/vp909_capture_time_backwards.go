package rules

import (
	"fmt"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// captureTimeBackwards reports a capture whose time stamps go backwards
// somewhere in the file: how many times, the largest step back and the
// first frame where it happens, with the frame before each.
//
// Time runs backwards in a capture merged from several by appending one to
// another (mergecap -a, cat of pcap bodies) or rewritten by a tool that
// reordered frames. In file order a tunnel's IKE_AUTH on port 4500 can come
// before its IKE_SA_INIT on 500, so the NAT-T float reads as a move from
// 4500 back to 500, and retransmission intervals and idle gaps come out
// negative or absurd. vpnpcap therefore analyses such a capture in time
// order (frame numbers stay the file's, as Wireshark shows them), and
// lowers the confidence of every finding that rests on capture time (Meta.
// TimeUse), since merged clocks need not agree.
//
// Capture once, on one interface or with one "tcpdump -i any", or merge
// captures by time stamp (mergecap without -a) after checking that the
// clocks of the capturing hosts were synchronised.
//
// High confidence: the time stamps are read from the file.
type captureTimeBackwards struct{}

func (captureTimeBackwards) Meta() Meta {
	return Meta{
		ID:         "VP909",
		Slug:       "capture-time-backwards",
		Title:      "Capture time runs backwards",
		Severity:   Warning,
		Confidence: High,
		Explanation: "Some frames of the capture carry an earlier time stamp than the frame before them: the file was merged " +
			"from several captures by appending one to another, or a tool reordered it. In file order a tunnel can seem to " +
			"float from port 4500 back to 500 and retransmissions can seem to come before what they repeat. vpnpcap " +
			"analyses the packets in time order instead (frame numbers stay those of the file) and lowers its confidence in " +
			"what depends on order and timing, since the clocks of merged captures need not agree.",
		Remedy: "Take one capture where the traffic passes, or merge captures by time stamp (mergecap without -a) after " +
			"making sure the capturing hosts' clocks were synchronised (NTP). Sort an existing file by time with " +
			"reordercap, or check in Wireshark (View > Time Display Format, frame.time_delta < 0) where it was merged.",
		References: []string{
			"mergecap(1) -a (concatenate instead of merging by time)",
			"reordercap(1)",
			"pcap-savefile(5) (per-record time stamps)",
		},
	}
}

func (captureTimeBackwards) Check(c *Context, report func(Finding)) {
	for s, a := range c.Captures {
		clock := &a.Capture.Stats.Clock
		if !clock.RunsBackward() {
			continue
		}
		msg := fmt.Sprintf("%s: time runs backwards %s; the largest step back is %s, at frame %d; the first at frame %d",
			a.Capture.Path, words.Count(clock.Backward, "time"), vp909Step(clock.LargestBackward), clock.LargestBackwardFrame, clock.FirstBackwardFrame)
		if clock.Backward == 1 {
			msg = fmt.Sprintf("%s: time runs backwards once, by %s, at frame %d", a.Capture.Path, vp909Step(clock.LargestBackward), clock.FirstBackwardFrame)
		}
		switch a.Capture.TimeOrder {
		case flows.OrderTime:
			msg += "; the packets were analysed in time order, under the file's frame numbers, and findings that rest on order or timing carry lower confidence"
		case flows.OrderFileUnsorted:
			msg += "; the capture holds too many packets to sort them in memory, so the analysis follows file order and what depends on order may be wrong"
		case flows.OrderFileStream:
			msg += "; the capture was read from a stream, which cannot be read again to sort it, so the analysis follows file order and what depends on order may be wrong (save it to a file to have it analysed in time order)"
		default:
			msg += "; the packets decoded from them are in time order all the same, so the analysis is unaffected"
		}
		frames := []int{clock.FirstBackwardFrame - 1, clock.FirstBackwardFrame, clock.LargestBackwardFrame - 1, clock.LargestBackwardFrame}
		report(Finding{Subject: a.Capture.Path, Confidence: High, Message: msg, Evidence: c.Evidence(flows.Side(s), frames...)})
	}
}

// vp909Step formats a step back in time, in seconds as well when long, as
// tshark's frame.time_delta shows it.
func vp909Step(d time.Duration) string {
	if d < time.Minute {
		return fmtDuration(d)
	}
	return fmt.Sprintf("%s (%.3f s)", fmtDuration(d), d.Seconds())
}
