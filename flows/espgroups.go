package flows

import (
	"net/netip"
)

// ESPGroup is the ESP and AH SAs between two peers that belong to no IKE
// tunnel of either capture: the capture began after the negotiation, the
// SAs were keyed by hand, or IKE ran elsewhere. A verdict is owed for them
// as for a tunnel: raw ESP that a NAT translated depends on IPsec
// Passthrough whether or not its negotiation was captured.
type ESPGroup struct {
	ID int
	// Host is the peer on the NAT's inside (the one whose address the NAT
	// translates, or the private one), Peer the other, as each capture saw
	// them (by Side; invalid where the capture saw nothing of the group).
	Host, Peer [2]netip.Addr
	// SAs are the group's SAs in each capture (by Side), in first-seen
	// order.
	SAs [2][]*ESPSA
	// NAT is where the NAT sits: NATHost (in front of the host), NATNone
	// or NATUnknown; its Peers[RoleInitiator] is the host.
	NAT NATAssessment
}

// Packets counts the group's packets in one capture.
func (g *ESPGroup) Packets(s Side) int {
	n := 0
	for _, sa := range g.SAs[s] {
		n += sa.Packets()
	}
	return n
}

// SPIs returns the group's SPIs, each once, in first-seen order (inside
// capture first).
func (g *ESPGroup) SPIs() []uint32 {
	var out []uint32
	seen := map[uint32]bool{}
	for _, sas := range g.SAs {
		for _, sa := range sas {
			if !seen[sa.SPI] {
				seen[sa.SPI] = true
				out = append(out, sa.SPI)
			}
		}
	}
	return out
}

// ESPGroups groups the SAs of one capture, or of a correlated pair, that
// belong to no tunnel: by the pair of addresses in the inside capture, and
// outside SAs join the group of the same SPI inside (a NAT never rewrites
// an SPI) or, failing that, the group whose translated addresses they
// carry. cor is nil for one capture.
func ESPGroups(in *Analysis, cor *Correlation) []*ESPGroup {
	var groups []*ESPGroup
	byPair := map[addrPair]*ESPGroup{}
	bySPI := map[uint32]*ESPGroup{} // inside SPIs
	outPair := map[addrPair]*ESPGroup{}
	// translated maps an inside host to its first outside address;
	// natAddrs holds the NAT's outside addresses.
	translated := map[netip.Addr]netip.Addr{}
	natAddrs := map[netip.Addr]bool{}
	if cor != nil {
		for _, m := range cor.Mappings {
			if _, ok := translated[m.Inside.Addr()]; !ok {
				translated[m.Inside.Addr()] = m.Outside.Addr()
			}
			natAddrs[m.Outside.Addr()] = true
		}
	}
	host := func(a, b netip.Addr) (netip.Addr, netip.Addr) {
		_, ta := translated[a]
		_, tb := translated[b]
		switch {
		case ta && !tb, IsPrivate(a) && !IsPrivate(b):
			return a, b
		case tb && !ta, IsPrivate(b) && !IsPrivate(a):
			return b, a
		case b.Less(a):
			return b, a
		}
		return a, b
	}
	for _, sa := range in.Unattached {
		k := newAddrPair(sa.Src, sa.Dst)
		g := byPair[k]
		if g == nil {
			g = &ESPGroup{ID: len(groups) + 1}
			g.Host[SideInside], g.Peer[SideInside] = host(sa.Src, sa.Dst)
			byPair[k] = g
			groups = append(groups, g)
		}
		g.SAs[SideInside] = append(g.SAs[SideInside], sa)
		bySPI[sa.SPI] = g
	}
	if cor == nil {
		for _, g := range groups {
			g.NAT = g.assessNAT()
		}
		return groups
	}
	for _, sa := range cor.Outside.Unattached {
		g := bySPI[sa.SPI]
		k := newAddrPair(sa.Src, sa.Dst)
		if g == nil {
			g = outPair[k]
		}
		if g == nil {
			g = groupTranslatedTo(groups, sa, translated)
		}
		if g == nil {
			g = &ESPGroup{ID: len(groups) + 1}
			groups = append(groups, g)
		}
		if !g.Host[SideOutside].IsValid() {
			g.Host[SideOutside], g.Peer[SideOutside] = outsideHost(g, sa, natAddrs)
		}
		g.SAs[SideOutside] = append(g.SAs[SideOutside], sa)
		outPair[k] = g
	}
	for _, g := range groups {
		g.NAT = g.assessNAT()
	}
	return groups
}

