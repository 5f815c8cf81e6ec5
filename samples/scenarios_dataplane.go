package samples

import (
	"fmt"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// espLossReorderUpstream: the gateway's ESP arrives at the NAT with gaps
// and out of order; the NAT is not to blame.
// It is long because it reads as one script: the packets in the order
// they are sent, then the story told of them.
func espLossReorderUpstream(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 2, "ESP in UDP", true)

	// A download: the gateway sends 48 full-size segments. On the way to
	// the NAT the access line loses some and its link bonding swaps a few
	// neighbours.
	lost := map[int]bool{9: true, 22: true, 23: true, 37: true}
	swapped := map[int]bool{14: true, 30: true} // sent after the next one
	s.espOut(ch, 60, "download request through the tunnel")
	w.after(w.jitter(ms(24), ms(34)))
	var held *SPISeq
	var lostSeqs, swappedSeqs []uint32
	for k := 1; k <= 48; k++ {
		ss := ch.in.next()
		switch {
		case lost[k]:
			lostSeqs = append(lostSeqs, ss.Seq)
			continue
		case swapped[k]:
			held = ss
			swappedSeqs = append(swappedSeqs, ss.Seq)
			continue
		}
		note := noteIf(k == 1, "download through the tunnel (ESP in UDP from the gateway)")
		w.espSeq(gw, gw.ap(pcaptest.PortNATT), s.peer, true, ss, 1300+w.rng.IntN(60), note)
		w.after(w.jitter(ms(0.2), ms(1.5)))
		if held != nil {
			w.espSeq(gw, gw.ap(pcaptest.PortNATT), s.peer, true, held, 1300+w.rng.IntN(60),
				fmt.Sprintf("sequence number %d, after %d: reordered before the NAT", held.Seq, ss.Seq))
			held = nil
			w.after(w.jitter(ms(0.2), ms(1.5)))
		}
		if k%2 == 0 {
			s.espOut(ch, 52, "")
			w.after(w.jitter(ms(0.02), ms(0.08)))
		}
	}
	w.after(sec(2))
	s.pings(ch, 2, "ping after the download", true)
	w.after(sec(2))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no",
		Catalogue: []string{"NT22"}}
	return &story{
		summary: `A working NAT-T tunnel over a poor access line. During a download the
gateway's ESP reaches the NAT with sequence numbers missing and, twice, two
neighbours swapped: the line loses packets and its link bonding reorders
them. Both captures show exactly the same gaps and the same order, so the
loss and the reordering happened before the NAT: the NAT forwards every
packet it gets, in order.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and forwards every packet of the tunnel, in the order it gets
them.`, a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: fmt.Sprintf(`The download's ESP (SPI 0x%08x, from the gateway) misses sequence numbers %s in both
captures; sequence numbers %s arrive one packet late, after their successors, in both
captures. TCP inside the tunnel retransmits; the receiver's anti-replay window (64 packets
here) still accepts the late ones.`, ch.in.spi, seqList(lostSeqs), seqList(swappedSeqs)),
		why: `RFC 4303 §3.3.3: the sender numbers every packet of an SA one above the last, and no NAT
changes the number, so a gap seen in both captures is loss before the first of them
(failure mode NT22 places loss by comparing the captures). Numbers at or below the highest
already seen are duplicates or reordering (RFC 4303 §3.4.3).`,
		fix: `Nothing on the NAT. Look at the access line (line errors, the bonding or load balancing of
the provider's links); widen the replay window if reordering persists.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP202", sevWarning, "the gateway's ESP misses sequence numbers already in the outside capture"),
			v.expect("VP203", sevWarning, "two packets of the gateway's ESP arrive after their successors"),
		},
	}
}

// seqList writes sequence numbers as "9, 22, 23".
func seqList(s []uint32) string {
	out := ""
	for i, n := range s {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(n)
	}
	return out
}

// captureMidSession: both captures start after an IPsec tunnel and a PPTP
// call came up.
func captureMidSession(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.PPTPHelper = true
	a := w.linuxClient("client A", addrClientA)
	b := w.linuxClient("client B", addrClientB)
	gw := w.gatewayHost()
	srv := w.pptpHost()
	dns := w.resolverHost()

	// Before the captures: client A's IKEv2 tunnel and client B's PPTP
	// call come up.
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	s.pings(ch, 20, "", true)
	w.dns(b, dns, "pptp.example.net", srv.addr)
	p := w.newPPTP(b, srv, uint16(w.rng.IntN(0x4000))+0x100, "client B: ")
	p.open()
	p.negotiate()
	p.data(12, "")

	// The captures start now, on both sides.
	t0 := w.now + sec(1.5)
	w.in.from, w.out.from = t0, t0
	w.at(t0 + ms(200))
	for k := range 8 {
		w.schedule(t0+sec(0.4+2.5*float64(k)), func() {
			s.pings(ch, 1, noteIf(k == 0, "client A: ESP in UDP of a tunnel set up before the capture"), true)
		})
		w.schedule(t0+sec(1.1+2.5*float64(k)), func() {
			p.data(1, noteIf(k == 0, "client B: GRE of a call set up before the capture"))
		})
	}
	w.runEvents()
	s.keepalivesUntil(w.now+sec(25), "client A: NAT-T keepalive")
	w.after(sec(1))

	return &story{
		summary: `Two VPNs are up behind the NAT: client A's IKEv2 tunnel with NAT-T and
client B's PPTP call. The captures on both sides of the NAT start only
afterwards, so they hold the data (ESP in UDP, enhanced GRE, keepalives)
but none of the negotiation: no IKE and no PPTP control messages. vpnpcap
can say what the traffic is, not how the tunnels were set up, and must not
invent a verdict.`,
		natLabel: []string{"random public ports", "PPTP helper: on"},
		nat: fmt.Sprintf(`The NAT keeps the mappings it made before the captures: %s -> %s for client A's NAT-T
traffic, and GRE state for client B's call (from its Outgoing-Call-Request, also before
the captures).`, a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: fmt.Sprintf(`Nothing goes wrong on the network. The captures start %.1f s after client B's call came up:
ESP in UDP with SPIs 0x%08x and 0x%08x, whose sequence numbers start above 1, keepalives,
and GRE with call IDs %d and %d. There is no IKE_SA_INIT, no IKE_AUTH, no
Outgoing-Call-Request: nothing that ties the traffic to a negotiation, and nothing to base
a NAT-T or passthrough verdict on.`, sec(1.5).Seconds(), ch.out.spi, ch.in.spi, p.scid, p.ccid),
		why: `RFC 4303 §3.3.3: an SA's first packet has sequence number 1, so higher first numbers prove
