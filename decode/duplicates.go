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

// maxDuplicateTracked bounds the frames remembered for duplicate detection;
// the oldest is forgotten first. Frames farther apart than DuplicateWindow
// need not be remembered at all, so the bound matters only for very busy
// captures or captures whose time does not advance.
const maxDuplicateTracked = 4096

// duplicateSampleLen is how many leading octets of an IP packet the
// duplicate hash covers, with the packet's length and last
// duplicateTailLen octets: the IP and transport headers, the IKE header or
// the ESP SPI, sequence number and IV, and the ICV at the end. That tells
// two different VPN packets apart without reading every octet of a busy
// capture.
const (
	duplicateSampleLen = 128
	duplicateTailLen   = 32
)

// dupTable remembers the recent VPN frames by a hash of their IP packet:
// seen maps the hash to the frame, ring holds the hashes in the order they
// came (a queue of n entries from start), for forgetting the oldest.
type dupTable struct {
	seen     map[uint64]dupSeen
	ring     []dupEntry
	start, n int
}

type dupSeen struct {
	frame int
	t     time.Time
}

type dupEntry struct {
	key   uint64
	frame int
}

// ipIdentity hashes what identifies an IP packet's bytes for duplicate
// detection.
func ipIdentity(b []byte) uint64 {
	var lenBuf [8]byte
	binary.BigEndian.PutUint64(lenBuf[:], uint64(len(b)))
	h := xxh64(lenBuf[:])
	h ^= xxh64(b[:min(len(b), duplicateSampleLen)]) * xxPrime2
	if len(b) > duplicateSampleLen {
		h ^= xxh64(b[max(duplicateSampleLen, len(b)-duplicateTailLen):]) * xxPrime3
	}
	return h
}

// noteDuplicate checks the current frame, which yielded VPN packets
// d.out[start:], against the recent ones: when its IP packet repeats one
// captured within DuplicateWindow, the packets are marked as copies. A
// frame stamped at the very instant of the earlier one counts only when
// the capture's clock has shown it ticks finer than the window: a capture
// whose every frame carries the same time stamp cannot tell a copy from a
// retransmission, and neither can one whose clock counts whole seconds.
func (d *Decoder) noteDuplicate(start, frame int, t time.Time) {
	if len(d.ipBytes) == 0 || t.IsZero() {
		return
	}
	key := ipIdentity(d.ipBytes)
	tab := &d.dups
	if tab.seen == nil {
		tab.seen = make(map[uint64]dupSeen)
		tab.ring = make([]dupEntry, 64)
	}
	if prev, ok := tab.seen[key]; ok {
		gap := t.Sub(prev.t).Abs()
		if gap <= DuplicateWindow && (gap > 0 || d.stats.Clock.Fine) {
			d.stats.Duplicates++
			for i := start; i < len(d.out); i++ {
				d.out[i].DuplicateOf = prev.frame
			}
			return
		}
	}
	// Forget what is too old to be copied now; in a capture whose time
	// runs backwards some of it stays until the queue is full.
	for tab.n > 0 {
		e := tab.ring[tab.start]
		if s, ok := tab.seen[e.key]; ok && s.frame == e.frame && t.Sub(s.t) <= DuplicateWindow {
			break
		}
		tab.pop()
	}
	if tab.n == len(tab.ring) {
		if len(tab.ring) < maxDuplicateTracked {
			grown := make([]dupEntry, 2*len(tab.ring))
			for i := range tab.n {
				grown[i] = tab.ring[(tab.start+i)%len(tab.ring)]
			}
			tab.ring, tab.start = grown, 0
		} else {
			tab.pop()
		}
	}
	tab.seen[key] = dupSeen{frame: frame, t: t}
	tab.ring[(tab.start+tab.n)%len(tab.ring)] = dupEntry{key, frame}
	tab.n++
}

// pop forgets the oldest frame of the queue.
func (tab *dupTable) pop() {
	e := tab.ring[tab.start]
	if s, ok := tab.seen[e.key]; ok && s.frame == e.frame {
		delete(tab.seen, e.key)
	}
	tab.start = (tab.start + 1) % len(tab.ring)
	tab.n--
}
