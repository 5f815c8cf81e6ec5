package flows

import (
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	keyfiles "github.com/vpnpcap/vpnpcap/decode/keys"
)

// Tunnel state, as in the JSON output.
type State string

// Tunnel states. A tunnel is "established" once the exchange that creates
// the IKE SA and its first child SA completed (IKEv2 IKE_AUTH response,
// IKEv1 Main/Aggressive Mode then Quick Mode), "failed" when a request was
// left unanswered, an error notify was sent in cleartext, or (read
// decrypted) a peer refused the authentication, "negotiating" when the
// capture ends mid-negotiation without evidence of failure, "rekeyed" when
// it was established and later exchanges created new SAs, and "deleted"
// when a cleartext Delete was seen or a decrypted one deleted the IKE SA.
const (
	StateNegotiating State = "negotiating"
	StateEstablished State = "established"
	StateFailed      State = "failed"
	StateRekeyed     State = "rekeyed"
	StateDeleted     State = "deleted"
)

// NATPosition says where a real NAT sits between the peers of a tunnel.
type NATPosition string

// NAT positions, as in the JSON output.
const (
	NATNone      NATPosition = "none"
	NATInitiator NATPosition = "initiator" // the initiator is behind a NAT
	NATResponder NATPosition = "responder"
	NATBoth      NATPosition = "both"
	NATUnknown   NATPosition = "unknown" // no NAT-D payloads to tell
	// NATHost says, for ESP without a tunnel (ESPGroup), that the host on
	// the NAT's inside is behind it: such a group has no initiator.
	NATHost NATPosition = "host"
)

// Role is a peer's role in an IKE SA.
type Role uint8

// Roles.
const (
	RoleInitiator Role = iota
	RoleResponder
)

func (r Role) String() string {
	if r == RoleInitiator {
		return "initiator"
	}
	return "responder"
}

// maxExchanges bounds the exchanges a tunnel keeps. A real IKE SA has a
// handful plus a few per rekey, and one per dead peer detection: an IKE SA
// followed for hours reaches the bound with DPD alone, and a hostile
// capture must not grow a tunnel without bound. Past it, the oldest
// settled INFORMATIONAL exchanges (answered, or for IKEv1 sent, and quiet
// for agedAfter) make room, so that what happens late in a long capture
// is kept; the first keptFirst exchanges (the negotiation) always stay.
// When none can go, further exchanges are counted only.
const (
	maxExchanges = 512
	keptFirst    = 32
	agedAfter    = 5 * time.Minute
)

// maxEndpointChanges bounds the recorded address and port changes.
const maxEndpointChanges = 64

