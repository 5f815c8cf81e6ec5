package flows

import (
	"fmt"
	"net/netip"
	"strings"
)

// This file decides, once per tunnel, whether each peer is behind a NAT and
// how that is known. Rules, verdicts, reports and the terminal UI read the
// answer; none of them works it out again.
//
// RFC 7296 §2.23 gives each peer two independent tests: the other peer's
// NAT_DETECTION_SOURCE_IP against the packet's source (is the other peer
// behind a NAT?) and its NAT_DETECTION_DESTINATION_IP against its own
// address (am I behind a NAT?). A capture sees the tuples on the wire, so it
// can run both tests for both peers. Only the destination test is safe:
// peers that force UDP encapsulation (strongSwan encap=yes or
// kernel-libipsec, libreswan encapsulation=yes, Windows'
// AssumeUDPEncapsulationContextOnSendRule) fake their own source hash on
// purpose. With two captures, the translation seen between them outranks
// every hash.

// NATAnswer is "yes", "no" or "unknown".
type NATAnswer string

// Answers to "is this peer behind a NAT?".
const (
	NATYes     NATAnswer = "yes"
	NATNo      NATAnswer = "no"
	NATUnsure  NATAnswer = "unknown"
	natUnasked NATAnswer = ""
)

// NATBasis names one piece of evidence about a peer's NAT.
type NATBasis string

// Kinds of evidence, as in the JSON output.
const (
	// BasisTranslation: the peer's address differs between the inside
	// and the outside capture.
	BasisTranslation NATBasis = "translation"
	// BasisOtherTraffic: the tunnel is in one capture only, and the
	// device between the captures translated the peer's other traffic.
	BasisOtherTraffic NATBasis = "other-traffic-translated"
	// BasisSameAddress: the peer's address is the same in both captures.
	BasisSameAddress NATBasis = "same-address"
	// BasisNATDDestination: the other peer's NAT-D hash of this peer's
	// address does not match (or matches) the captured address.
	BasisNATDDestination NATBasis = "natd-destination"
	// BasisNATDSource: the peer's own NAT-D hash of its address does not
	// match (or matches) the captured address.
	BasisNATDSource NATBasis = "natd-source"
	// BasisPrivateAddress: a private address talking to a public one.
	BasisPrivateAddress NATBasis = "private-address"
)

// NATCertainty says how firmly a NAT position is established.
type NATCertainty uint8

// Certainties, weakest first.
const (
	NATGuess    NATCertainty = iota // nothing to go on
	NATInferred                     // from address ranges only
	NATProven                       // from a translation seen or a NAT-D hash
)

// FakedNATD says how a peer's NAT-D source hash is known, or suspected, to
// be deliberately wrong.
type FakedNATD string

// Kinds of faked NAT-D hashes.
const (
	// FakedPortZero: the hash matches the captured address with port 0,
	// as libreswan's encapsulation=yes computes it.
	FakedPortZero FakedNATD = "port-zero"
	// FakedRandom: the hash matches none of the peer's addresses although
	// a capture shows the peer before any NAT: strongSwan hashes a random
	// address when UDP encapsulation is forced.
	FakedRandom FakedNATD = "random"
	// FakedLikely: the hash matches none of the peer's addresses, nothing
	// else shows a NAT in front of the peer, and the other peer's hash is
	// proven faked: forced encapsulation is in use on this IKE SA.
	FakedLikely FakedNATD = "likely-random"
)

// PeerNAT is what the captures say about one peer of a tunnel.
type PeerNAT struct {
	Behind NATAnswer
	Basis  []NATBasis
	// Reason is a clause saying how it is known, with the addresses: "its
	// address 10.0.0.2:500 inside is 198.51.100.1:500 outside".
	Reason string
	// Faked is set when the peer's own NAT-D source hash is (or is very
	// likely) deliberately wrong; FakedReason says how that is known.
	Faked       FakedNATD
	FakedReason string
}

// NATAssessment is where the NAT sits for one tunnel, peer by peer, and
// how that is known.
type NATAssessment struct {
	Position  NATPosition
	Certainty NATCertainty
	Peers     [2]PeerNAT // by Role
	// Reason is one sentence-part saying how the position is known.
	Reason string
	// NATDVoid says why the NAT-D hashes were set aside, if they were.
	NATDVoid string
}

