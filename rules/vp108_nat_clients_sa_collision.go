package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// natClientsSACollision detects two clients behind one NAT whose IKE SAs
// with the same server collide there: client A is established, client B
// (same public address) establishes, and within seconds the server's ESP for
// A stops or goes to B's port.
//
// A server that keys its IPsec policies and SAs by the peer's IP address
// alone (RouterOS without generate-policy=port-strict, L2TP/IPsec servers
// with transport-mode policies, libreswan without per-port policies) cannot
// tell two clients behind one NAT apart: B's new SA replaces A's policy, and
// the server sends A's traffic to B's port or drops it. Only one client
// behind a NAT works at a time.
//
// Configure the server to key policies by address and port (RouterOS
// generate-policy=port-strict; strongSwan and libreswan do this for tunnel
// mode with NAT-T), use tunnel mode rather than transport mode for road
// warriors, and give each client a distinct virtual IP.
//
// With both captures the two clients are proven to be different inside
// hosts (high confidence); with one capture outside the NAT they are told
// apart by their different NAT-T ports or vendor IDs (medium), and only
// when NAT-D shows the capture is outside the NAT. Without keys the
// server's ESP is tied to the first client's IKE SA by addresses and
// timing; with keys (--keys) by the SPI its decrypted SA payload
// announced, which the finding cites.
type natClientsSACollision struct{}

func (natClientsSACollision) Meta() Meta {
	return Meta{
		ID:         "VP108",
		Slug:       "nat-clients-sa-collision",
		Title:      "Second client behind the same NAT takes over the first client's SA",
		Severity:   Error,
		Confidence: High,
		TimeUse:    "whether the second client's SA came within seconds of the first one's last packet",
		Explanation: "Two clients behind one NAT reach the same VPN server from the same public address. When the second client's " +
			"IPsec SA comes up, the server stops sending the first client's ESP, or sends it to the second client's port: it " +
			"keys its policies or SAs by the peer's IP address only, so the new SA replaces the old one. Each new connection " +
			"from behind that NAT breaks the previous one.",
		Remedy: "On the server, key IPsec policies by address and port, not by address alone: MikroTik RouterOS " +
			"generate-policy=port-strict on the peer/identity; for L2TP/IPsec, prefer IKEv2 or a server that handles several " +
			"clients behind one NAT (transport-mode policies per address cannot); on strongSwan/libreswan use tunnel mode with " +
			"NAT-T and a distinct virtual IP per client (rightsourceip / pools). As a workaround, give the clients different " +
			"public addresses.",
		References: []string{
			"RFC 3715 §2.1 (demultiplexing several clients behind one NAT)",
			"RFC 3948 §5.1, §5.2 (tunnel and transport mode conflicts of clients behind one NAT)",
			"RFC 7296 §2.23 (the responder must use the port the request came from)",
		},
		Catalogue: []string{"NT17"},
	}
}

// vp108Window is how soon after the second client's SA the first client's
// ESP must stop to count as taken over: a server replaces the policy as
// the new SA is installed, so within a few seconds.
const vp108Window = 10 * time.Second

func (r natClientsSACollision) Check(c *Context, report func(Finding)) {
	side := flows.SideInside
	if c.Two() {
		side = flows.SideOutside
	}
	a := c.Capture(side)
	// Only tunnels between the same two addresses can collide (collide's
	// first test): pair the tunnels of each address pair, in capture order,
	// rather than all tunnels, which a concentrator's thousands make
	// millions of pairs.
	type addrPair [2]netip.Addr
	var groups [][]*flows.Tunnel
	index := map[addrPair]int{}
	for _, t := range a.Tunnels {
		k := addrPair{t.InitiatorFirst.Addr(), t.ResponderFirst.Addr()}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], t)
	}
	// One finding per client that lost its SA, for the first IKE SA (in
	// capture order) that took it over. Only an established IKE SA whose
	// floated port received the victim's ESP, or that was established
	// while the victim's inbound ESP stopped, can be the one (collide):
	// look those up rather than try every pair, which a flood of IKE SAs
	// from one address makes billions.
	for _, g := range groups {
		r.checkGroup(c, side, g, report)
	}
}