// Tunnel is one IKE SA, identified by its initiator SPI, followed across the
// port float from 500 to 4500 and across address or port changes.
type Tunnel struct {
	ID      int
	Version uint8
	// Midstream is set when the capture began after the IKE SA was set up,
	// so the roles are a guess.
	Midstream  bool
	SPIi, SPIr uint64
	// Initiator and Responder are the peers' latest address and port as
	// seen in this capture; InitiatorFirst and ResponderFirst the ones of
	// the first message.
	Initiator, Responder netip.AddrPort

	// What every packet of the tunnel (ESP, keepalives) reads or updates
	// follows, to share cache lines: the tunnel has thousands of packets
	// for a few IKE messages.
	Last time.Time
	// LargestGap is the longest time without any packet of the tunnel
	// (IKE, ESP, keepalive) between its first and last packet.
	LargestGap          time.Duration
	lastActivity        time.Time
	lastActivityFrame   int
	GapBefore, GapAfter int // frames around the largest gap
	// NATTrace follows the endpoints, stale sends and idle gaps of the
	// tunnel's traffic (nattrace.go).
	NATTrace NATTrace

	InitiatorFirst, ResponderFirst netip.AddrPort

	First  time.Time
	Frames Frames // IKE messages

	Exchanges []*Exchange
	// ExchangesAged counts the settled INFORMATIONAL exchanges left out
	// to keep later ones (maxExchanges); ExchangesOverflow the exchanges
	// not kept, for want of any to leave out or of memory.
	ExchangesAged     int
	ExchangesOverflow int
	Retransmissions   int

	// NAT detection from NAT-D verification, per peer: what each peer's
	// hashes say about the captured tuples.
	NATD            [2]PeerNATD // by Role
	NATTVendorIDs   [2][]string // NAT-T capability vendor IDs sent, by Role
	VendorIDs       [2][]string // all vendor ID names sent, by Role
	FragmentationOK [2]bool     // IKEV2_FRAGMENTATION_SUPPORTED or IKE fragmentation VID, by Role
	TCP             bool        // IKE seen over TCP (RFC 9329)

	// Float is set when IKE moved to port 4500 with the non-ESP marker.
	Float      bool
	FloatFrame int
	// MarkerOn500 counts IKE messages with a non-ESP marker on port 500,
	// MarkerMissing IKE messages on port 4500 without it (RFC 3948 §2.2).
	// MarkerMissingFirst holds the source and destination of the first
	// message without the marker.
	MarkerOn500        Frames
	MarkerMissing      Frames
	MarkerMissingFirst [2]netip.AddrPort

	// EndpointChanges lists the first maxEndpointChanges changes of a
	// peer's address or port; EndpointChangesNotKept counts the later ones.
	EndpointChanges        []EndpointChange
	EndpointChangesNotKept int

	ESPSAs []*ESPSA

	Keepalives Keepalives

	// largestIKE is the longest IKE message (its header Length) and
	// largestIKEFrame its frame; fragments is the rest of IKEFragments,
	// made at the first message that came in fragments or did not come
	// whole, which most tunnels never see.
	largestIKE, largestIKEFrame int
	fragments                   *IKEFragmentation
	// Strays lists responder messages sent to an address the initiator
	// never used (StrayCount counts them all).
	Strays     []Stray
	StrayCount int

	// ChildSAs are the child SAs negotiated in decrypted exchanges, and
	// Decryption counts what the keys made of the encrypted messages
	// (decrypted.go); both stay empty without keys.
	ChildSAs   []ChildSA
	Decryption Decryption

	// ErrorNotifies are error notifies (type < 16384), by name: cleartext
	// ones, and with keys those inside the encryption.
	ErrorNotifies []NotifySeen
	// StatusNotifies of interest (MOBIKE, NAT notifies, COOKIE…).
	StatusNotifies []NotifySeen
	// NotifiesNotKept counts the notifies of kinds past the bound of the
	// lists (keepNotify): neither listed nor counted in More.
	NotifiesNotKept int
	// notifyKinds are the kinds of notify the lists hold (keepNotify).
	notifyKinds []notifyKind
	// Deletes counts the Delete payloads sent in cleartext (IKEv1
	// Informational); those read decrypted are in Decryption and ChildSAs.
	Deletes int

	// fate of the tunnel's IKE messages across the NAT (two captures;
	// Fate).
	fate *Fate
	// ICMP counts the ICMP errors that quote the tunnel's packets: its IKE
	// messages, its SAs' ESP, its NAT-T keepalives; nil when there are
	// none.
	ICMP *ICMPErrors

	State         State
	StateEvidence []int
	StateReason   string

	// RetriedAs is the ID of the tunnel that retried this negotiation
	// after the responder answered RetryRefusal (INVALID_KE_PAYLOAD or
	// COOKIE) at RetryRefusalFrame; RetryOf the ID of the tunnel this one
	// retries (linkRetries).
	RetriedAs, RetryOf int
	RetryRefusalFrame  int
	RetryRefusal       decode.NotifyType
	// RekeyExact is set when the CREATE_CHILD_SA that rekeyed an IKE SA
	// into this one, read decrypted, named this SA's SPIs; otherwise the
	// link (RekeyOf) is by endpoints and timing.
	RekeyExact bool
	// RekeyOf is the ID of the tunnel whose IKE SA was rekeyed into this
	// one by the CREATE_CHILD_SA answered at RekeyFrame; RekeyedAs the ID
	// of the tunnel that rekeyed this one (linkRekeys).
	RekeyOf, RekeyedAs int
	RekeyFrame         int
	// rekeySPIs are the IKE SPIs this SA's decrypted rekeys announced.
	rekeySPIs []rekeySPI

	// budget is the table's memory bound, which new exchanges draw on.
	budget *Budget
	// fakedBy marks peers whose NAT-D source hash correlation proved faked.
	fakedBy [2]bool
	// floated marks the peers (by Role) that sent IKE behind the non-ESP
	// marker.
	floated [2]bool
	// established, when the tunnel became established.
	established      bool
	establishedAt    time.Time
	establishedFrame int
	// addrs are the addresses seen for each peer, for attaching ESP and
	// keepalives.
	addrs [2][]netip.Addr
	// exchangeIndex finds the exchange a message belongs to: by message
	// ID, and in IKEv2, whose peers number their own requests, by the
	// requester too.
	exchangeIndex map[exchangeKey]*Exchange
}

type exchangeKey struct {
	from  Role
	msgID uint32
}

// PeerNATD records what one peer's NAT-D hashes said.
type PeerNATD struct {
	Sent           bool // the peer sent NAT-D
	SourceMismatch bool // its hash of its own address did not match the captured source
	DestMismatch   bool // its hash of the peer's address did not match the captured destination
	SourceMatched  bool
	DestMatched    bool
	PortZero       bool // a hash matched with port 0 (libreswan forced encapsulation)
	Unverified     bool // hashes could not be verified (IKEv1 hash algorithm unknown)
	PayloadTypes   []decode.PayloadType
	Frames         Frames
}

