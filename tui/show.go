package tui

import (
	"context"
	"strconv"
	"sync/atomic"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// rowSelected follows the selection of the tunnels-and-flows pane: it
// lists the packets of the selected tunnel, PPTP call or flow.
func (a *App) rowSelected(r *row) {
	if a.model == nil {
		return
	}
	var s subject
	if r != nil {
		switch r.kind {
		case rowTunnel:
			s = subject{view: r.view}
		case rowSession:
			s = subject{call: r.call}
		case rowFlow:
			s = subject{flow: r.flow, side: r.side, number: r.number}
		}
	}
	a.show(s)
}

// show lists the packets of a subject, reading the captures again in the
// background; a load still running for another subject is cancelled.
func (a *App) show(s subject) {
	if s.same(a.current) && (a.load != nil || a.loadCancel != nil) {
		return
	}
	a.current = s
	a.updateVerdict()
	if a.loadCancel != nil {
		a.loadCancel()
		a.loadCancel = nil
	}
	a.ladder.setLadder(nil)
	if !s.valid() {
		a.load = nil
		a.packets.setLoad(&packetLoad{})
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.loadCancel = cancel
	counter := new(atomic.Int64)
	a.loadFrames = counter
	a.packets.setLoading("reading…")
	m := a.model
	dopts := a.cfg.Decode
	a.goWorkCtx(ctx, func(ctx context.Context) func() {
		ld, err := loadPackets(ctx, m, s, dopts, counter)
		if ls, ok := s.ladderSubject(); ok && err == nil {
			ld.ladder = ladder.Build(m.rc, ls, ld.lists)
		}
		return func() {
			if ctx.Err() != nil || !s.same(a.current) {
				return // superseded
			}
			a.loadCancel = nil
			cancel()
			if err != nil {
				a.packets.setLoading("")
				a.setError("reading packets: " + err.Error())
				return
			}
			a.load = ld
			a.packets.setLoad(ld)
			a.ladder.setLadder(ld.ladder)
			if ld.readErr != nil {
				a.setError(ld.readErr.Error())
			}
			if pf := a.pending; pf != nil {
				a.pending = nil
				a.selectPending(pf, s.name())
			}
		}
	})
}

// pendingFrame is a frame to select when the packets are listed, and what
// to say then: why it was selected (say, "evidence of VP201"), and the
// subject's name for when it is not among them.
type pendingFrame struct {
	side  flows.Side
	frame int
	why   string
}

// selectPending selects a pending frame among the packets listed, and
// says why, or that the subject (named name) has no such frame.
func (a *App) selectPending(pf *pendingFrame, name string) {
	where := "frame " + strconv.Itoa(pf.frame) + " of " + a.sideName(pf.side)
	switch {
	case !a.packets.selectFrame(pf.side, pf.frame):
		a.setError(where + " is not among the packets of " + name)
	case pf.why != "":
		a.setMessage(where + ", " + pf.why)
	}
}

// jumpTo shows a finding's evidence: its tunnel's or PPTP call's packets
// with the first evidence frame selected, or the evidence frames alone for
// a finding about neither. Esc comes back to the finding.
func (a *App) jumpTo(f *rules.Finding) {
	if a.model == nil {
		return
	}
	a.push()
	var pf *pendingFrame
	if len(f.Evidence) > 0 {
		e := f.Evidence[0]
		pf = &pendingFrame{side: e.Side, frame: e.Frame, why: "evidence of " + f.RuleID}
	}
	// The row to select: the finding's tunnel, else its PPTP call.
	var selectRow func() bool
	var name string
	var shown func() bool
	switch {
	case f.Tunnel > 0 && a.model.viewByID(f.Tunnel) != nil:
		selectRow = func() bool { return a.tunnels.selectTunnel(f.Tunnel) }
		name = "tunnel " + strconv.Itoa(f.Tunnel)
		shown = func() bool { return a.current.view != nil && a.current.view.ID == f.Tunnel }
	case f.Session > 0 && a.model.sessionByID(f.Session) != nil:
		selectRow = func() bool { return a.tunnels.selectSession(f.Session) }
		name = "PPTP call " + strconv.Itoa(f.Session)
		shown = func() bool { return a.current.call != nil && a.current.call.ID == f.Session }
	}
	if selectRow != nil {
		if !selectRow() {
			a.filter.clear()
			selectRow()
			a.setMessage("filter cleared to show " + name)
		}
		a.focusPane(a.packets)
		if pf == nil {
			return
		}
		if a.load != nil && shown() && a.loadCancel == nil {
			a.selectPending(pf, name)
			return
		}
		a.pending = pf
		return
	}
	if pf == nil {
		a.setError("the finding names no packet")
		return
	}
	a.pending = pf
	a.focusPane(a.packets)
	a.show(subject{evidence: f.Evidence})
}

// sideName names a capture for messages.
func (a *App) sideName(s flows.Side) string {
	if a.model != nil && int(s) < len(a.model.sides) {
		if a.model.two() {
			return s.String() + " capture"
		}
		return a.model.sides[s].analysis.Capture.Path
	}
	return s.String()
}
