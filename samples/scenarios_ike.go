package samples

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// legacyProposal is what an old client offers: AES-CBC-128, HMAC-SHA1-96,
// PRF-HMAC-SHA1 and MODP-1024 (RFC 8247 §2.4 and §2.4.1 demote SHA-1 and
// MODP-1024; hardened gateways refuse them).
func legacyProposal() pcaptest.Payload {
	return pcaptest.SAv2(pcaptest.ProposalV2{Num: 1, Protocol: pcaptest.ProtoIDIKE, Transforms: []pcaptest.TransformV2{
		{Type: pcaptest.TransformENCR, ID: pcaptest.EncrAESCBC, KeyLen: 128},
		{Type: pcaptest.TransformINTEG, ID: pcaptest.IntegSHA196},
		{Type: pcaptest.TransformPRF, ID: pcaptest.PRFHMACSHA1},
		{Type: pcaptest.TransformDH, ID: pcaptest.DHModp1024},
	}})
}

// curveFirstProposal offers Curve25519 first and MODP-2048 as well, as a
// client that prefers elliptic-curve groups does.
func curveFirstProposal() pcaptest.Payload {
	return pcaptest.SAv2(pcaptest.ProposalV2{Num: 1, Protocol: pcaptest.ProtoIDIKE, Transforms: []pcaptest.TransformV2{
		{Type: pcaptest.TransformENCR, ID: pcaptest.EncrAESCBC, KeyLen: 256},
		{Type: pcaptest.TransformINTEG, ID: pcaptest.IntegSHA256128},
		{Type: pcaptest.TransformPRF, ID: pcaptest.PRFHMACSHA256},
		{Type: pcaptest.TransformDH, ID: pcaptest.DHCurve25519},
		{Type: pcaptest.TransformDH, ID: pcaptest.DHModp2048},
	}})
}

