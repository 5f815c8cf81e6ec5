package ladder

import (
	"strconv"

	"github.com/vpnpcap/vpnpcap/decode"
)

// label names a row after its first packet, with decode's names: RFC 7296
// notation for IKE, the SPI for ESP and AH, the call ID for GRE.
func label(p *decode.Packet, kind Kind) string {
	switch kind {
	case KindIKE:
		return ikeLabel(p)
	case KindESP:
		name := "ESP"
		switch p.Kind {
		case decode.KindUDPESP:
			name = "ESP in UDP"
		case decode.KindTCPESP:
			name = "ESP in TCP"
		}
		return name + " " + decode.SPI(p.ESP.SPI).String()
	case KindAH:
		return "AH " + decode.SPI(p.AH.SPI).String()
	case KindKeepalive:
		return "NAT-T keepalive"
	case KindGRE:
		if p.GRE.Version == 1 && p.GRE.KeyPresent {
			return "GRE to call " + decode.CallIDString(p.GRE.CallID)
		}
		return "GRE"
	case KindPPTP:
		s := p.PPTP.Type.String()
		if p.PPTP.HasCallID {
			s += " call " + decode.CallIDString(p.PPTP.CallID)
		}
		// Result 1 is success in every reply that has a result (RFC 2637
		// §2); other values say why not.
		if p.PPTP.ResultCode > 1 {
			s += " result " + itoa(int(p.PPTP.ResultCode))
		}
		return s
	case KindICMP:
		if p.ICMP == nil {
			return "ICMP error"
		}
		q := &p.ICMP.Quote
		what := q.Kind.String()
		if q.Kind == decode.KindOther {
			what = decode.ProtoName(q.Proto)
		}
		return "ICMP " + p.ICMP.Name() + " for " + what
	case KindFragments:
		return "IP fragments"
	}
	if p.IKE != nil {
		return "malformed " + ikeLabel(p)
	}
	return "malformed packet"
}

// ikeLabel names an IKE message: its exchange, request or response and
// message ID (IKEv2), the error it notifies, and how it travelled when not
// on plain UDP 500.
func ikeLabel(p *decode.Packet) string {
	m := p.IKE
	s := m.Exchange.String()
	if m.Version == 2 {
		if m.IsResponse() {
			s += " response"
		} else {
			s += " request"
		}
		s += " #" + strconv.FormatUint(uint64(m.MessageID), 10)
	}
	for _, n := range m.Notifies {
		if n.Type.IsError() {
			s += ": " + n.Type.Name(m.Version)
			break
		}
	}
	switch {
	case p.TCPEncap:
		s += " over TCP"
	case p.NonESPMarker:
		s += " on 4500"
	}
	if p.Fragments > 0 {
		s += " (" + itoa(p.Fragments) + " IP fragments)"
	}
	return s
}

// changed says what differs between a packet's two sightings beyond what
// a NAT rewrites (flows' comparison found they do).
func changed(in, out *decode.Packet) string {
	switch {
	case in.IKE != nil && out.IKE != nil && (in.IKE.SPIi != out.IKE.SPIi || in.IKE.SPIr != out.IKE.SPIr):
		return "the NAT rewrote the IKE SPIs: " + decode.IKESPI(in.IKE.SPIi).String() + " inside, " + decode.IKESPI(out.IKE.SPIi).String() + " outside"
	case in.Kind == decode.KindPPTP:
		return "the NAT changed the control message beyond its call ID"
	}
	return "the NAT changed the packet's bytes"
}

// translatedCallID says how the NAT translated the call ID of a GRE packet
// or PPTP control message that crossed it, or "" when it did not.
func translatedCallID(in, out *decode.Packet) string {
	switch {
	case in.Kind == decode.KindGRE && in.GRE.Version == 1 && in.GRE.CallID != out.GRE.CallID:
		return "call ID " + decode.CallIDString(in.GRE.CallID) + " inside, " + decode.CallIDString(out.GRE.CallID) + " outside"
	case in.Kind == decode.KindPPTP && in.PPTP.HasCallID && in.PPTP.CallID != out.PPTP.CallID:
		return "call ID " + decode.CallIDString(in.PPTP.CallID) + " inside, " + decode.CallIDString(out.PPTP.CallID) + " outside"
	}
	return ""
}

// icmpSender names who sent an ICMP error, as its capture saw it.
func icmpSender(p *decode.Packet) string { return "sent by " + p.Src.String() }

func itoa(n int) string { return strconv.Itoa(n) }
