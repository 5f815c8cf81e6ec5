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
	"sync"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
	"github.com/vpnpcap/vpnpcap/rules"
	"github.com/vpnpcap/vpnpcap/samples"
)

// The sample scenarios state, in their expect.json, the verdict for every
// tunnel and PPTP call and the exact set of findings vpnpcap must report.
// TestSamplesExpect runs analyze on each scenario's committed captures and
// compares; the tests after it check what the samples promise as a whole.

// cleanScenarios are the scenarios that show things working: vpnpcap must
// raise nothing above info on them.
var cleanScenarios = []string{"natt-ok", "natt-ok-ikev1", "natt-with-passthrough", "no-nat"}

// neverFires lists the rules no sample can make fire, with the reason.
// Every other rule must fire on at least one sample.
var neverFires = map[string]string{
	"VP909": "the samples are written in time order by their generator; time running backwards is shown on the public capture nDPI/ipsec_isakmp_esp.pcap (TestCorpusCaptureQuality in rules)",
	"VP910": "the samples carry real time stamps; a capture without them is shown on the public capture tcpdump/isakmp4500.pcap (TestCorpusCaptureQuality in rules)",
	"VP911": "the samples capture each packet once; copies are shown on the public capture suricata-verify/detect-bypass-udp/input.pcap (TestCorpusCaptureQuality in rules)",
}

// sampleReport is the part of the JSON report the comparison reads.
type sampleReport struct {
	Captures []struct {
		Path      string `json:"path"`
		ReadError string `json:"read_error"`
	} `json:"captures"`
	Tunnels []struct {
		ID         int               `json:"id"`
		IKEVersion int               `json:"ike_version"`
		SPIi       string            `json:"spi_i"`
		Initiator  map[string]string `json:"initiator"`
		Responder  map[string]string `json:"responder"`
		NATDFaked  []string          `json:"natd_faked"`
		Verdict    *sampleVerdict    `json:"verdict"`
	} `json:"tunnels"`
	PPTP []struct {
		ID      int               `json:"id"`
		Client  map[string]string `json:"client"`
		Server  map[string]string `json:"server"`
		Verdict *sampleVerdict    `json:"verdict"`
	} `json:"pptp_sessions"`
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Tunnel   int    `json:"tunnel"`
		Session  int    `json:"session"`
		Subject  string `json:"subject"`
		Message  string `json:"message"`
		Evidence []struct {
			Capture string `json:"capture"`
		} `json:"evidence"`
	} `json:"findings"`
}

type sampleVerdict struct {
	NAT                  string `json:"nat"`
	NATTNegotiated       bool   `json:"natt_negotiated"`
	Encapsulation        string `json:"encapsulation"`
	DependsOnPassthrough string `json:"depends_on_passthrough"`
	Works                bool   `json:"works"`
	Failure              string `json:"failure"`
}

// reported is one tunnel or PPTP call of a report, named as expect.json
// names it.
type reported struct {
	name, spi string
	faked     bool
	pptp      bool
	verdict   *sampleVerdict
}

// label is how failure messages and finding keys name a tunnel: with its
// SPI when the name alone is ambiguous.
func (r reported) label(ambiguous bool) string {
	if ambiguous && r.spi != "" {
		return r.name + " (SPIi " + r.spi + ")"
	}
	return r.name
}

// peerName names one end of a tunnel or call the way expect.json does: its
// address in the inside capture (or the single capture), else outside.
func peerName(ends map[string]string) string {
	for _, role := range []string{"inside", "capture", "outside"} {
		if ep, ok := ends[role]; ok {
			if i := strings.LastIndexByte(ep, ':'); i > 0 {
				return ep[:i]
			}
			return ep
		}
	}
	return "?"
}

// sampleRun is one scenario's expectation and what analyze made of it.
type sampleRun struct {
	exp    samples.Expect
	report sampleReport
	code   int
	stderr string
	// tunnels and calls by report ID, and which names occur more than once.
	tunnels, calls map[int]reported
	ambiguous      map[string]bool
}

var (
	sampleRunsOnce sync.Once
	sampleRuns     map[string]*sampleRun
	sampleRunsErr  error
)

