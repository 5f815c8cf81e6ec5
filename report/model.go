package report

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// Schema names the JSON report format and its version. It changes when a
// field is renamed or removed; adding a field keeps it.
const Schema = "vpnpcap.report/v1"

// Report is everything vpnpcap tells about one capture or a pair: the model
// every output format renders. Field names are the JSON schema, documented
// in docs/report-schema.md.
type Report struct {
	Schema      string       `json:"schema"`
	Captures    []Capture    `json:"captures"`
	Correlation *Correlation `json:"correlation,omitempty"`
	Tunnels     []Tunnel     `json:"tunnels"`
	// Mappings are the NAT mappings as the JSON report lists them: a
	// report made by Build leaves it nil, and each format makes the rows it
	// shows from the correlation's mappings (mappingRows).
	Mappings  []Mapping       `json:"mappings"`
	Flows     []Flow          `json:"flows,omitempty"`
	PPTP      []PPTPSession   `json:"pptp_sessions"`
	ESPGroups []ESPGroup      `json:"esp_groups"`
	Findings  []rules.Finding `json:"findings"`
	// Omitted counts what the lists above left out, past --max-listed.
	Omitted *Omitted `json:"omitted,omitempty"`
	// Ladders are the ladder diagrams drawn of the tunnels, calls and ESP
	// groups: the text, Markdown and HTML reports show them.
	Ladders []*ladder.Ladder `json:"-"`
	// subjects counts the subjects the ladders were chosen from, by kind
	// (tunnels, PPTP calls, ESP groups): none for a report limited to one
	// (Options.Only).
	subjects [3]int
	// failing and undecided count the subjects whose verdict fails and
	// those whose outcome cannot be told, which ChooseLadders draws first.
	failing, undecided int
	// maxListed bounds each list of the JSON report (Batch.BoundLists);
	// jsonOmits says whether that leaves something out.
	maxListed int
	jsonOmits bool
	// natMappings are the NAT mappings the report lists, in the
	// correlation's order. Build leaves Mappings empty and each format
	// makes rows of the mappings it shows (mappingRows): a busy NAT has a
	// hundred thousand, and the text and HTML reports show a hundred, the
	// JSON report a thousand unless told otherwise.
	natMappings []*flows.Mapping
}

// mappingRows returns the report's first n NAT mappings as rows (every
// one for n ≤ 0), and how many it has; a list, empty or not, as the JSON
// report's "mappings" always is.
func (r *Report) mappingRows(n int) ([]Mapping, int) {
	all := len(r.natMappings)
	if n <= 0 || n > all {
		n = all
	}
	rows := make([]Mapping, n)
	for i, m := range r.natMappings[:n] {
		rows[i] = newMapping(m)
	}
	return rows, all
}

// ESPGroup is a group of ESP or AH SAs between two peers that belong
// to no IKE tunnel of the captures.
type ESPGroup struct {
	ID int `json:"id"`
	// Host is the peer on the NAT's inside, Peer the other, keyed by
	// capture role.
	Host     map[string]string `json:"host"`
	Peer     map[string]string `json:"peer"`
	SPIs     []string          `json:"spis"`
	Packets  map[string]int    `json:"packets"`
	NAT      string            `json:"nat"`
	NATBasis NAT               `json:"nat_basis"`
	ESPSAs   []ESPSA           `json:"esp_sas"`
	Verdict  *rules.Verdict    `json:"verdict,omitempty"`
}

