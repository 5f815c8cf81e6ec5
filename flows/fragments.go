package flows

import (
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// IKEFragmentation summarises the size and the IP fragmentation of a
// tunnel's IKE messages. An IKE message longer than the path MTU is split
// into IP fragments unless the peers negotiated IKE fragmentation (RFC 7383
// §1); only the first IP fragment carries the UDP ports, so NATs and
// firewalls that filter by port drop the others and the message never
// arrives whole.
type IKEFragmentation struct {
	// Largest is the longest IKE message (its header Length, in octets)
	// and LargestFrame its frame.
	Largest      int
	LargestFrame int
	// Messages counts IKE messages reassembled from IP fragments, ByRole by
	// sender; Fragments the IP fragments they arrived in.
	Messages  int
	ByRole    [2]int
	Fragments int
	// FragmentsByRole, LargestByRole, FramesByRole and TypesByRole say the
	// same per sender: fragments, the longest fragmented message, the
	// frames that completed them, and their exchange types.
	FragmentsByRole [2]int
	LargestByRole   [2]int
	// OwnFragments counts, by sender, the IKE messages that travelled in
	// IKE's own fragments (IKEv2 SKF, RFC 7383; Cisco's IKEv1
	// fragments), one per fragment.
	OwnFragments [2]int
	FramesByRole [2]Frames
	TypesByRole  [2][]decode.ExchangeType
	// Frames are the frames that completed those messages, FirstFrames the
	// frames of their first fragments.
	Frames      Frames
	FirstFrames Frames
	// Incomplete counts datagrams between the peers, on the IKE ports (or
	// with the first fragment, which carries the ports, missing), that were
	// given up with fragments missing when their reassembly timed out or
	// the capture ended (not those given up for reassembly's own bounds,
	// Quality.EvictedByCount and EvictedByBytes); IncompleteByRole by sender,
	// IncompleteFragments the fragments that did arrive, IncompleteFrames
	// the frame of the latest fragment of each and IncompleteFirst the
	// frame of the first.
	Incomplete          int
	IncompleteByRole    [2]int
	IncompleteFragments int
	IncompleteFrames    Frames
	IncompleteFirst     Frames
	// IncompleteAtEnd counts those of them given up only because the
	// capture ended.
	IncompleteAtEnd int
}

// maxStrays bounds the stray deliveries kept per tunnel.
const maxStrays = 16

// Stray is an IKE message of a tunnel that the responder sent to an address
// the initiator never used. Captured inside a NAT, it is a message the NAT
// delivered to the wrong host: two hosts' IKE SAs shared one outside
// mapping (a NAT that keeps source port 500 for every client).
type Stray struct {
	Frame int
	Time  time.Time
	To    netip.AddrPort
}

// noteStray records a message of the responder to an address the
// initiator never used. It runs before the destination is added to the
// initiator's addresses.
func (tun *Tunnel) noteStray(from Role, p *decode.Packet) {
	if from != RoleResponder || tun.Messages() <= 1 || len(tun.addrs[RoleInitiator]) == 0 {
		return
	}
	if slices.Contains(tun.addrs[RoleInitiator], p.Dst) {
		return
	}
	tun.StrayCount++
	if len(tun.Strays) < maxStrays {
		tun.Strays = append(tun.Strays, Stray{Frame: p.Frame, Time: p.Time, To: netip.AddrPortFrom(p.Dst, p.DstPort)})
	}
}

// noteIKE records what the rules need of an IKE message beyond the
// exchange bookkeeping: its transmissions and its size and fragmentation.
func (tun *Tunnel) noteIKE(from Role, p *decode.Packet) {
	tun.noteSend(from, p)
	if n := int(p.IKE.Length); n > tun.largestIKE {
		tun.largestIKE, tun.largestIKEFrame = n, p.Frame
	}
	if p.IKE.Fragment != nil {
		tun.fragmentation().OwnFragments[from]++
	}
	if p.Fragments > 0 {
		f := tun.fragmentation()
		f.Messages++
		f.ByRole[from]++
		f.Fragments += p.Fragments
		f.Frames.Add(p.Frame)
		f.FirstFrames.Add(p.FirstFrame)
		f.FragmentsByRole[from] += p.Fragments
		f.LargestByRole[from] = max(f.LargestByRole[from], int(p.IKE.Length))
		f.FramesByRole[from].Add(p.FirstFrame)
		f.FramesByRole[from].Add(p.Frame)
		if !slices.Contains(f.TypesByRole[from], p.IKE.Exchange) && len(f.TypesByRole[from]) < 4 {
			f.TypesByRole[from] = append(f.TypesByRole[from], p.IKE.Exchange)
		}
	}
}

// isIKEPort reports whether a UDP port is one IKE uses (RFC 7296 §2, RFC
// 3948 §2.2); 0 stands for a datagram whose first fragment, which carries
// the ports, is missing.
func isIKEPort(p uint16) bool { return p == 0 || p == 500 || p == 4500 }

// noteIncomplete attaches a datagram that could not be reassembled to the
// tunnel between its addresses, when it may have been IKE: on port 500, or
// on the NAT-T port with the non-ESP marker at the start of its first
// fragment (RFC 3948 §2.2; without it, it was ESP in UDP), or with its
// first fragment, and so its ports, missing.
func (t *Table) noteIncomplete(p *decode.Packet) {
	// One IKE port is enough: a NAT translates the other (4500 to a
	// random port).
	if p.Proto != ProtoUDP || !isIKEPort(p.SrcPort) && !isIKEPort(p.DstPort) {
		return
	}
	if p.SrcPort != 0 && p.SrcPort != 500 && p.DstPort != 500 && !p.NonESPMarker {
		return
	}
	tun := t.peers[newAddrPair(p.Src, p.Dst)]
	if tun == nil {
		return
	}
	from := tun.roleOfSource(p)
	f := tun.fragmentation()
	f.Incomplete++
	f.IncompleteByRole[from]++
	f.IncompleteFragments += p.Fragments
	f.IncompleteFrames.Add(p.Frame)
	f.IncompleteFirst.Add(p.FirstFrame)
	if p.Fault.Kind == decode.FaultFragmentsAtEnd {
		f.IncompleteAtEnd++
	}
}
