package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// ikeALGRewrite detects a device between the two captures that changes IKE
// messages beyond addresses and ports: it rewrites the IKE SPIs (IKEv1
// cookies), or it alters the message content so that the same message
// (same SPIs, same message count) no longer matches its copy on the other
// side.
//
// IPsec Passthrough ALGs that touch UDP 500 sometimes rewrite the initiator
// cookie to demultiplex several clients (RFC 3715 §2.3, helper
// incompatibilities). The SPIs are part
// of the NAT-D hashes and of what each peer signs (RFC 7296 §2.15, §2.23),
// so after the rewrite NAT detection reports nonsense and authentication
// fails; a changed payload breaks the integrity check or the decryption.
//
// Turn the IPsec Passthrough / IPsec ALG of the NAT device off and let the
// peers use NAT-T (UDP 4500), which a NAT translates without looking inside.
//
// Rewritten SPIs are seen directly (high confidence); altered content is
// inferred from messages of the same IKE SA that cross in equal numbers yet
// never match (medium), as retransmissions lost on one side and new ones on
// the other could mimic it.
type ikeALGRewrite struct{}

func (ikeALGRewrite) Meta() Meta {
	return Meta{
		ID:         "VP107",
		Slug:       "ike-alg-rewrite",
		Title:      "Device between the captures rewrites IKE messages",
		Severity:   Error,
		Confidence: High,
		Explanation: "The same IKE message differs between the inside and the outside capture in more than its addresses and " +
			"ports: the IKE SPIs (IKEv1 cookies) were replaced, or the message content was altered. That is the work of an " +
			"IPsec Passthrough/ALG helper on the NAT. IKE protects itself against exactly this: the SPIs enter the NAT-D " +
			"hashes and the data each peer signs, and the content is integrity-protected, so the peers' NAT detection goes " +
			"wrong and authentication or decryption fails.",
		Remedy: "Disable the IPsec Passthrough / IPsec ALG (sometimes called \"IPsec helper\" or \"VPN passthrough\") on the NAT " +
			"device, so that it translates UDP 500 and 4500 like any other UDP traffic without touching the payload, and make " +
			"sure the peers negotiate NAT-T.",
		References: []string{
			"RFC 3715 §2.3 (helper incompatibilities)",
			"RFC 7296 §2.15 (authentication of the IKE SA covers the IKE_SA_INIT messages)",
			"RFC 7296 §2.23 (NAT-D hashes cover the SPIs)",
		},
		Catalogue: []string{"NT15"},
		NeedsBoth: true,
	}
}

func (r ikeALGRewrite) Check(c *Context, report func(Finding)) {
	if !c.Two() {
		return
	}
	for _, v := range c.Tunnels {
		in := v.Sides[flows.SideInside]
		if in == nil {
			continue
		}
		if f, ok := r.rewritten(c, v, in); ok {
			report(f)
			continue
		}
		if f, ok := r.halfRewritten(c, v, in); ok {
			report(f)
			continue
		}
		if f, ok := r.altered(c, v, in); ok {
			report(f)
		}
	}
}

// rewritten reports SPI rewrites of an IKE SA's messages.
func (ikeALGRewrite) rewritten(c *Context, v *flows.TunnelView, in *flows.Tunnel) (Finding, bool) {
	var rw []flows.Rewrite
	for _, x := range c.Correlation.IKERewrites {
		if x.Field == "spi_i" && x.Inside == in.SPIi || x.Field == "spi_r" && in.SPIr != 0 && x.Inside == in.SPIr {
			rw = append(rw, x)
		}
	}
	if len(rw) == 0 && !v.SPIRewritten {
		return Finding{}, false
	}
	var b strings.Builder
	var inFrames, outFrames []int
	messages := map[int]bool{}
	fields := map[string]flows.Rewrite{}
	for _, x := range rw {
		messages[x.InsideFrame] = true
		if _, ok := fields[x.Field]; !ok {
			fields[x.Field] = x
		}
		inFrames = append(inFrames, x.InsideFrame)
		outFrames = append(outFrames, x.OutsideFrame)
	}
	fmt.Fprintf(&b, "the IKE SPIs of %s changed between the captures", words.Count(max(len(messages), 1), "message"))
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		x := fields[name]
		label := "initiator SPI"
		if name == "spi_r" {
			label = "responder SPI"
		}
		fmt.Fprintf(&b, "; %s 0x%016x inside became 0x%016x outside (frame %d inside, %d outside)", label, x.Inside, x.Outside, x.InsideFrame, x.OutsideFrame)
	}
	if len(rw) == 0 {
		if out := v.Sides[flows.SideOutside]; out != nil {
			fmt.Fprintf(&b, "; initiator SPI 0x%016x inside, 0x%016x outside", in.SPIi, out.SPIi)
			inFrames = append(inFrames, in.Frames.First())
			outFrames = append(outFrames, out.Frames.First())
		}
	}
	b.WriteString(": an ALG rewrites IKE headers, which breaks NAT detection and authentication")
	return Finding{Tunnel: v.ID, Confidence: High, Message: b.String(), Evidence: evidenceFromBoth(c, inFrames, outFrames)}, true
}

