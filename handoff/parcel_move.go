package handoff

import (
	"context"
	"errors"
	"log/slog"
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

// MoveOwed makes up to moveBatch owed case moves, moveWorkers at a time, and
// returns how many parcels it looked at.
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
	for _, parcel := range owed {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := p.moveCase(ctx, parcel); err != nil && ctx.Err() == nil {
				p.log.Warn("case move from courier failed", slog.String("case", parcel.CaseNo), slog.String("stage", parcel.PendingMove),
					slog.String("err", err.Error()))
			}
		}()
	}
	wg.Wait()
	return len(owed)
}

// moveCase makes one owed move. A case already past it (a StateError), or held by
// the partner, is left alone: courier events never move a case backwards.
func (p *Parcels) moveCase(ctx context.Context, parcel courier.Parcel) error {
	move := "parcel." + parcel.PendingMove
	step := Step{Actor: "courier:" + parcel.Carrier, Status: parcel.PendingMove, Waybill: parcel.Waybill}
	_, err := p.n.localMove(ctx, parcel.CaseID.String(), move, step, nil)
	var se *StateError
	if err != nil && !errors.As(err, &se) && !errors.Is(err, ErrNotYours) && !errors.Is(err, ErrNotFound) {
		return err
	}
	return courier.ClearPendingMove(ctx, p.n.opt.DB, parcel.ID, parcel.PendingMove)
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
