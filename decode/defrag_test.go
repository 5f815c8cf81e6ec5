package decode

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// udpDatagram is a UDP header and payload with a valid checksum, as the
// fragmentable part of an IP datagram.
func udpDatagram(tb testing.TB, src, dst netip.Addr, sp, dp uint16, payload []byte) []byte {
	tb.Helper()
	ip := ipPacket(tb, src, dst, layers.IPProtocolUDP, &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}, payload)
	if src.Is4() {
		return ip[20:]
	}
	return ip[40:]
}

// fragment is one piece of a datagram: octets [off, off+n) with the more
// fragments flag.
type fragment struct {
	off, n int
	more   bool
}

// splitEven cuts a length into pieces of size octets (a multiple of 8).
func splitEven(total, size int) []fragment {
	var fs []fragment
	for off := 0; off < total; off += size {
		n := min(size, total-off)
		fs = append(fs, fragment{off, n, off+n < total})
	}
	return fs
}

// ipv4Fragment builds an Ethernet frame holding one IPv4 fragment of data.
func ipv4Fragment(tb testing.TB, src, dst netip.Addr, id uint16, proto layers.IPProtocol, data []byte, f fragment) []byte {
	tb.Helper()
	ip := ipv4(src, dst, proto)
	ip.Id = id
	ip.FragOffset = uint16(f.off / 8)
	if f.more {
		ip.Flags = layers.IPv4MoreFragments
	}
	return serialize(tb, ethernet(layers.EthernetTypeIPv4), ip, gopacket.Payload(data[f.off:f.off+f.n]))
}

// ipv6Fragment builds an Ethernet frame holding one IPv6 fragment of data.
func ipv6Fragment(tb testing.TB, src, dst netip.Addr, id uint32, next layers.IPProtocol, data []byte, f fragment) []byte {
	tb.Helper()
	fh := &layers.IPv6Fragment{NextHeader: next, FragmentOffset: uint16(f.off / 8), MoreFragments: f.more, Identification: id}
	return serialize(tb, ethernet(layers.EthernetTypeIPv6), ipv6(src, dst, layers.IPProtocolIPv6Fragment), fh, gopacket.Payload(data[f.off:f.off+f.n]))
}

