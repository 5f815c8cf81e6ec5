package report

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
)

// Packet is the JSON form of one decoded packet, one object per line in
// `vpnpcap dump --format json`. Field names are stable.
type Packet struct {
	Capture    string       `json:"capture,omitempty"`
	Frame      int          `json:"frame"`
	FirstFrame int          `json:"first_frame,omitempty"`
	Time       string       `json:"time"`
	Src        string       `json:"src"`
	Dst        string       `json:"dst"`
	Sport      uint16       `json:"sport"`
	Dport      uint16       `json:"dport"`
	Proto      uint8        `json:"proto"`
	Kind       string       `json:"kind"`
	Length     int          `json:"length"`
	IPID       uint32       `json:"ip_id"`
	TTL        uint8        `json:"ttl"`
	Fragment   *Fragment    `json:"fragment,omitempty"`
	Fragments  int          `json:"fragments,omitempty"`
	Marker     bool         `json:"non_esp_marker,omitempty"`
	NoMarker   bool         `json:"missing_non_esp_marker,omitempty"`
	CopyOf     int          `json:"duplicate_of,omitempty"`
	TCPEncap   bool         `json:"tcp_encap,omitempty"`
	IKE        *IKEMessage  `json:"ike,omitempty"`
	ESP        *ESPHeader   `json:"esp,omitempty"`
	UDPESP     *ESPHeader   `json:"udp-esp,omitempty"`
	TCPESP     *ESPHeader   `json:"tcp-esp,omitempty"`
	AH         *ESPHeader   `json:"ah,omitempty"`
	GRE        *GREHeader   `json:"gre,omitempty"`
	PPTP       *PPTPMessage `json:"pptp,omitempty"`
	ICMP       *ICMPError   `json:"icmp,omitempty"`

	// Decrypted is what the keys (--keys) made of an ESP packet.
	Decrypted *ESPDecryption `json:"decrypted,omitempty"`
	Error     string         `json:"error,omitempty"`
}

