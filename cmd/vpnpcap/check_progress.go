package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress draws a one-line progress bar on stderr while `vpnpcap check`
// runs: checks done, bytes read, elapsed time. It redraws a few times a
// second from its own goroutine; the report's writer pauses it so that
// report lines and the bar do not mix on a shared terminal. A nil
// *progress draws nothing.
type progress struct {
	w      io.Writer
	checks int
	total  int64 // bytes to read, pairs counted twice (see unitBytes)
	// streamed is set when a capture is a stream: the bytes to read are
	// not known, and the bar shows what was read only.
	streamed bool
	// ladders is set when each check reads its captures once more, to
	// draw ladders.
	ladders bool
	read    atomic.Int64
	done    atomic.Int64
	start   time.Time

	mu    sync.Mutex // guards w and shown
	shown bool
	stop  chan struct{}
	wg    sync.WaitGroup
}

// progressInterval is how often the bar is redrawn: often enough to look
// alive, rarely enough to cost nothing.
const progressInterval = 200 * time.Millisecond

func newProgress(w io.Writer, units []checkUnit, ladders bool) *progress {
	p := progressOf(w, units, ladders)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.draw()
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// progressOf returns the progress of checking units, not yet drawn.
func progressOf(w io.Writer, units []checkUnit, ladders bool) *progress {
	p := &progress{w: w, checks: len(units), start: time.Now(), stop: make(chan struct{}), ladders: ladders}
	for i := range units {
		p.total += p.unitBytes(&units[i])
		p.streamed = p.streamed || units[i].streamed
	}
	return p
}

// unitBytes is what a check reads: a pair is read twice, once to analyse
// each capture and once to match their packets; and once more to draw
// ladders.
func (p *progress) unitBytes(u *checkUnit) int64 {
	n := u.size
	if u.pair() {
		n = 2 * u.size
	}
	if p.ladders {
		n += u.size
	}
	return n
}

// counter returns the counter a check's reads add to, or nil.
func (p *progress) counter() *atomic.Int64 {
	if p == nil {
		return nil
	}
	return &p.read
}

// unitDone records a finished check; read is what its reads counted, made
// up to what the check was expected to read (a pair whose captures share
// no packet is read once only).
func (p *progress) unitDone(u *checkUnit, read int64) {
	if p == nil {
		return
	}
	if rest := p.unitBytes(u) - read; rest > 0 {
		p.read.Add(rest)
	}
	p.done.Add(1)
}

// draw writes the bar; the caller holds mu.
func (p *progress) draw() {
	const width = 30
	el := time.Since(p.start).Truncate(time.Second)
	if p.streamed {
		fmt.Fprintf(p.w, "\r\x1b[Kchecking %d/%d, %s read %s", p.done.Load(), p.checks, humanBytes(p.read.Load()), el)
		p.shown = true
		return
	}
	total := max(p.total, 1)
	read := min(p.read.Load(), total)
	fill := int(read * width / total)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	fmt.Fprintf(p.w, "\r\x1b[Kchecking %d/%d [%s] %3d%% %s/%s %s",
		p.done.Load(), p.checks, bar, read*100/total, humanBytes(read), humanBytes(total), el)
	p.shown = true
}

// clear erases the bar; the caller holds mu.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// pause runs f with the bar erased and not redrawn meanwhile.
func (p *progress) pause(f func()) {
	if p == nil {
		f()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	f()
}

// finish stops the bar and erases it.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	p.clear()
	p.mu.Unlock()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
