package main

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
	"github.com/vpnpcap/vpnpcap/report"
)

const keysAbout = `Convert keys to Wireshark's decryption tables.

'vpnpcap keys --from-charon-log LOG --out DIR' reads the keys that strongSwan's
charon logs at level 4 (charon { filelog { ... { ike = 4 chd = 4 } } }) and
writes them to DIR as Wireshark names its tables: ikev2_decryption_table,
ikev1_decryption_table and esp_sa. Copy them into a Wireshark profile
directory (or point WIRESHARK_CONFIG_DIR at DIR) to decrypt the same capture
in Wireshark. vpnpcap itself reads the log directly with --keys. ESP entries
match any address, because the two sides of a NAT see different ones. The
key files are only read; the tables hold keys: keep DIR private.

An IKE SA made by a rekey has keys in the log but no SPIs, and Wireshark's
table needs them: with --capture FILE (repeatable) vpnpcap reads the capture,
tries those keys on its IKE messages, and writes each key under the SPIs of
the SA whose messages it verified.`

// keysOptions are the parsed flags of 'vpnpcap keys'.
type keysOptions struct {
	logs, captures []string
	out            string
}

func setupKeys(fs *pflag.FlagSet) func(*env) int {
	var o keysOptions
	fs.StringArrayVar(&o.logs, "from-charon-log", nil, "read the keys of `log`, a charon log at level 4 for ike and chd, or a Wireshark table (repeatable)")
	fileFlag(fs, "from-charon-log")
	fs.StringVar(&o.out, "out", "", "write the tables into `dir` (created if missing)")
	fileFlag(fs, "out")
	fs.StringArrayVar(&o.captures, "capture", nil, "find the SPIs of keys the log names no SA for in the IKE messages of `capture` (repeatable)")
	fileFlag(fs, "capture", captureExts...)
	return func(e *env) int { return runKeys(e, &o) }
}

func runKeys(e *env, o *keysOptions) int {
	switch {
	case len(o.logs) == 0:
		return e.usageError("--from-charon-log is required")
	case o.out == "":
		return e.usageError("--out is required")
	case e.fs.NArg() > 0:
		return e.usageError("no arguments besides the flags, got %d", e.fs.NArg())
	}
	store, warnings, err := keys.LoadAll(o.logs)
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	for _, w := range warnings {
		e.warnf("%s", w)
	}
	if len(o.captures) > 0 {
		if _, err := decode.BindKeys(store, o.captures...); err != nil {
			e.errorf("%v", err)
			return exitUsage
		}
	}
	for _, in := range append(slices.Clone(o.logs), o.captures...) {
		if same, _ := sameFile(in, o.out); same {
			e.errorf("--out %s is an input: key files are never written", o.out)
			return exitUsage
		}
	}
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	written, skipped, err := keys.WriteWireshark(o.out, store)
	if err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	for _, s := range skipped {
		e.warnf("%s: IKE keys without their SPIs (an IKE SA made by a rekey, or no NAT-D dump): not written; vpnpcap --keys still finds their SA by trial", s)
	}
	fmt.Fprintf(e.stdout, "%d IKEv2, %d IKEv1 and %d ESP SAs from %d files\n", len(store.IKEv2)-len(skipped), len(store.IKEv1), len(store.ESP), len(o.logs))
	for _, w := range written {
		fmt.Fprintf(e.stdout, "wrote %s\n", report.SafeText(w))
	}
	if len(written) == 0 {
		return exitUsage
	}
	return exitOK
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
