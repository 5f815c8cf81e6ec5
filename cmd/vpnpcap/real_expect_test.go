package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// Real captures — from the lab (real strongSwan daemons and PPTP/ESP
// endpoints on both sides of a real Linux NAT) and from public projects —
// have their expectations in testdata/expect/*.json, written from each
// capture's TRUTH.md (what the daemons' logs, the NAT's conntrack state and
// tshark say happened), never from vpnpcap's output. TestRealExpect runs
// analyze on each, in JSON and in text, and holds the report to them.

// realExpect is one expectation file.
type realExpect struct {
	// Dir holds the captures, relative to the repository root; Files are
	// the captures given to analyze, in order, and Args extra arguments.
	Dir   string   `json:"dir"`
	Files []string `json:"files"`
	Args  []string `json:"args,omitempty"`
	// Keys are key files, relative to Dir, given to analyze with --keys.
	Keys []string `json:"keys,omitempty"`
	// Truth says, in a line, what happened (from TRUTH.md).
	Truth string `json:"truth"`
	// MaxSeverity is the most severe finding allowed ("info": nothing
	// above info on a healthy capture).
	MaxSeverity string `json:"max_severity,omitempty"`
	// Exit is the exit code analyze must give (default: any).
	Exit *int `json:"exit,omitempty"`

	Tunnels []realTunnel `json:"tunnels"`
	// Partial says Tunnels lists some of the capture's tunnels, not all.
	Partial   bool           `json:"partial,omitempty"`
	ESPGroups []realESPGroup `json:"esp_groups,omitempty"`
	PPTP      []realCall     `json:"pptp,omitempty"`
	Mappings  []realMapping  `json:"mappings,omitempty"`
	// Findings must be reported; Absent rules must not fire.
	Findings []realFinding `json:"findings,omitempty"`
	Absent   []string      `json:"absent,omitempty"`
	// Text must appear in the text report; TextAbsent must not.
	Text       []string `json:"text,omitempty"`
	TextAbsent []string `json:"text_absent,omitempty"`
}

// realTunnel is one IKE SA. Unset fields are not checked.
type realTunnel struct {
	SPIi           string   `json:"spi_i"`
	SPIr           string   `json:"spi_r,omitempty"`
	IKEVersion     int      `json:"ike_version"`
	NAT            string   `json:"nat,omitempty"`
	InitiatorNAT   string   `json:"initiator_behind_nat,omitempty"`
	ResponderNAT   string   `json:"responder_behind_nat,omitempty"`
	NATTNegotiated *bool    `json:"natt_negotiated,omitempty"`
	Float          *bool    `json:"float,omitempty"`
	Encapsulation  string   `json:"encapsulation,omitempty"`
	ESPSPIs        []string `json:"esp_spis,omitempty"`
	// ESPPackets is the packet count of each SPI in each capture that saw
	// it.
	ESPPackets map[string]int `json:"esp_packets,omitempty"`
	Keepalives *int           `json:"keepalives,omitempty"`
	// ESPExact says every ESP SA of the tunnel is tied to it exactly (true:
	// none is "inferred"; false: all are).
	ESPExact *bool `json:"esp_exact,omitempty"`
	// State is the tunnel's state; StateFacts are facts its reason must
	// state.
	State      string   `json:"state,omitempty"`
	StateFacts []string `json:"state_facts,omitempty"`
	Works      *bool    `json:"works,omitempty"`
	// Outcome is the verdict's outcome: works, fails or unknown.
	Outcome string `json:"outcome,omitempty"`
	Depends string `json:"depends_on_passthrough,omitempty"`
	// RetriedAs is the SPIi of the tunnel that retried this negotiation.
	RetriedAs string `json:"retried_as_spi_i,omitempty"`
	// Summary holds facts the verdict's summary must state.
	Summary []string `json:"summary,omitempty"`
}

// realESPGroup is a group of ESP SAs between two peers without IKE in the
// capture, named by one of its SPIs.
type realESPGroup struct {
	SPI           string `json:"spi"`
	NAT           string `json:"nat,omitempty"`
	Encapsulation string `json:"encapsulation,omitempty"`
	Works         *bool  `json:"works,omitempty"`
	Depends       string `json:"depends_on_passthrough,omitempty"`
}

// realCall is a PPTP call, named by the client's inside address.
type realCall struct {
	Client  string `json:"client"`
	Works   *bool  `json:"works,omitempty"`
	Depends string `json:"depends_on_passthrough,omitempty"`
}

// realMapping is a NAT mapping that must be in the report.
type realMapping struct {
	Protocol string `json:"protocol"`
	Inside   string `json:"inside"`
	Outside  string `json:"outside"`
}

