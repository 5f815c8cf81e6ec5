package samples

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// pptpHost adds the PPTP server (pptpd on Linux).
func (w *world) pptpHost() *host {
	return w.addHost("PPTP server", addrPPTP, nil, false, 55)
}

// pptpSession is one PPTP client's control connection and call.
type pptpSession struct {
	w      *world
	c, srv *host
	f      *tcpFlow
	ccid   uint16 // the client's call ID (the key of GRE sent to the client)
	// ccidOut is the client's call ID as the server knows it: ccid, or
	// what a PPTP helper translated it to.
	ccidOut  uint16
	scid     uint16 // the server's call ID
	who      string // prefix for notes, such as "client B: "
	cseq     uint32 // next GRE sequence number from the client
	sseq     uint32 // next from the server
	cAck     int64  // last sequence number the client received, -1 for none
	sAck     int64  // last the server received
	cID, sID uint8  // next PPP identifiers
	pub      netip.Addr
}

func (w *world) newPPTP(c, srv *host, ccid uint16, who string) *pptpSession {
	return &pptpSession{w: w, c: c, srv: srv, ccid: ccid, ccidOut: ccid, scid: uint16(w.rng.IntN(0x7000)) + 0x400,
		who: who, cAck: -1, sAck: -1, cID: 1, sID: 1}
}

// ctrl sends one PPTP control message over the TCP connection.
func (p *pptpSession) ctrl(fromClient bool, msg []byte, info PPTP, note string) {
	p.f.send(fromClient, msg, &meant{kind: KindPPTP, note: p.who + note, pptp: &info})
}

// gre sends one enhanced GRE packet carrying a PPP frame (or, with a nil
// frame, an acknowledgment only) and updates the receiver's state if it
// arrived.
func (p *pptpSession) gre(fromClient bool, frame []byte, note string) xmit {
	w := p.w
	g := pcaptest.EnhancedGRE{}
	var from *host
	var src, dst netip.Addr
	if fromClient {
		from, src, dst = p.c, p.c.addr, p.srv.addr
		g.CallID = p.scid
		if frame != nil {
			g.HasSeq, g.Seq = true, p.cseq
			p.cseq++
		}
		if p.cAck >= 0 {
			g.HasAck, g.Ack = true, uint32(p.cAck)
		}
	} else {
		from, src, dst = p.srv, p.srv.addr, p.pub
		g.CallID = p.ccidOut
		if frame != nil {
			g.HasSeq, g.Seq = true, p.sseq
			p.sseq++
		}
		if p.sAck >= 0 {
			g.HasAck, g.Ack = true, uint32(p.sAck)
		}
	}
	body, err := g.GRE(frame)
	if err != nil {
		w.fail(err)
		return xmit{}
	}
	m := &meant{kind: KindGRE, note: noteIf(note != "", p.who+note), gre: &GRE{CallID: g.CallID, Seq: g.Seq, Ack: g.Ack,
		HasSeq: g.HasSeq, HasAck: g.HasAck, PayloadLen: uint16(len(frame))}}
	pk := w.packet(from, pcaptest.ProtoGRE, netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0), body)
	x := w.emit(from, pk, m)
	// The receiver acknowledges what it got; a packet delivered to another
	// inside host (x.in.Dst), or with a key that is not the client's call
	// ID, never reached this client's call.
	if frame != nil && x.ok {
		if fromClient {
			p.sAck = int64(g.Seq)
		} else if x.in.Dst == p.c.addr && g.CallID == p.ccid {
			p.cAck = int64(g.Seq)
		}
	}
	return x
}