// checkGroup finds the collisions among the tunnels of one address pair.
func (r natClientsSACollision) checkGroup(c *Context, side flows.Side, g []*flows.Tunnel, report func(Finding)) {
	order := make(map[*flows.Tunnel]int, len(g))
	var byTime []*flows.Tunnel
	byPort := map[uint16][]*flows.Tunnel{}
	for i, t := range g {
		order[t] = i
		if !t.Established() {
			continue
		}
		byTime = append(byTime, t)
		if fp, ok := floatedInitiator(t); ok {
			byPort[fp.Port()] = append(byPort[fp.Port()], t)
		}
	}
	if len(byTime) < 2 {
		return
	}
	established := func(t *flows.Tunnel) time.Time { at, _ := t.EstablishedAt(); return at }
	slices.SortStableFunc(byTime, func(x, y *flows.Tunnel) int { return established(x).Compare(established(y)) })
	for _, a := range g {
		if !a.Established() {
			continue
		}
		candidates := map[*flows.Tunnel]bool{}
		server, client := a.ResponderFirst.Addr(), a.Initiator.Addr()
		for _, sa := range a.ESPSAs {
			if sa.Src != server || sa.Dst != client {
				continue
			}
			if sa.UDP > 0 {
				for _, b := range byPort[sa.DstPort] {
					candidates[b] = true
				}
			}
			from := sa.Last.Add(-vp108Window)
			to := sa.Last.Add(vp108Window / 2)
			i, _ := slices.BinarySearchFunc(byTime, from, func(t *flows.Tunnel, at time.Time) int { return established(t).Compare(at) })
			for ; i < len(byTime) && !established(byTime[i]).After(to); i++ {
				candidates[byTime[i]] = true
			}
		}
		delete(candidates, a)
		list := make([]*flows.Tunnel, 0, len(candidates))
		for b := range candidates {
			list = append(list, b)
		}
		slices.SortFunc(list, func(x, y *flows.Tunnel) int { return order[x] - order[y] })
		for _, b := range list {
			if f, ok := r.collide(c, side, a, b); ok {
				report(f)
				break
			}
		}
	}
}

// collide checks whether tunnel b's SA took over tunnel a's.
func (r natClientsSACollision) collide(c *Context, side flows.Side, a, b *flows.Tunnel) (Finding, bool) {
	if a.InitiatorFirst.Addr() != b.InitiatorFirst.Addr() || a.ResponderFirst.Addr() != b.ResponderFirst.Addr() ||
		!a.Established() || !b.Established() {
		return Finding{}, false
	}
	ta, _ := a.EstablishedAt()
	tb, fb := b.EstablishedAt()
	if !ta.Before(tb) {
		return Finding{}, false
	}
	hosts, conf, ok := differentClients(c, side, a, b)
	if !ok {
		return Finding{}, false
	}
	end := c.Capture(side).Capture.Last
	client := a.Initiator.Addr()
	server := a.ResponderFirst.Addr()
	firstLost, frames, decrypted := firstClientLoses(a, b, tb, end)
	if firstLost == "" {
		return Finding{}, false
	}
	msg := fmt.Sprintf("two IKE SAs from %s to %s come from %s behind one NAT; the second (SPIi %s) was established at frame %d, and %s: the server does not tell clients behind one NAT apart",
		client, server, hosts, decode.IKESPI(b.SPIi), fb, firstLost)
	frames = append(frames, fb)
	ev := c.Evidence(side, frames...)
	if c.Two() {
		ev = append(ev, r.insideEvidence(c, side, a, b)...)
	}
	view := c.ViewOf(side, a)
	id := 0
	if view != nil {
		id = view.ID
	}
	return Finding{Tunnel: id, Confidence: conf, Message: msg, Evidence: ev, Decrypted: decrypted}, true
}

// differentClients tells whether two IKE SAs to one server from one
// address come from different clients behind the NAT, and names them: with
// two captures by their inside addresses (confidence high), with one
// outside the NAT by their NAT-T ports or vendor IDs (medium).
func differentClients(c *Context, side flows.Side, a, b *flows.Tunnel) (hosts string, conf Confidence, ok bool) {
	conf = Medium
	if c.Two() {
		va, vb := c.ViewOf(side, a), c.ViewOf(side, b)
		if va == nil || vb == nil || va.Sides[flows.SideInside] == nil || vb.Sides[flows.SideInside] == nil {
			return "", 0, false
		}
		ia, ib := va.Sides[flows.SideInside].InitiatorFirst.Addr(), vb.Sides[flows.SideInside].InitiatorFirst.Addr()
		if ia == ib {
			return "", 0, false
		}
		hosts = fmt.Sprintf("inside hosts %s and %s", ia, ib)
		conf = High
	} else {
		// Only a capture outside the NAT shows several hosts as one
		// address.
		if !translatedHere(a) || !translatedHere(b) {
			return "", 0, false
		}
		fa, oka := floatedInitiator(a)
		fb, okb := floatedInitiator(b)
		switch {
		case oka && okb && fa.Port() != fb.Port():
			hosts = fmt.Sprintf("different hosts (NAT-T ports %d and %d)", fa.Port(), fb.Port())
		case len(a.VendorIDs[flows.RoleInitiator]) > 0 && !slices.Equal(a.VendorIDs[flows.RoleInitiator], b.VendorIDs[flows.RoleInitiator]):
			hosts = "different clients (different vendor IDs)"
		default:
			return "", 0, false
		}
	}
	return hosts, conf, true
}