// Present reports whether a NAT sits in front of at least one peer.
func (n *NATAssessment) Present() bool {
	return n.Position == NATInitiator || n.Position == NATResponder || n.Position == NATBoth || n.Position == NATHost
}

// Behind reports whether the peer of role r is behind a NAT.
func (n *NATAssessment) Behind(r Role) bool { return n.Peers[r].Behind == NATYes }

// NATInput is what AssessNAT weighs for one tunnel.
type NATInput struct {
	// Sides is the tunnel as seen in the inside and the outside capture
	// (by Side); with one capture only Sides[SideInside] is set.
	Sides [2]*Tunnel
	// Pair is set when the tunnel comes from a pair of captures, even if
	// only one of them saw it.
	Pair bool
	// SPIRewritten is set when an ALG rewrote the IKE SPIs that NAT-D
	// hashes cover.
	SPIRewritten bool
	// OtherTrafficTranslated says, for a tunnel seen in one capture of a
	// pair, whether the device between the captures translated other
	// traffic of the peer's address (by Role).
	OtherTrafficTranslated [2]bool
}

// AssessNAT decides, for each peer, whether it is behind a NAT and how
// that is known, and combines both into a position.
func AssessNAT(in NATInput) NATAssessment {
	var a NATAssessment
	ev := gatherNATEvidence(in, &a)
	for _, r := range []Role{RoleInitiator, RoleResponder} {
		ev.markFaked(r, &a)
	}
	for _, r := range []Role{RoleInitiator, RoleResponder} {
		ev.markLikelyFaked(r, &a)
	}
	for _, r := range []Role{RoleInitiator, RoleResponder} {
		a.Peers[r] = ev.decide(r, a.Peers[r])
	}
	ini, resp := a.Peers[RoleInitiator].Behind, a.Peers[RoleResponder].Behind
	switch {
	case ini == NATYes || resp == NATYes:
		a.Position = ntPosition(ini == NATYes, resp == NATYes)
		a.Certainty = NATProven
	case ini == NATNo && resp == NATNo:
		a.Position = NATNone
		a.Certainty = NATProven
	default:
		a.Position, a.Certainty = ev.byAddressRange(&a)
	}
	a.Reason = a.reason(ev.version)
	return a
}

// ntPosition is the NAT position that a translated initiator side (ini)
// and responder side (resp) make.
func ntPosition(ini, resp bool) NATPosition {
	switch {
	case ini && resp:
		return NATBoth
	case ini:
		return NATInitiator
	case resp:
		return NATResponder
	}
	return NATNone
}

// peerNATD is what the NAT-D hashes say about one peer, by side.
type peerNATD struct {
	sent, portZero bool
	// sourceMismatch and sourceMatch: the peer's own hash of itself
	// against its captured address.
	sourceMismatch, sourceMatch [2]bool
	// destMismatch and destMatch: the other peer's hash of this peer
	// against its captured address.
	destMismatch, destMatch [2]bool
}

func (n *peerNATD) anySourceMismatch() bool { return n.sourceMismatch[0] || n.sourceMismatch[1] }
func (n *peerNATD) anySourceMatch() bool    { return n.sourceMatch[0] || n.sourceMatch[1] }
func (n *peerNATD) anyDestMatch() bool      { return n.destMatch[0] || n.destMatch[1] }

// destMismatchSide returns the first side where the other peer's hash of
// this peer mismatched.
func (n *peerNATD) destMismatchSide() (Side, bool) {
	for s := range 2 {
		if n.destMismatch[s] {
			return Side(s), true
		}
	}
	return 0, false
}

// natEvidence gathers, per role, what the captures show.
type natEvidence struct {
	version uint8
	sides   [2]*Tunnel
	pair    bool
	// first endpoint of each role, by side
	ep [2][2]netip.AddrPort // [side][role]
	// NAT-D per role, over the sides where it is usable
	natd       [2]peerNATD
	translated [2]bool // by role: address differs between the captures
	same       [2]bool // by role: address equal in both captures
	other      [2]bool // by role: other traffic translated
	keepalives [2]int  // by role, most seen in one capture
	fakedBy    [2]bool // by role: the correlation proved the hash faked
}