// Capture describes one capture file.
type Capture struct {
	// Path names the capture as given, escaped by SafeText; PathBytes holds
	// the exact bytes of the name when they differ from Path (a name with
	// control characters, or not UTF-8), which JSON shows in base64.
	Path        string         `json:"path"`
	PathBytes   []byte         `json:"path_bytes,omitempty"`
	Role        string         `json:"role"` // inside, outside, or capture when alone
	Frames      int            `json:"frames"`
	VPNFrames   int            `json:"vpn_frames"`
	Packets     int            `json:"vpn_packets"`
	First       string         `json:"first,omitempty"`
	Last        string         `json:"last,omitempty"`
	Span        float64        `json:"span_seconds"`
	Kinds       map[string]int `json:"kinds"`
	Malformed   int            `json:"malformed"`
	Undecodable map[string]int `json:"undecodable,omitempty"`
	ReadError   string         `json:"read_error,omitempty"`
	Overflow    *Overflow      `json:"overflow,omitempty"`
	Reassembly  *Reassembly    `json:"reassembly,omitempty"`
	// Duplicates counts VPN frames that are copies of one captured just
	// before (VP911); TimeOrder is "time" when the capture's time runs
	// backwards and its packets were analysed sorted by time stamp,
	// "file-unsorted" when there were too many to sort, "file-stream"
	// when the capture came from a stream read once, and empty when
	// file order is time order; SameTime is set when every frame carries
	// the same time stamp (VP910).
	Duplicates int    `json:"duplicates,omitempty"`
	TimeOrder  string `json:"time_order,omitempty"`
	SameTime   bool   `json:"same_time,omitempty"`
}

// Overflow reports what the flow table could not keep.
type Overflow struct {
	Flows   int `json:"flows"`
	Packets int `json:"packets"`
	Tunnels int `json:"tunnels"`
}

// Correlation summarises the correlation of two captures.
type Correlation struct {
	Roles            string  `json:"roles"`
	OffsetSeconds    float64 `json:"clock_offset_seconds"`
	DriftPPM         float64 `json:"clock_drift_ppm"`
	Anchors          int     `json:"anchors"`
	Overlaps         bool    `json:"overlaps"`
	OverlapStart     string  `json:"overlap_start,omitempty"`
	OverlapEnd       string  `json:"overlap_end,omitempty"`
	OverlapSeconds   float64 `json:"overlap_seconds"`
	InsideCompared   int     `json:"inside_compared"`
	OutsideCompared  int     `json:"outside_compared"`
	Matched          int     `json:"matched"`
	Modified         int     `json:"modified"`
	InsideUnmatched  int     `json:"inside_unmatched"`
	OutsideUnmatched int     `json:"outside_unmatched"`
}

// Tunnel is one tunnel. Endpoints are keyed by capture role ("inside",
// "outside", or "capture" for a single capture).
type Tunnel struct {
	ID                int               `json:"id"`
	IKEVersion        uint8             `json:"ike_version"`
	SPIi              string            `json:"spi_i"`
	SPIr              string            `json:"spi_r"`
	SPIiByCapture     map[string]string `json:"spi_i_by_capture,omitempty"`
	Initiator         map[string]string `json:"initiator"`
	Responder         map[string]string `json:"responder"`
	NAT               string            `json:"nat"`
	NATBasis          NAT               `json:"nat_basis"`
	NATDFaked         []string          `json:"natd_faked"`
	NATTNegotiated    bool              `json:"natt_negotiated"`
	NATTVendorIDs     []string          `json:"natt_vendor_ids,omitempty"`
	Float             bool              `json:"float"`
	Encapsulation     string            `json:"encapsulation"`
	ESPSAs            []ESPSA           `json:"esp_sas"`
	State             string            `json:"state"`
	StateReason       string            `json:"state_reason"`
	Exchanges         int               `json:"exchanges"`
	Retransmissions   int               `json:"retransmissions"`
	Keepalives        int               `json:"keepalives"`
	KeepaliveInterval float64           `json:"keepalive_interval_seconds,omitempty"`
	LargestGap        float64           `json:"largest_gap_seconds"`
	Fragmentation     Fragmentation     `json:"ike_fragmentation"`
	IKEFate           *Fate             `json:"ike_fate,omitempty"`
	Verdict           *rules.Verdict    `json:"verdict,omitempty"`
}

