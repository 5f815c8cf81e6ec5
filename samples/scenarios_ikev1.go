package samples

import (
	"fmt"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// strongSwan's IKEv1 Main Mode Vendor IDs as initiator and as responder.
var (
	vidsStrongSwanI = [][]byte{pcaptest.VIDXAuth, pcaptest.VIDDPD, pcaptest.VIDRFC3947, pcaptest.VIDDraft03, pcaptest.VIDDraft02N, pcaptest.VIDDraft02}
	vidsStrongSwanR = [][]byte{pcaptest.VIDXAuth, pcaptest.VIDDPD, pcaptest.VIDRFC3947}
	vidsNoNATT      = [][]byte{pcaptest.VIDDPD}
)

func (s *ike1) newSAs() (out, in *esa) {
	return &esa{spi: s.w.newSPI()}, &esa{spi: s.w.newSPI()}
}

// nattOKIKEv1: RFC 3947 NAT-T with Main and Quick Mode.
func nattOKIKEv1(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE1(a, gw)
	s.vidsI, s.vidsR = vidsStrongSwanI, vidsStrongSwanR
	s.natdI, s.natdR = pcaptest.V1NATD, pcaptest.V1NATD
	s.mainMode(true)
	s.quickMode()
	out, in := s.newSAs()
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(out, in, 4, "first ESP in UDP", true)
	s.keepalivesUntil(s.lastOut+sec(62), "NAT-T keepalive after 20 s without outbound traffic")
	s.pings(out, in, 3, "traffic after the idle period", true)
	w.after(sec(2))
	s.deleteSA()

	return &story{
		summary: `The IKEv1 version of natt-ok. A client behind a NAT runs Main Mode (six
messages) and Quick Mode (three) with a gateway. Both announce RFC 3947
NAT traversal with Vendor IDs in the first two messages, exchange NAT-D
payloads (type 20) in MM3 and MM4, find the client behind a NAT and float:
MM5 and everything after it runs on UDP 4500 behind the non-ESP marker. ESP
is UDP-encapsulated both ways; the client sends keepalives.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and %s to %s. There is no raw ESP to forward.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: fmt.Sprintf(`Nothing goes wrong. What is visible in clear: MM1 and MM2 (the Phase 1 SA proposal: AES-CBC,
SHA-1, pre-shared key, MODP-2048; and the Vendor IDs: the client offers RFC 3947 and the
draft-03/-02 variants, the gateway answers with RFC 3947), MM3 and MM4 (KE, nonce and two NAT-D
hashes each: first the receiver's address, then the sender's, hashed with SHA-1 as
negotiated). From MM5 on everything is encrypted: the Quick Mode proposal, which carries
the encapsulation mode UDP-Encapsulated-Tunnel (3) and the ESP SPIs, cannot be read without
keys. The ESP SPIs are still visible in every ESP packet: 0x%08x (client to gateway),
0x%08x (gateway to client).`, out.spi, in.spi),
		why: `RFC 3947: NAT-T capability through Vendor IDs (§3.1), NAT detection through NAT-D hashes of
HASH(CKY-I | CKY-R | IP | port) with the negotiated hash (§3.2), port change to 4500 from
MM5 (§4), encapsulation mode negotiated in Quick Mode (§5); RFC 3948 for the ESP-in-UDP
format and keepalives.`,
		fix: `None needed.`,
		verdicts: []Verdict{{Tunnel: tunnelName("IKEv1", a, gw), NAT: "initiator", NATT: "yes",
			Encapsulation: "udp", Passthrough: "no"}},
	}
}

// passthroughOK: no NAT-T, raw ESP through an IPsec passthrough NAT.
func passthroughOK(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.StaticIKEPort = true
	w.nat.ESPPassthrough = true
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE1(a, gw)
	s.vidsI, s.vidsR = vidsNoNATT, vidsNoNATT
	s.mainMode(true)
	s.quickMode()
	out, in := s.newSAs()
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(out, in, 6, "raw ESP through passthrough", true)
	w.after(sec(8))
	s.pings(out, in, 3, "more raw ESP", true)
	w.after(sec(2))
	s.deleteSA()

	v := Verdict{Tunnel: tunnelName("IKEv1", a, gw), NAT: "initiator", NATT: "no",
		Encapsulation: "raw", Passthrough: "yes", Catalogue: []string{"NT01"}}
	return &story{
		summary: `Peers without NAT traversal (IKEv1, no NAT-T Vendor IDs, no NAT-D payloads)
behind a home router with "IPsec passthrough" on. Main Mode and Quick Mode
run on UDP 500; the router's passthrough keeps IKE's source port 500 and
forwards raw ESP (IP protocol 50), rewriting only the source address, and
sends inbound ESP from the gateway back to the one client that talks ESP
to it. The tunnel works, for this one client.`,
		natLabel: []string{"IPsec passthrough: on", "(UDP 500 kept static)"},
		nat: fmt.Sprintf(`IKE leaves with its source port kept: %s -> %s. ESP is forwarded by passthrough: outbound
with the source address rewritten to %s, inbound from the gateway to %s, the host that sent
ESP to it first.`, a.ap(500), w.mapped(protoUDP, a.ap(500)), w.nat.Public, a.addr),
		wrong: fmt.Sprintf(`Nothing goes wrong, yet. Without NAT-T nothing in the IKE exchange reveals the NAT (no
NAT-D): only the comparison of the two captures does (same cookies, different source
address). ESP SPI 0x%08x goes out raw, 0x%08x comes back raw.`, out.spi, in.spi),
		why: `Raw ESP has no ports, so a NAT can forward it only with special handling: IPsec passthrough
tracks ESP by peer address (and perhaps SPI) and can serve one client per gateway (RFC 3715
§2.1–2.3, failure mode NT01). The tunnel therefore depends on passthrough: switch it off, or
add a second client, and it breaks (see passthrough-off and passthrough-collision).`,
		fix: `Works as is, but fragile: enable NAT traversal on both peers (RFC 3947) so that ESP travels in
UDP 4500 and no longer needs passthrough.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP301", sevWarning, "raw ESP crosses the NAT only because passthrough forwards it"),
		},
	}
}

