package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// captureFlags are the flags every command that analyses captures shares.
type captureFlags struct {
	inside, outside string
	ikePorts        []uint
	maxFlows        int
	window          float64
	config          string
	disable         []string
	natTimeout      string
	minConfidence   string
	keyFiles        []string
	keyWarnings     io.Writer   // where warnings about key files go
	keyStore        *keys.Store // loaded once, by decodeOptions
}

func (c *captureFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.inside, "inside", "", "the capture taken on the LAN side of the NAT")
	fs.StringVar(&c.outside, "outside", "", "the capture taken on the WAN side of the NAT")
	fs.UintSliceVar(&c.ikePorts, "ike-port", nil, "a port the peers use instead of 500 or 4500: IKE on it with or without the non-ESP marker, ESP in UDP and keepalives (repeatable)")
	fs.IntVar(&c.maxFlows, "max-flows", flows.DefaultMaxFlows, "most flows tracked per capture; more are counted, not kept")
	fs.Float64Var(&c.window, "match-window", flows.DefaultWindow.Seconds(), "seconds within which one packet seen in both captures is matched")
	c.registerKeys(fs)
}

// registerKeys registers --keys: key files that decrypt IKE and ESP.
func (c *captureFlags) registerKeys(fs *pflag.FlagSet) {
	fs.StringArrayVar(&c.keyFiles, "keys", nil, "decrypt IKE and ESP with the keys in this file: a Wireshark table "+
		"(ikev2_decryption_table, ikev1_decryption_table, esp_sa) or a charon log at level 4 (repeatable; see docs/decryption.md)")
	c.keyWarnings = fs.Output()
}

// loadKeys reads the --keys files once; warnings (keys of a log that could
// not be used) go to stderr. Keys are never printed.
func (c *captureFlags) loadKeys() (*keys.Store, error) {
	if c.keyStore != nil || len(c.keyFiles) == 0 {
		return c.keyStore, nil
	}
	s, warnings, err := keys.LoadAll(c.keyFiles)
	if err != nil {
		return nil, fmt.Errorf("--keys: %w", err)
	}
	if c.keyWarnings != nil {
		for _, w := range warnings {
			fmt.Fprintf(c.keyWarnings, "vpnpcap: --keys: %s\n", w)
		}
	}
	c.keyStore = s
	return s, nil
}

func (c *captureFlags) registerRules(fs *pflag.FlagSet) {
	fs.StringVar(&c.config, "config", "", "rules configuration file (JSON; see docs/configuration.md)")
	fs.StringSliceVar(&c.disable, "disable", nil, "rule IDs or slugs not to run (repeatable)")
	fs.StringVar(&c.natTimeout, "nat-udp-timeout", "", "the NAT's UDP mapping timeout, such as 30s or 2m (default from the config, 30s)")
	fs.StringVar(&c.minConfidence, "min-confidence", "low", "drop findings below this confidence: low, medium or high")
}