// Fragmentation says how the tunnel's large IKE messages travelled:
// IKE fragmentation announced by each peer (RFC 7383's
// IKEV2_FRAGMENTATION_SUPPORTED, or the IKEv1 fragmentation vendor ID),
// messages sent in IKE's own fragments, and messages the IP layer split.
type Fragmentation struct {
	Announced     map[string]bool `json:"announced"`
	IKEFragments  int             `json:"ike_fragments"`
	IPFragmented  int             `json:"ip_fragmented_messages"`
	LargestOctets int             `json:"largest_message_octets"`
}

// NAT says how the tunnel's NAT position is known, peer by peer.
type NAT struct {
	// Certainty is "proven" (a translation seen between the captures, or
	// a NAT-D hash), "inferred" (address ranges only) or "unknown".
	Certainty string  `json:"certainty"`
	Reason    string  `json:"reason"`
	NATDVoid  string  `json:"natd_void,omitempty"`
	Initiator PeerNAT `json:"initiator"`
	Responder PeerNAT `json:"responder"`
}

// PeerNAT is what the captures say about one peer's NAT.
type PeerNAT struct {
	Behind          string   `json:"behind_nat"` // yes, no or unknown
	Basis           []string `json:"basis"`
	Reason          string   `json:"reason,omitempty"`
	NATDFaked       string   `json:"natd_faked,omitempty"`
	NATDFakedReason string   `json:"natd_faked_reason,omitempty"`
}

func newNAT(a *flows.NATAssessment) NAT {
	j := NAT{Certainty: "unknown", Reason: a.Reason, NATDVoid: a.NATDVoid}
	switch a.Certainty {
	case flows.NATProven:
		j.Certainty = "proven"
	case flows.NATInferred:
		j.Certainty = "inferred"
	}
	peer := func(p flows.PeerNAT) PeerNAT {
		pj := PeerNAT{Behind: string(p.Behind), Basis: []string{}, Reason: p.Reason,
			NATDFaked: string(p.Faked), NATDFakedReason: p.FakedReason}
		for _, b := range p.Basis {
			pj.Basis = append(pj.Basis, string(b))
		}
		return pj
	}
	j.Initiator = peer(a.Peers[flows.RoleInitiator])
	j.Responder = peer(a.Peers[flows.RoleResponder])
	return j
}

// ESPSA is one ESP or AH SA of a tunnel.
type ESPSA struct {
	SPI           string `json:"spi"`
	Protocol      string `json:"protocol"` // esp or ah
	Capture       string `json:"capture"`  // role of the capture it was seen in
	Src           string `json:"src"`
	Dst           string `json:"dst"`
	Packets       int    `json:"packets"`
	Encapsulation string `json:"encapsulation"`
	Inferred      bool   `json:"inferred"`
	Missing       int    `json:"missing_seq"`
	Repeated      int    `json:"repeated_seq"`
	Fate          *Fate  `json:"fate,omitempty"`
}

// Fate counts what happened to packets across the NAT.
type Fate struct {
	Forwarded   int `json:"forwarded"`
	Dropped     int `json:"dropped"`
	Modified    int `json:"modified"`
	NoOrigin    int `json:"no_origin"`
	NotCompared int `json:"not_compared"`
}

// Mapping is one NAT mapping.
type Mapping struct {
	Protocol   string   `json:"protocol"`
	Inside     string   `json:"inside"`
	Outside    string   `json:"outside"`
	Translated bool     `json:"translated"`
	PacketsOut int      `json:"packets_out"`
	PacketsIn  int      `json:"packets_in"`
	First      string   `json:"first"`
	Last       string   `json:"last"`
	InboundIDs []string `json:"inbound_ids,omitempty"`
}