// outsideHost tells which address of an outside SA is the group's host:
// the one that is not the peer seen inside, else the NAT's outside
// address, else the lower one.
func outsideHost(g *ESPGroup, sa *ESPSA, natAddrs map[netip.Addr]bool) (host, peer netip.Addr) {
	a, b := sa.Src, sa.Dst
	switch {
	case g.Peer[SideInside].IsValid() && a == g.Peer[SideInside]:
		return b, a
	case g.Peer[SideInside].IsValid() && b == g.Peer[SideInside]:
		return a, b
	case natAddrs[a] && !natAddrs[b]:
		return a, b
	case natAddrs[b] && !natAddrs[a]:
		return b, a
	case b.Less(a):
		return b, a
	}
	return a, b
}

// groupTranslatedTo returns the inside group whose host the NAT translated
// to the outside SA's address, talking to the same peer; nil when none or
// several.
func groupTranslatedTo(groups []*ESPGroup, sa *ESPSA, translated map[netip.Addr]netip.Addr) *ESPGroup {
	var found *ESPGroup
	for _, g := range groups {
		h, p := g.Host[SideInside], g.Peer[SideInside]
		if !h.IsValid() {
			continue
		}
		out, ok := translated[h]
		if !ok {
			out = h
		}
		if newAddrPair(out, p) != newAddrPair(sa.Src, sa.Dst) {
			continue
		}
		if found != nil {
			return nil
		}
		found = g
	}
	return found
}

// assessNAT decides whether a NAT sits in front of the group's host: its
// address differs between the captures (the same SPIs seen with other
// addresses), or, with less certainty, a private address talks to a public
// one.
func (g *ESPGroup) assessNAT() NATAssessment {
	var a NATAssessment
	p := &a.Peers[RoleInitiator]
	q := &a.Peers[RoleResponder]
	hi, ho := g.Host[SideInside], g.Host[SideOutside]
	switch {
	case hi.IsValid() && ho.IsValid() && hi != ho:
		p.Behind, p.Basis = NATYes, []NATBasis{BasisTranslation}
		p.Reason = "its address " + hi.String() + " inside is " + ho.String() + " outside"
		a.Position, a.Certainty = NATHost, NATProven
	case hi.IsValid() && ho.IsValid():
		p.Behind, p.Basis = NATNo, []NATBasis{BasisSameAddress}
		p.Reason = "its address " + hi.String() + " is the same in both captures"
		a.Position, a.Certainty = NATNone, NATProven
	default:
		h, peer := hi, g.Peer[SideInside]
		if !h.IsValid() {
			h, peer = ho, g.Peer[SideOutside]
		}
		if behindNATRange(h) && isPublic(peer) {
			p.Behind, p.Basis = NATYes, []NATBasis{BasisPrivateAddress}
			p.Reason = "its address " + h.String() + " is private and its peer's " + peer.String() + " public, so a NAT translates between them"
			a.Position, a.Certainty = NATHost, NATInferred
		} else {
			p.Behind = NATUnsure
			a.Position, a.Certainty = NATUnknown, NATGuess
		}
	}
	q.Behind = NATUnsure
	if p.Behind == NATYes {
		a.Reason = "the host is behind a NAT: " + p.Reason
	} else if p.Behind == NATNo {
		a.Reason = "no NAT is in front of the host as far as the captures show: " + p.Reason
	}
	return a
}