// realFinding is a finding that must be reported: its rule, optionally
// the tunnel (by SPIi) it is about, and facts its message must state.
type realFinding struct {
	Rule     string   `json:"rule"`
	Severity string   `json:"severity,omitempty"`
	SPIi     string   `json:"spi_i,omitempty"`
	Facts    []string `json:"facts,omitempty"`
}

// realReport is the part of the JSON report the comparison reads.
type realReport struct {
	Tunnels   []realReportTunnel `json:"tunnels"`
	ESPGroups []struct {
		ID      int          `json:"id"`
		SPIs    []string     `json:"spis"`
		Verdict *realVerdict `json:"verdict"`
	} `json:"esp_groups"`
	PPTP []struct {
		ID      int               `json:"id"`
		Client  map[string]string `json:"client"`
		Verdict *realVerdict      `json:"verdict"`
	} `json:"pptp_sessions"`
	Mappings []struct {
		Protocol string `json:"protocol"`
		Inside   string `json:"inside"`
		Outside  string `json:"outside"`
	} `json:"mappings"`
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Tunnel   int    `json:"tunnel"`
		Message  string `json:"message"`
	} `json:"findings"`
}

// realReportTunnel is a tunnel of the JSON report.
type realReportTunnel struct {
	ID             int    `json:"id"`
	IKEVersion     int    `json:"ike_version"`
	SPIi           string `json:"spi_i"`
	SPIr           string `json:"spi_r"`
	NAT            string `json:"nat"`
	NATTNegotiated bool   `json:"natt_negotiated"`
	Float          bool   `json:"float"`
	Encapsulation  string `json:"encapsulation"`
	Keepalives     int    `json:"keepalives"`
	State          string `json:"state"`
	StateReason    string `json:"state_reason"`
	NATBasis       struct {
		Initiator struct {
			Behind string `json:"behind_nat"`
		} `json:"initiator"`
		Responder struct {
			Behind string `json:"behind_nat"`
		} `json:"responder"`
	} `json:"nat_basis"`
	ESPSAs []struct {
		SPI      string `json:"spi"`
		Capture  string `json:"capture"`
		Packets  int    `json:"packets"`
		Inferred bool   `json:"inferred"`
	} `json:"esp_sas"`
	Verdict *realVerdict `json:"verdict"`
}

type realVerdict struct {
	NAT                  string `json:"nat"`
	Encapsulation        string `json:"encapsulation"`
	DependsOnPassthrough string `json:"depends_on_passthrough"`
	Works                bool   `json:"works"`
	Outcome              string `json:"outcome"`
	Summary              string `json:"summary"`
	RetriedAs            int    `json:"retried_as"`
}

var severityRank = map[string]int{"info": 0, "warning": 1, "error": 2}

func TestRealExpect(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus.RepoRoot(), "testdata", "expect", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no expectation files in testdata/expect: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			exp := readRealExpect(t, file)
			dir := filepath.Join(corpus.RepoRoot(), filepath.FromSlash(exp.Dir))
			if _, err := os.Stat(dir); err != nil {
				if os.Getenv("CI") != "" || !strings.HasPrefix(exp.Dir, "../") {
					t.Fatalf("captures missing: %v", err)
				}
				t.Skipf("captures not found at %s; skipping", dir)
			}
			var paths []string
			for _, f := range exp.Files {
				paths = append(paths, filepath.Join(exp.Dir, f))
			}
			for _, k := range exp.Keys {
				exp.Args = append(exp.Args, "--keys", filepath.Join(dir, filepath.FromSlash(k)))
			}
			rep, code, text := analyzeReal(t, exp, paths)
			if exp.Exit != nil && code != *exp.Exit {
				t.Errorf("exit %d, want %d", code, *exp.Exit)
			}
			checkRealTunnels(t, exp, rep)
			checkRealGroups(t, exp, rep)
			checkRealCalls(t, exp, rep)
			checkRealMappings(t, exp, rep)
			checkRealFindings(t, exp, rep)
			for _, s := range exp.Text {
				if !strings.Contains(text, s) {
					t.Errorf("text report lacks %q", s)
				}
			}
			for _, s := range exp.TextAbsent {
				if strings.Contains(text, s) {
					t.Errorf("text report says %q", s)
				}
			}
			if t.Failed() {
				t.Logf("truth: %s\ntext report:\n%s", exp.Truth, text)
			}
		})
	}
}

func readRealExpect(t *testing.T, file string) realExpect {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var exp realExpect
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&exp); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if exp.Dir == "" || len(exp.Files) == 0 || exp.Truth == "" {
		t.Fatalf("%s: dir, files and truth are required", file)
	}
	return exp
}

