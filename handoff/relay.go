package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/bus"
)

// Relay settings. A publish gives up after relayPublishTimeout, and the lease outlives
// it, so a row is only claimed again once its first relay has certainly given up or
// died. The lease is also how long a crashed relay's batch waits before a restarted
// node sends it, so it is kept short; giving up early costs only a retry.
const (
	relayBatch          = 256
	relayPublishTimeout = 5 * time.Second
	relayLease          = 8 * time.Second
	relayPoll           = 250 * time.Millisecond
)

// runRelay publishes committed outbox rows until ctx ends. Rows are claimed with a
// lease under FOR UPDATE SKIP LOCKED, so replicas share the work and a relay that dies
// mid-batch leaves its rows to be claimed again when the lease runs out; receivers
// deduplicate by message id, so publishing twice is harmless.
func (n *Node) runRelay(ctx context.Context) error {
	w := bus.NewWriter(n.opt.Bus)
	defer w.Close()
	wake := make(chan struct{}, 1)
	go n.listenOutbox(ctx, wake)
	for {
		sent, err := n.relayOnce(ctx, w)
		if err != nil && ctx.Err() == nil {
			n.opt.Log.Warn("relay: publish failed; rows stay in the outbox", slog.String("err", err.Error()))
		}
		if sent == relayBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-time.After(relayPoll):
		}
	}
}

type outRow struct {
	id      uuid.UUID
	pos     int64
	topic   string
	key     string
	value   []byte
	headers map[string]string
}

// relayOnce claims, publishes and marks one batch. It returns how many it sent.
func (n *Node) relayOnce(ctx context.Context, w *bus.Writer) (int, error) {
	batch, err := n.claimBatch(ctx)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	// Publishing and marking must finish together even when shutdown starts meanwhile.
	pctx := context.WithoutCancel(ctx)
	tctx, cancel := context.WithTimeout(pctx, relayPublishTimeout)
	err = n.publishBatch(tctx, w, batch)
	cancel()
	if err != nil {
		_, _ = n.opt.DB.Exec(pctx, `UPDATE outbox SET lease_until = now() + interval '1 second', last_error = $2 WHERE id = ANY($1)`,
			ids(batch), err.Error())
		return 0, err
	}
	if _, err := n.opt.DB.Exec(pctx, `UPDATE outbox SET sent_at = now(), lease_until = NULL WHERE id = ANY($1)`, ids(batch)); err != nil {
		return 0, fmt.Errorf("handoff: relay mark sent: %w", err)
	}
	n.metrics.relayed.Add(float64(len(batch)))
	return len(batch), nil
}

// claimBatch leases the oldest unsent rows nobody else holds, in the sender's order.
func (n *Node) claimBatch(ctx context.Context) ([]outRow, error) {
	rows, err := n.opt.DB.Query(ctx, `
		UPDATE outbox SET lease_until = now() + $2::interval, attempts = attempts + 1
		WHERE id IN (
			SELECT id FROM outbox
			WHERE sent_at IS NULL AND (lease_until IS NULL OR lease_until < now())
			ORDER BY pos LIMIT $1
			FOR UPDATE SKIP LOCKED)
		RETURNING id, pos, topic, key, value, headers`, relayBatch, relayLease.String())
	if err != nil {
		return nil, fmt.Errorf("handoff: relay claim: %w", err)
	}
	defer rows.Close()
	var batch []outRow
	for rows.Next() {
		var r outRow
		var hdr []byte
		if err := rows.Scan(&r.id, &r.pos, &r.topic, &r.key, &r.value, &hdr); err != nil {
			return nil, err
		}
		_ = json.Unmarshal(hdr, &r.headers)
		batch = append(batch, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// RETURNING does not keep the subquery's order; the sender's order is pos.
	sortByPos(batch, func(r outRow) int64 { return r.pos })
	return batch, nil
}

func (n *Node) publishBatch(ctx context.Context, w *bus.Writer, batch []outRow) error {
	msgs := make([]bus.Message, len(batch))
	for i, r := range batch {
		msgs[i] = bus.Message{Topic: r.topic, Key: r.key, Value: r.value, Headers: r.headers}
	}
	return w.Publish(ctx, msgs...)
}

func ids(batch []outRow) []uuid.UUID {
	out := make([]uuid.UUID, len(batch))
	for i, r := range batch {
		out[i] = r.id
	}
	return out
}

// listenOutbox turns NOTIFY into wake-ups; polling covers a lost connection.
func (n *Node) listenOutbox(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		conn, err := n.opt.DB.Acquire(ctx)
		if err != nil {
			sleepCtx(ctx, time.Second)
			continue
		}
		if _, err := conn.Exec(ctx, "LISTEN "+outboxChannel); err == nil {
			for {
				if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
					break
				}
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
		// A connection that was listening must not go back to the pool.
		_ = conn.Conn().Close(context.Background())
		conn.Release()
		if !errors.Is(ctx.Err(), context.Canceled) {
			sleepCtx(ctx, 100*time.Millisecond)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
