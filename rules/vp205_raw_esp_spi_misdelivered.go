package rules

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// rawESPMisdelivered follows the gateway's raw ESP through an IPsec
// Passthrough NAT shared by several clients: for every inbound SPI that
// reached the NAT's outside address, which inside host received it, and
// whether that host had a tunnel with the gateway then. It reports inbound
// SPIs delivered to a host that had no IKE SA with the gateway at that
// time, SPIs delivered to more than one host, SPIs that first appeared
// right after one client's CHILD SA was created but went to another, and
// inbound ESP that reached the outside capture and no inside host.
//
// Raw ESP (IP protocol 50) has no ports. A NAT that passes it for several
// inside hosts must guess which host an inbound packet is for: it learns
// (gateway, SPI) pairs from outbound packets, but the inbound SPI is a
// different one, negotiated inside encrypted IKE, so most devices send
// inbound ESP to the last inside host that sent ESP to that gateway. When
// a second client connects, the first client's inbound ESP goes to the
// second client, which drops it — or nowhere. RFC 3715 §2 lists the
// incompatibilities behind this, and §2.3 the helpers that try to paper
// over them.
//
// Fix it by not depending on passthrough: enable NAT-T on the clients and
// the gateway, so that each client's ESP travels in UDP 4500 with its own
// NAT port mapping (RFC 3948); where a client cannot do NAT-T, give it a
// public address or a 1:1 NAT, or allow only one such client at a time.
//
// Without keys the SPI-to-tunnel link is inferred from timing, since CHILD
// SA SPIs are negotiated encrypted: an SPI first seen within two seconds of
// exactly one host's CHILD SA creation belongs to that host. That inference
// alone gives medium confidence; a host with no IKE SA at all, or one SPI
// delivered to two hosts, is certain. With keys (--keys) the link is exact:
// the host whose IKE SA announced the SPI in an SA payload read decrypted
// receives on it, and an SPI delivered to another host is certain too.
// Hosts whose negotiation began before the inside capture are never called
// tunnel-less.
type rawESPMisdelivered struct{}

func (rawESPMisdelivered) Meta() Meta {
	return Meta{
		ID:         "VP205",
		Slug:       "raw-esp-spi-misdelivered",
		Title:      "Raw ESP for one client delivered to another by the passthrough NAT",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "which client's SA was created just before the ESP arrived",
		Explanation: "Several clients behind one NAT send raw ESP (IP protocol 50) to the same VPN gateway. Raw ESP " +
			"has no ports, so when the gateway answers, the NAT has to guess which client a packet is for from " +
			"its SPI — which it never saw going out. The captures show the NAT guessing wrong: the gateway's ESP " +
			"for one client was delivered to another client, or to none.",
		Remedy: "Stop relying on IPsec Passthrough for more than one client: enable NAT traversal on the clients " +
			"and on the gateway (strongSwan and libreswan do by default; on Windows set " +
			"AssumeUDPEncapsulationContextOnSendRule when the gateway is behind NAT too) so that ESP travels in " +
			"UDP 4500 with a port mapping per client. A client that cannot do NAT-T needs its own public " +
			"address or a static 1:1 NAT; otherwise only one client at a time can connect through this NAT.",
		References: []string{"RFC 3715 §2 (known incompatibilities between NAT and IPsec)", "RFC 3715 §2.3 (helper incompatibilities)", "RFC 3948 §1 (UDP encapsulation)", "RFC 4303 §2.1 (SPI)"},
		Catalogue:  []string{"NT14"},
		NeedsBoth:  true,
	}
}

func (rawESPMisdelivered) Check(c *Context, report func(Finding)) {
	if !c.Two() {
		return
	}
	for _, g := range rawESPGroups(c) {
		for _, f := range g.problems {
			report(f)
		}
	}
}

// rawESPGroup is a set of inside hosts that send raw ESP to one gateway:
// with two captures through one outside address (public), with one capture
// from private addresses.
type rawESPGroup struct {
	gateway netip.Addr
	public  netip.Addr // invalid with one capture
	hosts   []netip.Addr
	frames  []int // inside: the first raw ESP frames of each host
	// blocked are hosts whose raw ESP to the gateway never left the NAT
	// (two captures), with the SA that shows it.
	blocked []*flows.ESPSA
	// problems are VP205's findings for the group.
	problems []Finding
}