the SA was negotiated before the capture. RFC 2637 §4.1: the GRE key is the receiver's call
ID, which only the control connection on TCP 1723 relates to a call.`,
		fix: `Capture from before the tunnels come up (restart them while capturing), with a filter that
includes UDP 500 and 4500, ESP and TCP 1723 with GRE.`,
		findings: []Finding{
			onCaptures("VP208", sevInfo, "inside.pcap", "client A's ESP SAs have no IKE negotiation in either capture"),
			onCaptures("VP405", sevInfo, "inside.pcap", "client B's GRE without its PPTP control connection, inside"),
			onCaptures("VP405", sevInfo, "outside.pcap", "the same GRE outside"),
		},
	}
}

// passthroughSPIMatching: two raw-ESP clients through a passthrough that
// tells their SAs apart by SPI; it works, for now.
// It is long because it reads as one script: the packets in the order
// they are sent, then the story told of them.
func passthroughSPIMatching(w *world) *story {
	w.nat.Ports = pcaptest.PortPreserve
	w.nat.ESPPassthrough = true
	w.nat.ESPSPIMatching = true
	a := w.linuxClient("client A", addrClientA)
	b := w.linuxClient("client B", addrClientB)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	sa := w.newIKE1(a, gw)
	sa.who = "client A: "
	sa.vidsI, sa.vidsR = vidsNoNATT, vidsNoNATT
	sa.mainMode(true)
	sa.quickMode()
	aOut, aIn := sa.newSAs()
	t0 := w.now + w.jitter(ms(40), ms(90))
	for k := range 14 {
		w.schedule(t0+sec(2*float64(k)), func() {
			x := sa.espOut(aOut, 84, noteIf(k == 0, "client A: raw ESP (ping through the tunnel)"))
			if x.ok {
				w.after(w.jitter(ms(24), ms(32)))
				sa.espIn(aIn, 84, noteIf(k == 0, "client A: ping reply, matched to client A by its SPI"))
			}
		})
	}
	sb := w.newIKE1(b, gw)
	sb.who = "client B: "
	sb.vidsI, sb.vidsR = vidsNoNATT, vidsNoNATT
	var bOut, bIn *esa
	tb := t0 + sec(7.3)
	w.schedule(tb, func() {
		w.dns(b, dns, "vpn.example.net", gw.addr)
		sb.mainMode(true)
		sb.quickMode()
		bOut, bIn = sb.newSAs()
	})
	for k := range 10 {
		w.schedule(tb+sec(1.5+2*float64(k)), func() {
			x := sb.espOut(bOut, 84, noteIf(k == 0, "client B: raw ESP (ping through the tunnel)"))
			if x.ok {
				w.after(w.jitter(ms(24), ms(32)))
				sb.espIn(bIn, 84, noteIf(k == 0, "client B: ping reply, matched to client B by its SPI"))
			}
		})
	}
	w.runEvents()
	w.after(sec(2))
	sb.deleteSA()
	w.after(sec(1))
	sa.deleteSA()

	va := Verdict{Tunnel: tunnelName("IKEv1", a, gw), NAT: "initiator", NATT: "no", Encapsulation: "raw", Passthrough: "yes",
		Catalogue: []string{"NT01"}}
	vb := Verdict{Tunnel: tunnelName("IKEv1", b, gw), NAT: "initiator", NATT: "no", Encapsulation: "raw", Passthrough: "yes",
		Catalogue: []string{"NT01"}}
	return &story{
		summary: `The clients of passthrough-collision, behind a better NAT: its IPsec
