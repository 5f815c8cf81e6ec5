// Package words holds the few ways vpnpcap words counts and lists, so that
// every finding, verdict and report says them alike.
package words

import (
	"strconv"
	"strings"
)

// Count says a count with its noun: "1 packet", "3 packets", "12,109
// packets". The plural adds an s; nouns that do otherwise take Pick.
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return Thousands(n) + " " + noun + "s"
}

// Pick picks the singular or plural form for a count: Pick(n, "was",
// "were").
func Pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Thousands writes a count with thousands separators: "1,000,000".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// MaxListed is how many items List names before it counts the rest.
const MaxListed = 10

// List joins items with ", ", naming at most max of them (MaxListed when
// max is 0) and counting the others: "a, b, c and 97 more". No list in a
// message grows with the capture.
func List(items []string, max int) string {
	if max <= 0 {
		max = MaxListed
	}
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:max], ", ") + " and " + Thousands(len(items)-max) + " more"
}
