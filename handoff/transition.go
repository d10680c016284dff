package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// caseHead is the part of a case row every move needs.
type caseHead struct {
	ID          uuid.UUID
	CaseNo      string
	Origin      string
	Destination string
	State       State
	OutSeq      int64
	InSeq       int64
}

func (c caseHead) partner(self string) string {
	if c.Origin == self {
		return c.Destination
	}
	return c.Origin
}

func (c caseHead) sideOf(hall string) Side {
	switch hall {
	case c.Origin:
		return OriginSide
	case c.Destination:
		return DestinationSide
	}
	return 0
}

const headCols = `id, case_no, origin, destination, state, out_seq, in_seq`

func scanHead(row pgx.Row) (caseHead, error) {
	var c caseHead
	var st string
	err := row.Scan(&c.ID, &c.CaseNo, &c.Origin, &c.Destination, &st, &c.OutSeq, &c.InSeq)
	c.State = State(st)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// lockCase reads a case for update by id or case number.
func lockCase(ctx context.Context, tx pgx.Tx, ref string) (caseHead, error) {
	if id, err := uuid.Parse(ref); err == nil {
		return scanHead(tx.QueryRow(ctx, `SELECT `+headCols+` FROM cases WHERE id = $1 FOR UPDATE`, id))
	}
	return scanHead(tx.QueryRow(ctx, `SELECT `+headCols+` FROM cases WHERE case_no = $1 FOR UPDATE`, ref))
}

// messageType is the wire type of a move: the parcel moves share parcel.event.
func messageType(move string) string {
	if move == TypeInTransit || move == TypeDelivered {
		return TypeParcelEvent
	}
	return move
}

// localMove makes a move at this hall: one transaction that checks who may move the
// case, compare-and-sets its state, records the event and queues the message that
// carries the move to the partner. extra, when given, updates other columns in the
// same transaction.
func (n *Node) localMove(ctx context.Context, ref, move string, step Step, extra func(tx pgx.Tx, c caseHead) error) (caseHead, error) {
	var build func(tx pgx.Tx, c caseHead) (any, error)
	if extra != nil {
		build = func(tx pgx.Tx, c caseHead) (any, error) { return nil, extra(tx, c) }
	}
	return n.localMoveWith(ctx, ref, move, step, build)
}

// localMoveWith is localMove whose build step may also return the message payload
// (case.dispatched carries the package, not the step).
func (n *Node) localMoveWith(ctx context.Context, ref, move string, step Step, build func(tx pgx.Tx, c caseHead) (any, error)) (caseHead, error) {
	m, ok := Moves[move]
	if !ok {
		return caseHead{}, fmt.Errorf("handoff: unknown move %q", move)
	}
	if err := step.validate(move); err != nil {
		return caseHead{}, fieldErr("body", "请求内容不完整："+err.Error(), err.Error())
	}
	var out caseHead
	err := pgx.BeginFunc(ctx, n.opt.DB, func(tx pgx.Tx) error {
		c, err := lockCase(ctx, tx, ref)
		if err != nil {
			return err
		}
		side := c.sideOf(n.opt.Code)
		if side&m.By == 0 || (move == TypeWithdrawn && side != owner(c.State)) {
			return ErrNotYours
		}
		if !m.allows(c.State) {
			return &StateError{Move: move, Current: c.State}
		}
		var payload any = step
		if build != nil {
			p, err := build(tx, c)
			if err != nil {
				return err
			}
			if p != nil {
				payload = p
			}
		}
		out, err = n.moveLocked(ctx, tx, c, move, step.Actor, payload)
		return err
	})
	if err != nil {
		return caseHead{}, err
	}
	n.metrics.moves.WithLabelValues(move, "local").Inc()
	return out, nil
}

// moveLocked makes a move on a case locked in tx whose state the caller has checked:
// the compare-and-set, the message to the partner, the timeline and the hooks. It is
// the one place a local move is written, whether it comes from the API or from a
// courier's event.
func (n *Node) moveLocked(ctx context.Context, tx pgx.Tx, c caseHead, move, actor string, payload any) (caseHead, error) {
	m := Moves[move]
	now := n.now()
	seq := c.OutSeq + 1
	tag, err := tx.Exec(ctx, `UPDATE cases SET state = $3, out_seq = $4, state_changed_at = $5, updated_at = $5
		WHERE id = $1 AND state = $2`, c.ID, c.State, m.To, seq, now)
	if err != nil {
		return caseHead{}, err
	}
	if tag.RowsAffected() != 1 {
		return caseHead{}, &StateError{Move: move, Current: c.State}
	}
	msgID, err := n.enqueue(ctx, tx, c.partner(n.opt.Code), c.ID, seq, messageType(move), payload)
	if err != nil {
		return caseHead{}, err
	}
	var detail any = payload
	if p, ok := payload.(Package); ok {
		// The timeline keeps the package's facts, not the applicant or the files again.
		detail = map[string]any{"seal_no": p.SealNo, "manifest": p.Manifest, "waybill": p.Waybill, "attachments": len(p.Attachments)}
	}
	if err := n.recordEvent(ctx, tx, c.ID, n.opt.Code, actor, move, c.State, m.To, msgID, detail); err != nil {
		return caseHead{}, err
	}
	var st *Step
	if s, ok := payload.(Step); ok {
		st = &s
	}
	if err := n.runHooks(ctx, tx, Transition{CaseID: c.ID, CaseNo: c.CaseNo, Move: move, From: c.State, To: m.To,
		Local: true, Actor: actor, At: now, Step: st}); err != nil {
		return caseHead{}, err
	}
	c.State, c.OutSeq = m.To, seq
	return c, nil
}

// recordEvent appends to the case timeline, which is also its audit trail.
func (n *Node) recordEvent(ctx context.Context, tx pgx.Tx, caseID uuid.UUID, hall, actor, action string, from, to State, msgID uuid.UUID, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	var fromS, toS *string
	if from != "" {
		s := string(from)
		fromS = &s
	}
	if to != "" {
		s := string(to)
		toS = &s
	}
	var mid *uuid.UUID
	if msgID != uuid.Nil {
		mid = &msgID
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_events (case_id, at, hall, actor, action, from_state, to_state, message_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, caseID, n.now(), hall, actor, action, fromS, toS, mid, d)
	return err
}

func (n *Node) now() time.Time { return n.clock().UTC() }
