package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/rules"
)

// BaselineSchema names the baseline file format and its version. It
// changes when a field is renamed or removed, or when keys are computed
// differently; adding a field keeps it.
const BaselineSchema = "vpnpcap.baseline/v1"

// BaselineKey identifies a finding across runs by facts that do not change
// when the capture does not: the rule, the captures of the check (paths as
// given on the command line, cleaned, with forward slashes), the tunnel's
// IKE version and SPIs, and the subject the rule names (an ESP SA, a PPTP
// call, a flow). It leaves out the message, the evidence frames and the
// tunnel's number in the report, which move when a rule's wording, its
// evidence selection or an unrelated tunnel changes.
type BaselineKey struct {
	Rule     string   `json:"rule"`
	Captures []string `json:"captures"`
	Tunnel   string   `json:"tunnel,omitempty"`
	Subject  string   `json:"subject,omitempty"`
}

// Key returns the baseline key of a finding of a check of captures, whose
// rules context is c.
func Key(captures []string, c *rules.Context, f rules.Finding) BaselineKey {
	k := BaselineKey{Rule: strings.ToUpper(f.RuleID), Captures: cleanPaths(captures), Subject: f.Subject}
	if c != nil && f.Tunnel > 0 && f.Tunnel <= len(c.Tunnels) {
		if t := c.Tunnels[f.Tunnel-1].Any(); t != nil {
			k.Tunnel = fmt.Sprintf("ikev%d %s/%s", t.Version, decode.IKESPI(t.SPIi), decode.IKESPI(t.SPIr))
		}
	}
	return k
}

func cleanPaths(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = filepath.ToSlash(filepath.Clean(p))
	}
	return out
}

// id is the key as one comparable string; NUL cannot occur in a path.
func (k BaselineKey) id() string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(k.Rule))
	for _, c := range k.Captures {
		b.WriteByte(0)
		b.WriteString(c)
	}
	b.WriteByte(0)
	b.WriteString(k.Tunnel)
	b.WriteByte(0)
	b.WriteString(k.Subject)
	return b.String()
}

func capturesID(ps []string) string { return strings.Join(ps, "\x00") }

// Fingerprint returns a hash of the key: 32 hex digits, the same for the
// same key on every run and machine. SARIF carries it as the partial
// fingerprint "vpnpcap/v1", so that code scanning recognises a finding from
// one run to the next.
func (k BaselineKey) Fingerprint() string {
	sum := sha256.Sum256([]byte("vpnpcap/v1\x00" + k.id()))
	return hex.EncodeToString(sum[:16])
}

// BaselineEntry is one accepted finding of a baseline file: its key, how
// many findings with that key are accepted (a rule may report the same
// subject more than once), and, for people reading the file, the
// fingerprint, severity, title and message of the finding when the
// baseline was written. Only the key and the count are compared.
type BaselineEntry struct {
	BaselineKey
	Count       int    `json:"count"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Severity    string `json:"severity,omitempty"`
	Title       string `json:"title,omitempty"`
	Message     string `json:"message,omitempty"`
}

// BaselineFile is the JSON document of a baseline (docs/ci.md).
type BaselineFile struct {
	Schema   string          `json:"schema"`
	Findings []BaselineEntry `json:"findings"`
}

// Baseline is a set of accepted findings, consumed as findings match it.
// It is not safe for concurrent use.
type Baseline struct {
	// File names the baseline in reports.
	File    string
	total   int
	left    map[string]int      // by key id: findings still to accept
	byPaths map[string][]string // by captures id: the key ids
}

// LoadBaseline reads a baseline file.
func LoadBaseline(file string) (*Baseline, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("report: baseline: %w", err)
	}
	defer f.Close()
	return ReadBaseline(f, file)
}

// ReadBaseline reads a baseline document; name names it in errors and
// reports. Unknown fields are ignored, so that a file written by a later
// version of the same schema still reads.
func ReadBaseline(r io.Reader, name string) (*Baseline, error) {
	var doc BaselineFile
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("report: baseline %s: %w", name, err)
	}
	if doc.Schema != BaselineSchema {
		return nil, fmt.Errorf("report: baseline %s: schema %q, want %q", name, doc.Schema, BaselineSchema)
	}
	b := &Baseline{File: name, left: map[string]int{}, byPaths: map[string][]string{}}
	for i, e := range doc.Findings {
		if e.Rule == "" || len(e.Captures) == 0 {
			return nil, fmt.Errorf("report: baseline %s: finding %d: rule and captures are required", name, i+1)
		}
		if e.Count < 0 {
			return nil, fmt.Errorf("report: baseline %s: finding %d: negative count %d", name, i+1, e.Count)
		}
		if e.Count == 0 {
			e.Count = 1
		}
		e.Captures = cleanPaths(e.Captures)
		id := e.id()
		if _, seen := b.left[id]; !seen {
			cid := capturesID(e.Captures)
			b.byPaths[cid] = append(b.byPaths[cid], id)
		}
		b.left[id] += e.Count
		b.total += e.Count
	}
	return b, nil
}

// Len returns the number of findings the baseline accepts.
func (b *Baseline) Len() int { return b.total }

// take accepts one finding with key k, if the baseline has one left.
func (b *Baseline) take(k BaselineKey) bool {
	id := k.id()
	if b.left[id] == 0 {
		return false
	}
	b.left[id]--
	return true
}

// unmatched returns how many findings the baseline accepts for exactly
// these captures that have not matched.
func (b *Baseline) unmatched(paths []string) int {
	n := 0
	for _, id := range b.byPaths[capturesID(cleanPaths(paths))] {
		n += b.left[id]
	}
	return n
}

// NewBaselineFile returns the baseline that accepts every finding of the
// batch, baselined or not, in a stable order.
func NewBaselineFile(b *Batch) *BaselineFile {
	idx := map[string]int{}
	doc := &BaselineFile{Schema: BaselineSchema, Findings: []BaselineEntry{}}
	for _, c := range b.Checks {
		for _, f := range c.Findings {
			id := f.Key.id()
			if i, ok := idx[id]; ok {
				doc.Findings[i].Count++
				continue
			}
			idx[id] = len(doc.Findings)
			doc.Findings = append(doc.Findings, BaselineEntry{
				BaselineKey: f.Key, Count: 1, Fingerprint: f.Fingerprint,
				Severity: f.Severity.String(), Title: f.Title, Message: f.Message,
			})
		}
	}
	slices.SortStableFunc(doc.Findings, func(x, y BaselineEntry) int {
		if c := cmp.Compare(capturesID(x.Captures), capturesID(y.Captures)); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Rule, y.Rule); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Tunnel, y.Tunnel); c != 0 {
			return c
		}
		return cmp.Compare(x.Subject, y.Subject)
	})
	return doc
}

// WriteBaseline writes the baseline that accepts every finding of the
// batch.
func WriteBaseline(w io.Writer, b *Batch) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(NewBaselineFile(b)); err != nil {
		return fmt.Errorf("report: baseline: %w", err)
	}
	return nil
}
