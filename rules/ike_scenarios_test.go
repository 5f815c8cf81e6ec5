package rules

import (
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// Scripted IKE negotiations, and the traffic around them, that the tests of
// the IKE negotiation (VP1xx) and capture quality (VP9xx) rules share.

// vp1Msg builds an IKEv2 message of the test tunnel.
func vp1Msg(ex decode.ExchangeType, msgID uint32, response bool) decode.IKEMessage {
	m := decode.IKEMessage{Version: 2, SPIi: testSPIi, Exchange: ex, MessageID: msgID, Length: 300}
	if response {
		m.SPIr = testSPIr
		m.Flags = decode.IKEv2FlagResponse
	} else {
		m.Flags = decode.IKEv2FlagInitiator
		if ex != decode.ExchangeTypeIKESAInit {
			m.SPIr = testSPIr
		}
	}
	if ex != decode.ExchangeTypeIKESAInit {
		m.Encrypted = true
	}
	return m
}

// vp1SAInit adds an IKEv2 IKE_SA_INIT pair between ini and resp (both on
// port 500), the initiator behind a NAT: as the inside capture sees it
// when ini is a private address, as the outside capture sees it otherwise.
func vp1SAInit(s *pt.Script, ini, resp string) {
	req := vp1Msg(decode.ExchangeTypeIKESAInit, 0, false)
	req.NATD = vp1NATD(ini, false)
	s.IKE(ini, resp, req, 1)
	rsp := vp1Msg(decode.ExchangeTypeIKESAInit, 0, true)
	rsp.NATD = vp1NATD(ini, true)
	s.IKE(resp, ini, rsp, 2)
}

// vp1NATD returns the NAT-D results of an IKE_SA_INIT request (or
// response) of an initiator behind a NAT, seen inside the NAT when ini is
// a private address (the responder's hash of the initiator mismatches) and
// outside otherwise (the initiator's own hash mismatches).
func vp1NATD(ini string, response bool) []decode.NATD {
	inside := pt.AddrPort(ini).Addr().IsPrivate()
	src, dst := decode.NATDMatched, decode.NATDMatched
	switch {
	case !response && !inside:
		src = decode.NATDMismatch
	case response && inside:
		dst = decode.NATDMismatch
	}
	return []decode.NATD{pt.NATD(decode.NATDSource, src), pt.NATD(decode.NATDDestination, dst)}
}

// vp1Background adds DNS queries and answers every few seconds for d: a
// conversation in both directions, as any real capture has.
func vp1Background(s *pt.Script, d time.Duration) {
	for end := s.Now.Add(d); s.Now.Before(end); {
		h := uint64(s.Now.UnixNano())
		s.Other(17, "10.0.0.2:53000", "192.0.2.53:53", h)
		s.Other(17, "192.0.2.53:53", "10.0.0.2:53000", h+1)
		s.After(5 * time.Second)
	}
}

// vp1NAT translates the test client 10.0.0.2 to 203.0.113.5.
func vp1NAT() pt.NAT {
	return pt.NAT{Map: map[string]string{
		"10.0.0.2:500":   "203.0.113.5:500",
		"10.0.0.2:4500":  "203.0.113.5:62001",
		"10.0.0.2:53000": "203.0.113.5:41000",
	}, Offset: 2 * time.Second, Delay: time.Millisecond}
}

// vp1FragIKE adds an IKE message that travels in n IP fragments as the
// decoder reports it: each fragment as KindIPFragment (only the first with
// ports), then the reassembled message at the last fragment's frame, with
// FirstFrame the first fragment's and Fragments n. id is the IP
// identification. It returns the frames of the fragments.
func vp1FragIKE(s *pt.Script, src, dst string, m decode.IKEMessage, hash uint64, n int, id uint32) []int {
	a, b := pt.AddrPort(src), pt.AddrPort(dst)
	var frames []int
	var last time.Time
	for i := 0; i < n; i++ {
		p := decode.Packet{Src: a.Addr(), Dst: b.Addr(), Proto: 17, Kind: decode.KindIPFragment, Length: 1514,
			Fragment:   decode.Fragment{ID: id, Offset: i * 1480, More: i < n-1},
			PayloadLen: 1480, PayloadHash: uint64(id)<<16 | uint64(i)}
		if i == 0 {
			p.SrcPort, p.DstPort = a.Port(), b.Port()
		}
		q := s.Add(p)
		q.IPID = id
		frames = append(frames, q.Frame)
		last = q.Time
	}
	mm := m
	mm.Length = uint32(n * 1400)
	q := s.IKE(src, dst, mm, hash)
	q.Frame, q.FirstFrame, q.Time, q.Fragments = frames[n-1], frames[0], last, n
	q.IPID = id
	return frames
}

// vp1Incomplete returns the packets with, after every first fragment whose
// datagram the capture never completed, the malformed packet the decoder
// reports when it gives the datagram up. The datagrams are IKE: off port
// 500 their first fragment shows the non-ESP marker, and so does the
// report.
func vp1Incomplete(pkts []decode.Packet) []decode.Packet {
	complete := map[int]bool{}
	for _, p := range pkts {
		if p.Fragments > 0 {
			complete[p.FirstFrame] = true
		}
	}
	var out []decode.Packet
	for _, p := range pkts {
		out = append(out, p)
		if p.Kind == decode.KindIPFragment && p.Fragment.Offset == 0 && !complete[p.Frame] {
			m := p
			m.Kind, m.Fragments, m.Fragment = decode.KindMalformed, 1, decode.Fragment{}
			m.NonESPMarker = m.SrcPort != 500 && m.DstPort != 500
			m.Fault = decode.Fault{Kind: decode.FaultFragmentsTimedOut, Layer: "ipv4", Offset: -1, Message: "ipv4: reassembly timed out: 1 fragments, 1480 octets, final fragment missing"}
			out = append(out, m)
		}
	}
	return out
}
