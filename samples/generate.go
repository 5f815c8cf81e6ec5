package samples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/pcaptest"
)

// scenario is one sample: its directory name, a one-line title, and the
// story that generates it.
type scenario struct {
	name   string
	title  string
	single bool // no NAT in the path: one capture at the client
	// oneSide: a NAT in the path, but only one capture, taken behind it.
	oneSide bool
	run     func(w *world) *story
}

// story is what a scenario's run returns: the README's prose, written
// after the run so that it can quote the ports and SPIs the run chose.
type story struct {
	summary  string
	natLabel []string // lines in the NAT box of the diagram
	nat      string   // what the NAT did
	wrong    string   // what happens, or what goes wrong
	why      string
	fix      string
	verdicts []Verdict
	// findings are the findings vpnpcap must report, each tied to a
	// tunnel of verdicts or to the captures.
	findings []Finding
	// args are analyze flags the scenario needs besides the captures, and
	// argsWhy says why.
	args    []string
	argsWhy string
}

// scenarios is the ordered list of samples; the order fixes each
// scenario's clock base.
var scenarios = []scenario{
	{name: "natt-ok", title: "IKEv2 through a NAT with NAT-T: float to 4500, ESP in UDP both ways, keepalives", run: nattOK},
	{name: "natt-ok-ikev1", title: "IKEv1 Main and Quick Mode through a NAT with RFC 3947 NAT-T", run: nattOKIKEv1},
	{name: "natt-port-blocked", title: "NAT detected, but UDP 4500 is blocked: IKE_AUTH retransmitted, tunnel fails", run: nattPortBlocked},
	{name: "passthrough-ok", title: "No NAT-T: raw ESP crosses the NAT thanks to IPsec passthrough (one client)", run: passthroughOK},
	{name: "passthrough-off", title: "No NAT-T and passthrough off: IKE completes, ESP dies at the NAT", run: passthroughOff},
	{name: "passthrough-collision", title: "Two clients, raw ESP to one gateway: inbound ESP for B is delivered to A", run: passthroughCollision},
	{name: "natt-with-passthrough", title: "NAT-T in use while the NAT also has passthrough on: no raw ESP, no dependency", run: nattWithPassthrough},
	{name: "ike-alg-rewrite", title: "An IKE ALG keeps port 500 and rewrites the initiator SPI; a second client is dropped", run: ikeALGRewrite},
	{name: "ike-fragments-dropped", title: "Large IKE_AUTH with certificates is IP-fragmented; the NAT forwards only the first fragment", run: ikeFragmentsDropped},
	{name: "nat-rebinding", title: "Idle NAT-T tunnel without keepalives: the mapping expires, the gateway answers the old port", run: natRebinding},
	{name: "mixed-encapsulation", title: "One tunnel, two encapsulations: client ESP raw (protocol 50), gateway ESP in UDP 4500", run: mixedEncapsulation},
	{name: "forced-encapsulation", title: "No NAT, but encap=yes: a faked NAT-D forces ESP into UDP 4500", run: forcedEncapsulation},
	{name: "ah-through-nat", title: "AH across a NAT: the ICV covers the translated address, the responder drops every packet", run: ahThroughNAT},
	{name: "ikev1-natt-draft-mismatch", title: "IKEv1: initiator speaks only NAT-T drafts, responder only RFC 3947: no NAT-T, raw ESP dropped", run: ikev1DraftMismatch},
	{name: "pptp-ok", title: "PPTP through a NAT with a PPTP helper: control on TCP 1723, enhanced GRE both ways", run: pptpOK},
	{name: "pptp-gre-blocked", title: "PPTP control works, inbound GRE is not forwarded: LCP times out", run: pptpGREBlocked},
	{name: "pptp-callid-collision", title: "Two PPTP clients with the same call ID behind a NAT that does not translate it", run: pptpCallIDCollision},
	{name: "ike-over-tcp", title: "UDP blocked upstream: IKE_SA_INIT on UDP 500 unanswered, fallback to TCP 4500 (RFC 9329)", run: ikeOverTCP},
	{name: "no-nat", title: "Control case: IKEv2 with no NAT in the path, one capture, NAT-D matches, raw ESP", single: true, run: noNAT},
	// Scenarios added later go last: a scenario's index fixes its clock,
	// so inserting one would change the bytes of every one after it.
	{name: "ike-no-proposal-chosen", title: "The gateway refuses the client's legacy IKE proposal with NO_PROPOSAL_CHOSEN, in clear", run: ikeNoProposalChosen},
	{name: "ike-invalid-ke-retry", title: "INVALID_KE_PAYLOAD: the gateway wants another Diffie-Hellman group, the client retries and connects", run: ikeInvalidKERetry},
	{name: "windows-server-behind-nat", title: "L2TP/IPsec from Windows to a server behind its own NAT: Windows stops after Main Mode 4 (error 809)", run: windowsServerBehindNAT},
	{name: "nat-clients-sa-collision", title: "Two clients behind one NAT, one server keying policies by address: client B's SA takes client A's ESP", run: natClientsSACollision},
	{name: "ike-back-to-port-500", title: "IKEv1 NAT-T: after the float the gateway sends dead peer detection to UDP 500 again", run: ikeBackToPort500},
	{name: "port-forward-4500-to-500", title: "Server behind NAT, UDP 4500 forwarded to its port 500: IKE_AUTH arrives behind the non-ESP marker on port 500", run: portForward4500To500},
	{name: "esp-loss-reorder-upstream", title: "The gateway's ESP arrives with gaps and out of order in both captures: lost and reordered before the NAT", run: espLossReorderUpstream},
	{name: "capture-mid-session", title: "Captures started after an IPsec tunnel and a PPTP call came up: data without negotiation", run: captureMidSession},
	{name: "passthrough-spi-matching", title: "Two raw-ESP clients through a passthrough that matches SPIs: both work, by a guess", run: passthroughSPIMatching},
	{name: "natt-not-floated", title: "IKEv1: NAT-T negotiated and the NAT detected, but the client stays on port 500 and sends raw ESP", run: nattNotFloated},
	{name: "natt-keepalive-off", title: "NAT-T without keepalives: 52 s of silence, survived only thanks to the NAT's long UDP timeout", run: nattKeepaliveOff},
	{name: "ike-esp-split-mapping", title: "An IPsec ALG maps the client's ESP-in-UDP to another public port than its IKE: the gateway's ESP is dropped", run: ikeESPSplitMapping},
	{name: "transport-mode-without-natoa", title: "L2TP/IPsec transport mode across a NAT without NAT-OA (Quick Mode shown decrypted)", run: transportModeWithoutNATOA},
	{name: "esp-fragments-dropped", title: "Pings work, downloads hang: the gateway's fragmented ESP-in-UDP loses its second fragments at the NAT", run: espFragmentsDropped},
	{name: "pptp-alg-half-translation", title: "A PPTP helper translates the call ID in the control connection but not in the GRE key: LCP times out", run: pptpALGHalfTranslation},
	{name: "pptp-gre-loss-at-nat", title: "PPTP works, but the router's flood protection drops the server's GRE in bursts", run: pptpGRELossAtNAT},
	{name: "capture-truncated", title: "The inside capture file ends in the middle of a record: copied while tcpdump was still writing", run: captureTruncated},
	{name: "capture-snaplen", title: "The outside capture keeps 96 octets per frame: IKE messages cut short", run: captureSnaplen},
	{name: "captures-not-comparable", title: "Inside and outside captured a minute apart: no common packet, nothing to correlate", run: capturesNotComparable},
	{name: "capture-clock-drift", title: "The outside capture host's clock gains 2000 ppm while chronyd slews it", run: captureClockDrift},
	{name: "flow-table-overflow", title: "A busy capture analysed with --max-flows 16: the web flows beyond the table are only counted", run: flowTableOverflow},
	{name: "capture-one-direction", title: "A mirror port copies only what the client sends: every request looks unanswered", oneSide: true, run: captureOneDirection},
}

