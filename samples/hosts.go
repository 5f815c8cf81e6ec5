package samples

import (
	"net/netip"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// Remote hosts: their TTLs are what arrives at the NAT's WAN port after
// the path (Linux sends 64).
func (w *world) gatewayHost() *host {
	return w.addHost("VPN gateway", addrGateway, nil, false, 55)
}

func (w *world) resolverHost() *host {
	return w.addHost("DNS resolver", addrResolver, nil, false, 57)
}

func (w *world) webHost() *host {
	return w.addHost("web server", addrWeb, nil, false, 53)
}

// linuxClient adds an inside Linux host.
func (w *world) linuxClient(name string, addr netip.Addr) *host {
	mac := macClientA
	if addr == addrClientB {
		mac = macClientB
	}
	return w.addHost(name, addr, mac, true, 64)
}

// mapped returns the public endpoint the NAT gave an inside endpoint's
// first mapping of the protocol, or the endpoint itself when there is none.
func (w *world) mapped(proto uint8, inside netip.AddrPort) netip.AddrPort {
	if w.nat == nil {
		return inside
	}
	for _, m := range w.nat.Mappings() {
		if uint8(m.Proto) == proto && m.Inside == inside {
			return m.Outside
		}
	}
	return inside
}

// mappedAll returns every public endpoint the NAT gave an inside endpoint.
func (w *world) mappedAll(proto uint8, inside netip.AddrPort) []netip.AddrPort {
	var out []netip.AddrPort
	if w.nat == nil {
		return out
	}
	for _, m := range w.nat.Mappings() {
		if uint8(m.Proto) == proto && m.Inside == inside {
			out = append(out, m.Outside)
		}
	}
	return out
}

const (
	protoUDP = uint8(pcaptest.ProtoUDP)
	protoTCP = uint8(pcaptest.ProtoTCP)
)
