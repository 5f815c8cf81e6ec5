package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// greWithoutPPTPControl reports enhanced GRE (version 1, the PPTP data
// channel of RFC 2637 §4.1) between hosts that have no PPTP control
// connection (TCP 1723) in the capture. It is context for the other PPTP
// rules: without the control connection there are no call IDs to check
// the GRE against and no call to judge.
//
// A NAT forwards PPTP's GRE by binding it to the control connection; GRE
// whose control connection is invisible is either from a call set up
// before the capture began, or its control connection takes another path
// (asymmetric routing, a second uplink) — which breaks a NAT's PPTP helper
// just as it breaks the analysis.
//
// Capture from before the call is set up and include TCP 1723 in the
// filter ("tcp port 1723 or proto 47"); if the control connection really
// takes another path, make both use the same NAT.
//
// The finding states a fact about the capture; its cause is a guess, so
// confidence is medium.
type greWithoutPPTPControl struct{}

func (greWithoutPPTPControl) Meta() Meta {
	return Meta{
		ID:         "VP405",
		Slug:       "gre-without-pptp-control",
		Title:      "PPTP GRE without its control connection in the capture",
		Severity:   Info,
		Confidence: Medium,
		Explanation: "The capture holds PPTP data packets (enhanced GRE) but not the PPTP control connection on TCP " +
			"1723 that set up their call, so the call IDs cannot be checked and the call cannot be judged. " +
			"Usually the capture began after the call was set up, or the capture filter left TCP 1723 out.",
		Remedy: "Capture from before the PPTP call is set up (reconnect the client while capturing) with a filter " +
			"that includes the control connection, e.g. \"tcp port 1723 or ip proto 47\". If the control " +
			"connection takes another route than the GRE, route both through the same NAT.",
		References: []string{"RFC 2637 §1.3 (control connection and tunnel)", "RFC 2637 §4.1 (Enhanced GRE header)"},
	}
}

func (greWithoutPPTPControl) Check(c *Context, report func(Finding)) {
	for _, side := range c.captureSides() {
		a := c.Captures[side]
		if a.OrphanGRE == 0 {
			continue
		}
		frames := a.OrphanGREFrames.List()
		msg := fmt.Sprintf("%s of enhanced GRE (PPTP data) match no PPTP control connection in %s",
			words.Count(a.OrphanGRE, "packet"), captureName(c, side))
		if keys := greOrphanFlows(a, frames); len(keys) > 0 {
			msg += " (" + strings.Join(keys, "; ") + ")"
		}
		msg += "; the capture probably began after the call was set up, or left TCP 1723 out"
		if c.Two() {
			if n := len(c.Captures[1-side].Sessions); n > 0 {
				msg += fmt.Sprintf("; the %s capture does hold %s", 1-side, words.Count(n, "PPTP call"))
			}
		}
		report(Finding{
			Confidence: Medium,
			Subject:    "capture " + c.Path(side),
			Message:    msg,
			Evidence:   c.Evidence(side, frames...),
		})
	}
}

// greOrphanFlows names the GRE flows that hold the sampled orphan frames,
// at most three.
func greOrphanFlows(a *flows.Analysis, frames []int) []string {
	var out []string
	for _, f := range a.Flows {
		if f.Key.Proto != flows.ProtoGRE || len(out) == 3 {
			continue
		}
		if slices.ContainsFunc(f.Frames.List(), func(fr int) bool { return slices.Contains(frames, fr) }) {
			out = append(out, fmt.Sprintf("%s → %s call ID %s", f.Key.A.Addr(), f.Key.B.Addr(), decode.CallIDString(uint16(f.Key.ID))))
		}
	}
	return out
}
