package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/textwidth"
)

// TestTableFits: a table is as wide as its cells when that fits; else its
// cells wrap at spaces, the kept column last; else its narrow form; else
// records. No line is wider than the width, and no word is cut.
func TestTableFits(t *testing.T) {
	wide := table{
		header: []string{"#", "ADDRESS", "NOTE"},
		rows: [][]string{
			{"1", "192.168.1.23:500 → :4500", "the initiator is behind a NAT that translates it"},
			{"2", "2001:db8:10::2:500", "none"},
		},
		record: "tunnel", keep: 1,
	}
	narrow := table{header: []string{"#", "ADDRESS AND NOTE"}, rows: [][]string{
		{"1", "192.168.1.23:500 → :4500\nthe initiator is behind a NAT that translates it"},
		{"2", "2001:db8:10::2:500\nnone"},
	}, record: "tunnel"}
	withNarrow := wide
	withNarrow.narrow = &narrow
	tests := []struct {
		name  string
		tb    table
		width int
		want  []string // substrings of the output
	}{
		{"natural", wide, 120, []string{"| 1 | 192.168.1.23:500 → :4500 | the initiator is behind a NAT that translates it |"}},
		{"wrapped", wide, 66, []string{"| 1 | 192.168.1.23:500 → :4500 | the initiator is behind a NAT |", "|   |                          | that translates it            |"}},
		{"narrow", withNarrow, 32, []string{"| # | ADDRESS AND NOTE         |", "| 1 | 192.168.1.23:500 → :4500 |"}},
		{"records", wide, 30, []string{"  tunnel 1\n    address 192.168.1.23:500 →\n    :4500\n    note  the initiator is\n", "  tunnel 2\n", "    note none\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			w := newTextWriter(&b, TextOptions{})
			w.width = tc.width
			w.table(tc.tb)
			if w.err != nil {
				t.Fatal(w.err)
			}
			for _, want := range tc.want {
				if !strings.Contains(b.String(), want) {
					t.Errorf("lacks %q:\n%s", want, b.String())
				}
			}
			for _, line := range strings.Split(b.String(), "\n") {
				if textwidth.Width(line) > tc.width {
					t.Errorf("line of %d columns at %d: %q", textwidth.Width(line), tc.width, line)
				}
			}
			for _, word := range []string{"192.168.1.23:500", "2001:db8:10::2:500", "translates"} {
				if !strings.Contains(b.String(), word) {
					t.Errorf("%q was cut:\n%s", word, b.String())
				}
			}
		})
	}
}
