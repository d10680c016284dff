package handoff

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongban/tongban/handoff/workcal"
)

// Deadlines is a hall's statutory clock: the timers its case transitions start, pause
// and close, the sweep that fires their warnings and overdues, the notifier that tells
// people, and the supervision API. It plugs into the node through the extension points
// (a transition hook, two workers, routes), so it lives beside the node, not inside it.
type Deadlines struct {
	n   *Node
	cal *workcal.Calendar
	log *slog.Logger

	// Tick is the cron schedule of the sweep, with seconds (robfig/cron WithSeconds).
	Tick string
	// Batch is how many due timers one sweep statement claims.
	Batch int
	// Parallel is how many batches one sweep runs at once.
	Parallel int
	// NotifyEvery is how often the notifier looks for alerts to deliver.
	NotifyEvery time.Duration

	notifier atomic.Pointer[notifierBox]
	wake     chan struct{} // a sweep that fired wakes the notifier
	// manual leaves sweeping and notifying to SweepOnce and NotifyOnce: tests that
	// drive the clock call them, and a background run at start-up would race them.
	manual  bool
	calMu   sync.Mutex // serialises calendar refreshes
	calSeen string     // fingerprint of workcal_years last loaded
}

type notifierBox struct{ Notifier }

// Defaults of the sweep. One second keeps a warning within a second of its instant;
// a claim of 1,000 rows amortises the round trips without holding locks for long.
const (
	defaultTick       = "* * * * * *"
	defaultSweepBatch = 1000
	// One batch loop: signing already overlaps the writes, and two loops contend on the same index pages.
	defaultSweepParallel = 1
	defaultNotifyEvery   = time.Second
)

// sweepLockKey is the advisory lock that lets one replica sweep at a time ("tongban.d").
const sweepLockKey int64 = 0x746f6e6762616e64

var deadlinesOf sync.Map // *Node -> *Deadlines

func init() { extensions = append(extensions, setupDeadlines) }

// Deadlines returns the hall's deadline part, so the command that builds the node can
// choose its notifier before Run.
func (n *Node) Deadlines() *Deadlines {
	d, _ := deadlinesOf.Load(n)
	dl, _ := d.(*Deadlines)
	return dl
}

// setupDeadlines wires timers into every transition, starts the sweep and the
// notifier with Run, loads the calendar years saved in the database and serves the
// supervision API.
func setupDeadlines(n *Node) error {
	log := n.opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Deadlines{n: n, cal: workcal.New(), log: log.With(slog.String("part", "deadlines")),
		Tick: defaultTick, Batch: defaultSweepBatch, Parallel: defaultSweepParallel, NotifyEvery: defaultNotifyEvery, wake: make(chan struct{}, 1)}
	d.UseNotifier(LogNotifier{Log: d.log})
	if n.opt.DB != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.refreshCalendar(ctx); err != nil {
			return err
		}
	}
	n.OnTransitions(d.onTransition, d.onTransitions)
	n.AddWorker(d.runSweeper)
	n.AddWorker(d.runNotifier)
	d.routes()
	deadlinesOf.Store(n, d)
	return nil
}

// UseNotifier sets where alerts go besides the supervision topic. Call it before Run.
func (d *Deadlines) UseNotifier(nf Notifier) {
	if nf == nil {
		nf = LogNotifier{Log: d.log}
	}
	d.notifier.Store(&notifierBox{nf})
}

// Calendar is the working-day calendar the hall's deadlines are computed with.
func (d *Deadlines) Calendar() *workcal.Calendar { return d.cal }

func (d *Deadlines) now() time.Time { return d.n.now() }

func deadlineErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("handoff: %s: %w", op, err)
}
