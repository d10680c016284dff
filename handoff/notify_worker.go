package handoff

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notifier worker settings. A claimed alert is leased, so a notifier that dies with it
// leaves it to be claimed again; failures back off up to an hour and are retried for
// as long as the alert is undelivered.
const (
	notifyBatch    = 100
	notifyLease    = 2 * time.Minute
	notifyMaxDelay = time.Hour
)

// runNotifier delivers fired alerts through the notifier, reading them from the
// deadline_alerts table: an alert committed by the sweep is delivered even if the node
// stopped right after, and a webhook that is down delays delivery without losing it.
func (d *Deadlines) runNotifier(ctx context.Context) error {
	if d.n.opt.DB == nil || d.manual {
		<-ctx.Done()
		return nil
	}
	for {
		n, err := d.NotifyOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("notifier: claim failed", slog.String("err", err.Error()))
		}
		if n == notifyBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-time.After(d.NotifyEvery):
		}
	}
}

func (d *Deadlines) wakeNotifier() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// NotifyOnce claims a batch of undelivered alerts and hands each to the notifier.
func (d *Deadlines) NotifyOnce(ctx context.Context) (int, error) {
	now := d.now()
	rows, err := d.n.opt.DB.Query(ctx, `UPDATE deadline_alerts a SET notify_after = $2
		FROM (SELECT id FROM deadline_alerts WHERE notified_at IS NULL AND notify_after <= $1
		      ORDER BY notify_after LIMIT $3 FOR UPDATE SKIP LOCKED) c
		WHERE a.id = c.id
		RETURNING a.id, a.case_id, a.case_no, a.kind, a.level, a.recipient, a.matter_code, a.department, a.handler,
		          a.due_at, a.fired_at, a.timer_id, a.stage, a.notify_attempts`, now, now.Add(notifyLease), notifyBatch)
	if err != nil {
		return 0, deadlineErr("claim alerts", err)
	}
	type claimed struct {
		Alert
		attempts int
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimed, error) {
		var c claimed
		err := r.Scan(&c.ID, &c.CaseID, &c.CaseNo, &c.Kind, &c.Level, &c.Recipient, &c.MatterCode, &c.Department,
			&c.Handler, &c.DueAt, &c.FiredAt, &c.TimerID, &c.Stage, &c.attempts)
		c.Hall = d.n.opt.Code
		return c, err
	})
	if err != nil {
		return 0, deadlineErr("claim alerts", err)
	}
	nf := d.notifier.Load().Notifier
	for _, c := range batch {
		// Delivery runs to its own timeouts even during shutdown; the lease covers a kill.
		err := nf.Notify(context.WithoutCancel(ctx), c.Alert)
		if err == nil {
			_, err = d.n.opt.DB.Exec(context.WithoutCancel(ctx), `UPDATE deadline_alerts SET notified_at = $2,
				notify_attempts = notify_attempts + 1, notify_error = NULL WHERE id = $1`, c.ID, d.now())
			if err != nil {
				return len(batch), deadlineErr("mark alert delivered", err)
			}
			continue
		}
		delay := min(notifyMaxDelay, (10*time.Second)<<min(c.attempts, 12))
		d.log.Warn("alert not delivered", slog.String("alert", c.ID.String()), slog.Int("attempt", c.attempts+1),
			slog.Duration("retry_in", delay), slog.String("err", err.Error()))
		if _, err := d.n.opt.DB.Exec(context.WithoutCancel(ctx), `UPDATE deadline_alerts SET notify_attempts = notify_attempts + 1,
			notify_error = $2, notify_after = $3 WHERE id = $1`, c.ID, err.Error(), d.now().Add(delay)); err != nil {
			return len(batch), deadlineErr("record delivery failure", err)
		}
	}
	return len(batch), nil
}