func gatherNATEvidence(in NATInput, a *NATAssessment) *natEvidence {
	ev := &natEvidence{sides: in.Sides, pair: in.Pair, other: in.OtherTrafficTranslated}
	for s, t := range in.Sides {
		if t == nil {
			continue
		}
		ev.version = t.Version
		ev.ep[s] = [2]netip.AddrPort{t.InitiatorFirst, t.ResponderFirst}
		for r := range 2 {
			ev.keepalives[r] = max(ev.keepalives[r], t.Keepalives.From[r])
			ev.fakedBy[r] = ev.fakedBy[r] || t.fakedBy[r]
		}
	}
	if i, o := in.Sides[SideInside], in.Sides[SideOutside]; i != nil && o != nil {
		for r := range 2 {
			ai, ao := ev.ep[SideInside][r].Addr(), ev.ep[SideOutside][r].Addr()
			ev.translated[r] = ai != ao
			ev.same[r] = ai == ao
		}
	}
	switch {
	case in.SPIRewritten:
		a.NATDVoid = "an ALG rewrote the IKE SPIs that the NAT-D hashes cover"
		return ev
	}
	for s, t := range in.Sides {
		if t == nil {
			continue
		}
		if natdContradicts(t) {
			where := "the capture"
			if in.Pair {
				where = "the " + Side(s).String() + " capture"
			}
			a.NATDVoid = fmt.Sprintf("all four NAT-D hashes of %s contradict each other (its addresses were rewritten after capture, or an ALG altered the messages)", where)
			continue
		}
		for r := range 2 {
			self, other := &t.NATD[r], &t.NATD[1-r]
			n := &ev.natd[r]
			n.sent = n.sent || self.Sent
			n.portZero = n.portZero || self.PortZero
			n.sourceMismatch[s] = self.SourceMismatch
			n.sourceMatch[s] = self.SourceMatched
			n.destMismatch[s] = other.DestMismatch
			n.destMatch[s] = other.DestMatched
		}
	}
	return ev
}

// natdContradicts reports whether a capture's NAT-D hashes contradict each
// other: all four mismatch. Each pair of mismatches on one peer's address
// (its own source hash, the other peer's destination hash of it) would put
// the capture both beyond and before that peer's NAT; both pairs at once
// take two NATs on each side with the capture between them. A capture
// whose addresses were rewritten, or an ALG that altered the SPIs, explains
// it; a NAT does not.
func natdContradicts(t *Tunnel) bool {
	i, r := &t.NATD[RoleInitiator], &t.NATD[RoleResponder]
	return i.Sent && r.Sent && i.SourceMismatch && i.DestMismatch && r.SourceMismatch && r.DestMismatch &&
		!i.PortZero && !r.PortZero
}

// where names a side's capture in a clause: " in the inside capture", or
// nothing when there is one capture.
func (ev *natEvidence) where(s Side) string {
	if !ev.pair {
		return ""
	}
	return " in the " + s.String() + " capture"
}

// destSideMismatch reports whether, in the capture where the other peer's
// hash of this peer mismatched, this peer's own hash mismatched too: that
// capture sits before the peer's NAT, where an honest hash matches.
func (ev *natEvidence) destSideMismatch(r Role) bool {
	n := &ev.natd[r]
	s, ok := n.destMismatchSide()
	return ok && n.sourceMismatch[s]
}