// analyzeReal runs analyze in JSON and in text, from the repository root
// so that paths read as a user would type them.
func analyzeReal(t *testing.T, exp realExpect, paths []string) (realReport, int, string) {
	t.Helper()
	root := corpus.RepoRoot()
	var abs []string
	for _, p := range paths {
		abs = append(abs, filepath.Join(root, p))
	}
	args := append(append([]string{"analyze", "--format", "json"}, exp.Args...), abs...)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	var rep realReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("analyze: exit %d, JSON report does not parse: %v\n%s", code, err, errb.String())
	}
	// Wide enough that the phrases looked for are not wrapped apart.
	args = append(append([]string{"analyze", "--color", "never", "--width", "1000"}, exp.Args...), abs...)
	out.Reset()
	errb.Reset()
	if c := run(context.Background(), args, strings.NewReader(""), &out, &errb); c != code {
		t.Errorf("text report exits %d, JSON %d", c, code)
	}
	return rep, code, out.String()
}

func checkRealTunnels(t *testing.T, exp realExpect, rep realReport) {
	t.Helper()
	if !exp.Partial && len(rep.Tunnels) != len(exp.Tunnels) {
		var got []string
		for _, tn := range rep.Tunnels {
			got = append(got, tn.SPIi)
		}
		t.Errorf("%d tunnels %v, want %d", len(rep.Tunnels), got, len(exp.Tunnels))
	}
	for _, want := range exp.Tunnels {
		i := slices.IndexFunc(rep.Tunnels, func(tn realReportTunnel) bool {
			return tn.SPIi == want.SPIi
		})
		if i < 0 {
			t.Errorf("tunnel SPIi %s missing", want.SPIi)
			continue
		}
		tn := rep.Tunnels[i]
		where := "tunnel " + want.SPIi
		eq(t, where+" IKE version", tn.IKEVersion, want.IKEVersion)
		if want.SPIr != "" {
			eq(t, where+" SPIr", tn.SPIr, want.SPIr)
		}
		if want.NAT != "" {
			eq(t, where+" nat", tn.NAT, want.NAT)
		}
		if want.InitiatorNAT != "" {
			eq(t, where+" initiator behind NAT", tn.NATBasis.Initiator.Behind, want.InitiatorNAT)
		}
		if want.ResponderNAT != "" {
			eq(t, where+" responder behind NAT", tn.NATBasis.Responder.Behind, want.ResponderNAT)
		}
		if want.NATTNegotiated != nil {
			eq(t, where+" NAT-T negotiated", tn.NATTNegotiated, *want.NATTNegotiated)
		}
		if want.Float != nil {
			eq(t, where+" float", tn.Float, *want.Float)
		}
		if want.Encapsulation != "" {
			eq(t, where+" encapsulation", tn.Encapsulation, want.Encapsulation)
		}
		if want.Keepalives != nil {
			eq(t, where+" keepalives", tn.Keepalives, *want.Keepalives)
		}
		if want.ESPSPIs != nil {
			var got []string
			for _, sa := range tn.ESPSAs {
				if !slices.Contains(got, sa.SPI) {
					got = append(got, sa.SPI)
				}
			}
			sort.Strings(got)
			w := slices.Clone(want.ESPSPIs)
			sort.Strings(w)
			eq(t, where+" ESP SPIs", strings.Join(got, " "), strings.Join(w, " "))
		}
		for spi, n := range want.ESPPackets {
			for _, sa := range tn.ESPSAs {
				if sa.SPI == spi && sa.Packets != n {
					t.Errorf("%s: SPI %s has %d packets in the %s capture, want %d", where, spi, sa.Packets, sa.Capture, n)
				}
			}
		}
		if want.ESPExact != nil {
			for _, sa := range tn.ESPSAs {
				if sa.Inferred == *want.ESPExact {
					t.Errorf("%s: ESP SA %s in the %s capture: inferred %v, want exact %v", where, sa.SPI, sa.Capture, sa.Inferred, *want.ESPExact)
				}
			}
		}
		if want.State != "" {
			eq(t, where+" state", tn.State, want.State)
		}
		for _, f := range want.StateFacts {
			if !strings.Contains(tn.StateReason, f) {
				t.Errorf("%s: state reason lacks %q: %s", where, f, tn.StateReason)
			}
		}
		checkRealVerdict(t, where, tn.Verdict, want.Works, want.Depends)
		if tn.Verdict != nil && want.Outcome != "" {
			eq(t, where+" outcome", tn.Verdict.Outcome, want.Outcome)
		}
		if tn.Verdict != nil {
			if want.RetriedAs != "" {
				got := ""
				for _, u := range rep.Tunnels {
					if u.ID == tn.Verdict.RetriedAs {
						got = u.SPIi
					}
				}
				eq(t, where+" retried as", got, want.RetriedAs)
			}
			for _, f := range want.Summary {
				if !strings.Contains(tn.Verdict.Summary, f) {
					t.Errorf("%s: summary lacks %q: %s", where, f, tn.Verdict.Summary)
				}
			}
		}
	}
}

