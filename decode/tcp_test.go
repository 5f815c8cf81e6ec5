package decode

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// tcpConn builds the segments of one TCP connection between a client and a
// server, tracking sequence numbers per direction.
type tcpConn struct {
	tb                 testing.TB
	client, server     netip.AddrPort
	clientSeq, servSeq uint32
}

func newTCPConn(tb testing.TB, client, server netip.AddrPort) *tcpConn {
	return &tcpConn{tb: tb, client: client, server: server, clientSeq: 1000, servSeq: 5000}
}

// c2s returns a client-to-server segment carrying payload.
func (c *tcpConn) c2s(payload []byte) []byte {
	f := tcpFrame(c.tb, c.client.Addr(), c.server.Addr(), c.client.Port(), c.server.Port(), c.clientSeq, false, payload)
	c.clientSeq += uint32(len(payload))
	return f
}

// s2c returns a server-to-client segment carrying payload.
func (c *tcpConn) s2c(payload []byte) []byte {
	f := tcpFrame(c.tb, c.server.Addr(), c.client.Addr(), c.server.Port(), c.client.Port(), c.servSeq, false, payload)
	c.servSeq += uint32(len(payload))
	return f
}

func kindsOf(ps []Packet) []Kind {
	var ks []Kind
	for _, p := range ps {
		ks = append(ks, p.Kind)
	}
	return ks
}