// expectDir returns the committed samples directory.
func expectDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(corpus.RepoRoot(), "samples")
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Fatalf("samples missing: %v", err)
	}
	return dir
}

// runSamples analyses every scenario once for all the tests of this file.
func runSamples(t *testing.T) map[string]*sampleRun {
	t.Helper()
	dir := expectDir(t)
	sampleRunsOnce.Do(func() {
		names := samples.Names()
		runs := make([]*sampleRun, len(names))
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runs[i], errs[i] = analyzeSample(filepath.Join(dir, name))
			}()
		}
		wg.Wait()
		sampleRuns = map[string]*sampleRun{}
		for i, name := range names {
			if errs[i] != nil {
				sampleRunsErr = fmt.Errorf("%s: %w", name, errs[i])
				return
			}
			sampleRuns[name] = runs[i]
		}
	})
	if sampleRunsErr != nil {
		t.Fatal(sampleRunsErr)
	}
	return sampleRuns
}

func analyzeSample(dir string) (*sampleRun, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "expect.json"))
	if err != nil {
		return nil, err
	}
	r := &sampleRun{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r.exp); err != nil {
		return nil, fmt.Errorf("expect.json: %w", err)
	}
	args := append([]string{"analyze", "--format", "json"}, r.exp.Args...)
	for _, c := range r.exp.Captures {
		args = append(args, filepath.Join(dir, c.File))
	}
	var out, errb bytes.Buffer
	r.code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	r.stderr = errb.String()
	if err := json.Unmarshal(out.Bytes(), &r.report); err != nil {
		return nil, fmt.Errorf("analyze %s: exit %d, report does not parse: %v\n%s", strings.Join(args[1:], " "), r.code, err, r.stderr)
	}
	r.tunnels, r.calls, r.ambiguous = map[int]reported{}, map[int]reported{}, map[string]bool{}
	seen := map[string]int{}
	for _, tn := range r.report.Tunnels {
		x := reported{
			name:    fmt.Sprintf("IKEv%d %s - %s", tn.IKEVersion, peerName(tn.Initiator), peerName(tn.Responder)),
			spi:     strings.TrimPrefix(tn.SPIi, "0x"),
			faked:   len(tn.NATDFaked) > 0,
			verdict: tn.Verdict,
		}
		r.tunnels[tn.ID] = x
		seen[x.name]++
	}
	for _, s := range r.report.PPTP {
		x := reported{name: fmt.Sprintf("PPTP %s - %s", peerName(s.Client), peerName(s.Server)), pptp: true, verdict: s.Verdict}
		r.calls[s.ID] = x
		seen[x.name]++
	}
	for n, k := range seen {
		r.ambiguous[n] = k > 1
	}
	return r, nil
}

// findingKey says what a reported finding is about, in the terms of
// expect.json: its tunnel or PPTP call by name, else the capture file its
// subject names (or, failing that, the one its evidence is in), else both
// captures.
func (r *sampleRun) findingKey(i int) string {
	f := r.report.Findings[i]
	about := ""
	switch {
	case f.Tunnel != 0:
		x, ok := r.tunnels[f.Tunnel]
		if !ok {
			return fmt.Sprintf("%s %s tunnel %d (not in the report)", f.Rule, f.Severity, f.Tunnel)
		}
		about = x.label(r.ambiguous[x.name])
	case f.Session != 0:
		x, ok := r.calls[f.Session]
		if !ok {
			return fmt.Sprintf("%s %s PPTP call %d (not in the report)", f.Rule, f.Severity, f.Session)
		}
		about = x.label(r.ambiguous[x.name])
	default:
		// The captures the subject names, else those of the evidence.
		var files []string
		for _, c := range r.report.Captures {
			if strings.Contains(f.Subject, c.Path) {
				files = append(files, filepath.Base(c.Path))
			}
		}
		if len(files) == 0 {
			for _, e := range f.Evidence {
				if b := filepath.Base(e.Capture); !slices.Contains(files, b) {
					files = append(files, b)
				}
			}
		}
		about = "the captures"
		if len(files) == 1 {
			about = files[0]
		}
	}
	return fmt.Sprintf("%s %s about %s", f.Rule, f.Severity, about)
}