// ikeNoProposalChosen: the gateway refuses the client's proposals.
func ikeNoProposalChosen(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns, web := w.resolverHost(), w.webHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	legacy := legacyProposal()
	s.proposal, s.keGroup = &legacy, pcaptest.DHModp1024
	x := s.sendI(s.initRequest(), "IKE_SA_INIT request (AES-CBC-128, SHA-1, MODP-1024 only)", 0)
	if x.ok {
		s.learn(x)
		w.after(w.jitter(ms(22), ms(30)))
		s.sendR(s.initError(pcaptest.NotifyNoProposalChosen, nil), "IKE_SA_INIT response: NO_PROPOSAL_CHOSEN", 0)
	}
	// The client gives up at once (keyingtries = 1); the user goes on
	// browsing.
	w.after(sec(4) + w.jitter(0, ms(500)))
	w.dns(a, dns, "www.example.com", addrWeb)
	w.https(a, web, "www.example.com")

	// The gateway refused before NAT detection: whether the peers would
	// agree on NAT traversal, and so whether ESP would need Passthrough,
	// cannot be told.
	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "no", Encapsulation: "none", Passthrough: "unknown",
		Failure: "the gateway accepts none of the client's IKE proposals and answers NO_PROPOSAL_CHOSEN"}
	return &story{
		summary: `A client with an old configuration (IKE proposal AES-CBC-128, HMAC-SHA1,
MODP-1024 only) connects to a gateway that was hardened to modern
algorithms. The gateway answers the IKE_SA_INIT request with a
NO_PROPOSAL_CHOSEN notify, in clear, and the client gives up. Nothing here
is about the NAT: the captures on both sides show the same refusal.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT translates %s to %s and forwards the answer back. It does nothing
else to IKE.`, a.ap(500), w.mapped(protoUDP, a.ap(500))),
		wrong: `The IKE_SA_INIT request offers one proposal: AES-CBC with a 128-bit key, HMAC-SHA1-96,
PRF-HMAC-SHA1 and Diffie-Hellman group 2 (MODP-1024), with a KE payload of that group, and
NAT detection notifies. The gateway accepts none of it and answers with an IKE_SA_INIT
response that carries nothing but a NO_PROPOSAL_CHOSEN notify (type 14) and a zero responder
SPI: it keeps no state. The client logs "received NO_PROPOSAL_CHOSEN notify error" and stops.`,
		why: `RFC 7296 §2.7 and §3.10.1: a responder that accepts none of the proposals answers
IKE_SA_INIT with NO_PROPOSAL_CHOSEN. RFC 8247 moved SHA-1 and MODP-1024 out of what IKEv2
implementations should accept, and current gateway configurations drop them. The refusal
comes before NAT detection, so it says nothing about NAT traversal; the client announced it.`,
		fix: `Give the client a proposal the gateway accepts (strongSwan proposals = aes256-sha256-modp2048 or
aes256gcm16-prfsha256-curve25519; libreswan ike=), or, if the client cannot be changed, add
its suite to the gateway's proposals as a stopgap.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP102", sevError, "NO_PROPOSAL_CHOSEN in the IKE_SA_INIT response"),
		},
	}
}

// ikeInvalidKERetry: the responder asks for another Diffie-Hellman group.
func ikeInvalidKERetry(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE2(a, gw)
	curve := curveFirstProposal()
	s.proposal, s.keGroup = &curve, pcaptest.DHCurve25519
	x := s.sendI(s.initRequest(), "IKE_SA_INIT request with a Curve25519 KE", 0)
	if x.ok {
		s.learn(x)
		w.after(w.jitter(ms(22), ms(30)))
		group := binary.BigEndian.AppendUint16(nil, pcaptest.DHModp2048)
		s.sendR(s.initError(pcaptest.NotifyInvalidKEPayload, group), "IKE_SA_INIT response: INVALID_KE_PAYLOAD, group 14 wanted", 0)
		w.after(w.jitter(ms(1), ms(3)))
	}
	// strongSwan keeps the IKE SA (and its SPI) and starts IKE_SA_INIT
	// again with a KE of the group the responder asked for.
	s.keGroup = pcaptest.DHModp2048
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 3, "ESP in UDP", true)
	s.transfer(ch, 4, "download through the tunnel")
	w.after(sec(3))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	v := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no"}
	return &story{
		summary: `A client that prefers Curve25519 sends its first IKE_SA_INIT with a KE
