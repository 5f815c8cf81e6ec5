package rules

import (
	"fmt"
)

// capturesPartialOverlap reports two captures whose packets span different
// times: packets before or after the common span could not be compared.
// The files do not say whether a capture was running when it holds no
// packets, so the finding says both readings.
//
// A packet seen in one capture outside the span of the other has no fate:
// it is neither forwarded nor dropped. A negotiation that began before the
// second capture started, or failed after it stopped, is then judged from
// one side only.
//
// Start both captures before bringing the tunnel up and stop both after the
// problem showed.
//
// The overlap is computed on the inside clock after removing the offset
// between the captures, so it is exact to the offset's precision.
type capturesPartialOverlap struct{}

func (capturesPartialOverlap) Meta() Meta {
	return Meta{
		ID:         "VP904",
		Slug:       "captures-partial-overlap",
		Title:      "The captures' packets span different times",
		Severity:   Info,
		Confidence: High,
		Explanation: "The first and last packets of one capture lie outside those of the other. A capture file records no start " +
			"or stop time, so this is either a capture that started later or stopped earlier, or a side across which nothing " +
			"passed for a while (a NAT dropping everything looks the same from the file alone). Packets outside the span both " +
			"captures' packets cover are not compared: they are neither \"forwarded\" nor \"dropped\", and findings about " +
			"them rest on one capture only.",
		Remedy: "Start both captures before the tunnel is brought up and stop both after the problem showed; with tcpdump, start " +
			"the outside capture first and stop it last.",
		References: []string{
			"RFC 3715 §2 (what a NAT changes and what it leaves alone)",
		},
		NeedsBoth: true,
	}
}

func (capturesPartialOverlap) Check(c *Context, report func(Finding)) {
	cor := c.Correlation
	if cor == nil || cor.Anchors == 0 || !cor.Overlaps {
		return
	}
	var outside [2]int
	var frames [2][]int
	for s := range cor.NotCompared {
		outside[s] = cor.NotCompared[s].Packets
		frames[s] = cor.NotCompared[s].FirstFrames()
	}
	if outside[0]+outside[1] == 0 {
		return
	}
	in, out := &cor.Inside.Capture, &cor.Outside.Capture
	msg := fmt.Sprintf("the packets of %s span %s and those of %s span %s (on the inside clock); %d inside and %d outside packets lie outside the common span %s and were not compared. "+
		"A capture file holds no start or stop time: either one capture was not running then, or nothing crossed the device in that time",
		in.Path, spanText(in.First, in.Last), out.Path, spanText(cor.ToInside(out.First), cor.ToInside(out.Last)),
		outside[0], outside[1], spanText(cor.OverlapStart, cor.OverlapEnd))
	report(Finding{Subject: in.Path + " / " + out.Path, Confidence: High, Message: msg, Evidence: evidenceFromBoth(c, frames[0], frames[1])})
}