// markFaked records a peer's NAT-D source hash that the captures prove
// faked: it matches only with port 0, or it matches none of the peer's
// addresses although a capture shows the peer before any NAT — the inside
// capture of a pair that saw the peer translated, or a capture whose own
// destination test puts it on the peer's side of the NAT.
func (ev *natEvidence) markFaked(r Role, a *NATAssessment) {
	n := &ev.natd[r]
	p := &a.Peers[r]
	switch {
	case n.portZero:
		p.Faked = FakedPortZero
		p.FakedReason = "its NAT-D hash of its own address matches only with port 0, as libreswan's encapsulation=yes computes it"
		return
	case !n.anySourceMismatch() || n.anySourceMatch():
		return
	}
	var addrs []string
	for s := range 2 {
		if n.sourceMismatch[s] {
			addrs = appendUnique(addrs, ev.ep[s][r].String())
		}
	}
	switch {
	case ev.translated[r] && n.sourceMismatch[SideInside]:
		p.Faked = FakedRandom
		p.FakedReason = fmt.Sprintf("its NAT-D hash of itself matches neither its inside address %s nor its outside address %s",
			ev.ep[SideInside][r], ev.ep[SideOutside][r])
	case ev.fakedBy[r]:
		p.Faked = FakedRandom
		p.FakedReason = fmt.Sprintf("its NAT-D hash of itself does not match %s, yet the device between the captures did not translate that address and port",
			strings.Join(addrs, " or "))
	case ev.destSideMismatch(r) && !ev.pair:
		s, _ := n.destMismatchSide()
		p.Faked = FakedRandom
		p.FakedReason = fmt.Sprintf("its NAT-D hash of itself does not match %s, the address this capture shows before the NAT (the other peer's hash of it proves the NAT lies beyond the capture)",
			ev.ep[s][r])
	}
}

// markLikelyFaked records a peer whose source hash matches none of its
// addresses, with nothing else showing a NAT in front of it, on an IKE SA
// whose other peer provably fakes its own: forced encapsulation is in
// use, and the mismatch is no evidence of a NAT.
func (ev *natEvidence) markLikelyFaked(r Role, a *NATAssessment) {
	n := &ev.natd[r]
	p, q := &a.Peers[r], &a.Peers[1-r]
	if p.Faked != "" || !n.anySourceMismatch() || n.anySourceMatch() || q.Faked == "" || q.Faked == FakedLikely {
		return
	}
	if _, ok := n.destMismatchSide(); ok || ev.translated[r] || ev.other[r] {
		return
	}
	p.Faked = FakedLikely
	p.FakedReason = fmt.Sprintf("its NAT-D hash of itself matches none of its addresses either, while nothing else shows a NAT in front of it and the %s's hash is provably random: forced UDP encapsulation, not a NAT", (1 - r).String())
}

// decide answers "is the peer of role r behind a NAT?".
func (ev *natEvidence) decide(r Role, p PeerNAT) PeerNAT {
	n := &ev.natd[r]
	other := (1 - r).String()
	var reasons []string
	add := func(b NATBasis, reason string) {
		p.Basis = append(p.Basis, b)
		reasons = append(reasons, reason)
	}
	if ev.translated[r] {
		add(BasisTranslation, fmt.Sprintf("its address %s inside is %s outside", ev.ep[SideInside][r].Addr(), ev.ep[SideOutside][r].Addr()))
	}
	if ev.other[r] {
		add(BasisOtherTraffic, "the device between the captures translated its other traffic")
	}
	if s, ok := n.destMismatchSide(); ok {
		add(BasisNATDDestination, fmt.Sprintf("the %s's NAT-D hash of it does not match %s%s", other, ev.ep[s][r], ev.where(s)))
	}
	honestSourceMismatch := n.anySourceMismatch() && !n.anySourceMatch() && p.Faked == ""
	if honestSourceMismatch && len(p.Basis) == 0 {
		s := SideInside
		if !n.sourceMismatch[s] {
			s = SideOutside
		}
		add(BasisNATDSource, fmt.Sprintf("its own NAT-D hash does not match %s", ev.ep[s][r]))
	}
	if len(p.Basis) > 0 {
		p.Behind = NATYes
		p.Reason = strings.Join(reasons, ", and ")
		return p
	}
	// No NAT shown in front of the peer. Say "no" only where the
	// captures test it.
	destMatched := n.anyDestMatch()
	srcMatched := n.anySourceMatch()
	switch {
	case ev.same[r] && destMatched:
		add(BasisSameAddress, fmt.Sprintf("its address %s is the same in both captures", ev.ep[SideInside][r].Addr()))
		add(BasisNATDDestination, fmt.Sprintf("the %s's NAT-D hash of it matches", other))
	case ev.same[r]:
		add(BasisSameAddress, fmt.Sprintf("its address %s is the same in both captures", ev.ep[SideInside][r].Addr()))
	case destMatched && (srcMatched || p.Faked != ""):
		add(BasisNATDDestination, fmt.Sprintf("the %s's NAT-D hash of it matches", other))
		if srcMatched {
			add(BasisNATDSource, "its own NAT-D hash matches")
		}
	case destMatched && ev.natd[1-r].sent && n.sent:
		add(BasisNATDDestination, fmt.Sprintf("the %s's NAT-D hash of it matches", other))
	}
	if len(p.Basis) == 0 {
		p.Behind = NATUnsure
		return p
	}
	p.Behind = NATNo
	// A peer that sends keepalives believes itself behind a NAT (RFC
	// 3948 §4): its own destination test, which the capture cannot run
	// for it, failed.
	if ev.keepalives[r] > 0 && !ev.same[r] {
		p.Behind = NATUnsure
		reasons = append(reasons, "but it sends NAT keepalives, as a peer behind a NAT does")
	}
	p.Reason = strings.Join(reasons, ", and ")
	return p
}

