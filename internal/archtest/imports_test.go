package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries keeps the data flowing one way: decode → flows →
// rules → pipeline → report/tui → cmd. A lower package never imports a higher one, and
// the analysis packages never import terminal or table libraries.
func TestImportBoundaries(t *testing.T) {
	const mod = "github.com/vpnpcap/vpnpcap/"
	forbidden := map[string][]string{
		"decode":   {mod + "flows", mod + "rules", mod + "pipeline", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"filter":   {mod + "flows", mod + "rules", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"flows":    {mod + "rules", mod + "pipeline", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"rules":    {mod + "pipeline", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"pipeline": {mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"report":   {mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/spf13/pflag"},
		"tui":      {mod + "cmd", "github.com/spf13/pflag"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", mod+pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "no required module provides") || strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "is not in std") {
				continue
			}
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if dep == b || strings.HasPrefix(dep, b+"/") {
					t.Errorf("%s imports %s (directly or not): data flows decode → flows → rules → report/tui → cmd", pkg, dep)
				}
			}
		}
	}
}
