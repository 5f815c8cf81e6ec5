package samples

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

func tunnelName(v string, a, b *host) string { return fmt.Sprintf("%s %s - %s", v, a.addr, b.addr) }

// Severities of expected findings, as rules.Severity names them.
const (
	sevInfo    = "info"
	sevWarning = "warning"
	sevError   = "error"
)

// expect returns a finding vpnpcap must report about the tunnel of v.
func (v Verdict) expect(rule, severity, why string) Finding {
	return Finding{Rule: rule, Severity: severity, Tunnel: v.Tunnel, SPIi: v.SPIi, Why: why}
}

// onCaptures returns a finding vpnpcap must report about a capture
// (file), or about both captures (file empty).
func onCaptures(rule, severity, file, why string) Finding {
	return Finding{Rule: rule, Severity: severity, Capture: file, Why: why}
}

// nattOK: the reference for a working NAT-T tunnel.
func nattOK(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns, web := w.resolverHost(), w.webHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.certs = true
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 1180+w.rng.IntN(120))
	ch := s.newChild(true)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 3, "first ESP in UDP", true)
	s.transfer(ch, 6, "download through the tunnel")
	w.after(sec(2))
	w.dns(a, dns, "www.example.com", addrWeb)
	w.https(a, web, "www.example.com")
	s.keepalivesUntil(s.lastOut+sec(63), "NAT-T keepalive after 20 s without outbound traffic")
	s.pings(ch, 2, "traffic after the idle period", true)
	w.after(sec(3))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	ike, natt := w.mapped(protoUDP, a.ap(500)), w.mapped(protoUDP, a.ap(4500))
	return &story{
		summary: `A road-warrior client behind a home NAT builds an IKEv2 tunnel to a
strongSwan gateway. Both peers support NAT traversal: the NAT detection
notifies in IKE_SA_INIT show that the client's address was translated, both
peers move to UDP 4500 for IKE_AUTH, and all ESP travels UDP-encapsulated.
The client sends a keepalive after 20 s without outbound traffic, which
keeps the NAT mapping alive. This is the reference for a working NAT-T
tunnel; the client also resolves names and browses outside the tunnel
through the same NAT.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT translates the client's address to %s and draws a random public port for each new
flow: IKE from port 500 leaves from %s, and the port-4500 flow (IKE_AUTH, ESP in UDP,
keepalives) from %s. It has no IPsec passthrough and needs none: there is no raw ESP.`,
			w.nat.Public, ike, natt),
		wrong: fmt.Sprintf(`Nothing goes wrong. IKE_SA_INIT runs on port 500. In the response, the gateway's
NAT_DETECTION_DESTINATION_IP hash covers %s, which the client does not recognise as its own
address, so the client knows it is behind a NAT; the gateway finds the client's
NAT_DETECTION_SOURCE_IP hash (of %s) does not match the packet either. IKE_AUTH and everything
after it runs on port 4500 behind the non-ESP marker; ESP with SPI 0x%08x (client to gateway)
and 0x%08x (gateway to client) travels in UDP with checksum zero; keepalives (one octet 0xFF)
fill the silences. At the end the client deletes the IKE SA with an INFORMATIONAL exchange.`,
			ike, a.ap(500), ch.out.spi, ch.in.spi),
		why: `RFC 7296 §2.23: each peer recomputes the NAT-D hashes over the addresses it sees. A mismatch
of the destination hash means "I am behind a NAT": the client floats to port 4500,
UDP-encapsulates ESP (RFC 3948) and sends NAT-T keepalives (RFC 3948 §2.3; strongSwan
charon.keep_alive = 20s). As ESP travels in UDP, the NAT translates it like any other UDP
flow; IPsec passthrough plays no part: NAT-T makes ESP look like ordinary UDP.`,
		fix: `None needed.`,
		verdicts: []Verdict{{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes",
			Encapsulation: "udp", Passthrough: "no"}},
	}
}

