package rules

import (
	"fmt"
	"net/netip"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
)

// nonESPMarkerViolation detects breaches of the UDP 4500 framing of RFC
// 3948 §2: IKE with the four-zero-octet non-ESP marker on port 500, IKE on
// a NAT-T port without the marker (it then reads as ESP whose "SPI" and
// "sequence number" are the initiator's IKE SPI), and ESP-in-UDP with an
// SPI reserved by RFC 4303 §2.1 (1–255), which no SA has.
//
// The marker is how a receiver on UDP 4500 tells IKE from ESP. On port 500
// it is not expected: the receiver reads the zeros as the IKE header and
// rejects the message ("unsupported IKE version", strongSwan issue #861).
// On 4500 without it, IKE reaches the kernel as ESP of an unknown SA and is
// dropped silently ("has no Non-ESP marker"). Either way the exchange fails.
//
// Fix the sender: an implementation or middlebox (an ALG re-sending IKE,
// a port forward mapping 4500 to 500) that adds or strips the marker. Forward
// UDP 4500 to UDP 4500 and 500 to 500, never across.
//
// High confidence: the IKE behind a missing marker is recognised by its
// header (major version 1 or 2, length equal to the UDP payload's), or,
// when the capture cut it short, by its SPI matching an IKE SA of the
// capture; not guessed. ESP with a reserved
// SPI is reported without a tunnel.
type nonESPMarkerViolation struct{}

func (nonESPMarkerViolation) Meta() Meta {
	return Meta{
		ID:         "VP310",
		Slug:       "non-esp-marker-violation",
		Title:      "Non-ESP marker misused: on UDP 500, missing on UDP 4500, or non-ESP on 4500",
		Severity:   Error,
		Confidence: High,
		Explanation: "On the NAT-T port (4500) IKE and ESP share one UDP port, told apart by the non-ESP marker: IKE is preceded by " +
			"four zero bytes, where ESP has its SPI (never zero). Here IKE carries the marker on port 500, where the receiver reads " +
			"the zeros as the IKE header and rejects the message; or IKE travels on port 4500 without the marker, so the receiver " +
			"takes the initiator's IKE SPI for an ESP SPI and drops the message as ESP of an unknown SA; or packets on port 4500 " +
			"carry an SPI that RFC 4303 reserves and no SA can have. In each case the exchange fails silently.",
		Remedy: "Find the sender that adds or strips the marker: an IKE daemon sending on the wrong socket, or a NAT or port forward " +
			"that maps UDP 4500 to 500 (or back) or an ALG that re-sends IKE. Forward 500 to 500 and 4500 to 4500, turn off " +
			"IKE/IPsec ALGs, and update the peer if it is at fault. Anything else on UDP 4500 must move to another port.",
		References: []string{"RFC 3948 §2.2", "RFC 4303 §2.1", "strongSwan issue #861", "wl500g issue #358"},
		Catalogue:  []string{"NT10"},
	}
}

func (r nonESPMarkerViolation) Check(c *Context, report func(Finding)) {
	for _, v := range c.Tunnels {
		var in, out []int
		total := 0
		var sides []flows.Side
		for _, s := range viewSides(v) {
			if n := v.Sides[s].MarkerOn500.Count(); n > 0 {
				addSideFrames(s, v.Sides[s].MarkerOn500.List(), &in, &out)
				if total == 0 {
					total = n
				}
				sides = append(sides, s)
			}
		}
		if total == 0 {
			continue
		}
		s := sides[0]
		t := v.Sides[s]
		msg := fmt.Sprintf("%s of this IKE SA %s the non-ESP marker on UDP port 500 (%s): the marker belongs on the NAT-T port only, "+
			"and a receiver on port 500 reads the four zero bytes as the IKE header and rejects the message",
			words.Count(total, "IKE message"), words.Pick(total, "carries", "carry"), sideFrameList(c, s, firstFrames(t.MarkerOn500.List(), 6)))
		report(Finding{Confidence: High, Tunnel: v.ID, Message: msg, Evidence: evidenceFromBoth(c, in, out)})
	}
	r.missingMarker(c, report)
}

// ntMarkerless is IKE of one tunnel seen on a NAT-T port without the
// marker, as one capture shows it.
type ntMarkerless struct {
	sas     []*flows.ESPSA
	packets int
}

// missingMarker reports the IKE of each tunnel that travels on a NAT-T
// port without the non-ESP marker: messages the decoder recognised as IKE,
// else ESP-in-UDP whose SPI and sequence number are a tunnel's initiator
// SPI.
func (nonESPMarkerViolation) missingMarker(c *Context, report func(Finding)) {
	flagged := markerlessIKE(c, report)
	byView, order := markerlessAsESP(c, flagged, report)
	for _, v := range order {
		report(markerlessAsESPFinding(c, v, byView[v]))
	}
}

