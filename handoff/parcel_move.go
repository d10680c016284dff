package handoff

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/courier"

	"github.com/tongban/tongban/internal/pg"
)

// Courier events move the case. Ingestion stores the events and notes on the parcel
// the case stage it now owes (pending_move); in the same transaction, settleOwed makes
// those moves through the state machine (who may move the case, compare-and-set on
// its state, the message to the partner, timeline, audit and timers), for all the
// batch's cases at once, and clears the notes. A case another transaction holds, or
// a batch of moves that fails, leaves its notes for the mover, which makes them in
// chunks (and one by one when a chunk fails); the note survives a crash.

// wakeIfOwed wakes the mover when an ingestion batch left moves owed.
func (p *Parcels) wakeIfOwed(adv []courier.Advance) {
	for _, a := range adv {
		if a.Parcel.PendingMove != "" {
			wake(p.wakeMoves)
			return
		}
	}
}

// runMoves makes owed case moves when ingestion leaves some, and every second.
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

// moveChunk makes several owed moves in one transaction, as settleOwed does inside
// an ingestion batch, but waiting for cases others hold. The notes are cleared in the
// same transaction, so a move and its note go together.
func (p *Parcels) moveChunk(ctx context.Context, chunk []courier.Parcel) error {
	var made []string
	err := pgx.BeginFunc(ctx, p.n.opt.DB, func(tx pgx.Tx) error {
		var settled []courier.Parcel
		var err error
		made, settled, err = p.moveOwed(ctx, tx, chunk, false)
		if err != nil {
			return err
		}
		return courier.ClearPendingMoves(ctx, tx, settled)
	})
	if err != nil {
		return err
	}
	p.countMoves(made)
	return nil
}

// settleOwed runs inside an ingestion batch, which holds the locks of its parcels:
// it makes the case moves they owe in the same transaction, so a courier event and
// the case move it causes commit together, and returns the parcels whose notes are
// settled. A case another transaction holds is skipped (SKIP LOCKED: ingestion never
// waits for a case while it holds parcels) and its parcel stays owed for the mover,
// as do all of them when a move fails: the savepoint undoes the moves, not the events.
func (p *Parcels) settleOwed(ctx context.Context, tx pgx.Tx, owed []courier.Parcel) ([]uuid.UUID, func(), error) {
	made, settled, err := p.moveOwed(ctx, tx, owed, true)
	if err != nil {
		// The savepoint stays open to the end of the batch (no RELEASE round trip);
		// rolling back to it keeps the events and undoes the moves.
		if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT owed_moves`); rerr != nil {
			return nil, nil, rerr
		}
		p.log.Warn("case moves in the ingestion batch failed; the mover makes them", slog.Int("parcels", len(owed)),
			slog.String("err", err.Error()))
		return nil, nil, nil
	}
	ids := make([]uuid.UUID, len(settled))
	for i, parcel := range settled {
		ids[i] = parcel.ID
	}
	return ids, func() { p.countMoves(made) }, nil
}

// moveOwed locks the cases of parcels that owe a move (in id order, so concurrent
// batches cannot deadlock; with skipLocked, only those no one else holds) and makes
// every owed move that is still due, through moveLockedMany: ownership and
// compare-and-set on the state, the message to the partner, the timeline and the
// hooks, in one statement per table. A move the case is past already, or that is
// not this hall's to make, is settled without a move: courier events never move a
// case backwards. It returns the moves made and the parcels settled; a parcel whose
// case it could not lock is neither. Inside an ingestion batch (skipLocked), the
// lock is taken after the savepoint owed_moves, in the same round trip.
func (p *Parcels) moveOwed(ctx context.Context, tx pgx.Tx, owed []courier.Parcel, skipLocked bool) ([]string, []courier.Parcel, error) {
	owed = slices.Clone(owed)
	slices.SortStableFunc(owed, func(a, b courier.Parcel) int { return bytes.Compare(a.CaseID[:], b.CaseID[:]) })
	ids := make([]uuid.UUID, 0, len(owed))
	for _, parcel := range owed {
		if len(ids) == 0 || ids[len(ids)-1] != parcel.CaseID {
			ids = append(ids, parcel.CaseID)
		}
	}
	locked, err := lockOwedCases(ctx, tx, ids, skipLocked)
	if err != nil {
		return nil, nil, err
	}
	heads := make(map[uuid.UUID]caseHead, len(locked))
	for _, c := range locked {
		heads[c.ID] = c
	}
	var made []string
	var settled []courier.Parcel
	// A case owed moves by two parcels (a resent parcel) takes them in rounds, each
	// checked against the state the one before left.
	for len(owed) > 0 {
		var round []caseMove
		var later []courier.Parcel
		inRound := map[uuid.UUID]bool{}
		for _, parcel := range owed {
			c, ok := heads[parcel.CaseID]
			switch {
			case !ok && skipLocked:
				continue // held elsewhere: the mover makes it
			case !ok:
				settled = append(settled, parcel) // the case is gone
				continue
			case inRound[c.ID]:
				later = append(later, parcel)
				continue
			}
			move := "parcel." + parcel.PendingMove
			settled = append(settled, parcel)
			if m, ok := Moves[move]; !ok || c.sideOf(p.n.opt.Code)&m.By == 0 || !m.allows(c.State) {
				continue // past it already, or not ours to move
			}
			inRound[c.ID] = true
			step := Step{Actor: "courier:" + parcel.Carrier, Status: parcel.PendingMove, Waybill: parcel.Waybill}
			round = append(round, caseMove{c: c, move: move, actor: step.Actor, payload: step})
		}
		if len(round) > 0 {
			moved, err := p.n.moveLockedMany(ctx, tx, round)
			if err != nil {
				return nil, nil, err
			}
			for i, c := range moved {
				heads[c.ID] = c
				made = append(made, round[i].move)
			}
		}
		owed = later
	}
	return made, settled, nil
}

func lockOwedCases(ctx context.Context, tx pgx.Tx, ids []uuid.UUID, skipLocked bool) ([]caseHead, error) {
	var b pgx.Batch
	lock := `FOR UPDATE`
	if skipLocked {
		b.Queue(`SAVEPOINT owed_moves`)
		lock += ` SKIP LOCKED`
	}
	b.Queue(`SELECT `+headCols+` FROM cases WHERE id = ANY($1) ORDER BY id `+lock, pg.UUIDs(ids))
	br := tx.SendBatch(ctx, &b)
	defer br.Close()
	if skipLocked {
		if _, err := br.Exec(); err != nil {
			return nil, err
		}
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	locked, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (caseHead, error) { return scanHead(r) })
	if err != nil {
		return nil, err
	}
	return locked, br.Close()
}

func (p *Parcels) countMoves(made []string) {
	for _, move := range made {
		p.n.metrics.moves.WithLabelValues(move, "local").Inc()
	}
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
