package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// QuarantinedMessage is what an operator sees of a message that was not applied.
type QuarantinedMessage struct {
	ID           int64             `json:"id"`
	ReceivedAt   time.Time         `json:"received_at"`
	Topic        string            `json:"topic"`
	Partition    int               `json:"partition"`
	Offset       int64             `json:"offset"`
	Key          string            `json:"key"`
	Reason       string            `json:"reason"`
	Detail       string            `json:"detail"`
	Headers      map[string]string `json:"headers"`
	Value        json.RawMessage   `json:"value,omitempty"`
	ReplayedAt   *time.Time        `json:"replayed_at,omitempty"`
	ReplayResult *string           `json:"replay_result,omitempty"`
}

// Quarantine lists quarantined messages, newest first.
func (n *Node) Quarantine(ctx context.Context, limit int) ([]QuarantinedMessage, error) {
	rows, err := n.opt.DB.Query(ctx, `SELECT id, received_at, topic, kafka_partition, kafka_offset, key, reason, detail,
		headers, value, replayed_at, replay_result FROM quarantine ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QuarantinedMessage
	for rows.Next() {
		var q QuarantinedMessage
		var hdr, value []byte
		if err := rows.Scan(&q.ID, &q.ReceivedAt, &q.Topic, &q.Partition, &q.Offset, &q.Key, &q.Reason, &q.Detail,
			&hdr, &value, &q.ReplayedAt, &q.ReplayResult); err != nil {
			return nil, err
		}
		_ = json.Unmarshal(hdr, &q.Headers)
		// Payloads carry personal data: an operator sees whether the value is JSON, not its content.
		delete(q.Headers, HeaderSig)
		q.Value = nil
		out = append(out, q)
	}
	return out, rows.Err()
}

// Replay runs a quarantined message through the inbox again, after the operator fixed
// what made it fail (a partner key registered, a schema upgraded). It reports the outcome.
func (n *Node) Replay(ctx context.Context, id int64) (string, error) {
	var topic, key string
	var partition int
	var offset int64
	var value, hdr []byte
	err := n.opt.DB.QueryRow(ctx, `SELECT topic, kafka_partition, kafka_offset, key, value, headers FROM quarantine WHERE id = $1`, id).
		Scan(&topic, &partition, &offset, &key, &value, &hdr)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	var headers map[string]string
	_ = json.Unmarshal(hdr, &headers)
	// Replaying under a fresh offset key lets a second failure be recorded anew.
	before := n.quarantineCount(ctx)
	if _, err := n.opt.DB.Exec(ctx, `DELETE FROM quarantine WHERE id = $1`, id); err != nil {
		return "", err
	}
	if err := n.handle(ctx, topic, partition, offset, key, value, headers); err != nil {
		return "", fmt.Errorf("handoff: replay: %w", err)
	}
	result := "applied"
	if n.quarantineCount(ctx) >= before {
		result = "quarantined again"
	}
	return result, nil
}

func (n *Node) quarantineCount(ctx context.Context) int {
	var c int
	_ = n.opt.DB.QueryRow(ctx, `SELECT count(*) FROM quarantine`).Scan(&c)
	return c
}
