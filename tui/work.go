package tui

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vpnpcap/vpnpcap/flows"
	"github.com/vpnpcap/vpnpcap/internal/words"
	"github.com/vpnpcap/vpnpcap/pipeline"
)

// workerPanic is a panic of a background goroutine, re-raised by Run on
// the caller's goroutine once the terminal is restored.
type workerPanic struct {
	value any
	stack []byte
}

func (p *workerPanic) Error() string {
	return fmt.Sprintf("tui: panic in background work: %v\n\n%s", p.value, p.stack)
}

// ticker refreshes the progress shown while background work runs.
func (a *App) ticker() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
			if a.running.Load() > 0 {
				a.post(a.refreshProgress)
			}
		}
	}
}

// refreshProgress updates what shows progress.
func (a *App) refreshProgress() {
	a.updateTitle()
	if a.loadFrames != nil && a.packets.loading != "" {
		a.packets.setLoading("reading " + groupDigits(a.loadFrames.Load()) + " frames…")
	}
}

// post runs f on the UI goroutine and redraws. It returns when f has run,
// or when the UI has stopped (then f may never run).
func (a *App) post(f func()) {
	done := make(chan struct{})
	go func() {
		a.tv.QueueUpdateDraw(f)
		close(done)
	}()
	select {
	case <-done:
	case <-a.ctx.Done():
	}
}

// goWork runs work in the background. work returns what to do with its
// result on the UI goroutine (nil: nothing). A panic in work stops the UI,
// restoring the terminal, and Run raises it again.
func (a *App) goWork(work func(ctx context.Context) func()) {
	a.goWorkCtx(a.ctx, work)
}

// goWorkCtx is goWork with a context of the caller's (to cancel one job).
func (a *App) goWorkCtx(ctx context.Context, work func(ctx context.Context) func()) {
	a.busy++
	a.running.Add(1)
	go func() {
		apply := func() {}
		defer func() {
			a.running.Add(-1)
			if p := recover(); p != nil {
				a.mu.Lock()
				if a.panicked == nil {
					a.panicked = &workerPanic{value: p, stack: debug.Stack()}
				}
				a.mu.Unlock()
				a.cancel()
				a.tv.Stop()
				return
			}
			a.post(func() {
				a.busy--
				apply()
			})
		}()
		if f := work(ctx); f != nil {
			apply = f
		}
	}()
}

// startAnalysis runs the analysis in the background: decoding, flows,
// correlation with two captures, rules and verdicts.
func (a *App) startAnalysis() {
	caps := a.caps
	cfg := a.cfg
	check := a.check
	a.goWork(func(ctx context.Context) func() {
		var srcs []flows.Source
		for _, c := range caps {
			srcs = append(srcs, c.source(ctx))
		}
		res, err := pipeline.Run(ctx, srcs, pipeline.Options{
			Decode: cfg.Decode, Flows: cfg.Flows, Window: cfg.Window, RolesGiven: cfg.RolesGiven,
			Rules: cfg.Rules, Check: check,
		})
		if err != nil {
			return nil
		}
		rc := res.Context
		ordered := caps
		if cor := res.Correlation(); cor != nil && cor.Swapped {
			ordered = []*capture{caps[1], caps[0]}
		}
		for _, an := range rc.Captures {
			if err := an.Capture.ReadError; err != nil && an.Capture.Frames == 0 {
				return func() {
					a.analysisErr = err
					a.updateTitle()
					a.setError(err.Error())
				}
			}
		}
		findings, verdicts := res.Findings, res.Verdicts
		m := newModel(rc, findings, verdicts, ordered)
		return func() { a.setModel(m) }
	})
}

// setModel shows the analysis.
func (a *App) setModel(m *model) {
	a.model = m
	a.tunnels.setModel(m)
	a.findings.setModel(m)
	a.updateTitle()
	a.updateVerdict()
	var errs []string
	for _, sd := range m.sides {
		if err := sd.analysis.Capture.ReadError; err != nil {
			errs = append(errs, err.Error()+" (everything before it was analysed)")
		}
	}
	if len(errs) > 0 {
		a.setError(strings.Join(errs, "; "))
		return
	}
	msg := "analysed " + words.Count(len(m.rc.Tunnels), "tunnel")
	if n := len(m.rc.Sessions); n > 0 {
		msg += ", " + words.Count(n, "PPTP call")
	}
	a.setMessage(msg + " and " + words.Count(len(m.rows)-len(m.rc.Tunnels)-len(m.rc.Sessions), "flow"))
}
