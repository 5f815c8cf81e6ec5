package dissect

import (
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
)

// Summary is a packet's key fields in a line, as a packet list shows them:
// RFC 7296 message notation for IKE ("IKE_SA_INIT request #0: SA KE Ni
// N(NAT_DETECTION_SOURCE_IP)"), SPI and sequence number for ESP and AH,
// call ID and sequence number for GRE, what an ICMP error refused; and
// after "decrypted:" what keys (decode.Options.Keys) revealed of an IKE
// message or an ESP packet.
func Summary(p *decode.Packet) string {
	var b strings.Builder
	switch p.Kind {
	case decode.KindIKE:
		ikeSummary(&b, p.IKE)
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
		b.WriteString("spi " + decode.SPI(p.ESP.SPI).String() + " seq " + strconv.FormatUint(uint64(p.ESP.Seq), 10))
		if d := p.Decrypted; d != nil && d.Status == decode.Decrypted {
			b.WriteString("; decrypted: " + d.Inner.String())
		}
	case decode.KindAH:
		b.WriteString("spi " + decode.SPI(p.AH.SPI).String() + " seq " + strconv.FormatUint(uint64(p.AH.Seq), 10))
	case decode.KindNATKeepalive:
		b.WriteString("NAT-T keepalive")
	case decode.KindGRE:
		greSummary(&b, p.GRE)
	case decode.KindPPTP:
		b.WriteString(p.PPTP.Type.String())
		if p.PPTP.HasCallID {
			b.WriteString(" call " + decode.CallIDString(p.PPTP.CallID))
		}
		if p.PPTP.HasPeerCall {
			b.WriteString(" peer " + decode.CallIDString(p.PPTP.PeerCallID))
		}
		if p.PPTP.ResultCode != 0 {
			b.WriteString(" result " + strconv.Itoa(int(p.PPTP.ResultCode)))
		}
	case decode.KindICMPError:
		if p.ICMP != nil {
			icmpSummary(&b, p.ICMP)
		}
	case decode.KindIPFragment:
		b.WriteString("id " + strconv.FormatUint(uint64(p.Fragment.ID), 10) + " offset " + strconv.Itoa(p.Fragment.Offset))
		if p.Fragment.More {
			b.WriteString(" more")
		}
	case decode.KindMalformed:
		if p.IKE != nil {
			ikeSummary(&b, p.IKE)
			b.WriteString(": ")
		}
		b.WriteString(p.Fault.Message)
	default:
		b.WriteString(decode.ProtoName(p.Proto))
		if p.SrcPort != 0 || p.DstPort != 0 {
			b.WriteString(" " + strconv.Itoa(int(p.SrcPort)) + " → " + strconv.Itoa(int(p.DstPort)))
		}
		b.WriteString(", " + strconv.Itoa(p.Length) + " bytes")
	}
	if p.Fragments > 0 {
		b.WriteString(" (" + strconv.Itoa(p.Fragments) + " fragments)")
	}
	return b.String()
}

// greSummary writes a GRE header's version, key or call ID, sequence and
// acknowledgment numbers.
func greSummary(b *strings.Builder, g decode.GREInfo) {
	b.WriteString("v" + strconv.Itoa(int(g.Version)))
	if g.KeyPresent {
		if g.Version == 1 {
			b.WriteString(" call " + decode.CallIDString(g.CallID))
		} else {
			b.WriteString(" key " + strconv.FormatUint(uint64(g.Key), 10))
		}
	}
	if g.SeqPresent {
		b.WriteString(" seq " + strconv.FormatUint(uint64(g.Seq), 10))
	}
	if g.AckPresent {
		b.WriteString(" ack " + strconv.FormatUint(uint64(g.Ack), 10))
	}
}

// icmpSummary writes what an ICMP error says and about which packet.
func icmpSummary(b *strings.Builder, e *decode.ICMPError) {
	q := &e.Quote
	kind := q.Kind.String()
	if q.Kind == decode.KindOther {
		kind = decode.ProtoName(q.Proto)
	}
	src, dst := q.Src.String(), q.Dst.String()
	if q.Have.Has(decode.QuotePorts) {
		src, dst = q.Source().String(), q.Destination().String()
	}
	b.WriteString(e.Name() + " for " + kind + " " + src + " → " + dst)
	if q.Have.Has(decode.QuoteSPI) {
		b.WriteString(" spi " + decode.SPI(q.ESP.SPI).String())
	}
	if q.Have.Has(decode.QuoteGREKey) && q.GRE.Version == 1 {
		b.WriteString(" call " + decode.CallIDString(q.GRE.CallID))
	}
	if e.TooBig() {
		b.WriteString(" mtu " + strconv.FormatUint(uint64(e.MTU), 10))
	}
}

// ikeSummary writes an IKE message in RFC 7296 notation.
func ikeSummary(b *strings.Builder, m *decode.IKEMessage) {
	if m == nil {
		return
	}
	b.WriteString(m.Exchange.String())
	if m.Version == 2 {
		if m.IsResponse() {
			b.WriteString(" response")
		} else {
			b.WriteString(" request")
		}
	}
	b.WriteString(" #" + strconv.FormatUint(uint64(m.MessageID), 10))
	if m.Encrypted && len(m.Payloads) == 0 {
		b.WriteString(": encrypted")
		decryptedSummary(b, m)
		return
	}
	b.WriteString(":")
	mismatch := false
	for _, pl := range m.Payloads {
		b.WriteString(" " + m.PayloadAbbrev(pl.Type))
		if (pl.Type == decode.PayloadTypeNotify || pl.Type == decode.PayloadTypeV1Notification) && pl.Entry >= 0 && pl.Entry < len(m.Notifies) {
			b.WriteString("(" + m.Notifies[pl.Entry].Type.Name(m.Version) + ")")
		}
	}
	for _, n := range m.NATD {
		if n.Match == decode.NATDMismatch {
			mismatch = true
		}
	}
	if mismatch {
		b.WriteString(" — NAT-D mismatch")
	}
	decryptedSummary(b, m)
}

// decryptedSummary writes what the keys revealed inside the encryption,
// marked as decrypted.
func decryptedSummary(b *strings.Builder, m *decode.IKEMessage) {
	if d := DecryptedPayloads(m); d != "" {
		b.WriteString("; decrypted: " + d)
	}
}
