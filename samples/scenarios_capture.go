package samples

import (
	"fmt"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// The capture-quality scenarios run the tunnel of natt-ok, which works;
// what goes wrong is the capture.

// nattSession runs a working IKEv2 NAT-T tunnel from a to gw: IKE_SA_INIT
// and IKE_AUTH, pings, a download, a pause with keepalives, more pings and
// the Delete. It returns the IKE SA and its CHILD SA.
func nattSession(w *world, a, gw *host, pause float64) (*ike2, *child) {
	s := w.newIKE2(a, gw)
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 3, "ESP in UDP", true)
	s.transfer(ch, 6, "download through the tunnel")
	if pause > 0 {
		s.keepalivesUntil(s.lastOut+sec(pause), "NAT-T keepalive")
	}
	s.pings(ch, 3, "traffic after the pause", true)
	w.after(sec(2))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)
	return s, ch
}

// nattVerdict is the verdict of nattSession's tunnel.
func nattVerdict(a, gw *host) Verdict {
	return Verdict{Tunnel: tunnelName("IKEv2", a, gw), NAT: "initiator", NATT: "yes", Encapsulation: "udp", Passthrough: "no"}
}

// captureTruncated: the inside capture file was copied while tcpdump was
// still writing it.
func captureTruncated(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	nattSession(w, a, gw, 45)
	w.after(sec(1))
	w.dns(a, dns, "www.example.com", addrWeb)
	// The copy ends in the middle of a record, about two thirds in.
	w.in.cutAfter = len(w.in.frames) * 2 / 3

	v := nattVerdict(a, gw)
	return &story{
		summary: `The tunnel of natt-ok, captured on both sides of the NAT. The inside
capture was copied off the capture host while tcpdump was still writing
it: the copy stops in the middle of a record, about two thirds of the way
through. vpnpcap reads what is there, says where the file ends, and
compares the two captures only where both have packets.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and %s to %s; it forwards everything.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: `Nothing goes wrong on the network. inside.pcap ends after a record header and half the
frame it announces; the frames after that point are only in outside.pcap, so for them there
is nothing to compare: not lost, not forwarded, unknown.`,
		why: `A pcap file is a header followed by records, each with its own length (the pcap format,
draft-ietf-opsawg-pcap). A file copied while the writer is still at work ends wherever the
copy caught it. The capture's time span then ends early, and only the part both captures
cover can be compared.`,
		fix:      `Stop tcpdump (Ctrl-C) before copying the file, or copy it again once it is complete.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			onCaptures("VP901", sevWarning, "inside.pcap", "inside.pcap ends in the middle of a record"),
			onCaptures("VP904", sevInfo, "", "the outside capture goes on after the inside one ends"),
		},
	}
}

// captureSnaplen: the outside capture was taken with a short snap length.
func captureSnaplen(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()
	w.out.snapLen = 96

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	nattSession(w, a, gw, 25)

	v := nattVerdict(a, gw)
	return &story{
		summary: `The tunnel of natt-ok again. The outside capture was taken on the router
itself with its old tcpdump, which keeps only the first 96 octets of each
frame unless told otherwise (-s). Every IKE message is cut: outside, the
NAT detection notifies, the vendor IDs and most payloads are missing. ESP
keeps its SPI and sequence number in its first eight octets and is fine.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and %s to %s; it forwards everything.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: `Nothing goes wrong on the network. In outside.pcap every frame longer than 96 octets is
stored cut, with its original length in the record header: the IKE header survives, the
payloads after the first few octets do not.`,
		why: `tcpdump -s sets how much of each packet is kept; versions before 4.0 kept 68 or 96 octets
by default, and embedded capture tools often still limit the length. NAT detection, vendor
IDs and notifies then cannot be read from that capture; the inside capture still has them.`,
		fix: `Capture whole packets: tcpdump -s 0, or the largest packet length the router's capture
tool allows.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			onCaptures("VP902", sevWarning, "outside.pcap", "outside.pcap keeps 96 octets of each frame: IKE messages are cut"),
		},
	}
}