// halfRewritten finds the IKE SA in the outside capture under one SPI
// changed and the other kept: the same responder SPI with another
// initiator SPI, or the other way round. SPIs are random 64-bit values, so
// a shared one means the same IKE SA. It catches rewrites whose messages the
// correlation could not pair.
func (ikeALGRewrite) halfRewritten(c *Context, v *flows.TunnelView, in *flows.Tunnel) (Finding, bool) {
	if in.SPIr == 0 {
		return Finding{}, false
	}
	for _, u := range c.Captures[flows.SideOutside].Tunnels {
		if u.Version != in.Version || u.SPIr == 0 {
			continue
		}
		var label string
		var a, b uint64
		switch {
		case u.SPIr == in.SPIr && u.SPIi != in.SPIi:
			label, a, b = "initiator SPI", in.SPIi, u.SPIi
		case u.SPIi == in.SPIi && u.SPIr != in.SPIr:
			label, a, b = "responder SPI", in.SPIr, u.SPIr
		default:
			continue
		}
		// The two sightings must be of the same time.
		first, last := c.OnInsideClock(flows.SideOutside, u.First), c.OnInsideClock(flows.SideOutside, u.Last)
		if first.After(in.Last.Add(flows.DefaultWindow)) || last.Before(in.First.Add(-flows.DefaultWindow)) {
			continue
		}
		msg := fmt.Sprintf("the same IKE SA has %s 0x%016x inside and 0x%016x outside (the other SPI is the same on both sides; frame %d inside, %d outside): an ALG rewrites IKE headers, which breaks NAT detection and authentication",
			label, a, b, in.Frames.First(), u.Frames.First())
		ev := evidenceFromBoth(c, []int{in.Frames.First()}, []int{u.Frames.First()})
		return Finding{Tunnel: v.ID, Confidence: High, Message: msg, Evidence: ev}, true
	}
	return Finding{}, false
}

// altered reports IKE messages of one IKE SA that crossed in equal numbers
// but did not match: their content changed on the way.
func (ikeALGRewrite) altered(c *Context, v *flows.TunnelView, in *flows.Tunnel) (Finding, bool) {
	out := c.Twin(v, flows.SideInside)
	if out == nil || out.Messages() != in.Messages() || !c.BothCaptured(flows.SideInside, in.First, in.Last) {
		return Finding{}, false
	}
	// An altered outbound message is lost inside and unexplained outside;
	// an altered inbound one the other way round.
	outbound := min(in.Fate().Dropped, out.Fate().NoOrigin)
	inbound := min(out.Fate().Dropped, in.Fate().NoOrigin)
	n := outbound + inbound
	if n == 0 {
		return Finding{}, false
	}
	msg := fmt.Sprintf("%s of the IKE SA (SPIi 0x%016x) crossed between the captures with changed content: both captures have its %d messages, yet %d of them match no message on the other side (%d outbound, %d inbound): a device in between alters IKE payloads",
		words.Count(n, "message"), in.SPIi, in.Messages(), n, outbound, inbound)
	ev := evidenceFromBoth(c, append(in.Fate().DroppedFrames().List(), in.Fate().NoOriginFrames().List()...),
		append(out.Fate().NoOriginFrames().List(), out.Fate().DroppedFrames().List()...))
	return Finding{Tunnel: v.ID, Confidence: Medium, Message: msg, Evidence: ev}, true
}