// open runs the control connection set-up: TCP handshake,
// Start-Control-Connection-Request/Reply, Outgoing-Call-Request/Reply.
func (p *pptpSession) open() {
	w := p.w
	rtt := w.jitter(ms(22), ms(30))
	p.f = w.dial(p.c, w.ephemeral(p.c), p.srv, pcaptest.PortPPTP, rtt)
	p.pub = p.f.pub.Addr()
	w.after(w.jitter(ms(0.3), ms(1)))
	p.ctrl(true, pcaptest.PPTPStartRequest("local", "linux"), PPTP{Type: pcaptest.PPTPTypeStartCtrlConnRequest}, "Start-Control-Connection-Request")
	w.after(rtt + w.jitter(ms(1), ms(3)))
	p.ctrl(false, pcaptest.PPTPStartReply("pptpd", "linux"), PPTP{Type: pcaptest.PPTPTypeStartCtrlConnReply}, "Start-Control-Connection-Reply")
	w.after(w.jitter(ms(0.3), ms(1)))
	p.ctrl(true, pcaptest.PPTPOutgoingCallRequest(p.ccid, 1, 64),
		PPTP{Type: pcaptest.PPTPTypeOutgoingCallRequest, CallID: p.ccid, HasCallID: true},
		fmt.Sprintf("Outgoing-Call-Request, client call ID %d", p.ccid))
	if w.nat != nil {
		for _, r := range w.nat.CallIDRewrites() {
			if r.Inside == p.c.addr && r.Original == p.ccid {
				p.ccidOut = r.Rewritten
			}
		}
	}
	w.after(rtt + w.jitter(ms(2), ms(6)))
	p.ctrl(false, pcaptest.PPTPOutgoingCallReply(p.scid, p.ccidOut, 64),
		PPTP{Type: pcaptest.PPTPTypeOutgoingCallReply, CallID: p.scid, PeerCallID: p.ccidOut, HasCallID: true, HasPeerCallID: true},
		fmt.Sprintf("Outgoing-Call-Reply, server call ID %d, peer call ID %d", p.scid, p.ccidOut))
	w.after(w.jitter(ms(0.1), ms(0.5)))
	p.f.ack(true)
}

// LCP, CHAP, CCP and IPCP frames of the session (RFC 1661, RFC 1994,
// RFC 2759, RFC 3078, RFC 1332). Neither side negotiates PFC or ACFC, so
// every frame keeps the 0xFF 0x03 header and a two-octet protocol.
func (p *pptpSession) lcpReqClient(magic uint32) []byte {
	id := p.cID
	p.cID++
	return pcaptest.PPP(pcaptest.PPPLCP, pcaptest.PPPControl(pcaptest.ConfRequest, id,
		pcaptest.PPPOption{Type: 1, Data: []byte{0x05, 0x78}},   // MRU 1400
		pcaptest.PPPOption{Type: 2, Data: pcaptest.U32(0)},      // ACCM
		pcaptest.PPPOption{Type: 5, Data: pcaptest.U32(magic)})) // magic number
}

func (p *pptpSession) lcpReqServer(magic uint32) []byte {
	id := p.sID
	p.sID++
	return pcaptest.PPP(pcaptest.PPPLCP, pcaptest.PPPControl(pcaptest.ConfRequest, id,
		pcaptest.PPPOption{Type: 2, Data: pcaptest.U32(0)},
		pcaptest.PPPOption{Type: 3, Data: []byte{0xc2, 0x23, 0x81}}, // CHAP with MS-CHAPv2
		pcaptest.PPPOption{Type: 5, Data: pcaptest.U32(magic)}))
}

// ack turns a Configure-Request frame into the Configure-Ack for it.
func confAck(req []byte) []byte {
	a := append([]byte(nil), req...)
	a[4] = pcaptest.ConfAck
	return a
}

