package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/bus"
)

// Relay settings. A claimed batch is held by the relay's transaction, whose row locks
// are the lease: the server ends a transaction left idle for relayLease, so a relay
// that hangs gives its rows up then, and one that dies gives them up at once (its
// connection closes). A publish gives up after relayPublishTimeout, within the lease.
const (
	relayBatch          = 256
	relayPublishTimeout = 5 * time.Second
	relayLease          = 8 * time.Second
	relayRetryAfter     = time.Second
	relayPoll           = 250 * time.Millisecond
)

// runRelay publishes committed outbox rows until ctx ends. Rows are claimed under
// FOR UPDATE SKIP LOCKED, so replicas share the work, and a relay that dies mid-batch
// leaves its rows to the next claim; receivers deduplicate by message id, so
// publishing twice is harmless.
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
	// Publishing and marking must finish together even when shutdown starts meanwhile.
	pctx := context.WithoutCancel(ctx)
	c, err := n.claimBatch(ctx, relayLease)
	if err != nil || c == nil {
		return 0, err
	}
	defer c.release(pctx)
	tctx, cancel := context.WithTimeout(pctx, relayPublishTimeout)
	err = n.publishBatch(tctx, w, c.rows)
	cancel()
	if err != nil {
		_ = c.failed(pctx, err)
		return 0, err
	}
	if err := c.sent(pctx); err != nil {
		return 0, fmt.Errorf("handoff: relay mark sent: %w", err)
	}
	n.metrics.relayed.Add(float64(len(c.rows)))
	return len(c.rows), nil
}

// outboxClaim is a batch the relay holds: its rows stay locked by the claim's
// transaction until it marks them sent or failed, or the transaction ends otherwise.
type outboxClaim struct {
	tx   pgx.Tx
	rows []outRow
}

// claimBatch locks the oldest unsent rows nobody else holds, in the sender's order,
// in a transaction the server ends if it is left idle for lease. It returns nil when
// there is nothing to send.
func (n *Node) claimBatch(ctx context.Context, lease time.Duration) (*outboxClaim, error) {
	tx, err := n.opt.DB.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: relay claim: %w", err)
	}
	c := &outboxClaim{tx: tx}
	var b pgx.Batch
	b.Queue(`SELECT set_config('idle_in_transaction_session_timeout', $1, true)`, strconv.FormatInt(lease.Milliseconds(), 10))
	b.Queue(`SELECT id, pos, topic, key, value, headers FROM outbox
		WHERE sent_at IS NULL AND (retry_at IS NULL OR retry_at < now())
		ORDER BY pos LIMIT $1
		FOR UPDATE SKIP LOCKED`, relayBatch).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var r outRow
			var hdr []byte
			if err := rows.Scan(&r.id, &r.pos, &r.topic, &r.key, &r.value, &hdr); err != nil {
				return err
			}
			_ = json.Unmarshal(hdr, &r.headers)
			c.rows = append(c.rows, r)
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("handoff: relay claim: %w", err)
	}
	if len(c.rows) == 0 {
		_ = tx.Rollback(ctx)
		return nil, nil
	}
	return c, nil
}

// sent marks the batch published and ends the claim.
func (c *outboxClaim) sent(ctx context.Context) error {
	if _, err := c.tx.Exec(ctx, `UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1)`, ids(c.rows)); err != nil {
		return err
	}
	return c.tx.Commit(ctx)
}

// failed records a publish that failed and ends the claim; the rows are claimed
// again after relayRetryAfter.
func (c *outboxClaim) failed(ctx context.Context, cause error) error {
	if _, err := c.tx.Exec(ctx, `UPDATE outbox SET retry_at = now() + $2::interval, attempts = attempts + 1, last_error = $3
		WHERE id = ANY($1)`, ids(c.rows), relayRetryAfter.String(), cause.Error()); err != nil {
		return err
	}
	return c.tx.Commit(ctx)
}

// release gives the rows up unless sent or failed already ended the claim.
func (c *outboxClaim) release(ctx context.Context) { _ = c.tx.Rollback(ctx) }

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