// markerlessIKE reports the IKE the decoder recognised on 4500 without the
// marker, whatever its SPIs: its header and length say it is IKE. It
// returns the tunnels it reported.
func markerlessIKE(c *Context, report func(Finding)) map[*flows.TunnelView]bool {
	flagged := map[*flows.TunnelView]bool{}
	for _, v := range c.Tunnels {
		var in, out []int
		total := 0
		var first *flows.Tunnel
		var side flows.Side
		for _, s := range viewSides(v) {
			t := v.Sides[s]
			if n := t.MarkerMissing.Count(); n > 0 {
				addSideFrames(s, t.MarkerMissing.List(), &in, &out)
				if first == nil {
					first, side, total = t, s, n
				}
			}
		}
		if first == nil {
			continue
		}
		flagged[v] = true
		src, dst := first.MarkerMissingFirst[0], first.MarkerMissingFirst[1]
		port := src.Port()
		if dst.Port() == decode.PortIKENATT {
			port = dst.Port()
		}
		msg := fmt.Sprintf("%s of this IKE SA %s on UDP port %d without the non-ESP marker (%s, first %s to %s): a receiver on that port "+
			"takes the start of the initiator SPI 0x%016x for an ESP SPI (%s) and drops it as ESP of an unknown SA",
			words.Count(total, "IKE message"), words.Pick(total, "travels", "travel"), port, sideFrameList(c, side, firstFrames(first.MarkerMissing.List(), 6)),
			src, dst, first.SPIi, decode.SPI(uint32(first.SPIi>>32)).String())
		report(Finding{Confidence: High, Tunnel: v.ID, Message: msg, Evidence: evidenceFromBoth(c, in, out)})
	}
	return flagged
}

// markerlessAsESP finds, in each capture, the ESP-in-UDP SAs that are IKE
// of a tunnel not flagged already: the first 8 octets, SPI and sequence
// number, are the tunnel's initiator SPI. It returns them by tunnel, in the
// order the tunnels were met, and reports the ones with a reserved SPI
// that is no tunnel's.
func markerlessAsESP(c *Context, flagged map[*flows.TunnelView]bool, report func(Finding)) (map[*flows.TunnelView]*[2]ntMarkerless, []*flows.TunnelView) {
	byView := map[*flows.TunnelView]*[2]ntMarkerless{}
	var order []*flows.TunnelView
	for _, s := range []flows.Side{flows.SideInside, flows.SideOutside} {
		a := c.Capture(s)
		if a == nil {
			continue
		}
		// The first tunnel of each initiator SPI, looked up for every SA.
		bySPI := make(map[uint64]*flows.Tunnel, len(a.Tunnels))
		for _, t := range a.Tunnels {
			if _, ok := bySPI[t.SPIi]; !ok {
				bySPI[t.SPIi] = t
			}
		}
		for _, sa := range a.SAs {
			if sa.AH || sa.UDP == 0 {
				continue
			}
			head := uint64(sa.SPI)<<32 | uint64(sa.FirstSeq)
			tun := bySPI[head]
			if tun == nil {
				if sa.SPI > 0 && sa.SPI <= 255 {
					report(ntReservedSPI(c, s, sa))
				}
				continue
			}
			v := c.ViewOf(s, tun)
			if v == nil || flagged[v] {
				continue
			}
			m := byView[v]
			if m == nil {
				m = &[2]ntMarkerless{}
				byView[v] = m
				order = append(order, v)
			}
			m[s].sas = append(m[s].sas, sa)
			m[s].packets += sa.UDP
		}
	}
	return byView, order
}

// markerlessAsESPFinding words the finding about a tunnel's IKE taken for
// ESP, as each capture shows it (m).
func markerlessAsESPFinding(c *Context, v *flows.TunnelView, m *[2]ntMarkerless) Finding {
	s := flows.SideInside
	if m[s].packets == 0 {
		s = flows.SideOutside
	}
	first := m[s].sas[0]
	var in, out []int
	for _, side := range []flows.Side{flows.SideInside, flows.SideOutside} {
		for _, sa := range m[side].sas {
			addSideFrames(side, sa.Frames.List(), &in, &out)
		}
	}
	var frames []int
	for _, sa := range m[s].sas {
		frames = append(frames, sa.Frames.List()...)
	}
	msg := fmt.Sprintf("%s of this IKE SA %s on UDP port %d without the non-ESP marker (%s, first %s to %s): a receiver on that port "+
		"takes the start of the initiator SPI 0x%016x for an ESP SPI (%s) and drops it as ESP of an unknown SA",
		words.Count(m[s].packets, "IKE message"), words.Pick(m[s].packets, "travels", "travel"), first.DstPort, sideFrameList(c, s, firstFrames(frames, 6)),
		netip.AddrPortFrom(first.Src, first.SrcPort), netip.AddrPortFrom(first.Dst, first.DstPort),
		v.Sides[s].SPIi, decode.SPI(first.SPI).String())
	return Finding{Confidence: High, Tunnel: v.ID, Message: msg, Evidence: evidenceFromBoth(c, in, out)}
}

// ntReservedSPI reports ESP-in-UDP whose SPI RFC 4303 §2.1 reserves.
func ntReservedSPI(c *Context, s flows.Side, sa *flows.ESPSA) Finding {
	src, dst := netip.AddrPortFrom(sa.Src, sa.SrcPort), netip.AddrPortFrom(sa.Dst, sa.DstPort)
	msg := fmt.Sprintf("%s from %s to %s on UDP port %d %s SPI %d (%s), which RFC 4303 reserves and no SA can have: this is not ESP, and a "+
		"receiver in UDP-encapsulation mode drops it; another application shares the port, or a sender omits the non-ESP marker",
		words.Count(sa.UDP, "packet"), src, dst, sa.DstPort, words.Pick(sa.UDP, "carries", "carry"), sa.SPI, sideFrameList(c, s, firstFrames(sa.Frames.List(), 6)))
	var in, out []int
	addSideFrames(s, sa.Frames.List(), &in, &out)
	return Finding{Confidence: Medium, Subject: fmt.Sprintf("udp %s -> %s spi %d", src, dst, sa.SPI), Message: msg, Evidence: evidenceFromBoth(c, in, out)}
}
