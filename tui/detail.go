package tui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/decode"
	pcapfile "github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/decode/dissect"
	"github.com/vpnpcap/vpnpcap/flows"
)

// detailView is the decode tree of the selected packet, as package
// dissect lays it out: link, IP and transport headers, then the IKE header
// and every payload (proposals, transforms and attributes, KE, nonce,
// identities, notifies by name, NAT-D with its verification, named vendor
// IDs, SK/SKF and what keys decrypted), ESP, AH, GRE, PPTP or an ICMP error
// with the packet it quotes. Nodes open and close (▾ open, ▸ closed);
// moving onto a node highlights its bytes in the hex view.
//
// A packet both captures saw has two trees, the inside's and the
// outside's. Where the pane is wide enough it shows them side by side,
// line against line, and marks with ≠ the lines that differ (what the NAT
// rewrote, and anything else); otherwise it shows one, and o switches.
// Lines longer than the pane end in "…" and scroll sideways (H, L).
type detailView struct {
	*tview.Box
	a *App
	// root is the tree shown; nil shows msg instead.
	root *pnode
	msg  string
	// cur is the current line; primary is the capture whose tree the
	// pane shows alone, and whose bytes the hex view shows.
	cur     *pnode
	primary flows.Side
	// names are the captures of the two trees, for the title.
	names [2]string
	top   int
	hoff  int
	// At the last draw: the lines shown, the inner width, whether the
	// trees were side by side, and the widest line.
	shown, innerW, lineWidth int
	paired                   bool
	// rowLines are the lines of the rows drawn, for the mouse.
	rowLines []*pnode
	// reveal scrolls, at the next draw, as much of the current node's
	// subtree into view as fits.
	reveal bool
}

var _ View = (*detailView)(nil)

// sideBySideWidth is the inner width from which the pane shows both
// captures' trees side by side: two halves of 40 cells and the marks
// between them.
const sideBySideWidth = 81

// newDetailView builds the pane.
func newDetailView(a *App) *detailView {
	d := &detailView{Box: tview.NewBox(), a: a}
	a.st.box(d.Box, d.Title())
	d.setEmpty("No packet selected.")
	return d
}

// Title names the pane.
func (d *detailView) Title() string { return "Decode" }

// frameTitle is the pane's title: which capture's copy it shows.
func (d *detailView) frameTitle() string {
	if d.root == nil {
		return d.Title()
	}
	if d.both() {
		if d.paired {
			return d.Title() + ": inside │ outside, ≠ where they differ"
		}
		return d.Title() + " of the " + d.primary.String() + " copy (o: the " + (1 - d.primary).String() + " copy)"
	}
	if d.names[d.primary] != "" {
		return d.Title() + " of " + d.names[d.primary]
	}
	return d.Title()
}

// setEmpty shows a message instead of a tree.
func (d *detailView) setEmpty(msg string) {
	d.root, d.cur, d.msg = nil, nil, msg
	d.top, d.hoff = 0, 0
}

// decodeTree is the dissection of a packet, whose first line names the
// capture (where) it comes from. rec holds the frame's bytes, or is nil.
func decodeTree(p *decode.Packet, rec *pcapfile.Record, where string) *dissect.Node {
	root := dissect.Packet(p, rec)
	if where != "" {
		root.Label += " of " + where
	}
	return root
}

// setTrees shows the trees of one packet as each capture saw it (a nil
// tree for a capture that did not see it), primary being the one to show
// alone and whose bytes the hex view shows. Unless keep is set, the
// innermost protocol is selected — the last node under the root, as
// Wireshark's eye goes to it — so that its bytes show highlighted at once;
// with keep, the line selected before, found by its keys, stays so.
func (d *detailView) setTrees(trees [2]*dissect.Node, names [2]string, primary flows.Side, keep bool) {
	var path []string
	if keep && d.cur != nil {
		path = d.keyPath(d.cur)
	}
	var t [2]*tnode
	for s, f := range trees {
		if f != nil {
			t[s] = newTnode(f)
		}
	}
	if t[primary] == nil {
		primary = 1 - primary
	}
	if t[primary] == nil {
		d.setEmpty("No packet selected.")
		return
	}
	d.root, d.names, d.primary = pairTrees(t[0], t[1], nil), names, primary
	d.root.open = true
	d.cur = d.root
	if path != nil {
		d.cur = d.find(path)
	} else {
		d.top, d.hoff, d.reveal = 0, 0, true
		if kids := d.visibleKids(d.root); len(kids) > 0 {
			d.cur = kids[len(kids)-1]
		}
	}
	d.a.fieldSelected(d.selectedField())
}

