package handoff

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/bus"

	"github.com/tongban/tongban/internal/pg"
)

// outboxChannel is the NOTIFY channel that wakes the relay when a transaction commits
// a message, so a hand-off does not wait for the next poll.
const outboxChannel = "tongban_outbox"

// outMessage is one message to queue: to the partner hall, about a case, with the
// case's next outgoing sequence number.
type outMessage struct {
	to      string
	caseID  uuid.UUID
	seq     int64
	typ     string
	payload any
}

// enqueue queues on b, for the caller's transaction, the statement that writes signed
// messages to the outbox and wakes the relay: a message exists if and only if the
// change that caused it committed. The messages are written in the order given,
// which is the order the relay sends them in. It returns their ids.
func (n *Node) enqueue(b *pgx.Batch, msgs ...outMessage) ([]uuid.UUID, error) {
	ids := make([]uuid.UUID, len(msgs))
	topics, keys, hdrs := make([]string, len(msgs)), make([]string, len(msgs)), make([]string, len(msgs))
	values := make([][]byte, len(msgs))
	for i, m := range msgs {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(m.payload)
		if err != nil {
			return nil, fmt.Errorf("handoff: encode %s: %w", m.typ, err)
		}
		env := Envelope{ID: id.String(), Type: m.typ, Schema: SchemaVersion, From: n.opt.Code, To: m.to,
			CaseID: m.caseID.String(), Seq: m.seq, At: n.now().UTC().Truncate(time.Microsecond), Payload: body}
		value, headers, err := n.keys.Seal(env)
		if err != nil {
			return nil, err
		}
		hdr, _ := json.Marshal(headers)
		ids[i], topics[i], keys[i], values[i], hdrs[i] = id, bus.HallTopic(m.to), m.caseID.String(), value, string(hdr)
	}
	// The data-modifying CTE runs whether or not the outer query reads it, and
	// pg_notify is sent at commit, so the relay wakes for rows it can see.
	b.Queue(`WITH queued AS (
			INSERT INTO outbox (id, topic, key, value, headers)
			SELECT u.id, u.topic, u.key, u.value, u.headers::jsonb
			FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::text[]) WITH ORDINALITY AS u(id, topic, key, value, headers, ord)
			ORDER BY u.ord)
		SELECT pg_notify($6, '')`, pg.UUIDs(ids), topics, keys, values, hdrs, outboxChannel)
	return ids, nil
}