// udp4500Blocked is the firewall rule of natt-port-blocked.
func udp4500Blocked(out bool, p *pcaptest.Packet) string {
	if out && p.Proto == pcaptest.ProtoUDP && p.DstPort == pcaptest.PortNATT {
		return "the NAT's firewall drops outbound UDP to port 4500 (only port 500 is allowed for IPsec)"
	}
	return ""
}

// nattPortBlocked: NAT detected, the float to 4500 dies at the NAT.
func nattPortBlocked(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.Filter = udp4500Blocked
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns, web := w.resolverHost(), w.webHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.handshake(true)
	req := s.request(pcaptest.V2IKEAuth, pcaptest.V2IDi, 420+w.rng.IntN(60))
	sends, giveUp := retransmits()
	t0 := w.now
	for k, d := range sends {
		w.schedule(t0+d, func() { s.sendI(req, "IKE_AUTH request to port 4500", k) })
	}
	// strongSwan sends keepalives from the moment it knows it is behind a
	// NAT, 20 s after the last message it generated.
	for k := t0 + 20*time.Second; k < t0+giveUp; k += 20 * time.Second {
		note := noteIf(k == t0+20*time.Second, "NAT-T keepalive (dropped like all UDP 4500)")
		w.schedule(k, func() { w.keepalive(a, a.ap(4500), gw.ap(4500), note) })
	}
	w.schedule(t0+sec(31), func() {
		w.dns(a, dns, "www.example.com", addrWeb)
		w.https(a, web, "www.example.com")
	})
	w.runEvents()
	w.at(t0 + giveUp + sec(2))
	w.dns(a, dns, "vpn.example.net", gw.addr)

	ike := w.mapped(protoUDP, a.ap(500))
	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes",
		Encapsulation: "none", Passthrough: "no",
		Failure:   "UDP 4500 dropped at the NAT: IKE_AUTH never reaches the gateway",
		Catalogue: []string{"NT03"}}
	return &story{
		summary: `The client and the gateway both support NAT traversal and detect the NAT in
IKE_SA_INIT, so the client moves to UDP 4500 for IKE_AUTH, as RFC 7296
§2.23 requires. The NAT's firewall, however, lets only UDP 500 out for
IPsec. IKE_AUTH leaves the client, is retransmitted with strongSwan's
back-off, never appears outside, and the client gives up: no IKE SA, no ESP.`,
		natLabel: []string{"random public ports", "firewall: UDP 4500 blocked"},
		nat: fmt.Sprintf(`The NAT translates IKE on port 500 to %s and forwards it. Its firewall drops every outbound
packet to UDP port 4500: the IKE_AUTH request, its five retransmissions and the client's
keepalives appear only in the inside capture. DNS and HTTPS pass as usual.`, ike),
		wrong: fmt.Sprintf(`IKE_SA_INIT completes on port 500 and its NAT-D hashes show the client is behind a NAT
(the gateway saw %s, not %s). The client sends IKE_AUTH (message ID 1) from port 4500
with the non-ESP marker and retransmits the same bytes after 4, 7.2, 12.96, 23.33 and
41.99 s (strongSwan: retransmit_timeout 4 s, retransmit_base 1.8, retransmit_tries 5). None
of them reaches the outside capture; no response comes. About 165 s after the first
IKE_AUTH the client deletes the half-open IKE SA.`, ike, a.ap(500)),
		why: `After NAT detection both peers must switch to port 4500 (RFC 7296 §2.23, RFC 3948 §2.2): a
firewall that allows only 500 lets the exchange start and kills it at the float. Comparing
the two captures locates the drop at the NAT: the requests are present inside, absent
outside (failure mode NT03).`,
		fix: `Allow UDP 4500 as well as UDP 500 between the client and the gateway (both directions,
stateful) on the NAT's firewall. Passthrough settings do not matter.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP101", sevError, "IKE_AUTH sent six times, never answered; none of it leaves the NAT"),
			v.expect("VP304", sevError, "the gateway answered on UDP 500, then nothing crosses on UDP 4500"),
		},
	}
}

// nattWithPassthrough: NAT-T and passthrough together, without conflict.
func nattWithPassthrough(w *world) *story {
	w.nat.Ports = pcaptest.PortPreserve
	w.nat.StaticIKEPort = true
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
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 3, "ESP in UDP", true)
	s.transfer(ch, 4, "download through the tunnel")
	s.keepalivesUntil(s.lastOut+sec(45), "NAT-T keepalive")
	s.pings(ch, 2, "traffic after the idle period", true)
	w.after(sec(2))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	return &story{
		summary: `An often-asked question: the client's firewall has "IPsec
passthrough" enabled while the VPN uses NAT traversal. Do they conflict?
Here they do not. IKEv2 detects the NAT, both peers float to UDP 4500, and
all ESP is UDP-encapsulated, so the NAT never sees a raw ESP packet to
"pass through". The passthrough feature is switched on and unused.`,
		natLabel: []string{"Linux-style: keeps ports", "IPsec passthrough: on"},
		nat: fmt.Sprintf(`The NAT keeps source ports where it can (Linux MASQUERADE behaviour, and its IPsec
passthrough keeps UDP 500 static): %s leaves as %s and %s as %s. IPsec passthrough
(ESP protocol 50 forwarding) is on, but no ESP packet ever reaches it: the table of
port-less state below stays empty.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: `Nothing goes wrong. Note that even though the ports are unchanged, the NAT-D hashes still
reveal the NAT: they cover the address too, and the gateway sees 198.51.100.7 where the
client hashed 192.168.1.23. The capture contains no IP protocol 50 at all.`,
		why: `NAT-T (RFC 3947/3948, RFC 7296 §2.23) makes ESP ordinary UDP, so the NAT treats it as a UDP
flow; passthrough only concerns raw ESP (and GRE). The two mechanisms are independent; a
conflict, where one exists, comes from an ALG that mishandles UDP 500/4500 (see
ike-alg-rewrite), not from passthrough as such.`,
		fix: `None needed. Passthrough may stay on or be switched off; the tunnel does not depend on it.`,
		verdicts: []Verdict{{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes",
			Encapsulation: "udp", Passthrough: "no"}},
	}
}