func TestFragmentsIPv4(t *testing.T) {
	ike := ikeSAInit(0x0a0b0c0d0e0f1011, netip.AddrPortFrom(testIPA, 4500), netip.AddrPortFrom(testIPB, 4500))
	dgram := udpDatagram(t, testIPA, testIPB, 4500, 4500, append([]byte{0, 0, 0, 0}, ike...))
	pieces := splitEven(len(dgram), 96)
	if len(pieces) != 3 {
		t.Fatalf("test datagram of %d octets splits into %d pieces, want 3", len(dgram), len(pieces))
	}
	frames := make([][]byte, len(pieces))
	for i, f := range pieces {
		frames[i] = ipv4Fragment(t, testIPA, testIPB, 0x4242, layers.IPProtocolUDP, dgram, f)
	}
	frag := func(frame int, f fragment, sp, dp uint16, n int) summary {
		return summary{Frame: frame, FirstFrame: frame, Kind: KindIPFragment, Src: testIPA.String(), Dst: testIPB.String(), SrcPort: sp, DstPort: dp, Proto: 17,
			Fragment: Fragment{ID: 0x4242, Offset: f.off, More: f.more}, PayloadLen: n}
	}
	reasm := func(frame, first int) summary {
		return summary{Frame: frame, FirstFrame: first, Kind: KindIKE, Src: testIPA.String(), Dst: testIPB.String(), SrcPort: 4500, DstPort: 4500, Proto: 17,
			IKEExchange: 34, NonESPMarker: true, Fragments: 3, PayloadLen: len(ike) + 4}
	}
	t.Run("in order", func(t *testing.T) {
		got, st := decodeFrames(t, Options{}, frames...)
		diffSummaries(t, summarize(got), []summary{
			frag(1, pieces[0], 4500, 4500, 88), frag(2, pieces[1], 0, 0, 96), frag(3, pieces[2], 0, 0, pieces[2].n), reasm(3, 1),
		})
		if st.Reassembled != 1 || st.Accounted() != 3 || st.Kinds[KindIPFragment] != 3 {
			t.Errorf("stats = %+v", st)
		}
	})
	t.Run("reversed", func(t *testing.T) {
		got, _ := decodeFrames(t, Options{}, frames[2], frames[1], frames[0])
		diffSummaries(t, summarize(got), []summary{
			frag(1, pieces[2], 0, 0, pieces[2].n), frag(2, pieces[1], 0, 0, 96), frag(3, pieces[0], 4500, 4500, 88), reasm(3, 1),
		})
	})
	t.Run("duplicate fragment", func(t *testing.T) {
		// Sent twice, a second apart: both go into the datagram.
		d := NewDecoder(Options{})
		var got []Packet
		for i, f := range [][]byte{frames[0], frames[0], frames[1], frames[2]} {
			got = append(got, d.Decode(recAt(i+1, testT0.Add(time.Duration(i)*time.Second), layers.LinkTypeEthernet, f))...)
		}
		s := summarize(got)
		if len(s) != 5 || s[4].Kind != KindIKE || s[4].Fragments != 4 || s[4].FirstFrame != 1 || s[4].Frame != 4 {
			t.Errorf("got %+v, want 4 fragments then the IKE message reassembled from 4", s)
		}
	})
	t.Run("fragment captured twice", func(t *testing.T) {
		// A copy 1 ms after the original: left out of reassembly.
		got, st := decodeFrames(t, Options{}, frames[0], frames[0], frames[1], frames[2])
		s := summarize(got)
		if len(s) != 5 || s[4].Kind != KindIKE || s[4].Fragments != 3 || s[4].FirstFrame != 1 || s[4].Frame != 4 {
			t.Errorf("got %+v, want 4 fragments then the IKE message reassembled from 3", s)
		}
		if got[1].DuplicateOf != 1 || st.Duplicates != 1 {
			t.Errorf("copy of frame %d, %d copies; want frame 1, 1", got[1].DuplicateOf, st.Duplicates)
		}
	})
	t.Run("overlap with different data", func(t *testing.T) {
		bad := append([]byte(nil), dgram...)
		bad[100] ^= 0xff
		evil := ipv4Fragment(t, testIPA, testIPB, 0x4242, layers.IPProtocolUDP, bad, fragment{96, 16, true})
		got, st := decodeFrames(t, Options{}, frames[0], frames[1], evil, frames[2])
		var kinds []Kind
		for _, p := range got {
			kinds = append(kinds, p.Kind)
		}
		want := []Kind{KindIPFragment, KindIPFragment, KindIPFragment, KindMalformed, KindIPFragment}
		if len(kinds) != len(want) || kinds[3] != KindMalformed || !hasFault(got[3].Fault, FaultInvalid, "ipv4: overlapping fragments differ") {
			t.Fatalf("got %+v, want fragments and one malformed datagram", summarize(got))
		}
		if st.FragmentSetsDropped != 1 || st.Reassembled != 0 {
			t.Errorf("stats = %+v, want one dropped set", st)
		}
		if !got[3].NonESPMarker {
			t.Error("inconsistent IKE datagram: NonESPMarker not set from its first fragment")
		}
	})
	t.Run("incomplete at flush", func(t *testing.T) {
		got, st := decodeFrames(t, Options{}, frames[0], frames[2])
		s := summarize(got)
		if len(s) != 3 || s[2].Kind != KindMalformed || s[2].Frame != 2 || s[2].FirstFrame != 1 || s[2].Fragments != 2 ||
			!hasFault(s[2].Fault, FaultFragmentsAtEnd, "ipv4: capture ended before reassembly: 2 fragments") || s[2].SrcPort != 4500 {
			t.Errorf("got %+v, want two fragments and the datagram reported at flush", s)
		}
		if st.FragmentSetsDropped != 1 {
			t.Errorf("FragmentSetsDropped = %d, want 1", st.FragmentSetsDropped)
		}
		if !got[2].NonESPMarker {
			t.Error("incomplete IKE datagram: NonESPMarker not set from its first fragment")
		}
	})
	t.Run("incomplete ESP in UDP", func(t *testing.T) {
		// The same datagram as ESP in UDP: the first fragment's payload
		// starts with an SPI, not the marker.
		esp := udpDatagram(t, testIPA, testIPB, 4500, 4500, append([]byte{0xc0, 0, 0, 1, 0, 0, 0, 1}, make([]byte, 240)...))
		var fs [][]byte
		for _, f := range splitEven(len(esp), 96)[:2] {
			fs = append(fs, ipv4Fragment(t, testIPA, testIPB, 0x4343, layers.IPProtocolUDP, esp, f))
		}
		got, _ := decodeFrames(t, Options{}, fs...)
		if len(got) != 3 || got[2].Kind != KindMalformed || got[2].NonESPMarker {
			t.Errorf("got %+v, want the incomplete datagram without the marker", summarize(got))
		}
		// Without its first fragment nothing is known.
		got, _ = decodeFrames(t, Options{}, frames[1], frames[2])
		if len(got) != 3 || got[2].Kind != KindMalformed || got[2].NonESPMarker {
			t.Errorf("got %+v, want the incomplete datagram without the marker", summarize(got))
		}
	})
	t.Run("timeout", func(t *testing.T) {
		d := NewDecoder(Options{})
		d.Decode(recAt(1, testT0, layers.LinkTypeEthernet, frames[0]))
		d.Decode(recAt(2, testT0.Add(10*time.Second), layers.LinkTypeEthernet, frames[1]))
		later := udpFrame(t, testIPA, testIPB, 4500, 4500, []byte{0xff})
		ps := d.Decode(recAt(3, testT0.Add(31*time.Second), layers.LinkTypeEthernet, later))
		s := summarize(ps)
		if len(s) != 2 || s[0].Kind != KindMalformed || s[0].Frame != 2 || !hasFault(s[0].Fault, FaultFragmentsTimedOut, "reassembly timed out: 2 fragments, 192 octets, final fragment missing") || s[1].Kind != KindNATKeepalive {
			t.Fatalf("got %+v, want the expired datagram, then the keepalive", s)
		}
		// The last fragment now starts a new datagram, which never
		// completes.
		ps = d.Decode(recAt(4, testT0.Add(32*time.Second), layers.LinkTypeEthernet, frames[2]))
		if len(ps) != 1 || ps[0].Kind != KindIPFragment {
			t.Fatalf("got %+v, want one fragment", summarize(ps))
		}
		if ps := d.Flush(); len(ps) != 1 || ps[0].Kind != KindMalformed {
			t.Fatalf("Flush = %+v, want one malformed", summarize(ps))
		}
	})
	t.Run("table full", func(t *testing.T) {
		var fs [][]byte
		for id := uint16(1); id <= 3; id++ {
			fs = append(fs, ipv4Fragment(t, testIPA, testIPB, id, layers.IPProtocolUDP, dgram, pieces[0]))
		}
		got, st := decodeFrames(t, Options{MaxFragments: 2}, fs...)
		s := summarize(got)
		// Fragments 1, 2 and 3, the eviction of datagram 1 as fragment 3
		// enters reassembly, then datagrams 2 and 3 at flush.
		if len(s) != 6 || s[3].Kind != KindMalformed || s[3].Frame != 1 || !hasFault(s[3].Fault, FaultFragmentsEvicted, "reassembly table full") {
			t.Fatalf("got %+v, want datagram 1 evicted", s)
		}
		if st.FragmentSetsDropped != 3 {
			t.Errorf("FragmentSetsDropped = %d, want 3", st.FragmentSetsDropped)
		}
	})
	t.Run("beyond 65535", func(t *testing.T) {
		f := ipv4Fragment(t, testIPA, testIPB, 9, layers.IPProtocolUDP, make([]byte, 65600), fragment{65528, 16, false})
		got, _ := decodeFrames(t, Options{}, f)
		if len(got) != 2 || got[1].Kind != KindMalformed || !hasFault(got[1].Fault, FaultInvalid, "beyond 65535") {
			t.Fatalf("got %+v, want a fragment and a malformed datagram", summarize(got))
		}
	})
	t.Run("odd non-final length", func(t *testing.T) {
		f := ipv4Fragment(t, testIPA, testIPB, 9, layers.IPProtocolUDP, dgram, fragment{0, 13, true})
		got, _ := decodeFrames(t, Options{}, f)
		if len(got) != 2 || got[1].Kind != KindMalformed || !hasFault(got[1].Fault, FaultInvalid, "not a multiple of 8") {
			t.Fatalf("got %+v, want a fragment and a malformed datagram", summarize(got))
		}
	})
}

