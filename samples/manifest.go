package samples

import (
	"net/netip"
	"time"
)

// Kind names, equal to the stable names of decode.Kind so that a manifest
// can be compared with what the decoder reports.
const (
	KindOther        = "other"
	KindIKE          = "ike"
	KindESP          = "esp"
	KindUDPESP       = "udp-esp"
	KindTCPESP       = "tcp-esp"
	KindNATKeepalive = "nat-keepalive"
	KindAH           = "ah"
	KindGRE          = "gre"
	KindPPTP         = "pptp"
	KindIPFragment   = "ip-fragment"
)

// Result is one generated scenario: its captures with the manifest of
// every frame, and the expected verdicts.
type Result struct {
	Name     string
	Captures []*Capture // inside then outside; one capture for a scenario without NAT
	Verdicts []Verdict
	README   string
	// Skew is how far the outside capture's clock runs ahead of the
	// inside one.
	Skew time.Duration
}

// Capture is one generated capture file and what each of its frames was
// meant to be.
type Capture struct {
	File   string // file name inside the scenario directory, such as "inside.pcap"
	Frames []*Frame
	Bytes  []byte // the pcap file
}

// Frame is what the generator meant one frame to be. Frames of the same
// packet in the inside and outside captures share Packet.
type Frame struct {
	Number int       // 1-based, as Wireshark numbers frames
	Time   time.Time // capture timestamp (microsecond resolution)
	Packet int       // logical packet number, shared by the inside and outside copy
	Kind   string    // one of the Kind constants
	Note   string    // what the packet is in the scenario's story; empty for background traffic

	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8
	TTL              uint8
	IPID             uint32
	Length           int // frame length on the wire

	// Fragment is set on every frame that is an IP fragment. The frame
	// that completes a datagram has Fragments (how many fragments it was
	// reassembled from) and FirstFrame; the others have Kind
	// KindIPFragment.
	Fragment   *Fragment
	Fragments  int
	FirstFrame int
	// Incomplete marks a fragment whose datagram never completes in this
	// capture: the NAT forwarded only this fragment.
	Incomplete bool

	IKE  *IKE
	ESP  *SPISeq // KindESP, KindUDPESP, KindTCPESP
	AH   *SPISeq
	GRE  *GRE
	PPTP *PPTP

	first *Frame
	us    int64
	seq   int
	data  []byte
}

// Fragment is an IP fragment's offset and more-fragments flag.
type Fragment struct {
	Offset int
	More   bool
}

// SPISeq is an ESP or AH SPI and sequence number.
type SPISeq struct {
	SPI, Seq uint32
}

// GRE is an enhanced GRE header as generated.
type GRE struct {
	CallID         uint16
	Seq, Ack       uint32
	HasSeq, HasAck bool
	PayloadLen     uint16
}

// PPTP is a PPTP control message as generated. CallID is the sender's call
// ID where the message has one, PeerCallID the peer's.
type PPTP struct {
	Type                     uint16
	CallID, PeerCallID       uint16
	HasCallID, HasPeerCallID bool
}

// IKE is an IKE message as generated and as the capture shows it: the
// SPIs are read back from the frame, so an ALG's rewrite shows.
type IKE struct {
	Version      uint8
	Exchange     uint8
	Flags        uint8
	SPIi, SPIr   uint64
	MessageID    uint32
	Length       uint32
	Payloads     []uint8 // payload types of the cleartext chain, in order; the SK payload is listed, its content is not
	Encrypted    bool
	NonESPMarker bool
	TCP          bool
	Notifies     []uint16 // notify types in order, NAT-D notifies included
	VendorIDs    [][]byte
	NATD         []NATD
	KEGroup      uint16 // IKEv2 only
	KELen        int    // key exchange data length
	Nonce        []byte
	// Retransmission is 0 for the first transmission of a message and n
	// for its n-th retransmission.
	Retransmission int
}

// NATD is one NAT-D hash and whether it matches the frame's own addresses
// and ports as captured (RFC 3947 §3.2, RFC 7296 §2.23).
type NATD struct {
	Source      bool  // hash of the sender's address (IKEv2 NAT_DETECTION_SOURCE_IP; IKEv1 all but the first NAT-D)
	PayloadType uint8 // IKEv1: 20 or 130; IKEv2: 41
	Match       bool
}

// Verdict is the expected per-tunnel verdict of a scenario: what vpnpcap
// must conclude from the captures. The values of NAT, NATT, Encapsulation
// and Passthrough are drawn from small fixed vocabularies documented on
// each field.
type Verdict struct {
	// Tunnel names the tunnel: protocol and the two peers' inside
	// addresses, such as "IKEv2 192.168.1.23 - 203.0.113.10".
	Tunnel string `json:"tunnel"`
	// NAT says where address translation happens: "none", "initiator"
	// (the initiator is behind it), "responder" or "both".
	NAT string `json:"nat"`
	// NATT says whether NAT traversal is in use: "yes" (both peers
	// support it and a NAT was detected), "no", "forced" (one peer faked
	// NAT-D to force UDP encapsulation without a NAT), or "n/a" for PPTP.
	NATT string `json:"nat_t"`
	// Encapsulation is how the data plane travelled, in the vocabulary
	// of flows.Encapsulation for ESP: "raw" (IP protocol 50), "udp"
	// (ESP in UDP 4500), "tcp" (RFC 9329), "mixed" (more than one of
	// these), "none" (no data packet was sent); and, for tunnels that
	// carry no ESP, "ah" or "gre".
	Encapsulation string `json:"encapsulation"`
	// Passthrough answers "does this tunnel depend on IPsec (or PPTP)
	// passthrough?": "yes", "no" or "unknown".
	Passthrough string `json:"depends_on_passthrough"`
	// Failure is empty when the tunnel works, else a short statement of
	// what breaks.
	Failure string `json:"failure,omitempty"`
	// Catalogue lists the failure modes (NTnn catalogue rows, as in the
	// rules' metadata) the scenario exhibits.
	Catalogue []string `json:"catalogue,omitempty"`
}