// passthroughOff: the same peers, no passthrough.
func passthroughOff(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE1(a, gw)
	s.vidsI, s.vidsR = vidsNoNATT, vidsNoNATT
	s.mainMode(true)
	s.quickMode()
	out, in := s.newSAs()
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(out, in, 10, "raw ESP, dropped at the NAT", true)
	w.after(sec(20))
	s.dpd("dead peer detection: IKE still works")
	w.after(sec(2))
	s.pings(out, in, 3, "raw ESP again", true)
	w.after(sec(1))
	s.deleteSA()

	v := Verdict{Tunnel: tunnelName("IKEv1", a, gw), NAT: "initiator", NATT: "no",
		Encapsulation: "raw", Passthrough: "yes",
		Failure:   "raw ESP dropped at the NAT: no NAT-T and no passthrough",
		Catalogue: []string{"NT01"}}
	return &story{
		summary: `The peers of passthrough-ok behind a NAT without IPsec passthrough. IKE is
ordinary UDP and completes: Main Mode and Quick Mode succeed, and later the
dead peer detection exchange works too. But the tunnel carries nothing:
every ESP packet (IP protocol 50) the client sends dies at the NAT, so the
gateway never sees any, and nothing comes back.`,
		natLabel: []string{"random public ports", "IPsec passthrough: off"},
		nat: fmt.Sprintf(`IKE is translated like any UDP flow: %s -> %s. ESP has no ports and the NAT has no
passthrough: it drops every outbound ESP packet. No inbound ESP exists.`, a.ap(500), w.mapped(protoUDP, a.ap(500))),
		wrong: fmt.Sprintf(`Inside: IKE complete, then ESP SPI 0x%08x with sequence numbers 1, 2, 3… and no ESP in
return. Outside: the same IKE (same cookies, public source address and port), and no ESP at
all. The R-U-THERE / R-U-THERE-ACK pair shows the gateway alive and the IKE SA intact: the
problem is the data plane, at the NAT.`, out.spi),
		why: `Without NAT-T the peers send raw ESP (RFC 4303), which a NAT without passthrough cannot
translate (RFC 3715 §2.2): there are no ports to multiplex on. failure mode NT01: NAT present
(visible here only by comparing the captures), NAT-T not negotiated, raw ESP missing
outside.`,
		fix: `Enable NAT traversal on both peers (RFC 3947 for IKEv1), so ESP travels in UDP 4500. Turning
passthrough on would make this one client work, as in passthrough-ok, but not a second.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP204", sevError, "the client's ESP never leaves the NAT, so nothing comes back"),
			v.expect("VP301", sevWarning, "no NAT-T: ESP is raw protocol 50 through a NAT"),
		},
	}
}

// passthroughCollision: two clients, raw ESP, one NAT address.
// It is long because it reads as one script: the packets in the order
// they are sent, then the story told of them.
func passthroughCollision(w *world) *story {
	w.nat.Ports = pcaptest.PortPreserve
	w.nat.ESPPassthrough = true
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
	for k := range 18 {
		w.schedule(t0+sec(2*float64(k)), func() {
			x := sa.espOut(aOut, 84, noteIf(k == 0, "client A: raw ESP (ping through the tunnel)"))
			if x.ok {
				w.after(w.jitter(ms(24), ms(32)))
				sa.espIn(aIn, 84, noteIf(k == 0, "client A: ping reply"))
			}
		})
	}
	sb := w.newIKE1(b, gw)
	sb.who = "client B: "
	sb.vidsI, sb.vidsR = vidsNoNATT, vidsNoNATT
	var bOut, bIn *esa
	tb := t0 + sec(11.3)
	w.schedule(tb, func() {
		w.dns(b, dns, "vpn.example.net", gw.addr)
		sb.mainMode(true)
		sb.quickMode()
		bOut, bIn = sb.newSAs()
	})
	for k := range 10 {
		w.schedule(tb+sec(1.5+float64(k)), func() {
			x := sb.espOut(bOut, 84, noteIf(k == 0, "client B: raw ESP (ping through the tunnel)"))
			if x.ok {
				w.after(w.jitter(ms(24), ms(32)))
				sb.espIn(bIn, 84, noteIf(k == 0, "client B: ping reply, delivered to client A"))
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
		Failure:   "inbound ESP for this client is delivered to the other client behind the same NAT",
		Catalogue: []string{"NT14", "NT01"}}
	return &story{
		summary: `Two clients behind one NAT with IPsec passthrough, both without NAT-T, both
talking to the same gateway. Passthrough can tell ESP flows apart only by
the remote address: all ESP from the gateway goes to the inside host that
first sent ESP to it. Client A's tunnel works. Client B completes IKE
(on a rewritten port, since A holds 500), sends ESP, and every reply the
gateway sends to B is delivered to A.`,
		natLabel: []string{"Linux-style: keeps ports", "IPsec passthrough: on"},
		nat: fmt.Sprintf(`IKE: client A keeps %s -> %s; client B's %s is taken towards the gateway and becomes %s.
ESP: the first ESP towards the gateway came from %s, so passthrough binds the gateway's
ESP to it; B's outbound ESP is forwarded, but inbound ESP of B's SA (SPI 0x%08x) is sent to
%s too.`, a.ap(500), w.mapped(protoUDP, a.ap(500)), b.ap(500), w.mapped(protoUDP, b.ap(500)),
			a.addr, spiOf(bIn), a.addr),
		wrong: fmt.Sprintf(`Outside, all ESP looks alike: the public address and the gateway, SPIs 0x%08x (A) and
0x%08x (B) from the gateway. Inside, both SPIs arrive at %s; %s receives nothing and its
pings through the tunnel stay unanswered. Client A's kernel drops the packets of the SA it
does not know. A keeps working.`, aIn.spi, spiOf(bIn), a.addr, b.addr),
		why: `RFC 3715 §2.3: with raw ESP a NAT must demultiplex inbound traffic by SPI, which it cannot
learn (the SPIs are chosen in encrypted Quick Mode and the inbound SPI never appears
outbound); passthrough implementations therefore bind a remote peer to one inside host.
failure mode NT14.`,
		fix: `Enable NAT traversal on the peers (RFC 3947): ESP in UDP 4500 is demultiplexed by port, and
any number of clients work through the NAT.`,
		verdicts: []Verdict{va, vb},
		findings: []Finding{
			va.expect("VP301", sevWarning, "client A's raw ESP depends on passthrough"),
			vb.expect("VP204", sevError, "client B sends ESP and receives none"),
			vb.expect("VP205", sevError, "the gateway's ESP for client B is delivered to client A"),
			vb.expect("VP301", sevWarning, "client B's raw ESP depends on passthrough"),
		},
	}
}

func spiOf(e *esa) uint32 {
	if e == nil {
		return 0
	}
	return e.spi
}

// ahThroughNAT: AH can never cross a NAT.
func ahThroughNAT(w *world) *story {
	w.nat.Ports = pcaptest.PortPreserve
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()
	remote := netip.MustParseAddr("10.20.0.5")

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE1(a, gw)
	s.vidsI, s.vidsR = vidsNoNATT, vidsNoNATT
	s.mainMode(true)
	s.quickMode()
	ah := &esa{spi: w.newSPI()}
	w.after(w.jitter(ms(40), ms(90)))
	id := uint16(w.rng.Uint32())
	for k := range 6 {
		inner := pcaptest.Packet{Src: a.addr, Dst: remote, Proto: pcaptest.ProtoICMP, TTL: 64, ID: uint32(a.ipid), DF: true,
			Payload: pcaptest.ICMPEcho(false, id, uint16(k+1), pcaptest.RandBytes(w.rng, 56))}
		a.ipid++
		d, err := inner.Datagram()
		if err != nil {
			w.fail(err)
			break
		}
		ss := ah.next()
		p := w.packet(a, pcaptest.ProtoAH, a.ap(0), gw.ap(0), pcaptest.AH(w.rng, 4, ss.SPI, ss.Seq, d))
		s.lastOut = w.now
		w.send(p, &meant{kind: KindAH, ah: ss, note: noteIf(k == 0, "AH (tunnel mode, ping to 10.20.0.5), never answered")})
		w.after(sec(1) + w.jitter(0, ms(2)))
	}
	w.after(sec(12))
	s.dpd("dead peer detection: IKE still works")
	w.after(sec(2))
	s.deleteSA()

	v := Verdict{Tunnel: tunnelName("IKEv1", a, gw), NAT: "initiator", NATT: "no",
		Encapsulation: "ah", Passthrough: "no",
		Failure:   "AH's ICV covers the IP addresses the NAT rewrites; the gateway drops every packet",
		Catalogue: []string{"NT19"}}
	return &story{
		summary: `The peers negotiated AH (authentication only, RFC 4302) in tunnel mode,
without NAT-T, and the client is behind a NAT. IKE works: it is UDP. Each AH
packet crosses the NAT with its source address rewritten, and that is the
end of it: AH's integrity check covers the outer IP addresses, so the
gateway finds every packet forged and drops it.`,
		natLabel: []string{"Linux-style: keeps ports", "forwards other protocols"},
		nat: fmt.Sprintf(`IKE: %s -> %s. AH (IP protocol 51) is forwarded like any other protocol: source address
rewritten to %s, nothing else changed; it cannot fix the ICV, which covers the address.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), w.nat.Public),
		wrong: fmt.Sprintf(`Inside: AH SPI 0x%08x from %s, the inner ICMP echo requests in clear behind it. Outside: the
same packets, byte for byte except the source address (%s), TTL and checksum. No reply to
any of them. The dead peer detection exchange afterwards shows the gateway alive.`, ah.spi, a.addr, w.nat.Public),
		why: `RFC 4302 §3.3.3: the AH ICV covers the immutable IP header fields, source and destination
address included; any address translation invalidates it (RFC 3715 §2.1). No passthrough can
help, and NAT-T does not apply to AH (RFC 3948 defines UDP encapsulation for ESP only).
failure mode NT19.`,
		fix:      `Use ESP (with integrity, or ESP-NULL for authentication only) with NAT traversal instead of AH.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP207", sevError, "AH from the client's private address leaves the NAT with the public one"),
		},
	}
}

// ikev1DraftMismatch: the initiator knows only NAT-T drafts, the responder
// only RFC 3947.
func ikev1DraftMismatch(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE1(a, gw)
	s.vidsI = [][]byte{pcaptest.VIDDraft02N, pcaptest.VIDDraft02, pcaptest.VIDDPD}
	s.vidsR = [][]byte{pcaptest.VIDRFC3947, pcaptest.VIDDPD}
	s.natdI = pcaptest.V1NATDDraft
	s.mainMode(true)
	s.quickMode()
	out, in := s.newSAs()
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(out, in, 8, "raw ESP, dropped at the NAT", true)
	w.after(sec(15))
	s.dpd("dead peer detection: IKE still works")
	w.after(sec(2))
	s.deleteSA()

	v := Verdict{Tunnel: tunnelName("IKEv1", a, gw), NAT: "initiator", NATT: "no",
		Encapsulation: "raw", Passthrough: "yes",
		Failure:   "no common NAT-T method (drafts vs RFC 3947); raw ESP dropped at the NAT",
		Catalogue: []string{"NT11", "NT01"}}
	return &story{
		summary: `An old IKEv1 client that implements only the NAT-T drafts meets a gateway