// negotiate runs LCP, MS-CHAPv2, CCP (MPPE) and IPCP to an open link, with
// Set-Link-Info on the control connection after LCP.
func (p *pptpSession) negotiate() {
	w := p.w
	rtt := func() time.Duration { return w.jitter(ms(22), ms(30)) }
	small := func() time.Duration { return w.jitter(ms(0.2), ms(2)) }
	creq := p.lcpReqClient(w.rng.Uint32())
	p.gre(true, creq, "GRE: LCP Configure-Request")
	w.after(rtt())
	sreq := p.lcpReqServer(w.rng.Uint32())
	p.gre(false, sreq, "GRE: LCP Configure-Request from the server")
	w.after(small())
	p.gre(false, confAck(creq), "")
	w.after(small())
	p.gre(true, confAck(sreq), "")
	p.ctrl(true, pcaptest.PPTPSetLinkInfo(p.scid, 0xffffffff, 0xffffffff),
		PPTP{Type: pcaptest.PPTPTypeSetLinkInfo, PeerCallID: p.scid, HasPeerCallID: true}, "Set-Link-Info")
	w.after(rtt())
	// MS-CHAPv2: challenge, response, success.
	chal := append([]byte{16}, pcaptest.RandBytes(w.rng, 16)...)
	p.gre(false, pcaptest.PPP(pcaptest.PPPCHAP, pcaptest.PPPPacket(pcaptest.CHAPChallenge, 1, append(chal, "pptpd"...))), "GRE: CHAP Challenge")
	w.after(rtt())
	resp := append([]byte{49}, pcaptest.RandBytes(w.rng, 16)...)
	resp = append(resp, make([]byte, 8)...)
	resp = append(resp, pcaptest.RandBytes(w.rng, 24)...)
	resp = append(resp, 0)
	p.gre(true, pcaptest.PPP(pcaptest.PPPCHAP, pcaptest.PPPPacket(pcaptest.CHAPResponse, 1, append(resp, "alice"...))), "")
	w.after(rtt())
	msg := fmt.Sprintf("S=%X M=Access granted", pcaptest.RandBytes(w.rng, 20))
	p.gre(false, pcaptest.PPP(pcaptest.PPPCHAP, pcaptest.PPPPacket(pcaptest.CHAPSuccess, 1, []byte(msg))), "")
	w.after(small())
	mppe := pcaptest.PPPOption{Type: 18, Data: pcaptest.U32(0x01000040)} // stateless, 128-bit
	cc := pcaptest.PPP(pcaptest.PPPCCP, pcaptest.PPPControl(pcaptest.ConfRequest, 1, mppe))
	p.gre(true, cc, "")
	ip0 := pcaptest.PPP(pcaptest.PPPIPCP, pcaptest.PPPControl(pcaptest.ConfRequest, 1, pcaptest.PPPOption{Type: 3, Data: []byte{0, 0, 0, 0}}))
	p.gre(true, ip0, "")
	w.after(rtt())
	sc := pcaptest.PPP(pcaptest.PPPCCP, pcaptest.PPPControl(pcaptest.ConfRequest, 1, mppe))
	p.gre(false, sc, "")
	p.gre(false, confAck(cc), "")
	sip := pcaptest.PPP(pcaptest.PPPIPCP, pcaptest.PPPControl(pcaptest.ConfRequest, 1, pcaptest.PPPOption{Type: 3, Data: []byte{10, 0, 0, 1}}))
	p.gre(false, sip, "")
	p.gre(false, pcaptest.PPP(pcaptest.PPPIPCP, pcaptest.PPPControl(pcaptest.ConfNak, 1, pcaptest.PPPOption{Type: 3, Data: []byte{10, 0, 0, 100}})), "")
	w.after(small())
	p.gre(true, confAck(sc), "")
	p.gre(true, confAck(sip), "")
	ip1 := pcaptest.PPP(pcaptest.PPPIPCP, pcaptest.PPPControl(pcaptest.ConfRequest, 2, pcaptest.PPPOption{Type: 3, Data: []byte{10, 0, 0, 100}}))
	p.gre(true, ip1, "")
	w.after(rtt())
	p.gre(false, confAck(ip1), "GRE: IPCP Configure-Ack, link up")
}