// rawESPGroups finds the groups with two hosts or more, in the order their
// gateways were first seen, and with two captures the problems of each.
func rawESPGroups(c *Context) []*rawESPGroup {
	in := c.Captures[flows.SideInside]
	v := c.dataPlane()
	type key struct{ gw, pub netip.Addr }
	idx := map[key]*rawESPGroup{}
	var groups []*rawESPGroup
	var blocked []*flows.ESPSA
	for _, sa := range in.SAs {
		if sa.AH || sa.Raw == 0 {
			continue
		}
		var host, gw netip.Addr
		switch v.dir(flows.SideInside, sa.Src, sa.Dst) {
		case dirOutbound:
			host, gw = sa.Src, sa.Dst
		case dirInbound:
			host, gw = sa.Dst, sa.Src
		default:
			continue
		}
		var pub netip.Addr
		if c.Two() {
			pub = rawESPPublic(v, sa, host)
			if !pub.IsValid() {
				if sa.Src == host && sa.Fate().Forwarded == 0 && sa.Fate().Dropped > 0 {
					blocked = append(blocked, sa)
				}
				continue
			}
		} else if !flows.IsPrivate(host) || flows.IsPrivate(gw) {
			continue
		}
		k := key{gw, pub}
		g := idx[k]
		if g == nil {
			g = &rawESPGroup{gateway: gw, public: pub}
			idx[k] = g
			groups = append(groups, g)
		}
		if !slices.Contains(g.hosts, host) {
			g.hosts = append(g.hosts, host)
			g.frames = append(g.frames, sa.Frames.First())
		}
	}
	rawESPAddBlocked(groups, blocked)
	out := groups[:0]
	for _, g := range groups {
		if len(g.hosts) < 2 {
			continue
		}
		if c.Two() {
			g.problems = rawESPProblems(v, g)
		}
		out = append(out, g)
	}
	return out
}

// rawESPAddBlocked adds each host whose raw ESP to a gateway never left
// the NAT (blocked) to the group of the NAT's one outside address for that
// gateway, when there is one: the host shares it, since ESP has no ports
// and the NAT could not map it apart (Linux conntrack refuses the second
// entry).
func rawESPAddBlocked(groups []*rawESPGroup, blocked []*flows.ESPSA) {
	for _, sa := range blocked {
		var only *rawESPGroup
		for _, g := range groups {
			if g.gateway != sa.Dst {
				continue
			}
			if only != nil {
				only = nil
				break
			}
			only = g
		}
		if only == nil {
			continue
		}
		if !slices.Contains(only.hosts, sa.Src) {
			only.hosts = append(only.hosts, sa.Src)
			only.frames = append(only.frames, sa.Frames.First())
		}
		only.blocked = append(only.blocked, sa)
	}
}

// rawESPPublic returns the outside address a host's raw ESP SA crossed
// the NAT with: from the same SPI outside, else from the NAT's protocol 50
// mappings.
func rawESPPublic(v *dataPlane, sa *flows.ESPSA, host netip.Addr) netip.Addr {
	if cp := v.counterpart(flows.SideInside, sa); cp != nil {
		if sa.Src == host {
			return cp.Src
		}
		return cp.Dst
	}
	return v.rawESPOutside(host)
}

// espChildAt is a CHILD SA creation seen in the inside capture.
type espChildAt struct {
	host  netip.Addr
	t     time.Time
	frame int
	tun   *flows.Tunnel
}

// espOwnerWindow is how soon after its CHILD SA is created an SA's first
// packet must appear for the timing to name its owner: peers send as soon
// as the SA is installed when traffic waits for it.
const espOwnerWindow = 2 * time.Second

// espDeliveryTolerance allows for an inbound packet overtaking the IKE
// answer that created its SA, and for clock rounding.
const espDeliveryTolerance = 100 * time.Millisecond

// rawESPCreations lists the CHILD SA creations of the group's hosts with
// the gateway (IKEv2 IKE_AUTH and CREATE_CHILD_SA answered, IKEv1 Quick
// Mode completed), in time order, and the hosts whose IKE SA was set up
// before the capture began.
func rawESPCreations(in *flows.Analysis, g *rawESPGroup) (creations []espChildAt, midstream map[netip.Addr]bool) {
	midstream = map[netip.Addr]bool{}
	for _, t := range in.Tunnels {
		host, ok := rawESPTunnelHost(t, g)
		if !ok {
			continue
		}
		if t.Midstream {
			midstream[host] = true
		}
		for _, e := range t.Exchanges {
			var ok bool
			switch e.Type {
			case decode.ExchangeTypeIKEAuth, decode.ExchangeTypeCreateChildSA:
				ok = t.Version == 2 && e.Answered
			case decode.ExchangeTypeQuickMode:
				ok = t.Version == 1 && e.Complete
			}
			if !ok {
				continue
			}
			frame := max(e.ResponseFrames.Last(), e.RequestFrames.Last())
			creations = append(creations, espChildAt{host: host, t: e.Last, frame: frame, tun: t})
		}
	}
	slices.SortStableFunc(creations, func(x, y espChildAt) int { return x.t.Compare(y.t) })
	return creations, midstream
}