func TestPPTPStream(t *testing.T) {
	client, server := netip.AddrPortFrom(testIPA, 41366), netip.AddrPortFrom(testIPB, PortPPTP)
	sccrq := pptpMessage(PPTPMessageTypeStartControlConnectionRequest, 0, 0, 0)
	echo := pptpMessage(PPTPMessageTypeEchoRequest, 0, 0, 0)
	sccrp := pptpMessage(PPTPMessageTypeStartControlConnectionReply, 0, 0, 1)
	ocrq := pptpMessage(PPTPMessageTypeOutgoingCallRequest, 0x1111, 0, 0)
	ocrp := pptpMessage(PPTPMessageTypeOutgoingCallReply, 0x2222, 0x1111, 1)

	t.Run("split and coalesced", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		frames := [][]byte{
			c.c2s(sccrq[:100]),                  // 1: half a message
			c.c2s(append(sccrq[100:], echo...)), // 2: the rest, and a whole one
			c.s2c(nil),                          // 3: a bare ACK
			c.s2c(sccrp),                        // 4
			c.c2s(ocrq),                         // 5
			c.s2c(ocrp),                         // 6
		}
		got, st := decodeFrames(t, Options{}, frames...)
		want := []summary{
			{Frame: 2, FirstFrame: 1, Kind: KindPPTP, Src: testIPA.String(), Dst: testIPB.String(), SrcPort: 41366, DstPort: 1723, Proto: 6, PPTP: PPTPInfo{Type: PPTPMessageTypeStartControlConnectionRequest}, PayloadLen: 156},
			{Frame: 2, FirstFrame: 2, Kind: KindPPTP, Src: testIPA.String(), Dst: testIPB.String(), SrcPort: 41366, DstPort: 1723, Proto: 6, PPTP: PPTPInfo{Type: PPTPMessageTypeEchoRequest}, PayloadLen: 16},
			{Frame: 4, FirstFrame: 4, Kind: KindPPTP, Src: testIPB.String(), Dst: testIPA.String(), SrcPort: 1723, DstPort: 41366, Proto: 6, PPTP: PPTPInfo{Type: PPTPMessageTypeStartControlConnectionReply, ResultCode: 1}, PayloadLen: 156},
			{Frame: 5, FirstFrame: 5, Kind: KindPPTP, Src: testIPA.String(), Dst: testIPB.String(), SrcPort: 41366, DstPort: 1723, Proto: 6, PPTP: PPTPInfo{Type: PPTPMessageTypeOutgoingCallRequest, CallID: 0x1111, HasCallID: true}, PayloadLen: 168},
			{Frame: 6, FirstFrame: 6, Kind: KindPPTP, Src: testIPB.String(), Dst: testIPA.String(), SrcPort: 1723, DstPort: 41366, Proto: 6,
				PPTP: PPTPInfo{Type: PPTPMessageTypeOutgoingCallReply, CallID: 0x2222, PeerCallID: 0x1111, ResultCode: 1, HasCallID: true, HasPeerCall: true}, PayloadLen: 32},
		}
		diffSummaries(t, summarize(got), want)
		if st.StreamSegments != 2 || st.FramesWithPackets != 4 || st.Accounted() != 6 {
			t.Errorf("stats = %+v, want 2 stream-only segments and 4 frames with packets", st)
		}
		if len(got) > 0 && got[0].PayloadHash != PayloadHash(sccrq) {
			t.Errorf("PayloadHash = %#x, want the hash of the message", got[0].PayloadHash)
		}
	})

	t.Run("out of order", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		first, second := c.c2s(sccrq[:60]), c.c2s(sccrq[60:])
		d := NewDecoder(Options{})
		if ps := d.Decode(rec(1, first)); len(ps) != 0 {
			t.Fatalf("frame 1: %+v", summarize(ps))
		}
		// Open the stream with the first segment, then deliver the second
		// half before a retransmitted first half.
		c2 := newTCPConn(t, client, netip.AddrPortFrom(testIPB, PortPPTP))
		c2.clientSeq = 1000 + 156
		next := c2.c2s(echo)
		ps := d.Decode(rec(2, next))
		if len(ps) != 0 {
			t.Fatalf("frame 2 (out of order) = %+v, want nothing yet", summarize(ps))
		}
		ps = d.Decode(rec(3, second))
		if k := kindsOf(ps); len(k) != 2 || ps[0].PPTP.Type != PPTPMessageTypeStartControlConnectionRequest || ps[0].FirstFrame != 1 || ps[0].Frame != 3 ||
			ps[1].PPTP.Type != PPTPMessageTypeEchoRequest || ps[1].Frame != 3 {
			t.Fatalf("frame 3 = %+v, want SCCRQ (frames 1..3) and Echo-Request at 3", summarize(ps))
		}
	})

	t.Run("bad cookie resync", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		bad := append([]byte(nil), echo...)
		bad[5] = 0
		got, _ := decodeFrames(t, Options{}, c.c2s(append(append(bad, 0xaa, 0xbb), ocrq...)))
		if k := kindsOf(got); len(k) != 2 || k[0] != KindMalformed || !hasFault(got[0].Fault, FaultInvalid, "pptp: magic cookie at offset 4: bad magic cookie") ||
			k[1] != KindPPTP || got[1].PPTP.Type != PPTPMessageTypeOutgoingCallRequest {
			t.Fatalf("got %+v, want one malformed message, then the Outgoing-Call-Request found again", summarize(got))
		}
	})

	t.Run("short for its type", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		short := append([]byte(nil), ocrp[:20]...)
		binary.BigEndian.PutUint16(short, 20)
		got, _ := decodeFrames(t, Options{}, c.s2c(append(short, echo...)))
		if k := kindsOf(got); len(k) != 2 || k[0] != KindMalformed || !hasFault(got[0].Fault, FaultInvalid, `pptp: Outgoing-Call-Reply at offset 0: length 20 < 32`) || k[1] != KindPPTP {
			t.Fatalf("got %+v, want a malformed Outgoing-Call-Reply, then the Echo-Request", summarize(got))
		}
	})

	t.Run("ends inside a message", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		got, st := decodeFrames(t, Options{}, c.c2s(sccrq[:50]))
		if len(got) != 1 || got[0].Kind != KindMalformed || got[0].Frame != 1 || !hasFault(got[0].Fault, FaultStreamEnded, "pptp: stream ended inside a message (50 octets)") {
			t.Fatalf("got %+v, want the unfinished message reported at flush", summarize(got))
		}
		if st.StreamSegments != 1 || st.Accounted() != 1 {
			t.Errorf("stats = %+v", st)
		}
	})

	t.Run("gap", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		f1 := c.c2s(sccrq[:50])
		c.c2s(sccrq[50:]) // lost
		f3 := c.c2s(echo)
		got, _ := decodeFrames(t, Options{}, f1, f3)
		if k := kindsOf(got); len(k) != 2 || k[0] != KindMalformed || !hasFault(got[0].Fault, FaultStreamGap, "106 octets missing from the stream inside a message") ||
			k[1] != KindPPTP || got[1].PPTP.Type != PPTPMessageTypeEchoRequest {
			t.Fatalf("got %+v, want the lost message reported and the Echo-Request after the gap", summarize(got))
		}
	})

	t.Run("all message types", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		var frames [][]byte
		for typ := PPTPMessageType(1); typ <= 15; typ++ {
			frames = append(frames, c.c2s(pptpMessage(typ, 100+uint16(typ), 200+uint16(typ), uint8(typ))))
		}
		got, _ := decodeFrames(t, Options{}, frames...)
		if len(got) != 15 {
			t.Fatalf("got %d packets, want 15: %+v", len(got), summarize(got))
		}
		for i, p := range got {
			typ := PPTPMessageType(i + 1)
			lay := pptpLayouts[typ]
			want := PPTPInfo{Type: typ, HasCallID: lay.callID != 0, HasPeerCall: lay.peerID != 0}
			if want.HasCallID {
				want.CallID = 100 + uint16(typ)
			}
			if want.HasPeerCall {
				want.PeerCallID = 200 + uint16(typ)
			}
			if lay.result != 0 {
				want.ResultCode = uint8(typ)
			}
			if p.Kind != KindPPTP || p.PPTP != want {
				t.Errorf("%v: got %v %+v, want %+v", typ, p.Kind, p.PPTP, want)
			}
		}
	})

	t.Run("stream limit", func(t *testing.T) {
		c1 := newTCPConn(t, client, server)
		c2 := newTCPConn(t, netip.AddrPortFrom(testIPA, 41367), server)
		got, st := decodeFrames(t, Options{MaxStreams: 1}, c1.c2s(echo), c2.c2s(echo))
		if k := kindsOf(got); len(k) != 2 || k[0] != KindPPTP || k[1] != KindMalformed || !hasFault(got[1].Fault, FaultLimit, "stream limit") {
			t.Fatalf("got %+v, want the first stream decoded and the second refused", summarize(got))
		}
		if st.Accounted() != 2 {
			t.Errorf("stats = %+v", st)
		}
	})
}