// mppe builds an MPPE-encrypted datagram carrying an inner packet of n
// octets: a two-octet header with the flushed bit and coherency count,
// then ciphertext (RFC 3078 §3).
func (p *pptpSession) mppe(count uint16, n int) []byte {
	h := []byte{0x90 | byte(count>>8&0x0f), byte(count)}
	return pcaptest.PPP(pcaptest.PPPComp, append(h, pcaptest.RandBytes(p.w.rng, n)...))
}

// data exchanges a few encrypted datagrams each way.
func (p *pptpSession) data(rounds int, note string) {
	w := p.w
	var cc, sc uint16
	for k := range rounds {
		p.gre(true, p.mppe(cc, 60+w.rng.IntN(400)), noteIf(k == 0, note))
		cc++
		w.after(w.jitter(ms(24), ms(32)))
		for range 1 + w.rng.IntN(3) {
			p.gre(false, p.mppe(sc, 500+w.rng.IntN(900)), "")
			sc++
		}
		w.after(w.jitter(ms(0.5), ms(40)))
		p.gre(true, nil, "")
		w.after(w.jitter(ms(200), ms(900)))
	}
}

// close tears the call and the control connection down.
func (p *pptpSession) close() {
	w := p.w
	rtt := w.jitter(ms(22), ms(30))
	p.ctrl(true, pcaptest.PPTPCallClearRequest(p.ccid),
		PPTP{Type: pcaptest.PPTPTypeCallClearRequest, CallID: p.ccid, HasCallID: true}, "Call-Clear-Request")
	w.after(rtt)
	p.ctrl(false, pcaptest.PPTPCallDisconnectNotify(p.scid),
		PPTP{Type: pcaptest.PPTPTypeCallDisconnectNotify, CallID: p.scid, HasCallID: true}, "Call-Disconnect-Notify")
	w.after(w.jitter(ms(0.3), ms(1)))
	p.ctrl(true, pcaptest.PPTPStopRequest(), PPTP{Type: pcaptest.PPTPTypeStopCtrlConnRequest}, "Stop-Control-Connection-Request")
	w.after(rtt)
	p.ctrl(false, pcaptest.PPTPStopReply(), PPTP{Type: pcaptest.PPTPTypeStopCtrlConnReply}, "Stop-Control-Connection-Reply")
	w.after(w.jitter(ms(0.3), ms(1)))
	p.f.close()
}

// lcpGiveUp is pppd's behaviour when its Configure-Requests go unanswered:
// ten requests three seconds apart (lcp-restart 3, lcp-max-configure 10),
// then "LCP: timeout sending Config-Requests". The server answers each
// request it receives and sends its own requests; whether any of it
// reaches the client is up to the NAT.
func (p *pptpSession) lcpGiveUp() {
	w := p.w
	t0 := w.now
	for k := range 10 {
		w.schedule(t0+sec(3*float64(k)), func() {
			req := p.lcpReqClient(w.rng.Uint32())
			x := p.gre(true, req, fmt.Sprintf("GRE: LCP Configure-Request %d of 10", k+1))
			if x.ok {
				w.after(w.jitter(ms(22), ms(30)))
				p.gre(false, confAck(req), noteIf(k == 0, "GRE: LCP Configure-Ack from the server"))
			}
		})
	}
	first := t0 + w.jitter(ms(40), ms(60))
	magic := w.rng.Uint32()
	for k := range 10 {
		w.schedule(first+sec(3*float64(k)), func() {
			p.gre(false, p.lcpReqServer(magic), noteIf(k == 0, "GRE: LCP Configure-Request from the server"))
		})
	}
	w.runEvents()
	w.at(t0 + sec(30))
}