// byAddressRange guesses the position from address ranges when neither
// NAT-D nor a second capture decides it: a private address cannot talk to a
// public one without a NAT.
func (ev *natEvidence) byAddressRange(a *NATAssessment) (NATPosition, NATCertainty) {
	t := ev.sides[SideInside]
	if t == nil {
		t = ev.sides[SideOutside]
	}
	if t == nil {
		return NATUnknown, NATGuess
	}
	ini, resp := t.InitiatorFirst.Addr(), t.ResponderFirst.Addr()
	mark := func(r Role, self, peer netip.Addr) {
		p := &a.Peers[r]
		if p.Behind == NATNo {
			return
		}
		p.Behind = NATYes
		p.Basis = append(p.Basis, BasisPrivateAddress)
		p.Reason = fmt.Sprintf("its address %s is private and the %s's %s public, so a NAT translates between them", self, (1 - r).String(), peer)
	}
	switch {
	case behindNATRange(ini) && isPublic(resp) && a.Peers[RoleInitiator].Behind != NATNo:
		mark(RoleInitiator, ini, resp)
		return NATInitiator, NATInferred
	case behindNATRange(resp) && isPublic(ini) && a.Peers[RoleResponder].Behind != NATNo:
		mark(RoleResponder, resp, ini)
		return NATResponder, NATInferred
	}
	return NATUnknown, NATGuess
}

// isPublic reports whether an address is global unicast, not private, and
// not in IPv6's reserved ::/8 (IPv4-compatible addresses such as ::2).
func isPublic(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !IsPrivate(a) && !reserved6.Contains(a)
}

var reserved6 = netip.MustParsePrefix("::/8")

// behindNATRange reports whether an address is one a NAT translates to
// reach the internet: RFC 1918, ULA, RFC 6598. Loopback and link-local
// addresses never cross a NAT: a capture showing them talk to a public
// address was made up or taken on a test bench.
func behindNATRange(a netip.Addr) bool { return a.IsPrivate() || CGNAT.Contains(a) }

// reason says, in one sentence-part, how the position is known.
func (a *NATAssessment) reason(version uint8) string {
	var parts []string
	for _, r := range []Role{RoleInitiator, RoleResponder} {
		p := &a.Peers[r]
		switch p.Behind {
		case NATYes:
			parts = append(parts, fmt.Sprintf("the %s is behind a NAT: %s", r, p.Reason))
		case NATNo:
			parts = append(parts, fmt.Sprintf("no NAT is in front of the %s as far as the captures show: %s", r, p.Reason))
		}
	}
	if a.NATDVoid != "" {
		parts = append(parts, "NAT-D is void: "+a.NATDVoid)
	}
	return strings.Join(parts, "; ")
}

// NATDFakedRoles returns the roles whose NAT-D source hash is faked or
// very likely faked, by name.
func (n *NATAssessment) NATDFakedRoles() []string {
	out := []string{}
	for _, r := range []Role{RoleInitiator, RoleResponder} {
		if n.Peers[r].Faked != "" {
			out = append(out, r.String())
		}
	}
	return out
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
