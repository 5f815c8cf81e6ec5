package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/textwidth"
)

// TestTextWidth: --width wins over COLUMNS, which wins over the default of
// 80 for output that is not a terminal; no line of the report is wider
// (the shortest width laid out is 60).
func TestTextWidth(t *testing.T) {
	sample := "../../samples/passthrough-collision"
	for _, tc := range []struct {
		columns string
		args    []string
		want    int
	}{
		{"", nil, 80},
		{"120", nil, 120},
		{"120", []string{"--width", "100"}, 100},
		{"", []string{"--width", "60"}, 60},
		{"abc", nil, 80},
	} {
		t.Setenv("COLUMNS", tc.columns)
		var out, errb bytes.Buffer
		args := append(append([]string{"analyze", "--fail-on", "none"}, tc.args...), sample)
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		widest := 0
		for _, line := range strings.Split(out.String(), "\n") {
			widest = max(widest, textwidth.Width(line))
		}
		if widest > tc.want {
			t.Errorf("COLUMNS=%q %v: a line of %d columns, want at most %d", tc.columns, tc.args, widest, tc.want)
		}
		if widest < tc.want-10 {
			t.Errorf("COLUMNS=%q %v: the widest line has %d columns: the report does not use the %d it has", tc.columns, tc.args, widest, tc.want)
		}
	}
}

// TestLaddersASCII: with NO_COLOR the ladders are drawn in ASCII.
func TestLaddersASCII(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	var out, errb bytes.Buffer
	run(context.Background(), []string{"analyze", "--fail-on", "none", "../../samples/natt-port-blocked"}, strings.NewReader(""), &out, &errb)
	_, ladders, _ := strings.Cut(out.String(), "WHAT CROSSED THE NAT\n")
	ladders, _, _ = strings.Cut(ladders, "\nVERDICTS")
	if ladders == "" || strings.ContainsFunc(ladders, func(r rune) bool { return r > 126 }) {
		t.Errorf("ladders with NO_COLOR are not ASCII:\n%s", ladders)
	}
	if !strings.Contains(ladders, "|------>X") {
		t.Errorf("no dropped IKE_AUTH arrow in:\n%s", ladders)
	}
}

// TestOnlyOneSubject: --tunnel limits the report to one tunnel; one that
// is not there is a usage error; two of the flags at once too.
func TestOnlyOneSubject(t *testing.T) {
	sample := "../../samples/passthrough-collision"
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"analyze", "--tunnel", "2", sample}, strings.NewReader(""), &out, &errb)
	text := out.String()
	if code != exitFindings || !strings.Contains(text, "tunnel 2 (IKEv1)") || strings.Contains(text, "tunnel 1 (IKEv1)") || strings.Contains(text, "— tunnel 1") {
		t.Errorf("--tunnel 2: exit %d:\n%s", code, text)
	}
	if !strings.HasPrefix(text, "FAILS  tunnel 2") {
		t.Errorf("--tunnel 2 does not open with its verdict:\n%s", text)
	}
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"analyze", "--tunnel", "1", sample}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Errorf("--tunnel 1, which works: exit %d, want %d (tunnel 2's findings left out)", code, exitOK)
	}
	errb.Reset()
	if code := run(context.Background(), []string{"analyze", "--tunnel", "3", sample}, strings.NewReader(""), &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "--tunnel: the captures hold no tunnel 3") {
		t.Errorf("--tunnel 3: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"analyze", "--tunnel", "1", "--call", "1", sample}, strings.NewReader(""), &out, &errb); code != exitUsage {
		t.Errorf("--tunnel and --call: exit %d, stderr %q", code, errb.String())
	}
}

// TestBrief: --brief prints the verdicts and findings, no explanation,
// ladder or detail.
func TestBrief(t *testing.T) {
	var out, errb bytes.Buffer
	run(context.Background(), []string{"analyze", "--brief", "../../samples/natt-port-blocked"}, strings.NewReader(""), &out, &errb)
	text := out.String()
	for _, want := range []string{"FAILS  tunnel 1", "VP304", "evidence: inside frames"} {
		if !strings.Contains(text, want) {
			t.Errorf("--brief lacks %q:\n%s", want, text)
		}
	}
	for _, absent := range []string{"why:", "EXPLANATIONS", "CAPTURES", "WHAT CROSSED", "│"} {
		if strings.Contains(text, absent) {
			t.Errorf("--brief has %q:\n%s", absent, text)
		}
	}
}

// TestFormats: analyze and check write every format, and each parses as
// what it claims to be: SARIF and JSON as JSON, JUnit as XML, HTML with a
// ladder drawn in SVG, Markdown with a ladder in a code block; check's
// Markdown and HTML have an index and a section per check.
func TestFormats(t *testing.T) {
	pair := "../../samples/natt-port-blocked"
	for _, cmd := range [][]string{{"analyze", pair}, {"check", "-j", "1", pair, "../../samples/natt-ok"}} {
		for _, format := range reportFormats {
			var out, errb bytes.Buffer
			args := append([]string{cmd[0], "--format", format}, cmd[1:]...)
			if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != exitFindings {
				t.Errorf("%v: exit %d, want %d: %s", args, code, exitFindings, errb.String())
				continue
			}
			got := out.String()
			switch format {
			case "json", "sarif":
				if !json.Valid(out.Bytes()) {
					t.Errorf("%v: not JSON:\n%.300s", args, got)
				}
			case "junit":
				if err := xml.Unmarshal(out.Bytes(), new(struct{ XMLName xml.Name })); err != nil {
					t.Errorf("%v: not XML: %v", args, err)
				}
			case "html":
				if !strings.HasPrefix(got, "<!DOCTYPE html>") || !strings.Contains(got, "<svg class=\"ladder\"") || strings.Contains(got, "http://") && !strings.Contains(got, "http://www.w3.org/2000/svg") {
					t.Errorf("%v: not a self-contained page with a ladder:\n%.300s", args, got)
				}
			case "markdown":
				if !strings.Contains(got, "```text\ntunnel 1: what crossed the NAT") {
					t.Errorf("%v: no ladder in a code block:\n%.600s", args, got)
				}
			case "text":
				if !strings.Contains(got, "FAILS  tunnel 1 (IKEv2) 192.168.1.23 → 203.0.113.10") {
					t.Errorf("%v: no verdict line:\n%.600s", args, got)
				}
			}
			if cmd[0] == "check" && (format == "html" || format == "markdown") {
				for _, want := range []string{"check-1", "check-2", "samples/natt-ok", "samples/natt-port-blocked"} {
					if !strings.Contains(got, want) {
						t.Errorf("%v: lacks %q", args, want)
					}
				}
			}
		}
	}
}
