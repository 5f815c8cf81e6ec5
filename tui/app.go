package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/vpnpcap/vpnpcap/decode"
	"github.com/vpnpcap/vpnpcap/flows"
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
	pending    *pendingFrame
	selected   selectedPacket
	message    string
	messageBad bool

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

// quit ends the UI and the background work.
func (a *App) quit() {
	a.cancel()
	a.tv.Stop()
}