// Flow is one flow of one capture.
type Flow struct {
	Capture   string `json:"capture"`
	Key       string `json:"key"`
	Protocol  string `json:"protocol"`
	A         string `json:"a"`
	B         string `json:"b"`
	ID        string `json:"id,omitempty"`
	PacketsAB int    `json:"packets_ab"`
	PacketsBA int    `json:"packets_ba"`
	Bytes     int64  `json:"bytes"`
	First     string `json:"first"`
	Last      string `json:"last"`
	Tunnel    int    `json:"tunnel,omitempty"`
	Forwarded int    `json:"forwarded"`
	Dropped   int    `json:"dropped"`
	Modified  int    `json:"modified"`
	NoOrigin  int    `json:"no_origin"`
}

// PPTPSession is one PPTP call, joined across the captures. Endpoints,
// call IDs and counts are keyed by capture role.
type PPTPSession struct {
	ID                 int               `json:"id"`
	Client             map[string]string `json:"client"`
	Server             map[string]string `json:"server"`
	ControlEstablished bool              `json:"control_established"`
	// ClientCallID and ServerCallID are the call IDs as the client's side
	// saw them (inside, else the only capture); ClientCallIDs and
	// ServerCallIDs as each capture that saw the message carrying them.
	ClientCallID           uint16            `json:"client_call_id"`
	ServerCallID           uint16            `json:"server_call_id"`
	ClientCallIDs          map[string]uint16 `json:"client_call_ids"`
	ServerCallIDs          map[string]uint16 `json:"server_call_ids"`
	ClientCallIDTranslated bool              `json:"client_call_id_translated"`
	ServerCallIDTranslated bool              `json:"server_call_id_translated"`
	CallResult             uint8             `json:"call_result"`
	GREOut                 map[string]int    `json:"gre_out"`
	GREIn                  map[string]int    `json:"gre_in"`
	GREOutShared           map[string]int    `json:"gre_out_shared"`
	GREInShared            map[string]int    `json:"gre_in_shared"`
	GREOther               map[string]int    `json:"gre_other"`
	Verdict                *rules.Verdict    `json:"verdict,omitempty"`
}

func roleName(c *rules.Context, s flows.Side) string {
	if !c.Two() {
		return "capture"
	}
	return s.String()
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return Time(t)
}

func newCapture(a *flows.Analysis, role string) Capture {
	c := a.Capture
	j := Capture{
		Path:      c.Path,
		Role:      role,
		Frames:    c.Frames,
		VPNFrames: c.Stats.VPNFrames,
		Packets:   vpnPackets(c.Stats),
		First:     timeOrEmpty(c.First),
		Last:      timeOrEmpty(c.Last),
		Span:      round3(c.Span().Seconds()),
		Kinds:     map[string]int{},
		Malformed: c.Stats.Kinds[decode.KindMalformed],
	}
	for k := decode.Kind(1); int(k) < decode.NumKinds; k++ {
		if n := c.Stats.Kinds[k]; n > 0 {
			j.Kinds[k.String()] = n
		}
	}
	if len(c.Stats.Undecodable) > 0 {
		j.Undecodable = c.Stats.Undecodable
	}
	if c.ReadError != nil {
		j.ReadError = c.ReadError.Error()
	}
	j.Duplicates = a.Quality.Duplicates
	switch c.TimeOrder {
	case flows.OrderTime:
		j.TimeOrder = "time"
	case flows.OrderFileUnsorted:
		j.TimeOrder = "file-unsorted"
	case flows.OrderFileStream:
		j.TimeOrder = "file-stream"
	}
	j.SameTime = c.Stats.Clock.Unusable()
	if a.OverflowFlows+a.OverflowTunnels > 0 {
		j.Overflow = &Overflow{Flows: a.OverflowFlows, Packets: a.OverflowPackets, Tunnels: a.OverflowTunnels}
	}
	j.Reassembly = newReassembly(a)
	return j
}

func vpnPackets(s decode.Stats) int {
	n := 0
	for k := decode.Kind(1); int(k) < decode.NumKinds; k++ {
		n += s.Kinds[k]
	}
	return n
}

