package packettest

import (
	"net/netip"
	"slices"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// NAT models a device between an inside and an outside capture. Translate
// turns the inside capture's packets into the outside capture's.
type NAT struct {
	// Map rewrites inside endpoints ("10.0.0.2:500") to outside ones
	// ("203.0.113.5:500"); an address without a port maps raw IP
	// protocols (ESP, AH, GRE). Packets to an outside endpoint are
	// rewritten back.
	Map map[string]string
	// Offset is the outside capture's clock minus the inside's; Drift
	// changes it by parts per million of elapsed time; Delay is the
	// forwarding delay.
	Offset time.Duration
	Drift  float64
	Delay  time.Duration
	// Drop says which inside packets (by index) the NAT drops.
	Drop func(i int, p *decode.Packet) bool
	// Rewrite changes a forwarded packet further (an ALG).
	Rewrite func(p *decode.Packet)
}

func (n *NAT) lookup(ap netip.AddrPort, inbound bool) (netip.AddrPort, bool) {
	for in, out := range n.Map {
		from, to := AddrPort(in), AddrPort(out)
		if inbound {
			from, to = to, from
		}
		if from == ap {
			return to, true
		}
		if from.Port() == 0 && from.Addr() == ap.Addr() {
			return netip.AddrPortFrom(to.Addr(), ap.Port()), true
		}
	}
	return ap, false
}

// Translate returns the outside copies of the inside packets, renumbered
// from 1, in outside-clock order. Packets from outside peers to inside
// hosts are translated the other way (the inside capture shows them after
// the NAT): their outside copies come before them.
func (n *NAT) Translate(inside []decode.Packet) []decode.Packet {
	t0 := Start
	if len(inside) > 0 {
		t0 = inside[0].Time
	}
	var out []decode.Packet
	for i := range inside {
		p := inside[i]
		if n.Drop != nil && n.Drop(i, &p) {
			continue
		}
		src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
		delay := n.Delay
		flip := decode.NATDKind(0)
		if ns, ok := n.lookup(src, false); ok {
			src = ns
			p.TTL--
			flip = decode.NATDSource
		} else if nd, ok := n.lookup(dst, false); ok {
			// Inbound: the outside copy was earlier.
			dst = nd
			delay = -delay
			p.TTL++
			flip = decode.NATDDestination
		}
		p.Src, p.SrcPort, p.Dst, p.DstPort = src.Addr(), src.Port(), dst.Addr(), dst.Port()
		if p.IKE != nil {
			m := *p.IKE
			// A NAT-D hash compared with a translated field gives the
			// opposite answer on the other side of the NAT.
			m.NATD = slices.Clone(m.NATD)
			for j := range m.NATD {
				d := &m.NATD[j]
				if d.Kind == flip && flip != 0 && d.Match != decode.NATDUnknown {
					d.Match = decode.NATDMatched + decode.NATDMismatch - d.Match
				}
			}
			p.IKE = &m
		}
		if n.Rewrite != nil {
			n.Rewrite(&p)
		}
		elapsed := p.Time.Sub(t0)
		p.Time = p.Time.Add(n.Offset + delay + time.Duration(float64(elapsed)*n.Drift/1e6))
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b decode.Packet) int { return a.Time.Compare(b.Time) })
	for i := range out {
		out[i].Frame, out[i].FirstFrame = i+1, i+1
	}
	return out
}