func TestFragmentsIPv6(t *testing.T) {
	ike := ikeSAInit(0x0a0b0c0d0e0f1011, netip.AddrPortFrom(test6A, 500), netip.AddrPortFrom(test6B, 500))
	dgram := udpDatagram(t, test6A, test6B, 500, 500, ike)
	pieces := splitEven(len(dgram), 112)
	if len(pieces) != 2 {
		t.Fatalf("test datagram of %d octets splits into %d pieces, want 2", len(dgram), len(pieces))
	}
	var frames [][]byte
	for _, f := range pieces {
		frames = append(frames, ipv6Fragment(t, test6A, test6B, 0xdeadbeef, layers.IPProtocolUDP, dgram, f))
	}
	got, st := decodeFrames(t, Options{}, frames[1], frames[0])
	s := summarize(got)
	want := []summary{
		{Frame: 1, FirstFrame: 1, Kind: KindIPFragment, Src: test6A.String(), Dst: test6B.String(), Proto: 17, Fragment: Fragment{ID: 0xdeadbeef, Offset: 112}, PayloadLen: len(dgram) - 112},
		{Frame: 2, FirstFrame: 2, Kind: KindIPFragment, Src: test6A.String(), Dst: test6B.String(), SrcPort: 500, DstPort: 500, Proto: 17, Fragment: Fragment{ID: 0xdeadbeef, More: true}, PayloadLen: 104},
		{Frame: 2, FirstFrame: 1, Kind: KindIKE, Src: test6A.String(), Dst: test6B.String(), SrcPort: 500, DstPort: 500, Proto: 17, IKEExchange: 34, Fragments: 2, PayloadLen: len(ike)},
	}
	diffSummaries(t, s, want)
	if st.Reassembled != 1 {
		t.Errorf("Reassembled = %d, want 1", st.Reassembled)
	}
	if len(got) != 3 {
		t.FailNow()
	}
	if got[2].IPID != 0xdeadbeef {
		t.Errorf("reassembled IPID = %#x, want the fragment identification", got[2].IPID)
	}
	if got[2].IKE == nil || (len(got[2].IKE.NATD) != 2 || got[2].IKE.NATD[0].Match != NATDMatched) {
		t.Errorf("NAT-D of the reassembled message = %+v, want verified as matching", got[2].IKE.NATD)
	}

	// An atomic fragment (RFC 6946) is a whole datagram.
	atomic := ipv6Fragment(t, test6A, test6B, 7, layers.IPProtocolUDP, dgram, fragment{0, len(dgram), false})
	got, _ = decodeFrames(t, Options{}, atomic)
	if len(got) != 1 || got[0].Kind != KindIKE || got[0].Fragments != 0 {
		t.Errorf("atomic fragment: got %+v, want one IKE packet", summarize(got))
	}
}

