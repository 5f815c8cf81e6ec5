package rules

import (
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
	pt "github.com/vpnpcap/vpnpcap/internal/packettest"
)

// TestVerdictPrefersCause: the verdict names the cause of a failure (UDP
// 4500 blocked) rather than its symptom (requests unanswered), whatever
// their order, and ignores a low-confidence error.
func TestVerdictPrefersCause(t *testing.T) {
	s := pt.New()
	s.IKE("10.0.0.2:500", "198.51.100.7:500", decode.IKEMessage{Version: 2, SPIi: 7, Exchange: decode.ExchangeTypeIKESAInit, Flags: decode.IKEv2FlagInitiator}, 1)
	c := NewContext(flows.Analyze(flows.Packets("c.pcap", s.Packets), decode.Options{}, flows.Options{}), nil)
	symptomF := Finding{RuleID: "VP101", Title: "symptom", Message: "unanswered", Tunnel: 1, Severity: Error, Confidence: High}
	cause := Finding{RuleID: "VP304", Title: "cause", Message: "4500 blocked", Tunnel: 1, Severity: Error, Confidence: High}
	guess := Finding{RuleID: "VP999", Title: "guess", Message: "maybe", Tunnel: 1, Severity: Error, Confidence: Low}
	for _, fs := range [][]Finding{{symptomF, cause}, {cause, symptomF}, {guess, symptomF, cause}} {
		vd := Verdicts(c, fs)[0]
		if vd.Works || !strings.HasPrefix(vd.Failure, "cause: 4500 blocked") {
			t.Errorf("findings %v: works %v, failure %q; want the cause", ruleIDs(fs), vd.Works, vd.Failure)
		}
		if vd.Headline != "cause" || vd.Rule != "VP304" {
			t.Errorf("findings %v: headline %q of rule %q, want the cause's title and rule", ruleIDs(fs), vd.Headline, vd.Rule)
		}
	}
	// A lone IKE_SA_INIT request, not yet unanswered long enough to fail:
	// a low-confidence error leaves the outcome open.
	if vd := Verdicts(c, []Finding{guess})[0]; vd.Outcome != OutcomeUnknown || vd.Failure != "" {
		t.Errorf("a low-confidence error alone decided the outcome: %s, %q", vd.Outcome, vd.Failure)
	} else if vd.Headline != "the capture ends before the negotiation completed" || vd.Rule != "" {
		t.Errorf("undecided verdict: headline %q of rule %q, want what is missing and no rule", vd.Headline, vd.Rule)
	}
}

func ruleIDs(fs []Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.RuleID)
	}
	return ids
}

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{
		"The capture holds no reply": "the capture holds no reply",
		"IKE over UDP 4500":          "IKE over UDP 4500",
		"ESP packets lost":           "ESP packets lost",
		"its GRE":                    "its GRE",
		"":                           "",
		"A":                          "a",
	} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q, want %q", in, got, want)
		}
	}
}
