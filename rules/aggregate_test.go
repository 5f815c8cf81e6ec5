package rules

import (
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/words"
)

func TestAggregate(t *testing.T) {
	var fs []Finding
	for i := 1; i <= 25; i++ {
		conf := Medium
		if i == 23 {
			conf = High
		}
		fs = append(fs, Finding{RuleID: "VP204", Severity: Error, Confidence: conf, Tunnel: i, Message: "one way",
			Evidence: []Evidence{{Capture: "c.pcap", Frame: 100 + i}}})
	}
	fs = append(fs, Finding{RuleID: "VP208", Severity: Info, Confidence: Medium, Subject: "esp a <-> b"})
	SortFindings(fs)
	got := Aggregate(fs, 20)
	if len(got) != 22 {
		t.Fatalf("%d findings, want 20 listed, 1 summing up and VP208", len(got))
	}
	var sum *Finding
	for i := range got {
		if got[i].RuleID == "VP204" && got[i].Tunnel == 0 {
			sum = &got[i]
		}
	}
	if sum == nil {
		t.Fatal("no finding sums up the rest")
	}
	if sum.Confidence != High || sum.Severity != Error {
		t.Errorf("summing-up finding %s/%s, want the highest confidence of those it stands for (high) and their severity", sum.Severity, sum.Confidence)
	}
	for _, want := range []string{"5 more VP204 findings like the 20 above", "tunnel 21", "tunnel 25"} {
		if !strings.Contains(sum.Message, want) {
			t.Errorf("message %q lacks %q", sum.Message, want)
		}
	}
	if len(sum.Evidence) != 5 || sum.Evidence[0].Frame != 121 {
		t.Errorf("evidence %v, want the first frame of each of the 5", sum.Evidence)
	}
	if short := Aggregate(fs[:10], 20); len(short) != 10 {
		t.Errorf("under the bound, %d findings became %d", 10, len(short))
	}
	if words.Thousands(1000000) != "1,000,000" || words.Thousands(999) != "999" {
		t.Errorf("countWords: %s, %s", words.Thousands(1000000), words.Thousands(999))
	}
}

// A tunnel's finding whose subject is the capture it was seen in is named by
// its tunnel alone, and a subject shared by many findings is named once.
func TestAggregateNamesEachSubjectOnce(t *testing.T) {
	var fs []Finding
	for i := 1; i <= 8; i++ {
		fs = append(fs, Finding{RuleID: "VP908", Severity: Info, Confidence: High, Tunnel: i, Subject: "big.pcap", Message: "one direction"})
	}
	for i := 0; i < 4; i++ {
		fs = append(fs, Finding{RuleID: "VP908", Severity: Info, Confidence: High, Subject: "big.pcap", Message: "one direction"})
	}
	SortFindings(fs)
	got := Aggregate(fs, 2)
	var sum Finding
	for _, f := range got {
		if strings.HasPrefix(f.Message, "10 more VP908") {
			sum = f
		}
	}
	if sum.RuleID == "" {
		t.Fatalf("no finding sums up the rest: %+v", got)
	}
	if n := strings.Count(sum.Message, "big.pcap"); n != 1 {
		t.Errorf("message names the capture %d times, want once: %s", n, sum.Message)
	}
}
