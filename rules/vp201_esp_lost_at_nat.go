package rules

import (
	"fmt"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// espLostAtNAT finds ESP and AH packets that one capture saw travelling
// toward the other capture and that never arrived there: for each SPI, the
// set difference of the sequence numbers seen inside and outside (RFC 4303
// §2.2: every packet of an SA carries a new sequence number, and a NAT
// changes neither SPI nor sequence number), with the numbers that vanished
// and the direction they travelled.
//
// A NAT or firewall that drops part of an SA's packets — rate limiting of
// IP protocol 50, a stale passthrough or UDP state entry, a full connection
// table — breaks the applications inside the tunnel in ways that look like
// a bad link: TCP stalls and retransmits, voice drops out. The peers
// cannot tell where the loss is; the two captures can.
//
// Fix it on the device between the captures: look for rate limits, DoS
// protection or connection-table exhaustion hitting ESP (protocol 50) or
// UDP 4500, and for state timeouts shorter than the traffic's pauses.
//
// Only the packets that crossed while both captures were running count.
// A single lost packet may be the capture host's own drop (tcpdump reports
// "packets dropped by kernel"), so one packet gives medium confidence. An
// SA that never crossed at all is left to VP204, which names the missing
// direction of the tunnel. When the capture that saw the lost packets also
// holds ICMP errors about them that did not cross either (a NAT refusing
// them with port unreachable), the message cites those errors and who
// sent them; the verdict's failure sentence then carries that evidence.
type espLostAtNAT struct{}

func (espLostAtNAT) Meta() Meta {
	return Meta{
		ID:         "VP201",
		Slug:       "esp-lost-at-nat",
		Title:      "ESP packets lost between the inside and outside captures",
		Severity:   Error,
		Confidence: High,
		Explanation: "Some ESP packets of a security association were captured on one side of the NAT and never " +
			"appeared on the other side, although both captures were running. ESP sequence numbers go up by one per " +
			"packet and a NAT never changes them, so the missing numbers show exactly which packets the device " +
			"between the captures dropped, and in which direction.",
		Remedy: "On the NAT/firewall between the two capture points, check the logs and counters for drops of " +
			"IP protocol 50 (raw ESP) or UDP 4500 (NAT-T): rate limits or flood protection on ESP, a full " +
			"connection/NAT table, or a passthrough or UDP state entry that times out during pauses in the " +
			"traffic. Raise the limit or the timeout, or exempt the VPN peer from the protection rule.",
		References: []string{"RFC 4303 §2.2 (Sequence Number)", "RFC 4303 §3.3.3 (Sequence Number Generation)", "RFC 3948 §2.1 (UDP-encapsulated ESP)"},
		Catalogue:  []string{"NT22"},
		NeedsBoth:  true,
	}
}

// espLostICMP returns the ICMP errors, of the capture that saw an SA's
// lost packets, that answered them: errors tied to the SA that did not
// cross to the other capture (nor did the packets), quoting a lost
// sequence number where the quote holds one.
func espLostICMP(c *Context, side flows.Side, sa *flows.ESPSA) []*flows.ICMPError {
	return c.ICMPErrors(side, func(e *flows.ICMPError) bool {
		q := &e.Msg.Quote
		return e.SA == sa && e.Origin != flows.ICMPOriginCrossed && (!q.Have.Has(decode.QuoteSeq) || sa.Lost.Contains(q.ESP.Seq))
	})
}

func (espLostAtNAT) Check(c *Context, report func(Finding)) {
	if !c.Two() {
		return
	}
	v := c.dataPlane()
	min := max(c.Config.Thresholds.ESPGapPackets, 1)
	for _, side := range c.captureSides() {
		other := 1 - side
		for _, sa := range c.Captures[side].SAs {
			fate := sa.Fate()
			if fate.Dropped < min || fate.Forwarded == 0 {
				continue
			}
			d := v.dir(side, sa.Src, sa.Dst)
			if !towardOther(side, d) {
				// Packets that came from the far side and were not seen
				// there are not the device's loss.
				continue
			}
			compared := fate.Forwarded + fate.Dropped
			where := fmt.Sprintf("were captured %s but never appeared %s", side, other)
			if side == flows.SideOutside {
				where = "reached the outside capture but were never delivered inside"
			}
			seqs := ""
			if s := sa.Lost.String(); s != "" {
				seqs = " (sequence numbers " + s + ")"
			}
			msg := fmt.Sprintf("%s%s: %d of %d %s packets %s%s; the device between the captures dropped them",
				espLabel(sa), dirPhrase(d), fate.Dropped, compared, espProto(sa), where, seqs)
			frames := fate.DroppedFrames().List()
			if txt, icmp := icmpAnswered(c, side, espLostICMP(c, side, sa)); txt != "" {
				msg += "; " + txt
				frames = append(frames, icmp...)
			}
			ev := c.Evidence(side, frames...)
			if cp := v.counterpart(side, sa); cp != nil {
				// The packets that follow each hole on the far side.
				ev = append(ev, c.Evidence(other, cp.GapFrames.List()...)...)
			}
			conf := High
			if fate.Dropped == 1 {
				conf = Medium
			}
			report(Finding{
				Confidence: conf,
				Tunnel:     v.tunnelID(side, sa.Tunnel),
				Subject:    espSubject(sa),
				Message:    msg,
				Evidence:   ev,
			})
		}
	}
}