// pptpOK: PPTP through a NAT with a PPTP helper.
func pptpOK(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.PPTPHelper = true
	a := w.linuxClient("client", addrClientA)
	srv := w.pptpHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "pptp.example.net", srv.addr)
	p := w.newPPTP(a, srv, uint16(w.rng.IntN(0x4000))+0x100, "")
	p.open()
	p.negotiate()
	w.after(w.jitter(ms(100), ms(300)))
	p.data(6, "GRE: MPPE-encrypted data")
	w.after(sec(2))
	p.close()

	return &story{
		summary: `A PPTP client behind a NAT that has a PPTP helper (Linux nf_conntrack_pptp,
often sold as "PPTP passthrough"). The control connection runs on TCP
1723; the call's data runs in enhanced GRE (RFC 2637 §4), where the key
holds the receiver's call ID. The helper reads the client's call ID in the
Outgoing-Call-Request and lets GRE with that call ID back in. LCP, MS-CHAPv2,
CCP and IPCP complete and encrypted data flows both ways.`,
		natLabel: []string{"random public ports", "PPTP helper: on"},
		nat: fmt.Sprintf(`TCP %s -> %s for the control connection. The helper saw call ID %d in the
Outgoing-Call-Request and forwards GRE from the server with that call ID to %s; outbound
GRE (key %d, the server's call ID) is forwarded with the source address rewritten. The call
ID is unique behind this NAT, so the helper did not need to translate it.`,
			p.f.conn.Client, w.mapped(protoTCP, p.f.conn.Client), p.ccid, a.addr, p.scid),
		wrong: `Nothing goes wrong. Note the enhanced GRE details: the client's packets carry the server's
call ID in their key and vice versa; sequence numbers start at 0 per direction;
acknowledgment numbers echo the last sequence number received; packets with nothing to
carry are acknowledgment-only (A bit, no S bit, no payload).`,
		why: `RFC 2637: GRE has no ports, so the NAT must tie GRE to the control session; that is what a
PPTP helper does (failure modes NT23 and NT24 describe what happens without it).`,
		fix: `None needed (PPTP itself is obsolete and its MS-CHAPv2 authentication broken; replace it
with IKEv2 where possible).`,
		verdicts: []Verdict{{Tunnel: tunnelName("PPTP", a, srv), NAT: "initiator", NATT: "n/a",
			Encapsulation: "gre", Passthrough: "yes"}},
	}
}

