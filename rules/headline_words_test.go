package rules

import "testing"

// Headlines count with words: the encapsulation named as it was, counts
// with separators and a singular for one.
func TestHeadlineWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{mixedHeadline(1, 0, 3), "its ESP went raw (1 packet) and inside TCP (RFC 9329) (3 packets)"},
		{mixedHeadline(1200, 5, 0), "its ESP went raw (1,200 packets) and inside UDP 4500 (5 packets)"},
		{howOften(1500), "1,500 times"},
		{howOften(2), "twice"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