func TestIKETCPStream(t *testing.T) {
	client, server := netip.AddrPortFrom(testIPA, 50123), netip.AddrPortFrom(testIPB, 4500)
	ike := ikeSAInit(0x5555666677778888, client, server)
	record := func(body []byte) []byte {
		return append(binary.BigEndian.AppendUint16(nil, uint16(2+len(body))), body...)
	}
	ikeRec := record(append([]byte{0, 0, 0, 0}, ike...))
	espRec := record(espBytes(0xfeed, 1, 40))

	t.Run("prefix and records", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		stream := append(append([]byte("IKETCP"), ikeRec...), espRec...)
		frames := [][]byte{
			c.c2s(stream[:3]),   // 1: half the prefix
			c.c2s(stream[3:50]), // 2: the rest, and the IKE record begins
			c.c2s(stream[50:]),  // 3: the IKE record ends, then ESP
			c.s2c(espRec),       // 4: the responder sends no prefix
		}
		got, st := decodeFrames(t, Options{}, frames...)
		want := []summary{
			{Frame: 3, FirstFrame: 2, Kind: KindIKE, Src: testIPA.String(), Dst: testIPB.String(), SrcPort: 50123, DstPort: 4500, Proto: 6, IKEExchange: 34, NonESPMarker: true, TCPEncap: true, PayloadLen: len(ike) + 4},
			{Frame: 3, FirstFrame: 3, Kind: KindTCPESP, Src: testIPA.String(), Dst: testIPB.String(), SrcPort: 50123, DstPort: 4500, Proto: 6, ESP: ESPInfo{SPI: 0xfeed, Seq: 1}, TCPEncap: true, PayloadLen: 48},
			{Frame: 4, FirstFrame: 4, Kind: KindTCPESP, Src: testIPB.String(), Dst: testIPA.String(), SrcPort: 4500, DstPort: 50123, Proto: 6, ESP: ESPInfo{SPI: 0xfeed, Seq: 1}, TCPEncap: true, PayloadLen: 48},
		}
		diffSummaries(t, summarize(got), want)
		if len(got) > 0 && (got[0].IKE == nil || got[0].IKE.NATD[0].Match != NATDMatched) {
			t.Errorf("NAT-D over TCP not verified against the TCP ports")
		}
		if st.StreamSegments != 2 || st.Accounted() != 4 {
			t.Errorf("stats = %+v", st)
		}
	})

	t.Run("ikeport", func(t *testing.T) {
		c := newTCPConn(t, client, netip.AddrPortFrom(testIPB, 8443))
		got, _ := decodeFrames(t, Options{IKEPorts: []uint16{8443}}, c.c2s(espRec))
		if len(got) != 1 || got[0].Kind != KindTCPESP {
			t.Fatalf("got %+v, want TCP-ESP on an extra IKE port", summarize(got))
		}
		got, _ = decodeFrames(t, Options{}, c.c2s(espRec))
		if len(got) != 0 {
			t.Fatalf("got %+v, want nothing without the option", summarize(got))
		}
	})

	t.Run("bad record length", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		got, _ := decodeFrames(t, Options{}, c.c2s([]byte{0, 3, 1, 2, 3}), c.c2s(espRec))
		if len(got) != 1 || got[0].Kind != KindMalformed || !hasFault(got[0].Fault, FaultInvalid, "ike-tcp: record length 3 < 6") {
			t.Fatalf("got %+v, want one malformed record and nothing after it", summarize(got))
		}
	})

	t.Run("gap", func(t *testing.T) {
		c := newTCPConn(t, client, server)
		f1 := c.c2s(espRec)
		c.c2s(espRec) // lost
		f3 := c.c2s(espRec)
		got, _ := decodeFrames(t, Options{}, f1, f3)
		if k := kindsOf(got); len(k) != 2 || k[0] != KindTCPESP || k[1] != KindMalformed || !hasFault(got[1].Fault, FaultStreamGap, "50 octets missing") {
			t.Fatalf("got %+v, want an ESP record and then the gap reported", summarize(got))
		}
	})
}