// rulesConfig builds the rules configuration from the config file and the
// flags, which win.
func (c *captureFlags) rulesConfig() (*rules.Config, error) {
	cfg := rules.DefaultConfig()
	if c.config != "" {
		var err error
		if cfg, err = rules.LoadConfig(c.config); err != nil {
			return nil, err
		}
	}
	cfg.Disabled = append(cfg.Disabled, c.disable...)
	if c.natTimeout != "" {
		if err := cfg.Thresholds.NATUDPTimeout.UnmarshalText([]byte(c.natTimeout)); err != nil {
			return nil, fmt.Errorf("--nat-udp-timeout: %w", err)
		}
	}
	conf, err := rules.ParseConfidence(c.minConfidence)
	if err != nil {
		return nil, fmt.Errorf("--min-confidence: %w", err)
	}
	cfg.MinConfidence = conf
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// paths returns the captures to analyse, in order, and whether the user
// said which is inside.
func (c *captureFlags) paths(args []string) (first, second string, rolesGiven bool, err error) {
	switch {
	case c.inside != "" || c.outside != "":
		if c.inside == "" || c.outside == "" {
			return "", "", false, errors.New("--inside and --outside go together")
		}
		if len(args) > 0 {
			return "", "", false, errors.New("give captures either as --inside/--outside or as arguments, not both")
		}
		return c.inside, c.outside, true, nil
	case len(args) == 1:
		return args[0], "", false, nil
	case len(args) == 2:
		return args[0], args[1], false, nil
	case len(args) == 0:
		return "", "", false, errNoCapture
	}
	return "", "", false, fmt.Errorf("at most two captures (one per side of the NAT), got %d", len(args))
}

var errNoCapture = errors.New("no capture given")

// capturePaths is paths for a command's arguments, with the command's
// usage on stderr when no capture is given (and hint after it), or the
// error: code is -1 to go on, else the exit code.
func (c *captureFlags) capturePaths(fs *pflag.FlagSet, stderr io.Writer, hint string) (first, second string, given bool, code int) {
	first, second, given, err := c.paths(fs.Args())
	switch {
	case errors.Is(err, errNoCapture):
		fs.Usage()
		fmt.Fprint(stderr, hint)
		return "", "", false, exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return "", "", false, exitUsage
	}
	return first, second, given, -1
}

func (c *captureFlags) decodeOptions() (decode.Options, error) {
	opts := decode.Options{KeepOther: true}
	for _, p := range c.ikePorts {
		if p == 0 || p > 65535 {
			return opts, fmt.Errorf("--ike-port %d: not a port", p)
		}
		opts.IKEPorts = append(opts.IKEPorts, uint16(p))
	}
	k, err := c.loadKeys()
	if err != nil {
		return opts, err
	}
	opts.Keys = k
	return opts, nil
}

// analysis runs the analysis and returns the rules context. With
// summarize, a single capture's other traffic is summarised per
// conversation, as check does (aloneOptions): what the report and the
// rules say is the same, at a fraction of the time and memory; the flows
// command lists every flow and does not summarise.
func (c *captureFlags) analysis(first, second string, rolesGiven, summarize bool, cfg *rules.Config) (*rules.Context, error) {
	dopts, err := c.decodeOptions()
	if err != nil {
		return nil, err
	}
	for _, p := range []string{first, second} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("vpnpcap: %w", err)
		}
	}
	fopts := flows.Options{MaxFlows: c.maxFlows}
	if second == "" {
		if summarize {
			dopts, fopts = aloneOptions(dopts, fopts)
		}
		a := flows.Analyze(flows.File(first), dopts, fopts)
		return rules.NewContext(a, cfg), nil
	}
	cor := flows.Correlate(flows.File(first), flows.File(second), flows.CorrelateOptions{
		Window:     secondsDuration(c.window),
		RolesGiven: rolesGiven,
		Decode:     dopts,
		Flows:      fopts,
	})
	return rules.NewCorrelatedContext(cor, cfg), nil
}

// notCaptures reports the inputs that are not capture files at all: there
// is nothing to report on them, so commands stop with the error alone.
func notCaptures(w io.Writer, ctx *rules.Context) bool {
	bad := false
	for _, a := range ctx.Captures {
		if a.Capture.Frames == 0 && errors.Is(a.Capture.ReadError, decode.ErrNotCapture) {
			fmt.Fprintf(w, "vpnpcap: %v\n", a.Capture.ReadError)
			bad = true
		}
	}
	return bad
}

// readErrors reports capture read errors on stderr and says whether there
// were any.
func readErrors(w io.Writer, ctx *rules.Context) bool {
	bad := false
	for _, a := range ctx.Captures {
		if a.Capture.ReadError != nil {
			fmt.Fprintf(w, "vpnpcap: %v (everything before it was analysed)\n", a.Capture.ReadError)
			bad = true
		}
	}
	return bad
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// useColor decides colour from --color and the environment (NO_COLOR,
// https://no-color.org).
func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return isTerminal(w)
}