// setPrimary changes the capture shown alone and whose bytes show.
func (d *detailView) setPrimary(s flows.Side) {
	if d.root == nil || d.root.side[s] == nil {
		return
	}
	d.primary = s
	if !d.visible(d.cur) {
		d.cur = d.root
	}
}

// both reports whether the tree has both captures' copies.
func (d *detailView) both() bool {
	return d.root != nil && d.root.side[0] != nil && d.root.side[1] != nil
}

// keyPath is a line's keys from the root, to find it again in a new tree.
func (d *detailView) keyPath(p *pnode) []string {
	var path []string
	for ; p != nil && p.parent != nil; p = p.parent {
		t := p.side[d.primary]
		if t == nil {
			t = p.side[1-d.primary]
		}
		path = append([]string{t.key()}, path...)
	}
	return path
}

// find returns the line at a key path, opening the nodes on the way, or
// the deepest one found.
func (d *detailView) find(path []string) *pnode {
	p := d.root
	for _, k := range path {
		var next *pnode
		for _, c := range d.visibleKids(p) {
			if t := c.node(d.primary); t != nil && t.key() == k {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		p.open = true
		p = next
	}
	return p
}

// selectedField returns the field of the current line in the primary
// capture's tree, or nil.
func (d *detailView) selectedField() *dissect.Node {
	if d.cur == nil {
		return nil
	}
	if t := d.cur.side[d.primary]; t != nil {
		return t.field
	}
	return nil
}

// visible reports whether a line shows in the current mode: every line
// side by side, a line of the primary capture alone.
func (d *detailView) visible(p *pnode) bool {
	return p != nil && (d.paired || p.side[d.primary] != nil)
}

// visibleKids returns a line's children that show.
func (d *detailView) visibleKids(p *pnode) []*pnode {
	var out []*pnode
	for _, c := range p.kids {
		if d.visible(c) {
			out = append(out, c)
		}
	}
	return out
}

// tline is one line as drawn: the node and its tree graphics.
type tline struct {
	p      *pnode
	prefix string
	// cont is the graphics of the rows a wrapped note goes on to.
	cont string
}

// lines flattens the open part of the tree. A node with children shows ▾
// when open and ▸ when closed; a leaf shows the tree's line. Notes are
// sentences: they wrap, and go on under their first word.
func (d *detailView) lines() []tline {
	if d.root == nil {
		return nil
	}
	var out []tline
	var walk func(p *pnode, indent string, last, root bool)
	walk = func(p *pnode, indent string, last, root bool) {
		kids := d.visibleKids(p)
		mark := "─"
		if len(kids) > 0 {
			mark = "▸"
			if p.open {
				mark = "▾"
			}
		}
		prefix, cont := mark+" ", "  "
		if !root {
			branch, down := "├─", "│   "
			if last {
				branch, down = "└─", "    "
			}
			prefix, cont = indent+branch+prefix, indent+down
		}
		out = append(out, tline{p, prefix, cont})
		if !p.open {
			return
		}
		childIndent := indent
		if !root {
			if last {
				childIndent += "   "
			} else {
				childIndent += "│  "
			}
		}
		for i, c := range kids {
			walk(c, childIndent, i == len(kids)-1, false)
		}
	}
	walk(d.root, "", true, true)
	return out
}

// index returns the position of the current line, or 0.
func (d *detailView) index(ls []tline) int {
	for i, l := range ls {
		if l.p == d.cur {
			return i
		}
	}
	return 0
}

// textRows lays out one capture's side of a line in a width: one row, or
// for a note, as many as its words need.
func (d *detailView) textRows(l tline, s flows.Side, width int, selected bool) []line {
	st := d.a.st
	t := l.p.side[s]
	if t == nil {
		return nil
	}
	style := st.normal
	switch {
	case t.note:
		style = st.dim
	case t.field.Tone == dissect.Bad:
		style = st.bad
	case d.paired && l.p.differs:
		style = st.modified
	case t.field.Tone == dissect.Good:
		style = st.good
	}
	if selected {
		style = st.selected
	}
	prefixW := len([]rune(l.prefix))
	if !t.note || width-prefixW < 20 {
		return []line{line(nil).add(l.prefix, st.dim).add(t.text, style)}
	}
	var rows []line
	for i, part := range wrapWords(t.text, width-prefixW) {
		graphics := l.cont
		if i == 0 {
			graphics = l.prefix
		}
		rows = append(rows, line(nil).add(graphics, st.dim).add(part, style))
	}
	return rows
}

// textLine is a line's first row, for tests.
func (d *detailView) textLine(l tline, s flows.Side, selected bool) line {
	if rows := d.textRows(l, s, 1<<16, selected); len(rows) > 0 {
		return rows[0]
	}
	return nil
}

// Draw draws the tree, or the two trees side by side.
func (d *detailView) Draw(screen tcell.Screen) {
	d.DrawForSubclass(screen, d)
	x, y, w, h := d.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	st := d.a.st
	d.innerW = w
	d.paired = d.both() && w >= sideBySideWidth
	if !d.visible(d.cur) {
		d.cur = d.root
	}
	if d.root == nil {
		for i, l := range wrapWords(d.msg, w) {
			if i < h {
				line(nil).add(l, st.dim).draw(screen, x, y+i, w, 0, st.normal)
			}
		}
		return
	}
	ls := d.lines()
	d.shown = h
	half := w
	if d.paired {
		half = (w - 1) / 2
	}
	// Each line's rows: one, or a wrapped note's.
	rows := make([][2][]line, len(ls))
	heights := make([]int, len(ls))
	d.lineWidth = 0
	for i, l := range ls {
		sel := l.p == d.cur
		if d.paired {
			rows[i][0] = d.textRows(l, flows.SideInside, half, sel)
			rows[i][1] = d.textRows(l, flows.SideOutside, w-half-1, sel)
		} else {
			rows[i][0] = d.textRows(l, d.primary, w, sel)
		}
		heights[i] = max(1, len(rows[i][0]), len(rows[i][1]))
		for _, side := range rows[i] {
			if len(side) == 1 {
				d.lineWidth = max(d.lineWidth, side[0].width())
			}
		}
	}
	d.top = d.scrollTop(ls, heights, h)
	d.hoff = max(0, min(d.hoff, d.lineWidth-half))
	d.rowLines = d.rowLines[:0]
	for i, row := d.top, 0; i < len(ls) && row < h; i++ {
		l := ls[i]
		for r := 0; r < heights[i] && row < h; r, row = r+1, row+1 {
			d.rowLines = append(d.rowLines, l.p)
			if !d.paired {
				rowOf(rows[i][0], r).draw(screen, x, y+row, w, d.hoff, st.normal)
				continue
			}
			rowOf(rows[i][0], r).draw(screen, x, y+row, half, d.hoff, st.normal)
			mark, style := ' ', st.normal
			switch {
			case r > 0:
			case l.p.differs:
				mark, style = '≠', st.modified.Bold(true)
			case l.p.below && !l.p.open:
				mark, style = '≠', st.dim
			}
			screen.SetContent(x+half, y+row, mark, nil, style)
			rowOf(rows[i][1], r).draw(screen, x+half+1, y+row, w-half-1, d.hoff, st.normal)
		}
	}
}

// rowOf returns a line's row r, or an empty row.
func rowOf(rows []line, r int) line {
	if r < len(rows) {
		return rows[r]
	}
	return nil
}

// scrollTop returns the first line to draw so that the current line shows
// in h rows, given each line's height: after a new tree, the current node
// with as much as fits of what is under it and then above it.
func (d *detailView) scrollTop(ls []tline, heights []int, h int) int {
	cur := d.index(ls)
	sum := func(from, to int) int { // rows of lines [from, to)
		n := 0
		for i := from; i < to; i++ {
			n += heights[i]
		}
		return n
	}
	top := d.top
	if d.reveal {
		d.reveal = false
		end := cur + 1
		for end < len(ls) && d.under(ls[end].p, d.cur) {
			end++
		}
		top = cur
		for top > 0 && sum(top-1, end) <= h {
			top--
		}
	}
	top = max(0, min(top, len(ls)-1))
	if cur < top {
		top = cur
	}
	for top < cur && sum(top, cur+1) > h {
		top++
	}
	// No empty rows at the bottom while there are lines above.
	for top > 0 && sum(top-1, len(ls)) <= h {
		top--
	}
	return top
}

// under reports whether p is below q in the tree.
func (d *detailView) under(p, q *pnode) bool {
	for p = p.parent; p != nil; p = p.parent {
		if p == q {
			return true
		}
	}
	return false
}

// move moves the current line by n lines.
func (d *detailView) move(n int) {
	ls := d.lines()
	if len(ls) == 0 {
		return
	}
	i := max(0, min(d.index(ls)+n, len(ls)-1))
	d.cur = ls[i].p
	d.a.fieldSelected(d.selectedField())
}

// scrollX scrolls sideways by cells.
func (d *detailView) scrollX(cells int) {
	d.hoff = max(0, d.hoff+cells)
}

// Do handles the keymap's actions: left closes a node (or goes to its
// parent), right opens it (or goes to its first child), Enter toggles;
// H and L scroll sideways.
func (d *detailView) Do(act action) bool {
	if d.root == nil {
		return false
	}
	p := d.cur
	page := max(1, d.shown-1)
	switch act {
	case actEnter:
		if len(d.visibleKids(p)) > 0 {
			p.open = !p.open
		}
	case actLeft:
		switch {
		case p.open && len(d.visibleKids(p)) > 0 && p != d.root:
			p.open = false
		case p.parent != nil:
			d.cur = p.parent
			d.a.fieldSelected(d.selectedField())
		}
	case actRight:
		if !p.open && len(d.visibleKids(p)) > 0 {
			p.open = true
			return true
		}
		d.move(1)
	case actUp:
		d.move(-1)
	case actDown:
		d.move(1)
	case actPageUp:
		d.move(-page)
	case actPageDown:
		d.move(page)
	case actTop:
		d.move(-len(d.lines()))
	case actBottom:
		d.move(len(d.lines()))
	case actScrollLeft:
		d.scrollX(-max(scrollStep, d.innerW/2))
	case actScrollRight:
		d.scrollX(max(scrollStep, d.innerW/2))
	default:
		return false
	}
	return true
}

// MouseHandler selects the line clicked on (a click on a selected node
// opens or closes it) and scrolls with the wheel.
func (d *detailView) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return d.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if !d.InRect(event.Position()) {
			return false, nil
		}
		switch action {
		case tview.MouseLeftDown:
			setFocus(d)
		case tview.MouseLeftClick:
			setFocus(d)
			_, y, _, _ := d.GetInnerRect()
			_, my := event.Position()
			if my >= y && my-y < len(d.rowLines) {
				if p := d.rowLines[my-y]; p == d.cur {
					d.Do(actEnter)
				} else {
					d.cur = p
					d.a.fieldSelected(d.selectedField())
				}
			}
		case tview.MouseScrollUp:
			d.move(-1)
		case tview.MouseScrollDown:
			d.move(1)
		default:
			return false, nil
		}
		return true, nil
	})
}
