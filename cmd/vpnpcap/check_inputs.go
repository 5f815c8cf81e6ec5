package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// This file turns the paths given to `vpnpcap check` into checks: it
// expands globs, walks directories, recognises captures by their magic
// numbers, and pairs inside and outside captures by name or by a pairs
// manifest (docs/ci.md describes the rules).

// checkUnit is one check to run: a capture alone, or an inside capture and
// an outside one checked together.
type checkUnit struct {
	name  string
	paths []string // one, or inside then outside
	// problems says, per path, why it cannot be read; empty when every
	// path is a capture to analyse.
	problems []string
	size     int64 // bytes of the files, for the progress bar
}

// pair reports whether the unit is an inside/outside pair to correlate.
func (u *checkUnit) pair() bool { return len(u.paths) == 2 && len(u.problems) == 0 }

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

// Magic numbers of the formats decode reads: pcap in both byte orders with
// micro- and nanosecond time stamps, the modified pcap format (which decode
// refuses with a clear message, so it counts as a capture here), pcapng's
// section header block, and gzip (RFC 1952 §2.3.1).
var captureMagics = [][]byte{
	{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4},
	{0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},
	{0x34, 0xcd, 0xb2, 0xa1}, {0xa1, 0xb2, 0xcd, 0x34},
	{0x0a, 0x0d, 0x0d, 0x0a},
}

var gzipMagic = []byte{0x1f, 0x8b}

// captureExts are the extensions of files that are meant to be captures: a
// file with one of them that is not a capture is reported when found while
// walking a directory, where other files are skipped.
var captureExts = []string{".pcap", ".pcapng", ".cap", ".gz"}

func captureLikeName(path string) bool {
	return slices.Contains(captureExts, strings.ToLower(filepath.Ext(path)))
}

// sniff tells whether the file at path is a capture, by its first bytes
// (inside the gzip stream for a compressed file). It returns "" for a
// capture, else why it is not one or cannot be read.
func sniff(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return osReason(err)
	}
	defer f.Close()
	var head [4]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return osReason(err)
	}
	if n == 0 {
		return "not a capture file: empty"
	}
	if isCaptureMagic(head[:n]) {
		return ""
	}
	if n >= 2 && bytes.Equal(head[:2], gzipMagic) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return osReason(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			return "not a capture file: damaged gzip header: " + err.Error()
		}
		defer zr.Close()
		m, _ := io.ReadFull(zr, head[:])
		if isCaptureMagic(head[:m]) {
			return ""
		}
		return "not a capture file: gzip-compressed, but no pcap or pcapng inside"
	}
	return "not a capture file: no pcap, pcapng or gzip magic number"
}

func isCaptureMagic(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	for _, m := range captureMagics {
		if bytes.Equal(b[:4], m) {
			return true
		}
	}
	return false
}

