package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/report"
)

// This file turns the paths given to `vpnpcap check` into checks: it
// expands globs, walks directories, recognises captures as decode does
// (by their magic numbers), and pairs inside and outside captures by name
// or by a pairs manifest (docs/ci.md describes the rules).

// checkUnit is one check to run: a capture alone, or an inside capture and
// an outside one checked together.
type checkUnit struct {
	name  string   // as reports show it (report.SafeText)
	paths []string // one, or inside then outside, as given or found
	// problems says, per path, why it cannot be read, or "" for a path
	// that can; nil when every path can. A pair with one readable side is
	// checked as that side alone, and reported as the pair.
	problems []string
	size     int64 // bytes of the readable captures, for the progress bar
	// streamed is set when a capture is a stream, whose size is known
	// only once it is read.
	streamed bool
}

// pair reports whether the unit is an inside/outside pair to correlate.
func (u *checkUnit) pair() bool { return len(u.paths) == 2 && u.problems == nil }

// readable returns the paths that can be read.
func (u *checkUnit) readable() []string {
	var out []string
	for i, p := range u.paths {
		if u.problems == nil || u.problems[i] == "" {
			out = append(out, p)
		}
	}
	return out
}

// skippedEntry is an entry of a walked directory that is not checked,
// and why.
type skippedEntry struct {
	path, reason string
}

// manifestName is the file name of a pairs manifest found while walking a
// directory.
const manifestName = "vpnpcap-pairs.json"

// pairsManifest is the pairs manifest (docs/ci.md): explicit pairs of
// captures, with paths relative to the manifest's directory.
type pairsManifest struct {
	Version int            `json:"version"`
	Pairs   []manifestPair `json:"pairs"`
}

type manifestPair struct {
	Name    string `json:"name,omitempty"`
	Inside  string `json:"inside"`
	Outside string `json:"outside"`
}

// loadManifest reads a pairs manifest and returns its pairs with paths
// joined to the manifest's directory.
func loadManifest(file string) ([]manifestPair, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("pairs manifest: %w", err)
	}
	var m pairsManifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("pairs manifest %s: %w", file, err)
	}
	if m.Version != 1 {
		return nil, fmt.Errorf("pairs manifest %s: version %d, want 1", file, m.Version)
	}
	dir := filepath.Dir(file)
	out := make([]manifestPair, 0, len(m.Pairs))
	for i, p := range m.Pairs {
		if p.Inside == "" || p.Outside == "" {
			return nil, fmt.Errorf("pairs manifest %s: pair %d: inside and outside are required", file, i+1)
		}
		join := func(s string) string {
			if filepath.IsAbs(s) {
				return filepath.Clean(s)
			}
			return filepath.Join(dir, filepath.FromSlash(s))
		}
		q := manifestPair{Name: p.Name, Inside: join(p.Inside), Outside: join(p.Outside)}
		if q.Inside == q.Outside {
			return nil, fmt.Errorf("pairs manifest %s: pair %d: inside and outside are the same file", file, i+1)
		}
		if q.Name == "" {
			q.Name = filepath.ToSlash(strings.TrimSuffix(q.Inside, filepath.Ext(q.Inside)))
		} else if !filepath.IsAbs(q.Name) {
			q.Name = filepath.ToSlash(filepath.Join(dir, q.Name))
		}
		out = append(out, q)
	}
	return out, nil
}

// captureExts are the extensions of files that are meant to be captures: a
// file with one of them that is not a capture is reported when found while
// walking a directory, where other files are skipped.
var captureExts = []string{".pcap", ".pcapng", ".cap", ".gz"}

func captureLikeName(path string) bool {
	return slices.Contains(captureExts, strings.ToLower(filepath.Ext(path)))
}

// sniff tells whether in is a capture, as decode reads it: "" for a
// capture, else why it is not one or cannot be read. notCapture says the
// file is of another kind altogether (its magic number is none of a
// capture's), rather than a capture that cannot be read.
func sniff(in *captureInput) (reason string, notCapture bool) {
	if err := in.sniff(); err != nil {
		return problem(err), errors.Is(err, capture.ErrNotCapture)
	}
	return "", false
}

// collector gathers what the arguments name.
type collector struct {
	ins      *inputs
	captures []string          // in discovery order
	seen     map[string]bool   // cleaned paths already collected
	problems map[string]string // path as given: why it cannot be checked
	probOrd  []string
	pairs    []manifestPair
	patterns map[string]bool // problems that are glob patterns matching nothing
	skipped  []skippedEntry
	// others counts the regular files of walked directories skipped as
	// not captures, with none of captureExts (README.md).
	others int
}

func (c *collector) addCapture(p string) {
	k := filepath.Clean(p)
	if c.seen[k] {
		return
	}
	c.seen[k] = true
	c.captures = append(c.captures, p)
}

func (c *collector) addProblem(p, reason string) {
	k := filepath.Clean(p)
	if _, dup := c.problems[k]; dup {
		return
	}
	c.problems[k] = reason
	c.probOrd = append(c.probOrd, p)
}

