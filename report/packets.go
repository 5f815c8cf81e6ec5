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

// PacketJSON is the JSON form of one decoded packet, one object per line in
// `vpnpcap dump --format json`. Field names are stable.
type PacketJSON struct {
	Capture    string           `json:"capture,omitempty"`
	Frame      int              `json:"frame"`
	FirstFrame int              `json:"first_frame,omitempty"`
	Time       string           `json:"time"`
	Src        string           `json:"src"`
	Dst        string           `json:"dst"`
	Sport      uint16           `json:"sport"`
	Dport      uint16           `json:"dport"`
	Proto      uint8            `json:"proto"`
	Kind       string           `json:"kind"`
	Length     int              `json:"length"`
	IPID       uint32           `json:"ip_id"`
	TTL        uint8            `json:"ttl"`
	Fragment   *FragmentJSON    `json:"fragment,omitempty"`
	Fragments  int              `json:"fragments,omitempty"`
	Marker     bool             `json:"non_esp_marker,omitempty"`
	NoMarker   bool             `json:"missing_non_esp_marker,omitempty"`
	CopyOf     int              `json:"duplicate_of,omitempty"`
	TCPEncap   bool             `json:"tcp_encap,omitempty"`
	IKE        *IKEJSON         `json:"ike,omitempty"`
	ESP        *SPIJSON         `json:"esp,omitempty"`
	UDPESP     *SPIJSON         `json:"udp-esp,omitempty"`
	TCPESP     *SPIJSON         `json:"tcp-esp,omitempty"`
	AH         *SPIJSON         `json:"ah,omitempty"`
	GRE        *GREJSON         `json:"gre,omitempty"`
	PPTP       *PPTPMessageJSON `json:"pptp,omitempty"`
	Error      string           `json:"error,omitempty"`
}

// FragmentJSON describes an IP fragment.
type FragmentJSON struct {
	ID     uint32 `json:"id"`
	Offset int    `json:"offset"`
	More   bool   `json:"more"`
}

// IKEJSON is an IKE message.
type IKEJSON struct {
	Version   uint8      `json:"version"`
	Exchange  string     `json:"exchange"`
	SPIi      string     `json:"spi_i"`
	SPIr      string     `json:"spi_r"`
	MsgID     uint32     `json:"msg_id"`
	Flags     []string   `json:"flags"`
	Encrypted bool       `json:"encrypted,omitempty"`
	Payloads  []string   `json:"payloads"`
	Notifies  []string   `json:"notifies,omitempty"`
	NATD      []NATDJSON `json:"natd"`
	VendorIDs []string   `json:"vendor_ids"`
	Fragment  string     `json:"fragment,omitempty"`
}

// NATDJSON is one NAT-D hash and whether it matches the captured tuple.
type NATDJSON struct {
	Kind  string `json:"kind"`
	Match string `json:"match"`
}

// SPIJSON is an ESP or AH header.
type SPIJSON struct {
	SPI string `json:"spi"`
	Seq uint32 `json:"seq"`
}

// GREJSON is a GRE header.
type GREJSON struct {
	Version  uint8   `json:"version"`
	Protocol string  `json:"protocol"`
	CallID   *uint16 `json:"call_id,omitempty"`
	Key      *uint32 `json:"key,omitempty"`
	Seq      *uint32 `json:"seq,omitempty"`
	Ack      *uint32 `json:"ack,omitempty"`
}

// PPTPMessageJSON is a PPTP control message.
type PPTPMessageJSON struct {
	Type       string  `json:"type"`
	CallID     *uint16 `json:"call_id,omitempty"`
	PeerCallID *uint16 `json:"peer_call_id,omitempty"`
	Result     uint8   `json:"result_code,omitempty"`
	Error      uint8   `json:"error_code,omitempty"`
}

// SPI formats an ESP/AH SPI as JSON and text show it: lowercase hex, 0x,
// eight digits.
func SPI(spi uint32) string { return fmt.Sprintf("0x%08x", spi) }

// IKESPI formats an IKE SPI (cookie): lowercase hex, 0x, sixteen digits.
func IKESPI(spi uint64) string { return fmt.Sprintf("0x%016x", spi) }

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