// TestStreamIdleFlush checks that capture time closes idle streams and
// reports what they left unfinished, in frame order.
func TestStreamIdleFlush(t *testing.T) {
	server := netip.AddrPortFrom(testIPB, PortPPTP)
	sccrq := pptpMessage(PPTPMessageTypeStartControlConnectionRequest, 0, 0, 0)
	d := NewDecoder(Options{})
	for i := range 3 {
		c := newTCPConn(t, netip.AddrPortFrom(testIPA, uint16(40000+i)), server)
		d.Decode(recAt(i+1, testT0, layers.LinkTypeEthernet, c.c2s(sccrq[:10+i])))
	}
	ka := udpFrame(t, testIPA, testIPB, 4500, 4500, []byte{0xff})
	ps := d.Decode(recAt(4, testT0.Add(11*time.Minute), layers.LinkTypeEthernet, ka))
	if len(ps) != 4 || ps[3].Kind != KindNATKeepalive {
		t.Fatalf("got %+v, want three unfinished messages then the keepalive", summarize(ps))
	}
	for i := range 3 {
		if ps[i].Kind != KindMalformed || ps[i].Frame != i+1 || !hasFault(ps[i].Fault, FaultStreamEnded, "stream ended inside a message") {
			t.Errorf("packet %d = %+v", i, summarize(ps[i:i+1]))
		}
	}
	if d.streams.count != 0 {
		t.Errorf("%d streams still open", d.streams.count)
	}
}

// TestStreamOtherTCPUntracked checks that TCP on other ports never reaches
// the assembler.
func TestStreamOtherTCPUntracked(t *testing.T) {
	d := NewDecoder(Options{})
	d.Decode(rec(1, tcpFrame(t, testIPA, testIPB, 50000, 443, 1, false, bytes.Repeat([]byte{1}, 100))))
	if d.streams != nil {
		t.Fatal("stream reassembly started for TCP port 443")
	}
}