// hasGlobMeta reports whether a path holds glob metacharacters
// (path/filepath.Match syntax).
func hasGlobMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// discover expands the arguments and the manifests into checks, sorted by
// name (a pair's directory or prefix, a single capture's path), and lists
// the entries of walked directories it skipped. It fails only on a usage
// error: a bad glob pattern or a bad pairs manifest. Files that cannot be
// read are returned as checks with problems, so that they are reported
// along with the rest. Streams named as arguments (standard input "-", a
// FIFO, <(...)) are spooled by ins and read from there.
func discover(args, manifests []string, ins *inputs) ([]checkUnit, []skippedEntry, error) {
	c := &collector{ins: ins, seen: map[string]bool{}, problems: map[string]string{}, patterns: map[string]bool{}}
	for _, m := range manifests {
		ps, err := loadManifest(m)
		if err != nil {
			return nil, nil, err
		}
		c.pairs = append(c.pairs, ps...)
	}
	for _, arg := range args {
		if _, err := os.Stat(arg); err != nil && hasGlobMeta(arg) {
			matches, gerr := filepath.Glob(arg)
			if gerr != nil {
				return nil, nil, fmt.Errorf("pattern %q: %w", arg, gerr)
			}
			if len(matches) == 0 {
				c.addProblem(arg, "no file matches the pattern")
				c.patterns[arg] = true
			}
			for _, m := range matches {
				if err := c.addPath(m); err != nil {
					return nil, nil, err
				}
			}
			continue
		}
		if err := c.addPath(arg); err != nil {
			return nil, nil, err
		}
	}
	skipped := c.skipped
	if c.others > 0 {
		skipped = append(skipped, skippedEntry{reason: fmt.Sprintf("%d other %s in the directories walked: not captures", c.others, words.Pick(c.others, "file", "files"))})
	}
	return c.units(), skipped, nil
}

// addPath adds a path given on the command line or matched by a glob: a
// directory is walked, anything else must be a capture. A stream is
// spooled (inputs.add) and the spool sniffed: sniffing the stream itself
// would leave the analysis to read it from the middle.
func (c *collector) addPath(p string) error {
	if p != "-" {
		st, err := os.Stat(p)
		if err != nil {
			c.addProblem(p, problem(err))
			return nil
		}
		if st.IsDir() {
			return c.walk(p)
		}
	}
	if c.seen[filepath.Clean(p)] && p != "-" {
		return nil
	}
	in, err := c.ins.add(p)
	if err != nil {
		c.addProblem(p, problem(err))
		return nil
	}
	if reason, _ := sniff(in); reason != "" {
		c.addProblem(p, reason)
		return nil
	}
	c.addCapture(p)
	return nil
}

// walk adds the captures under dir, in lexical order. Hidden directories
// (.git and the like) are not entered. A file with a capture's extension
// that is not a capture, or cannot be read, is reported as a problem;
// other files are skipped, and so are entries that are not regular files
// (FIFOs, sockets, devices, symbolic links to directories or to nothing):
// a FIFO would wait for its writer, a device could be read for ever. Those
// are listed with their reason, the others counted.
func (c *collector) walk(dir string) error {
	root := dir
	if st, err := os.Lstat(dir); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		// WalkDir does not follow a symbolic link given as its root; it
		// does follow it with a separator after it.
		root = dir + string(filepath.Separator)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			c.addProblem(p, problem(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if d.Name() == manifestName {
			ps, err := loadManifest(p)
			if err != nil {
				return err
			}
			c.pairs = append(c.pairs, ps...)
			return nil
		}
		if !d.Type().IsRegular() {
			st, err := os.Stat(p) // follow a symbolic link
			reason := ""
			if err != nil {
				reason = "a symbolic link whose target cannot be read: " + problem(err)
			}
			switch {
			case err != nil && captureLikeName(p):
				c.addProblem(p, reason)
				return nil
			case err != nil:
				c.skip(p, reason)
				return nil
			case !st.Mode().IsRegular():
				c.skip(p, "not a regular file but "+fileKind(st.Mode())+": give it as an argument to read it")
				return nil
			}
		}
		if c.seen[filepath.Clean(p)] {
			return nil
		}
		reason, notCapture := sniff(regularInput(p, 0))
		switch {
		case reason == "":
			c.addCapture(p)
		case captureLikeName(p) || !notCapture:
			c.addProblem(p, reason)
		default:
			c.others++
		}
		return nil
	})
}

func (c *collector) skip(p, reason string) {
	c.skipped = append(c.skipped, skippedEntry{p, reason})
}

