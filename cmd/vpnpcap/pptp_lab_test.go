package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// pptpReport is the part of the JSON report these tests read.
type pptpReport struct {
	PPTP []struct {
		ID                     int               `json:"id"`
		ClientCallIDs          map[string]uint16 `json:"client_call_ids"`
		ServerCallIDs          map[string]uint16 `json:"server_call_ids"`
		ClientCallIDTranslated bool              `json:"client_call_id_translated"`
		ServerCallIDTranslated bool              `json:"server_call_id_translated"`
		GREInShared            map[string]int    `json:"gre_in_shared"`
		Verdict                struct {
			Works   bool   `json:"works"`
			Failure string `json:"failure"`
			Reason  string `json:"reason"`
			Summary string `json:"summary"`
		} `json:"verdict"`
	} `json:"pptp_sessions"`
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Session  int    `json:"session"`
		Subject  string `json:"subject"`
		Message  string `json:"message"`
	} `json:"findings"`
}

// analyzeBoth runs analyze on captures as text and as JSON and returns
// both reports and the exit code (the same for both).
func analyzeBoth(t *testing.T, captures ...string) (string, pptpReport, int) {
	t.Helper()
	var text, js, errb bytes.Buffer
	// Wide enough for the PPTP CALLS table to be a table.
	code := run(context.Background(), append([]string{"analyze", "--color", "never", "--width", "200"}, captures...), strings.NewReader(""), &text, &errb)
	jcode := run(context.Background(), append([]string{"analyze", "--format", "json"}, captures...), strings.NewReader(""), &js, &errb)
	if code != jcode {
		t.Errorf("exit %d as text, %d as JSON", code, jcode)
	}
	var r pptpReport
	if err := json.Unmarshal(js.Bytes(), &r); err != nil {
		t.Fatalf("report does not parse: %v\n%s", err, errb.String())
	}
	return text.String(), r, code
}

// bareCallID finds a call ID printed without its hex form.
var bareCallID = regexp.MustCompile(`call IDs? \d+(?: |,|\)|$)(?:[^(]|$)`)

// checkCallIDFormat checks that every call ID the findings print is
// followed by its hex form.
func checkCallIDFormat(t *testing.T, r pptpReport) {
	t.Helper()
	for _, f := range r.Findings {
		for _, s := range []string{f.Message, f.Subject} {
			if m := bareCallID.FindString(s); m != "" {
				t.Errorf("%s prints a call ID without hex (%q): %s", f.Rule, m, s)
			}
		}
	}
}

// TestAnalyzePPTPLab checks the report of the lab's PPTP scenarios
// against their TRUTH.md: each call's call IDs on each side in the table
// and the JSON, what the NAT did with them, and the exit code.
func TestAnalyzePPTPLab(t *testing.T) {
	t.Run("helper", func(t *testing.T) {
		in, out := corpus.LabScenario(t, "pptp-gre")
		text, r, code := analyzeBoth(t, in, out)
		if code != exitOK {
			t.Errorf("exit %d, want %d: nothing above info", code, exitOK)
		}
		for _, w := range []string{
			"| ins 16384 (0x4000) | ins 32769 (0x8001) |", "| out 40000 (0x9c40) | out 32769 (0x8001) |",
			"| ins 16384 (0x4000) | ins 32770 (0x8002) |", "| out 12570 (0x311a) | out 32770 (0x8002) |",
			"1: the NAT translated the client's call ID, 16384 (0x4000) inside, 40000 (0x9c40) outside (PPTP",
			"2: the NAT translated the client's call ID, 16384 (0x4000) inside, 12570 (0x311a) outside (PPTP",
		} {
			if !strings.Contains(text, w) {
				t.Errorf("text report lacks %q:\n%s", w, text)
			}
		}
		if len(r.PPTP) != 2 {
			t.Fatalf("%d PPTP calls, want 2", len(r.PPTP))
		}
		outsideClient := []uint16{0x9c40, 0x311a}
		for i, s := range r.PPTP {
			if s.ClientCallIDs["inside"] != 0x4000 || s.ClientCallIDs["outside"] != outsideClient[i] ||
				s.ServerCallIDs["inside"] != 0x8001+uint16(i) || s.ServerCallIDs["outside"] != 0x8001+uint16(i) {
				t.Errorf("call %d: client call IDs %v, server %v", s.ID, s.ClientCallIDs, s.ServerCallIDs)
			}
			if !s.ClientCallIDTranslated || s.ServerCallIDTranslated {
				t.Errorf("call %d: translated client %v, server %v; want true, false", s.ID, s.ClientCallIDTranslated, s.ServerCallIDTranslated)
			}
			if !s.Verdict.Works || !strings.Contains(s.Verdict.Reason, "PPTP passthrough with call-ID translation") {
				t.Errorf("call %d: verdict %+v", s.ID, s.Verdict)
			}
		}
		for _, f := range r.Findings {
			if f.Severity != "info" {
				t.Errorf("%s %s: %s", f.Rule, f.Severity, f.Message)
			}
		}
	})
	t.Run("no helper", func(t *testing.T) {
		in, out := corpus.LabScenario(t, "pptp-gre-nohelper")
		text, r, code := analyzeBoth(t, in, out)
		if code != exitFindings {
			t.Errorf("exit %d, want %d", code, exitFindings)
		}
		if !strings.Contains(text, "the call IDs are the same on both sides: the NAT did not translate them") {
			t.Errorf("text report does not say the call IDs crossed unchanged:\n%s", text)
		}
		if len(r.PPTP) != 2 {
			t.Fatalf("%d PPTP calls, want 2", len(r.PPTP))
		}
		for i, s := range r.PPTP {
			if s.ClientCallIDs["inside"] != 0x4000 || s.ClientCallIDs["outside"] != 0x4000 || s.ServerCallIDs["outside"] != 0x8001+uint16(i) {
				t.Errorf("call %d: client call IDs %v, server %v", s.ID, s.ClientCallIDs, s.ServerCallIDs)
			}
			if s.ClientCallIDTranslated || s.ServerCallIDTranslated {
				t.Errorf("call %d: call IDs said translated", s.ID)
			}
			if s.GREInShared["outside"] == 0 {
				t.Errorf("call %d: no GRE shared outside, though the two calls' server GRE carries one key", s.ID)
			}
			if s.Verdict.Works || !strings.HasPrefix(s.Verdict.Failure, "VP401 ") {
				t.Errorf("call %d: verdict %+v, want a VP401 failure", s.ID, s.Verdict)
			}
		}
		checkCallIDFormat(t, r)
	})
}

// TestAnalyzePPTPPublic: the public PPTP sessions show no failure (see
// rules' TestPPTPPublicCalls): exit 0, and no verdict says it fails.
func TestAnalyzePPTPPublic(t *testing.T) {
	dir := corpus.Dir(t)
	for _, f := range []string{"nDPI/pptp.pcap", "tcpdump/pptp.pcap", "PcapPlusPlus/Pcap++Test/GrePackets.cap"} {
		text, r, code := analyzeBoth(t, filepath.Join(dir, f))
		if code != exitOK {
			t.Errorf("%s: exit %d, want %d", f, code, exitOK)
		}
		if strings.Contains(text, "It fails") {
			t.Errorf("%s: a verdict fails with exit %d:\n%s", f, code, text)
		}
		if len(r.PPTP) != 1 || r.PPTP[0].Verdict.Failure != "" {
			t.Errorf("%s: PPTP calls %+v, want one that does not fail", f, r.PPTP)
		}
		checkCallIDFormat(t, r)
	}
}
