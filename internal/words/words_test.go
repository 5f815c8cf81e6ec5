package words

import (
	"strconv"
	"testing"
)

func TestWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Count(1, "packet"), "1 packet"},
		{Count(0, "packet"), "0 packets"},
		{Count(12, "SA"), "12 SAs"},
		{Pick(1, "was", "were"), "was"},
		{Pick(2, "was", "were"), "were"},
		{Thousands(999), "999"},
		{Thousands(1000), "1,000"},
		{Thousands(1234567), "1,234,567"},
		{Thousands(-1500), "-1,500"},
		{List([]string{"a", "b"}, 0), "a, b"},
		{List([]string{"a", "b", "c", "d"}, 2), "a, b and 2 more"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	var many []string
	for i := range 100_000 {
		many = append(many, strconv.Itoa(i))
	}
	if got := List(many, 0); got != "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 99,990 more" {
		t.Errorf("List of 100,000: %q", got)
	}
}
