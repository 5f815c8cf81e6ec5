package samples

import (
	"fmt"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// mixedEncapsulation: one tunnel, ESP raw one way and in UDP the other.
func mixedEncapsulation(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.ESPPassthrough = true
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	ch.encapI = false // the client's outbound SA was installed without UDP encapsulation
	t0 := w.now + w.jitter(ms(40), ms(90))
	// The client opens a TCP connection through the tunnel: the SYN and its
	// retransmissions (1, 2, 4, 8 s back-off).
	for k, d := range []float64{0, 1, 3, 7, 15} {
		w.schedule(t0+sec(d), func() {
			s.espOut(ch, 60, noteIf(k == 0, "client ESP, raw protocol 50 (a TCP SYN through the tunnel)"))
		})
	}
	// A monitoring host behind the gateway pings the client every 5 s; the
	// client answers each echo request it receives.
	for k := range 5 {
		w.schedule(t0+sec(2+5*float64(k)), func() {
			x := s.espIn(ch, 84, noteIf(k == 0, "gateway ESP in UDP 4500 (echo request from the remote LAN)"))
			if x.ok {
				w.after(w.jitter(ms(0.2), ms(0.6)))
				s.espOut(ch, 84, noteIf(k == 0, "client's echo reply, raw protocol 50"))
			}
		})
	}
	w.runEvents()
	w.after(sec(3))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes",
		Encapsulation: "mixed", Passthrough: "yes",
		Failure:   "the client's ESP is raw protocol 50 on a NAT-T SA; it crosses only through passthrough and the gateway drops it",
		Catalogue: []string{"NT02", "NT01"}}
	return &story{
		summary: `NAT traversal is negotiated and IKE floats to UDP 4500, but the client's
kernel SA for outbound ESP was installed without UDP encapsulation (a
one-sided NAT-T failure, as in failure mode NT02). So the tunnel's ESP travels
two ways: the gateway's ESP in UDP 4500, the client's as raw IP protocol 50.
The raw ESP crosses the NAT only because IPsec passthrough is on, and then
the gateway drops it: its SA expects UDP-encapsulated ESP.`,
		natLabel: []string{"random public ports", "IPsec passthrough: on"},
		nat: fmt.Sprintf(`IKE and the gateway's ESP in UDP use the mapping %s -> %s. The client's raw ESP has no
ports; the NAT forwards it with passthrough, rewriting only the source address, and
remembers which inside host talks ESP to the gateway.`, a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: fmt.Sprintf(`Both captures show one IKE SA and two ESP SPIs: 0x%08x from the gateway, always in UDP 4500,
and 0x%08x from the client, always raw (protocol 50). The client's TCP SYN is retransmitted
through the tunnel with TCP's back-off (1, 2, 4, 8 s) and never answered; the echo requests
from the remote LAN reach the client and its replies leave, raw, and are never followed by
anything. The gateway is silent about it: it drops the raw ESP.`, ch.in.spi, ch.out.spi),
		why: `RFC 3948 fixes the encapsulation per SA once NAT-T is negotiated; a receiver does not accept
the other form (Linux: net/xfrm/xfrm_input.c compares the SA's encapsulation type with the
packet's and counts a mismatch as XfrmInStateMismatch). The raw half also depends on the NAT
passing protocol 50: with passthrough off it would die at the NAT instead of at the
gateway (failure modes NT01, NT02).`,
		fix: `Make the client install its outbound SA with UDP encapsulation (update the client; with
strongSwan check that the kernel interface supports NAT-T). Do not rely on passthrough.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP303", sevError, "the client's SA is raw protocol 50, the gateway's is in UDP 4500"),
		},
	}
}

// forcedEncapsulation: no NAT, but the initiator fakes NAT-D.
func forcedEncapsulation(w *world) *story {
	w.nat.Routed = true
	w.nat.Public = netip.MustParseAddr("198.51.100.2")
	w.lanAddr = netip.MustParseAddr("198.51.100.129")
	a := w.addHost("client", netip.MustParseAddr("198.51.100.140"), macClientA, true, 64)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.fakeSrc = true
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 3, "ESP in UDP without any NAT", true)
	s.transfer(ch, 4, "download through the tunnel")
	w.after(sec(5))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "none", NATT: "forced",
		Encapsulation: "udp", Passthrough: "no", Catalogue: []string{"NT12"}}
	return &story{
		summary: `There is no NAT: the client has a public address in a routed subnet and the
box between the captures is a plain router. The client is configured with
encap = yes (strongSwan), which forces UDP encapsulation: its
NAT_DETECTION_SOURCE_IP is the hash of a random IPv4 address with port 0,
so the gateway believes the client is behind a NAT. Both float to 4500 and
ESP is UDP-encapsulated, although nothing translates anything.`,
		natLabel: []string{"routes, no translation"},
		nat: `The router translates nothing: addresses and ports are equal in both captures. It
decrements the TTL and puts its own MAC addresses on the frames.`,
		wrong: `Nothing breaks; this is a configuration to recognise. The client's NAT_DETECTION_SOURCE_IP
does not match its own address in the inside capture either, which no NAT can explain (a
NAT acts only after the client). Its NAT_DETECTION_DESTINATION_IP and both of the gateway's
hashes match. IKE moves to 4500 and ESP travels in UDP with checksum zero. No keepalives: the
client is not behind a NAT by its own detection (strongSwan sends keepalives only for a
local NAT, not for a faked one).`,
		why: `strongSwan's encap = yes (ike_natd.c, build_natd_payload) replaces the source hash with one
of a random address so that the peer enables UDP encapsulation (RFC 7296 §2.23 lets NAT-D
decide it). failure mode NT12: a source-hash mismatch at the sender's own vantage point, with
identical tuples on both sides of the box, means forced encapsulation, not a NAT.`,
		fix: `Nothing to fix unless encapsulation is unwanted: remove encap = yes (strongSwan), encapsulation=yes
(libreswan) or the Windows AssumeUDPEncapsulationContextOnSendRule setting.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP312", sevInfo, "the client's NAT_DETECTION_SOURCE_IP matches no address although nothing translates it"),
		},
	}
}

