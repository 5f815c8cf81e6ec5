package tui

import (
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/rules"
)

// findingsView is the findings pane: the findings, most severe first,
// coloured by severity, and under them the selected finding's message,
// explanation, remedy and evidence. Enter jumps to the evidence: it selects
// the finding's tunnel and its first evidence frame in the packet list.
type findingsView struct {
	*tview.Flex
	a       *App
	table   *tview.Table
	content *findingRows
	text    *tview.TextView
}

var _ View = (*findingsView)(nil)

// findingRows is the table's virtual content.
type findingRows struct {
	tview.TableContentReadOnly
	v *findingsView
}

var findingColumns = []string{"Sev", "Rule", "Tun", "Message"}

func (c *findingRows) findings() []rules.Finding {
	if c.v.a.model == nil {
		return nil
	}
	return c.v.a.model.findings
}

func (c *findingRows) GetRowCount() int    { return len(c.findings()) + 1 }
func (c *findingRows) GetColumnCount() int { return len(findingColumns) }

func (c *findingRows) GetCell(r, col int) *tview.TableCell {
	st := c.v.a.st
	if col < 0 || col >= len(findingColumns) {
		return nil
	}
	if r == 0 {
		return tview.NewTableCell(findingColumns[col]).SetStyle(st.header).SetSelectable(false)
	}
	fs := c.findings()
	if r-1 >= len(fs) {
		return nil
	}
	f := &fs[r-1]
	var text string
	switch col {
	case 0:
		text = f.Severity.String()
	case 1:
		text = f.RuleID
	case 2:
		switch {
		case f.Tunnel > 0:
			text = "T" + strconv.Itoa(f.Tunnel)
		case f.Session > 0:
			text = "P" + strconv.Itoa(f.Session)
		}
	case 3:
		text = f.Message
	}
	cell := tview.NewTableCell(tview.Escape(text)).SetStyle(st.sev(f.Severity))
	if col == 3 {
		cell.SetExpansion(1)
	}
	return cell
}

// newFindingsView builds the pane.
func newFindingsView(a *App) *findingsView {
	v := &findingsView{Flex: tview.NewFlex().SetDirection(tview.FlexRow), a: a, table: tview.NewTable(), text: tview.NewTextView()}
	v.content = &findingRows{v: v}
	v.table.SetContent(v.content)
	v.table.SetFixed(1, 0)
	v.table.SetSelectable(true, false)
	v.table.SetBackgroundColor(tcell.ColorDefault)
	a.st.table(v.table)
	a.st.text(v.text)
	v.text.SetWordWrap(true)
	v.text.SetScrollable(true)
	a.st.box(v.Box, v.Title())
	v.AddItem(v.table, 0, 1, true)
	v.AddItem(v.text, 0, 1, false)
	v.table.SetSelectionChangedFunc(func(int, int) { v.showSelected() })
	v.showSelected()
	return v
}

// Title names the pane.
func (v *findingsView) Title() string { return "Findings" }

// Draw keeps the selected finding in view, then draws the pane.
func (v *findingsView) Draw(screen tcell.Screen) {
	keepSelectionVisible(v.table)
	v.Flex.Draw(screen)
}

// setModel shows a new model's findings.
func (v *findingsView) setModel(m *model) {
	v.SetTitle(" " + tview.Escape(v.Title()+" ("+strconv.Itoa(len(m.findings))+")") + " ")
	v.table.Select(1, 0)
	v.table.ScrollToBeginning()
	v.showSelected()
}

// selected returns the selected finding, or nil.
func (v *findingsView) selected() *rules.Finding {
	fs := v.content.findings()
	r, _ := v.table.GetSelection()
	if r < 1 || r-1 >= len(fs) {
		return nil
	}
	return &fs[r-1]
}

// showSelected writes the selected finding's explanation.
func (v *findingsView) showSelected() {
	f := v.selected()
	if f == nil {
		msg := "No findings."
		if v.a.model == nil {
			msg = "The analysis is running."
		}
		v.text.SetText(msg)
		return
	}
	var b strings.Builder
	b.WriteString(f.RuleID + " " + f.Title + " (" + f.Severity.String() + ", confidence " + f.Confidence.String() + ")\n")
	b.WriteString(f.Message + "\n")
	if f.Explanation != "" {
		b.WriteString("\nWhy: " + f.Explanation + "\n")
	}
	if f.Remedy != "" {
		b.WriteString("\nFix: " + f.Remedy + "\n")
	}
	if len(f.Evidence) > 0 {
		b.WriteString("\nEvidence: " + evidenceText(v.a.model, f.Evidence) + " (Enter to show)\n")
	}
	v.text.SetText(b.String())
	v.text.ScrollToBeginning()
}

// evidenceText lists evidence frames by capture: "inside #3 #4; outside #2".
func evidenceText(m *model, ev []rules.Evidence) string {
	var parts []string
	for _, s := range []flows.Side{flows.SideInside, flows.SideOutside} {
		var frames []string
		for _, e := range ev {
			if e.Side == s {
				frames = append(frames, "#"+strconv.Itoa(e.Frame))
			}
		}
		if len(frames) == 0 {
			continue
		}
		name := s.String()
		if m != nil && !m.two() {
			name = "frames"
		}
		parts = append(parts, name+" "+strings.Join(frames, " "))
	}
	return strings.Join(parts, "; ")
}

// Do handles the keymap's actions for the pane.
func (v *findingsView) Do(act action) bool {
	if act == actEnter {
		if f := v.selected(); f != nil {
			v.a.jumpTo(f)
		}
		return true
	}
	return forward(v.table, act)
}