// IKEFlags names the set header flags.
func IKEFlags(m *decode.IKEMessage) []string {
	flags := []string{}
	if m.Version == 2 {
		if m.Flags&decode.IKEv2FlagInitiator != 0 {
			flags = append(flags, "initiator")
		}
		if m.Flags&decode.IKEv2FlagResponse != 0 {
			flags = append(flags, "response")
		}
		if m.Flags&decode.IKEv2FlagVersion != 0 {
			flags = append(flags, "version")
		}
		return flags
	}
	if m.Flags&decode.IKEv1FlagEncryption != 0 {
		flags = append(flags, "encryption")
	}
	if m.Flags&decode.IKEv1FlagCommit != 0 {
		flags = append(flags, "commit")
	}
	if m.Flags&decode.IKEv1FlagAuthOnly != 0 {
		flags = append(flags, "auth-only")
	}
	return flags
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// NewPacketJSON converts a packet. capture names the file when several are
// dumped together, or is empty.
func NewPacketJSON(capture string, p *decode.Packet) PacketJSON {
	j := PacketJSON{
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
		Error:     p.Err,
	}
	if p.FirstFrame != 0 && p.FirstFrame != p.Frame {
		j.FirstFrame = p.FirstFrame
	}
	if p.Fragment.IsFragment() {
		j.Fragment = &FragmentJSON{ID: p.Fragment.ID, Offset: p.Fragment.Offset, More: p.Fragment.More}
	}
	if p.IKE != nil {
		j.IKE = newIKEJSON(p.IKE)
	}
	spi := &SPIJSON{SPI: SPI(p.ESP.SPI), Seq: p.ESP.Seq}
	switch p.Kind {
	case decode.KindESP:
		j.ESP = spi
	case decode.KindUDPESP:
		j.UDPESP = spi
	case decode.KindTCPESP:
		j.TCPESP = spi
	case decode.KindAH:
		j.AH = &SPIJSON{SPI: SPI(p.AH.SPI), Seq: p.AH.Seq}
	case decode.KindGRE:
		g := p.GRE
		gj := &GREJSON{Version: g.Version, Protocol: fmt.Sprintf("0x%04x", g.Protocol)}
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
	case decode.KindPPTP:
		pp := p.PPTP
		pj := &PPTPMessageJSON{Type: pp.Type.String(), Result: pp.ResultCode, Error: pp.ErrorCode}
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

func newIKEJSON(m *decode.IKEMessage) *IKEJSON {
	j := &IKEJSON{
		Version:   m.Version,
		Exchange:  m.Exchange.String(),
		SPIi:      IKESPI(m.SPIi),
		SPIr:      IKESPI(m.SPIr),
		MsgID:     m.MessageID,
		Flags:     IKEFlags(m),
		Encrypted: m.Encrypted,
		Payloads:  make([]string, 0, len(m.Payloads)),
		NATD:      make([]NATDJSON, 0, len(m.NATD)),
		VendorIDs: make([]string, 0, len(m.VendorIDs)),
	}
	for _, p := range m.Payloads {
		j.Payloads = append(j.Payloads, p.Type.String())
	}
	for _, n := range m.Notifies {
		j.Notifies = append(j.Notifies, n.Type.Name(m.Version))
	}
	for _, n := range m.NATD {
		j.NATD = append(j.NATD, NATDJSON{Kind: NATDKind(n.Kind), Match: NATDMatch(n.Match, n.PortZero)})
	}
	for _, v := range m.VendorIDs {
		j.VendorIDs = append(j.VendorIDs, VendorIDName(v))
	}
	if m.Fragment != nil {
		j.Fragment = fmt.Sprintf("%d/%d", m.Fragment.Number, m.Fragment.Total)
	}
	return j
}

// WritePacketJSON writes one packet as a JSON line.
func WritePacketJSON(w io.Writer, capture string, p *decode.Packet) error {
	b, err := json.Marshal(NewPacketJSON(capture, p))
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
		fmt.Fprintf(&b, " spi=%s seq=%d", SPI(p.ESP.SPI), p.ESP.Seq)
	case decode.KindAH:
		fmt.Fprintf(&b, " spi=%s seq=%d", SPI(p.AH.SPI), p.AH.Seq)
	case decode.KindGRE:
		g := p.GRE
		fmt.Fprintf(&b, " v%d proto=0x%04x", g.Version, g.Protocol)
		if g.KeyPresent {
			if g.Version == 1 {
				fmt.Fprintf(&b, " call=%d", g.CallID)
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
			fmt.Fprintf(&b, " call=%d", pp.CallID)
		}
		if pp.HasPeerCall {
			fmt.Fprintf(&b, " peer-call=%d", pp.PeerCallID)
		}
		if pp.ResultCode != 0 {
			fmt.Fprintf(&b, " result=%d", pp.ResultCode)
		}
	case decode.KindIPFragment:
		fmt.Fprintf(&b, " id=%d offset=%d more=%t", p.Fragment.ID, p.Fragment.Offset, p.Fragment.More)
	case decode.KindMalformed:
		if p.IKE != nil {
			writeIKE(&b, p.IKE)
		}
		fmt.Fprintf(&b, " error=%q", p.Err)
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

func writeIKE(b *strings.Builder, m *decode.IKEMessage) {
	if m == nil {
		return
	}
	fmt.Fprintf(b, " v%d %s spi_i=%s spi_r=%s msg_id=%d", m.Version, m.Exchange, IKESPI(m.SPIi), IKESPI(m.SPIr), m.MessageID)
	if f := IKEFlags(m); len(f) > 0 {
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
}