func round3(f float64) float64 {
	if f < 0 {
		return -float64(int64(-f*1000+0.5)) / 1000
	}
	return float64(int64(f*1000+0.5)) / 1000
}

func newCorrelation(c *flows.Correlation) *Correlation {
	j := &Correlation{
		Roles:            c.Roles,
		OffsetSeconds:    round6(c.Offset.Seconds()),
		DriftPPM:         round3(c.Drift),
		Anchors:          c.Anchors,
		Overlaps:         c.Overlaps,
		InsideCompared:   c.Compared[flows.SideInside],
		OutsideCompared:  c.Compared[flows.SideOutside],
		Matched:          c.Matched,
		Modified:         c.Modified,
		InsideUnmatched:  c.Unmatched[flows.SideInside],
		OutsideUnmatched: c.Unmatched[flows.SideOutside],
	}
	if c.Overlaps {
		j.OverlapStart, j.OverlapEnd = Time(c.OverlapStart), Time(c.OverlapEnd)
		j.OverlapSeconds = round3(c.OverlapEnd.Sub(c.OverlapStart).Seconds())
	}
	return j
}

func round6(f float64) float64 {
	if f < 0 {
		return -float64(int64(-f*1e6+0.5)) / 1e6
	}
	return float64(int64(f*1e6+0.5)) / 1e6
}

func newMapping(m *flows.Mapping) Mapping {
	j := Mapping{
		Protocol:   decode.ProtoName(m.Protocol),
		Inside:     endpointString(m.Protocol, m.Inside),
		Outside:    endpointString(m.Protocol, m.Outside),
		Translated: m.Translated(),
		PacketsOut: m.PacketsOut,
		PacketsIn:  m.PacketsIn,
		First:      Time(m.First),
		Last:       Time(m.Last),
	}
	for _, id := range m.IDs {
		if m.Protocol == flows.ProtoGRE {
			j.InboundIDs = append(j.InboundIDs, decode.CallIDString(uint16(id)))
		} else {
			j.InboundIDs = append(j.InboundIDs, decode.SPI(id).String())
		}
	}
	return j
}

// endpointString shows an endpoint; protocols without ports show the address.
func endpointString(proto uint8, ap netip.AddrPort) string {
	if proto == flows.ProtoTCP || proto == flows.ProtoUDP {
		return ap.String()
	}
	return ap.Addr().String()
}

func newFate(f *flows.Fate) *Fate {
	return &Fate{Forwarded: f.Forwarded, Dropped: f.Dropped, Modified: f.Modified, NoOrigin: f.NoOrigin, NotCompared: f.Outside}
}

func newTunnel(c *rules.Context, v *flows.TunnelView, vd *rules.Verdict) Tunnel {
	t := v.Any()
	j := Tunnel{
		ID:             v.ID,
		IKEVersion:     t.Version,
		SPIi:           decode.IKESPI(t.SPIi).String(),
		SPIr:           decode.IKESPI(t.SPIr).String(),
		Initiator:      map[string]string{},
		Responder:      map[string]string{},
		NAT:            string(v.NAT.Position),
		NATBasis:       newNAT(&v.NAT),
		NATDFaked:      v.NAT.NATDFakedRoles(),
		NATTNegotiated: v.NATTNegotiated(),
		Encapsulation:  string(v.Encapsulation()),
		ESPSAs:         []ESPSA{},
		State:          string(t.State),
		StateReason:    t.StateReason,
		Verdict:        vd,
	}
	var natt []string
	for s, side := range v.Sides {
		if side == nil {
			continue
		}
		role := roleName(c, flows.Side(s))
		j.addPeers(role, side, v.SPIRewritten)
		for _, r := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
			for _, n := range side.NATTVendorIDs[r] {
				if !slices.Contains(natt, n) {
					natt = append(natt, n)
				}
			}
		}
		if side.Float {
			j.Float = true
		}
		j.Exchanges = max(j.Exchanges, len(side.Exchanges)+side.ExchangesAged+side.ExchangesOverflow)
		j.Retransmissions = max(j.Retransmissions, side.Retransmissions)
		j.Keepalives = max(j.Keepalives, side.Keepalives.Count)
		if iv := side.Keepalives.MeanInterval(); iv > 0 {
			j.KeepaliveInterval = round3(iv.Seconds())
		}
		j.LargestGap = max(j.LargestGap, round3(side.LargestGap.Seconds()))
		j.Fragmentation.add(side)
		for _, sa := range side.ESPSAs {
			j.ESPSAs = append(j.ESPSAs, newESPSA(c, role, sa))
		}
		if c.Two() && s == int(flows.SideInside) {
			j.IKEFate = newFate(side.Fate())
		}
	}
	for i, also := range v.Also {
		if j.SPIiByCapture == nil {
			j.SPIiByCapture = map[string]string{}
		}
		j.SPIiByCapture[fmt.Sprintf("outside_%d", i+2)] = decode.IKESPI(also.SPIi).String()
	}
	sort.Strings(natt)
	j.NATTVendorIDs = natt
	if j.NATDFaked == nil {
		j.NATDFaked = []string{}
	}
	return j
}