// TestFragmentFloodBounded feeds many first fragments of distinct
// datagrams: state stays bounded and everything is reported.
func TestFragmentFloodBounded(t *testing.T) {
	d := NewDecoder(Options{MaxFragments: 16})
	data := make([]byte, 64)
	n := 0
	for id := range 2000 {
		f := ipv4Fragment(t, testIPA, testIPB, uint16(id), layers.IPProtocolUDP, data, fragment{0, 16, true})
		n += len(d.Decode(recAt(id+1, testT0, layers.LinkTypeEthernet, f)))
		if len(d.frags.sets) > 16 {
			t.Fatalf("after %d datagrams, %d in reassembly, want at most 16", id+1, len(d.frags.sets))
		}
		if len(d.frags.queue) > 2*16+64+1 {
			t.Fatalf("queue grew to %d", len(d.frags.queue))
		}
		if e := &d.frags.evicted; e.n > 16 || len(e.deadline) > 16 || len(e.ring) > 16 {
			t.Fatalf("%d datagrams given up remembered (%d keys, ring of %d), want at most 16", e.n, len(e.deadline), len(e.ring))
		}
	}
	n += len(d.Flush())
	if st := d.Stats(); n != 4000 || st.FragmentSetsDropped != 2000 || st.Accounted() != 2000 {
		t.Errorf("%d packets, stats %+v; want 2000 fragments and 2000 dropped datagrams", n, st)
	}
}

// givenUp is what the report of a datagram given up says.
type givenUp struct {
	frame, first int
	kind         FaultKind
	fragments    int
	octets       int
}

