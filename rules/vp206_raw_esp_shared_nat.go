package rules

import (
	"fmt"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/flows"
)

// rawESPSharedNAT names the precondition of VP205: two or more inside
// hosts sending raw ESP (IP protocol 50, no NAT-T) to the same gateway,
// through one outside address. With both captures the outside address is
// known and the rule reports the groups in which every inbound SPI still
// reached the right host; with the inside capture alone it reports private
// hosts sending raw ESP to the same public gateway, which must share a
// NAT somewhere.
//
// Raw ESP has no ports: a NAT can pass it for one inside host per gateway
// reliably, and for more only by guessing from SPIs it never negotiated
// (RFC 3715 §2, §2.3). It works until two clients' SAs overlap or rekey
// at the wrong moment; then one client's inbound traffic goes to the
// other, and the first client's tunnel goes silent while both show it up.
//
// Fix it before it breaks: enable NAT traversal on the clients and the
// gateway so that ESP travels in UDP 4500 with a port per client (RFC
// 3948), or give each such client its own public address.
//
// With one capture the hosts might sit behind different NATs, so
// confidence is medium; with both captures the shared address is seen.
type rawESPSharedNAT struct{}

func (rawESPSharedNAT) Meta() Meta {
	return Meta{
		ID:         "VP206",
		Slug:       "raw-esp-shared-nat",
		Title:      "Several clients send raw ESP to one gateway through one NAT",
		Severity:   Warning,
		Confidence: High,
		Explanation: "More than one client behind the same NAT sends raw ESP (IP protocol 50) to the same VPN " +
			"gateway. Raw ESP has no ports, so the NAT can only guess which client the gateway's answers are for, " +
			"using SPIs it never saw negotiated. This works for one client and breaks, sooner or later, for two: " +
			"one client's inbound ESP is delivered to the other.",
		Remedy: "Enable NAT traversal on the clients and on the VPN gateway so that ESP is carried in UDP 4500 and " +
			"the NAT keeps one port mapping per client; IPsec Passthrough is then no longer needed for them. A " +
			"client that cannot do NAT-T needs its own public address or a static 1:1 NAT.",
		References: []string{"RFC 3715 §2 (known incompatibilities between NAT and IPsec)", "RFC 3715 §2.3 (helper incompatibilities)", "RFC 3948 §1 (UDP encapsulation)"},
		Catalogue:  []string{"NT14"},
	}
}

func (rawESPSharedNAT) Check(c *Context, report func(Finding)) {
	for _, g := range rawESPGroups(c) {
		if len(g.problems) > 0 {
			// VP205 reports what went wrong; the precondition is part
			// of its message.
			continue
		}
		hosts := listOf(sortedAddrs(g.hosts), netip.Addr.String)
		f := Finding{
			Confidence: High,
			Evidence:   c.Evidence(flows.SideInside, g.frames...),
		}
		if c.Two() {
			f.Subject = fmt.Sprintf("esp via %s -> %s", g.public, g.gateway)
			f.Message = fmt.Sprintf("%d inside hosts (%s) send raw ESP (IP protocol 50) through one outside address %s to the same gateway %s; "+
				"the NAT can tell their inbound ESP apart only by SPI. In these captures every inbound SPI still reached one host that had a tunnel",
				len(g.hosts), hosts, g.public, g.gateway)
		} else {
			f.Confidence = Medium
			f.Subject = fmt.Sprintf("esp -> %s", g.gateway)
			f.Message = fmt.Sprintf("%d hosts with private addresses (%s) send raw ESP (IP protocol 50) to the same gateway %s; "+
				"if they share one NAT, it can tell their inbound ESP apart only by SPI", len(g.hosts), hosts, g.gateway)
		}
		report(f)
	}
}