// addPeers records the tunnel's initiator and responder as the capture
// named role saw them, first and latest, and its initiator's SPI there
// when the NAT rewrote it.
func (j *Tunnel) addPeers(role string, side *flows.Tunnel, spiRewritten bool) {
	j.Initiator[role] = side.InitiatorFirst.String()
	j.Responder[role] = side.ResponderFirst.String()
	if side.Initiator != side.InitiatorFirst {
		j.Initiator[role+"_latest"] = side.Initiator.String()
	}
	if side.Responder != side.ResponderFirst {
		j.Responder[role+"_latest"] = side.Responder.String()
	}
	if spiRewritten {
		if j.SPIiByCapture == nil {
			j.SPIiByCapture = map[string]string{}
		}
		j.SPIiByCapture[role] = decode.IKESPI(side.SPIi).String()
	}
}

// add adds what one capture saw of a tunnel's IKE fragmentation: the roles
// that announced support in either capture, and the most either saw.
func (f *Fragmentation) add(side *flows.Tunnel) {
	fr := side.IKEFragments()
	if f.Announced == nil {
		f.Announced = map[string]bool{}
	}
	for _, r := range []flows.Role{flows.RoleInitiator, flows.RoleResponder} {
		f.Announced[r.String()] = f.Announced[r.String()] || side.FragmentationOK[r]
	}
	f.IKEFragments = max(f.IKEFragments, fr.OwnFragments[0]+fr.OwnFragments[1])
	f.IPFragmented = max(f.IPFragmented, fr.Messages)
	f.LargestOctets = max(f.LargestOctets, fr.Largest)
}

func newESPGroup(c *rules.Context, g *flows.ESPGroup, vd *rules.Verdict) ESPGroup {
	j := ESPGroup{ID: g.ID, Host: map[string]string{}, Peer: map[string]string{}, Packets: map[string]int{},
		SPIs: []string{}, NAT: string(g.NAT.Position), NATBasis: newNAT(&g.NAT), ESPSAs: []ESPSA{}, Verdict: vd}
	// A group has no initiator: its host is the peer the assessment
	// calls so, and nothing is asked of the other.
	j.NATBasis.Responder = PeerNAT{Behind: string(flows.NATUnsure), Basis: []string{}}
	for _, spi := range g.SPIs() {
		j.SPIs = append(j.SPIs, decode.SPI(spi).String())
	}
	for s := range g.SAs {
		if len(g.SAs[s]) == 0 {
			continue
		}
		role := roleName(c, flows.Side(s))
		j.Host[role] = g.Host[s].String()
		j.Peer[role] = g.Peer[s].String()
		j.Packets[role] = g.Packets(flows.Side(s))
		for _, sa := range g.SAs[s] {
			j.ESPSAs = append(j.ESPSAs, newESPSA(c, role, sa))
		}
	}
	return j
}

