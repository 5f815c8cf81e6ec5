package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

const analyzeHelp = `Analyse one capture, or two taken on both sides of a NAT, and explain why
each VPN tunnel works or fails, and whether it depends on IPsec Passthrough.

Try it on a sample:
  vpnpcap analyze samples/natt-port-blocked/inside.pcap samples/natt-port-blocked/outside.pcap

`

func runAnalyze(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("analyze", "[--inside FILE --outside FILE | CAPTURE [CAPTURE]]", stderr)
	var cf captureFlags
	cf.register(fs)
	cf.registerRules(fs)
	format := fs.String("format", "text", "output format: text or json")
	failOn := fs.String("fail-on", "error", "exit 1 when a finding is at or above this severity: info, warning, error or none")
	color := fs.String("color", "auto", "colour the text report: auto, always or never (NO_COLOR is honoured)")
	fs.Usage = func() {
		fmt.Fprint(stderr, analyzeHelp)
		fmt.Fprintf(stderr, "Usage: vpnpcap analyze [flags] [--inside FILE --outside FILE | CAPTURE [CAPTURE]]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	for _, check := range []error{
		oneOf("format", *format, "text", "json"),
		oneOf("fail-on", *failOn, "info", "warning", "error", "none"),
		oneOf("color", *color, "auto", "always", "never"),
	} {
		if check != nil {
			fmt.Fprintf(stderr, "vpnpcap analyze: %v\n", check)
			return exitUsage
		}
	}
	first, second, given, code := cf.capturePaths(fs, stderr, "\nSample captures ship in samples/ (see samples/README.md).\n")
	if code >= 0 {
		return code
	}
	cfg, err := cf.rulesConfig()
	if err != nil {
		fmt.Fprintf(stderr, "vpnpcap analyze: %v\n", err)
		return exitUsage
	}
	rc, err := cf.analysis(first, second, given, true, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitUsage
	}
	if notCaptures(stderr, rc) {
		return exitUsage
	}
	findings := rules.Run(rc)
	verdicts := rules.Verdicts(rc, findings)
	r := report.Build(rc, report.Options{Findings: findings, Verdicts: verdicts})
	switch *format {
	case "json":
		err = report.WriteJSON(stdout, r)
	default:
		err = report.WriteText(stdout, r, verdicts, report.TextOptions{Color: useColor(*color, stdout)})
	}
	if err != nil {
		fmt.Fprintf(stderr, "vpnpcap analyze: writing report: %v\n", err)
		return exitUsage
	}
	if readErrors(stderr, rc) {
		return exitUsage
	}
	return exitCode(findings, *failOn)
}

// exitCode is 1 when a finding fails the threshold (report.FailOn.Fails).
func exitCode(findings []rules.Finding, failOn string) int {
	threshold, err := report.ParseFailOn(failOn)
	if err != nil {
		return exitUsage
	}
	for _, f := range findings {
		if threshold.Fails(f) {
			return exitFindings
		}
	}
	return exitOK
}
