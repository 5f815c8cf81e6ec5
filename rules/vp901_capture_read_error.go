package rules

import (
	"errors"
	"fmt"

	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// captureReadError reports a capture file that could not be read to its
// end: truncated in the middle of a record, or corrupt at some byte offset.
//
// Everything before the fault was analysed; everything after it is
// missing, so a negotiation or an ESP flow may look unanswered or cut short
// only because the file is. Other findings about the end of the capture
// must be read with that in mind.
//
// Take the capture again and let the capture tool finish writing (stop
// tcpdump with Ctrl-C rather than killing it, wait for the copy to
// complete); a truncated file can often be salvaged with Wireshark's
// editcap or pcapfix, though vpnpcap already reads all that is readable.
//
// The fault is reported by the reader itself: high confidence.
type captureReadError struct{}

func (captureReadError) Meta() Meta {
	return Meta{
		ID:         "VP901",
		Slug:       "capture-read-error",
		Title:      "Capture file truncated or corrupt",
		Severity:   Warning,
		Confidence: High,
		Explanation: "The capture file could not be read to its end: it stops in the middle of a record (the capture tool was " +
			"killed, the disk filled up, or the file was copied before it was complete) or a record is corrupt. Everything " +
			"before the fault was analysed; anything after it is missing, so exchanges near the end may look unanswered only " +
			"because the file is cut.",
		Remedy: "Take the capture again and let the tool finish writing the file: stop tcpdump or dumpcap with Ctrl-C (SIGINT) " +
			"rather than killing it, make sure the disk has room, and copy the file only after the capture stopped. A damaged " +
			"file can sometimes be repaired with pcapfix or re-written with editcap, but vpnpcap already analyses every " +
			"readable record.",
		References: []string{
			"draft-ietf-opsawg-pcap (the pcap capture file format)",
			"draft-ietf-opsawg-pcapng (the pcapng capture file format)",
		},
	}
}

func (captureReadError) Check(c *Context, report func(Finding)) {
	for s, a := range c.Captures {
		err := a.Capture.ReadError
		if err == nil {
			continue
		}
		what := "the file is corrupt"
		if errors.Is(err, capture.ErrTruncated) {
			what = "the file ends in the middle of a record"
		}
		var fe *capture.FormatError
		if errors.As(err, &fe) {
			what += fmt.Sprintf(" at byte offset %d", fe.Offset)
		}
		msg := fmt.Sprintf("%s: %s (%v); the %s before the fault were analysed, anything after it is missing",
			a.Capture.Path, what, err, words.Count(a.Capture.Frames, "frame"))
		report(Finding{
			Subject:    a.Capture.Path,
			Confidence: High,
			Message:    msg,
			Evidence:   c.Evidence(flows.Side(s), a.Capture.Frames),
		})
	}
}
