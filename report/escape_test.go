package report

import (
	"os/exec"
	"testing"
	"unicode/utf8"

	"github.com/vpnpcap/vpnpcap/rules"
)

func TestSafeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"samples/natt-ok/inside.pcap", "samples/natt-ok/inside.pcap"},
		{`C:\captures\site a.pcap`, `C:\captures\site a.pcap`},
		{"caf\u00e9-\u0432\u043f\u043d.pcap", "caf\u00e9-\u0432\u043f\u043d.pcap"},
		{"evil\x1b[31mred.pcap", `evil\x1b[31mred.pcap`},
		{"two\nlines.pcap", `two\nlines.pcap`},
		{"cr\rtab\t.pcap", `cr\rtab\t.pcap`},
		{"del\x7f.pcap", `del\x7f.pcap`},
		{"c1\u0085\u009b.pcap", `c1\u0085\u009b.pcap`},
		{"bidi\u202egpj.pcap", `bidi\u202egpj.pcap`},
		{"isolate\u2066x\u2069", `isolate\u2066x\u2069`},
		{"latin1-\xe9t\xe9.pcap", `latin1-\xe9t\xe9.pcap`},
		{"cut\xe2\x82", `cut\xe2\x82`},
		{"\x00", `\x00`},
	}
	for _, tc := range tests {
		got := SafeText(tc.in)
		if got != tc.want {
			t.Errorf("SafeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("SafeText(%q) = %q is not UTF-8", tc.in, got)
		}
		if again := SafeText(got); again != got {
			t.Errorf("SafeText is not idempotent on %q: %q", got, again)
		}
	}
}

func FuzzSafeText(f *testing.F) {
	for _, s := range []string{"a.pcap", "\x1b[2J", "x\ny", "\xff\xfe", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("SafeText(%q) = %q is not UTF-8", s, got)
		}
		for _, r := range got {
			if unsafeRune(r) {
				t.Fatalf("SafeText(%q) = %q keeps %U", s, got, r)
			}
		}
		if SafeText(got) != got {
			t.Fatalf("SafeText(%q) = %q is escaped again", s, got)
		}
	})
}

func TestSafeTextNoAllocs(t *testing.T) {
	s := "samples/natt-ok/inside.pcap"
	if n := testing.AllocsPerRun(100, func() { _ = SafeText(s) }); n != 0 {
		t.Errorf("SafeText of a plain name allocates %v times", n)
	}
}

// The tshark command a finding shows names the capture file exactly, in
// printable text: bash reads the quoted word back into the very bytes.
func TestTsharkCommandNamesTheFile(t *testing.T) {
	names := []struct{ exact, want string }{
		{"inside.pcap", "inside.pcap"},
		{"site a's.pcap", `'site a'\''s.pcap'`},
		{"two\nlines.pcap", `$'two\x0alines.pcap'`},
		{"bad\xff\\'.pcap", `$'bad\xff\\\'.pcap'`},
		{"bidi\u202egpj.pcap", `$'bidi\xe2\x80\xaegpj.pcap'`},
	}
	bash, bashErr := exec.LookPath("bash")
	for _, n := range names {
		c := Capture{Path: SafeText(n.exact)}
		if c.Path != n.exact {
			c.PathBytes = []byte(n.exact)
		}
		ev := []rules.Evidence{{Capture: c.Path, Frame: 5}, {Capture: c.Path, Frame: 7}}
		got := tsharkCommands(ev, []Capture{c})
		want := "tshark -r " + n.want + ` -Y "frame.number in {5 7}"`
		if len(got) != 1 || got[0] != want {
			t.Errorf("%q: %q, want %q", n.exact, got, want)
			continue
		}
		if unsafeIndex(got[0]) >= 0 {
			t.Errorf("%q: the command %q does not show as it is", n.exact, got[0])
		}
		if bashErr != nil {
			continue
		}
		out, err := exec.Command(bash, "-c", "printf %s "+n.want).Output()
		if err != nil || string(out) != n.exact {
			t.Errorf("bash reads %s as %q (%v), want %q", n.want, out, err, n.exact)
		}
	}
}
