package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/bus"
)

// inboxBatch bounds how many messages are applied before their offsets are committed.
const inboxBatch = 256

// runInbox consumes this hall's inbox topic: FetchMessage, apply in a transaction
// that also records the message id, then CommitMessages. A crash between the two
// redelivers messages whose ids are already in the inbox table, so nothing applies
// twice; a crash before the transaction commits loses nothing.
func (n *Node) runInbox(ctx context.Context) error {
	r := bus.NewReader(n.opt.Bus, "tongban-hall-"+n.opt.Code, bus.HallTopic(n.opt.Code))
	defer r.Close()
	// Work already fetched is finished and committed even while shutting down.
	work := context.WithoutCancel(ctx)
	for {
		m, err := r.Fetch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			n.opt.Log.Warn("inbox: fetch failed", slog.String("err", err.Error()))
			sleepCtx(ctx, time.Second)
			continue
		}
		batch := []bus.Message{m}
		n.handleWithRetry(ctx, work, m)
		for len(batch) < inboxBatch {
			// Pick up whatever else is already buffered, without waiting for more.
			fctx, cancel := context.WithTimeout(ctx, time.Millisecond)
			m, err := r.Fetch(fctx)
			cancel()
			if err != nil {
				break
			}
			n.handleWithRetry(ctx, work, m)
			batch = append(batch, m)
		}
		if err := r.Commit(work, batch...); err != nil {
			// Not fatal: the messages come again and the inbox table absorbs them.
			n.opt.Log.Warn("inbox: commit failed", slog.String("err", err.Error()))
		}
	}
}

// handleWithRetry retries a message whose transaction failed for a passing reason
// (the database restarting) until it is applied or quarantined; it never skips one.
func (n *Node) handleWithRetry(ctx, work context.Context, m bus.Message) {
	for attempt := 0; ; attempt++ {
		err := n.handle(work, m.Topic, m.Partition, m.Offset, m.Key, m.Value, m.Headers)
		if err == nil {
			return
		}
		n.opt.Log.Warn("inbox: apply failed; retrying", slog.String("err", err.Error()),
			slog.Int("partition", m.Partition), slog.Int64("offset", m.Offset))
		backoff := time.Duration(min(attempt+1, 20)) * 250 * time.Millisecond
		if ctx.Err() != nil && attempt >= 3 {
			// Shutting down: leave it uncommitted; the next start redelivers it.
			return
		}
		time.Sleep(backoff)
	}
}

// handle verifies and applies one message, or quarantines it. It returns an error only
// for failures worth retrying.
func (n *Node) handle(ctx context.Context, topic string, partition int, offset int64, key string, value []byte, headers map[string]string) error {
	env, err := openMessage(n.keys, value, headers)
	var rej *Rejection
	if errors.As(err, &rej) {
		return n.quarantine(ctx, topic, partition, offset, key, value, headers, rej)
	}
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, n.opt.DB, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO inbox (message_id, type, sender, case_id, seq) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING`, uuid.MustParse(env.ID), env.Type, env.From, uuid.MustParse(env.CaseID), env.Seq)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			n.metrics.duplicates.Inc()
			return nil
		}
		return n.applyRemote(ctx, tx, env, value)
	})
	if errors.As(err, &rej) {
		return n.quarantine(ctx, topic, partition, offset, key, value, headers, rej)
	}
	if err != nil {
		return fmt.Errorf("handoff: apply %s %s: %w", env.Type, env.ID, err)
	}
	if n.opt.Applied != nil {
		n.opt.Applied(env)
	}
	return nil
}

// quarantine records a message that failed a check, once per topic offset.
func (n *Node) quarantine(ctx context.Context, topic string, partition int, offset int64, key string, value []byte, headers map[string]string, rej *Rejection) error {
	hdr, _ := json.Marshal(headers)
	_, err := n.opt.DB.Exec(ctx, `INSERT INTO quarantine (topic, kafka_partition, kafka_offset, key, value, headers, reason, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING`,
		topic, partition, offset, key, value, hdr, rej.Reason, rej.Detail)
	if err != nil {
		return fmt.Errorf("handoff: quarantine: %w", err)
	}
	n.metrics.quarantined.WithLabelValues(rej.Reason).Inc()
	n.opt.Log.Warn("message quarantined", slog.String("reason", rej.Reason), slog.String("detail", rej.Detail),
		slog.String("topic", topic), slog.Int("partition", partition), slog.Int64("offset", offset))
	return nil
}
