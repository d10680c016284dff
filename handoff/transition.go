package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/pg"
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
// the compare-and-set, the message to the partner, the timeline and the hooks.
func (n *Node) moveLocked(ctx context.Context, tx pgx.Tx, c caseHead, move, actor string, payload any) (caseHead, error) {
	out, err := n.moveLockedMany(ctx, tx, []caseMove{{c: c, move: move, actor: actor, payload: payload}})
	if err != nil {
		return caseHead{}, err
	}
	return out[0], nil
}

// caseMove is one move of a case locked in the transaction, its state checked.
type caseMove struct {
	c       caseHead
	move    string
	actor   string
	payload any
}

// moveLockedMany makes moves of distinct cases locked in tx whose states the caller
// has checked: the compare-and-set on each case's state, its message to the partner,
// its timeline entry and the hooks, one statement per table for all of them. It is
// the one place a local move is written, whether it comes from the API (one move) or
// from courier events (many), and it returns the cases as moved.
func (n *Node) moveLockedMany(ctx context.Context, tx pgx.Tx, moves []caseMove) ([]caseHead, error) {
	now := n.now()
	k := len(moves)
	ids, seqs := make([]uuid.UUID, k), make([]int64, k)
	from, to := make([]string, k), make([]string, k)
	msgs := make([]outMessage, k)
	for i, mv := range moves {
		ids[i], seqs[i], from[i], to[i] = mv.c.ID, mv.c.OutSeq+1, string(mv.c.State), string(Moves[mv.move].To)
		msgs[i] = outMessage{to: mv.c.partner(n.opt.Code), caseID: mv.c.ID, seq: seqs[i], typ: messageType(mv.move), payload: mv.payload}
	}
	// The state, the messages and the timeline go in one round trip. Should a state
	// have changed under the caller's lock after all, the error rolls all three back.
	var b pgx.Batch
	b.Queue(`UPDATE cases c SET state = u.to_state, out_seq = u.seq, state_changed_at = $5, updated_at = $5
		FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[]) AS u(id, from_state, to_state, seq)
		WHERE c.id = u.id AND c.id = ANY($1) AND c.state = u.from_state RETURNING c.id`, pg.UUIDs(ids), from, to, seqs, now)
	msgIDs, err := n.enqueue(&b, msgs...)
	if err != nil {
		return nil, err
	}
	events := make([]caseEvent, k)
	ts := make([]Transition, k)
	out := make([]caseHead, k)
	for i, mv := range moves {
		m := Moves[mv.move]
		var detail any = mv.payload
		if p, ok := mv.payload.(Package); ok {
			// The timeline keeps the package's facts, not the applicant or the files again.
			detail = map[string]any{"seal_no": p.SealNo, "manifest": p.Manifest, "waybill": p.Waybill, "attachments": len(p.Attachments)}
		}
		events[i] = caseEvent{caseID: mv.c.ID, hall: n.opt.Code, actor: mv.actor, action: mv.move, from: mv.c.State, to: m.To,
			msgID: msgIDs[i], detail: detail}
		var st *Step
		if s, ok := mv.payload.(Step); ok {
			st = &s
		}
		ts[i] = Transition{CaseID: mv.c.ID, CaseNo: mv.c.CaseNo, Move: mv.move, From: mv.c.State, To: m.To,
			Local: true, Actor: mv.actor, At: now, Step: st}
		out[i] = mv.c
		out[i].State, out[i].OutSeq = m.To, seqs[i]
	}
	if err := n.recordEvents(&b, events); err != nil {
		return nil, err
	}
	if err := sendMoves(ctx, tx, &b, moves); err != nil {
		return nil, err
	}
	if err := n.runHooksMany(ctx, tx, ts); err != nil {
		return nil, err
	}
	return out, nil
}

// sendMoves sends moveLockedMany's batch: the compare-and-set of every case, which
// must move them all, then the outbox and the timeline.
func sendMoves(ctx context.Context, tx pgx.Tx, b *pgx.Batch, moves []caseMove) error {
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return err
	}
	moved, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	if len(moved) != len(moves) {
		for _, mv := range moves {
			if !slices.Contains(moved, mv.c.ID) {
				return &StateError{Move: mv.move, Current: mv.c.State}
			}
		}
	}
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("handoff: enqueue %d messages: %w", len(moves), err)
	}
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("handoff: record %d events: %w", len(moves), err)
	}
	return br.Close()
}

// caseEvent is one entry of a case timeline.
type caseEvent struct {
	caseID      uuid.UUID
	hall, actor string
	action      string
	from, to    State
	msgID       uuid.UUID // uuid.Nil: no message
	detail      any
}

// recordEvents queues on b the statement that appends entries to case timelines.
func (n *Node) recordEvents(b *pgx.Batch, es []caseEvent) error {
	k := len(es)
	ids, halls, actors, actions := make([]uuid.UUID, k), make([]string, k), make([]string, k), make([]string, k)
	froms, tos, details := make([]*string, k), make([]*string, k), make([]string, k)
	mids := make([]uuid.UUID, k)
	for i, e := range es {
		d, err := json.Marshal(e.detail)
		if err != nil {
			return err
		}
		ids[i], halls[i], actors[i], actions[i], details[i] = e.caseID, e.hall, e.actor, e.action, string(d)
		froms[i], tos[i], mids[i] = optState(e.from), optState(e.to), e.msgID
	}
	b.Queue(`INSERT INTO case_events (case_id, at, hall, actor, action, from_state, to_state, message_id, detail)
		SELECT u.case_id, $1, u.hall, u.actor, u.action, u.from_state, u.to_state, u.message_id, u.detail::jsonb
		FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], $9::text[])
			WITH ORDINALITY AS u(case_id, hall, actor, action, from_state, to_state, message_id, detail, ord)
		ORDER BY u.ord`, n.now(), pg.UUIDs(ids), halls, actors, actions, froms, tos, pg.NullUUIDs(mids), details)
	return nil
}

func optState(s State) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}

func optID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// recordEvent appends to the case timeline, which is also its audit trail.
func (n *Node) recordEvent(ctx context.Context, tx pgx.Tx, caseID uuid.UUID, hall, actor, action string, from, to State, msgID uuid.UUID, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_events (case_id, at, hall, actor, action, from_state, to_state, message_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, caseID, n.now(), hall, actor, action, optState(from), optState(to), optID(msgID), d)
	return err
}

func (n *Node) now() time.Time { return n.clock().UTC() }