passthrough matches inbound ESP to clients by SPI. It binds each new
inbound SPI from the gateway to the inside host whose new outbound SA to
the gateway began last. Both clients' tunnels work. They work as long as
the two clients never start SAs at the same moment: a simultaneous rekey,
or two clients dialling at once, and the guess goes wrong.`,
		natLabel: []string{"Linux-style: keeps ports", "IPsec passthrough with", "SPI matching"},
		nat: fmt.Sprintf(`IKE: client A keeps %s -> %s; client B's port 500 is taken and becomes %s. ESP: outbound
with the source address rewritten to %s; each inbound SPI the gateway uses for the first
time goes to the inside host that most recently began a new outbound SA to it, and stays
with it: 0x%08x to client A, 0x%08x to client B.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), w.mapped(protoUDP, b.ap(500)), w.nat.Public, aIn.spi, spiOf(bIn)),
		wrong: fmt.Sprintf(`Nothing goes wrong here. Outside, both clients' ESP comes from and goes to %s; inside, each
inbound SPI reaches the client that negotiated it. The NAT got it right because client B's
first outbound ESP came 7 s after client A's, and each client spoke first.`, w.nat.Public),
		why: `RFC 3715 §2.3: raw ESP has no ports, and the SPIs are chosen in encrypted Quick Mode; a
NAT that passes raw ESP for several clients must guess which inbound SPI is whose, here
from timing (failure mode NT14 when the guess fails, see passthrough-collision). Each
tunnel depends on that passthrough (NT01).`,
		fix: `Works, but only by the NAT's guess: enable NAT traversal on the clients and the gateway
(RFC 3947), so that each client's ESP travels in UDP 4500 with its own port mapping.`,
		verdicts: []Verdict{va, vb},
		findings: []Finding{
			onCaptures("VP206", sevWarning, "inside.pcap", "two clients send raw ESP to one gateway through one public address"),
			va.expect("VP301", sevWarning, "client A's raw ESP depends on passthrough"),
			vb.expect("VP301", sevWarning, "client B's raw ESP depends on passthrough"),
		},
	}
}

