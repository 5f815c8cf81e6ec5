package rules

import (
	"strconv"
	"testing"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// vp108Mode says what the server does with client A's ESP once client B's
// SA is up.
type vp108Mode int

const (
	vp108Keeps vp108Mode = iota // goes on as before
	vp108Stops                  // stops sending it
	vp108Moves                  // sends it to B's port
)

// vp108Script scripts two clients behind one NAT and one server
// 198.51.100.7. a and b are the clients' IKE endpoints on 500 and 4500
// ("10.0.0.2:500", "10.0.0.2:4500" inside; public ones outside). Client A
// connects and exchanges ESP every second; 20 s later client B connects;
// then A goes on sending for 30 s while the server does as mode says.
func vp108Script(a500, a4500, b500, b4500 string, mode vp108Mode) []decode.Packet {
	s := pt.New()
	srv, srv4 := "198.51.100.7:500", "198.51.100.7:4500"
	vp1SAInit(s, a500, srv)
	s.IKE(a4500, srv4, vp1Msg(decode.ExchangeTypeIKEAuth, 1, false), 3)
	s.IKE(srv4, a4500, vp1Msg(decode.ExchangeTypeIKEAuth, 1, true), 4)
	seq := uint32(0)
	espA := func(in bool) {
		seq++
		s.ESP(a4500, srv4, 0xa1, seq)
		if in {
			s.ESP(srv4, a4500, 0xa2, seq)
		}
		s.After(time.Second)
	}
	for i := 0; i < 20; i++ {
		espA(true)
	}
	bm := func(ex decode.ExchangeType, id uint32, rsp bool) decode.IKEMessage {
		m := vp1Msg(ex, id, rsp)
		m.SPIi = vp106SPIb
		return m
	}
	breq, brsp := bm(decode.ExchangeTypeIKESAInit, 0, false), bm(decode.ExchangeTypeIKESAInit, 0, true)
	breq.NATD, brsp.NATD = vp1NATD(b500, false), vp1NATD(b500, true)
	s.IKE(b500, srv, breq, 11)
	s.IKE(srv, b500, brsp, 12)
	s.IKE(b4500, srv4, bm(decode.ExchangeTypeIKEAuth, 1, false), 13)
	s.IKE(srv4, b4500, bm(decode.ExchangeTypeIKEAuth, 1, true), 14)
	for i := 0; i < 30; i++ {
		espA(mode == vp108Keeps)
		if mode == vp108Moves {
			s.ESP(srv4, b4500, 0xa2, seq)
		}
		s.ESP(b4500, srv4, 0xb1, seq)
		s.ESP(srv4, b4500, 0xb2, seq)
	}
	return s.Packets
}

func TestVP108StopsOutsideOnly(t *testing.T) {
	pkts := vp108Script("203.0.113.5:500", "203.0.113.5:62001", "203.0.113.5:1024", "203.0.113.5:62002", vp108Stops)
	f := wantFindings(t, checkRule(t, natClientsSACollision{}, oneCapture(t, pkts)), 1)[0]
	if f.Tunnel != 1 || f.Confidence != Medium {
		t.Errorf("tunnel %d confidence %s; want 1 (the first client's), medium", f.Tunnel, f.Confidence)
	}
	wantMessage(t, f.Message, "two IKE SAs from 203.0.113.5 to 198.51.100.7 come from different hosts (NAT-T ports 62001 and 62002)",
		"the server's ESP for the first client (SPI 0x000000a2) stops", "the first client keeps sending (SPI 0x000000a1")
	if len(f.Evidence) != 3 {
		t.Errorf("evidence %v, want the last ESP of each SA and the second SA's establishment", f.Evidence)
	}
}

func TestVP108MovesOutsideOnly(t *testing.T) {
	pkts := vp108Script("203.0.113.5:500", "203.0.113.5:62001", "203.0.113.5:1024", "203.0.113.5:62002", vp108Moves)
	f := wantFindings(t, checkRule(t, natClientsSACollision{}, oneCapture(t, pkts)), 1)[0]
	wantMessage(t, f.Message, "the server's ESP for the first client (SPI 0x000000a2) now goes to the second client's port 62002")
}

func TestVP108BothCaptures(t *testing.T) {
	in := vp108Script("10.0.0.2:500", "10.0.0.2:4500", "10.0.0.3:500", "10.0.0.3:4500", vp108Stops)
	nat := pt.NAT{Map: map[string]string{
		"10.0.0.2:500":  "203.0.113.5:500",
		"10.0.0.2:4500": "203.0.113.5:62001",
		"10.0.0.3:500":  "203.0.113.5:1024",
		"10.0.0.3:4500": "203.0.113.5:62002",
	}, Offset: 3 * time.Second, Delay: time.Millisecond}
	out := nat.Translate(in)
	f := wantFindings(t, checkRule(t, natClientsSACollision{}, twoCaptures(t, in, out)), 1)[0]
	if f.Confidence != High || f.Tunnel != 1 {
		t.Errorf("confidence %s tunnel %d; want high, 1", f.Confidence, f.Tunnel)
	}
	wantMessage(t, f.Message, "come from inside hosts 10.0.0.2 and 10.0.0.3 behind one NAT", "stops")
	if len(evidenceFrames(f, flows.SideInside)) == 0 || len(evidenceFrames(f, flows.SideOutside)) == 0 {
		t.Errorf("evidence %v, want frames of both captures", f.Evidence)
	}
}

func TestVP108Clean(t *testing.T) {
	pkts := vp108Script("203.0.113.5:500", "203.0.113.5:62001", "203.0.113.5:1024", "203.0.113.5:62002", vp108Keeps)
	wantFindings(t, checkRule(t, natClientsSACollision{}, oneCapture(t, pkts)), 0)
	// One host rekeying from the same NAT-T port is not two clients.
	pkts = vp108Script("203.0.113.5:500", "203.0.113.5:62001", "203.0.113.5:500", "203.0.113.5:62001", vp108Stops)
	wantFindings(t, checkRule(t, natClientsSACollision{}, oneCapture(t, pkts)), 0)
}

func TestVP108InsideOnlyClean(t *testing.T) {
	// Inside the NAT the two clients have their own addresses: nothing
	// collides there, and a capture on one host with two NAT-T ports is
	// not two clients.
	pkts := vp108Script("10.0.0.2:500", "10.0.0.2:4500", "10.0.0.2:1500", "10.0.0.2:14500", vp108Stops)
	wantFindings(t, checkRule(t, natClientsSACollision{}, oneCapture(t, pkts)), 0)
}

// TestVP108Keyed: with keys the first client's IKE_AUTH announced SPI
// 0xa2, so the ESP the server moved to the second client's port is the
// first client's for certain, and the finding cites the SA payload.
func TestVP108Keyed(t *testing.T) {
	pkts := vp108Script("203.0.113.5:500", "203.0.113.5:62001", "203.0.113.5:1024", "203.0.113.5:62002", vp108Moves)
	auth := 0
	for i := range pkts {
		m := pkts[i].IKE
		if m == nil || m.Exchange != decode.ExchangeTypeIKEAuth {
			continue
		}
		spi := map[uint64][2]byte{testSPIi: {0xa2, 0xa1}, vp106SPIb: {0xb2, 0xb1}}[m.SPIi]
		b := spi[0]
		if m.IsResponse() {
			b = spi[1]
		} else if m.SPIi == testSPIi {
			auth = pkts[i].Frame
		}
		m.Decryption = &decode.Decryption{Status: decode.Decrypted}
		m.Proposals = []decode.Proposal{{Number: 1, Protocol: decode.ProtocolIDESP, SPI: []byte{0, 0, 0, b}}}
	}
	f := wantFindings(t, checkRule(t, natClientsSACollision{}, oneCapture(t, pkts)), 1)[0]
	wantMessage(t, f.Message, "the server's ESP for the first client (SPI 0x000000a2) now goes to the second client's port 62002 — exactly the first client's SA: its IKE SA negotiated the SPI (SA payload read decrypted, frame "+strconv.Itoa(auth)+")")
	if !f.Decrypted {
		t.Error("the finding rests on a decrypted SA payload but is not marked Decrypted")
	}
}
