package tui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/decode"
	pcapfile "github.com/vpnpcap/vpnpcap/decode/capture"
	"github.com/vpnpcap/vpnpcap/decode/dissect"
	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/ladder"
	"github.com/vpnpcap/vpnpcap/rules"
)

// Capture names one capture to browse.
type Capture struct {
	// Path is the capture file, or the name of the capture when Source is
	// set.
	Path string
	// Source, when set, gives the capture's packets instead of the file
	// at Path (for tests, and for tools that decode themselves). Such a
	// capture has no bytes: the hex view stays empty and `w` cannot write
	// it.
	Source *flows.Source
}

// Config says what the UI analyses and how.
type Config struct {
	// Captures holds one capture, or two taken on both sides of a NAT.
	// With RolesGiven the first is the inside one; otherwise the
	// correlation decides.
	Captures   []Capture
	RolesGiven bool
	Decode     decode.Options
	Flows      flows.Options
	// Window is the correlation's matching window (flows.DefaultWindow
	// when zero).
	Window time.Duration
	// Rules configures the rules; nil means rules.DefaultConfig().
	Rules *rules.Config
	// Mono draws without colour (NO_COLOR): attributes only.
	Mono bool
	// OutDir is the directory the export dialog (w) proposes; "" means
	// the working directory.
	OutDir string
}

// App is the terminal UI: it owns the tview application, the views, the
// model once the analysis has built it, and the background work. All its
// fields are touched on the UI goroutine only, except the ones documented
// as atomic or guarded.
type App struct {
	cfg  Config
	caps []*capture
	st   *styles
	keys []binding
	tv   *tview.Application

	ctx    context.Context
	cancel context.CancelFunc

	// check runs the rules; nil (rules.Run, in the pipeline) unless a test replaces it.
	check func(*rules.Context) []rules.Finding

	model *model
	// analysisErr is set when the analysis could not run at all.
	analysisErr error

	pages    *tview.Pages
	root     *layout
	titleBar *lineView
	tunnels  *tunnelList
	findings *findingsView
	packets  *packetList
	detail   *detailView
	hex      *hexView
	ladder   *ladderView
	verdict  *lineView
	status   *lineView
	filter   *filterBar
	search   *searchBar
	export   *exportDialog
	help     helpOverlay
	// titles are the panes' title lines, drawn instead of their frames
	// on a low screen.
	titles map[View]*paneTitle
	// band2 is the pane the packets' band shows: the packets or the
	// ladder, whichever was used last; band3 the pane the narrow layout
	// shows in its bottom band: the decode tree or the bytes, whichever
	// was used last.
	band2, band3 View
	// zoomed shows the pane with the focus alone (+).
	zoomed bool
	// history holds the places Esc and Backspace go back to, the last
	// one last.
	history []navState

	// current is the subject of the packet list; load the packets shown
	// (with the frames' bytes); loadCancel stops the load in progress and
	// loadFrames counts the frames it has read.
	current    subject
	load       *packetLoad
	loadCancel context.CancelFunc
	loadFrames *atomic.Int64
	// pending is the frame to select once the packets it belongs to are
	// listed.
	pending *pendingFrame
	// shown are the selected packet's copies, by capture (nil for a
	// capture that did not see it); otherSide is set by o, which shows
	// the outside copy rather than the inside one.
	shown       [2]*decode.Packet
	otherSide   bool
	frameCancel context.CancelFunc
	message     string
	messageBad  bool

	// running counts background jobs, for the progress ticker; busy
	// counts jobs whose result the UI goroutine has not applied yet
	// (tests wait for it to reach zero).
	running atomic.Int32
	busy    int
	// keys handled, for tests that wait for the UI to catch up.
	handled atomic.Int64

	mu       sync.Mutex
	panicked *workerPanic
}

// pendingFrame is a frame to select when the packets are listed, and what
// to say then: why it was selected (say, "evidence of VP201"), and the
// subject's name for when it is not among them.
type pendingFrame struct {
	side  flows.Side
	frame int
	why   string
}

