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
	Findings []Finding
	// Args are the analyze flags the scenario is meant to be analysed
	// with, besides the captures; usually none.
	Args   []string
	README string
	// Skew is how far the outside capture's clock runs ahead of the
	// inside one at the scenario's start, and Drift how fast it gains,
	// in parts per million (zero: the clocks keep time alike).
	Skew  time.Duration
	Drift float64
	base  time.Time
}

// OutsideOffset returns how far the outside capture's clock runs ahead of
// the inside one at a time of the inside clock.
func (r *Result) OutsideOffset(inside time.Time) time.Duration {
	return r.Skew + time.Duration(float64(inside.Sub(r.base))*r.Drift/1e6)
}

// Capture is one generated capture file and what each of its frames was
// meant to be.
type Capture struct {
	File   string // file name inside the scenario directory, such as "inside.pcap"
	Frames []*Frame
	Bytes  []byte // the pcap file
	// SnapLen is the file's snapshot length: frames longer than it are
	// stored cut (Frame.CapLen).
	SnapLen int
	// Truncated is set when the file ends in the middle of a record;
	// Frames then lists the whole records before it.
	Truncated bool
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
	CapLen           int // octets stored in the capture: Length, or the snapshot length when shorter

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
	real  time.Duration // true time of the scenario
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
	// addresses, such as "IKEv2 192.168.1.23 - 203.0.113.10"; a tunnel
	// seen in the outside capture only is named by its outside addresses.
	Tunnel string `json:"tunnel"`
	// SPIi is the initiator SPI (16 hex digits, as the inside capture
	// shows it) where several tunnels share the same peers, such as a
	// failed UDP attempt followed by a TCP one; empty otherwise.
	SPIi string `json:"spi_i,omitempty"`
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

// Finding is one finding vpnpcap must report on a scenario: the rule, its
// severity, and what it is about. The findings of a scenario are an exact
// set: vpnpcap must report these and nothing else.
type Finding struct {
	// Rule is the rule's ID, such as "VP101".
	Rule string `json:"rule"`
	// Severity is "info", "warning" or "error".
	Severity string `json:"severity"`
	// Tunnel names the tunnel or PPTP call the finding is about, as
	// Verdict.Tunnel does, with SPIi where peers repeat; both are empty
	// for a finding about the captures rather than a tunnel.
	Tunnel string `json:"tunnel,omitempty"`
	SPIi   string `json:"spi_i,omitempty"`
	// Capture names the capture file a finding about one capture is about,
	// such as "outside.pcap"; empty for tunnels and for findings about
	// both captures.
	Capture string `json:"capture,omitempty"`
	// Why ties the finding to the story, in a few words.
	Why string `json:"why"`
}

// Expect is the schema of a scenario's expect.json: the verdicts and the
// findings vpnpcap must reach on the scenario's captures.
type Expect struct {
	Scenario string          `json:"scenario"`
	Captures []ExpectCapture `json:"captures"`
	// Args are extra analyze flags, as Result.Args.
	Args     []string  `json:"args,omitempty"`
	Verdicts []Verdict `json:"verdicts"`
	Findings []Finding `json:"findings"`
}

// ExpectCapture names one capture file of a scenario and its frame count.
type ExpectCapture struct {
	File   string `json:"file"`
	Frames int    `json:"frames"`
}
