package rules

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md and golden files")

var (
	idPattern   = regexp.MustCompile(`^VP[1-49][0-9][0-9]$`)
	slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// TestRulesMeta checks every registered rule's metadata: unique,
// well-formed IDs in ascending order, unique slugs, and the prose a user
// reads.
func TestRulesMeta(t *testing.T) {
	ids := map[string]bool{}
	slugs := map[string]bool{}
	prev := ""
	for _, r := range All() {
		m := r.Meta()
		if !idPattern.MatchString(m.ID) {
			t.Errorf("rule %q: ID not of the form VPNNN", m.ID)
		}
		if m.ID <= prev {
			t.Errorf("rule %s listed after %s: registry must be in ID order", m.ID, prev)
		}
		prev = m.ID
		if ids[m.ID] {
			t.Errorf("rule %s: duplicate ID", m.ID)
		}
		ids[m.ID] = true
		if !slugPattern.MatchString(m.Slug) || slugs[m.Slug] {
			t.Errorf("rule %s: slug %q malformed or duplicate", m.ID, m.Slug)
		}
		slugs[m.Slug] = true
		if m.Title == "" || strings.HasSuffix(m.Title, ".") {
			t.Errorf("rule %s: title %q empty or ends with a period", m.ID, m.Title)
		}
		if len(m.Explanation) < 80 || len(m.Remedy) < 40 {
			t.Errorf("rule %s: explanation (%d chars) or remedy (%d chars) too thin", m.ID, len(m.Explanation), len(m.Remedy))
		}
		if len(m.References) == 0 {
			t.Errorf("rule %s: no references", m.ID)
		}
		if Lookup(m.ID) != r || Lookup(strings.ToLower(m.ID)) != r || Lookup(m.Slug) != r {
			t.Errorf("rule %s: Lookup by ID or slug does not find it", m.ID)
		}
		if _, err := os.Stat(filepath.Join("..", "rules", strings.ToLower(m.ID)+"_"+strings.ReplaceAll(m.Slug, "-", "_")+".go")); err != nil {
			t.Errorf("rule %s: file %s_%s.go missing: one file per rule, named after it", m.ID, strings.ToLower(m.ID), strings.ReplaceAll(m.Slug, "-", "_"))
		}
	}
}

// TestRulesDoc keeps docs/rules.md in step with the rules' metadata.
func TestRulesDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "rules.md")
	want := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./rules -run TestRulesDoc -update)", err)
	}
	if string(got) != want {
		t.Errorf("docs/rules.md is stale: run go test ./rules -run TestRulesDoc -update")
	}
}
