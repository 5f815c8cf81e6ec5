package report

import (
	"testing"
	"unicode/utf8"
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
