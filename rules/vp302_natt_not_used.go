package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// nattNotUsed detects peers that negotiated NAT traversal and detected a
// NAT with NAT-D, but then did not use it: IKE stayed on UDP 500 after the
// NAT-D exchange (no float to 4500 with the non-ESP marker), or every ESP
// packet travelled as raw IP protocol 50.
//
// Once a NAT is detected, RFC 7296 §2.23 and RFC 3947 §4 require the
// initiator to move IKE to UDP 4500 and both peers to encapsulate ESP in
// UDP (RFC 3948). A peer that does not — an implementation bug, a kernel
// without UDP encapsulation, a policy forcing it off — leaves the tunnel to
// IPsec Passthrough on the NAT, and a peer that does encapsulate drops what
// does not match its SA.
//
// Fix the peer: update it, check that its kernel supports UDP-encapsulated
// ESP (Linux xfrm with UDP_ENCAP), remove settings that disable
// encapsulation (libreswan encapsulation=no). Do not rely on Passthrough.
//
// The NAT must come from NAT-D and NAT traversal must be negotiated (both
// peers sent NAT_DETECTION notifies, or a common NAT-T vendor ID); faked
// NAT-D (forced encapsulation) does not count as a NAT. Tunnels over TCP
// (RFC 9329) are left out. A tunnel whose ESP is only partly raw is VP303's.
type nattNotUsed struct{}

func (nattNotUsed) Meta() Meta {
	return Meta{
		ID:         "VP302",
		Slug:       "natt-not-used",
		Title:      "NAT detected and NAT-T negotiated, but the peers do not float or encapsulate",
		Severity:   Error,
		Confidence: High,
		Explanation: "Both peers announced NAT traversal and their NAT-D hashes show a NAT between them, which obliges the " +
			"initiator to move IKE to UDP port 4500 (with the four-zero-byte non-ESP marker) and both peers to carry ESP inside " +
			"UDP 4500. Here IKE stayed on port 500 after the NAT-D exchange, or ESP went out as raw IP protocol 50. A peer that " +
			"detects the NAT expects UDP-encapsulated traffic and drops the rest; raw ESP crosses the NAT only through IPsec " +
			"Passthrough, so the tunnel fails or works by accident.",
		Remedy: "Fix the peer that does not encapsulate: update its IKE daemon, make sure its kernel supports UDP-encapsulated " +
			"ESP (Linux: xfrm with UDP_ENCAP; strongSwan's kernel-netlink plugin), and remove settings that disable encapsulation " +
			"(libreswan encapsulation=no, nat-ikev1-method=none on one side only). On the NAT allow UDP 500 and 4500; do not rely " +
			"on IPsec Passthrough.",
		References: []string{"RFC 7296 §2.23", "RFC 3947 §4", "RFC 3948 §2", "Openswan issue #114"},
		Catalogue:  []string{"NT02"},
	}
}

func (r nattNotUsed) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		if ikeOverTCP(v) || !v.NATTNegotiated() {
			continue
		}
		if !natShownByNATD(&v.NAT) || !v.NAT.Present() {
			continue
		}
		t, side := primarySide(v)
		floated := false
		for _, s := range v.Sides {
			if s != nil && s.Float {
				floated = true
			}
		}
		var stayed []int
		if !floated {
			stayed = ntIKEAfterNATD(t)
		}
		raw, udp, tcp, _ := v.ESPCounts()
		allRaw := raw > 0 && udp+tcp == 0
		if len(stayed) == 0 && !allRaw {
			continue
		}
		report(r.finding(c, v, t, side, stayed, allRaw, raw))
	}
}

func (nattNotUsed) finding(c *Context, v *flows.TunnelView, t *flows.Tunnel, side flows.Side, stayed []int, allRaw bool, raw int) Finding {
	var b strings.Builder
	how := "both sent NAT_DETECTION notifies"
	if t.Version == 1 {
		how = "both sent NAT-T vendor IDs"
		for _, x := range t.NATTVendorIDs[flows.RoleInitiator] {
			if slices.Contains(t.NATTVendorIDs[flows.RoleResponder], x) {
				how = "both sent the NAT-T vendor ID " + x
				break
			}
		}
	}
	fmt.Fprintf(&b, "NAT-D shows a NAT in front of the %s, and the peers negotiated NAT traversal (%s), yet ", natedPeers(t, &v.NAT), how)
	var problems []string
	if len(stayed) > 0 {
		// Exchanges left out of a long capture's tunnel stayed too.
		atLeast := ""
		if t.ExchangesAged+t.ExchangesOverflow > 0 {
			atLeast = "at least "
		}
		problems = append(problems, fmt.Sprintf("IKE never moved to UDP 4500: %s%s after the NAT-D exchange stayed on UDP %d without the non-ESP marker (%s)",
			atLeast, words.Count(len(stayed), "message"), t.Responder.Port(), frameList(stayed)))
	}
	if allRaw {
		var senders []string
		var spis []string
		for _, sa := range t.ESPSAs {
			if sa.Raw == 0 || sa.AH {
				continue
			}
			spis = append(spis, decode.SPI(sa.SPI).String())
			if who := "the " + saSender(t, sa); !slices.Contains(senders, who) {
				senders = append(senders, who)
			}
		}
		problems = append(problems, fmt.Sprintf("all %s travel as raw IP protocol 50 (SPIs %s, sent by %s)",
			words.Count(raw, "ESP packet"), words.List(spis, 0), joinWithAnd(senders)))
	}
	b.WriteString(joinWithAnd(problems))
	b.WriteString("; the tunnel now depends on IPsec Passthrough and on the peers accepting unencapsulated traffic")
	var in, out []int
	for _, s := range viewSides(v) {
		st := v.Sides[s]
		frames := append(st.NATD[flows.RoleInitiator].Frames.List(), st.NATD[flows.RoleResponder].Frames.List()...)
		if s == side {
			frames = append(frames, stayed...)
		} else if !st.Float {
			frames = append(frames, ntIKEAfterNATD(st)...)
		}
		frames = append(frames, firstSAFrames(st, 2, func(sa *flows.ESPSA) bool { return sa.Raw > 0 && !sa.AH })...)
		addSideFrames(s, frames, &in, &out)
	}
	return Finding{Confidence: natConfidence(&v.NAT), Tunnel: v.ID, Message: b.String(), Evidence: evidenceFromBoth(c, in, out)}
}

// ntIKEAfterNATD returns the frames of IKE messages sent over UDP after the
// exchange that carried NAT-D: IKEv2 exchanges after IKE_SA_INIT, IKEv1
// Main Mode messages 5 and 6 and every later exchange. After NAT detection
// these belong on port 4500.
func ntIKEAfterNATD(t *flows.Tunnel) []int {
	var out []int
	for _, e := range t.Exchanges {
		if e.TCP {
			continue
		}
		switch {
		case t.Version == 2 && e.Type == decode.ExchangeTypeIKESAInit:
		case t.Version == 1 && e.Type == decode.ExchangeTypeAggressive:
		case t.Version == 1 && e.Type == decode.ExchangeTypeMain:
			if e.Messages >= 5 {
				out = append(out, e.RequestFrames.Last())
				if e.Messages >= 6 {
					out = append(out, e.ResponseFrames.Last())
				}
			}
		default:
			out = append(out, e.RequestFrames.First(), e.ResponseFrames.First())
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == 0 {
		out = out[1:]
	}
	return out
}
