package tui

import (
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/rules"
)

// findingsView is the findings pane: the findings, most severe first,
// coloured by severity, and under them, when the pane has room, the
// selected finding's message, explanation (why), remedy (fix) and
// evidence, which J and K scroll. Enter jumps to the evidence: it selects
// the finding's tunnel and its first evidence frame in the packet list.
type findingsView struct {
	*tview.Box
	a       *App
	list    *grid
	content *findingRows
	text    *tview.TextView
	// textShown says whether the last draw had room for the text.
	textShown bool
}

var _ View = (*findingsView)(nil)

// findingRows is the list's content.
type findingRows struct{ v *findingsView }

func (c *findingRows) findings() []rules.Finding {
	if c.v.a.model == nil {
		return nil
	}
	return c.v.a.model.findings
}

func (c *findingRows) rowCount() int { return len(c.findings()) }

func (c *findingRows) empty() string {
	if c.v.a.model == nil {
		return "The analysis is running."
	}
	return "No findings."
}

func (c *findingRows) columns(int) []gridCol {
	return []gridCol{{name: "Sev"}, {name: "Rule"}, {name: "Tun"}, {name: "Message", expand: true}}
}

func (c *findingRows) cell(r, col int) (string, tcell.Style) {
	fs := c.findings()
	if r < 0 || r >= len(fs) {
		return "", c.v.a.st.normal
	}
	f := &fs[r]
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
	return text, c.v.a.st.sev(f.Severity)
}

// newFindingsView builds the pane.
func newFindingsView(a *App) *findingsView {
	v := &findingsView{Box: tview.NewBox(), a: a, text: tview.NewTextView()}
	v.content = &findingRows{v: v}
	v.list = newGrid(a.st, v.content)
	v.list.owner = v
	v.list.SetBackgroundColor(tcell.ColorDefault)
	a.st.text(v.text)
	v.text.SetWordWrap(true)
	v.text.SetScrollable(true)
	a.st.box(v.Box, v.Title())
	v.list.changed = func(int) { v.showSelected() }
	v.showSelected()
	return v
}

// Title names the pane.
func (v *findingsView) Title() string { return "Findings" }

// frameTitle is the pane's title, with the number of findings.
func (v *findingsView) frameTitle() string {
	if v.a.model == nil {
		return v.Title()
	}
	return v.Title() + " (" + words.Thousands(len(v.a.model.findings)) + ")"
}

// listHeight is the height of the list within an inner height: all the
// findings when they fit in half the pane, else half of it.
func (v *findingsView) listHeight(inner int) int {
	return max(2, min(v.content.rowCount()+1, inner/2))
}

// Draw draws the list and, when there are three lines left under it, the
// selected finding's text.
func (v *findingsView) Draw(screen tcell.Screen) {
	v.DrawForSubclass(screen, v)
	x, y, w, h := v.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	lh := v.listHeight(h)
	v.textShown = h-lh >= 3
	if !v.textShown {
		lh = h
	}
	v.list.SetRect(x, y, w, lh)
	v.list.Draw(screen)
	if v.textShown {
		v.text.SetRect(x, y+lh, w, h-lh)
		v.text.Draw(screen)
	}
}

// setModel shows a new model's findings.
func (v *findingsView) setModel(m *model) {
	v.list.reset()
	v.showSelected()
}

// selected returns the selected finding, or nil.
func (v *findingsView) selected() *rules.Finding {
	fs := v.content.findings()
	r := v.list.selected()
	if r < 0 || r >= len(fs) {
		return nil
	}
	return &fs[r]
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
		b.WriteString("\nEvidence: " + evidenceText(v.a.model, f.Evidence) + " (Enter shows it, e and E go through it)\n")
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

// scrollText scrolls the finding's text by lines.
func (v *findingsView) scrollText(lines int) {
	row, _ := v.text.GetScrollOffset()
	v.text.ScrollTo(max(0, row+lines), 0)
}

// Do handles the keymap's actions for the pane.
func (v *findingsView) Do(act action) bool {
	switch act {
	case actEnter:
		if f := v.selected(); f != nil {
			v.a.jumpTo(f)
		}
		return true
	case actTextDown:
		v.scrollText(1)
		return true
	case actTextUp:
		v.scrollText(-1)
		return true
	}
	return v.list.Do(act)
}

// MouseHandler selects a finding clicked on and scrolls the text under
// the wheel.
func (v *findingsView) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return v.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if !v.InRect(event.Position()) {
			return false, nil
		}
		if v.list.InRect(event.Position()) {
			return v.list.MouseHandler()(action, event, setFocus)
		}
		switch action {
		case tview.MouseLeftDown, tview.MouseLeftClick:
			setFocus(v)
		case tview.MouseScrollUp:
			v.scrollText(-1)
		case tview.MouseScrollDown:
			v.scrollText(1)
		default:
			return false, nil
		}
		return true, nil
	})
}
