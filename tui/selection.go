package tui

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/vpnpcap/vpnpcap/decode"
	pcapfile "github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/decode/dissect"
	"github.com/vpnpcap/vpnpcap/flows"
)

// selectedPacket is the packet selected in the packet list, as the
// decode tree and the bytes show it.
type selectedPacket struct {
	// shown are its copies, by capture (nil for a capture that did not
	// see it); otherSide is set by o, which shows the outside copy rather
	// than the inside one.
	shown     [2]*decode.Packet
	otherSide bool
	// frameCancel stops the reading of its bytes in progress.
	frameCancel context.CancelFunc
}

// notComparedHint explains n/c when such a packet is selected.
const notComparedHint = "n/c: not compared — this packet was captured while the other capture was not running"

// packetSelected shows the selected packet in the decode tree and the hex
// view: both captures' copies of it when both saw it, the inside's first
// unless o asked for the outside's. Bytes not cached are read in the
// background.
func (a *App) packetSelected() {
	if a.selected.frameCancel != nil {
		a.selected.frameCancel()
		a.selected.frameCancel = nil
	}
	r, ok := a.packets.selectedRow()
	if !ok || a.load == nil {
		a.selected.shown = [2]*decode.Packet{}
		a.detail.setEmpty("No packet selected.")
		a.hex.setData(nil, "No packet selected.", "")
		return
	}
	switch {
	case r.fate == fateNotCompared:
		a.setMessage(notComparedHint)
	case a.message == notComparedHint:
		a.setMessage("")
	}
	ld := a.load
	for s := range flows.Side(2) {
		a.selected.shown[s] = ld.packet(r, s)
	}
	_, primary := ld.first(r)
	if a.selected.otherSide && a.selected.shown[1-primary] != nil {
		primary = 1 - primary
	}
	a.showPackets(ld, primary, false)
	var missing []flows.Side
	for s, p := range a.selected.shown {
		if p == nil || int(s) >= len(a.model.sides) {
			continue
		}
		if _, ok := ld.frames[s][p.Frame]; ok {
			continue
		}
		if c := a.model.sides[s].src; c != nil && c.isFile() {
			missing = append(missing, flows.Side(s))
		}
	}
	if len(missing) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.selected.frameCancel = cancel
	pkts := a.selected.shown
	m := a.model
	a.goWorkCtx(ctx, func(ctx context.Context) func() {
		var recs [2]pcapfile.Record
		var errs [2]error
		for _, s := range missing {
			recs[s], errs[s] = m.sides[s].src.readFrame(ctx, pkts[s].Frame)
		}
		return func() {
			if ctx.Err() != nil {
				return
			}
			a.selected.frameCancel = nil
			cancel()
			for _, s := range missing {
				if errs[s] == nil && ld.frames[s] != nil {
					ld.frames[s][pkts[s].Frame] = recs[s]
				}
			}
			a.showPackets(ld, a.detail.primary, true)
			if err := errs[a.detail.primary]; err != nil {
				a.hex.setData(nil, err.Error(), "")
			}
		}
	})
}

// showPackets shows the selected packet's copies in the decode tree, and
// the primary capture's bytes; keep keeps the tree's current line.
func (a *App) showPackets(ld *packetLoad, primary flows.Side, keep bool) {
	var trees [2]*dissect.Node
	var names [2]string
	for s, p := range a.selected.shown {
		if p == nil {
			continue
		}
		where := ""
		if s < len(a.model.sides) {
			where = a.model.sides[s].analysis.Capture.Path
		}
		names[s] = "frame " + strconv.Itoa(p.Frame) + " of " + shortPath(where)
		var rp *pcapfile.Record
		if rec, ok := ld.frames[s][p.Frame]; ok {
			rp = &rec
		}
		trees[s] = decodeTree(p, rp, where)
	}
	if a.selected.shown[primary] == nil {
		primary = 1 - primary
	}
	a.showBytes(ld, primary, names[primary])
	a.detail.setTrees(trees, names, primary, keep)
}

// showBytes shows the bytes of one capture's copy of the selected packet.
func (a *App) showBytes(ld *packetLoad, s flows.Side, name string) {
	p := a.selected.shown[s]
	if p == nil {
		a.hex.setData(nil, "No packet selected.", "")
		return
	}
	if rec, ok := ld.frames[s][p.Frame]; ok {
		a.hex.setData(rec.Data, "", name)
		return
	}
	if c := a.model.sides[s].src; c == nil || !c.isFile() {
		a.hex.setData(nil, "No bytes: the capture was given as decoded packets.", "")
		return
	}
	a.hex.setData(nil, "Reading frame "+strconv.Itoa(p.Frame)+"…", "")
}

// switchSide shows the other capture's copy of the selected packet: in the
// decode tree when it shows one copy, in the bytes when it shows both side
// by side. The status line names the copy shown.
func (a *App) switchSide() {
	if a.load == nil || a.selected.shown[0] == nil && a.selected.shown[1] == nil {
		a.setError("select a packet first")
		return
	}
	if a.selected.shown[0] == nil || a.selected.shown[1] == nil {
		a.setMessage("the " + a.detail.primary.String() + " capture alone saw this packet: there is no other copy")
		return
	}
	a.selected.otherSide = !a.selected.otherSide
	s := 1 - a.detail.primary
	a.detail.setPrimary(s)
	name := a.detail.names[s]
	a.showBytes(a.load, s, name)
	a.fieldSelected(a.detail.selectedField())
	if a.detail.paired {
		a.setMessage("bytes of the " + s.String() + " copy: " + name + " (the tree shows both; ≠ marks what differs)")
		return
	}
	a.setMessage("decode of the " + s.String() + " copy: " + name)
}

// fieldSelected highlights a decode tree field's bytes.
func (a *App) fieldSelected(f *dissect.Node) {
	if f == nil || !f.HasBytes() {
		a.hex.setMark(0, 0)
		return
	}
	a.hex.setMark(f.Start, f.End)
}

// evidenceOf returns the findings (indexes into the model's) that give a
// row's packets as evidence.
func (a *App) evidenceOf(ld *packetLoad, r pktRow) []int {
	if a.model == nil || ld == nil {
		return nil
	}
	var out []int
	for s := range flows.Side(2) {
		if p := ld.packet(r, s); p != nil {
			for _, i := range a.model.evidenceOf(s, p) {
				if !slices.Contains(out, i) {
					out = append(out, i)
				}
			}
		}
	}
	return out
}

// nextEvidence selects the next (step 1) or previous (step -1) packet a
// finding gives as evidence, and names the findings.
func (a *App) nextEvidence(step int) {
	l := a.packets
	if l.load == nil {
		a.setError("select a tunnel, a PPTP call or a flow first")
		return
	}
	if !l.next(step, func(r pktRow) bool { return len(a.evidenceOf(l.load, r)) > 0 }) {
		way := "after"
		if step < 0 {
			way = "before"
		}
		a.setMessage("no evidence " + way + " this packet among the packets of " + l.load.subj.name())
		return
	}
	r, _ := l.selectedRow()
	var ids []string
	for _, i := range a.evidenceOf(l.load, r) {
		if id := a.model.findings[i].RuleID; !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	p, s := l.load.first(r)
	a.setMessage("frame " + strconv.Itoa(p.Frame) + " of " + a.sideName(s) + ": evidence of " + strings.Join(ids, ", "))
}
