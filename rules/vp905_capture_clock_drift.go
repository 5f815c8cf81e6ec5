package rules

import (
	"fmt"
	"math"
	"time"
)

// captureClockDrift reports an implausible clock drift between the two
// captures: the offset between their clocks changes faster than the
// Thresholds.MaxSkewPPM that real capture hosts' clocks drift.
//
// Quartz clocks drift by tens of parts per million; a much larger drift
// means a capture host's clock was stepped during the capture (NTP
// correcting it, a manual change, a virtual machine resuming) or that the
// packet pairs the estimate rests on are wrong. Either way the times of one
// capture translated to the other are off, and packets may be paired with
// the wrong counterpart or counted as dropped.
//
// Synchronise both capture hosts with NTP before capturing and keep it
// from stepping the clock during the capture (chrony makestep only at
// boot), or capture both sides on one host with two interfaces.
//
// The drift estimate needs packet pairs spread over time; with few of them
// it is uncertain, hence medium confidence.
type captureClockDrift struct{}

func (captureClockDrift) Meta() Meta {
	return Meta{
		ID:         "VP905",
		Slug:       "capture-clock-drift",
		Title:      "Clocks of the two captures drift implausibly",
		Severity:   Warning,
		Confidence: Medium,
		Explanation: "The offset between the two captures' clocks changes over the capture faster than real clocks drift. " +
			"Either one capture host's clock was stepped while capturing (NTP correcting it, a virtual machine resumed) or " +
			"the packets matched across the captures are not the same packets. Times converted from one capture to the other " +
			"are then wrong, and packets near the edges may be counted as dropped or paired wrongly.",
		Remedy: "Synchronise both capture hosts with NTP before capturing and avoid clock steps during the capture (chrony: " +
			"makestep only at start-up; ntpd: -x), or capture both sides of the NAT on a single host with one interface on " +
			"each side, which gives both captures the same clock.",
		References: []string{
			"RFC 5905 (NTPv4: clock frequency tolerance, MAXFREQ of 500 ppm)",
		},
		NeedsBoth: true,
	}
}

// vp905MinAnchors is how many packet pairs a drift estimate must rest on to
// be worth reporting: the estimate is a median of slopes between pairs.
const vp905MinAnchors = 3

func (captureClockDrift) Check(c *Context, report func(Finding)) {
	cor := c.Correlation
	limit := c.Config.Thresholds.MaxSkewPPM
	if cor == nil || limit <= 0 || cor.Anchors < vp905MinAnchors || math.Abs(cor.Drift) <= limit {
		return
	}
	dir := "faster"
	if cor.Drift < 0 {
		dir = "slower"
	}
	span := cor.Inside.Capture.Span()
	msg := fmt.Sprintf("the clock of %s runs %.0f ppm %s than that of %s (offset %s at the start, %s of drift over %s), estimated from %d packet pairs; clocks drift by far less than %.0f ppm, so a capture host's clock was stepped or the pairing is wrong",
		cor.Outside.Capture.Path, math.Abs(cor.Drift), dir, cor.Inside.Capture.Path, fmtDuration(cor.Offset),
		fmtDuration(time.Duration(math.Abs(cor.Drift)*float64(span)/1e6)), fmtDuration(span), cor.Anchors, limit)
	report(Finding{Subject: cor.Inside.Capture.Path + " / " + cor.Outside.Capture.Path, Confidence: Medium, Message: msg})
}