// IKEDecryption is what the keys made of an IKE message's encrypted part.
// Key names the key file and line, never the key.
type IKEDecryption struct {
	Status    string   `json:"status"`
	Key       string   `json:"key,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Payloads  []string `json:"payloads,omitempty"`
	Fragments int      `json:"fragments,omitempty"`
}

// ESPDecryption is what the keys made of an ESP packet, and what it
// carried.
type ESPDecryption struct {
	Status     string `json:"status"`
	Key        string `json:"key,omitempty"`
	Reason     string `json:"reason,omitempty"`
	NextHeader uint8  `json:"next_header,omitempty"`
	Src        string `json:"inner_src,omitempty"`
	Dst        string `json:"inner_dst,omitempty"`
	Proto      uint8  `json:"inner_proto,omitempty"`
	Sport      uint16 `json:"inner_sport,omitempty"`
	Dport      uint16 `json:"inner_dport,omitempty"`
	ICMPType   *uint8 `json:"inner_icmp_type,omitempty"`
}

// Fragment describes an IP fragment.
type Fragment struct {
	ID     uint32 `json:"id"`
	Offset int    `json:"offset"`
	More   bool   `json:"more"`
}

// IKEMessage is an IKE message.
type IKEMessage struct {
	Version   uint8      `json:"version"`
	Exchange  string     `json:"exchange"`
	SPIi      string     `json:"spi_i"`
	SPIr      string     `json:"spi_r"`
	MsgID     uint32     `json:"msg_id"`
	Flags     []string   `json:"flags"`
	Encrypted bool       `json:"encrypted,omitempty"`
	Payloads  []string   `json:"payloads"`
	Notifies  []string   `json:"notifies,omitempty"`
	NATD      []NATDHash `json:"natd"`
	VendorIDs []string   `json:"vendor_ids"`
	Fragment  string     `json:"fragment,omitempty"`
	// Decryption is set when keys were given and the message is encrypted.
	Decryption *IKEDecryption `json:"decryption,omitempty"`
}

// NATDHash is one NAT-D hash and whether it matches the captured tuple.
type NATDHash struct {
	Kind  string `json:"kind"`
	Match string `json:"match"`
}

// ESPHeader is an ESP or AH header.
type ESPHeader struct {
	SPI string `json:"spi"`
	Seq uint32 `json:"seq"`
}

// GREHeader is a GRE header.
type GREHeader struct {
	Version  uint8   `json:"version"`
	Protocol string  `json:"protocol"`
	CallID   *uint16 `json:"call_id,omitempty"`
	Key      *uint32 `json:"key,omitempty"`
	Seq      *uint32 `json:"seq,omitempty"`
	Ack      *uint32 `json:"ack,omitempty"`
}

// PPTPMessage is a PPTP control message.
type PPTPMessage struct {
	Type       string  `json:"type"`
	CallID     *uint16 `json:"call_id,omitempty"`
	PeerCallID *uint16 `json:"peer_call_id,omitempty"`
	Result     uint8   `json:"result_code,omitempty"`
	Error      uint8   `json:"error_code,omitempty"`
}

// ICMPError is an ICMP or ICMPv6 error that quotes a VPN packet (kind
// icmp-error): its type and code with their names, the next-hop MTU of
// fragmentation needed and packet too big, the pointer of a parameter
// problem, and the quoted packet.
type ICMPError struct {
	Version  uint8     `json:"icmp_version"` // 4 (ICMP) or 6 (ICMPv6)
	Type     uint8     `json:"type"`
	Code     uint8     `json:"code"`
	TypeName string    `json:"type_name"`
	CodeName string    `json:"code_name"`
	MTU      *uint32   `json:"mtu,omitempty"`
	Pointer  *uint32   `json:"pointer,omitempty"`
	Quote    ICMPQuote `json:"quote"`
}

// ICMPQuote is what an ICMP error quotes of the packet that caused it.
// Fields the quote cut off are left out (Cut names the first that matters);
// Kind is left out when the quote ends before what tells IKE, ESP and
// keepalives apart on UDP 4500.
type ICMPQuote struct {
	Src      string         `json:"src"`
	Dst      string         `json:"dst"`
	Proto    uint8          `json:"proto"`
	Kind     string         `json:"kind,omitempty"`
	Length   int            `json:"length"`
	Quoted   int            `json:"quoted"`
	Cut      string         `json:"cut,omitempty"`
	Fragment *Fragment      `json:"fragment,omitempty"`
	Sport    *uint16        `json:"sport,omitempty"`
	Dport    *uint16        `json:"dport,omitempty"`
	Marker   bool           `json:"non_esp_marker,omitempty"`
	SPI      string         `json:"spi,omitempty"`
	Seq      *uint32        `json:"seq,omitempty"`
	IKE      *ICMPQuotedIKE `json:"ike,omitempty"`
	GRE      *GREHeader     `json:"gre,omitempty"`
}

// ICMPQuotedIKE is a quoted IKE header, as far as the quote holds it.
type ICMPQuotedIKE struct {
	SPIi     string  `json:"spi_i"`
	SPIr     string  `json:"spi_r,omitempty"`
	Version  uint8   `json:"version,omitempty"`
	Exchange string  `json:"exchange,omitempty"`
	MsgID    *uint32 `json:"msg_id,omitempty"`
}

// Time formats a capture timestamp as RFC 3339 with nanoseconds, UTC.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }

// NATDKind names a NAT-D hash kind.
func NATDKind(k decode.NATDKind) string {
	switch k {
	case decode.NATDSource:
		return "source"
	case decode.NATDDestination:
		return "destination"
	}
	return "unknown"
}

// NATDMatch names a NAT-D verification result.
func NATDMatch(m decode.NATDMatch, portZero bool) string {
	switch m {
	case decode.NATDMatched:
		return "match"
	case decode.NATDMismatch:
		if portZero {
			return "mismatch-port-zero"
		}
		return "mismatch"
	}
	return "unknown"
}

// VendorIDName names a vendor ID, or shows it as hex when unknown.
func VendorIDName(v decode.VendorID) string {
	if v.Name != "" {
		return v.Name
	}
	return hex.EncodeToString(v.Data)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// NewPacket converts a packet. capture names the file when several are
// dumped together, or is empty.
func NewPacket(capture string, p *decode.Packet) Packet {
	j := Packet{
		Capture:   capture,
		Frame:     p.Frame,
		Time:      Time(p.Time),
		Src:       addrString(p.Src),
		Dst:       addrString(p.Dst),
		Sport:     p.SrcPort,
		Dport:     p.DstPort,
		Proto:     p.Proto,
		Kind:      p.Kind.String(),
		Length:    p.Length,
		IPID:      p.IPID,
		TTL:       p.TTL,
		Fragments: p.Fragments,
		Marker:    p.NonESPMarker,
		NoMarker:  p.MissingMarker,
		CopyOf:    int(p.DuplicateOf),
		TCPEncap:  p.TCPEncap,
		Error:     p.Fault.Message,
	}
	if p.FirstFrame != 0 && p.FirstFrame != p.Frame {
		j.FirstFrame = p.FirstFrame
	}
	if p.Fragment.IsFragment() {
		j.Fragment = &Fragment{ID: p.Fragment.ID, Offset: p.Fragment.Offset, More: p.Fragment.More}
	}
	if p.IKE != nil {
		j.IKE = newIKEMessage(p.IKE)
	}
	if p.Decrypted != nil {
		j.Decrypted = newESPDecryption(p.Decrypted)
	}
	spi := &ESPHeader{SPI: decode.SPI(p.ESP.SPI).String(), Seq: p.ESP.Seq}
	switch p.Kind {
	case decode.KindESP:
		j.ESP = spi
	case decode.KindUDPESP:
		j.UDPESP = spi
	case decode.KindTCPESP:
		j.TCPESP = spi
	case decode.KindAH:
		j.AH = &ESPHeader{SPI: decode.SPI(p.AH.SPI).String(), Seq: p.AH.Seq}
	case decode.KindGRE:
		g := p.GRE
		gj := &GREHeader{Version: g.Version, Protocol: fmt.Sprintf("0x%04x", g.Protocol)}
		if g.KeyPresent {
			if g.Version == 1 {
				gj.CallID = &g.CallID
			} else {
				gj.Key = &g.Key
			}
		}
		if g.SeqPresent {
			gj.Seq = &g.Seq
		}
		if g.AckPresent {
			gj.Ack = &g.Ack
		}
		j.GRE = gj
	case decode.KindICMPError:
		if p.ICMP != nil {
			j.ICMP = newICMPError(p.ICMP)
		}
	case decode.KindPPTP:
		pp := p.PPTP
		pj := &PPTPMessage{Type: pp.Type.String(), Result: pp.ResultCode, Error: pp.ErrorCode}
		if pp.HasCallID {
			pj.CallID = &pp.CallID
		}
		if pp.HasPeerCall {
			pj.PeerCallID = &pp.PeerCallID
		}
		j.PPTP = pj
	}
	return j
}

func newICMPError(e *decode.ICMPError) *ICMPError {
	q := &e.Quote
	j := &ICMPError{Version: 4, Type: uint8(e.Type), Code: uint8(e.Code), TypeName: e.TypeName(), CodeName: e.CodeName()}
	if e.IPv6 {
		j.Version = 6
	}
	if e.TooBig() {
		j.MTU = &e.MTU
	}
	if e.Pointer != 0 {
		j.Pointer = &e.Pointer
	}
	qj := &j.Quote
	*qj = ICMPQuote{Src: addrString(q.Src), Dst: addrString(q.Dst), Proto: q.Proto, Length: q.Length, Quoted: q.Quoted,
		Cut: q.Cut(), Marker: q.NonESPMarker}
	if q.Kind != decode.KindOther {
		qj.Kind = q.Kind.String()
	}
	if q.Fragment.IsFragment() {
		qj.Fragment = &Fragment{ID: q.Fragment.ID, Offset: q.Fragment.Offset, More: q.Fragment.More}
	}
	if q.Have.Has(decode.QuotePorts) {
		qj.Sport, qj.Dport = &q.SrcPort, &q.DstPort
	}
	if q.Have.Has(decode.QuoteSPI) {
		qj.SPI = decode.SPI(q.ESP.SPI).String()
	}
	if q.Have.Has(decode.QuoteSeq) {
		qj.Seq = &q.ESP.Seq
	}
	if q.Have.Has(decode.QuoteIKESPIi) {
		ij := &ICMPQuotedIKE{SPIi: decode.IKESPI(q.IKE.SPIi).String()}
		if q.Have.Has(decode.QuoteIKESPIr) {
			ij.SPIr = decode.IKESPI(q.IKE.SPIr).String()
		}
		if q.Have.Has(decode.QuoteIKEHeader) {
			ij.Version, ij.Exchange, ij.MsgID = q.IKE.Version, q.IKE.Exchange.String(), &q.IKE.MessageID
		}
		qj.IKE = ij
	}
	if q.Have.Has(decode.QuoteGRE) {
		g := q.GRE
		gj := &GREHeader{Version: g.Version, Protocol: fmt.Sprintf("0x%04x", g.Protocol)}
		if q.Have.Has(decode.QuoteGREKey) {
			if g.Version == 1 {
				gj.CallID = &q.GRE.CallID
			} else {
				gj.Key = &q.GRE.Key
			}
		}
		if q.Have.Has(decode.QuoteGRESeq) {
			gj.Seq = &q.GRE.Seq
		}
		if q.Have.Has(decode.QuoteGREAck) {
			gj.Ack = &q.GRE.Ack
		}
		qj.GRE = gj
	}
	return j
}

func newIKEMessage(m *decode.IKEMessage) *IKEMessage {
	j := &IKEMessage{
		Version:   m.Version,
		Exchange:  m.Exchange.String(),
		SPIi:      decode.IKESPI(m.SPIi).String(),
		SPIr:      decode.IKESPI(m.SPIr).String(),
		MsgID:     m.MessageID,
		Flags:     m.FlagNames(),
		Encrypted: m.Encrypted,
		Payloads:  make([]string, 0, len(m.Payloads)),
		NATD:      make([]NATDHash, 0, len(m.NATD)),
		VendorIDs: make([]string, 0, len(m.VendorIDs)),
	}
	for _, p := range m.Payloads {
		j.Payloads = append(j.Payloads, p.Type.String())
	}
	for _, n := range m.Notifies {
		j.Notifies = append(j.Notifies, n.Type.Name(m.Version))
	}
	for _, n := range m.NATD {
		j.NATD = append(j.NATD, NATDHash{Kind: NATDKind(n.Kind), Match: NATDMatch(n.Match, n.PortZero)})
	}
	for _, v := range m.VendorIDs {
		j.VendorIDs = append(j.VendorIDs, VendorIDName(v))
	}
	if m.Fragment != nil {
		j.Fragment = fmt.Sprintf("%d/%d", m.Fragment.Number, m.Fragment.Total)
	}
	if d := m.Decryption; d != nil {
		dj := &IKEDecryption{Status: d.Status.String(), Reason: d.Reason, Fragments: d.Fragments}
		if d.Key.File != "" {
			dj.Key = d.Key.String()
		}
		for _, p := range d.Payloads {
			dj.Payloads = append(dj.Payloads, p.Type.String())
		}
		j.Decryption = dj
	}
	return j
}

func newESPDecryption(d *decode.ESPDecryption) *ESPDecryption {
	j := &ESPDecryption{Status: d.Status.String(), Key: d.Key.String(), Reason: d.Reason, NextHeader: d.NextHeader}
	if d.Status != decode.Decrypted {
		return j
	}
	in := d.Inner
	j.Src, j.Dst, j.Proto, j.Sport, j.Dport = addrString(in.Src), addrString(in.Dst), in.Proto, in.SrcPort, in.DstPort
	if (in.Proto == 1 || in.Proto == 58) && in.Transport {
		t := in.ICMPType
		j.ICMPType = &t
	}
	return j
}

// WritePacketJSON writes one packet as a JSON line.
func WritePacketJSON(w io.Writer, capture string, p *decode.Packet) error {
	b, err := json.Marshal(NewPacket(capture, p))
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

func endpoint(a netip.Addr, port uint16, hasPort bool) string {
	if !a.IsValid() {
		return "-"
	}
	if !hasPort {
		return a.String()
	}
	return netip.AddrPortFrom(a, port).String()
}

// PacketLine is the one-line text form of a packet used by `vpnpcap dump`.
func PacketLine(p *decode.Packet) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(p.Frame))
	b.WriteByte(' ')
	b.WriteString(p.Time.UTC().Format("15:04:05.000000"))
	hasPort := p.Proto == 6 || p.Proto == 17
	fmt.Fprintf(&b, " %s > %s %s", endpoint(p.Src, p.SrcPort, hasPort), endpoint(p.Dst, p.DstPort, hasPort), p.Kind)
	switch p.Kind {
	case decode.KindIKE:
		writeIKE(&b, p.IKE)
	case decode.KindESP, decode.KindUDPESP, decode.KindTCPESP:
		fmt.Fprintf(&b, " spi=%s seq=%d", decode.SPI(p.ESP.SPI), p.ESP.Seq)
		if d := p.Decrypted; d != nil {
			if d.Status == decode.Decrypted {
				fmt.Fprintf(&b, " decrypted: %s", d.Inner)
			} else {
				fmt.Fprintf(&b, " decrypt=%s (%s)", d.Status, d.Reason)
			}
		}
	case decode.KindAH:
		fmt.Fprintf(&b, " spi=%s seq=%d", decode.SPI(p.AH.SPI), p.AH.Seq)
	case decode.KindGRE:
		g := p.GRE
		fmt.Fprintf(&b, " v%d proto=0x%04x", g.Version, g.Protocol)
		if g.KeyPresent {
			if g.Version == 1 {
				b.WriteString(" call=" + decode.CallIDString(g.CallID))
			} else {
				fmt.Fprintf(&b, " key=%d", g.Key)
			}
		}
		if g.SeqPresent {
			fmt.Fprintf(&b, " seq=%d", g.Seq)
		}
		if g.AckPresent {
			fmt.Fprintf(&b, " ack=%d", g.Ack)
		}
	case decode.KindPPTP:
		pp := p.PPTP
		fmt.Fprintf(&b, " %s", pp.Type)
		if pp.HasCallID {
			b.WriteString(" call=" + decode.CallIDString(pp.CallID))
		}
		if pp.HasPeerCall {
			b.WriteString(" peer-call=" + decode.CallIDString(pp.PeerCallID))
		}
		if pp.ResultCode != 0 {
			fmt.Fprintf(&b, " result=%d", pp.ResultCode)
		}
	case decode.KindICMPError:
		if p.ICMP != nil {
			writeICMP(&b, p.ICMP)
		}
	case decode.KindIPFragment:
		fmt.Fprintf(&b, " id=%d offset=%d more=%t", p.Fragment.ID, p.Fragment.Offset, p.Fragment.More)
	case decode.KindMalformed:
		if p.IKE != nil {
			writeIKE(&b, p.IKE)
		}
		fmt.Fprintf(&b, " error=%q", p.Fault.Message)
	}
	if p.Fragments > 0 {
		fmt.Fprintf(&b, " reassembled=%d", p.Fragments)
	}
	if p.MissingMarker {
		b.WriteString(" no-non-esp-marker")
	}
	if p.DuplicateOf != 0 {
		fmt.Fprintf(&b, " copy-of=%d", p.DuplicateOf)
	}
	return b.String()
}

// writeICMP writes an ICMP error and what it quotes:
// ` type=3 code=3 "Port unreachable" quotes 198.51.100.2:4500 >
// 198.51.100.1:1042 udp-esp spi=0x7aa865d2 seq=7 quoted=164/164`, with
// mtu=, pointer=, the quoted fragment, and cut= naming what the quote cut
// off.
func writeICMP(b *strings.Builder, e *decode.ICMPError) {
	q := &e.Quote
	fmt.Fprintf(b, " type=%d code=%d %q", e.Type, e.Code, e.Name())
	if e.TooBig() {
		fmt.Fprintf(b, " mtu=%d", e.MTU)
	}
	if e.Pointer != 0 {
		fmt.Fprintf(b, " pointer=%d", e.Pointer)
	}
	ports := q.Have.Has(decode.QuotePorts)
	kind := q.Kind.String()
	if q.Kind == decode.KindOther {
		kind = decode.ProtoName(q.Proto)
	}
	fmt.Fprintf(b, " quotes %s > %s %s", endpoint(q.Src, q.SrcPort, ports), endpoint(q.Dst, q.DstPort, ports), kind)
	if q.Fragment.IsFragment() {
		fmt.Fprintf(b, " fragment-offset=%d more=%t", q.Fragment.Offset, q.Fragment.More)
	}
	if q.NonESPMarker {
		b.WriteString(" non-esp-marker")
	}
	if q.Have.Has(decode.QuoteSPI) {
		fmt.Fprintf(b, " spi=%s", decode.SPI(q.ESP.SPI))
	}
	if q.Have.Has(decode.QuoteSeq) {
		fmt.Fprintf(b, " seq=%d", q.ESP.Seq)
	}
	if q.Have.Has(decode.QuoteIKESPIi) {
		fmt.Fprintf(b, " spi_i=%s", decode.IKESPI(q.IKE.SPIi))
	}
	if q.Have.Has(decode.QuoteIKESPIr) {
		fmt.Fprintf(b, " spi_r=%s", decode.IKESPI(q.IKE.SPIr))
	}
	if q.Have.Has(decode.QuoteIKEHeader) {
		fmt.Fprintf(b, " v%d %s msg_id=%d", q.IKE.Version, q.IKE.Exchange, q.IKE.MessageID)
	}
	if q.Have.Has(decode.QuoteGRE) {
		fmt.Fprintf(b, " v%d", q.GRE.Version)
		if q.Have.Has(decode.QuoteGREKey) {
			if q.GRE.Version == 1 {
				fmt.Fprintf(b, " call=%d", q.GRE.CallID)
			} else {
				fmt.Fprintf(b, " key=%d", q.GRE.Key)
			}
		}
		if q.Have.Has(decode.QuoteGRESeq) {
			fmt.Fprintf(b, " seq=%d", q.GRE.Seq)
		}
		if q.Have.Has(decode.QuoteGREAck) {
			fmt.Fprintf(b, " ack=%d", q.GRE.Ack)
		}
	}
	fmt.Fprintf(b, " quoted=%d/%d", q.Quoted, q.Length)
	if c := q.Cut(); c != "" {
		fmt.Fprintf(b, " cut=%q", c)
	}
}

func writeIKE(b *strings.Builder, m *decode.IKEMessage) {
	if m == nil {
		return
	}
	fmt.Fprintf(b, " v%d %s spi_i=%s spi_r=%s msg_id=%d", m.Version, m.Exchange, decode.IKESPI(m.SPIi), decode.IKESPI(m.SPIr), m.MessageID)
	if f := m.FlagNames(); len(f) > 0 {
		fmt.Fprintf(b, " [%s]", strings.Join(f, ","))
	}
	names := make([]string, 0, len(m.Payloads))
	for _, p := range m.Payloads {
		names = append(names, p.Type.String())
	}
	fmt.Fprintf(b, " payloads=%s", strings.Join(names, ","))
	for _, n := range m.NATD {
		fmt.Fprintf(b, " natd-%s=%s", NATDKind(n.Kind), NATDMatch(n.Match, n.PortZero))
	}
	for _, v := range m.VendorIDs {
		fmt.Fprintf(b, " vid=%q", VendorIDName(v))
	}
	d := m.Decryption
	if d == nil {
		return
	}
	switch d.Status {
	case decode.Decrypted:
		names = names[:0]
		for _, p := range d.Payloads {
			names = append(names, p.Type.String())
		}
		fmt.Fprintf(b, " decrypted=%s", strings.Join(names, ","))
		if d.Fragments > 0 {
			fmt.Fprintf(b, " from-fragments=%d", d.Fragments)
		}
		if len(m.Notifies) > 0 {
			ns := make([]string, 0, len(m.Notifies))
			for _, n := range m.Notifies {
				ns = append(ns, n.Type.Name(m.Version))
			}
			fmt.Fprintf(b, " notifies=%s", strings.Join(ns, ","))
		}
	case decode.DecryptFragment:
		b.WriteString(" decrypt=fragment")
	default:
		fmt.Fprintf(b, " decrypt=%s (%s)", strings.ReplaceAll(d.Status.String(), " ", "-"), d.Reason)
	}
}