// nattNotFloated: NAT-T negotiated and the NAT detected, but the client
// neither floats nor encapsulates.
func nattNotFloated(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE1(a, gw)
	s.vidsI, s.vidsR = [][]byte{pcaptest.VIDRFC3947, pcaptest.VIDDPD}, vidsStrongSwanR
	s.natdI, s.natdR = pcaptest.V1NATD, pcaptest.V1NATD
	s.mainMode(false)
	s.quickMode()
	out, in := s.newSAs()
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(out, in, 8, "raw ESP despite NAT-T, dropped at the NAT", true)
	w.after(sec(10))
	s.dpd("dead peer detection: IKE still works, on port 500")
	w.after(sec(2))
	s.deleteSA()

	v := Verdict{Tunnel: tunnelName("IKEv1", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "raw", Passthrough: "yes",
		Failure:   "NAT-T was negotiated and the NAT detected, but the client stays on port 500 and sends raw ESP, which the NAT drops",
		Catalogue: []string{"NT02", "NT01"}}
	return &story{
		summary: `An old IKEv1 client (Openswan 2.4 on a kernel whose IPsec stack lacks
NAT-T support) announces RFC 3947 NAT traversal, exchanges NAT-D with the
gateway and so learns it is behind a NAT, and then does not act on it: it
stays on UDP 500 for Main Mode 5 and everything after, and its ESP goes
out as raw IP protocol 50. The gateway, seeing no float, stays on port 500
too. The NAT has no IPsec passthrough and drops the raw ESP.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`IKE is translated like any UDP flow (%s -> %s). Raw ESP is dropped: the NAT has no
passthrough, and has no reason to need one for peers that negotiated NAT-T.`, a.ap(500), w.mapped(protoUDP, a.ap(500))),
		wrong: fmt.Sprintf(`Main Mode 1 and 2 carry the RFC 3947 Vendor ID on both sides; the NAT-D payloads of Main
Mode 3 and 4 show the client's address translated. RFC 3947 §4 now has the client move to
port 4500 for Main Mode 5; it sends Main Mode 5, Quick Mode and the DPD exchange on port
500, without the non-ESP marker, and ESP SPI 0x%08x as raw protocol 50. The ESP is in the
inside capture only; IKE works on both sides.`, out.spi),
		why: `RFC 3947 §4 and RFC 3948: once NAT-D shows a NAT, the initiator floats to UDP 4500 and
both peers UDP-encapsulate ESP. A peer that negotiates NAT-T but cannot encapsulate leaves
its ESP raw (failure mode NT02, Openswan issue #114, "i am NATed" with no encapsulation),
and raw ESP crosses a NAT only with passthrough (NT01), which this one does not have.`,
		fix: `Update the client to an IPsec stack with UDP encapsulation (any current Linux kernel with
strongSwan or libreswan). Passthrough on the NAT would hide the fault for one client.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP204", sevError, "the client's raw ESP never leaves the NAT, nothing comes back"),
			v.expect("VP301", sevWarning, "raw ESP through a NAT: only passthrough could carry it"),
			v.expect("VP302", sevError, "NAT-T negotiated and the NAT detected, yet no float and raw ESP"),
		},
	}
}

// nattKeepaliveOff: a NAT-T tunnel idle longer than a strict NAT's UDP
// timeout, without keepalives, survives only thanks to this NAT's long one.
func nattKeepaliveOff(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.UDPTimeout = 180 * time.Second
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 3, "ESP in UDP", true)
	s.transfer(ch, 4, "download through the tunnel")
	// keep_alive = 0: 52 s of silence, then traffic again on the same
	// mapping.
	w.after(sec(52) + w.jitter(0, ms(600)))
	s.pings(ch, 3, "ping after 52 s of silence: same public port, answered", true)
	w.after(sec(2))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no",
		Catalogue: []string{"NT06"}}
	return &story{
		summary: `The client of nat-rebinding, with keepalives still off (keep_alive = 0),
behind a NAT that keeps idle UDP mappings for 180 s. The tunnel falls
silent for 52 s; the mapping survives and the tunnel carries on. Behind a
NAT with a 30 s timeout, common on home routers and carrier NATs, the same
silence would have broken it, as in nat-rebinding.`,
		natLabel: []string{"random public ports", "UDP timeout 180 s"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and keeps the mapping through the silence.`,
			a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: `Nothing breaks in these captures. After the download nothing crosses for 52 s: no ESP, no IKE,
no keepalive (one octet 0xFF) from the client. Then the client pings again from the same
public port and the gateway answers.`,
		why: `RFC 3948 §4 and §2.3: the peer behind the NAT sends keepalives so that the mapping never
idles out; strongSwan and libreswan default to 20 s. Without them the tunnel depends on the
NAT's UDP timeout, which vpnpcap assumes to be 30 s unless told (--nat-udp-timeout):
failure mode NT06 waiting to happen.`,
		fix:      `Enable NAT-T keepalives on the client (strongSwan charon.keep_alive = 20s, the default).`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP306", sevWarning, "52 s idle without keepalives, longer than a 30 s NAT timeout"),
		},
	}
}

// ikeESPSplitMapping: an IPsec ALG maps the client's ESP-in-UDP apart
// from its IKE.
func ikeESPSplitMapping(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.SplitESPInUDP = true
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 6, "client ESP in UDP 4500: a mapping of its own", true)
	s.keepalivesUntil(s.lastOut+sec(21), "NAT-T keepalive: on the IKE mapping")
	s.pings(ch, 4, "ping after the keepalive", true)
	w.after(sec(3))
	s.informational("INFORMATIONAL (liveness check)", 0)
	w.after(sec(2))

	ms := w.mappedAll(protoUDP, a.ap(4500))
	ike, esp := ms[0], ms[0]
	if len(ms) > 1 {
		esp = ms[1]
	}
	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no",
		Failure:   "the NAT maps the client's ESP-in-UDP to another public port than its IKE; the gateway's ESP to the IKE port is dropped",
		Catalogue: []string{"NT07"}}
	return &story{
		summary: `NAT traversal works as far as IKE goes: NAT detected, float to 4500,
IKE_AUTH answered. But the router's "VPN passthrough" ALG treats
ESP-in-UDP apart from IKE: the client's ESP from its UDP 4500 socket gets
a mapping of its own, with another public port, and the ALG accepts the
gateway's ESP only on that one. The gateway sends its ESP where IKE came
from, as RFC 3948 has it, and the ALG drops every packet: the client's
pings leave, nothing comes back.`,
		natLabel: []string{"random public ports", "IPsec ALG: separate", "mapping for ESP-in-UDP"},
		nat: fmt.Sprintf(`The NAT maps %s to %s for IKE and keepalives, and, for ESP-in-UDP from the same socket,
to %s. Inbound ESP-in-UDP to %s is dropped: the ALG wants it on %s, where the gateway never
sends.`, a.ap(4500), ike, esp, ike, esp),
		wrong: fmt.Sprintf(`Inside, IKE, keepalives and ESP (SPI 0x%08x) all leave %s. Outside, IKE and keepalives come
from %s and the same ESP from %s. The gateway answers IKE on %s, and sends its ESP (SPI
0x%08x) there too; none of it appears inside. The liveness check at the end is answered:
IKE is fine, ESP is one-way.`, ch.out.spi, a.ap(4500), ike, esp, ike, ch.in.spi),
		why: `RFC 3948 §2: IKE and ESP of an SA share one UDP port pair, so that one NAT mapping carries
both; the peer learns the port from IKE. An ALG that makes two mappings for one inside
endpoint splits them (failure mode NT07, libreswan issue #2012).`,
		fix: `Turn off the router's IPsec/VPN passthrough ALG; plain NAPT with an endpoint-independent
mapping (RFC 4787 §4.1) keeps IKE and ESP on one public port.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP204", sevError, "inside, the client's ESP gets no answer; outside, the gateway's ESP is dropped by the NAT"),
			v.expect("VP307", sevError, "IKE and ESP from the client's one socket leave from two public ports"),
		},
	}
}

// transportModeWithoutNATOA: L2TP/IPsec in UDP-encapsulated transport mode
// across a NAT, without NAT-OA; the captures are stored decrypted.
func transportModeWithoutNATOA(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("L2TP client", addrClientA)
	gw := w.addHost("L2TP/IPsec server", addrGateway, nil, false, 55)
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE1(a, gw)
	s.vidsI, s.vidsR = [][]byte{pcaptest.VIDRFC3947, pcaptest.VIDDraft02N}, vidsStrongSwanR
	s.natdI, s.natdR = pcaptest.V1NATD, pcaptest.V1NATD
	s.clear = true
	s.mainMode(true)
	out, in := s.quickModeDecrypted(pcaptest.EncapUDPTransport)
	w.after(w.jitter(ms(40), ms(90)))
	// L2TP control (SCCRQ, SCCRP …) and PPP inside the transport-mode SA.
	for k := range 8 {
		s.espOut(out, 60+w.rng.IntN(80), noteIf(k == 0, "L2TP over ESP in UDP, transport mode"))
		w.after(w.jitter(ms(24), ms(32)))
		s.espIn(in, 60+w.rng.IntN(80), noteIf(k == 0, "L2TP reply"))
		w.after(w.jitter(ms(300), ms(900)))
	}
	s.keepalivesUntil(s.lastOut+sec(21), "NAT-T keepalive")
	w.after(sec(1))
	s.deleteSA()

	v := Verdict{Tunnel: tunnelName("IKEv1", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no",
		Catalogue: []string{"NT20"}}
	return &story{
		summary: `An embedded L2TP/IPsec client behind a NAT negotiates RFC 3947 NAT
traversal and a UDP-encapsulated transport-mode SA for L2TP, but sends no
NAT-OA payloads in Quick Mode. In transport mode the L2TP packets' UDP
checksum covers the client's private address, which the NAT rewrote in
the outer header; a receiver that checks inner checksums needs the
original address from NAT-OA to fix them. This Linux server does not check
them and the tunnel works; another server would drop every packet.
For this sample the IKE messages from Main Mode 5 on are stored decrypted,
as a capture re-written with the peers' IKE keys shows them: in a raw
capture Quick Mode is encrypted, and neither the encapsulation mode nor
the missing NAT-OA can be seen.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and %s to %s.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: fmt.Sprintf(`Main Mode detects the NAT and the client floats to 4500. Quick Mode 1 proposes ESP
(AES-128, HMAC-SHA1) in encapsulation mode 4, UDP-Encapsulated-Transport, for UDP port 1701
between %s and %s, SPI 0x%08x; the server accepts with SPI 0x%08x. Neither Quick Mode message
carries a NAT-OA payload (type 21). L2TP then flows in ESP in UDP both ways.`, a.addr, gw.addr, in.spi, out.spi),
		why: `RFC 3947 §5.2: in transport mode each peer sends its original address in NAT-OA so that
the receiver can incrementally fix the TCP and UDP checksums of the decapsulated packets
(RFC 3948 §3.1.2); a receiver may instead skip the check, as Linux does for
UDP-encapsulated transport mode. Without NAT-OA the tunnel depends on that choice (failure
mode NT20).`,
		fix: `Update the client so that it sends NAT-OA, or use tunnel mode (IKEv2 instead of
L2TP/IPsec) across NATs.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP314", sevWarning, "Quick Mode proposes UDP-encapsulated transport mode across the NAT without NAT-OA"),
		},
	}
}

// espFragmentsDropped: full-size packets through the tunnel make ESP-in-UDP
// longer than the MTU; the NAT forwards only first fragments.
func espFragmentsDropped(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.FirstFragmentOnly = true
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 4, "small packets cross: ping through the tunnel", true)
	// A download: the server behind the gateway sends 1500-octet
	// segments (the client's MSS is not clamped); in ESP in UDP they are
	// 1572-octet datagrams, which the gateway fragments.
	s.espOut(ch, 60, "download request through the tunnel")
	w.after(w.jitter(ms(24), ms(34)))
	for round := range 4 {
		for k := range 4 - round/2 {
			note := noteIf(round == 0 && k == 0, "full-size segment: ESP in UDP of 1572 octets, IP-fragmented by the gateway")
			if round > 0 && k == 0 {
				note = "retransmission of the first segment"
			}
			s.espIn(ch, 1500, note)
			w.after(w.jitter(ms(0.2), ms(1)))
		}
		s.espOut(ch, 52, "")
		w.after(sec(float64(int(1)<<round)) + w.jitter(ms(200), ms(300)))
	}
	s.pings(ch, 2, "pings still cross", true)
	// The user gives up on the download and keeps the tunnel up a while.
	s.keepalivesUntil(w.now+sec(41), "NAT-T keepalive")
	s.pings(ch, 2, "", true)
	w.after(sec(2))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no",
		Failure:   "the gateway's IP-fragmented ESP-in-UDP loses its second fragments at the NAT: large packets never arrive",
		Catalogue: []string{"NT22"}}
	return &story{
		summary: `A NAT-T tunnel where pings work and downloads hang. The server behind the
gateway sends full-size TCP segments of 1500 octets (the client's MSS is
not clamped); with ESP and UDP around them they no longer fit the 1500-octet
MTU, and the gateway fragments them. The NAT, which does not reassemble,
forwards the first fragment of each datagram (it has the UDP header) and
drops the second. The client gets nothing it can reassemble; small
packets keep crossing.`,
		natLabel: []string{"random public ports", "forwards first fragments only"},
		nat: fmt.Sprintf(`The NAT translates %s to %s. Inbound, the first fragment of each large datagram carries the
UDP header and is translated and forwarded; the second carries no ports and is dropped.`,
			a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: fmt.Sprintf(`Outside, the gateway's ESP (SPI 0x%08x) arrives whole: the large packets in two fragments
each, which the outside capture reassembles. Inside, each large packet is a lone first
fragment that never completes; its ESP sequence number is missing inside. The client
acknowledges only what it got; the server retransmits the first segment with TCP's
back-off, each time as two fragments, each time lost.`, ch.in.spi),
		why: `RFC 791 §2.3: only the first fragment carries the transport header, so a NAT that maps by
port and does not reassemble cannot forward the rest. ESP loss at the NAT shows as sequence
numbers present outside and missing inside (failure mode NT22); the datagrams stuck
incomplete inside point at the fragments.`,
		fix: `Clamp the TCP MSS in the tunnel (strongSwan: charon.plugins.kernel-netlink.mss, or an
iptables TCPMSS rule) or lower the tunnel MTU so that ESP-in-UDP fits 1500 octets; or make
the NAT reassemble fragments.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP201", sevError, "the gateway's large ESP packets reach the outside capture whole and never arrive inside"),
			onCaptures("VP906", sevWarning, "inside.pcap", "inside, the large datagrams are first fragments that never complete"),
		},
	}
}