payload of that group. The gateway accepts the proposal but wants
MODP-2048 (group 14), which the client also offered, and answers
INVALID_KE_PAYLOAD naming it. The client starts IKE_SA_INIT again with a
MODP-2048 KE, and from there it is natt-ok: NAT detected, float to 4500,
ESP in UDP. It costs one round trip and nothing else.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and %s to %s, like any UDP flow.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: fmt.Sprintf(`Nothing goes wrong. The first IKE_SA_INIT request (SPIi %016x) proposes Curve25519 and
MODP-2048 and carries a 32-octet Curve25519 KE. The response has a zero responder SPI and
a single notify, INVALID_KE_PAYLOAD (17), whose data is the group the gateway wants: 14.
The client sends IKE_SA_INIT again with the same SPIi and a 256-octet MODP-2048 KE; this
time the gateway answers with its SA, KE, nonce and NAT detection notifies, and the tunnel
comes up.`, s.spii),
		why: `RFC 7296 §1.2: the initiator guesses the Diffie-Hellman group of its KE payload; if the
responder selects another group from the proposal it answers INVALID_KE_PAYLOAD with the
group it wants, and the initiator retries. RFC 7296 §2.6 lets the initiator keep its SPI.`,
		fix: `None needed. To save the round trip, put MODP-2048 first in the client's proposal, or add
Curve25519 to the gateway's.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP103", sevInfo, "INVALID_KE_PAYLOAD, then the client retries with group 14"),
		},
	}
}

// Vendor IDs a Windows 10 L2TP/IPsec client sends in Main Mode 1
// (MS-IKEE §2.2.3, §2.2.4; the NAT-T ones from RFC 3947 and its draft).
var vidsWindows = [][]byte{
	hexBytes("1e2b516905991c7d7c96fcbfb587e46100000009"), // MS NT5 ISAKMPOAKLEY, Windows 8 or later
	pcaptest.VIDRFC3947,
	pcaptest.VIDDraft02N,
	pcaptest.VIDFragmentIKE,
	hexBytes("fb1de3cdf341b7ea16b7e5be0855f120"), // MS-Negotiation Discovery Capable
	hexBytes("e3a5966a76379fe707228231e5ce8652"), // IKE CGA version 1
}

// windowsServerBehindNAT: a Windows client stops after Main Mode 4 because
// NAT-D shows the server behind a NAT.
func windowsServerBehindNAT(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("Windows client", addrClientA)
	gw := w.addHost("L2TP/IPsec server", addrGateway, nil, false, 54)
	dns, web := w.resolverHost(), w.webHost()
	private := netip.MustParseAddrPort("10.0.0.5:500")

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE1(a, gw)
	s.vidsI, s.vidsR = vidsWindows, vidsStrongSwanR
	s.natdI, s.natdR = pcaptest.V1NATD, pcaptest.V1NATD
	s.rSelf = private
	s.mainMode4()
	mm4At := w.now
	// Windows goes quiet; the user keeps browsing until the dialog shows
	// error 809.
	w.after(sec(3) + w.jitter(0, ms(500)))
	w.dns(a, dns, "www.example.com", addrWeb)
	w.https(a, web, "www.example.com")
	w.after(sec(22))
	w.dns(a, dns, "support.microsoft.com", addrWeb)

	v := Verdict{Tunnel: tunnelName("IKEv1", a, gw), NAT: "both", NATT: "yes", Encapsulation: "none", Passthrough: "no",
		Failure:   "NAT-D shows the server behind a NAT and the Windows client refuses it (error 809)",
		Catalogue: []string{"NT18", "NT21"}}
	return &story{
		summary: `A Windows 10 laptop behind a home NAT dials an L2TP/IPsec VPN. The server
is itself behind a NAT: its router forwards UDP 500 and 4500 from the
public address to the server's private address 10.0.0.5. Main Mode runs
four messages; the NAT-D payloads in the fourth show that the server's
address is translated too. Windows does not negotiate with a server behind
NAT unless told to, so it stops there and, after its timeout, reports
error 809. The server and both NATs are fine.`,
		natLabel: []string{"random public ports", "(server behind its own NAT)"},
		nat: fmt.Sprintf(`The client's NAT maps %s to %s. Beyond the outside capture, the server's router