// fileKind names the kind of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory (links are not followed into directories)"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// role of a capture by its name: "inside.pcap" and "NAME-inside.pcapng.gz"
// are inside captures; the group is the directory, plus NAME.
func captureRole(p string) (group, role string) {
	dir, base := filepath.Split(p)
	stem, _, _ := strings.Cut(base, ".")
	for _, r := range []string{"inside", "outside"} {
		switch {
		case stem == r:
			return dir, r
		case strings.HasSuffix(stem, "-"+r) && len(stem) > len(r)+1:
			return dir + strings.TrimSuffix(stem, "-"+r), r
		}
	}
	return "", ""
}

// probe returns why p cannot be checked, or "" when it is a capture: what
// was found when p was met already, else what sniffing it finds.
func (c *collector) probe(p string) string {
	k := filepath.Clean(p)
	if c.seen[k] {
		return ""
	}
	if r, ok := c.problems[k]; ok {
		return r
	}
	in, err := c.ins.add(p)
	if err != nil {
		return problem(err)
	}
	reason, _ := sniff(in)
	return reason
}

// units pairs the captures and returns every check, sorted. A pair one
// of whose captures cannot be read stays a pair, with its problem: it is
// reported as the pair, and its readable side checked alone.
func (c *collector) units() []checkUnit {
	units, claimed := c.manifestUnits()
	pairs, paired := c.namedPairs(claimed)
	units = append(units, pairs...)
	for _, p := range c.captures {
		if paired[p] || claimed[filepath.Clean(p)] {
			continue
		}
		units = append(units, checkUnit{name: p, paths: []string{p}})
	}
	for _, p := range c.probOrd {
		if paired[p] || claimed[filepath.Clean(p)] {
			continue
		}
		units = append(units, checkUnit{name: p, paths: []string{p}, problems: []string{c.problems[filepath.Clean(p)]}})
	}
	for i := range units {
		u := &units[i]
		u.name = report.SafeText(u.name)
		for _, p := range u.readable() {
			in := c.ins.input(p)
			u.size += in.size()
			u.streamed = u.streamed || in.spool != nil
		}
	}
	slices.SortStableFunc(units, func(a, b checkUnit) int {
		if d := cmp.Compare(a.name, b.name); d != 0 {
			return d
		}
		return cmp.Compare(a.paths[0], b.paths[0])
	})
	return units
}

// manifestUnits returns the pairs the manifests list, each once, and the
// captures they claim.
func (c *collector) manifestUnits() ([]checkUnit, map[string]bool) {
	var units []checkUnit
	claimed := map[string]bool{}
	seenPair := map[[2]string]bool{}
	for _, mp := range c.pairs {
		k := [2]string{mp.Inside, mp.Outside}
		if seenPair[k] {
			continue
		}
		seenPair[k] = true
		u := checkUnit{name: mp.Name, paths: []string{mp.Inside, mp.Outside}}
		if ri, ro := c.probe(mp.Inside), c.probe(mp.Outside); ri != "" || ro != "" {
			u.problems = []string{ri, ro}
		}
		claimed[mp.Inside], claimed[mp.Outside] = true, true
		units = append(units, u)
	}
	return units, claimed
}

// namedPairs pairs the captures not claimed by a manifest by their names
// (inside.* and outside.* in one directory, NAME-inside.* and
// NAME-outside.*), and returns the pairs and the captures paired.
func (c *collector) namedPairs(claimed map[string]bool) ([]checkUnit, map[string]bool) {
	var units []checkUnit
	type member struct{ path, problem string }
	type group struct{ inside, outside []member }
	groups := map[string]*group{}
	var order []string // groups in discovery order, for a stable result
	candidates := make([]member, 0, len(c.captures)+len(c.probOrd))
	for _, p := range c.captures {
		candidates = append(candidates, member{p, ""})
	}
	for _, p := range c.probOrd {
		if !c.patterns[p] {
			candidates = append(candidates, member{p, c.problems[filepath.Clean(p)]})
		}
	}
	for _, m := range candidates {
		if claimed[filepath.Clean(m.path)] {
			continue
		}
		g, role := captureRole(m.path)
		if role == "" {
			continue
		}
		gr := groups[g]
		if gr == nil {
			gr = &group{}
			groups[g] = gr
			order = append(order, g)
		}
		if role == "inside" {
			gr.inside = append(gr.inside, m)
		} else {
			gr.outside = append(gr.outside, m)
		}
	}
	paired := map[string]bool{}
	for _, g := range order {
		gr := groups[g]
		// Two candidates for one side leave the pairing ambiguous: each
		// is then checked alone rather than guessed.
		if len(gr.inside) != 1 || len(gr.outside) != 1 {
			continue
		}
		in, out := gr.inside[0], gr.outside[0]
		name := filepath.Clean(g)
		if g == "" || name == "." {
			// Captures in the working directory: name the pair by its files.
			name = filepath.Base(in.path) + " + " + filepath.Base(out.path)
		}
		u := checkUnit{name: filepath.ToSlash(name), paths: []string{in.path, out.path}}
		if in.problem != "" || out.problem != "" {
			u.problems = []string{in.problem, out.problem}
		}
		units = append(units, u)
		paired[in.path], paired[out.path] = true, true
	}
	return units, paired
}