// New returns the UI for the captures. It does not touch the terminal
// until Run.
func New(cfg Config) (*App, error) {
	if len(cfg.Captures) == 0 || len(cfg.Captures) > 2 {
		return nil, fmt.Errorf("tui: want one or two captures, got %d", len(cfg.Captures))
	}
	if cfg.Window <= 0 {
		cfg.Window = flows.DefaultWindow
	}
	if cfg.Rules == nil {
		cfg.Rules = rules.DefaultConfig()
	}
	a := &App{cfg: cfg, st: newStyles(cfg.Mono), keys: defaultKeymap(), tv: tview.NewApplication()}
	for _, c := range cfg.Captures {
		a.caps = append(a.caps, &capture{path: c.Path, src: c.Source})
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.build()
	return a, nil
}

// SetScreen makes the UI draw on a screen of the caller's (a simulation
// screen in tests) instead of the terminal.
func (a *App) SetScreen(s tcell.Screen) { a.tv.SetScreen(s) }

// Run shows the UI until the user quits or ctx is done. The first screen
// appears at once; the analysis runs in the background and the views fill
// in when it is done. The terminal is restored on every way out, a panic
// included: a panic on the UI goroutine or in background work stops the
// UI first and is then raised again on the caller's goroutine.
func (a *App) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { a.quit() })
	defer stop()
	defer a.cancel()
	defer func() {
		if p := recover(); p != nil {
			a.tv.Stop()
			panic(p)
		}
	}()
	go a.ticker()
	a.startAnalysis()
	err := a.tv.Run()
	a.cancel()
	a.mu.Lock()
	p := a.panicked
	a.mu.Unlock()
	if p != nil {
		panic(p)
	}
	return err
}

