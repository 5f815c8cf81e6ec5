package tui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/decode/dissect"
)

// detailView is the decode tree of the selected packet, as package
// dissect lays it out: link, IP and transport headers, then the IKE header
// and every payload (proposals, transforms and attributes, KE, nonce,
// identities, notifies by name, NAT-D with its verification, named vendor
// IDs, SK/SKF and what keys decrypted), ESP, AH, GRE, PPTP or an ICMP error
// with the packet it quotes. Nodes open and close; moving onto a node
// highlights its bytes in the hex view.
type detailView struct {
	*tview.TreeView
	a *App
}

var _ View = (*detailView)(nil)

// newDetailView builds the pane.
func newDetailView(a *App) *detailView {
	d := &detailView{TreeView: tview.NewTreeView(), a: a}
	a.st.box(d.Box, d.Title())
	fg, _, _ := a.st.normal.Decompose()
	d.SetGraphicsColor(fg)
	d.SetChangedFunc(func(n *tview.TreeNode) { a.fieldSelected(fieldOf(n)) })
	d.SetSelectedFunc(func(n *tview.TreeNode) { n.SetExpanded(!n.IsExpanded()) })
	d.setEmpty("No packet selected.")
	return d
}

// Title names the pane.
func (d *detailView) Title() string { return "Decode" }

// setEmpty shows a message instead of a tree.
func (d *detailView) setEmpty(msg string) {
	root := tview.NewTreeNode(tview.Escape(msg)).SetTextStyle(d.a.st.dim).SetSelectedTextStyle(d.a.st.dim)
	d.SetRoot(root).SetCurrentNode(root)
}

// decodeTree is the dissection of a packet, whose first line names the
// capture (where) it comes from. rec holds the frame's bytes, or is nil.
func decodeTree(p *decode.Packet, rec *decode.Record, where string) *dissect.Node {
	root := dissect.Packet(p, rec)
	if where != "" {
		root.Label += " of " + where
	}
	return root
}

// setTree shows a decode tree and selects its innermost protocol — the
// last node under the root, as Wireshark's eye goes to it — so that its
// bytes show highlighted at once.
func (d *detailView) setTree(root *dissect.Node) {
	n := d.node(root)
	n.SetExpanded(true)
	cur, f := n, root
	if kids := n.GetChildren(); len(kids) > 0 {
		cur = kids[len(kids)-1]
		f = fieldOf(cur)
	}
	d.SetRoot(n).SetCurrentNode(cur)
	d.a.fieldSelected(f)
}

// node converts a field, its notes and its children to tree nodes. A note
// is a dim line under its field, before the field's children; it refers to
// its field, so that it highlights the field's bytes.
func (d *detailView) node(f *dissect.Node) *tview.TreeNode {
	st := d.a.st
	style := st.normal
	switch f.Tone {
	case dissect.Good:
		style = st.good
	case dissect.Bad:
		style = st.bad
	}
	n := tview.NewTreeNode(tview.Escape(f.Text())).SetReference(f).SetTextStyle(style).SetSelectedTextStyle(st.selected)
	for _, s := range f.Notes {
		n.AddChild(tview.NewTreeNode(tview.Escape(s)).SetReference(f).SetTextStyle(st.dim).SetSelectedTextStyle(st.selected))
	}
	for _, c := range f.Children {
		n.AddChild(d.node(c))
	}
	n.SetExpanded(f.Open)
	return n
}

// fieldOf returns the field behind a tree node.
func fieldOf(n *tview.TreeNode) *dissect.Node {
	if n == nil {
		return nil
	}
	f, _ := n.GetReference().(*dissect.Node)
	return f
}

// selectedField returns the field of the current node.
func (d *detailView) selectedField() *dissect.Node { return fieldOf(d.GetCurrentNode()) }

// Do handles the keymap's actions: left closes a node (or goes to its
// parent), right opens it (or goes to its first child), Enter toggles.
// Up and down move by visible node, as tview's tree does for the arrows.
func (d *detailView) Do(act action) bool {
	n := d.GetCurrentNode()
	switch act {
	case actEnter:
		if n != nil {
			n.SetExpanded(!n.IsExpanded())
		}
		return true
	case actLeft:
		if n != nil && n.IsExpanded() && len(n.GetChildren()) > 0 {
			n.SetExpanded(false)
			return true
		}
		d.key(tcell.KeyRune, 'K')
		return true
	case actRight:
		if n != nil && !n.IsExpanded() && len(n.GetChildren()) > 0 {
			n.SetExpanded(true)
			return true
		}
		// An open node's first child is the next row.
		return forward(d.TreeView, actDown)
	}
	return forward(d.TreeView, act)
}

// key sends a key to the tree's own handler.
func (d *detailView) key(k tcell.Key, r rune) {
	if h := d.InputHandler(); h != nil {
		h(tcell.NewEventKey(k, r, tcell.ModNone), func(tview.Primitive) {})
	}
}
