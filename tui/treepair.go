package tui

import (
	"strings"

	"github.com/vpnpcap/vpnpcap/decode/dissect"
	"github.com/vpnpcap/vpnpcap/flows"
)

// tnode is one line of one capture's tree: a field, or a note that
// explains a field (and highlights the field's bytes).
type tnode struct {
	field *dissect.Node
	text  string
	note  bool
	kids  []*tnode
}

// pnode is one line of the pane: the inside's and the outside's node of
// it (either may be missing), whether it is open, and whether the two
// differ.
type pnode struct {
	side    [2]*tnode
	kids    []*pnode
	parent  *pnode
	open    bool
	differs bool // the texts differ, or one capture has no such line
	below   bool // a line below it differs
}

// newTnode converts a field, its notes and its children: the notes come
// first, as dim lines under the field.
func newTnode(f *dissect.Node) *tnode {
	t := &tnode{field: f, text: f.Text()}
	for _, s := range f.Notes {
		t.kids = append(t.kids, &tnode{field: f, text: s, note: true})
	}
	for _, c := range f.Children {
		t.kids = append(t.kids, newTnode(c))
	}
	return t
}

// key is what lines up the two captures' lines: a field's label up to its
// first comma (the addresses and ports after it are what a NAT changes),
// or "note".
func (t *tnode) key() string {
	if t.note {
		return "note"
	}
	k, _, _ := strings.Cut(t.field.Label, ", ")
	return k
}

// node returns a line's node of one capture, or of the other when that
// one has none.
func (p *pnode) node(s flows.Side) *tnode {
	if t := p.side[s]; t != nil {
		return t
	}
	return p.side[1-s]
}

// pairTrees lines up two trees (either may be nil): lines with the same
// key are paired, in order (the longest common sequence); between those,
// what is left on both sides is paired in order, and the rest stands
// alone.
func pairTrees(in, out *tnode, parent *pnode) *pnode {
	p := &pnode{side: [2]*tnode{in, out}, parent: parent}
	var lk, rk []*tnode
	if in != nil {
		lk = in.kids
		p.open = in.field.Open && !in.note
	}
	if out != nil {
		rk = out.kids
		p.open = p.open || out.field.Open && !out.note
	}
	p.differs = in == nil || out == nil || in.text != out.text
	for _, pr := range alignKids(lk, rk) {
		k := pairTrees(pr[0], pr[1], p)
		p.kids = append(p.kids, k)
		p.below = p.below || k.differs || k.below
	}
	return p
}

// maxAlignCells bounds the work of lining up two lists of children; past
// it they are paired in order.
const maxAlignCells = 1 << 20

// alignKids pairs two lists of children (see pairTrees).
func alignKids(l, r []*tnode) [][2]*tnode {
	var out [][2]*tnode
	gap := func(ls, rs []*tnode) {
		for i := range max(len(ls), len(rs)) {
			var pr [2]*tnode
			if i < len(ls) {
				pr[0] = ls[i]
			}
			if i < len(rs) {
				pr[1] = rs[i]
			}
			out = append(out, pr)
		}
	}
	if len(l) == 0 || len(r) == 0 || len(l)*len(r) > maxAlignCells {
		gap(l, r)
		return out
	}
	// lcs[i][j] is the longest common sequence of l[i:] and r[j:].
	lcs := make([][]int, len(l)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(r)+1)
	}
	for i := len(l) - 1; i >= 0; i-- {
		for j := len(r) - 1; j >= 0; j-- {
			if l[i].key() == r[j].key() {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j, li, rj := 0, 0, 0, 0
	for i < len(l) && j < len(r) {
		switch {
		case l[i].key() == r[j].key():
			gap(l[li:i], r[rj:j])
			out = append(out, [2]*tnode{l[i], r[j]})
			i, j = i+1, j+1
			li, rj = i, j
		case lcs[i+1][j] >= lcs[i][j+1]:
			i++
		default:
			j++
		}
	}
	gap(l[li:], r[rj:])
	return out
}
