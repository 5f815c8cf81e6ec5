package rules

import (
	"fmt"
	"strconv"
	"time"

	"github.com/vpnpcap/vpnpcap/internal/words"
)

// This file holds how findings word what every rule speaks of, so that all
// of them say it alike: durations and counts.

// fmtDuration formats a duration for a message: "350ms", "4.0s", "2m05s".
func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + fmtDuration(-d)
	case d < time.Second:
		return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// fmtDurations formats a list of durations: "2.0s, 4.0s, 8.0s".
func fmtDurations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmtDuration(d)
	}
	return words.List(parts, 0)
}

// howOften says how often something happened: "once", "twice", "4 times".
func howOften(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return strconv.Itoa(n) + " times"
}

// wasWere counts things with the verb that follows: "1 IKE message was",
// "3 IKE messages were".
func wasWere(n int, noun string) string {
	return words.Count(n, noun) + " " + words.Pick(n, "was", "were")
}