// Names returns the scenario names in generation order.
func Names() []string {
	out := make([]string, len(scenarios))
	for i, s := range scenarios {
		out[i] = s.name
	}
	return out
}

// Build generates one scenario in memory.
func Build(name string) (*Result, error) {
	for i, s := range scenarios {
		if s.name == name {
			return build(i, s)
		}
	}
	return nil, fmt.Errorf("samples: unknown scenario %q", name)
}

// All generates every scenario in memory, in order.
func All() ([]*Result, error) {
	out := make([]*Result, 0, len(scenarios))
	for i, s := range scenarios {
		r, err := build(i, s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func build(index int, s scenario) (*Result, error) {
	w := newWorld(s.name, index, s.single, s.oneSide)
	st := s.run(w)
	caps, err := w.finish()
	if err != nil {
		return nil, err
	}
	r := &Result{Name: s.name, Captures: caps, Verdicts: st.verdicts, Findings: st.findings, Args: st.args,
		Skew: w.skew, Drift: w.drift, base: w.base}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	r.README = readme(s, w, st, caps)
	return r, nil
}

// Files returns the files of a generated scenario, relative to the
// samples directory, with their contents, in a fixed order.
func (r *Result) Files() ([]string, [][]byte, error) {
	var names []string
	var data [][]byte
	for _, c := range r.Captures {
		names = append(names, filepath.Join(r.Name, c.File))
		data = append(data, c.Bytes)
	}
	exp, err := r.expectJSON()
	if err != nil {
		return nil, nil, err
	}
	names = append(names, filepath.Join(r.Name, "expect.json"), filepath.Join(r.Name, "README.md"))
	data = append(data, exp, []byte(r.README))
	return names, data, nil
}

// Expect returns what the scenario's expect.json holds.
func (r *Result) Expect() Expect {
	e := Expect{Scenario: r.Name, Args: r.Args, Verdicts: r.Verdicts, Findings: r.Findings}
	for _, c := range r.Captures {
		e.Captures = append(e.Captures, ExpectCapture{File: c.File, Frames: len(c.Frames)})
	}
	return e
}

func (r *Result) expectJSON() ([]byte, error) {
	e := r.Expect()
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Generate writes every scenario under dir (one directory per scenario)
// and the index README.md.
func Generate(dir string) error {
	rs, err := All()
	if err != nil {
		return err
	}
	for _, r := range rs {
		names, data, err := r.Files()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, r.Name), 0o755); err != nil {
			return err
		}
		for i, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), data[i], 0o644); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(dir, "README.md"), []byte(Index(rs)), 0o644)
}