// expectKey is findingKey for an expected finding.
func expectKey(f samples.Finding) string {
	about := "the captures"
	switch {
	case f.Tunnel != "" && f.SPIi != "":
		about = f.Tunnel + " (SPIi " + f.SPIi + ")"
	case f.Tunnel != "":
		about = f.Tunnel
	case f.Capture != "":
		about = f.Capture
	}
	return fmt.Sprintf("%s %s about %s", f.Rule, f.Severity, about)
}

// TestSamplesExpect compares, for every scenario, what analyze reports
// with the scenario's expect.json: the exact set of findings (rule,
// severity, and the tunnel, call or capture each is about), every verdict
// field, and the exit code.
func TestSamplesExpect(t *testing.T) {
	runs := runSamples(t)
	for _, name := range samples.Names() {
		t.Run(name, func(t *testing.T) {
			r := runs[name]
			checkSampleFindings(t, name, r)
			checkSampleVerdicts(t, name, r)
			checkSampleExit(t, name, r)
		})
	}
}

func checkSampleFindings(t *testing.T, name string, r *sampleRun) {
	t.Helper()
	want := map[string]bool{}
	for _, f := range r.exp.Findings {
		if _, err := rules.ParseSeverity(f.Severity); err != nil || rules.Lookup(f.Rule) == nil {
			t.Errorf("%s: expect.json names %s %s: no such rule or severity", name, f.Rule, f.Severity)
		}
		want[expectKey(f)] = true
	}
	got := map[string][]int{}
	for i := range r.report.Findings {
		k := r.findingKey(i)
		got[k] = append(got[k], i)
	}
	for _, k := range sortedKeys(got) {
		if !want[k] {
			f := r.report.Findings[got[k][0]]
			t.Errorf("%s: unexpected finding %s: %s", name, k, f.Message)
		}
	}
	for _, k := range sortedKeys(want) {
		if got[k] == nil {
			t.Errorf("%s: missing finding %s", name, k)
		}
	}
}

func checkSampleVerdicts(t *testing.T, name string, r *sampleRun) {
	t.Helper()
	matched := map[reported]bool{}
	for _, v := range r.exp.Verdicts {
		label := v.Tunnel
		if v.SPIi != "" {
			label += " (SPIi " + v.SPIi + ")"
		}
		pptp := strings.HasPrefix(v.Tunnel, "PPTP ")
		var hits []reported
		pool := r.tunnels
		if pptp {
			pool = r.calls
		}
		for _, x := range pool {
			if x.name == v.Tunnel && (v.SPIi == "" || x.spi == v.SPIi) {
				hits = append(hits, x)
			}
		}
		switch {
		case len(hits) == 0:
			t.Errorf("%s: %s: not in the report", name, label)
			continue
		case len(hits) > 1:
			t.Errorf("%s: %s: %d tunnels of that name in the report; expect.json must give spi_i", name, label, len(hits))
			continue
		}
		x := hits[0]
		matched[x] = true
		if r.ambiguous[x.name] && v.SPIi == "" {
			t.Errorf("%s: %s: several tunnels share the name; expect.json must give spi_i", name, label)
		}
		got := x.verdict
		if got == nil {
			t.Errorf("%s: %s: no verdict in the report", name, label)
			continue
		}
		field := func(f, g, w string) {
			if g != w {
				t.Errorf("%s: %s: %s = %q, want %q", name, label, f, g, w)
			}
		}
		field("nat", got.NAT, v.NAT)
		natt := "no"
		switch {
		case pptp:
			natt = "n/a"
		case got.NATTNegotiated && x.faked:
			natt = "forced"
		case got.NATTNegotiated:
			natt = "yes"
		}
		field("nat_t", natt, v.NATT)
		field("encapsulation", got.Encapsulation, v.Encapsulation)
		field("depends_on_passthrough", got.DependsOnPassthrough, v.Passthrough)
		if works := v.Failure == ""; got.Works != works {
			t.Errorf("%s: %s: works = %v, want %v (story: %q; vpnpcap: %q)", name, label, got.Works, works, v.Failure, got.Failure)
		}
	}
	for _, pool := range []map[int]reported{r.tunnels, r.calls} {
		for _, id := range sortedKeys(pool) {
			if x := pool[id]; !matched[x] {
				t.Errorf("%s: %s: in the report but has no verdict in expect.json", name, x.label(r.ambiguous[x.name]))
			}
		}
	}
}

