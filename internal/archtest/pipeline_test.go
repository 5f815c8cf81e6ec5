package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

// stages are the calls that assemble the analysis: reading captures into
// flows, correlating two, and running the rules and verdicts. Only the
// pipeline package makes them (tests may, to look at one stage alone).
var stages = map[string][]string{
	"flows": {"Analyze", "Correlate"},
	"rules": {"NewContext", "NewCorrelatedContext", "Run", "Verdicts"},
}

// TestStagesAssembledInPipeline fails when a package other than pipeline
// (or the stage's own package) calls a stage: every command must get the
// same facts, findings and verdicts from one place.
func TestStagesAssembledInPipeline(t *testing.T) {
	root := corpus.RepoRoot()
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		if dir == "pipeline" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			for _, name := range stages[pkg.Name] {
				if sel.Sel.Name == name && dir != pkg.Name {
					t.Errorf("%s: %s.%s: the stages are assembled in package pipeline only", fset.Position(sel.Pos()), pkg.Name, name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