// noNAT: the control case, one capture at the client.
func noNAT(w *world) *story {
	a := w.addHost("client", netip.MustParseAddr("198.51.100.23"), macClientA, true, 64)
	w.in.iface = a.mac
	w.lanAddr = netip.MustParseAddr("198.51.100.1")
	gw := w.gatewayHost()
	dns, web := w.resolverHost(), w.webHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.handshake(false)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(false)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 3, "raw ESP (protocol 50)", true)
	s.transfer(ch, 5, "download through the tunnel")
	w.after(sec(1))
	w.https(a, web, "www.example.com")
	w.after(sec(4))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	return &story{
		summary: `The control case. The client has a public address and reaches the gateway
through an ordinary router: no NAT anywhere. Both peers send NAT-D
notifies, all hashes match, neither floats (the client runs without
MOBIKE, which would otherwise move to 4500 anyway), and ESP travels as IP
protocol 50. One capture, taken on the client.`,
		natLabel: []string{"the client's default gateway"},
		wrong: `Nothing goes wrong. IKE_SA_INIT, IKE_AUTH and INFORMATIONAL all on UDP 500; every NAT-D hash
matches the captured addresses; raw ESP both ways; no keepalives.`,
		why: `RFC 7296 §2.23: when both NAT-D hashes match, there is no NAT between the peers and no
reason to encapsulate. (strongSwan floats to 4500 even without a NAT when both peers
support MOBIKE, RFC 4555; this client has MOBIKE disabled.)`,
		fix: `None needed.`,
		verdicts: []Verdict{{Tunnel: tunnelName("IKEv2", a, gw), NAT: "none", NATT: "no",
			Encapsulation: "raw", Passthrough: "no"}},
	}
}