// capturesNotComparable: the two captures were taken at different times.
func capturesNotComparable(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	nattSession(w, a, gw, 0)
	w.in.until = w.now + sec(1)
	// The user stops the inside capture, starts the outside one a minute
	// later and connects again.
	w.at(w.now + sec(60))
	w.out.from = w.now
	w.after(sec(0.5))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	nattSession(w, a, gw, 0)

	vin := nattVerdict(a, gw)
	vout := nattVerdict(&host{addr: w.nat.Public}, gw)
	return &story{
		summary: `The client connects twice, with a working NAT-T tunnel each time. The
inside capture covers the first connection and was stopped; the outside
capture was started a minute later and covers the second. The two files
share no packet and no moment: vpnpcap cannot correlate them and must say
so, and then judge each tunnel from the one capture that has it.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT translates both connections like any UDP traffic: the client's port 500 to %s and
port 4500 to %s, then to new ports the second time.`, w.mapped(protoUDP, a.ap(500)), w.mapped(protoUDP, a.ap(4500))),
		wrong: `Nothing goes wrong on the network. inside.pcap holds the first IKE SA, outside.pcap the
second, with other SPIs, other ports and a later time: no packet of one is in the other.`,
		why: `Correlating two captures needs packets seen in both (SPIs, sequence numbers, payload bytes
a NAT leaves alone), and captures that run at the same time. Without them there is no clock
offset, no packet fate and no NAT mapping.`,
		fix:      `Run both captures at the same time, started before the tunnel comes up.`,
		verdicts: []Verdict{vin, vout},
		findings: []Finding{
			onCaptures("VP903", sevWarning, "", "the captures share no packet and do not overlap in time"),
		},
	}
}

// captureClockDrift: the outside capture host's clock is being slewed.
func captureClockDrift(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	w.drift = 2000
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns := w.resolverHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	nattSession(w, a, gw, 45)

	v := nattVerdict(a, gw)
	return &story{
		summary: `The tunnel of natt-ok, captured on both sides. The outside capture host
had just started and chronyd was slewing its clock to correct an offset: it
ran 2000 parts per million fast, 2 ms every second, for the whole capture.
Clocks that keep time drift by tens of ppm; vpnpcap estimates the drift
from the packets seen in both captures and flags the implausible rate.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and %s to %s; it forwards everything.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: `Nothing goes wrong on the network. The offset between the captures' clocks grows from the
skew at the start by 2 ms per second: after a minute, 120 ms more.`,
		why: `RFC 5905 bounds a disciplined clock's frequency error at 500 ppm; chronyd slews faster
(up to 83 333 ppm) when it corrects an offset without stepping. Times converted between the
captures are then off by the accumulated drift.`,
		fix: `Let the capture hosts' clocks settle (chronyc tracking) before capturing, or capture both
sides on one host.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			onCaptures("VP905", sevWarning, "", "the outside clock gains 2000 ppm on the inside one"),
		},
	}
}

