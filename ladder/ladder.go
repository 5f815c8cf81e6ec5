package ladder

import (
	"net/netip"
	"time"
)

// Ladder is the exchange of one subject as it crossed the NAT: the host on
// the NAT's inside on the left, the peer beyond it on the right, and a row
// per message or run of packets between them, in time order.
type Ladder struct {
	// Name names the subject ("tunnel 1"); Kind and ID are Subject's.
	Name string
	Kind string
	ID   int
	// Two is set when the ladder compares two captures: the NAT between
	// them is drawn, and each row says what became of its packets there.
	// With one capture the row's packets were all seen at the capture
	// point, and where they went from there cannot be told.
	Two bool
	// NAT is set when the device between the captures is a NAT: it
	// translated the subject's addresses, or other traffic of its host.
	// Otherwise the ladder speaks of the device between the captures.
	NAT bool
	// Host is the peer on the NAT's inside (the initiator or client, or
	// the responder when the NAT is in front of it), Peer the other.
	Host, Peer Endpoint
	Rows       []Row
	// Packets counts the subject's packets drawn, by capture.
	Packets [2]int
	// Lost counts the packets lost at the NAT, Modified those changed
	// beyond translation, over all rows.
	Lost, Modified int
	// Truncated is set when a capture held more than MaxPackets of the
	// subject's packets: the ladder ends at Until (inside clock), where
	// the first capture's list filled.
	Truncated bool
	Until     time.Time
	// Blind, when set, is when the packets of the subjects not drawn
	// stopped being kept (Collect's bound): from then on a packet seen in
	// one capture only is not compared, since the other capture may hold
	// it under another subject.
	Blind time.Time
	// OmittedRows and OmittedPackets count what came after the first
	// MaxRows rows.
	OmittedRows, OmittedPackets int
}

// Endpoint is one end of the ladder.
type Endpoint struct {
	// Role is the peer's role in the subject: initiator or responder,
	// client or server, host or peer.
	Role string
	// Addr is its address as each capture saw it (by flows.Side); invalid
	// where that capture did not see it.
	Addr [2]netip.Addr
}

// Dir is the way a row's packets went.
type Dir uint8

// Directions.
const (
	Out Dir = iota // from the host to the peer (left to right)
	In             // from the peer to the host
)

// Kind is what a row's packets are.
type Kind uint8

// Kinds of rows.
const (
	KindIKE Kind = iota
	KindESP
	KindAH
	KindKeepalive
	KindGRE
	KindPPTP
	KindICMP
	KindFragments // IP fragments
	KindMalformed
)

// Run reports whether rows of the kind stand for a run of packets (ESP on
// one SPI, keepalives, GRE, IP fragments) rather than one message.
func (k Kind) Run() bool {
	switch k {
	case KindESP, KindAH, KindKeepalive, KindGRE, KindFragments:
		return true
	}
	return false
}

// Row is one message, with its retransmissions and IKE fragments, or one
// run of packets, with what became of them across the NAT.
type Row struct {
	Kind Kind
	Dir  Dir
	// Label says what the packets are: "IKE_AUTH request #1",
	// "ESP in UDP 0xc1a2b3c4 seq 1–400", "NAT-T keepalive".
	Label string
	// Notes say what else a reader needs: what changed in a packet the
	// NAT modified, who sent an ICMP error, a call ID the NAT translated,
	// another subject the packets belong to as well.
	Notes []string
	// Time and End are the first and last packet's time, on the inside
	// clock.
	Time, End time.Time
	// Frames are the row's frames in each capture (by flows.Side).
	Frames [2]Frames
	// Count counts the row's packets: as sent, plus those only the
	// receiving side saw.
	Count int
	// Fates across the NAT (two captures): packets seen in both captures
	// (Modified of them changed beyond translation), lost between them
	// (LostFrames lists the first ones, in the sender's capture), seen
	// only by the capture on the receiving side (NoOrigin), and seen
	// while only one capture was running (NotCompared).
	Crossed, Modified, Lost, NoOrigin, NotCompared int
	LostFrames                                     []int
	// Resent counts retransmissions: the same message sent again.
	Resent int
	// FromNAT is set for an ICMP error the NAT itself sent: the row starts
	// at the NAT.
	FromNAT bool
	// Decrypted says what the keys given to the decoder revealed inside
	// the encryption, which the capture shows encrypted: an IKE message's
	// decrypted payloads (`IDr("gw.example.org") AUTH(…) SA(ESP
	// 0x11b08b5f) TSi(192.0.2.17)`), the inner packets of a run of ESP
	// (`192.0.2.17 > 203.0.113.1 icmp echo-request ×5`); empty when
	// nothing was decrypted. NotDecrypted says why the keys given did not
	// open the row's packets, or how many of them.
	Decrypted, NotDecrypted string
}

// Frames are a row's frames in one capture: the first few, the last, and
// how many.
type Frames struct {
	First []int
	Last  int
	N     int
}

// maxListed bounds the frames a row lists by number (Frames.First,
// LostFrames); the rest are counted.
const maxListed = 8

func (f *Frames) add(frame int) {
	if len(f.First) < maxListed {
		f.First = append(f.First, frame)
	}
	f.Last = frame
	f.N++
}

// Between names the device between the captures, for text: "the NAT",
// or "the device between the captures" when nothing shows it translates.
func (l *Ladder) Between() string {
	if l.NAT {
		return "the NAT"
	}
	return "the device between the captures"
}

// at says where packets were lost: "at the NAT", or "between the
// captures".
func (l *Ladder) at() string {
	if l.NAT {
		return "at the NAT"
	}
	return "between the captures"
}

// Fate is what a row shows happened to its packets at the NAT, as one
// mark.
type Fate uint8

// Fates of a row, from the captures' point of view.
const (
	// FateSeen: one capture only; nothing to compare.
	FateSeen Fate = iota
	// FateCrossed: every packet compared crossed the NAT.
	FateCrossed
	// FateModified: they crossed, some changed beyond translation.
	FateModified
	// FatePartlyLost: some crossed, some were lost at the NAT.
	FatePartlyLost
	// FateLost: none crossed; they were lost at the NAT.
	FateLost
	// FateNoOrigin: only the capture beyond the NAT saw them (the NAT
	// sent them, or the sender's capture missed them).
	FateNoOrigin
	// FateNotCompared: only one capture was running when they passed.
	FateNotCompared
	// FateFromNAT: the NAT itself sent them.
	FateFromNAT
)

// Fate sums up the row's packets' fates.
func (r *Row) Fate(two bool) Fate {
	switch {
	case !two:
		return FateSeen
	case r.FromNAT:
		return FateFromNAT
	case r.Lost > 0 && r.Crossed > 0:
		return FatePartlyLost
	case r.Lost > 0:
		return FateLost
	case r.Modified > 0:
		return FateModified
	case r.Crossed > 0:
		return FateCrossed
	case r.NoOrigin > 0:
		return FateNoOrigin
	}
	return FateNotCompared
}