// rawESPTunnelHost returns the inside host of a tunnel between one of the
// group's hosts and its gateway.
func rawESPTunnelHost(t *flows.Tunnel, g *rawESPGroup) (netip.Addr, bool) {
	for _, pair := range [][2]netip.AddrPort{{t.Initiator, t.Responder}, {t.InitiatorFirst, t.ResponderFirst}} {
		a, b := pair[0].Addr(), pair[1].Addr()
		switch {
		case b == g.gateway && slices.Contains(g.hosts, a):
			return a, true
		case a == g.gateway && slices.Contains(g.hosts, b):
			return b, true
		}
	}
	return netip.Addr{}, false
}

// rawESPProblems checks every inbound raw SPI of a group.
func rawESPProblems(v *dataPlane, g *rawESPGroup) []Finding {
	c := v.c
	in, out := c.Captures[flows.SideInside], c.Captures[flows.SideOutside]
	creations, midstream := rawESPCreations(in, g)
	var fs []Finding
	for _, x := range out.SAs {
		if x.AH || x.Raw == 0 || x.Src != g.gateway || x.Dst != g.public {
			continue
		}
		var delivered []*flows.ESPSA
		for _, sa := range v.withSPI(flows.SideInside, x.SPI, false) {
			if sa.Src == g.gateway && slices.Contains(g.hosts, sa.Dst) {
				delivered = append(delivered, sa)
			}
		}
		slices.SortStableFunc(delivered, func(a, b *flows.ESPSA) int { return a.First.Compare(b.First) })
		if f, ok := rawESPCheckSPI(v, g, x, delivered, creations, midstream); ok {
			fs = append(fs, f)
		}
	}
	return fs
}

// rawESPCheckSPI checks one inbound raw ESP SPI the NAT's outside
// address received from the gateway (x), against the inside SAs it was
// delivered as: lost, switched between hosts, or delivered to a host that
// does not own it. It reports the finding, and false when nothing is wrong.
func rawESPCheckSPI(v *dataPlane, g *rawESPGroup, x *flows.ESPSA, delivered []*flows.ESPSA, creations []espChildAt, midstream map[netip.Addr]bool) (Finding, bool) {
	c := v.c
	in := c.Captures[flows.SideInside]
	// Without any IKE of the group's hosts in the capture, nothing says
	// when a host's SAs were made: whether a host "had a tunnel" cannot
	// be asked, and the SPIs themselves must tell.
	noIKE := len(creations) == 0 && len(midstream) == 0
	arrival := c.Correlation.ToInside(x.First)
	owner, ownerOK := rawESPOwner(creations, arrival)
	exact, child, exactOK := rawESPExactOwner(in, g, x.SPI)
	if exactOK {
		owner, ownerOK = exact, true
	}
	k := rawESPSPIProblems{conf: Medium}
	outsideFrames := append(firstFrames(x.Frames.List(), 3), firstFrames(x.Fate().DroppedFrames().List(), 3)...)

	for _, sa := range delivered {
		k.insideFrames = append(k.insideFrames, firstFrames(sa.Frames.List(), 3)...)
	}
	switch {
	case len(delivered) == 0 && x.Fate().Dropped > 0:
		k.problems = append(k.problems, "no inside host received it")
		k.conf = High
	case len(delivered) > 1:
		k.problems = append(k.problems, "the NAT switched it between hosts")
		k.conf = High
	}
	if x.Fate().Dropped > 0 && len(delivered) > 0 {
		lost := fmt.Sprintf("%d of its packets reached no inside host", x.Fate().Dropped)
		if s := x.Lost.String(); s != "" {
			lost += " (sequence numbers " + s + ")"
		}
		k.problems = append(k.problems, lost)
	}
	for _, sa := range delivered {
		h := sa.Dst
		hadTunnel := midstream[h] || slices.ContainsFunc(creations, func(ca espChildAt) bool {
			return ca.host == h && !ca.t.After(sa.First.Add(espDeliveryTolerance))
		})
		if noIKE {
			if p, owner, ok := rawESPForeignSPI(v, g, sa); ok {
				k.problems = append(k.problems, p)
				k.insideFrames = append(k.insideFrames, rawESPBlockedFrames(g)...)
				k.foreignOwner = owner
			}
			continue
		}
		if !hadTunnel && sa.First.Sub(in.Capture.First) >= espOwnerWindow {
			k.problems = append(k.problems, fmt.Sprintf("%s had no IKE SA with %s when it received it", h, g.gateway))
			k.conf = High
			continue
		}
		switch {
		case exactOK && owner.host != h:
			k.problems = append(k.problems, fmt.Sprintf("%s's IKE SA negotiated it (SA payload read decrypted, frame %d), but it went to %s",
				owner.host, child.Frame, h))
			k.insideFrames = append(k.insideFrames, child.Frame)
			k.conf = High
			k.decrypted = true
		case ownerOK && owner.host != h && len(delivered) == 1:
			k.problems = append(k.problems, fmt.Sprintf("it first arrived %s after %s's CHILD SA was created (frame %d), but went to %s",
				fmtDuration(arrival.Sub(owner.t)), owner.host, owner.frame, h))
			k.insideFrames = append(k.insideFrames, owner.frame)
		}
	}
	if len(k.problems) == 0 {
		return Finding{}, false
	}
	var ownerTunnel *flows.Tunnel
	if ownerOK {
		ownerTunnel = owner.tun
	}
	return rawESPSPIFinding(v, g, x, delivered, &k, ownerTunnel, outsideFrames), true
}