func newESPSA(c *rules.Context, role string, sa *flows.ESPSA) ESPSA {
	sj := ESPSA{
		SPI: decode.SPI(sa.SPI).String(), Protocol: "esp", Capture: role,
		Src: sa.Src.String(), Dst: sa.Dst.String(),
		Packets: sa.Packets(), Encapsulation: string(saEncap(sa)),
		Inferred: sa.Inferred, Missing: sa.Missing, Repeated: sa.Repeated,
	}
	if sa.AH {
		sj.Protocol = "ah"
	}
	if c.Two() {
		sj.Fate = newFate(sa.Fate())
	}
	return sj
}

func saEncap(sa *flows.ESPSA) flows.Encapsulation {
	// An AH SA's packets count as raw here: its own protocol says AH.
	return flows.ESPCount{Raw: sa.Raw, UDP: sa.UDP, TCP: sa.TCP}.Encapsulation()
}

func newFlow(c *rules.Context, s flows.Side, role string, f *flows.Flow) Flow {
	j := Flow{
		Capture:   role,
		Key:       f.Key.String(),
		Protocol:  decode.ProtoName(f.Key.Proto),
		A:         endpointString(f.Key.Proto, f.Key.A),
		B:         endpointString(f.Key.Proto, f.Key.B),
		PacketsAB: f.Packets[flows.DirAB],
		PacketsBA: f.Packets[flows.DirBA],
		Bytes:     f.Bytes[0] + f.Bytes[1],
		First:     Time(f.First),
		Last:      Time(f.Last),
		Forwarded: f.Fate().Forwarded,
		Dropped:   f.Fate().Dropped,
		Modified:  f.Fate().Modified,
		NoOrigin:  f.Fate().NoOrigin,
	}
	switch f.Key.Proto {
	case flows.ProtoESP, flows.ProtoAH:
		j.ID = decode.SPI(f.Key.ID).String()
	case flows.ProtoGRE:
		j.ID = fmt.Sprint(f.Key.ID)
	}
	if f.Tunnel != 0 {
		if v := c.ViewOf(s, c.Capture(s).Tunnels[f.Tunnel-1]); v != nil {
			j.Tunnel = v.ID
		}
	}
	return j
}

func newPPTPSession(c *rules.Context, v *flows.SessionView, vd *rules.Verdict) PPTPSession {
	s := v.Any()
	j := PPTPSession{
		ID:                 v.ID,
		Client:             map[string]string{},
		Server:             map[string]string{},
		ControlEstablished: s.ControlEstablished,
		ClientCallID:       s.ClientCallID,
		ServerCallID:       s.ServerCallID,
		ClientCallIDs:      map[string]uint16{},
		ServerCallIDs:      map[string]uint16{},
		CallResult:         s.CallResult,
		GREOut:             map[string]int{},
		GREIn:              map[string]int{},
		GREOutShared:       map[string]int{},
		GREInShared:        map[string]int{},
		GREOther:           map[string]int{},
		Verdict:            vd,
	}
	j.ClientCallIDTranslated, j.ServerCallIDTranslated = v.Translated()
	for i, side := range v.Sides {
		if side == nil {
			continue
		}
		role := roleName(c, flows.Side(i))
		j.Client[role] = side.Client.String()
		j.Server[role] = side.Server.String()
		client, server, haveClient, haveServer := v.CallIDs(flows.Side(i))
		if haveClient {
			j.ClientCallIDs[role] = client
		}
		if haveServer {
			j.ServerCallIDs[role] = server
		}
		j.GREOut[role] = side.GREOut
		j.GREIn[role] = side.GREIn
		j.GREOutShared[role] = side.GREOutShared
		j.GREInShared[role] = side.GREInShared
		j.GREOther[role] = side.GREOther
	}
	return j
}
