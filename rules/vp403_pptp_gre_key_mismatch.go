package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// pptpGREKeyMismatch finds PPTP calls whose GRE carries a call ID that the
// control connection seen in the same capture never advertised: GRE to
// the client must carry the client's call ID from the Outgoing-Call-Request,
// GRE to the server the server's from the Outgoing-Call-Reply (RFC 2637
// §4.1: the key holds the receiver's call ID). With both captures it adds
// what the NAT rewrote: call IDs in the control messages but not in the GRE
// keys, or the reverse.
//
// A PPTP ALG that translates call IDs must do it consistently: if it
// rewrites the client's call ID in the Outgoing-Call-Request, the server
// keys its GRE with the new ID, and the ALG must map that key back on the
// way in; if it rewrites one and not the other, the client receives GRE
// for a call it does not know and discards it, and the PPP link never
// comes up, exactly as if GRE were blocked.
//
// Fix the ALG: update the NAT's firmware, or turn its PPTP ALG off and on
// consistently (a "PPTP passthrough" that rewrites only the control
// connection is broken); on Linux make sure nf_nat_pptp is loaded together
// with nf_conntrack_pptp, since the conntrack helper alone tracks without
// translating. Or give the client a public address; or replace PPTP.
//
// A mismatch present in both captures was not made by the NAT: GRE to the
// client is then reported where it enters (outside), GRE to the server
// where it leaves the client (inside), so that each is reported once.
type pptpGREKeyMismatch struct{}

func (pptpGREKeyMismatch) Meta() Meta {
	return Meta{
		ID:         "VP403",
		Slug:       "pptp-gre-key-mismatch",
		Title:      "PPTP GRE carries a call ID the control connection did not advertise",
		Severity:   Error,
		Confidence: High,
		Explanation: "The call IDs in a PPTP call's GRE packets do not match the ones its control connection agreed " +
			"on in the same capture. A PPTP-aware NAT (ALG) translated the call ID in one place and not the " +
			"other — in the control messages but not the GRE key, or the reverse — so the receiving end drops " +
			"the GRE as belonging to an unknown call and the PPP link never comes up.",
		Remedy: "Fix or replace the NAT's PPTP ALG so that it translates call IDs in the control connection and in " +
			"the GRE keys together (update the firmware; on Linux load nf_nat_pptp along with " +
			"nf_conntrack_pptp). If the ALG cannot be fixed, turn it off and give the PPTP client a public " +
			"address, or move off PPTP.",
		References: []string{"RFC 2637 §2.7 (Outgoing-Call-Request)", "RFC 2637 §2.8 (Outgoing-Call-Reply)", "RFC 2637 §4.1 (GRE key carries the peer's call ID)"},
		Catalogue:  []string{"NT24"},
	}
}

// greMismatch is a GRE flow between a call's ends whose call ID the control
// connection did not advertise for its direction.
type greMismatch struct {
	flow     *flows.Flow
	toClient bool
}

// mismatches finds the GRE flows between a client and a server whose call
// IDs no control connection between them advertised, in one capture. Only
// the IDs the session tracker counted as enhanced GRE of no call
// (PPTPSession.GREOtherIDs) are considered, so that a GRE version 0 tunnel
// between the same hosts is not taken for PPTP.
func (v *pptpView) mismatches(side flows.Side, client, server netip.Addr) []greMismatch {
	other := map[uint16]bool{}
	for _, s := range v.byPair[side][[2]netip.Addr{client, server}] {
		for _, id := range s.GREOtherIDs {
			other[id] = true
		}
	}
	if len(other) == 0 {
		return nil
	}
	toClient, toServer := v.callIDs(side, client, server)
	var out []greMismatch
	for _, f := range v.greFlows(side, server, client) {
		if id := uint16(f.Key.ID); other[id] && !toClient[id] {
			out = append(out, greMismatch{f, true})
		}
	}
	for _, f := range v.greFlows(side, client, server) {
		if id := uint16(f.Key.ID); other[id] && !toServer[id] {
			out = append(out, greMismatch{f, false})
		}
	}
	return out
}

func (pptpGREKeyMismatch) Check(c *Context, report func(Finding)) {
	type pair struct{ client, server netip.Addr }
	v := c.pptpCalls()
	for _, side := range c.captureSides() {
		a := c.Captures[side]
		seen := map[pair]bool{}
		for _, s := range a.Sessions {
			p := pair{s.Client.Addr(), s.Server.Addr()}
			if seen[p] || !s.CallRequested || !s.CallReplied {
				continue
			}
			seen[p] = true
			mis := v.mismatches(side, p.client, p.server)
			if len(mis) == 0 {
				continue
			}
			var o *flows.PPTPSession
			var otherMis []greMismatch
			if o = v.counterpart(side, s); o != nil {
				otherMis = v.mismatches(1-side, o.Client.Addr(), o.Server.Addr())
			}
			for _, m := range mis {
				if o != nil && pptpAlsoOtherSide(side, m, otherMis) {
					continue
				}
				report(pptpMismatchFinding(c, side, s, o, m))
			}
		}
	}
}