// firstClientLoses describes how the server's ESP for the first client (a)
// went astray once the second (b) established its IKE SA at tb: sent to the
// second client's port, or stopped while the capture (ending at end) goes
// on. It returns "" when neither shows, and the frames that show it.
func firstClientLoses(a, b *flows.Tunnel, tb, end time.Time) (lost string, frames []int, decrypted bool) {
	client := a.Initiator.Addr()
	server := a.ResponderFirst.Addr()
	var b2 strings.Builder
	for _, sa := range a.ESPSAs {
		if sa.Src != server || sa.Dst != client || sa.First.After(tb) {
			continue
		}
		switch {
		case sa.UDP > 0 && movedTo(a, b, sa.DstPort):
			fmt.Fprintf(&b2, "the server's ESP for the first client (SPI %s) now goes to the second client's port %d", decode.SPI(sa.SPI).String(), sa.DstPort)
			frames = append(frames, sa.Frames.Last())
		case !sa.Last.Before(tb.Add(-vp108Window/2)) && !sa.Last.After(tb.Add(vp108Window)) && end.Sub(sa.Last) >= vp108Window:
			fmt.Fprintf(&b2, "the server's ESP for the first client (SPI %s) stops %s, while the capture goes on for %s",
				decode.SPI(sa.SPI).String(), vp108When(sa.Last.Sub(tb)), fmtDuration(end.Sub(sa.Last)))
			frames = append(frames, sa.Frames.Last())
		default:
			continue
		}
		if ch := a.ChildSA(sa.SPI); ch != nil && !sa.Inferred {
			// With keys the SA is the first client's for certain, not
			// tied to it by addresses and timing.
			fmt.Fprintf(&b2, " — exactly the first client's SA: its IKE SA negotiated the SPI (SA payload read decrypted, frame %d)", ch.Frame)
			frames = append(frames, ch.Frame)
			decrypted = true
		}
		// The first client still sending shows it did not leave.
		for _, o := range a.ESPSAs {
			if o.Src == client && o.Dst == server && o.Last.After(sa.Last.Add(vp108Window/2)) {
				fmt.Fprintf(&b2, "; the first client keeps sending (SPI %s, %d packets, until %s later)", decode.SPI(o.SPI).String(), o.Packets(), fmtDuration(o.Last.Sub(sa.Last)))
				frames = append(frames, o.Frames.Last())
				break
			}
		}
		break
	}
	return b2.String(), frames, decrypted
}

// movedTo reports whether port is the second client's floated port and not
// the first client's: ESP of the first client's SA sent there reached the
// wrong client.
func movedTo(a, b *flows.Tunnel, port uint16) bool {
	fa, oka := floatedInitiator(a)
	fb, okb := floatedInitiator(b)
	return oka && okb && port == fb.Port() && port != fa.Port()
}

// vp108When says when something happened relative to an event.
func vp108When(d time.Duration) string {
	switch {
	case d < 0:
		return fmtDuration(-d) + " before it"
	case d == 0:
		return "at the same moment"
	}
	return fmtDuration(d) + " after it"
}

// insideEvidence adds, from the inside capture, where the first client's
// inbound ESP ends and where the second client's SA was established.
func (natClientsSACollision) insideEvidence(c *Context, side flows.Side, a, b *flows.Tunnel) []Evidence {
	var frames []int
	for _, t := range []*flows.Tunnel{a, b} {
		v := c.ViewOf(side, t)
		if v == nil || v.Sides[flows.SideInside] == nil {
			continue
		}
		in := v.Sides[flows.SideInside]
		if t == b {
			_, f := in.EstablishedAt()
			frames = append(frames, f)
			continue
		}
		host := in.InitiatorFirst.Addr()
		for _, sa := range in.ESPSAs {
			if sa.Dst == host {
				frames = append(frames, sa.Frames.Last())
			}
		}
	}
	return c.Evidence(flows.SideInside, frames...)
}