// Index renders samples/README.md.
func Index(rs []*Result) string {
	var b strings.Builder
	b.WriteString(`# Sample captures

Synthetic capture pairs, one situation each, for learning vpnpcap and for
its tests. Each directory holds what tcpdump shows on the LAN side of a NAT
(inside.pcap) and on its WAN side (outside.pcap), a README.md telling the
story (topology, addresses, what the NAT did, what goes wrong and why, the
fix, the verdict and the findings vpnpcap must reach), and expect.json
with that verdict and those findings in machine-readable form. Scenarios
without a NAT in the path, or about a capture of one side only, have a
single capture.pcap.

| scenario | what it shows | frames |
| --- | --- | --- |
`)
	for _, r := range rs {
		var counts []string
		for _, c := range r.Captures {
			counts = append(counts, fmt.Sprintf("%d", len(c.Frames)))
		}
		title := ""
		for _, s := range scenarios {
			if s.name == r.Name {
				title = s.title
			}
		}
		fmt.Fprintf(&b, "| [%s](%s/README.md) | %s | %s |\n", r.Name, r.Name, title, strings.Join(counts, " / "))
	}
	b.WriteString(`
Frames are given as inside / outside. The failure modes (NTnn) named in
the verdicts are the ones the rules cite (see docs/rules.md).

## What vpnpcap must say

Each expect.json lists, per tunnel (or PPTP call), the verdict: where the
NAT sits, whether NAT-T is used, how ESP travelled, whether the tunnel
depends on passthrough, and whether it works; and the exact set of
findings (rule and severity, each tied to its tunnel or to the captures).
A test in cmd/vpnpcap runs "vpnpcap analyze --format json" on every
scenario and compares; together the scenarios make every rule fire at
least once. The expectations are the story's, written next to it in the
generator: when vpnpcap disagrees, either the rule or the story is wrong.

## Regenerating

The files are generated, byte for byte the same on every run, by

    go run ./samples/gen

from the repository root (add -out DIR to write elsewhere). The generator
lives in this package; the packet builders and the NAT model it uses are in
internal/pcaptest. A test regenerates everything and fails if a committed
file differs, so edit the generator, not the files.

## How the captures are made

- Classic pcap, microsecond timestamps, little-endian, snapshot length
  262144, Ethernet: what tcpdump writes.
- The inside capture is taken on the NAT's LAN interface, the outside one
  on its WAN interface. Frames received by the capturing interface carry
  Ethernet padding to 60 octets; frames it sends do not.
- The outside copy of a packet is the inside packet as the NAT rewrote it:
  address and port translated, IP, UDP and TCP checksums recomputed (a
  zero UDP checksum on ESP-in-UDP stays zero, RFC 3948 §2.1), TTL one
  lower, IP ID kept. It is captured 0.2–3 ms later, on a clock that runs
  several seconds ahead of the inside one (each README gives the offset).
  A packet the NAT drops appears on one side only.
- Addresses are documentation prefixes (RFC 5737) and RFC 1918 space;
  MAC addresses carry real vendor OUIs.
- Everything random (SPIs, cookies, KE and nonce bytes, ciphertext, ports)
  comes from a ChaCha8 stream seeded with the scenario's name.
`)
	return b.String()
}