// ikeOverTCP: UDP blocked upstream, fallback to RFC 9329.
// It is long because it reads as one script: the packets in the order
// they are sent, then the story told of them.
func ikeOverTCP(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	u := w.newIKE2(a, gw)
	u.vendor = false
	init := u.initRequest()
	t0 := w.now
	for k, d := range []float64{0, 0.5, 1.5, 3.5, 7.5} {
		w.schedule(t0+sec(d), func() { u.sendI(init, "IKE_SA_INIT request on UDP 500 (blocked beyond the NAT)", k) })
	}
	w.runEvents()
	w.at(t0 + sec(15.5))

	// The TCP round trip is the IKE helpers' shortest (22 ms) or less, so
	// that every response the story sends comes after its request arrived.
	rtt := w.jitter(ms(20), ms(21))
	f := w.dial(a, w.ephemeral(a), gw, pcaptest.PortNATT, rtt)
	s := w.newIKE2(a, gw)
	s.vendor = false
	s.tcp = f
	s.iport, s.rport = f.conn.Client.Port(), pcaptest.PortNATT
	w.after(w.jitter(ms(0.2), ms(1)))
	s.handshake(false)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	w.after(ms(40))
	f.ack(true)
	ch := s.newChild(false)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 3, "ESP record over TCP", true)
	s.transfer(ch, 4, "download through the tunnel")
	w.after(ms(40))
	f.ack(false)
	w.after(sec(4))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)
	w.after(ms(40))
	f.ack(true)
	w.after(ms(200))
	f.close()

	tcpPub := w.mapped(protoTCP, f.conn.Client)
	// Both attempts run between the same addresses: the initiator SPI
	// tells them apart.
	// The UDP attempt was never answered: the capture cannot tell how
	// the peers would have carried ESP over UDP.
	vu := Verdict{Tunnel: tunnelName("IKEv2", a, gw), SPIi: fmt.Sprintf("%016x", u.spii), NAT: "initiator", NATT: "no",
		Encapsulation: "none", Passthrough: "unknown",
		Failure:   "UDP is blocked beyond the NAT: IKE_SA_INIT on UDP 500 is never answered",
		Catalogue: []string{"NT03"}}
	vt := Verdict{Tunnel: tunnelName("IKEv2", a, gw), SPIi: fmt.Sprintf("%016x", s.spii), NAT: "initiator", NATT: "yes",
		Encapsulation: "tcp", Passthrough: "no"}
	return &story{
		summary: `The client sits behind a NAT on a network whose upstream firewall blocks
UDP (a hotel or corporate guest network). Its IKE_SA_INIT on UDP 500
crosses the NAT and disappears. The client (configured for TCP fallback,
like libreswan's enable-tcp=fallback) then opens a TCP connection to port
4500 and runs IKE and ESP inside it as RFC 9329 describes: the stream
starts with "IKETCP", and every IKE message and ESP packet is a record
with a 16-bit length prefix (IKE records also carry the non-ESP marker).`,
		natLabel: []string{"random public ports", "(UDP blocked upstream)"},
		nat: fmt.Sprintf(`The NAT translates the UDP attempt (%s -> %s) and the TCP connection (%s -> %s) like
any other flow. The UDP requests are in the outside capture: the drop happens beyond the
NAT.`, a.ap(500), w.mapped(protoUDP, a.ap(500)), f.conn.Client, tcpPub),
		wrong: fmt.Sprintf(`Five IKE_SA_INIT transmissions on UDP 500 (0, 0.5, 1.5, 3.5, 7.5 s) go unanswered; they
appear on both sides of the NAT, so the NAT is not the culprit. At 15.5 s a TCP connection
to port 4500 starts; a new IKE SA (SPIi %016x) completes IKE_SA_INIT and IKE_AUTH over it,
its NAT-D hashes (computed over the TCP addresses and ports) show the client behind a NAT,
and ESP (SPIs 0x%08x out, 0x%08x in) flows as TCP records. Nothing needs passthrough,
nothing uses UDP. (Wireshark 4.0 shows these segments as plain TCP data: its tcpencap
dissector does not recognise the RFC 9329 framing.)`, s.spii, ch.out.spi, ch.in.spi),
		why: `RFC 9329 exists for networks that block UDP or IPsec: IKE and ESP run over one TCP
connection, so any NAT and most firewalls let them through. The price is TCP-in-TCP
behaviour under loss. failure mode NT03 covers the blocked UDP; comparing captures shows the
block is upstream, not at the NAT.`,
		fix: `If UDP 500/4500 can be opened upstream, do so; otherwise TCP encapsulation is the working
fallback, and this tunnel works.`,
		verdicts: []Verdict{vu, vt},
		findings: []Finding{
			vu.expect("VP101", sevError, "the UDP IKE_SA_INIT is sent five times and never answered"),
			vu.expect("VP304", sevError, "UDP goes unanswered while the same gateway answers over TCP"),
		},
	}
}
