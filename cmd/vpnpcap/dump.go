package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/decode"
	pcapfile "github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/filter"
	"github.com/vpnpcap/vpnpcap/report"
)

const dumpAbout = `Print one line per VPN-relevant packet (IKE, ESP, ESP in UDP or TCP, NAT-T
keepalives, AH, GRE, PPTP control, IP fragments and what did not decode),
or one JSON object per line, in frame order, as Wireshark numbers frames.
--filter selects packets; --all prints the other packets too.

Each capture is read once, in order, and printed as it is read: - reads
standard input, so that packets show as they arrive from a live capture.

Try it on a sample:
  vpnpcap dump --filter 'ike and src host 192.168.1.23' samples/natt-ok/inside.pcap
  tcpdump -U -w - -i eth0 | vpnpcap dump -`

const dumpMore = "Filters:\n" + filter.Syntax

// dumpOptions are the parsed flags of `vpnpcap dump`.
type dumpOptions struct {
	format      string
	ikePorts    []uint16
	all         bool
	filter      string
	fifoTimeout durationValue
	keys        captureFlags // --keys only
}

func setupDump(fs *pflag.FlagSet) func(*env) int {
	var o dumpOptions
	enumFlag(fs, &o.format, "format", "", "text", "print in `format`: text, or json (one JSON object per line)", "text", "json")
	fs.StringVarP(&o.filter, "filter", "f", "", "print only the packets that match `expression` (see Filters below)")
	fs.BoolVar(&o.all, "all", false, "also print packets that are not VPN traffic")
	portsFlag(fs, &o.ikePorts, "ike-port", "also decode IKE and UDP-encapsulated ESP on the UDP or TCP `port` (repeatable, or comma-separated)")
	o.fifoTimeout = durationValue{d: defaultFIFOTimeout, lo: minFIFOTimeout, hi: maxFIFOTimeout, zero: shortDuration(defaultFIFOTimeout)}
	durationFlag(fs, &o.fifoTimeout, "fifo-timeout", "give up a FIFO given as a capture when no process opens it for writing within `duration` (0: wait without limit)")
	o.keys.registerKeys(fs)
	return func(e *env) int { return runDump(e, &o) }
}

func runDump(e *env, o *dumpOptions) int {
	if e.fs.NArg() == 0 {
		return e.missingOperands("no capture given")
	}
	flt, err := filter.Parse(o.filter)
	if err != nil {
		return e.usageError("--%v", err) // "--filter: at character N: …"
	}
	stdinNamed := 0
	for _, a := range e.fs.Args() {
		if a == "-" {
			stdinNamed++
		}
	}
	if stdinNamed > 1 {
		return e.usageError("standard input (-) is named %d times", stdinNamed)
	}
	if code := o.keys.loadKeys(e); code >= 0 {
		return code
	}
	opts := decode.Options{KeepOther: o.all, IKEPorts: o.ikePorts, Keys: o.keys.keyStore}
	out := bufio.NewWriterSize(e.stdout, 64<<10)
	defer out.Flush()
	code := exitOK
	for _, arg := range e.fs.Args() {
		name := report.SafeText(arg)
		capture := ""
		if e.fs.NArg() > 1 {
			capture = name
		}
		if o.format == "text" && e.fs.NArg() > 1 {
			fmt.Fprintf(out, "# %s\n", name)
		}
		stats, err, werr := dumpOne(e, arg, o, flt, opts, out, capture)
		if werr != nil {
			e.errorf("writing output: %v", werr)
			return exitUsage
		}
		out.Flush()
		if err != nil {
			e.errorf("%s: %s", name, problem(err))
			code = exitUsage
		}
		writeUndecodable(e, name, stats)
	}
	return code
}

// dumpOne prints the packets of the capture arg that pass the filter. It
// returns the decoder's stats, the capture's error, and the error writing
// out.
func dumpOne(e *env, arg string, o *dumpOptions, flt *filter.Filter, opts decode.Options, out *bufio.Writer, capture string) (stats decode.Stats, readErr, writeErr error) {
	r, release, err := openStreamFile(e.ctx, arg, e.stdin, o.fifoTimeout.d)
	if err != nil {
		return decode.Stats{}, err, nil
	}
	defer release()
	dr, err := pcapfile.NewReader(&flushingReader{r: &countingReader{ctx: e.ctx, r: r}, w: out}, report.SafeText(arg))
	if err != nil {
		return decode.Stats{}, err, nil
	}
	defer dr.Close()
	var werr error
	stats, err = decode.ReadPackets(dr, opts, func(p *decode.Packet) {
		if werr != nil || e.ctx.Err() != nil || !flt.Match(p) {
			return
		}
		if o.format == "json" {
			werr = report.WritePacketJSON(out, capture, p)
			return
		}
		_, werr = fmt.Fprintln(out, report.PacketLine(p))
	})
	return stats, err, werr
}

// writeUndecodable says on stderr what could not be decoded, so that nothing
// is dropped silently.
func writeUndecodable(e *env, name string, stats decode.Stats) {
	if n := stats.Kinds[decode.KindMalformed]; n > 0 {
		e.errorf("%s: %d malformed VPN packets (shown with error=)", name, n)
	}
	reasons := make([]string, 0, len(stats.Undecodable))
	for r := range stats.Undecodable {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		e.errorf("%s: %d frames not decoded: %s", name, stats.Undecodable[r], r)
	}
}

// flushingReader flushes w before every read of r: output is written as
// soon as the input it comes from has been decoded, so packets of a live
// capture show as they arrive, and a file's output still goes out in
// large writes (decode reads a file in large chunks).
type flushingReader struct {
	r io.Reader
	w *bufio.Writer
}

func (f *flushingReader) Read(b []byte) (int, error) {
	f.w.Flush() // a write error is reported by the next write
	return f.r.Read(b)
}