func checkRealVerdict(t *testing.T, where string, vd *realVerdict, works *bool, depends string) {
	t.Helper()
	if works == nil && depends == "" {
		return
	}
	if vd == nil {
		t.Errorf("%s: no verdict", where)
		return
	}
	if works != nil && vd.Works != *works {
		t.Errorf("%s: works %v, want %v (%s)", where, vd.Works, *works, vd.Summary)
	}
	if depends != "" && vd.DependsOnPassthrough != depends {
		t.Errorf("%s: depends on Passthrough %q, want %q (%s)", where, vd.DependsOnPassthrough, depends, vd.Summary)
	}
}

func checkRealGroups(t *testing.T, exp realExpect, rep realReport) {
	t.Helper()
	if len(rep.ESPGroups) != len(exp.ESPGroups) {
		t.Errorf("%d ESP groups without IKE, want %d", len(rep.ESPGroups), len(exp.ESPGroups))
	}
	for _, want := range exp.ESPGroups {
		found := false
		for _, g := range rep.ESPGroups {
			if !slices.Contains(g.SPIs, want.SPI) {
				continue
			}
			found = true
			where := "ESP group of SPI " + want.SPI
			if g.Verdict == nil {
				t.Errorf("%s: no verdict", where)
				continue
			}
			if want.NAT != "" {
				eq(t, where+" nat", g.Verdict.NAT, want.NAT)
			}
			if want.Encapsulation != "" {
				eq(t, where+" encapsulation", g.Verdict.Encapsulation, want.Encapsulation)
			}
			checkRealVerdict(t, where, g.Verdict, want.Works, want.Depends)
		}
		if !found {
			t.Errorf("no ESP group holds SPI %s", want.SPI)
		}
	}
}

func checkRealCalls(t *testing.T, exp realExpect, rep realReport) {
	t.Helper()
	if exp.PPTP == nil {
		return
	}
	if len(rep.PPTP) != len(exp.PPTP) {
		t.Errorf("%d PPTP calls, want %d", len(rep.PPTP), len(exp.PPTP))
	}
	for _, want := range exp.PPTP {
		found := false
		for _, s := range rep.PPTP {
			if peerName(s.Client) != want.Client {
				continue
			}
			found = true
			checkRealVerdict(t, "PPTP call of "+want.Client, s.Verdict, want.Works, want.Depends)
		}
		if !found {
			t.Errorf("no PPTP call from %s", want.Client)
		}
	}
}

func checkRealMappings(t *testing.T, exp realExpect, rep realReport) {
	t.Helper()
	var got []string
	for _, m := range rep.Mappings {
		got = append(got, fmt.Sprintf("%s %s -> %s", m.Protocol, m.Inside, m.Outside))
	}
	for _, want := range exp.Mappings {
		w := fmt.Sprintf("%s %s -> %s", want.Protocol, want.Inside, want.Outside)
		if !slices.Contains(got, w) {
			t.Errorf("mapping %s missing; got %q", w, got)
		}
	}
}

func checkRealFindings(t *testing.T, exp realExpect, rep realReport) {
	t.Helper()
	spiOf := map[int]string{}
	for _, tn := range rep.Tunnels {
		spiOf[tn.ID] = tn.SPIi
	}
	for _, f := range rep.Findings {
		if slices.Contains(exp.Absent, f.Rule) {
			t.Errorf("%s %s fired: %s", f.Rule, f.Severity, f.Message)
		}
		if exp.MaxSeverity != "" && severityRank[f.Severity] > severityRank[exp.MaxSeverity] {
			t.Errorf("%s %s above %s: %s", f.Rule, f.Severity, exp.MaxSeverity, f.Message)
		}
	}
	for _, want := range exp.Findings {
		var candidates []string
		ok := false
		for _, f := range rep.Findings {
			if f.Rule != want.Rule || want.SPIi != "" && spiOf[f.Tunnel] != want.SPIi {
				continue
			}
			if want.Severity != "" && f.Severity != want.Severity {
				candidates = append(candidates, f.Severity+": "+f.Message)
				continue
			}
			missing := ""
			for _, fact := range want.Facts {
				if !strings.Contains(f.Message, fact) {
					missing = fact
					break
				}
			}
			if missing == "" {
				ok = true
				break
			}
			candidates = append(candidates, fmt.Sprintf("lacks %q: %s", missing, f.Message))
		}
		if !ok {
			t.Errorf("finding %s (tunnel %s) not reported as expected; candidates: %q", want.Rule, want.SPIi, candidates)
		}
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}