// flowTableOverflow: a busy capture analysed with a small flow table.
func flowTableOverflow(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns, web := w.resolverHost(), w.webHost()

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	s, ch := nattSessionOpen(w, a, gw)
	// The user browses outside the tunnel meanwhile: a dozen sites.
	for k := range 12 {
		name := fmt.Sprintf("cdn%d.example.com", k+1)
		w.dns(a, dns, name, addrWeb)
		w.https(a, web, name)
		s.pings(ch, 1, "", true)
	}
	w.after(sec(2))
	s.informational("INFORMATIONAL (Delete of the IKE SA)", 12)

	v := nattVerdict(a, gw)
	return &story{
		summary: `The tunnel of natt-ok on a busy connection: while it runs, the client
browses a dozen web sites outside the tunnel. The captures are analysed
with a flow table limited to 16 flows (--max-flows 16), as on a small
machine or to keep memory bounded on a huge capture. The VPN flows come
first and are followed; the later web flows are only counted, and vpnpcap
must say that its analysis is incomplete.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and %s to %s, and the web traffic to ports of its own.`,
			a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: `Nothing goes wrong on the network. Each capture holds more than 16 conversations: the IKE
and ESP flows, and a DNS lookup and an HTTPS connection for each site.`,
		why: `vpnpcap bounds its tables so that no capture can exhaust memory (--max-flows, default about
a million). Flows beyond the bound are counted and not followed: what happens in them is not
analysed.`,
		fix:      `Raise --max-flows, or filter the capture to the VPN peers first.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			onCaptures("VP907", sevWarning, "inside.pcap", "the inside capture has more flows than the table keeps"),
			onCaptures("VP907", sevWarning, "outside.pcap", "so has the outside capture"),
		},
		args:    []string{"--max-flows", "16"},
		argsWhy: `the flow table is limited to 16 flows, which this capture exceeds.`,
	}
}

// nattSessionOpen runs IKE_SA_INIT, IKE_AUTH and a few pings of a working
// NAT-T tunnel and leaves it up.
func nattSessionOpen(w *world, a, gw *host) (*ike2, *child) {
	s := w.newIKE2(a, gw)
	s.handshake(true)
	s.auth(380+w.rng.IntN(60), 420+w.rng.IntN(60))
	ch := s.newChild(true)
	w.after(w.jitter(ms(40), ms(90)))
	s.pings(ch, 3, "ESP in UDP", true)
	return s, ch
}

// captureOneDirection: a mirror port copies only what the client sends.
func captureOneDirection(w *world) *story {
	w.nat.Ports = pcaptest.PortRandom
	a := w.linuxClient("client", addrClientA)
	gw := w.gatewayHost()
	dns, web := w.resolverHost(), w.webHost()
	// The switch port mirrors the client's port "rx" only: the frames
	// the client sends.
	w.in.keep = func(p *pcaptest.Packet) bool { return p.Src == a.addr }

	w.after(w.jitter(ms(100), ms(300)))
	w.dns(a, dns, "vpn.example.net", gw.addr)
	w.dns(a, dns, "www.example.com", addrWeb)
	w.https(a, web, "www.example.com")
	w.dns(a, dns, "mail.example.com", addrWeb)
	nattSession(w, a, gw, 25)

	v := nattVerdict(a, gw)
	return &story{
		summary: `The tunnel of natt-ok, captured once, on a switch's mirror port set to copy
only the frames the client's port receives from the client: what the
client sends. Every IKE request is there, no response; ESP goes out, none
comes in; DNS queries without answers, TCP without a SYN-ACK. Everything
works; the capture sees one direction, and vpnpcap must not mistake that
for a failure.`,
		natLabel: []string{"random public ports", "no IPsec passthrough"},
		nat: fmt.Sprintf(`The NAT maps %s to %s and %s to %s. It is not in the capture: the mirror port is on the
client's switch.`, a.ap(500), w.mapped(protoUDP, a.ap(500)), a.ap(4500), w.mapped(protoUDP, a.ap(4500))),
		wrong: `Nothing goes wrong on the network. The capture shows IKE_SA_INIT, IKE_AUTH and INFORMATIONAL
requests and no response, although the client moves on from each to the next: an IKEv2
initiator sends IKE_AUTH only once IKE_SA_INIT was answered.`,
		why: `A SPAN session copies a port's received traffic, its transmitted traffic, or both
("monitor session 1 source interface Gi1/0/5 rx"); with one direction only, every request
looks unanswered.`,
		fix:      `Mirror both directions of the port (monitor session ... both), or capture on the client.`,
		verdicts: []Verdict{v},
		findings: []Finding{
			onCaptures("VP908", sevInfo, "capture.pcap", "requests and not one response, in IKE and in every other conversation"),
		},
	}
}
