package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/rules"
)

// pairBatch is testBatch without the unreadable capture.
func pairBatch(t *testing.T, base *Baseline) *Batch {
	t.Helper()
	b := NewBatch(FailOn{Severity: rules.Info}, base)
	b.Rules = testRules
	c := fixture()
	f := batchFindings(c)
	b.Add(NewCheck("site", c, f, rules.Verdicts(c, f), Options{}))
	return b
}

func TestBaselineRoundTrip(t *testing.T) {
	first := pairBatch(t, nil)
	if first.ExitCode() != 1 {
		t.Fatalf("without a baseline, exit code %d, want 1", first.ExitCode())
	}
	var doc bytes.Buffer
	if err := WriteBaseline(&doc, first); err != nil {
		t.Fatal(err)
	}
	golden(t, "baseline.json", doc.Bytes())
	base, err := ReadBaseline(bytes.NewReader(doc.Bytes()), "baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	if base.Len() != 2 {
		t.Errorf("baseline accepts %d findings, want 2", base.Len())
	}
	second := pairBatch(t, base)
	if got := second.ExitCode(); got != 0 {
		t.Errorf("with the baseline, exit code %d, want 0", got)
	}
	for _, f := range second.Checks[0].Findings {
		if !f.Baselined {
			t.Errorf("%s not baselined", f.RuleID)
		}
	}
	if bu := second.Baseline; bu.Accepted != 2 || bu.Unmatched != 0 || bu.Entries != 2 {
		t.Errorf("baseline use %+v, want 2 accepted of 2, 0 unmatched", *bu)
	}
	// Writing the baseline again gives the same bytes.
	var again bytes.Buffer
	if err := WriteBaseline(&again, second); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc.Bytes(), again.Bytes()) {
		t.Errorf("baseline written from a baselined run differs:\n%s\nwant\n%s", again.Bytes(), doc.Bytes())
	}
}

// TestBaselineCounts checks that an entry accepts as many findings as its
// count, and that entries left over are counted as unmatched.
func TestBaselineCounts(t *testing.T) {
	c := fixture()
	f := batchFindings(c)
	k := NewCheck("site", c, f, nil, Options{}).Findings[0].Key
	doc := BaselineFile{Schema: BaselineSchema, Findings: []BaselineEntry{{BaselineKey: k, Count: 3}}}
	raw, _ := json.Marshal(doc)
	base, err := ReadBaseline(bytes.NewReader(raw), "b.json")
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(FailOn{Severity: rules.Error}, base)
	dup := append(append([]rules.Finding(nil), f[0]), f[0]) // the same finding twice
	b.Add(NewCheck("site", c, dup, nil, Options{}))
	ch := b.Checks[0]
	if ch.Baselined != 2 || b.Baseline.Unmatched != 1 {
		t.Errorf("count 3, 2 findings: %d baselined, %d unmatched; want 2 and 1", ch.Baselined, b.Baseline.Unmatched)
	}
}

// TestBaselineKeyStable checks what the key depends on: not the message,
// the evidence frames, the severity or the tunnel's number; but the rule,
// the captures and the subject.
func TestBaselineKeyStable(t *testing.T) {
	c := fixture()
	base := batchFindings(c)[0]
	key := func(f rules.Finding, paths ...string) string { return Key(paths, c, f).Fingerprint() }
	want := key(base, "inside.pcap", "outside.pcap")
	same := []struct {
		name  string
		f     func(rules.Finding) rules.Finding
		paths []string
	}{
		{"message", func(f rules.Finding) rules.Finding { f.Message = "reworded"; return f }, nil},
		{"evidence", func(f rules.Finding) rules.Finding { f.Evidence = f.Evidence[:1]; return f }, nil},
		{"severity", func(f rules.Finding) rules.Finding { f.Severity = rules.Info; return f }, nil},
		{"rule-case", func(f rules.Finding) rules.Finding { f.RuleID = strings.ToLower(f.RuleID); return f }, nil},
		{"path-spelling", func(f rules.Finding) rules.Finding { return f }, []string{"./inside.pcap", "dir/../outside.pcap"}},
	}
	for _, tc := range same {
		paths := tc.paths
		if paths == nil {
			paths = []string{"inside.pcap", "outside.pcap"}
		}
		if got := key(tc.f(base), paths...); got != want {
			t.Errorf("changing the %s changed the key", tc.name)
		}
	}
	differ := []struct {
		name  string
		f     func(rules.Finding) rules.Finding
		paths []string
	}{
		{"rule", func(f rules.Finding) rules.Finding { f.RuleID = "VP998"; return f }, nil},
		{"subject", func(f rules.Finding) rules.Finding { f.Subject = "esp 0x1"; return f }, nil},
		{"tunnel", func(f rules.Finding) rules.Finding { f.Tunnel = 0; return f }, nil},
		{"captures", func(f rules.Finding) rules.Finding { return f }, []string{"other/inside.pcap", "outside.pcap"}},
	}
	for _, tc := range differ {
		paths := tc.paths
		if paths == nil {
			paths = []string{"inside.pcap", "outside.pcap"}
		}
		if got := key(tc.f(base), paths...); got == want {
			t.Errorf("changing the %s left the key unchanged", tc.name)
		}
	}
	if k := Key([]string{"inside.pcap", "outside.pcap"}, c, base); !strings.HasPrefix(k.Tunnel, "ikev2 0x1111111111111111/") {
		t.Errorf("tunnel key %q does not name the IKE SPIs", k.Tunnel)
	}
}

func TestReadBaselineErrors(t *testing.T) {
	tests := []struct {
		name, doc, wantErr string
	}{
		{"not-json", "baseline", "invalid character"},
		{"wrong-schema", `{"schema": "vpnpcap.baseline/v0", "findings": []}`, `schema "vpnpcap.baseline/v0"`},
		{"no-rule", `{"schema": "vpnpcap.baseline/v1", "findings": [{"captures": ["a.pcap"]}]}`, "rule and captures are required"},
		{"no-captures", `{"schema": "vpnpcap.baseline/v1", "findings": [{"rule": "VP101"}]}`, "rule and captures are required"},
		{"negative-count", `{"schema": "vpnpcap.baseline/v1", "findings": [{"rule": "VP101", "captures": ["a.pcap"], "count": -1}]}`, "negative count"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadBaseline(strings.NewReader(tc.doc), "b.json")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ReadBaseline(%s) = %v, want error containing %q", tc.name, err, tc.wantErr)
			}
		})
	}
	// A count left out means one; unknown fields are ignored.
	b, err := ReadBaseline(strings.NewReader(`{"schema": "vpnpcap.baseline/v1", "later": 1, "findings": [{"rule": "VP101", "captures": ["a.pcap"]}]}`), "b.json")
	if err != nil || b.Len() != 1 {
		t.Errorf("ReadBaseline(count left out) = %v, %v; want 1 finding", b, err)
	}
}