// pptpGREBlocked: the NAT tracks GRE without knowing PPTP.
func pptpGREBlocked(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	srv := w.pptpHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "pptp.example.net", srv.addr)
	p := w.newPPTP(a, srv, uint16(w.rng.IntN(0x4000))+0x100, "")
	p.open()
	w.after(w.jitter(ms(5), ms(20)))
	p.lcpGiveUp()
	p.close()

	v := Verdict{Tunnel: tunnelName("PPTP", a, srv), NAT: "initiator", NATT: "n/a",
		Encapsulation: "gre", Passthrough: "yes",
		Failure:   "inbound GRE not forwarded by the NAT (no PPTP helper); LCP times out",
		Catalogue: []string{"NT23"}}
	return &story{
		summary: `The same PPTP client behind a NAT without a PPTP helper. The control
connection on TCP 1723 works. GRE leaves (the NAT translates its source
address) but the NAT keys its GRE state on the outgoing GRE key, the
server's call ID; the server's GRE carries the client's call ID and matches
nothing, so it is dropped. The client's LCP never hears back and pppd gives
up after ten Configure-Requests.`,
		natLabel: []string{"random public ports", "no PPTP helper"},
		nat: fmt.Sprintf(`TCP %s -> %s. GRE out is forwarded and creates state for (server, call ID %d), the
key of the outbound packets. Inbound GRE carries key %d (the client's call ID): no state,
dropped.`, p.f.conn.Client, w.mapped(protoTCP, p.f.conn.Client), p.scid, p.ccid),
		wrong: `Inside: Start-Control-Connection and Outgoing-Call complete, then ten LCP Configure-Requests
(one every 3 s, sequence numbers 0–9, never an acknowledgment number) and not a single GRE
packet in. Outside: the same requests, and the server's answers: a Configure-Ack for each
request and its own Configure-Requests, all to the NAT's public address, none forwarded.
After 30 s the client clears the call and stops the control connection.`,
		why: `RFC 2637 §4: enhanced GRE is keyed by the receiver's call ID, so the two directions carry
different keys and a NAT can pair them only by reading the control connection. Without a
PPTP helper inbound GRE is dropped (failure mode NT23; pppd logs "LCP: timeout sending
Config-Requests").`,
		fix: `Enable the NAT's PPTP helper (Linux: nf_conntrack_pptp / nf_nat_pptp; routers call it "PPTP
passthrough"), or better, replace PPTP with IKEv2 and NAT-T.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP401", sevError, "the call is connected, GRE goes out, the server's GRE stops at the NAT"),
		},
	}
}

// pptpCallIDCollision: two clients, the same call ID, no translation.
func pptpCallIDCollision(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.PPTPHelper = true
	a := w.linuxClient("client A", addrClientA)
	b := w.linuxClient("client B", addrClientB)
	srv := w.pptpHost()
	dns := w.resolverHost()

	// Both clients run the same PPTP software, which numbers calls per
	// control connection starting from the same value.
	const callID = 1
	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "pptp.example.net", srv.addr)
	pa := w.newPPTP(a, srv, callID, "client A: ")
	pa.open()
	pa.negotiate()
	w.after(w.jitter(ms(100), ms(300)))
	pa.data(4, "GRE: data")
	tb := w.now + sec(3)
	w.at(tb)
	w.dns(b, dns, "pptp.example.net", srv.addr)
	pb := w.newPPTP(b, srv, callID, "client B: ")
	pb.open()
	w.after(w.jitter(ms(5), ms(20)))
	t1 := w.now
	// Client A keeps its session busy while B tries.
	for k := range 8 {
		w.schedule(t1+sec(1.7+3.9*float64(k)), func() { pa.data(1, noteIf(k == 0, "GRE: data while B negotiates")) })
	}
	pb.lcpGiveUp()
	pb.close()
	w.after(sec(2))
	pa.data(2, "GRE: data after B gave up")
	w.after(sec(1))
	pa.close()

	va := Verdict{Tunnel: tunnelName("PPTP", a, srv), NAT: "initiator", NATT: "n/a", Encapsulation: "gre", Passthrough: "yes",
		Catalogue: []string{"NT24"}}
	vb := Verdict{Tunnel: tunnelName("PPTP", b, srv), NAT: "initiator", NATT: "n/a", Encapsulation: "gre", Passthrough: "yes",
		Failure:   "same call ID as client A behind a NAT that does not translate call IDs: its GRE is delivered to A",
		Catalogue: []string{"NT24"}}
	return &story{
		summary: `Two PPTP clients behind one NAT choose the same call ID for their calls to
the same server. The NAT's PPTP helper follows the control connections but
does not translate call IDs (Linux's nf_nat_pptp would; simpler "PPTP
passthrough" implementations do not). The server's GRE for either call
carries the same key, so the NAT delivers both to the client that
registered the call ID first. Client A works; client B's LCP never gets an
answer.`,
		natLabel: []string{"random public ports", "PPTP helper without", "call-ID translation"},
		nat: fmt.Sprintf(`Control connections: A %s -> %s, B %s -> %s. Client A's Outgoing-Call-Request registered
(server, call ID %d) -> %s. Client B's request with the same call ID changes nothing: the
helper keeps the first owner and does not translate. Inbound GRE with key %d always goes to
%s. The server's call IDs differ (A: %d, B: %d), so outbound GRE is unambiguous.`,
			pa.f.conn.Client, w.mapped(protoTCP, pa.f.conn.Client), pb.f.conn.Client, w.mapped(protoTCP, pb.f.conn.Client),
			callID, a.addr, callID, a.addr, pa.scid, pb.scid),
		wrong: fmt.Sprintf(`Outside, the server sends two GRE streams with key %d to the same public address: one
continuing A's sequence numbers, one starting at 0 for B. Inside, both arrive at %s. Client
A's PPTP stack discards B's packets as out of sequence (RFC 2637 §4.3 lets it) and carries
on; %s receives no GRE at all, retries LCP ten times and gives up.`, callID, a.addr, b.addr),
		why: `RFC 2637 §4.1: the GRE key is the receiver's call ID, chosen by each client alone; behind a
NAT two clients' call IDs collide unless the NAT translates them in the control messages and
in the GRE key (failure mode NT24; a NAT lets "only one" PPTP client through, as users often
report).`,
		fix: `Use a NAT whose PPTP helper translates call IDs (Linux nf_nat_pptp does), or move to IKEv2
with NAT-T.`,
		verdicts: []Verdict{va, vb},
		findings: []Finding{
			onCaptures("VP402", sevError, "", "outside, two calls from one public address carry the same call ID 1"),
			vb.expect("VP401", sevError, "client B's GRE goes out, none comes back to it"),
		},
	}
}