forwards UDP 500 from %s to %s; the captures show only its public side.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), gw.ap(500), private),
		wrong: fmt.Sprintf(`Main Mode 1 carries the Windows Vendor IDs (MS NT5 ISAKMPOAKLEY version 9, RFC 3947,
draft-02, IKE fragmentation, MS-Negotiation Discovery Capable); Main Mode 2 the server's
RFC 3947 Vendor ID. In Main Mode 4 the server's NAT-D hash of its own address is the hash
of %s, which matches neither capture's %s: the server is behind a NAT. The client's own
hash does not match outside either: it is behind one too. The client sends no Main Mode 5:
in the %.0f s the captures go on, nothing follows but its DNS and web traffic.`, private, gw.ap(500), (w.now - mm4At).Seconds()),
		why: `Microsoft KB 926179 and KB 885407: since Windows XP SP2, Windows by default does not set up
security associations with a server behind NAT (registry value
AssumeUDPEncapsulationContextOnSendRule = 0). NAT detection in Main Mode 3 and 4 (RFC 3947 §3)
tells it where the NATs are, and it stops (failure mode NT18). Both peers being behind NATs
is failure mode NT21 (RFC 7296 §2.23; RFC 3947 §3).`,
		fix: `On the Windows client set the DWORD AssumeUDPEncapsulationContextOnSendRule = 2 under
HKLM\SYSTEM\CurrentControlSet\Services\PolicyAgent and restart, or give the server a public
address.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP109", sevError, "a Windows client stops after Main Mode 4 once NAT-D shows the server behind a NAT"),
			v.expect("VP315", sevWarning, "NAT-D puts both the client and the server behind NATs"),
		},
	}
}

// hexBytes decodes a hex string written in the source.
func hexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("samples: bad hex literal " + s)
	}
	return b
}

// natClientsSACollision: the second client's SA takes the first client's
// ESP on a server that keys its policies by address only.
// It is long because it reads as one script: the packets in the order
// they are sent, then the story told of them.
func natClientsSACollision(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client A", addrClientA)
	b := w.linuxClient("client B", addrClientB)
	gw := w.addHost("VPN server", addrGateway, nil, false, 55)
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	sa := w.newIKE2(a, gw)
	sa.who = "client A: "
	sa.handshake(true)
	sa.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	cha := sa.newChild(true)
	t0 := w.now + w.jitter(ms(40), ms(90))
	sb := w.newIKE2(b, gw)
	sb.who = "client B: "
	var chb *child
	tb := t0 + sec(8.4)
	taken := false
	// Client A pings through its tunnel every second. Once client B's SA
	// is up, the server's policy for the NAT's address points at B's port:
	// A's replies go there.
	for k := range 20 {
		w.schedule(t0+sec(float64(k)), func() {
			x := sa.espOut(cha, 84, noteIf(k == 0, "client A: ping through the tunnel"))
			if !x.ok {
				return
			}
			w.after(w.jitter(ms(24), ms(32)))
			if !taken {
				sa.espIn(cha, 84, noteIf(k == 0, "client A: ping reply"))
				return
			}
			note := noteIf(k == 9, "client A's ping reply, sent to client B's public port")
			w.esp(gw, gw.ap(pcaptest.PortNATT), sb.peer, true, &cha.in, 84, note)
		})
	}
	w.schedule(tb, func() {
		w.dns(b, dns, "vpn.example.net", gw.addr)
		sb.handshake(true)
		sb.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
		chb = sb.newChild(true)
		taken = true
	})
	for k := range 8 {
		w.schedule(tb+sec(1.5+float64(k)), func() {
			x := sb.espOut(chb, 84, noteIf(k == 0, "client B: ping through the tunnel"))
			if x.ok {
				w.after(w.jitter(ms(24), ms(32)))
				sb.espIn(chb, 84, noteIf(k == 0, "client B: ping reply"))
			}
		})
	}
	w.runEvents()
	w.after(sec(2))
	sb.informational("INFORMATIONAL (Delete of the IKE SA)", 12)
	w.after(sec(1))
	sa.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	va := Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no",
		Failure:   "once client B's SA is up, the server sends client A's ESP to client B's port",
		Catalogue: []string{"NT17"}}
	vb := Verdict{Tunnel: tunnelName("IKEv2", b, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no"}
	pa, pb := w.mapped(protoUDP, a.ap(4500)), w.mapped(protoUDP, b.ap(4500))
	return &story{
		summary: `Two road-warrior clients behind one home NAT connect to the same VPN server
with IKEv2 and NAT-T. The server (MikroTik RouterOS with
generate-policy=port-override) keys its IPsec policy for a peer by its IP
address and moves the policy's port to whichever client connected last.
Client A's tunnel works until client B connects; from then on the server
sends A's ESP to B's public port, the NAT delivers it to B, B drops it,
and A hears nothing back.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`Both clients' UDP 4500 is translated like any flow: client A's to %s, client B's to %s.
The NAT does its job: what the server sends to %s reaches client B.`, pa, pb, pb),
		wrong: fmt.Sprintf(`Client A's pings are answered until client B's IKE_AUTH completes. After that, outside, the
server's ESP for A (SPI 0x%08x, sequence numbers continuing) is addressed to %s, B's port,
not %s; inside it arrives at %s, which has no SA with that SPI. Client A keeps sending and
gets nothing. Client B's own tunnel works.`, cha.in.spi, pb, pa, b.addr),
		why: `RFC 3715 §2.1 and RFC 3948 §5: a server must tell peers behind one NAT apart by address and
port. One that keys its policies by address replaces the first client's with the second's
(failure mode NT17; MikroTik documents generate-policy=port-strict for this).`,
		fix: `On the server, key policies by address and port (RouterOS generate-policy=port-strict), or
give each client its own virtual IP and tunnel-mode policy; as a workaround, give the
clients different public addresses.`,
		verdicts: []Verdict{va, vb},
		findings: []Finding{
			va.expect("VP108", sevError, "after client B's SA, the server's ESP for client A goes to client B's port"),
		},
	}
}