// NotifySeen is a notify seen in a message, in cleartext or, with
// Decrypted, inside its encryption.
type NotifySeen struct {
	Type      decode.NotifyType
	Name      string
	Frame     int
	From      Role
	Decrypted bool
	// Key names the key (file and line, never its value) that decrypted
	// the message, when Decrypted.
	Key keyfiles.Source
	// More counts the later sightings of the same notify from the same
	// peer, past the first notifySample, that are not listed (on the
	// last one listed).
	More int
}

// EndpointChange is a change of a peer's address or port.
type EndpointChange struct {
	Time  time.Time
	Frame int
	Peer  Role
	From  netip.AddrPort
	To    netip.AddrPort
	Float bool // the change is the NAT-T float: 500 to 4500, or the ports a NAT made of them
}

// Keepalives summarises NAT-T keepalives of a tunnel.
type Keepalives struct {
	Count       int
	From        [2]int // by Role
	MinInterval time.Duration
	MaxInterval time.Duration
	sum         time.Duration
	intervals   int
	last        [2]time.Time
	Frames      Frames
}

// MeanInterval returns the mean time between keepalives of one sender.
func (k *Keepalives) MeanInterval() time.Duration {
	if k.intervals == 0 {
		return 0
	}
	return k.sum / time.Duration(k.intervals)
}

func (k *Keepalives) add(from Role, t time.Time, frame int) {
	k.Count++
	k.From[from]++
	k.Frames.Add(frame)
	if last := k.last[from]; !last.IsZero() {
		d := t.Sub(last)
		if k.intervals == 0 || d < k.MinInterval {
			k.MinInterval = d
		}
		if d > k.MaxInterval {
			k.MaxInterval = d
		}
		k.sum += d
		k.intervals++
	}
	k.last[from] = t
}

// Exchange is one IKE exchange: a request and its response, with
// retransmissions.
type Exchange struct {
	Type decode.ExchangeType
	// From is the role of the peer that sent the request.
	From      Role
	MessageID uint32
	// Messages counts the distinct messages of the exchange (IKEv1 Main
	// Mode has six in message ID 0).
	Messages        int
	Retransmissions int
	// RequestFrames and ResponseFrames sample the transmissions of the
	// requests, retransmissions included, and of the responses; their
	// counts are Requests and Responses.
	RequestFrames  Frames
	ResponseFrames Frames
	First, Last    time.Time
	// Answered is set when the other peer answered.
	Answered bool
	// Complete is set for IKEv1 exchanges that reached their last message.
	Complete bool
	// Port is the destination port of the first request (500, 4500, or a
	// TCP port).
	Port uint16
	TCP  bool
	// Encrypted is set when the exchange's messages are encrypted.
	Encrypted bool
	waiting   bool // IKEv1: the last distinct message awaits the other peer
	lastFrom  Role
	// Notifies in the response, cleartext and (with keys) decrypted.
	ResponseNotifies []decode.NotifyType
	// Sends holds the exchange's latest distinct message and its
	// transmissions: for an unanswered exchange, the request and its
	// retransmissions.
	Sends Sends
	// ResentAfterEndFrames samples, for a complete IKEv1 exchange, the
	// retransmissions of an earlier message by the peer that did not send
	// the final one, after it was sent (Quick Mode message 2 sent again
	// after message 3): the final message did not reach that peer, or it
	// did not accept it.
	ResentAfterEndFrames Frames
	seen                 []uint64 // payload hashes of the distinct messages
}

// Requests returns the request transmissions, retransmissions included.
func (e *Exchange) Requests() int { return e.RequestFrames.Count() }

// Responses returns the response transmissions.
func (e *Exchange) Responses() int { return e.ResponseFrames.Count() }

// ResentAfterEnd returns how many times an earlier message was sent again
// after the final one (ResentAfterEndFrames).
func (e *Exchange) ResentAfterEnd() int { return e.ResentAfterEndFrames.Count() }

// IKEFragments summarises the size and the fragmentation of the tunnel's
// IKE messages.
func (t *Tunnel) IKEFragments() IKEFragmentation {
	var f IKEFragmentation
	if t.fragments != nil {
		f = *t.fragments
	}
	f.Largest, f.LargestFrame = t.largestIKE, t.largestIKEFrame
	return f
}

// fragmentation returns the tunnel's record of fragmented and incomplete
// messages, made on first use.
func (t *Tunnel) fragmentation() *IKEFragmentation {
	if t.fragments == nil {
		t.fragments = new(IKEFragmentation)
	}
	return t.fragments
}

