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
	for _, n := range clearNotifies(m) {
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

// clearNotifies returns the notifies a message carries in cleartext: not
// those read inside its encryption, which the row says apart, as
// decrypted.
func clearNotifies(m *decode.IKEMessage) []decode.Notify {
	if m.Decryption == nil {
		return m.Notifies
	}
	inside := map[int]bool{}
	for _, s := range m.Decryption.Payloads {
		if s.Type == decode.PayloadTypeNotify || s.Type == decode.PayloadTypeV1Notification {
			inside[s.Entry] = true
		}
	}
	var out []decode.Notify
	for i, n := range m.Notifies {
		if !inside[i] {
			out = append(out, n)
		}
	}
	return out
}

// changed says what differs between a packet's two sightings beyond what
// a NAT rewrites (flows' comparison found they do); device names who did
// it.
func changed(in, out *decode.Packet, device string) string {
	if in.IKE != nil && out.IKE != nil {
		switch {
		case in.IKE.SPIi != out.IKE.SPIi:
			return device + " rewrote the IKE SPIs: initiator's " + decode.IKESPI(in.IKE.SPIi).String() + " inside, " + decode.IKESPI(out.IKE.SPIi).String() + " outside"
		case in.IKE.SPIr != out.IKE.SPIr:
			return device + " rewrote the IKE SPIs: responder's " + decode.IKESPI(in.IKE.SPIr).String() + " inside, " + decode.IKESPI(out.IKE.SPIr).String() + " outside"
		}
	}
	return device + " changed the packet's bytes"
}

// callIDsTranslated reports whether the NAT rewrote a call ID in a PPTP
// control message: a PPTP-aware NAT translates the client's call ID in the
// messages that carry it (Call ID or Peer's Call ID), which changes the
// message's bytes, and is translation, not modification.
func callIDsTranslated(in, out *decode.Packet) bool {
	return in.Kind == decode.KindPPTP && out.Kind == decode.KindPPTP &&
		(in.PPTP.CallID != out.PPTP.CallID || in.PPTP.PeerCallID != out.PPTP.PeerCallID)
}

// translatedCallID says how the NAT translated the call ID of a GRE packet
// or PPTP control message that crossed it, or "" when it did not.
func translatedCallID(in, out *decode.Packet) string {
	say := func(what string, a, b uint16) string {
		return "the NAT translated the " + what + ": " + decode.CallIDString(a) + " inside, " + decode.CallIDString(b) + " outside"
	}
	switch {
	case in.Kind == decode.KindGRE && in.GRE.Version == 1 && in.GRE.CallID != out.GRE.CallID:
		return say("call ID", in.GRE.CallID, out.GRE.CallID)
	case in.Kind == decode.KindPPTP && in.PPTP.HasCallID && in.PPTP.CallID != out.PPTP.CallID:
		return say("call ID", in.PPTP.CallID, out.PPTP.CallID)
	case in.Kind == decode.KindPPTP && in.PPTP.HasPeerCall && in.PPTP.PeerCallID != out.PPTP.PeerCallID:
		return say("peer's call ID", in.PPTP.PeerCallID, out.PPTP.PeerCallID)
	}
	return ""
}

// icmpSender names who sent an ICMP error, as its capture saw it.
func icmpSender(p *decode.Packet) string { return "sent by " + p.Src.String() }

func itoa(n int) string { return strconv.Itoa(n) }
