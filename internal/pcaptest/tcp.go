package pcaptest

import (
	"math/rand/v2"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// TCPConn keeps the sequence and acknowledgment numbers of one TCP
// connection so that the segments it builds form a coherent stream: a
// three-way handshake, data in both directions, and the closing FINs.
// Client is the endpoint that opens the connection.
type TCPConn struct {
	Client, Server netip.AddrPort

	cSeq, sSeq uint32 // next sequence number each side sends
	cWin, sWin uint16
}

// NewTCPConn returns a connection with random initial sequence numbers.
func NewTCPConn(r *rand.Rand, client, server netip.AddrPort) *TCPConn {
	return &TCPConn{Client: client, Server: server, cSeq: r.Uint32(), sSeq: r.Uint32(), cWin: 64240, sWin: 65160}
}

func (c *TCPConn) seg(fromClient bool, flags uint8, data []byte) Packet {
	p := Packet{Proto: ProtoTCP, Payload: data}
	if fromClient {
		p.Src, p.SrcPort, p.Dst, p.DstPort = c.Client.Addr(), c.Client.Port(), c.Server.Addr(), c.Server.Port()
		p.TCP = TCPHeader{Seq: c.cSeq, Ack: c.sSeq, Flags: flags, Window: c.cWin}
	} else {
		p.Src, p.SrcPort, p.Dst, p.DstPort = c.Server.Addr(), c.Server.Port(), c.Client.Addr(), c.Client.Port()
		p.TCP = TCPHeader{Seq: c.sSeq, Ack: c.cSeq, Flags: flags, Window: c.sWin}
	}
	if flags&ACK == 0 {
		p.TCP.Ack = 0
	}
	n := uint32(len(data))
	if flags&(SYN|FIN) != 0 {
		n++
	}
	if fromClient {
		c.cSeq += n
	} else {
		c.sSeq += n
	}
	return p
}

// SYN builds the client's SYN with the options Linux sends (MSS 1460,
// SACK permitted, window scale 7).
func (c *TCPConn) SYN() Packet {
	p := c.seg(true, SYN, nil)
	p.TCP.Options = synOptions()
	return p
}

// SYNACK builds the server's SYN-ACK.
func (c *TCPConn) SYNACK() Packet {
	p := c.seg(false, SYN|ACK, nil)
	p.TCP.Options = synOptions()
	return p
}

func synOptions() []layers.TCPOption {
	return []layers.TCPOption{
		{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
		{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
		{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
		{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
		{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
		{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
	}
}

// ACK builds a pure acknowledgment.
func (c *TCPConn) ACK(fromClient bool) Packet { return c.seg(fromClient, ACK, nil) }

// Data builds a data segment with PSH and ACK.
func (c *TCPConn) Data(fromClient bool, data []byte) Packet {
	return c.seg(fromClient, PSH|ACK, data)
}

// FIN builds a FIN-ACK.
func (c *TCPConn) FIN(fromClient bool) Packet { return c.seg(fromClient, FIN|ACK, nil) }