// Messages returns the number of the tunnel's IKE messages, as its frame
// sample counts them.
func (t *Tunnel) Messages() int { return t.Frames.Count() }

// FinalFrom returns the peer that sent the latest distinct message of an
// IKEv1 exchange (for a complete one, the final message).
func (e *Exchange) FinalFrom() Role { return e.lastFrom }

// Encapsulation returns how the tunnel's ESP travelled.
func (t *Tunnel) Encapsulation() Encapsulation {
	var c ESPCount
	for _, sa := range t.ESPSAs {
		c.Add(sa)
	}
	return c.Encapsulation()
}

// ESPPackets returns the number of ESP packets of the tunnel's SAs.
func (t *Tunnel) ESPPackets() int {
	n := 0
	for _, sa := range t.ESPSAs {
		n += sa.Packets()
	}
	return n
}

// NAT returns where NAT-D verification puts a real NAT. A mismatching hash
// reveals a translation between where the hash was computed and where the
// packet was captured, or on the way from there to the peer: the
// initiator's own source hash not matching (or the responder's hash of the
// initiator not matching) says the initiator is behind a NAT, and likewise
// for the responder. Hashes known to be faked are left out.
func (t *Tunnel) NAT() NATPosition {
	if !t.NATD[RoleInitiator].Sent && !t.NATD[RoleResponder].Sent {
		return NATUnknown
	}
	if pos := ntPosition(t.NATEvidence()); pos != NATNone {
		return pos
	}
	if t.NATD[RoleInitiator].Unverified || t.NATD[RoleResponder].Unverified {
		return NATUnknown
	}
	return NATNone
}

// NATEvidence says which peers the NAT-D hashes put behind a NAT, leaving
// out hashes known to be faked.
func (t *Tunnel) NATEvidence() (initiator, responder bool) {
	i, r := &t.NATD[RoleInitiator], &t.NATD[RoleResponder]
	initiator = (i.SourceMismatch && !t.faked(RoleInitiator)) || r.DestMismatch
	responder = (r.SourceMismatch && !t.faked(RoleResponder)) || i.DestMismatch
	return initiator, responder
}

// faked reports whether a peer's own NAT-D source hash is known to be
// deliberately wrong: it matches the captured tuple with port 0 (libreswan's
// encapsulation=yes), or the other peer's view of it agrees with the
// captured tuple while the peer's own hash does not — which no NAT between
// them can cause when the hash mismatches already where it was sent. The
// second case needs the capture to be on the sender's side of any NAT; the
// correlation of two captures establishes that (see Correlation).
func (t *Tunnel) faked(r Role) bool {
	n := &t.NATD[r]
	if n.PortZero {
		return true
	}
	return t.fakedBy[r]
}

// NATDFaked returns the peers whose NAT-D source hash is faked (forced
// encapsulation), by role name.
func (t *Tunnel) NATDFaked() []string {
	out := []string{}
	for _, r := range []Role{RoleInitiator, RoleResponder} {
		if t.faked(r) {
			out = append(out, r.String())
		}
	}
	return out
}

// NATTAnnounced reports whether both peers announced NAT traversal: for
// IKEv2 both sent NAT_DETECTION notifies in IKE_SA_INIT; for IKEv1 both sent
// a vendor ID of the same NAT-T family (RFC 3947, or the same draft).
func (t *Tunnel) NATTAnnounced() bool {
	if t.Version == 2 {
		return t.NATD[RoleInitiator].Sent && t.NATD[RoleResponder].Sent
	}
	return commonNATT(t.NATTVendorIDs[RoleInitiator], t.NATTVendorIDs[RoleResponder]) != ""
}

// NATTNegotiated reports whether the peers agreed to use NAT traversal:
// both announced it and they detected a NAT (or one faked the detection,
// or they floated to 4500, which they do only when they chose to). Peers
// that support NAT-T but find no NAT stay on 500 with raw ESP (RFC 7296
// §2.23, RFC 3947 §4).
func (t *Tunnel) NATTNegotiated() bool {
	if !t.NATTAnnounced() {
		return false
	}
	switch t.NAT() {
	case NATInitiator, NATResponder, NATBoth:
		return true
	}
	return t.Float || len(t.NATDFaked()) > 0
}

// commonNATT returns the NAT-T vendor ID both lists share, preferring RFC
// 3947, or "".
func commonNATT(a, b []string) string {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return x
			}
		}
	}
	return ""
}

// Established reports whether the tunnel was established at some point.
func (t *Tunnel) Established() bool { return t.established }

// EstablishedAt returns when and at which frame the tunnel became established.
func (t *Tunnel) EstablishedAt() (time.Time, int) { return t.establishedAt, t.establishedFrame }