// ReadErrors returns, once Run has returned, the faults of the captures
// the analysis could not read, or not to their end, so that the caller can
// say so and exit accordingly; nil when every capture was read whole, or
// when the analysis had not finished.
func (a *App) ReadErrors() []error {
	if a.analysisErr != nil {
		return []error{a.analysisErr}
	}
	if a.model == nil {
		return nil
	}
	var errs []error
	for _, sd := range a.model.sides {
		if err := sd.analysis.Capture.ReadError; err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// build makes the widgets and wires the keys.
func (a *App) build() {
	a.titleBar = newLineView(a.st.title)
	a.tunnels = newTunnelList(a)
	a.findings = newFindingsView(a)
	a.packets = newPacketList(a)
	a.detail = newDetailView(a)
	a.hex = newHexView(a)
	a.ladder = newLadderView(a)
	a.verdict = newLineView(a.st.normal)
	a.status = newLineView(a.st.normal)
	a.status.right = "? help  / filter  Esc back  q quit"
	a.status.rightStyle = a.st.key
	a.filter = newFilterBar(a)
	a.search = newSearchBar(a)
	a.export = newExportDialog(a)
	a.band2, a.band3 = a.packets, a.detail
	a.root = &layout{Box: tview.NewBox(), a: a}
	a.titles = map[View]*paneTitle{}
	for _, v := range a.panes() {
		a.titles[v] = &paneTitle{Box: tview.NewBox(), a: a, v: v}
	}

	a.help.text = a.newHelpView()

	a.pages = tview.NewPages()
	a.pages.SetBackgroundColor(tcell.ColorDefault)
	a.pages.AddPage("main", a.root, true, true)
	a.pages.AddPage("help", &overlay{Box: tview.NewBox(), p: a.help.text, w: 100, h: strings.Count(a.help.text.GetText(false), "\n") + 3}, true, false)
	a.pages.AddPage("export", &overlay{Box: tview.NewBox(), p: a.export, w: 90, h: 9}, true, false)

	a.tv.SetRoot(a.pages, true)
	a.tv.SetFocus(a.tunnels)
	a.tv.EnableMouse(true)
	a.tv.SetInputCapture(a.capture)
	a.updateTitle()
	a.updateVerdict()
	a.updateStatus()
}

// panes lists the panes in Tab order.
func (a *App) panes() []View {
	return []View{a.tunnels, a.findings, a.packets, a.detail, a.hex, a.ladder}
}

// focused returns the pane with the focus, or the last one that had it.
func (a *App) focused() View {
	for _, p := range a.panes() {
		if p.HasFocus() {
			return p
		}
	}
	return nil
}

// focusPane gives a pane the focus and shows it in its band.
func (a *App) focusPane(v View) {
	if v == nil {
		v = a.tunnels
	}
	switch v {
	case View(a.packets), View(a.ladder):
		a.band2 = v
	case View(a.detail), View(a.hex):
		a.band3 = v
	}
	a.tv.SetFocus(v)
}

// capture is the input capture: every key goes through the keymap, except
// what is typed into a bar or the export dialog.
func (a *App) capture(ev *tcell.EventKey) *tcell.EventKey {
	defer a.handled.Add(1)
	if ev.Key() == tcell.KeyCtrlC {
		a.quit()
		return nil
	}
	if a.export.open {
		return a.export.key(ev)
	}
	for _, bar := range []struct {
		focused bool
		close   func(apply bool)
	}{{a.filter.HasFocus(), a.filter.close}, {a.search.HasFocus(), a.search.close}} {
		if !bar.focused {
			continue
		}
		switch ev.Key() {
		case tcell.KeyEscape:
			bar.close(false)
			return nil
		case tcell.KeyEnter:
			bar.close(true)
			return nil
		}
		return ev
	}
	act := lookup(a.keys, ev)
	if a.help.on {
		switch act {
		case actHelp, actEscape, actBack, actQuit:
			a.toggleHelp()
		default:
			forward(a.help.text, act)
		}
		return nil
	}
	a.do(act)
	return nil
}

// do performs an action.
func (a *App) do(act action) {
	switch act {
	case actNone:
	case actQuit:
		a.quit()
	case actHelp:
		a.toggleHelp()
	case actFilter:
		if a.focused() == View(a.packets) {
			a.search.open()
		} else {
			a.filter.open()
		}
	case actSearch:
		a.focusPane(a.packets)
		a.search.open()
	case actEscape:
		switch {
		case a.back():
		case a.filter.applied():
			a.filter.clear()
			a.setMessage("filter cleared")
		case a.packets.search != nil:
			a.packets.setSearch(nil)
		default:
			a.setMessage("nothing to go back to")
		}
	case actBack:
		if !a.back() {
			a.setMessage("nothing to go back to")
		}
	case actNextPane, actPrevPane:
		ps := a.panes()
		i := 0
		for j, p := range ps {
			if p == a.focused() {
				i = j
			}
		}
		step := 1
		if act == actPrevPane {
			step = len(ps) - 1
		}
		a.focusPane(ps[(i+step)%len(ps)])
	case actPaneTunnels:
		a.focusPane(a.tunnels)
	case actPaneFindings:
		a.focusPane(a.findings)
	case actPanePackets:
		a.focusPane(a.packets)
	case actPaneDetail:
		a.focusPane(a.detail)
	case actPaneHex:
		a.focusPane(a.hex)
	case actPaneLadder:
		a.focusPane(a.ladder)
	case actZoom:
		a.zoomed = !a.zoomed
		if a.zoomed {
			a.setMessage(a.focused().Title() + " zoomed: + restores the panes")
		} else {
			a.setMessage("")
		}
	case actSort, actReverse:
		a.tunnels.Do(act)
	case actNextMatch, actPrevMatch:
		if a.focused() == View(a.ladder) {
			a.ladder.Do(act)
		} else {
			a.packets.Do(act)
		}
	case actNextEvidence, actPrevEvidence:
		step := 1
		if act == actPrevEvidence {
			step = -1
		}
		a.nextEvidence(step)
	case actTextDown, actTextUp:
		a.findings.Do(act)
	case actOtherSide:
		a.switchSide()
	case actWrite:
		a.openExport()
	default:
		if f := a.focused(); f != nil {
			f.Do(act)
		}
	}
	a.updateStatus()
}

// quit ends the UI and the background work.
func (a *App) quit() {
	a.cancel()
	a.tv.Stop()
}

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
	dopts, window := a.cfg.Decode, a.cfg.Window
	a.goWorkCtx(ctx, func(ctx context.Context) func() {
		ld, err := loadPackets(ctx, m, s, dopts, window, counter)
		if ls, ok := s.ladderSubject(); ok && err == nil {
			ld.ladder = ladder.Build(m.rc, ls, ld.lists, window)
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

// notComparedHint explains n/c when such a packet is selected.
const notComparedHint = "n/c: not compared — this packet was captured while the other capture was not running"

// packetSelected shows the selected packet in the decode tree and the hex
// view: both captures' copies of it when both saw it, the inside's first
// unless o asked for the outside's. Bytes not cached are read in the
// background.
func (a *App) packetSelected() {
	if a.frameCancel != nil {
		a.frameCancel()
		a.frameCancel = nil
	}
	r, ok := a.packets.selectedRow()
	if !ok || a.load == nil {
		a.shown = [2]*decode.Packet{}
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
		a.shown[s] = ld.packet(r, s)
	}
	_, primary := ld.first(r)
	if a.otherSide && a.shown[1-primary] != nil {
		primary = 1 - primary
	}
	a.showPackets(ld, primary, false)
	var missing []flows.Side
	for s, p := range a.shown {
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
	a.frameCancel = cancel
	pkts := a.shown
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
			a.frameCancel = nil
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
	for s, p := range a.shown {
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
	if a.shown[primary] == nil {
		primary = 1 - primary
	}
	a.showBytes(ld, primary, names[primary])
	a.detail.setTrees(trees, names, primary, keep)
}

// showBytes shows the bytes of one capture's copy of the selected packet.
func (a *App) showBytes(ld *packetLoad, s flows.Side, name string) {
	p := a.shown[s]
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
	if a.load == nil || a.shown[0] == nil && a.shown[1] == nil {
		a.setError("select a packet first")
		return
	}
	if a.shown[0] == nil || a.shown[1] == nil {
		a.setMessage("the " + a.detail.primary.String() + " capture alone saw this packet: there is no other copy")
		return
	}
	a.otherSide = !a.otherSide
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
