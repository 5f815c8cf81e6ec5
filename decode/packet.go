package decode

import (
	"net/netip"
	"time"
)

// Kind says what a decoded packet is, as far as VPN inspection is concerned.
type Kind uint8

// The packet kinds. The string form of each is used in JSON output and is
// stable.
const (
	KindOther        Kind = iota // not VPN traffic
	KindIKE                      // an IKEv1 or IKEv2 message (UDP, or TCP per RFC 9329)
	KindESP                      // ESP directly over IP (protocol 50)
	KindUDPESP                   // ESP inside UDP (RFC 3948)
	KindTCPESP                   // ESP inside a TCP stream (RFC 9329)
	KindNATKeepalive             // a one-octet 0xFF NAT-T keepalive (RFC 3948 §2.3)
	KindAH                       // AH (protocol 51)
	KindGRE                      // GRE version 0 or 1 (protocol 47)
	KindPPTP                     // a PPTP control message on TCP 1723
	KindIPFragment               // an IP fragment that is not (yet) a whole datagram
	KindMalformed                // something that should have decoded and did not; see Packet.Fault
	KindICMPError                // an ICMP or ICMPv6 error quoting VPN traffic; see Packet.ICMP
	numKinds
)

var kindNames = [numKinds]string{
	KindOther:        "other",
	KindIKE:          "ike",
	KindESP:          "esp",
	KindUDPESP:       "udp-esp",
	KindTCPESP:       "tcp-esp",
	KindNATKeepalive: "nat-keepalive",
	KindAH:           "ah",
	KindGRE:          "gre",
	KindPPTP:         "pptp",
	KindIPFragment:   "ip-fragment",
	KindMalformed:    "malformed",
	KindICMPError:    "icmp-error",
}

// NumKinds is the number of packet kinds, for arrays indexed by Kind.
const NumKinds = int(numKinds)

// String returns the kind's stable name, such as "udp-esp".
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind(" + itoa(int(k)) + ")"
}

// IsVPN reports whether packets of this kind are VPN traffic (or a fragment or
// malformed packet that must be reported).
func (k Kind) IsVPN() bool { return k != KindOther }