// checkSampleExit checks analyze's exit code against the expectation: 2
// when a capture could not be read to its end, else 1 when an error
// finding is expected (the default --fail-on), else 0.
func checkSampleExit(t *testing.T, name string, r *sampleRun) {
	t.Helper()
	want := exitOK
	for _, f := range r.exp.Findings {
		if f.Severity == "error" {
			want = exitFindings
		}
	}
	for _, c := range r.report.Captures {
		if c.ReadError != "" {
			want = exitUsage
		}
	}
	if r.code != want {
		t.Errorf("%s: exit code %d, want %d\n%s", name, r.code, want, r.stderr)
	}
}

// TestSamplesCleanScenarios checks that the scenarios where everything
// works raise nothing above info.
func TestSamplesCleanScenarios(t *testing.T) {
	runs := runSamples(t)
	for _, name := range cleanScenarios {
		r, ok := runs[name]
		if !ok {
			t.Errorf("scenario %s is gone", name)
			continue
		}
		for i, f := range r.report.Findings {
			if f.Severity != "info" {
				t.Errorf("%s: %s: %s", name, r.findingKey(i), f.Message)
			}
		}
		for _, f := range r.exp.Findings {
			if f.Severity != "info" {
				t.Errorf("%s: expect.json expects %s", name, expectKey(f))
			}
		}
	}
}

// TestSamplesFireEveryRule checks that every rule fires on at least one
// sample, as expect.json says and as analyze reports, unless neverFires
// says why it cannot.
func TestSamplesFireEveryRule(t *testing.T) {
	runs := runSamples(t)
	fired := map[string][]string{}
	expected := map[string]bool{}
	for _, name := range samples.Names() {
		r := runs[name]
		for _, f := range r.report.Findings {
			if !slices.Contains(fired[f.Rule], name) {
				fired[f.Rule] = append(fired[f.Rule], name)
			}
		}
		for _, f := range r.exp.Findings {
			expected[f.Rule] = true
		}
	}
	var never, unexpected []string
	for _, rule := range rules.All() {
		id := rule.Meta().ID
		_, excused := neverFires[id]
		switch {
		case len(fired[id]) == 0 && !excused:
			never = append(never, id)
		case len(fired[id]) > 0 && excused:
			t.Errorf("%s fires on %s but is listed as never firing", id, strings.Join(fired[id], ", "))
		}
		if !expected[id] && !excused {
			unexpected = append(unexpected, id)
		}
	}
	if len(never) > 0 {
		t.Errorf("rules that fire on no sample: %s", strings.Join(never, ", "))
	}
	if len(unexpected) > 0 {
		t.Errorf("rules no expect.json expects: %s", strings.Join(unexpected, ", "))
	}
	for id := range neverFires {
		if rules.Lookup(id) == nil {
			t.Errorf("neverFires names %s, which is not a rule", id)
		}
	}
}

// TestSamplesCatalogue checks that the stories and the rules agree on the
// failure modes: every catalogue row (NTnn) a verdict names is one that a
// rule expected on that tunnel, or on the captures, covers.
func TestSamplesCatalogue(t *testing.T) {
	runs := runSamples(t)
	cat := map[string][]string{}
	for _, r := range rules.All() {
		cat[r.Meta().ID] = r.Meta().Catalogue
	}
	for _, name := range samples.Names() {
		r := runs[name]
		for _, v := range r.exp.Verdicts {
			covered := map[string]bool{}
			for _, f := range r.exp.Findings {
				if f.Tunnel == "" || f.Tunnel == v.Tunnel && f.SPIi == v.SPIi {
					for _, nt := range cat[f.Rule] {
						covered[nt] = true
					}
				}
			}
			for _, nt := range v.Catalogue {
				if !covered[nt] {
					t.Errorf("%s: %s: the story names %s, but no finding expected on it covers %s", name, v.Tunnel, nt, nt)
				}
			}
		}
	}
}

func sortedKeys[K string | int, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
