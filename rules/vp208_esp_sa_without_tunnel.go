package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// espWithoutTunnel lists ESP and AH security associations that belong to no
// IKE SA seen in the captures, grouped by the pair of peers. It is context,
// not a fault: it tells the reader why those SAs have no tunnel, no NAT-D
// verdict and no negotiation history in the report.
//
// An SA without its IKE SA is usually one negotiated before the capture
// began (its first sequence number above 1 proves that), or one keyed
// elsewhere: IKE between other addresses (a load balancer, a second
// interface), IKE carried somewhere the capture filter left out, or manual
// keys ("ip xfrm state add"). Rules that need the negotiation — NAT
// detection, NAT-T state, retransmissions — cannot judge these SAs.
//
// To judge them, capture from before the tunnel comes up (restart it while
// capturing: "swanctl --terminate" then "--initiate", or wait for a
// rekey), and capture UDP 500 and 4500 as well as ESP.
//
// With both captures an SA that either capture links to a tunnel is not
// listed, and an SA both captures see unlinked is listed once, from the
// inside. With keys (--keys) an SA negotiated in a decrypted exchange is
// its tunnel's and never listed; of the SAs listed, the finding says which
// the keys decrypt (real SAs, negotiated outside the capture) and which
// they fail on.
type espWithoutTunnel struct{}

func (espWithoutTunnel) Meta() Meta {
	return Meta{
		ID:         "VP208",
		Slug:       "esp-sa-without-tunnel",
		Title:      "ESP security associations with no IKE negotiation in the capture",
		Severity:   Info,
		Confidence: Medium,
		Explanation: "ESP (or AH) traffic was captured whose IKE negotiation is not in the capture, so vpnpcap " +
			"cannot tie it to a tunnel, tell whether NAT-T was negotiated, or check NAT detection for it. Most " +
			"often the capture simply started after the tunnel came up.",
		Remedy: "Start the capture before the tunnel is established (or restart the tunnel while capturing, e.g. " +
			"\"swanctl --terminate\" then \"swanctl --initiate\"), and include UDP 500 and 4500 in the capture " +
			"filter along with IP protocol 50, e.g. \"udp port 500 or udp port 4500 or esp or ah\".",
		References: []string{"RFC 7296 §1.3 (CHILD SAs are created inside the IKE SA)", "RFC 4303 §2.2 (Sequence Number starts at 1)"},
	}
}

func (espWithoutTunnel) Check(c *Context, report func(Finding)) {
	attached := map[uint32]bool{}
	for _, a := range c.Captures {
		for _, sa := range a.SAs {
			if sa.Tunnel != 0 {
				attached[sa.SPI] = true
			}
		}
	}
	listed := map[uint32]bool{}
	for _, side := range c.captureSides() {
		type pair struct{ a, b netip.Addr }
		idx := map[pair]int{}
		var groups [][]*flows.ESPSA
		for _, sa := range c.Captures[side].Unattached {
			if attached[sa.SPI] || listed[sa.SPI] {
				continue
			}
			k := pair{sa.Src, sa.Dst}
			if k.b.Less(k.a) {
				k.a, k.b = k.b, k.a
			}
			i, ok := idx[k]
			if !ok {
				i = len(groups)
				idx[k] = i
				groups = append(groups, nil)
			}
			groups[i] = append(groups[i], sa)
		}
		for _, g := range groups {
			for _, sa := range g {
				listed[sa.SPI] = true
			}
			report(espWithoutTunnelFinding(c, side, g))
		}
	}
}

// espWithoutTunnelKeys says what the keys given (--keys) made of SAs
// without a tunnel: decrypted, they are SAs the keys' owner negotiated,
// only not in the capture; failing, the keys are another SA's.
func espWithoutTunnelKeys(g []*flows.ESPSA) string {
	var decrypted, failed []string
	var key, failure string
	for _, sa := range g {
		switch in := sa.Inner(); {
		case in.Decrypted > 0:
			decrypted = append(decrypted, decode.SPI(sa.SPI).String())
			if key == "" {
				key = in.Key.String()
			}
		case in.Failed > 0:
			failed = append(failed, decode.SPI(sa.SPI).String())
			if failure == "" {
				failure = in.FirstFailure
			}
		}
	}
	var out string
	if len(decrypted) > 0 {
		out += fmt.Sprintf("; the keys given decrypt SPI %s (key of %s): %s of the peers, negotiated where the capture does not show",
			words.List(decrypted, 0), key, words.Pick(len(decrypted), "a real SA", "real SAs"))
	}
	if len(failed) > 0 {
		out += fmt.Sprintf("; SPI %s did not decrypt (%s)", words.List(failed, 0), failure)
	}
	return out
}

func espWithoutTunnelFinding(c *Context, side flows.Side, g []*flows.ESPSA) Finding {
	spis := make([]string, 0, len(g))
	var frames []int
	packets, midSA := 0, 0
	protos := map[string]bool{}
	for _, sa := range g {
		spis = append(spis, decode.SPI(sa.SPI).String())
		frames = append(frames, sa.Frames.First())
		packets += sa.Packets()
		protos[espProto(sa)] = true
		if sa.FirstSeq > 1 {
			midSA++
		}
	}
	proto := "ESP"
	switch {
	case protos["AH"] && protos["ESP"]:
		proto = "ESP and AH"
	case protos["AH"]:
		proto = "AH"
	}
	a, b := g[0].Src, g[0].Dst
	if b.Less(a) {
		a, b = b, a
	}
	where := "this capture"
	if c.Two() {
		where = "either capture"
	}
	msg := fmt.Sprintf("%d %s %s between %s and %s (SPI %s; %s from frame %d) %s to no IKE SA in %s",
		len(g), proto, words.Pick(len(g), "SA", "SAs"), a, b, words.List(spis, 0),
		words.Count(packets, "packet"), frames[0], words.Pick(len(g), "belongs", "belong"), where)
	conf := Medium
	if midSA == len(g) {
		// An SA's first packet carries sequence number 1 (RFC 4303
		// §3.3.3): a higher first number proves the SA was in use
		// before the capture.
		conf = High
		msg += fmt.Sprintf("; %s sequence numbers do not start at 1, so the capture began after %s negotiated",
			words.Pick(len(g), "its", "their"), words.Pick(len(g), "it was", "they were"))
	} else {
		msg += "; the capture probably began after the tunnel was negotiated, or IKE ran between other addresses"
	}
	msg += espWithoutTunnelKeys(g)
	return Finding{
		Confidence: conf,
		Subject:    fmt.Sprintf("%s %s <-> %s", strings.ToLower(strings.ReplaceAll(proto, " and ", "+")), a, b),
		Message:    msg,
		Evidence:   c.Evidence(side, frames...),
	}
}
