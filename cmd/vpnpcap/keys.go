package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/keys"
)

const keysHelp = `Convert keys to Wireshark's decryption tables.

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
the SA whose messages it verified.

`

func runKeys(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("keys", "--from-charon-log LOG... [--capture FILE...] --out DIR", stderr)
	var logs []string
	fs.StringArrayVar(&logs, "from-charon-log", nil, "a charon log at level 4 for ike and chd, or a Wireshark table (repeatable)")
	out := fs.String("out", "", "the directory to write the tables into (created if missing)")
	var captures []string
	fs.StringArrayVar(&captures, "capture", nil, "a capture whose IKE messages give the SPIs of keys the log names no SA for (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(stderr, keysHelp)
		fmt.Fprintf(stderr, "Usage: vpnpcap keys --from-charon-log LOG... [--capture FILE...] --out DIR\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if len(logs) == 0 || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	store, warnings, err := keys.LoadAll(logs)
	if err != nil {
		fmt.Fprintf(stderr, "vpnpcap keys: %v\n", err)
		return exitUsage
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "vpnpcap keys: %s\n", w)
	}
	if len(captures) > 0 {
		if _, err := decode.BindKeys(store, captures...); err != nil {
			fmt.Fprintf(stderr, "vpnpcap keys: %v\n", err)
			return exitUsage
		}
	}
	for _, in := range append(slices.Clone(logs), captures...) {
		if same, _ := sameFile(in, *out); same {
			fmt.Fprintf(stderr, "vpnpcap keys: --out %s is an input: key files are never written\n", *out)
			return exitUsage
		}
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		fmt.Fprintf(stderr, "vpnpcap keys: %v\n", err)
		return exitUsage
	}
	written, skipped, err := keys.WriteWireshark(*out, store)
	if err != nil {
		fmt.Fprintf(stderr, "vpnpcap keys: %v\n", err)
		return exitUsage
	}
	for _, s := range skipped {
		hint := "; --capture with a capture of the SA writes them"
		if len(captures) > 0 {
			hint = "; they verified no IKE message of the captures given"
		}
		fmt.Fprintf(stderr, "vpnpcap keys: %s: IKE keys without their SPIs (an IKE SA made by a rekey, or no NAT-D dump): not written; vpnpcap --keys still finds their SA by trial%s\n", s, hint)
	}
	fmt.Fprintf(stdout, "%d IKEv2, %d IKEv1 and %d ESP SAs from %d files\n", len(store.IKEv2)-len(skipped), len(store.IKEv1), len(store.ESP), len(logs))
	for _, w := range written {
		fmt.Fprintf(stdout, "wrote %s\n", w)
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
