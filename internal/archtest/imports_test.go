package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries keeps the data flowing one way: decode → flows →
// rules → ladder → pipeline → report/tui → cmd. A lower package never imports a higher one, the
// analysis packages never import terminal or table libraries, and only
// decode parses packets.
func TestImportBoundaries(t *testing.T) {
	const mod = "github.com/vpnpcap/vpnpcap/"
	forbidden := map[string][]string{
		"decode":         {mod + "flows", mod + "rules", mod + "pipeline", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"decode/dissect": {mod + "flows", mod + "rules", mod + "pipeline", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"filter":         {mod + "flows", mod + "rules", mod + "pipeline", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"pipeline":       {mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"flows":          {mod + "rules", mod + "pipeline", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"ladder":         {mod + "pipeline", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"rules":          {mod + "pipeline", mod + "report", mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/olekukonko/tablewriter", "github.com/spf13/pflag"},
		"report":         {mod + "tui", mod + "cmd", "github.com/gdamore/tcell", "github.com/rivo/tview", "github.com/spf13/pflag"},
		"tui":            {mod + "cmd", "github.com/spf13/pflag"},
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
					t.Errorf("%s imports %s (directly or not): data flows decode → flows → rules → pipeline → report/tui → cmd", pkg, dep)
				}
			}
		}
	}

	// Packet parsing stays in decode: report and tui read packets through
	// decode's model (its types, names and formatters, and decode/dissect's
	// tree) and never parse bytes with gopacket themselves, tests included.
	// Were one to, protocol knowledge would live in two places again, and
	// the two would drift apart. (They import decode, which imports
	// gopacket, so the rule is on their own imports.)
	for _, pkg := range []string{"report", "tui"} {
		out, err := exec.Command("go", "list", "-f", "{{join .Imports \"\\n\"}}\n{{join .TestImports \"\\n\"}}\n{{join .XTestImports \"\\n\"}}", mod+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, imp := range strings.Fields(string(out)) {
			if imp == "github.com/gopacket/gopacket" || strings.HasPrefix(imp, "github.com/gopacket/gopacket/") {
				t.Errorf("%s imports %s: only decode parses packets", pkg, imp)
			}
		}
	}
}

// TestCaptureStandsAlone keeps the capture file reader below everything
// else: it reads pcap and pcapng records and knows no protocol, so it
// imports no other package of the module.
func TestCaptureStandsAlone(t *testing.T) {
	const pkg = "github.com/vpnpcap/vpnpcap/decode/capture"
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/vpnpcap/vpnpcap/") && dep != pkg {
			t.Errorf("%s imports %s (directly or not): it must stand alone below decode", pkg, dep)
		}
	}
}