// ikeALGRewrite: an IKE ALG that keeps port 500 and rewrites SPIi.
// It is long because it reads as one script: the packets in the order
// they are sent, then the story told of them.
func ikeALGRewrite(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.StaticIKEPort = true
	w.nat.RewriteIKESPI = true
	w.nat.ESPPassthrough = true
	w.nat.UDPTimeout = 300 * time.Second
	a := w.linuxClient("client A", addrClientA)
	b := w.linuxClient("client B", addrClientB)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	sa := w.newIKE2(a, gw)
	sa.who = "client A: "
	sa.handshake(true)
	req := sa.request(pcaptest.V2IKEAuth, pcaptest.V2IDi, 400+w.rng.IntN(60))
	sends, giveUp := retransmits()
	t0 := w.now
	for k, d := range sends {
		w.schedule(t0+d, func() { sa.sendI(req, "IKE_AUTH request (original SPIi, port 4500)", k) })
	}
	for k := t0 + 20*time.Second; k < t0+giveUp; k += 20 * time.Second {
		note := noteIf(k == t0+20*time.Second, "client A: NAT-T keepalive")
		w.schedule(k, func() { w.keepalive(a, a.ap(4500), gw.ap(4500), note) })
	}
	sb := w.newIKE2(b, gw)
	sb.who = "client B: "
	tb := t0 + sec(6.2) + w.jitter(0, ms(400))
	w.schedule(tb-ms(20), func() { w.dns(b, dns, "vpn.example.net", gw.addr) })
	initB := sb.initRequest()
	for k, d := range sends {
		w.schedule(tb+d, func() { sb.sendI(initB, "IKE_SA_INIT request from port 500", k) })
	}
	w.runEvents()
	w.at(tb + giveUp + sec(1))

	rw := w.nat.SPIRewrites()
	alg := uint64(0)
	if len(rw) > 0 {
		alg = rw[0].Rewritten
	}
	va := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "none", Passthrough: "no",
		Failure:   "the NAT's IKE ALG rewrote the initiator SPI: NAT-D hashes and AUTH no longer match and the gateway ignores IKE_AUTH",
		Catalogue: []string{"NT15", "NT16"}}
	// Client B's IKE_SA_INIT never got an answer: how its ESP would
	// travel cannot be told.
	vb := Verdict{Tunnel: tunnelName("IKEv2", b, gw), NAT: "initiator", NATT: "no", Encapsulation: "none", Passthrough: "unknown",
		Failure:   "IKE_SA_INIT from port 500 dropped: the ALG keeps port 500 static and client A holds it towards this gateway",
		Catalogue: []string{"NT13"}}
	return &story{
		summary: `Two clients behind one NAT whose "IPsec passthrough" helper treats UDP 500
specially: it keeps source port 500 unchanged and replaces the IKE
initiator SPI in outbound IKE messages with one of its own, restoring it on
replies. Client A's IKE_SA_INIT crosses with a different SPIi outside than
inside (same nonce and KE bytes), which corrupts every NAT-D hash and
leaves the gateway knowing the IKE SA under an SPI the client has never
heard of. Client B cannot even start: its IKE from port 500 needs the same
public port 500 towards the same gateway, and the helper drops it.`,
		natLabel: []string{"IKE ALG: port 500 static,", "rewrites initiator SPI"},
		nat: fmt.Sprintf(`For client A the helper maps %s to %s (static port) and rewrites SPIi %016x to %016x
in the outbound IKE_SA_INIT, and back in the response. Port 4500 is translated like any
UDP flow (%s) and left untouched by the helper. Client B's IKE_SA_INIT from %s is
dropped: the public port 500 towards the gateway is taken by client A's mapping.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), sa.spii, alg, w.mapped(protoUDP, a.ap(4500)), b.ap(500)),
		wrong: fmt.Sprintf(`Client A: inside, IKE_SA_INIT carries SPIi %016x; outside the same message (same nonce,
same KE) carries %016x. The gateway computes its NAT-D hashes with the SPI it received,
the client with its own, so every NAT-D hash mismatches on the receiving side and both
peers conclude NATs everywhere and float to 4500. There, IKE_AUTH carries the original
SPIi, for which the gateway has no IKE SA: it drops the request without answering (RFC 7296
§2.21 permits silence), and the client retransmits until it gives up. Even with the SPI
right, AUTH would fail: it signs the IKE_SA_INIT message as sent, which the gateway received
altered. Client B: six IKE_SA_INIT transmissions inside, none outside.`, sa.spii, alg),
		why: `RFC 3715 §2 and failure mode NT15: an ALG that modifies IKE breaks the NAT-D hashes and the
AUTH payload, both of which cover the SPIs and the message bytes. NT13: keeping the source
port 500 static means only one inside host at a time can talk IKE to a given peer. The
rewrite is visible only by comparing the captures: match the messages by nonce and KE
data, which no NAT has a reason to touch, then compare the headers.`,
		fix: `Turn off the router's IPsec passthrough / IKE ALG (often labelled "IPsec passthrough" or
"ISAKMP helper"); plain NAPT with NAT-T works for any number of clients.`,
		verdicts: []Verdict{va, vb},
		findings: []Finding{
			va.expect("VP101", sevError, "client A's IKE_AUTH crosses the NAT six times and is never answered"),
			va.expect("VP107", sevError, "the same IKE_SA_INIT carries another initiator SPI outside"),
			va.expect("VP313", sevWarning, "UDP 500 keeps its port while UDP 4500 is translated to a random one"),
			vb.expect("VP101", sevError, "client B's IKE_SA_INIT sent six times, never answered"),
			vb.expect("VP106", sevError, "client B's IKE from port 500 is dropped while client A holds public port 500"),
		},
	}
}

// ikeFragmentsDropped: IKE_AUTH with certificates, fragmented, only the
// first fragment crosses.
func ikeFragmentsDropped(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.FirstFragmentOnly = true
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	s.fragR = false
	s.certs = true
	s.handshake(true)
	// IDi, CERT (a 1.5 KB RSA certificate), CERTREQ, AUTH (RSA-2048), IDr,
	// SA, TSi, TSr and notifies: about 2.3 KB of payloads.
	req := s.request(pcaptest.V2IKEAuth, pcaptest.V2IDi, 2280+w.rng.IntN(160))
	sends, giveUp := retransmits()
	t0 := w.now
	for k, d := range sends {
		w.schedule(t0+d, func() { s.sendI(req, "IKE_AUTH request with certificate", k) })
	}
	for k := t0 + 20*time.Second; k < t0+giveUp; k += 20 * time.Second {
		note := noteIf(k == t0+20*time.Second, "NAT-T keepalive")
		w.schedule(k, func() { w.keepalive(a, a.ap(4500), gw.ap(4500), note) })
	}
	w.runEvents()
	w.at(t0 + giveUp + sec(1))

	size := len(req.Marshal()) + 4 + 8 + 20
	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes",
		Encapsulation: "none", Passthrough: "no",
		Failure:   "IKE_AUTH is IP-fragmented and the NAT forwards only the first fragment; IKEv2 fragmentation was not negotiated",
		Catalogue: []string{"NT04", "NT05"}}
	return &story{
		summary: `A certificate-authenticated IKEv2 client behind a NAT. Its IKE_AUTH request
carries the client certificate and is larger than the 1500-octet MTU, so
the client's IP stack fragments it. The NAT forwards the first fragment,
which has the UDP header it can translate, and drops the second, which has
no ports. The gateway never gets a whole message. IKEv2 fragmentation
(RFC 7383), which would have avoided IP fragments, was not negotiated: the
gateway did not send IKEV2_FRAGMENTATION_SUPPORTED.`,
		natLabel: []string{"random public ports", "forwards first fragments only"},
		nat: fmt.Sprintf(`The NAT translates %s to %s. It does not reassemble: the first fragment of each IKE_AUTH
datagram carries the UDP header, so it is translated (its UDP checksum, which covers the
whole datagram, adjusted) and forwarded; the second fragment carries no ports to look up
and is dropped.`, a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: fmt.Sprintf(`IKE_SA_INIT: the client sends IKEV2_FRAGMENTATION_SUPPORTED (16430), the gateway does
not; both detect the NAT and float to 4500. IKE_AUTH is a %d-octet IP datagram, sent as two
fragments; only the first appears outside. The client retransmits the same message six times
in all (4, 7.2, 12.96, 23.33, 41.99 s back-off), each time as two fragments with a new IP
ID; the gateway never answers, and the client gives up after about 165 s. Keepalives, being
small, cross.`, size),
		why: `Non-first IP fragments carry no UDP header, so a NAT or firewall that does not reassemble
cannot map them (failure mode NT04; RFC 7383 §1 gives this as the reason for IKEv2
fragmentation). RFC 7383 needs IKEV2_FRAGMENTATION_SUPPORTED from both peers in
IKE_SA_INIT (§2.3); here one side lacks it (failure mode NT05), so the initiator has to send
the large message whole.`,
		fix: `Enable IKEv2 fragmentation on the gateway (strongSwan: fragmentation = yes, the default;
libreswan: fragmentation=yes) so that both peers announce it and the client sends SKF
fragments under 1280 octets; or make the NAT reassemble fragments; or use smaller
certificates (ECDSA).`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP101", sevError, "IKE_AUTH sent six times, never answered"),
			v.expect("VP104", sevError, "every IKE_AUTH is two IP fragments inside, the first fragment only outside"),
			v.expect("VP105", sevWarning, "only the client announced IKEV2_FRAGMENTATION_SUPPORTED"),
		},
	}
}

// natRebinding: an idle NAT-T tunnel without keepalives.
// It is long because it reads as one script: the packets in the order
// they are sent, then the story told of them.
func natRebinding(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.UDPTimeout = 30 * time.Second
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
	idleFrom := w.now
	oldPort := w.mapped(protoUDP, a.ap(4500))
	// No keepalives: the client runs with keep_alive = 0.
	w.at(idleFrom + sec(46) + w.jitter(0, ms(900)))
	for k := range 4 {
		x := s.espOut(ch, 84, noteIf(k == 0, "ping through the tunnel after 46 s of silence: new public port"))
		if x.ok {
			w.after(w.jitter(ms(24), ms(32)))
			s.espIn(ch, 84, noteIf(k == 0, "gateway's reply, sent to the old public port"))
		}
		w.after(sec(1) + w.jitter(0, ms(2)))
	}
	w.after(sec(3))
	req := s.request(pcaptest.V2Informational, 0, 0)
	resp := s.response(req, 0, 0)
	sends, _ := retransmits()
	for k, d := range sends[:4] {
		w.schedule(w.now+d, func() {
			x := s.sendI(req, "INFORMATIONAL request (liveness check) from the new port", k)
			if x.ok {
				w.after(w.jitter(ms(22), ms(30)))
				s.sendR(resp, "INFORMATIONAL response, sent to the old public port", k)
			}
		})
	}
	w.runEvents()
	w.after(sec(2))

	ports := w.mappedAll(protoUDP, a.ap(4500))
	newPort := oldPort
	if len(ports) > 1 {
		newPort = ports[len(ports)-1]
	}
	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes",
		Encapsulation: "udp", Passthrough: "no",
		Failure:   "NAT mapping expired during a silence without keepalives; the gateway keeps sending to the old public port",
		Catalogue: []string{"NT06", "NT08"}}
	return &story{
		summary: `A working NAT-T tunnel goes quiet for 46 s. The client sends no keepalives
(keep_alive = 0), and the NAT forgets UDP mappings after 30 s of silence.
When the client speaks again, the NAT creates a new mapping with a new
public port. The gateway keeps sending to the old port, where the NAT no
longer has a mapping: its packets appear outside and never inside.`,
		natLabel: []string{"random public ports", "UDP timeout 30 s"},
		nat: fmt.Sprintf(`The NAT first maps %s to %s. That mapping expires during the silence (UDP timeout 30 s);
the next outbound packet creates a new one, %s. Packets from the gateway to %s find no
mapping and are dropped.`, a.ap(4500), oldPort, newPort, oldPort),
		wrong: fmt.Sprintf(`The tunnel works for the first seconds. Then nothing is sent for 46 s: the inside capture
shows no keepalive. The next ESP packets (same SPI 0x%08x, sequence numbers continuing)
leave from public port %d instead of %d. The gateway answers ESP and the INFORMATIONAL
liveness check to port %d; those replies are in the outside capture only. The client keeps
retransmitting its INFORMATIONAL request, the gateway keeps retransmitting its response to
the dead port.`, ch.out.spi, newPort.Port(), oldPort.Port(), oldPort.Port()),
		why: `RFC 3948 §4 and §2.3: the NATed peer must keep the mapping alive with keepalives more often
than the NAT's timeout (strongSwan and libreswan default to 20 s). Once a mapping is lost
the NAT picks a new port, and a peer that does not follow the change (RFC 7296 §2.23 asks it
to update on authenticated packets; some gateways answer only the port they learned first,
failure mode NT08) sends into the void. failure mode NT06: look for silences longer than the
keepalive interval followed by the same SPI from a new public port.`,
		fix: `Enable NAT-T keepalives on the client with an interval below the NAT's UDP timeout
(strongSwan charon.keep_alive, default 20 s), or raise the NAT's UDP timeout; on the
gateway, follow port changes of authenticated traffic (MOBIKE or NAT mapping updates).`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP101", sevError, "the liveness check from the new port is retransmitted; its responses go to the old port"),
			v.expect("VP110", sevInfo, "the client's public port changed in the middle of the IKE SA"),
			v.expect("VP201", sevError, "the gateway's ESP to the old port reaches the outside capture and is dropped by the NAT"),
			v.expect("VP305", sevError, "46 s of silence without keepalives, then the same SPI from a new public port"),
			v.expect("VP308", sevError, "the gateway keeps sending ESP and IKE to the old public port"),
		},
	}
}

// portForward4500To500: the server's router forwards UDP 4500 to the
// server's port 500.
func portForward4500To500(w *world) *story {
	srvAddr := netip.MustParseAddr("192.168.1.10")
	srv := w.addHost("VPN server", srvAddr, macClientA, true, 64)
	w.nat.Ports = pcaptest.PortRandom
	w.nat.Forwards = []pcaptest.Forward{
		{Proto: pcaptest.ProtoUDP, Port: pcaptest.PortIKE, To: netip.AddrPortFrom(srvAddr, pcaptest.PortIKE)},
		// The typo: 4500 forwarded to the server's port 500.
		{Proto: pcaptest.ProtoUDP, Port: pcaptest.PortNATT, To: netip.AddrPortFrom(srvAddr, pcaptest.PortIKE)},
	}
	peer := w.addHost("branch router", netip.MustParseAddr("203.0.113.77"), nil, false, 52)
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(srv, dns, "pool.ntp.org", addrResolver)
	s := w.newIKE2(peer, srv)
	s.rAddr = w.nat.Public
	s.vendor = false
	s.handshake(true)
	req := s.request(pcaptest.V2IKEAuth, pcaptest.V2IDi, 380+w.rng.IntN(60))
	sends, giveUp := retransmits()
	t0 := w.now
	for k, d := range sends {
		w.schedule(t0+d, func() { s.sendI(req, "IKE_AUTH request to UDP 4500, forwarded to the server's port 500", k) })
	}
	for k := range 6 {
		w.schedule(t0+sec(9+float64(k)*15), func() { w.dns(srv, dns, "updates.example.org", addrWeb) })
	}
	w.runEvents()
	w.at(t0 + giveUp + sec(1))

	v := Verdict{Tunnel: tunnelName("IKEv2", peer, srv), NAT: "responder", NATT: "yes", Encapsulation: "none", Passthrough: "no",
		Failure:   "the router forwards UDP 4500 to the server's port 500, where IKE behind the non-ESP marker is rejected",
		Catalogue: []string{"NT10"}}
	return &story{
		summary: `The VPN server sits behind its office router, which forwards UDP 500 and
4500 from its public address to the server. The captures are taken on the
router's LAN and WAN sides. A branch router connects with IKEv2;
IKE_SA_INIT works, NAT detection shows the server behind a NAT, and the
branch router floats to UDP 4500. But the port forward for 4500 points at
the server's port 500, a typo: the server receives IKE_AUTH with the
four-octet non-ESP marker on port 500, reads the zeros as the start of the
IKE header, and drops the message.`,
		natLabel: []string{"port forwards:", "UDP 500 -> server:500", "UDP 4500 -> server:500 (typo)"},
		nat: fmt.Sprintf(`The router forwards UDP 500 to %s:500 and, by mistake, UDP 4500 to %s:500 as well. Its
other traffic (the server's DNS) is translated as usual.`, srvAddr, srvAddr),
		wrong: fmt.Sprintf(`IKE_SA_INIT (SPIi %016x) is answered from port 500; the server's NAT_DETECTION_SOURCE_IP is the
hash of %s:500, so the branch router knows the server is behind a NAT and moves to port
4500. Outside, its IKE_AUTH goes to %s:4500 with the non-ESP marker, as RFC 3948 requires.
Inside, the same datagram arrives at the server's port 500: the marker, four zero octets,
sits where the server expects the initiator SPI. strongSwan logs "unsupported IKE version"
or "invalid IKE header" and drops it; the branch router retransmits IKE_AUTH five times
and gives up.`, s.spii, srvAddr, w.nat.Public),
		why: `RFC 3948 §2.2: the non-ESP marker belongs on the NAT-T port only, where it tells IKE from
ESP; on port 500 a receiver reads it as part of the IKE header (failure mode NT10;
strongSwan issue #861 shows the log line). The port forward sends NAT-T traffic to the
IKE port.`,
		fix:      `Correct the port forward: UDP 4500 to the server's UDP 4500.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP101", sevError, "IKE_AUTH retransmitted five times, never answered"),
			v.expect("VP310", sevError, "inside, IKE with the non-ESP marker arrives on the server's port 500"),
		},
	}
}
