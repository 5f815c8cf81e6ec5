package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
)

// This file holds what the rules' tests share to run a rule on scripted
// captures as the engine does and to check what it found. The scripted
// scenarios themselves are in ike_scenarios_test.go (IKE negotiation and
// capture quality), dataplane_scenarios_test.go (ESP, AH, GRE and PPTP)
// and natt_scenarios_test.go (NAT traversal and IPsec Passthrough).

// The peers most scenarios script: a client behind a NAT, its address
// outside the NAT, and the gateway it talks to, with the IKE SA's SPIs.
const (
	testClient  = "10.0.0.2"
	testClient2 = "10.0.0.3"
	testPublic  = "203.0.113.5"
	testGateway = "198.51.100.7"
	testSPIi    = 0x1111111111111111
	testSPIr    = 0x2222222222222222
)

// oneCapture analyses one capture of scripted packets.
func oneCapture(t testing.TB, pkts []decode.Packet) *Context {
	t.Helper()
	a := flows.Analyze(flows.Packets("in.pcap", pkts), decode.Options{KeepOther: true}, flows.Options{})
	return NewContext(a, nil)
}

// twoCaptures correlates an inside capture with an outside one; the test
// fails when no packet pairs them.
func twoCaptures(t testing.TB, inside, outside []decode.Packet) *Context {
	t.Helper()
	cor := flows.Correlate(flows.Packets("in.pcap", inside), flows.Packets("out.pcap", outside),
		flows.CorrelateOptions{RolesGiven: true, Decode: decode.Options{KeepOther: true}})
	if cor.Anchors == 0 {
		t.Fatalf("the test captures do not correlate")
	}
	return NewCorrelatedContext(cor, nil)
}

// checkRule runs one rule as the engine does and returns its findings,
// sorted: not at all when it needs two captures and has one. Every finding
// must have a message, and its evidence must name frames of its capture.
func checkRule(t *testing.T, r Rule, c *Context) []Finding {
	t.Helper()
	m := r.Meta()
	if m.NeedsBoth && !c.Two() {
		return nil
	}
	var out []Finding
	r.Check(c, func(f Finding) {
		f.RuleID, f.Slug, f.Title, f.Severity = m.ID, m.Slug, m.Title, m.Severity
		if f.Message == "" {
			t.Errorf("%s: finding without message", m.ID)
		}
		for _, e := range f.Evidence {
			if e.Frame <= 0 {
				t.Errorf("%s: evidence frame %d is not a frame", m.ID, e.Frame)
			}
			if e.Capture == "" || e.Capture != c.Path(e.Side) {
				t.Errorf("%s: evidence capture %q for side %v, want %q", m.ID, e.Capture, e.Side, c.Path(e.Side))
			}
		}
		out = append(out, f)
	})
	SortFindings(out)
	return out
}

// wantFindings checks the number of findings and returns them.
func wantFindings(t *testing.T, fs []Finding, n int) []Finding {
	t.Helper()
	if len(fs) != n {
		for _, f := range fs {
			t.Logf("finding: %s tunnel %d %s: %s", f.RuleID, f.Tunnel, f.Confidence, f.Message)
		}
		t.Fatalf("got %d findings, want %d", len(fs), n)
	}
	return fs
}

// wantMessage checks that a message states every fact.
func wantMessage(t *testing.T, msg string, facts ...string) {
	t.Helper()
	for _, s := range facts {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q\n  lacks %q", msg, s)
		}
	}
}

// evidenceFrames returns the frames of one side's evidence.
func evidenceFrames(f Finding, side flows.Side) []int {
	var out []int
	for _, e := range f.Evidence {
		if e.Side == side {
			out = append(out, e.Frame)
		}
	}
	return out
}

// wantFrames checks one side's evidence frames.
func wantFrames(t *testing.T, f Finding, side flows.Side, want ...int) {
	t.Helper()
	if got := evidenceFrames(f, side); !slices.Equal(got, want) {
		t.Errorf("%s %s evidence = %v, want %v", f.RuleID, side, got, want)
	}
}