// ikeBackToPort500: after the float the gateway's dead peer detection
// goes back to UDP 500.
func ikeBackToPort500(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.UDPTimeout = 120 * time.Second
	a := w.linuxClient("client", addrClientA)
	gw := w.addHost("VPN gateway", addrGateway, nil, false, 55)
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s := w.newIKE1(a, gw)
	s.vidsI, s.vidsR = vidsStrongSwanI, [][]byte{pcaptest.VIDRFC3947, pcaptest.VIDDPD}
	s.natdI, s.natdR = pcaptest.V1NATD, pcaptest.V1NATD
	s.mainMode(true)
	s.quickMode()
	out, in := s.newSAs()
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(out, in, 5, "ESP in UDP 4500", true)
	s.keepalivesUntil(s.lastOut+sec(35), "NAT-T keepalive")
	// The gateway's DPD timer fires: it sends R-U-THERE to the client's
	// Main Mode endpoint, UDP 500.
	s.dpdOn500("dead peer detection from the gateway")
	w.after(sec(2))
	s.pings(out, in, 4, "ESP in UDP 4500 after the DPD", true)
	w.after(sec(2))
	s.deleteSA()

	v := Verdict{Tunnel: tunnelName("IKEv1", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no",
		Catalogue: []string{"NT09"}}
	return &story{
		summary: `An IKEv1 tunnel with RFC 3947 NAT traversal: Main Mode detects the NAT, the
client floats to UDP 4500 from Main Mode 5 on, and ESP travels in UDP. The
gateway, an older release, then sends its dead peer detection request to
the client's original IKE endpoint on UDP port 500, not to the NAT-T
endpoint. The NAT still has the port-500 mapping (its UDP timeout is
120 s), the client answers from port 500, and all is well, this time.`,
		natLabel: []string{"random public ports", "UDP timeout 120 s"},
		nat: fmt.Sprintf(`The NAT maps %s to %s (Main Mode 1–4) and %s to %s (everything after the float). The
port-500 mapping is idle for about 40 s before the DPD and survives, as the NAT keeps idle
UDP mappings for 120 s.`, a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: fmt.Sprintf(`Main Mode 5 and 6, Quick Mode, ESP and keepalives use port 4500 behind the non-ESP marker. About
40 s in, an encrypted Informational (R-U-THERE) of the same ISAKMP SA (cookies %016x / %016x)
arrives from the gateway's port 500 at %s, without the marker; the client answers
R-U-THERE-ACK from port 500. ESP goes on on port 4500.`, s.ckyI, s.ckyR, s.peer500),
		why: `RFC 3947 §4: once the peers have floated, all further IKE traffic of the SA uses port 4500.
IKE of a floated SA on port 500 takes the old NAT mapping, which may have expired or be in
the hands of an IKE ALG, and some peers ignore it (failure mode NT09). Here the mapping was
still there; behind a NAT with a 30 s timeout the DPD would be lost and the gateway would
tear the tunnel down as dead.`,
		fix: `Update the gateway so that it keeps IKE of a floated SA on port 4500. Until then, keep the
NAT's UDP timeout for port 500 above the gateway's DPD interval.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP309", sevWarning, "the gateway's DPD and the client's answer travel on UDP 500 after the float"),
		},
	}
}