// readme renders a scenario's README.md.
func readme(s scenario, w *world, st *story, caps []*Capture) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s.\n\n%s\n\n", s.name, s.title, strings.TrimSpace(st.summary))
	b.WriteString("## Topology\n\n")
	for _, l := range strings.Split(w.diagram(st.natLabel), "\n") {
		b.WriteString("    " + l + "\n")
	}
	b.WriteString("\n## Addresses\n\n")
	w.addressTable(&b)
	switch {
	case w.single || w.oneSide:
	case w.drift != 0:
		fmt.Fprintf(&b, "\nThe outside capture's clock runs %.6f s ahead of the inside one at the start and gains %.0f µs every second (%.0f ppm); the NAT forwards in 0.2–3 ms.\n",
			w.skew.Seconds(), w.drift, w.drift)
	default:
		fmt.Fprintf(&b, "\nThe outside capture's clock runs %.6f s ahead of the inside one; the NAT forwards in 0.2–3 ms.\n",
			w.skew.Seconds())
	}
	if st.nat != "" || w.nat != nil {
		if w.nat != nil && w.nat.Routed {
			b.WriteString("\n## What the router did\n\n")
		} else {
			b.WriteString("\n## What the NAT did\n\n")
		}
		b.WriteString(strings.TrimSpace(st.nat) + "\n")
		w.natTables(&b)
	}
	fmt.Fprintf(&b, "\n## What happens\n\n%s\n\n## Why\n\n%s\n\n## Fix\n\n%s\n",
		strings.TrimSpace(st.wrong), strings.TrimSpace(st.why), strings.TrimSpace(st.fix))
	b.WriteString("\n## Expected verdict\n\n")
	if len(st.verdicts) == 0 {
		b.WriteString("None: vpnpcap must report no tunnel and no PPTP call to judge (see What happens).\n")
	} else {
		b.WriteString("| tunnel | NAT | NAT-T | encapsulation | depends on passthrough | failure | failure modes |\n")
		b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	}
	for _, v := range st.verdicts {
		failure := v.Failure
		if failure == "" {
			failure = "none: works"
		}
		name := v.Tunnel
		if v.SPIi != "" {
			name += " (SPIi " + v.SPIi + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", name, v.NAT, v.NATT, v.Encapsulation,
			v.Passthrough, failure, strings.Join(v.Catalogue, ", "))
	}
	findingsTable(&b, st)
	b.WriteString("\n## Frames to look at\n\n")
	frameTable(&b, w, caps)
	b.WriteString("\n## Files\n\n")
	for _, c := range caps {
		fmt.Fprintf(&b, "- %s: %d frames\n", c.File, len(c.Frames))
	}
	b.WriteString("- expect.json: the verdict and the findings above\n\nGenerated by `go run ./samples/gen`; do not edit by hand.\n")
	return b.String()
}