// Packet is one decoded packet: a small value that is safe to keep. For a
// datagram reassembled from IP fragments, Frame is the frame that completed
// it and FirstFrame the frame of its first fragment.
type Packet struct {
	Frame      int       // 1-based frame number, as Wireshark counts
	FirstFrame int       // for reassembled datagrams and TCP messages: the first frame that carried part of it; else Frame
	Time       time.Time // capture timestamp, UTC
	Length     int       // original length on the wire (of the completing frame)
	CapLen     int       // captured length (of the completing frame)

	Src, Dst         netip.Addr
	SrcPort, DstPort uint16 // zero where the protocol has no ports
	Proto            uint8  // IP protocol of the transport: 6, 17, 47, 50, 51…
	IPID             uint32 // IPv4 identification, or the IPv6 fragment identification
	TTL              uint8  // IPv4 TTL or IPv6 hop limit
	IPv6             bool

	Kind Kind

	// Fragment describes the frame itself when it is an IP fragment.
	Fragment Fragment
	// Fragments is the number of IP fragments this datagram was reassembled
	// from; 0 when it was not fragmented. For a datagram given up
	// (KindMalformed: fragments missing, or inconsistent), the fragments
	// that arrived, and FragmentOctets the octets of the datagram they
	// brought, which were not reassembled.
	Fragments      int
	FragmentOctets int

	// PayloadLen is the length of the transport payload (for ESP and AH: of
	// the ESP/AH packet) and PayloadHash a deterministic 64-bit hash of the
	// bytes a NAT does not change, for matching one packet seen in two
	// captures: for IKE the message after the two SPIs (offset 16 on, so
	// that an ALG rewriting SPIs still matches and shows as modified); for
	// GRE the payload after the GRE header (a PPTP ALG rewrites the call ID
	// in the key); for an ICMP error (PayloadLen: the ICMP message) what it
	// quotes after the quoted UDP, TCP or GRE header (a NAT translating the
	// error rewrites the quoted addresses, ports and checksums); otherwise
	// the transport payload (ESP/AH: the ESP/AH packet).
	PayloadLen  int
	PayloadHash uint64

	// NonESPMarker is set for IKE preceded by the four-zero-octet non-ESP
	// marker (UDP 4500, RFC 3948 §2.2), and for a UDP datagram given up
	// with fragments missing (KindMalformed with Fragments) whose first
	// fragment shows the marker. TCPEncap is set for IKE and ESP carried
	// in an RFC 9329 TCP stream.
	NonESPMarker bool
	TCPEncap     bool
	// MissingMarker is set for IKE on UDP port 4500 without the non-ESP
	// marker in front (RFC 3948 §2.2 requires it there): a receiver reads
	// such a message as ESP whose SPI is the first four octets of the
	// initiator's SPI, and drops it. On the ports of Options.IKEPorts IKE
	// may come with or without the marker, and this is never set.
	MissingMarker bool
	// DuplicateOf is, for a frame that repeats one of the latest VPN
	// frames at the IP layer within DuplicateWindow (the same length and
	// first 64 octets: IP and transport headers with their checksums, the
	// IKE header or the ESP SPI, sequence number and IV), the frame number
	// of the earlier one: the same packet captured twice (on two
	// interfaces, by a tap that duplicates), not sent twice. Zero
	// otherwise.
	DuplicateOf int32

	ESP  ESPInfo     // KindESP, KindUDPESP, KindTCPESP
	AH   ESPInfo     // KindAH (SPI and sequence)
	GRE  GREInfo     // KindGRE
	PPTP PPTPInfo    // KindPPTP
	IKE  *IKEMessage // KindIKE (and KindMalformed when the IKE header decoded)
	// ICMP is the error message and what it quotes (KindICMPError). The
	// packet's addresses are the error's: Src is the device that sent it.
	ICMP *ICMPError
	// Decrypted is set for ESP packets whose SA has a key in
	// [Options.Keys]: the outcome, and what the packet carried.
	Decrypted *ESPDecryption

	// Fault says why a packet is KindMalformed: its kind, the layer that
	// failed and where, and a message such as
	// `ike: payload "Notify" at offset 48: length 3 < 4`. It is the zero
	// Fault for every other kind.
	Fault Fault
}

// Fragment describes an IP fragment.
type Fragment struct {
	ID     uint32 // IPv4 identification or IPv6 fragment identification
	Offset int    // in bytes
	More   bool   // more fragments follow
}

// IsFragment reports whether the frame was an IP fragment.
func (f Fragment) IsFragment() bool { return f.More || f.Offset > 0 }

// ESPInfo holds what is visible of an ESP or AH packet: its SPI and sequence
// number (RFC 4303 §2, RFC 4302 §2).
type ESPInfo struct {
	SPI uint32
	Seq uint32
}

// GREInfo holds a GRE header (RFC 2784, RFC 2890; version 1 is the enhanced
// GRE of RFC 2637 §4.1, where the key field carries payload length and call
// ID).
type GREInfo struct {
	Version    uint8
	Protocol   uint16 // EtherType of the payload; 0x880b is PPP
	KeyPresent bool
	SeqPresent bool
	AckPresent bool
	Key        uint32 // version 0: the key; version 1: payload length<<16 | call ID
	CallID     uint16 // version 1: the receiver's call ID
	PayloadLen uint16 // version 1: payload length from the key field
	Seq        uint32
	Ack        uint32
}

// PPTPInfo holds one PPTP control message (RFC 2637 §2). CallID is the
// sender's call ID where the message has one, PeerCallID the peer's.
type PPTPInfo struct {
	Type        PPTPMessageType
	CallID      uint16
	PeerCallID  uint16
	ResultCode  uint8 // replies and Call-Disconnect-Notify; 0 where absent
	ErrorCode   uint8
	HasCallID   bool
	HasPeerCall bool
}

// PPTPMessageType is a PPTP control message type (RFC 2637 §2.1).
type PPTPMessageType uint16

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
