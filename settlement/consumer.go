package settlement

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/envelope"
)

// Consume reads tongban.settlement.waybills until ctx ends: fetch, apply in one
// transaction (inbox row plus ledger change, or a quarantine row), then commit the
// offset. A crash between the transaction and the commit redelivers the message,
// which the inbox turns into a no-op.
func (n *Node) Consume(ctx context.Context) error {
	r := bus.NewReader(n.opt.Bus, n.opt.ConsumerGroup, bus.SettlementTopic)
	defer r.Close()
	for {
		m, err := r.Fetch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			n.log.Warn("waybill fetch failed", slog.String("err", err.Error()))
			if !sleep(ctx, time.Second) {
				return ctx.Err()
			}
			continue
		}
		for attempt := 0; ; attempt++ {
			err = n.HandleMessage(ctx, m)
			if err == nil {
				break
			}
			// Only the database failing lands here; back off and try the same message
			// again rather than skip it.
			n.log.Error("waybill apply failed; retrying", slog.String("err", err.Error()), slog.Int("attempt", attempt))
			if !sleep(ctx, min(time.Duration(attempt+1)*500*time.Millisecond, 10*time.Second)) {
				return ctx.Err()
			}
		}
		if err := r.Commit(ctx, m); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			n.log.Warn("waybill commit failed; the message will come again", slog.String("err", err.Error()))
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// HandleMessage applies one message from the bus, or quarantines it. It returns an
// error only when the database failed, so the caller must not commit the offset.
func (n *Node) HandleMessage(ctx context.Context, m bus.Message) error {
	typ, rej, err := n.process(ctx, m.Value, m.Headers)
	if err != nil {
		return err
	}
	if rej != nil {
		return n.quarantine(ctx, m, rej)
	}
	if typ != "" {
		n.metrics.consumed.WithLabelValues(typ).Inc()
	}
	return nil
}

// process checks and applies a message. A permanent problem with the message comes
// back as a rejection; err is for failures worth retrying.
func (n *Node) process(ctx context.Context, value []byte, headers map[string]string) (string, *envelope.Rejection, error) {
	env, err := n.opt.Keys.Open(value, headers)
	if err != nil {
		var rej *envelope.Rejection
		if errors.As(err, &rej) {
			return "", rej, nil
		}
		return "", envelope.Reject(envelope.ReasonMalformed, "%v", err), nil
	}
	if env.Type != TypeWaybillCreated && env.Type != TypeWaybillVoided {
		return "", envelope.Reject(envelope.ReasonUnknownSchema, "type %q is not a waybill event", env.Type), nil
	}
	if env.Schema != WaybillSchema {
		return "", envelope.Reject(envelope.ReasonUnknownSchema, "%s schema %d is not known (this node reads %d)", env.Type, env.Schema, WaybillSchema), nil
	}
	ev, err := ParseWaybillEvent(env.Type, env.Payload)
	if err != nil {
		return "", envelope.Reject(envelope.ReasonBadPayload, "%v", err), nil
	}
	if ev.CaseID != env.CaseID {
		return "", envelope.Reject(envelope.ReasonBadPayload, "payload case_id differs from the envelope's"), nil
	}
	if env.Type == TypeWaybillCreated && ev.Hall != env.From {
		return "", envelope.Reject(envelope.ReasonNotAllowed, "hall %s reports a waybill of hall %s", env.From, ev.Hall), nil
	}
	var conflict *ledgerConflict
	err = pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO inbox (envelope_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING`, env.ID, env.Type)
		if err != nil || tag.RowsAffected() == 0 {
			return err // a redelivery: already applied
		}
		err = n.applyWaybill(ctx, tx, env.Type, env.ID, ev)
		if errors.As(err, &conflict) {
			return err // roll back the inbox row too: the message is quarantined instead
		}
		return err
	})
	if conflict != nil {
		return "", envelope.Reject(conflict.reason, "%s", conflict.detail), nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("settlement: apply waybill: %w", err)
	}
	return env.Type, nil, nil
}

// quarantine keeps a rejected message whole for an operator to read and replay.
func (n *Node) quarantine(ctx context.Context, m bus.Message, rej *envelope.Rejection) error {
	hdr, _ := json.Marshal(m.Headers)
	if m.Headers == nil {
		hdr = []byte("{}")
	}
	_, err := n.db.Exec(ctx, `INSERT INTO quarantine (topic, part, msg_offset, msg_key, value, headers, reason, detail, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (topic, part, msg_offset) DO NOTHING`,
		m.Topic, m.Partition, m.Offset, m.Key, m.Value, hdr, rej.Reason, rej.Detail, n.now())
	if err != nil {
		return fmt.Errorf("settlement: quarantine: %w", err)
	}
	n.metrics.quarantined.WithLabelValues(rej.Reason).Inc()
	// The reason and where the message sat, never its content.
	n.log.Warn("waybill message quarantined", slog.String("reason", rej.Reason), slog.String("topic", m.Topic),
		slog.Int("partition", m.Partition), slog.Int64("offset", m.Offset))
	return nil
}

// Quarantined is a message that was not applied.
type Quarantined struct {
	ID         int64             `json:"id"`
	Topic      string            `json:"topic"`
	Partition  int               `json:"partition"`
	Offset     int64             `json:"offset"`
	Key        string            `json:"key"`
	Reason     string            `json:"reason"`
	Detail     string            `json:"detail"`
	At         time.Time         `json:"at"`
	ReplayedAt *time.Time        `json:"replayed_at,omitempty"`
	Headers    map[string]string `json:"headers"`
	Value      string            `json:"value"` // the envelope as received; waybill payloads carry no personal data
}

// Quarantine lists quarantined messages, newest first.
func (n *Node) Quarantine(ctx context.Context, limit int) ([]Quarantined, error) {
	rows, err := n.db.Query(ctx, `SELECT id, topic, part, msg_offset, msg_key, reason, detail, at, replayed_at, headers, value
		FROM quarantine ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("settlement: quarantine: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Quarantined, error) {
		var q Quarantined
		var value []byte
		err := r.Scan(&q.ID, &q.Topic, &q.Partition, &q.Offset, &q.Key, &q.Reason, &q.Detail, &q.At, &q.ReplayedAt, &q.Headers, &value)
		q.Value = string(value)
		return q, err
	})
}

// Replay runs a quarantined message through again, after an operator fixed what made
// it fail (a partner key registered, a missing waybill arrived). It returns the
// rejection when the message still does not apply.
func (n *Node) Replay(ctx context.Context, id int64, actor string) error {
	var value []byte
	var headers map[string]string
	var replayed *time.Time
	err := n.db.QueryRow(ctx, `SELECT value, headers, replayed_at FROM quarantine WHERE id = $1`, id).Scan(&value, &headers, &replayed)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("settlement: replay: %w", err)
	}
	if replayed != nil {
		return &StateError{ZH: "该消息已重放", EN: "the message was already replayed"}
	}
	_, rej, err := n.process(ctx, value, headers)
	if err != nil {
		return err
	}
	if rej != nil {
		return &StateError{ZH: "重放仍被拒绝：" + rej.Reason, EN: "replay still rejected: " + rej.Reason + ": " + rej.Detail}
	}
	return pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE quarantine SET replayed_at = $2 WHERE id = $1`, id, n.now()); err != nil {
			return err
		}
		return n.audit(ctx, tx, actor, "quarantine.replay", fmt.Sprintf("quarantine:%d", id), map[string]any{})
	})
}
