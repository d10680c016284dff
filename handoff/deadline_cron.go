package handoff

import (
	"context"
	"log/slog"

	"github.com/robfig/cron/v3"

	"github.com/tongban/tongban/handoff/workcal"
)

// runSweeper sweeps once at start, so a timer that fell due while the node was down
// fires now, then on every cron tick until ctx ends. Recover keeps a panicking sweep
// from killing the hall; SkipIfStillRunning drops a tick while a long sweep (a backlog
// after downtime) is still at work, instead of stacking sweeps up.
func (d *Deadlines) runSweeper(ctx context.Context) error {
	if d.n.opt.DB == nil || d.manual {
		<-ctx.Done()
		return nil
	}
	d.tick(ctx)
	logger := cronLogger{d.log}
	c := cron.New(cron.WithSeconds(), cron.WithLocation(workcal.Location()),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	if _, err := c.AddFunc(d.Tick, func() { d.tick(ctx) }); err != nil {
		return deadlineErr("sweep schedule", err)
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done() // waits for a sweep in progress
	return nil
}

// tick refreshes the calendar from the database (another replica may have loaded a
// year) and sweeps if this replica holds the sweep lock. The lock is a session
// advisory lock on a connection held for the tick, so only one replica sweeps at a
// time; SKIP LOCKED would keep two correct anyway, the lock only saves the contention.
func (d *Deadlines) tick(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	if err := d.refreshCalendar(ctx); err != nil && ctx.Err() == nil {
		d.log.Warn("calendar refresh failed", slog.String("err", err.Error()))
	}
	conn, err := d.n.opt.DB.Acquire(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("sweep: no connection", slog.String("err", err.Error()))
		}
		return
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, sweepLockKey).Scan(&locked); err != nil || !locked {
		return
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, sweepLockKey); err != nil {
			// A lock we cannot release must not go back to the pool held.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	fired, err := d.SweepOnce(ctx)
	if err != nil {
		d.log.Error("deadline sweep failed", slog.String("err", err.Error()), slog.Int("claimed", fired))
	}
}

// cronLogger sends robfig/cron's messages to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{slog.String("err", err.Error())}, kv...)...)
}
