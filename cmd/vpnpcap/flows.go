package main

import (
	"context"
	"fmt"
	"io"

	"github.com/vpnpcap/vpnpcap/report"
	"github.com/vpnpcap/vpnpcap/rules"
)

func runFlows(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("flows", "CAPTURE [CAPTURE]", stderr)
	var cf captureFlags
	cf.register(fs)
	format := fs.String("format", "text", "output format: text or json")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if err := oneOf("format", *format, "text", "json"); err != nil {
		fmt.Fprintf(stderr, "vpnpcap flows: %v\n", err)
		return exitUsage
	}
	first, second, given, code := cf.capturePaths(fs, stderr, "")
	if code >= 0 {
		return code
	}
	rc, err := cf.analysis(first, second, given, false, rules.DefaultConfig())
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitUsage
	}
	if notCaptures(stderr, rc) {
		return exitUsage
	}
	r := report.Build(rc, report.Options{Flows: true})
	if *format == "json" {
		err = report.WriteJSON(stdout, r)
	} else {
		err = report.WriteText(stdout, r, nil, report.TextOptions{Color: useColor("auto", stdout)})
	}
	if err != nil {
		fmt.Fprintf(stderr, "vpnpcap flows: writing report: %v\n", err)
		return exitUsage
	}
	if readErrors(stderr, rc) {
		return exitUsage
	}
	return exitOK
}
