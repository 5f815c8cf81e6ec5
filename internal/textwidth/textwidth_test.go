package textwidth

import (
	"strings"
	"testing"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		text  string
		width int
		want  []string
	}{
		{"one two three", 7, []string{"one two", "three"}},
		{"one  two", 20, []string{"one two"}},
		{"", 10, []string{""}},
		{"samples/natt-port-blocked/inside.pcap frames 5", 20, []string{"samples/", "natt-port-blocked/", "inside.pcap frames 5"}},
		{"a samples/natt-port-blocked/inside.pcap", 12, []string{"a samples/", "natt-port-bl", "ocked/", "inside.pcap"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"→ ✗ ⟲×5", 3, []string{"→ ✗", "⟲×5"}},
	}
	for _, tc := range tests {
		got := Wrap(tc.text, tc.width)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tc.text, tc.width, got, tc.want)
		}
		for _, l := range got {
			if Width(l) > tc.width {
				t.Errorf("Wrap(%q, %d): line %q is %d wide", tc.text, tc.width, l, Width(l))
			}
		}
	}
}

func TestMinWidth(t *testing.T) {
	for text, want := range map[string]int{
		"ins 192.168.1.23:500":        16,
		"samples/natt-port-blocked/x": 18,
		"":                            0,
		"(translation seen, NAT-D)":   12,
	} {
		if got := MinWidth(text); got != want {
			t.Errorf("MinWidth(%q) = %d, want %d", text, got, want)
		}
	}
}
