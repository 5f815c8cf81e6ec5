package main

import (
	"testing"

	"github.com/spf13/pflag"

	"github.com/vpnpcap/vpnpcap/decode"
)

// IP reassembly's buffers get 1/128 of --max-memory, which VP907's
// explanation and remedy say: its default at the default bound, twice as
// much at twice the bound.
func TestReassemblyBytesFollowMaxMemory(t *testing.T) {
	if reassemblyShare != 128 {
		t.Fatalf("reassembly gets 1/%d of --max-memory; VP907 and the docs say 1/128", reassemblyShare)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, decode.DefaultMaxFragmentBytes},
		{[]string{"--max-memory", "1GiB"}, 8 << 20},
		{[]string{"--max-memory", "64MiB"}, 512 << 10},
	} {
		var c captureFlags
		fs := pflag.NewFlagSet("analyze", pflag.ContinueOnError)
		c.register(fs, true)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := c.decodeOptions().MaxFragmentBytes; got != tc.want {
			t.Errorf("%v: reassembly bound of %d bytes, want %d", tc.args, got, tc.want)
		}
	}
}