that implements only RFC 3947. The client's MM1 carries the draft-02 Vendor
IDs (both the correct one and the variant with the trailing newline); the
gateway's MM2 carries only the RFC 3947 Vendor ID. They share no NAT-T
method. The client sends its draft NAT-D payloads (type 130) in MM3 anyway;
the gateway, which knows only type 20, ignores them and sends none. No
float: everything stays on UDP 500, ESP goes raw, and this NAT has no
passthrough.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`IKE is translated like any UDP flow (%s -> %s). Raw ESP is dropped.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500))),
		wrong: fmt.Sprintf(`MM1/MM2 show the Vendor ID mismatch; MM3 carries two payloads of type 130. Their hashes are
verifiable with SHA-1: the destination hash matches in both captures, the source hash (of
%s) only inside, so the NAT is provable from the captures even though the peers never agreed
on NAT-T. MM5, MM6 and Quick Mode stay on port 500; ESP SPI 0x%08x leaves the client and is
absent outside. The R-U-THERE exchange shows the IKE SA alive.`, a.ap(500), out.spi),
		why: `RFC 3947 §3.1: NAT-T is used only when both peers announce the same method; draft
implementations use NAT-D payload 130 and encapsulation modes 61443/61444, RFC 3947 uses
20 and 3/4 (failure mode NT11). Without NAT-T, ESP is raw and needs passthrough at the NAT
(failure mode NT01), which this NAT does not have.`,
		fix: `Update the client to RFC 3947 NAT-T, or enable draft NAT-T support on the gateway
(libreswan: nat-ikev1-method=drafts or both). Passthrough would make one client work raw, as
in passthrough-ok.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP204", sevError, "the client's raw ESP dies at the NAT, nothing comes back"),
			v.expect("VP301", sevWarning, "no common NAT-T method: ESP is raw protocol 50 through a NAT"),
			v.expect("VP311", sevError, "draft-02 Vendor IDs against RFC 3947 only"),
		},
	}
}