// osReason returns the reason of a file system error without the
// operation and path, which the report shows next to it.
func osReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// collector gathers what the arguments name.
type collector struct {
	captures []string          // in discovery order
	seen     map[string]bool   // cleaned paths already collected
	problems map[string]string // path as given: why it cannot be checked
	probOrd  []string
	pairs    []manifestPair
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
// name (a pair's directory or prefix, a single capture's path). It fails only on a usage error: a bad glob
// pattern or a bad pairs manifest. Files that cannot be read are returned
// as checks with problems, so that they are reported along with the rest.
func discover(args, manifests []string) ([]checkUnit, error) {
	c := &collector{seen: map[string]bool{}, problems: map[string]string{}}
	for _, m := range manifests {
		ps, err := loadManifest(m)
		if err != nil {
			return nil, err
		}
		c.pairs = append(c.pairs, ps...)
	}
	for _, arg := range args {
		if _, err := os.Stat(arg); err != nil && hasGlobMeta(arg) {
			matches, gerr := filepath.Glob(arg)
			if gerr != nil {
				return nil, fmt.Errorf("pattern %q: %w", arg, gerr)
			}
			if len(matches) == 0 {
				c.addProblem(arg, "no file matches the pattern")
			}
			for _, m := range matches {
				if err := c.addPath(m); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := c.addPath(arg); err != nil {
			return nil, err
		}
	}
	return c.units(), nil
}

// addPath adds a path given on the command line or matched by a glob: a
// directory is walked, a file must be a capture.
func (c *collector) addPath(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		c.addProblem(p, osReason(err))
		return nil
	}
	if st.IsDir() {
		return c.walk(p)
	}
	if reason := sniff(p); reason != "" {
		c.addProblem(p, reason)
		return nil
	}
	c.addCapture(p)
	return nil
}

// walk adds the captures under dir, in lexical order. Hidden directories
// (.git and the like) are not entered. A file with a capture's extension
// that is not a capture is reported; other files are skipped.
func (c *collector) walk(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			c.addProblem(p, osReason(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
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
			if err != nil || !st.Mode().IsRegular() {
				return nil
			}
		}
		reason := sniff(p)
		switch {
		case reason == "":
			c.addCapture(p)
		case captureLikeName(p):
			c.addProblem(p, reason)
		}
		return nil
	})
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

// units pairs the captures and returns every check, sorted.
func (c *collector) units() []checkUnit {
	var units []checkUnit
	claimed := map[string]bool{}
	seenPair := map[[2]string]bool{}
	for _, mp := range c.pairs {
		k := [2]string{mp.Inside, mp.Outside}
		if seenPair[k] {
			continue
		}
		seenPair[k] = true
		ri, ro := sniff(mp.Inside), sniff(mp.Outside)
		switch {
		case ri == "" && ro == "":
			claimed[mp.Inside], claimed[mp.Outside] = true, true
			units = append(units, checkUnit{name: mp.Name, paths: []string{mp.Inside, mp.Outside}})
		default:
			// Report the unreadable side; check the other alone.
			for _, s := range []struct{ path, reason string }{{mp.Inside, ri}, {mp.Outside, ro}} {
				if s.reason != "" {
					c.addProblem(s.path, s.reason)
				} else {
					c.addCapture(s.path)
				}
			}
		}
	}
	type group struct{ inside, outside []string }
	groups := map[string]*group{}
	for _, p := range c.captures {
		if claimed[filepath.Clean(p)] {
			continue
		}
		g, role := captureRole(p)
		if role == "" {
			continue
		}
		gr := groups[g]
		if gr == nil {
			gr = &group{}
			groups[g] = gr
		}
		if role == "inside" {
			gr.inside = append(gr.inside, p)
		} else {
			gr.outside = append(gr.outside, p)
		}
	}
	paired := map[string]bool{}
	for g, gr := range groups {
		// Two candidates for one side leave the pairing ambiguous: each
		// is then checked alone rather than guessed.
		if len(gr.inside) != 1 || len(gr.outside) != 1 {
			continue
		}
		name := filepath.Clean(g)
		if g == "" || name == "." {
			// Captures in the working directory: name the pair by its files.
			name = filepath.Base(gr.inside[0]) + " + " + filepath.Base(gr.outside[0])
		}
		units = append(units, checkUnit{name: filepath.ToSlash(name), paths: []string{gr.inside[0], gr.outside[0]}})
		paired[gr.inside[0]], paired[gr.outside[0]] = true, true
	}
	for _, p := range c.captures {
		if paired[p] || claimed[filepath.Clean(p)] {
			continue
		}
		units = append(units, checkUnit{name: p, paths: []string{p}})
	}
	for _, p := range c.probOrd {
		units = append(units, checkUnit{name: p, paths: []string{p}, problems: []string{c.problems[filepath.Clean(p)]}})
	}
	for i := range units {
		for _, p := range units[i].paths {
			if st, err := os.Stat(p); err == nil {
				units[i].size += st.Size()
			}
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
