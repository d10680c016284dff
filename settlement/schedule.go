package settlement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultCloseSchedule prepares the previous month's close at 02:00 on the 1st,
// Asia/Shanghai: late-night waybills of the last day have arrived by then.
const DefaultCloseSchedule = "0 2 1 * *"

// CronActor is who the close job prepares as. A person must approve: the database
// refuses an approver equal to the preparer, and no person is called this.
const CronActor = "system:cron"

// closeJobLock keeps replicas from preparing at once; the loser skips its turn.
const closeJobLock = 0x7462_636a // "tbcj"

// StartCloseJob schedules the close job and returns a function that stops it and
// waits for a run in progress.
func (n *Node) StartCloseJob(ctx context.Context) (stop func(), err error) {
	logger := cron.VerbosePrintfLogger(slog.NewLogLogger(n.log.Handler(), slog.LevelWarn))
	c := cron.New(cron.WithLocation(shanghai), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	if _, err := c.AddFunc(n.opt.CloseSchedule, func() { _, _ = n.RunCloseJob(ctx) }); err != nil {
		return nil, fmt.Errorf("settlement: close schedule %q: %w", n.opt.CloseSchedule, err)
	}
	c.Start()
	return func() { <-c.Stop().Done() }, nil
}

// RunCloseJob prepares the close of the month before now (China time) unless it is
// already prepared or closed, or another replica holds the job lock. It reports
// whether it prepared anything. Running it twice does nothing the second time.
func (n *Node) RunCloseJob(ctx context.Context) (bool, error) {
	conn, err := n.db.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("settlement: close job: %w", err)
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, closeJobLock).Scan(&got); err != nil {
		return false, fmt.Errorf("settlement: close job lock: %w", err)
	}
	if !got {
		n.log.Info("close job skipped: another replica runs it")
		return false, nil
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, closeJobLock) //nolint:errcheck
	p := PeriodOf(n.clock()).Prev()
	if _, err := n.Close(ctx, p); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	start := time.Now()
	if _, err := n.PrepareClose(ctx, p, CronActor); err != nil {
		n.log.Error("close job failed", slog.String("period", string(p)), slog.String("err", err.Error()))
		return false, err
	}
	n.log.Info("close job prepared the period", slog.String("period", string(p)), slog.Duration("took", time.Since(start)))
	return true, nil
}
