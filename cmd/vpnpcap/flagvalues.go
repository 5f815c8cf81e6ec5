package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Flag values that check what they are given as they are parsed: a value
// out of range is a usage error naming the flag, reported before any
// capture is read. pflag's error reads `invalid argument "-1" for
// "--max-flows" flag: REASON`.

// enumValue is a string flag taking one of a few words; the shell
// completions offer them.
type enumValue struct {
	p       *string
	allowed []string
}

func enumFlag(fs *pflag.FlagSet, p *string, name, short, def, usage string, allowed ...string) {
	*p = def
	fs.VarP(&enumValue{p, allowed}, name, short, usage)
}

func (v *enumValue) String() string { return *v.p }
func (v *enumValue) Type() string   { return "string" }
func (v *enumValue) Set(s string) error {
	for _, a := range v.allowed {
		if s == a {
			*v.p = s
			return nil
		}
	}
	return fmt.Errorf("want %s", strings.Join(v.allowed, ", "))
}

// intValue is an int flag within [lo, hi].
type intValue struct {
	p      *int
	lo, hi int
}

func intFlag(fs *pflag.FlagSet, p *int, name, short string, def int, usage string, lo, hi int) {
	*p = def
	fs.VarP(&intValue{p, lo, hi}, name, short, usage)
}

func (v *intValue) String() string { return strconv.Itoa(*v.p) }
func (v *intValue) Type() string   { return "int" }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < v.lo || n > v.hi {
		return fmt.Errorf("want a whole number from %d to %d", v.lo, v.hi)
	}
	*v.p = n
	return nil
}

// secondsValue is a number of seconds, finite, above zero and at most max.
type secondsValue struct {
	p   *float64
	max float64
}

func secondsFlag(fs *pflag.FlagSet, p *float64, name string, def float64, usage string, max float64) {
	*p = def
	fs.Var(&secondsValue{p, max}, name, usage)
}

func (v *secondsValue) String() string { return strconv.FormatFloat(*v.p, 'g', -1, 64) }
func (v *secondsValue) Type() string   { return "float" }
func (v *secondsValue) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f > v.max {
		return fmt.Errorf("want a number of seconds above 0 and at most %g", v.max)
	}
	*v.p = f
	return nil
}

// durationValue is a Go duration ("30s", "2m") within [lo, hi]; set says
// whether the flag was given.
type durationValue struct {
	d      time.Duration
	set    bool
	lo, hi time.Duration
	zero   string // what the default means, for the help
}

func durationFlag(fs *pflag.FlagSet, v *durationValue, name, usage string) {
	fs.Var(v, name, usage)
	fs.Lookup(name).DefValue = v.zero
}

func (v *durationValue) String() string {
	if !v.set {
		return v.zero
	}
	return shortDuration(v.d)
}

// shortDuration writes whole hours and minutes without the zero units
// time.Duration.String adds: 24h, 2m, not 24h0m0s.
func shortDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d < time.Hour && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}
func (v *durationValue) Type() string { return "duration" }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < v.lo || d > v.hi {
		return fmt.Errorf("want a duration such as 30s or 2m, from %s to %s", shortDuration(v.lo), shortDuration(v.hi))
	}
	v.d, v.set = d, true
	return nil
}

// portsValue is a list of UDP or TCP ports: the flag may be repeated, and
// each value may list several, comma-separated.
type portsValue struct{ p *[]uint16 }

func portsFlag(fs *pflag.FlagSet, p *[]uint16, name, usage string) {
	fs.Var(&portsValue{p}, name, usage)
}

func (v *portsValue) String() string {
	s := make([]string, len(*v.p))
	for i, p := range *v.p {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ",")
}
func (v *portsValue) Type() string { return "ports" }
func (v *portsValue) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16)
		if err != nil || n == 0 {
			return fmt.Errorf("%q is not a port (1 to 65535)", f)
		}
		*v.p = append(*v.p, uint16(n))
	}
	return nil
}

// fileFlag marks a flag whose value is a file, for the shell completions:
// exts lists the extensions to offer (none: any file).
func fileFlag(fs *pflag.FlagSet, name string, exts ...string) {
	if exts == nil {
		exts = []string{}
	}
	_ = fs.SetAnnotation(name, annotationFile, exts)
}

const annotationFile = "vpnpcap_file"

// sizeValue is a size in bytes, given as a number with an optional unit:
// B, KiB, MiB, GiB (powers of 1024) or kB, MB, GB (powers of 1000).
type sizeValue struct {
	p      *int64
	lo, hi int64
}

func sizeFlag(fs *pflag.FlagSet, p *int64, name string, def int64, usage string, lo, hi int64) {
	*p = def
	fs.Var(&sizeValue{p, lo, hi}, name, usage)
}

func (v *sizeValue) String() string { return sizeText(*v.p) }
func (v *sizeValue) Type() string   { return "size" }
func (v *sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil || n < v.lo || n > v.hi {
		return fmt.Errorf("want a size from %s to %s, such as 512MiB or 2GiB", sizeText(v.lo), sizeText(v.hi))
	}
	*v.p = n
	return nil
}

// parseSize reads "512MiB", "2GiB", "300MB", "65536".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
	}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	return int64(f * mult), nil
}

// sizeText writes a size the way --help shows it: "512MiB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10) + "B"
}
