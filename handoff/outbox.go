package handoff

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/bus"
)

// outboxChannel is the NOTIFY channel that wakes the relay when a transaction commits
// a message, so a hand-off does not wait for the next poll.
const outboxChannel = "tongban_outbox"

// enqueue writes a signed message to the outbox inside the caller's transaction: the
// message exists if and only if the change that caused it committed.
func (n *Node) enqueue(ctx context.Context, tx pgx.Tx, to string, caseID uuid.UUID, seq int64, typ string, payload any) (uuid.UUID, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return uuid.Nil, fmt.Errorf("handoff: encode %s: %w", typ, err)
	}
	env := Envelope{ID: id.String(), Type: typ, Schema: SchemaVersion, From: n.opt.Code, To: to,
		CaseID: caseID.String(), Seq: seq, At: n.now().UTC().Truncate(time.Microsecond), Payload: body}
	value, headers, err := n.keys.Seal(env)
	if err != nil {
		return uuid.Nil, err
	}
	hdr, _ := json.Marshal(headers)
	_, err = tx.Exec(ctx, `INSERT INTO outbox (id, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5)`,
		id, bus.HallTopic(to), caseID.String(), value, hdr)
	if err != nil {
		return uuid.Nil, fmt.Errorf("handoff: enqueue %s: %w", typ, err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, outboxChannel); err != nil {
		return uuid.Nil, fmt.Errorf("handoff: notify relay: %w", err)
	}
	return id, nil
}
