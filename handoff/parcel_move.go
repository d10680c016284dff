package handoff

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/courier"
)

// Courier events move the case in two steps. Ingestion stores the events and, in the
// same transaction, notes on the parcel the case stage it now owes (pending_move);
// then the mover makes that case move through the state machine, which checks who
// may move the case, records it and tells the partner hall. Splitting them keeps
// ingestion batched (one transaction for many pushes) while every case move stays
// its own compare-and-set transaction; the note survives a crash between the two.

// runMoves makes owed case moves when ingestion commits, and every second.
func (p *Parcels) runMoves(ctx context.Context) error {
	t := time.NewTicker(workerInterval)
	defer t.Stop()
	for {
		for p.MoveOwed(ctx) == moveBatch && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-p.wakeMoves:
		}
	}
}

// MoveOwed makes up to moveBatch owed case moves and returns how many parcels it
// looked at. Moves go in chunks of moveChunk, one transaction each, moveWorkers
// chunks at a time; a chunk that fails is retried one move per transaction, so one
// bad case cannot hold the others back.
func (p *Parcels) MoveOwed(ctx context.Context) int {
	owed, err := courier.PendingMoves(ctx, p.n.opt.DB, moveBatch)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("read owed moves failed", slog.String("err", err.Error()))
		}
		return 0
	}
	sem := make(chan struct{}, moveWorkers)
	var wg sync.WaitGroup
	for start := 0; start < len(owed); start += moveChunk {
		chunk := owed[start:min(start+moveChunk, len(owed))]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := p.moveChunk(ctx, chunk); err == nil || ctx.Err() != nil {
				return
			}
			for _, parcel := range chunk {
				if err := p.moveCase(ctx, parcel); err != nil && ctx.Err() == nil {
					p.log.Warn("case move from courier failed", slog.String("case", parcel.CaseNo),
						slog.String("stage", parcel.PendingMove), slog.String("err", err.Error()))
				}
			}
		}()
	}
	wg.Wait()
	return len(owed)
}

// moveCase makes one owed move through localMove. A case already past it (a
// StateError), or held by the partner, is left alone: courier events never move a
// case backwards.
func (p *Parcels) moveCase(ctx context.Context, parcel courier.Parcel) error {
	move := "parcel." + parcel.PendingMove
	step := Step{Actor: "courier:" + parcel.Carrier, Status: parcel.PendingMove, Waybill: parcel.Waybill}
	_, err := p.n.localMove(ctx, parcel.CaseID.String(), move, step, nil)
	var se *StateError
	if err != nil && !errors.As(err, &se) && !errors.Is(err, ErrNotYours) && !errors.Is(err, ErrNotFound) {
		return err
	}
	return courier.ClearPendingMoves(ctx, p.n.opt.DB, []courier.Parcel{parcel})
}

// moveChunk makes several owed moves in one transaction. Each is the same move
// localMove makes (ownership and compare-and-set on the state, the message to the
// partner, the timeline, the transition hooks), repeated per case inside one
// transaction so a burst of courier events costs one commit, not one per case.
// Cases are locked in id order so concurrent chunks cannot deadlock. The notes are
// cleared after commit; a crash in between makes the move again, which the state
// check turns into nothing.
func (p *Parcels) moveChunk(ctx context.Context, chunk []courier.Parcel) error {
	chunk = slices.Clone(chunk)
	slices.SortFunc(chunk, func(a, b courier.Parcel) int { return bytes.Compare(a.CaseID[:], b.CaseID[:]) })
	var made []string
	err := pgx.BeginFunc(ctx, p.n.opt.DB, func(tx pgx.Tx) error {
		made = made[:0]
		for _, parcel := range chunk {
			move := "parcel." + parcel.PendingMove
			m, ok := Moves[move]
			if !ok {
				continue
			}
			step := Step{Actor: "courier:" + parcel.Carrier, Status: parcel.PendingMove, Waybill: parcel.Waybill}
			c, err := lockCase(ctx, tx, parcel.CaseID.String())
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if c.sideOf(p.n.opt.Code)&m.By == 0 || !m.allows(c.State) {
				continue // past it already, or not ours to move
			}
			if _, err := p.n.moveLocked(ctx, tx, c, move, step.Actor, step); err != nil {
				return err
			}
			made = append(made, move)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, move := range made {
		p.n.metrics.moves.WithLabelValues(move, "local").Inc()
	}
	return courier.ClearPendingMoves(ctx, p.n.opt.DB, chunk)
}

// onAdvance runs inside an ingestion batch: a status that is not a receipt by the
// addressee (proxy, locker) or a return raises an incident for staff and a line on
// the case timeline, in the same transaction as the events.
func (p *Parcels) onAdvance(ctx context.Context, tx pgx.Tx, adv []courier.Advance) error {
	for _, a := range adv {
		kind := courier.IncidentOf(a.Parcel.Status)
		if kind == "" || a.From == a.Parcel.Status || a.Parcel.Role != courier.RoleOrigin {
			continue
		}
		last := a.Events[len(a.Events)-1]
		detail := map[string]any{"waybill": a.Parcel.Waybill, "status": a.Parcel.Status, "raw_code": a.Parcel.RawCode,
			"raw_text": last.RawText, "carrier_time": last.At}
		if err := p.raiseIncident(ctx, tx, a.Parcel, kind, detail, p.n.now()); err != nil {
			return err
		}
	}
	return nil
}