// pptpAlsoOtherSide reports whether a mismatch is also in the other
// capture and is reported from there: GRE to the client where it enters
// (outside), GRE to the server where it leaves the client (inside).
func pptpAlsoOtherSide(side flows.Side, m greMismatch, otherMis []greMismatch) bool {
	there := slices.ContainsFunc(otherMis, func(x greMismatch) bool { return x.toClient == m.toClient })
	if !there {
		return false
	}
	if m.toClient {
		return side == flows.SideInside
	}
	return side == flows.SideOutside
}

func pptpMismatchFinding(c *Context, side flows.Side, s, o *flows.PPTPSession, m greMismatch) Finding {
	f := m.flow
	id := uint16(f.Key.ID)
	var msg string
	if m.toClient {
		msg = fmt.Sprintf("GRE from %s to %s carries call ID %s (%s from frame %d), but the control connection %s gave the client's call ID as %s (Outgoing-Call-Request): the client discards GRE for a call it does not know",
			f.Key.A.Addr(), f.Key.B.Addr(), decode.CallIDString(id), words.Count(f.Total(), "packet"), f.Frames.First(), "in "+captureName(c, side), decode.CallIDString(s.ClientCallID))
	} else {
		msg = fmt.Sprintf("GRE from %s to %s carries call ID %s (%s from frame %d), but the control connection %s gave the server's call ID as %s (Outgoing-Call-Reply): the server discards GRE for a call it does not know",
			f.Key.A.Addr(), f.Key.B.Addr(), decode.CallIDString(id), words.Count(f.Total(), "packet"), f.Frames.First(), "in "+captureName(c, side), decode.CallIDString(s.ServerCallID))
	}
	var frames [2][]int
	frames[side] = append(firstFrames(s.ControlFrames.List(), 4), firstFrames(f.Frames.List(), 3)...)
	if c.Two() {
		what, inFrames, outFrames := pptpRewrites(c.Correlation)
		if what != "" {
			msg += "; " + what
			frames[flows.SideInside] = append(frames[flows.SideInside], inFrames...)
			frames[flows.SideOutside] = append(frames[flows.SideOutside], outFrames...)
		} else if o != nil {
			msg += fmt.Sprintf("; in the %s capture the call IDs match (client %s, server %s)", 1-side, decode.CallIDString(o.ClientCallID), decode.CallIDString(o.ServerCallID))
		}
	}
	ev := evidenceFromBoth(c, frames[flows.SideInside], frames[flows.SideOutside])
	return Finding{
		Confidence: High,
		Session:    c.sessionID(side, s),
		Subject:    pptpSubject(s),
		Message:    msg,
		Evidence:   ev,
	}
}

// pptpRewrites describes the call IDs the NAT rewrote, from the
// correlation: in control messages, in GRE keys, or both.
func pptpRewrites(cor *flows.Correlation) (string, []int, []int) {
	var ctl, gre []string
	var inFrames, outFrames []int
	for _, r := range cor.CallIDChanges {
		desc := fmt.Sprintf("%s inside → %s outside, frames %d/%d", decode.CallIDString(uint16(r.Inside)), decode.CallIDString(uint16(r.Outside)), r.InsideFrame, r.OutsideFrame)
		switch r.Field {
		case "pptp_call_id":
			if len(ctl) < 3 {
				ctl = append(ctl, desc)
				inFrames, outFrames = append(inFrames, r.InsideFrame), append(outFrames, r.OutsideFrame)
			}
		case "gre_call_id":
			if len(gre) < 3 {
				gre = append(gre, desc)
				inFrames, outFrames = append(inFrames, r.InsideFrame), append(outFrames, r.OutsideFrame)
			}
		}
	}
	switch {
	case len(ctl) > 0 && len(gre) == 0:
		return "the NAT rewrote the call ID in the control messages (" + strings.Join(ctl, "; ") + ") but not in the GRE keys", inFrames, outFrames
	case len(gre) > 0 && len(ctl) == 0:
		return "the NAT rewrote GRE keys (" + strings.Join(gre, "; ") + ") but not the call IDs in the control messages", inFrames, outFrames
	case len(gre) > 0:
		return "the NAT rewrote call IDs in the control messages (" + strings.Join(ctl, "; ") + ") and in GRE keys (" + strings.Join(gre, "; ") + ") inconsistently", inFrames, outFrames
	}
	return "", nil, nil
}