// rawESPSPIProblems is what is wrong with the delivery of one inbound SPI,
// with the confidence, the inside frames that show it, and the SA of the
// host the SPI very likely belongs to when another host received it.
type rawESPSPIProblems struct {
	problems     []string
	conf         Confidence
	insideFrames []int
	foreignOwner *flows.ESPSA
	decrypted    bool // a problem rests on an SA payload read decrypted
}

// rawESPSPIFinding words the finding about one inbound SPI (x), delivered
// as the inside SAs delivered, with its problems k: about the tunnel of the
// SPI's owner (ownerTunnel, nil when unknown) or of its one receiver, else
// about the ESP group that suffers.
func rawESPSPIFinding(v *dataPlane, g *rawESPGroup, x *flows.ESPSA, delivered []*flows.ESPSA, k *rawESPSPIProblems, ownerTunnel *flows.Tunnel, outsideFrames []int) Finding {
	c := v.c
	parts := make([]string, 0, len(delivered))
	for _, sa := range delivered {
		parts = append(parts, fmt.Sprintf("%s (%s from frame %d)", sa.Dst, words.Count(sa.Packets(), "packet"), sa.Frames.First()))
	}
	msg := fmt.Sprintf("inbound raw ESP SPI %s from %s reached %s (%s)", decode.SPI(x.SPI).String(), g.gateway, g.public, words.Count(x.Packets(), "packet"))
	if len(parts) > 0 {
		msg += "; delivered to " + strings.Join(parts, " and ")
	}
	msg += ": " + strings.Join(k.problems, "; ") + fmt.Sprintf(". Inside hosts %s share %s for raw ESP to %s",
		listOf(sortedAddrs(g.hosts), netip.Addr.String), g.public, g.gateway)
	msg += rawESPBlockedWords(g)
	tunnel := 0
	if ownerTunnel != nil {
		tunnel = v.tunnelID(flows.SideInside, ownerTunnel.ID)
	} else if len(delivered) == 1 && delivered[0].Tunnel != 0 {
		tunnel = v.tunnelID(flows.SideInside, delivered[0].Tunnel)
	}
	ev := evidenceFromBoth(c, k.insideFrames, outsideFrames)
	group := 0
	switch {
	case tunnel != 0:
	case k.foreignOwner != nil:
		// The finding explains the silent host's failure, not the
		// receiving host's: its own SAs work.
		group = c.GroupOf(k.foreignOwner)
	case len(delivered) > 0:
		group = c.GroupOf(delivered[0])
	}
	return Finding{
		Confidence: k.conf,
		Tunnel:     tunnel,
		Group:      group,
		Subject:    fmt.Sprintf("esp %s -> %s spi %s", g.gateway, g.public, decode.SPI(x.SPI).String()),
		Message:    msg,
		Evidence:   ev,
		Decrypted:  k.decrypted,
	}
}