// pptpALGHalfTranslation: the PPTP helper translates the call ID in the
// control connection but not in the GRE key.
func pptpALGHalfTranslation(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.PPTPHelper = true
	w.nat.PPTPRewriteCallID = true
	a := w.linuxClient("client", addrClientA)
	srv := w.pptpHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "pptp.example.net", srv.addr)
	p := w.newPPTP(a, srv, uint16(w.rng.IntN(0x4000))+0x100, "")
	p.open()
	w.after(w.jitter(ms(5), ms(20)))
	p.lcpGiveUp()
	p.close()

	v := Verdict{Tunnel: tunnelName("PPTP", a, srv), NAT: "initiator", NATT: "n/a", Encapsulation: "gre", Passthrough: "yes",
		Failure:   "the NAT's PPTP helper translates the call ID in the control connection but not in the GRE key: the client discards the server's GRE",
		Catalogue: []string{"NT24", "NT23"}}
	return &story{
		summary: `A PPTP client behind a NAT whose PPTP helper translates call IDs, as it
should to keep several clients apart, but only half-way: it rewrites the
client's call ID in the Outgoing-Call-Request, and back in the reply, but
leaves the key of the server's GRE as the server wrote it. The server
keys its GRE with the translated call ID; the helper forwards it to the
client unchanged, and the client, which knows only its own call ID,
discards every packet. LCP times out.`,
		natLabel: []string{"random public ports", "PPTP helper: translates", "call IDs, not GRE keys"},
		nat: fmt.Sprintf(`TCP %s -> %s. The helper rewrites the client's call ID %d to %d in the Outgoing-Call-Request
(and in the Call-Clear-Request), and %d back to %d in the Peer's Call ID of the
Outgoing-Call-Reply. It forwards the server's GRE with key %d to the client, leaving the key
%d.`, p.f.conn.Client, w.mapped(protoTCP, p.f.conn.Client), p.ccid, p.ccidOut, p.ccidOut, p.ccid, p.ccidOut, p.ccidOut),
		wrong: fmt.Sprintf(`Inside, the control connection says the client's call ID is %d; the server's GRE arrives
with key %d. Outside, control and GRE agree on %d. The client's LCP Configure-Requests reach
the server and are acknowledged, with key %d; the client never sees an answer to its call
and gives up after ten requests.`, p.ccid, p.ccidOut, p.ccidOut, p.ccidOut),
		why: `RFC 2637 §4.1: the GRE key is the receiver's call ID. A NAT that translates call IDs (to
keep two clients with the same call ID apart, failure mode NT24) must translate the GRE
key back on the way in; translating one and not the other leaves the client with GRE for a
call it does not know, which looks like GRE not forwarded at all (NT23).`,
		fix: `Update the router's firmware or turn its PPTP helper's call ID translation off (Linux:
nf_nat_pptp translates both, nf_conntrack_pptp alone neither); better, replace PPTP.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP401", sevError, "inside, the client's GRE goes out and no GRE with its call ID comes back"),
			v.expect("VP403", sevError, "inside, the server's GRE carries a call ID the control connection did not give"),
		},
	}
}

// pptpGRELossAtNAT: the NAT's flood protection drops GRE in bursts.
func pptpGRELossAtNAT(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.nat.PPTPHelper = true
	// The router's DoS protection lets at most two GRE packets through
	// per 5 ms towards the LAN; bursts of the server's data lose the rest.
	var recent []time.Duration
	dropped := 0
	w.nat.Filter = func(outbound bool, q *pcaptest.Packet) string {
		if outbound || q.Proto != pcaptest.ProtoGRE {
			return ""
		}
		now := w.now
		kept := recent[:0]
		for _, t := range recent {
			if now-t < 5*time.Millisecond {
				kept = append(kept, t)
			}
		}
		recent = kept
		if len(recent) >= 2 {
			if len(q.Payload) > 0 && q.Payload[0]&0x10 != 0 {
				dropped++ // a data packet: its sequence number goes missing
			}
			return "the router's flood protection allows two GRE packets per 5 ms towards the LAN"
		}
		recent = append(recent, now)
		return ""
	}
	a := w.linuxClient("client", addrClientA)
	srv := w.pptpHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "pptp.example.net", srv.addr)
	p := w.newPPTP(a, srv, uint16(w.rng.IntN(0x4000))+0x100, "")
	p.open()
	p.negotiate()
	w.after(w.jitter(ms(100), ms(300)))
	p.data(10, "GRE: MPPE-encrypted data, the server's in bursts")
	// An LCP echo each way before hanging up (pppd lcp-echo-interval).
	w.after(sec(2))
	echo := pcaptest.PPP(pcaptest.PPPLCP, pcaptest.PPPPacket(9, 1, pcaptest.U32(w.rng.Uint32())))
	p.gre(true, echo, "GRE: LCP Echo-Request")
	w.after(w.jitter(ms(22), ms(30)))
	p.gre(false, pcaptest.PPP(pcaptest.PPPLCP, pcaptest.PPPPacket(10, 1, pcaptest.U32(w.rng.Uint32()))), "GRE: LCP Echo-Reply")
	w.after(sec(1))
	p.close()

	v := Verdict{Tunnel: tunnelName("PPTP", a, srv), NAT: "initiator", NATT: "n/a", Encapsulation: "gre", Passthrough: "yes",
		Catalogue: []string{"NT25"}}
	return &story{
		summary: `The PPTP call of pptp-ok, through a router whose flood protection limits
GRE towards the LAN to two packets in any 5 ms. The call comes up and
works, but whenever the server sends three data packets back to back the
third is dropped at the router: the client sees gaps in the server's GRE
sequence numbers that the outside capture does not have.`,
		natLabel: []string{"random public ports", "PPTP helper: on", "GRE flood protection"},
		nat: fmt.Sprintf(`TCP %s -> %s; the helper forwards the server's GRE (key %d) to %s, except what the flood
protection drops: %d data packets here.`, p.f.conn.Client, w.mapped(protoTCP, p.f.conn.Client), p.ccid, a.addr, dropped),
		wrong: fmt.Sprintf(`Outside, the server's GRE sequence numbers run without a gap. Inside, %d of them are
missing, each the third of a burst. PPP inside recovers (TCP retransmits), slowly.`, dropped),
		why: `RFC 2637 §4.1 numbers each GRE data packet per direction; numbers present outside and
missing inside were lost at the NAT (failure mode NT25).`,
		fix:      `Raise or disable the router's GRE flood limit, or exempt the PPTP server from it.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			v.expect("VP404", sevWarning, "the server's GRE sequence numbers have gaps inside, none outside"),
		},
	}
}