// TestFragmentByteBound: the octets held in reassembly stay within
// Options.MaxFragmentBytes; the oldest datagrams are given up first, each
// reported with the fault kind of the bound, its frames, and what arrived of
// it. A first fragment of 1480 octets holds 1480 octets of buffer and 64 of
// range list.
func TestFragmentByteBound(t *testing.T) {
	type frag struct {
		id        uint16
		off, n    int
		more      bool
		secondsAt int
	}
	first := func(id uint16) frag { return frag{id: id, off: 0, n: 1480, more: true} }
	tests := []struct {
		name      string
		opts      Options
		frags     []frag
		want      []givenUp
		wantPeak  int
		wantDrops int
	}{
		{
			name:  "the oldest is given up first",
			opts:  Options{MaxFragmentBytes: 4000},
			frags: []frag{first(1), first(2), first(3)},
			want: []givenUp{
				{1, 1, FaultFragmentsEvictedBytes, 1, 1480},
				{2, 2, FaultFragmentsAtEnd, 1, 1480},
				{3, 3, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 2 * 1544,
		},
		{
			name: "as many as it takes",
			// The fourth ends at 3880 octets and needs 3944: all three
			// others go, oldest first.
			opts:  Options{MaxFragmentBytes: 5000},
			frags: []frag{first(1), first(2), first(3), {id: 4, off: 2400, n: 1480, more: true}},
			want: []givenUp{
				{1, 1, FaultFragmentsEvictedBytes, 1, 1480},
				{2, 2, FaultFragmentsEvictedBytes, 1, 1480},
				{3, 3, FaultFragmentsEvictedBytes, 1, 1480},
				{4, 4, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 3 * 1544,
		},
		{
			name: "the growing datagram is the oldest",
			// Datagram 1 grows to 2960 octets with frame 3 and is the
			// oldest: it goes, datagram 2 stays; its final fragment
			// (frame 4) then goes into nothing.
			opts:  Options{MaxFragmentBytes: 4000},
			frags: []frag{first(1), first(2), {id: 1, off: 1480, n: 1480, more: true}, {id: 1, off: 2960, n: 40}},
			want: []givenUp{
				{3, 1, FaultFragmentsEvictedBytes, 2, 2960},
				{2, 2, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 2 * 1544,
		},
		{
			name: "a datagram alone beyond the bound",
			// A fragment ending at 2960 octets needs 2960 of buffer: more
			// than the bound, so its datagram is given up at once, older
			// ones left alone, and its first fragment (frame 3) goes into
			// nothing.
			opts:  Options{MaxFragmentBytes: 2000},
			frags: []frag{first(1), {id: 2, off: 1480, n: 1480, more: true}, first(2)},
			want: []givenUp{
				{2, 2, FaultFragmentsEvictedBytes, 1, 1480},
				{1, 1, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 1544,
		},
		{
			name: "a buffer over 32 KiB counts whole pages of 8 KiB",
			// A fragment ending 40,000 octets in takes 40,960: three of
			// them pass 121,000 octets, where 40,000 each would not.
			opts:  Options{MaxFragmentBytes: 121_000},
			frags: []frag{{id: 1, off: 38520, n: 1480, more: true}, {id: 2, off: 38520, n: 1480, more: true}, {id: 3, off: 38520, n: 1480, more: true}},
			want: []givenUp{
				{1, 1, FaultFragmentsEvictedBytes, 1, 1480},
				{2, 2, FaultFragmentsAtEnd, 1, 1480},
				{3, 3, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 2 * (40960 + 64),
		},
		{
			name:  "the count of datagrams is a bound of its own",
			opts:  Options{MaxFragments: 2},
			frags: []frag{first(1), first(2), first(3)},
			want: []givenUp{
				{1, 1, FaultFragmentsEvicted, 1, 1480},
				{2, 2, FaultFragmentsAtEnd, 1, 1480},
				{3, 3, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 2 * 1544,
		},
		{
			name: "a later fragment of a datagram given up goes into nothing",
			// Not a new datagram that would time out as if the network
			// had lost its other fragments.
			opts:  Options{MaxFragments: 2},
			frags: []frag{first(1), first(2), first(3), {id: 1, off: 1480, n: 40}},
			want: []givenUp{
				{1, 1, FaultFragmentsEvicted, 1, 1480},
				{2, 2, FaultFragmentsAtEnd, 1, 1480},
				{3, 3, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 2 * 1544,
		},
		{
			name:  "the same for the octets",
			opts:  Options{MaxFragmentBytes: 4000},
			frags: []frag{first(1), first(2), first(3), {id: 1, off: 1480, n: 40}},
			want: []givenUp{
				{1, 1, FaultFragmentsEvictedBytes, 1, 1480},
				{2, 2, FaultFragmentsAtEnd, 1, 1480},
				{3, 3, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 2 * 1544,
		},
		{
			name: "a datagram found inconsistent and pushed out still takes its fragments",
			// Datagram 1 fails at once (a non-final length not a
			// multiple of 8) and goes to make room for datagram 3; its
			// fragment of frame 4 goes into nothing, as it did while it
			// was in reassembly, rather than push out datagram 2.
			opts:  Options{MaxFragments: 2},
			frags: []frag{{id: 1, off: 0, n: 13, more: true}, first(2), first(3), {id: 1, off: 1480, n: 40}},
			want: []givenUp{
				{1, 1, FaultInvalid, 1, 13},
				{2, 2, FaultFragmentsAtEnd, 1, 1480},
				{3, 3, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 2 * 1544,
		},
		{
			name:  "past the deadline of the datagram given up, a new one",
			opts:  Options{MaxFragments: 2},
			frags: []frag{first(1), first(2), first(3), {id: 1, off: 1480, n: 40, secondsAt: 31}},
			want: []givenUp{
				{1, 1, FaultFragmentsEvicted, 1, 1480},
				{2, 2, FaultFragmentsTimedOut, 1, 1480},
				{3, 3, FaultFragmentsTimedOut, 1, 1480},
				{4, 4, FaultFragmentsAtEnd, 1, 40},
			},
			wantPeak: 2 * 1544,
		},
		{
			name: "timed out, then room again",
			// Datagram 1 times out before datagram 3 arrives: nothing is
			// evicted.
			opts:  Options{MaxFragmentBytes: 4000},
			frags: []frag{first(1), {id: 2, n: 1480, more: true, secondsAt: 20}, {id: 3, n: 1480, more: true, secondsAt: 40}},
			want: []givenUp{
				{1, 1, FaultFragmentsTimedOut, 1, 1480},
				{2, 2, FaultFragmentsAtEnd, 1, 1480},
				{3, 3, FaultFragmentsAtEnd, 1, 1480},
			},
			wantPeak: 2 * 1544,
		},
	}
	data := make([]byte, 40000)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.opts)
			var got []givenUp
			note := func(ps []Packet) {
				for _, p := range ps {
					if p.Kind == KindMalformed {
						got = append(got, givenUp{p.Frame, p.FirstFrame, p.Fault.Kind, p.Fragments, p.FragmentOctets})
					}
				}
			}
			for i, f := range tc.frags {
				frame := ipv4Fragment(t, testIPA, testIPB, f.id, layers.IPProtocolUDP, data, fragment{f.off, f.n, f.more})
				note(d.Decode(recAt(i+1, testT0.Add(time.Duration(f.secondsAt)*time.Second), layers.LinkTypeEthernet, frame)))
				checkHeld(t, &d.frags)
			}
			note(d.Flush())
			if len(got) != len(tc.want) {
				t.Fatalf("given up:\n got  %+v\n want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("given up %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			if d.frags.held != 0 || len(d.frags.sets) != 0 {
				t.Errorf("after Flush: %d octets in %d datagrams still held", d.frags.held, len(d.frags.sets))
			}
			st := d.Stats()
			wantMax := tc.opts.MaxFragmentBytes
			if wantMax == 0 {
				wantMax = DefaultMaxFragmentBytes
			}
			if r := st.Reassembly; r.PeakBytes != tc.wantPeak || r.MaxBytes != wantMax || r.PeakBytes > r.MaxBytes {
				t.Errorf("Reassembly = %+v, want a peak of %d octets within %d", r, tc.wantPeak, wantMax)
			}
			if st.FragmentSetsDropped != len(tc.want) {
				t.Errorf("FragmentSetsDropped = %d, want %d", st.FragmentSetsDropped, len(tc.want))
			}
		})
	}
}

// checkHeld checks the byte accounting: what each datagram holds is the
// capacity of its buffers, their sum is the total, within the bound.
func checkHeld(t *testing.T, f *defragmenter) {
	t.Helper()
	sum := 0
	for _, st := range f.sets {
		if n := cap(st.data) + cap(st.ranges)*fragRangeSize; st.held != n {
			t.Fatalf("datagram %d holds %d octets, accounted as %d", st.key.id, n, st.held)
		}
		sum += st.held
	}
	if sum != f.held || f.held > f.maxBytes {
		t.Fatalf("%d octets held, accounted as %d, bound %d", sum, f.held, f.maxBytes)
	}
}
