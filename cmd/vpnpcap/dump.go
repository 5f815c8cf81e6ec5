package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/report"
)

func runDump(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("dump", "CAPTURE...", stderr)
	format := fs.String("format", "text", "output format: text or json (one JSON object per line)")
	ports := fs.UintSlice("ike-port", nil, "also decode IKE / UDP-encapsulated ESP on this UDP or TCP port (repeatable)")
	all := fs.Bool("all", false, "also print packets that are not VPN traffic")
	var kf captureFlags
	kf.registerKeys(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if err := oneOf("format", *format, "text", "json"); err != nil {
		fmt.Fprintf(stderr, "vpnpcap dump: %v\n", err)
		return exitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	opts := decode.Options{KeepOther: *all}
	for _, p := range *ports {
		if p == 0 || p > 65535 {
			fmt.Fprintf(stderr, "vpnpcap dump: --ike-port %d: not a port\n", p)
			return exitUsage
		}
		opts.IKEPorts = append(opts.IKEPorts, uint16(p))
	}
	store, err := kf.loadKeys()
	if err != nil {
		fmt.Fprintf(stderr, "vpnpcap dump: %v\n", err)
		return exitUsage
	}
	opts.Keys = store

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	code := exitOK
	for _, path := range fs.Args() {
		capture := ""
		if fs.NArg() > 1 {
			capture = path
		}
		if *format == "text" && fs.NArg() > 1 {
			fmt.Fprintf(out, "# %s\n", path)
		}
		var werr error
		stats, err := decode.ReadFile(path, opts, func(p *decode.Packet) {
			if werr != nil || ctx.Err() != nil {
				return
			}
			if *format == "json" {
				werr = report.WritePacketJSON(out, capture, p)
				return
			}
			_, werr = fmt.Fprintln(out, report.PacketLine(p))
		})
		if werr != nil {
			fmt.Fprintf(stderr, "vpnpcap dump: writing output: %v\n", werr)
			return exitUsage
		}
		out.Flush()
		if err != nil {
			fmt.Fprintf(stderr, "vpnpcap: %v\n", err)
			code = exitUsage
		}
		writeUndecodable(stderr, path, stats)
	}
	return code
}

// writeUndecodable says on stderr what could not be decoded, so that nothing
// is dropped silently.
func writeUndecodable(w io.Writer, path string, stats decode.Stats) {
	if n := stats.Kinds[decode.KindMalformed]; n > 0 {
		fmt.Fprintf(w, "vpnpcap: %s: %d malformed VPN packets (shown with error=)\n", path, n)
	}
	reasons := make([]string, 0, len(stats.Undecodable))
	for r := range stats.Undecodable {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "vpnpcap: %s: %d frames not decoded: %s\n", path, stats.Undecodable[r], r)
	}
}
