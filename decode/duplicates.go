package decode

import (
	"encoding/binary"
	"time"
)

// DuplicateWindow is how close in capture time two identical VPN frames
// must be for the second to count as a copy of the first: the same packet
// captured twice, by a capture on two interfaces it crosses (a bridge and
// its port, "tcpdump -i any") or by a tap or mirror port that duplicates.
// Such copies follow the original within microseconds. A peer never sends
// the same IP packet again that soon: IKE implementations retransmit after
// half a second or more (RFC 7296 §2.1 leaves the timer to them; libreswan
// starts at 500 ms, strongSwan at 4 s), and an ESP sender numbers every
// packet anew (RFC 4303 §3.3.3).
const DuplicateWindow = 10 * time.Millisecond

// duplicateRecent is how many of the latest VPN frames a frame is compared
// with. A copy made by the capture follows its original within
// microseconds, a few frames later at most; keeping the comparison to a
// short list of recent frames, scanned in order, costs a few nanoseconds
// per frame where a map of every frame in the window costs a third of
// the decoding time of a busy capture.
const duplicateRecent = 32

// duplicateSampleLen is how many leading octets of an IP packet the
// duplicate hash covers, with the packet's length: the IP header (its
// identification and checksum), the transport header (a UDP checksum
// covers the whole datagram), the IKE header or the ESP SPI, sequence
// number and the start of the IV, the GRE sequence number. That tells two
// different VPN packets apart without touching the rest of a busy
// capture's packets, which are not in the processor's cache.
const duplicateSampleLen = 64

// dupTable remembers the latest VPN frames by a hash of their IP packet,
// in a ring.
type dupTable struct {
	recent [duplicateRecent]dupSeen
	next   int
}

type dupSeen struct {
	key   uint64
	frame int
	t     time.Time
}

// ipIdentity hashes what identifies an IP packet's bytes for duplicate
// detection: a multiply-xor over 8-octet words, cheaper than XXH64 and good
// enough to tell the few recent frames apart; it needs to agree with
// nothing outside this process.
func ipIdentity(b []byte) uint64 {
	h := uint64(len(b)) * xxPrime1
	mix := func(w uint64) {
		h = (h ^ w) * xxPrime2
		h ^= h >> 29
	}
	head := b[:min(len(b), duplicateSampleLen)]
	for len(head) >= 8 {
		mix(binary.LittleEndian.Uint64(head))
		head = head[8:]
	}
	for _, c := range head {
		mix(uint64(c))
	}
	return h
}

// checkCopy checks the current frame, whose packets so far are
// d.out[d.frameStart:], against the latest VPN frames: when its IP packet
// repeats one of them captured within DuplicateWindow, the packets are
// marked as copies and checkCopy reports true; otherwise the frame is
// remembered. A frame stamped at the very instant of the earlier one
// counts only when the capture's clock has shown it ticks finer than the
// window: a capture whose every frame carries the same time stamp cannot
// tell a copy from a retransmission, and neither can one whose clock
// counts whole seconds.
func (d *Decoder) checkCopy() bool {
	d.copyChecked = true
	t := d.cur.Time
	if len(d.ipBytes) == 0 || t.IsZero() {
		return false
	}
	key := ipIdentity(d.ipBytes)
	tab := &d.dups
	for i := range tab.recent {
		prev := &tab.recent[i]
		if prev.key != key || prev.frame == 0 {
			continue
		}
		gap := t.Sub(prev.t).Abs()
		if gap <= DuplicateWindow && (gap > 0 || d.stats.Clock.Fine) {
			d.stats.Duplicates++
			for i := d.frameStart; i < len(d.out); i++ {
				d.out[i].DuplicateOf = int32(prev.frame)
			}
			return true
		}
	}
	tab.recent[tab.next] = dupSeen{key: key, frame: d.cur.Frame, t: t}
	tab.next = (tab.next + 1) % duplicateRecent
	return false
}