// rawESPExactOwner finds the group's host whose IKE SA negotiated an
// inbound SPI, read from a decrypted SA payload: the peer that announces
// an SPI receives on it (RFC 7296 §3.3.1).
func rawESPExactOwner(in *flows.Analysis, g *rawESPGroup, spi uint32) (espChildAt, *flows.ChildSA, bool) {
	for _, t := range in.Tunnels {
		host, ok := rawESPTunnelHost(t, g)
		if !ok {
			continue
		}
		role := flows.RoleInitiator
		if host == t.ResponderFirst.Addr() || host == t.Responder.Addr() {
			role = flows.RoleResponder
		}
		for i := range t.ChildSAs {
			if c := &t.ChildSAs[i]; c.SPI == spi && c.Announcer == role {
				return espChildAt{host: host, frame: c.Frame, tun: t}, c, true
			}
		}
	}
	return espChildAt{}, nil, false
}

// rawESPOwner names the host whose CHILD SA creation an SPI's first
// arrival follows: the latest creation before it, within espOwnerWindow,
// when no other host created one in that window.
func rawESPOwner(creations []espChildAt, arrival time.Time) (espChildAt, bool) {
	var window []espChildAt
	for _, ca := range creations {
		if ca.t.After(arrival.Add(espDeliveryTolerance)) || arrival.Sub(ca.t) > espOwnerWindow {
			continue
		}
		window = append(window, ca)
	}
	if len(window) == 0 {
		return espChildAt{}, false
	}
	latest := slices.MaxFunc(window, func(x, y espChildAt) int { return cmp.Compare(x.t.UnixNano(), y.t.UnixNano()) })
	for _, ca := range window {
		if ca.host != latest.host {
			return espChildAt{}, false
		}
	}
	return latest, true
}

// rawESPForeignSPI says why an inbound SPI delivered to a host, with no
// IKE in the capture to tell whose it is, belongs to another host: the
// host receives more inbound SPIs from the gateway than it sends outbound
// ones, this one is not the first it received, and a host of the group
// whose ESP never left the NAT received nothing at all.
func rawESPForeignSPI(v *dataPlane, g *rawESPGroup, sa *flows.ESPSA) (string, *flows.ESPSA, bool) {
	h := sa.Dst
	var ins, outs []*flows.ESPSA
	for _, x := range v.between(flows.SideInside, g.gateway, h) {
		if !x.AH && x.Raw > 0 {
			ins = append(ins, x)
		}
	}
	for _, x := range v.between(flows.SideInside, h, g.gateway) {
		if !x.AH && x.Raw > 0 {
			outs = append(outs, x)
		}
	}
	if len(ins) <= len(outs) || len(g.blocked) == 0 {
		return "", nil, false
	}
	slices.SortStableFunc(ins, func(a, b *flows.ESPSA) int { return a.First.Compare(b.First) })
	if ins[0] == sa {
		return "", nil, false
	}
	var silent []netip.Addr
	var owner *flows.ESPSA
	for _, b := range g.blocked {
		if len(v.between(flows.SideInside, g.gateway, b.Src)) == 0 {
			silent = append(silent, b.Src)
			owner = b
		}
	}
	if len(silent) == 0 {
		return "", nil, false
	}
	if len(silent) > 1 {
		owner = nil
	}
	var outSPIs []string
	for _, x := range outs {
		outSPIs = append(outSPIs, decode.SPI(x.SPI).String())
	}
	return fmt.Sprintf("%s already receives SPI %s and sends on %s only, so a further inbound SPI is another host's; %s, which sends raw ESP to %s too, received nothing",
		h, decode.SPI(ins[0].SPI).String(), words.Count(len(outs), "SPI")+" ("+words.List(outSPIs, 0)+")", listOf(silent, netip.Addr.String), g.gateway), owner, true
}

// rawESPBlockedFrames returns the first frames of the group's hosts whose
// ESP never left the NAT.
func rawESPBlockedFrames(g *rawESPGroup) []int {
	var out []int
	for _, b := range g.blocked {
		out = append(out, firstFrames(b.Frames.List(), 3)...)
	}
	return out
}

// rawESPBlockedWords says which hosts' raw ESP never left the NAT.
func rawESPBlockedWords(g *rawESPGroup) string {
	var parts []string
	for _, b := range g.blocked {
		parts = append(parts, fmt.Sprintf("none of %s's %s on SPI %s left the NAT", b.Src, words.Count(b.Packets(), "raw ESP packet"), decode.SPI(b.SPI).String()))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ") + ": the NAT keeps one protocol-50 mapping per gateway, and it belongs to the first host"
}