// findingsTable renders the findings vpnpcap must report, and the command
// to analyse the scenario with when it needs flags.
func findingsTable(b *strings.Builder, st *story) {
	b.WriteString("\n## Expected findings\n\n")
	if len(st.args) > 0 {
		fmt.Fprintf(b, "Analyse with `vpnpcap analyze %s ...`: %s\n\n", strings.Join(st.args, " "), strings.TrimSpace(st.argsWhy))
	}
	if len(st.findings) == 0 {
		b.WriteString("None: vpnpcap must report nothing.\n")
		return
	}
	b.WriteString("| rule | severity | about | why |\n| --- | --- | --- | --- |\n")
	for _, f := range st.findings {
		about := f.Tunnel
		switch {
		case about != "" && f.SPIi != "":
			about += " (SPIi " + f.SPIi + ")"
		case about == "" && f.Capture != "":
			about = f.Capture
		case about == "":
			about = "the captures"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", f.Rule, f.Severity, about, f.Why)
	}
}

func (w *world) addressTable(b *strings.Builder) {
	if w.single {
		b.WriteString("| host | address | MAC in the capture |\n| --- | --- | --- |\n")
		for _, h := range w.hosts {
			mac := w.router.String() + " (its router)"
			if h.inside {
				mac = h.mac.String()
			}
			fmt.Fprintf(b, "| %s | %s | %s |\n", h.name, h.addr, mac)
		}
		return
	}
	if w.oneSide {
		b.WriteString("| host | in the capture | beyond the NAT |\n| --- | --- | --- |\n")
	} else {
		b.WriteString("| host | inside capture | outside capture |\n| --- | --- | --- |\n")
	}
	for _, h := range w.hosts {
		if h.inside {
			out := fmt.Sprintf("%s (the NAT's public address)", w.nat.Public)
			if w.nat.Routed {
				out = h.addr.String() + " (routed, not translated)"
			}
			fmt.Fprintf(b, "| %s | %s, MAC %s | %s |\n", h.name, h.addr, h.mac, out)
		}
	}
	lan, wan := w.lanAddr.String(), w.nat.Public.String()
	fmt.Fprintf(b, "| NAT | LAN %s, MAC %s | WAN %s, MAC %s |\n", lan, w.nat.LANMAC, wan, w.nat.WANMAC)
	fmt.Fprintf(b, "| upstream router | — | MAC %s |\n", w.nat.UpstreamMAC)
	for _, h := range w.hosts {
		if !h.inside {
			fmt.Fprintf(b, "| %s | %s | %s |\n", h.name, h.addr, h.addr)
		}
	}
}

func (w *world) natTables(b *strings.Builder) {
	if w.nat == nil {
		return
	}
	if ms := w.nat.Mappings(); len(ms) > 0 {
		b.WriteString("\nUDP and TCP mappings (times on the inside clock, from the start of the inside capture):\n\n")
		b.WriteString("| protocol | inside | outside | remote | created | state at the end |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, m := range ms {
			state := "live"
			if m.Expired {
				state = "expired (idle past the UDP timeout)"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %.3f s | %s |\n", m.Proto, m.Inside, m.Outside, m.Remote,
				w.rel(m.Created), state)
		}
	}
	if es := w.nat.Entries(); len(es) > 0 {
		b.WriteString("\nState for protocols without ports:\n\n| protocol | remote | key | inside host | created |\n| --- | --- | --- | --- | --- |\n")
		for _, e := range es {
			key := "remote address"
			if e.Proto == pcaptest.ProtoGRE {
				key = fmt.Sprintf("GRE call ID %d", e.CallID)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %.3f s |\n", e.Proto, e.Remote, key, e.Inside, w.rel(e.Created))
		}
	}
	if rs := w.nat.SPIRewrites(); len(rs) > 0 {
		b.WriteString("\nIKE ALG initiator-SPI rewrites:\n\n| inside host | SPIi inside | SPIi outside |\n| --- | --- | --- |\n")
		for _, r := range rs {
			fmt.Fprintf(b, "| %s | %016x | %016x |\n", r.Inside, r.Original, r.Rewritten)
		}
	}
}

// rel converts a true time to seconds since the first inside frame.
func (w *world) rel(t time.Duration) float64 {
	if len(w.in.frames) == 0 {
		return t.Seconds()
	}
	first := w.in.frames[0].us
	return float64(w.base.Add(t).UnixMicro()-first) / 1e6
}

type frameRow struct {
	key     [2]int // packet, fragment offset
	in, out *Frame
	us      int64 // true time, for ordering
	note    string
}

// frameTable lists the frames the story annotated, pairing the inside and
// outside copies of each packet.
func frameTable(b *strings.Builder, w *world, caps []*Capture) {
	var rows []*frameRow
	find := func(k [2]int) *frameRow {
		for _, r := range rows {
			if r.key == k {
				return r
			}
		}
		r := &frameRow{key: k}
		rows = append(rows, r)
		return r
	}
	base := w.base.UnixMicro()
	skew := w.skew.Microseconds()
	for ci, c := range caps {
		for _, f := range c.Frames {
			if f.Note == "" {
				continue
			}
			off := 0
			if f.Fragment != nil {
				off = f.Fragment.Offset
			}
			r := find([2]int{f.Packet, off})
			r.note = f.Note
			if ci == 0 {
				r.in, r.us = f, f.Time.UnixMicro()
			} else {
				r.out = f
				if r.in == nil {
					// Back to the inside clock: remove the skew and the
					// drift gained since the start.
					r.us = base + int64(float64(f.Time.UnixMicro()-base-skew)/(1+w.drift/1e6))
				}
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b *frameRow) int {
		if a.us != b.us {
			if a.us < b.us {
				return -1
			}
			return 1
		}
		return 0
	})
	cell := func(c *Capture, f *Frame) string {
		if f == nil {
			return "—"
		}
		return fmt.Sprintf("%d (%.3f s)", f.Number, f.Time.Sub(c.Frames[0].Time).Seconds())
	}
	if len(caps) == 1 {
		b.WriteString("| frame (time) | packet |\n| --- | --- |\n")
		for _, r := range rows {
			fmt.Fprintf(b, "| %s | %s |\n", cell(caps[0], r.in), r.note)
		}
		return
	}
	b.WriteString("| inside frame (time) | outside frame (time) | packet |\n| --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %s |\n", cell(caps[0], r.in), cell(caps[1], r.out), r.note)
	}
	b.WriteString("\nA dash means the packet is not in that capture. Times are seconds since each capture's first frame.\n")
}

// box draws lines in an ASCII box of the given inner width.
func box(lines []string, width int) []string {
	edge := "+" + strings.Repeat("-", width+2) + "+"
	out := []string{edge}
	for _, l := range lines {
		out = append(out, "| "+l+strings.Repeat(" ", width-len(l))+" |")
	}
	return append(out, edge)
}

// diagram draws the topology: inside hosts, the NAT (or router), remote
// hosts, and where each capture is taken.
func (w *world) diagram(natLabel []string) string {
	var left, right []string
	for _, h := range w.hosts {
		l := fmt.Sprintf("%-13s %s", h.name, h.addr)
		if h.inside {
			left = append(left, l)
		} else {
			right = append(right, l)
		}
	}
	width := func(ls []string) int {
		n := 0
		for _, l := range ls {
			n = max(n, len(l))
		}
		return n
	}
	var mid []string
	if w.single {
		mid = append([]string{"router (no NAT)"}, natLabel...)
	} else {
		kind := "NAT"
		if w.nat.Routed {
			kind = "router (no NAT)"
		}
		mid = append([]string{kind, "LAN " + w.lanAddr.String(), "WAN " + w.nat.Public.String()}, natLabel...)
	}
	lb, mb, rb := box(left, width(left)), box(mid, width(mid)), box(right, width(right))
	rowsN := max(len(lb), len(mb), len(rb)) + 1
	pad := func(bx []string) []string {
		wd := len(bx[0])
		for len(bx) < rowsN {
			bx = append(bx, strings.Repeat(" ", wd))
		}
		return bx
	}
	lb, mb, rb = pad(lb), pad(mb), pad(rb)
	gap := func(row int, label string, capture bool) string {
		switch {
		case row == 0:
			return "   " + label + strings.Repeat(" ", 7-len(label))
		case row == 1:
			return "----------"
		case capture && row == 2:
			return "    ^     "
		case capture && row > 2:
			return "    |     "
		}
		return strings.Repeat(" ", 10)
	}
	var out []string
	for i := range rowsN {
		out = append(out, strings.TrimRight(lb[i]+gap(i, "LAN", true)+mb[i]+gap(i, "WAN", !w.single && !w.oneSide)+rb[i], " "))
	}
	// Capture labels under the two links.
	leftCol := len(lb[0]) + 4
	rightCol := len(lb[0]) + 10 + len(mb[0]) + 4
	var lbl string
	if w.single || w.oneSide {
		lbl = strings.Repeat(" ", leftCol-4) + w.in.file
	} else {
		l1 := w.in.file
		lbl = strings.Repeat(" ", leftCol-len(l1)/2) + l1
		l2 := w.out.file
		lbl += strings.Repeat(" ", max(1, rightCol-len(l2)/2-len(lbl))) + l2
	}
	out = append(out, lbl)
	return strings.Join(out, "\n")
}
