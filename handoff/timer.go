package handoff

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// caseFacts are what timers copy from their case, so neither the sweep nor the
// supervision counts need to join the cases table.
type caseFacts struct {
	ID            uuid.UUID
	CaseNo        string
	Origin        string
	Destination   string
	MatterCode    string
	Department    string
	Clerk         string
	PromisedLimit int
	LegalLimit    int
	LimitUnit     string
}

func loadCaseFacts(ctx context.Context, tx pgx.Tx, id uuid.UUID) (caseFacts, error) {
	f, err := scanCaseFacts(tx.QueryRow(ctx, `SELECT `+caseFactCols+` FROM cases WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return f, ErrNotFound
	}
	return f, err
}

const caseFactCols = `id, case_no, origin, destination, matter_code, department, clerk, promised_limit, legal_limit, limit_unit`

func scanCaseFacts(row pgx.Row) (caseFacts, error) {
	var f caseFacts
	err := row.Scan(&f.ID, &f.CaseNo, &f.Origin, &f.Destination, &f.MatterCode, &f.Department, &f.Clerk,
		&f.PromisedLimit, &f.LegalLimit, &f.LimitUnit)
	return f, err
}

// ownerOf is the hall that fires a stage's alerts.
func (f caseFacts) ownerOf(kind string) string {
	if timerOwner(kind) == OriginSide {
		return f.Origin
	}
	return f.Destination
}

// openTimer starts a stage's timer at start, unless the case already has one of that
// kind: a repeated or late move never restarts a clock (a deemed acceptance keeps the
// day the materials arrived when the formal acceptance follows).
func (d *Deadlines) openTimer(ctx context.Context, tx pgx.Tx, f caseFacts, kind string, start time.Time, handler string) error {
	p, err := policyFor(ctx, tx, kind, f.MatterCode)
	if err != nil {
		return err
	}
	r := d.newTimer(f, kind, start, handler, p)
	_, err = tx.Exec(ctx, `INSERT INTO timers (case_id, kind, case_no, matter_code, department, handler, owner, limit_days,
		unit, yellow_pct, red_pct, section_head_after_s, leader_after_s, started_at, warn_at, red_at, due_at, provisional,
		state, fire_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,'running',$19)
		ON CONFLICT (case_id, kind) DO NOTHING`,
		f.ID, kind, f.CaseNo, f.MatterCode, f.Department, handler, r.owner, r.spec.Limit, r.spec.Unit, p.YellowPct, p.RedPct,
		p.SectionHeadAfter, p.LeaderAfter, start, r.times.Warn, r.times.Red, r.times.Due, r.times.Provisional, r.fire)
	return deadlineErr("open timer", err)
}

// newTimerRow is a timer about to be opened: its limit under the policy, its
// instants, the hall that owns it and when the sweep first looks at it.
type newTimerRow struct {
	f       caseFacts
	kind    string
	handler string
	policy  Policy
	spec    timerSpec
	times   timerTimes
	owner   string
	fire    *time.Time
}

func (d *Deadlines) newTimer(f caseFacts, kind string, start time.Time, handler string, p Policy) newTimerRow {
	spec := timerSpec{Start: start, YellowPct: p.YellowPct, RedPct: p.RedPct}
	switch {
	case p.LimitDays != nil:
		spec.Limit = *p.LimitDays
	case kind == TimerLegal:
		spec.Limit = f.LegalLimit
	default:
		spec.Limit = f.PromisedLimit
	}
	spec.Unit = p.Unit
	if spec.Unit == "" {
		spec.Unit = f.LimitUnit
	}
	if spec.Unit != UnitNatural {
		spec.Unit = UnitWorking
	}
	tt := computeTimes(d.cal, spec, nil)
	owner := f.ownerOf(kind)
	fire := nextFire(owner == d.n.opt.Code, stageNone, stageTimes(tt.Warn, tt.Red, tt.Due, p.SectionHeadAfter, p.LeaderAfter))
	return newTimerRow{f: f, kind: kind, handler: handler, policy: p, spec: spec, times: tt, owner: owner, fire: fire}
}

// closeTimers ends the stages that a move completes. A paused timer first gets its
// pause ended, so the outcome is judged against the deadline as the pause moved it.
func (d *Deadlines) closeTimers(ctx context.Context, tx pgx.Tx, caseID uuid.UUID, kinds []string, at time.Time, cancelled bool) error {
	if err := d.resumeTimers(ctx, tx, caseID, kinds, at); err != nil {
		return err
	}
	outcome := `CASE WHEN $3 < due_at THEN 'met' ELSE 'late' END`
	if cancelled {
		outcome = `'cancelled'`
	}
	_, err := tx.Exec(ctx, `UPDATE timers SET state = 'closed', closed_at = $3, fire_at = NULL, outcome = `+outcome+`
		WHERE case_id = $1 AND kind = ANY($2) AND state <> 'closed'`, caseID, kinds, at)
	return deadlineErr("close timers", err)
}

// pauseTimers stops the clocks of running stages and records why.
func (d *Deadlines) pauseTimers(ctx context.Context, tx pgx.Tx, caseID uuid.UUID, kinds []string, at time.Time, reason, note, who string) error {
	rows, err := tx.Query(ctx, `UPDATE timers SET state = 'paused', paused_at = $3, fire_at = NULL
		WHERE case_id = $1 AND kind = ANY($2) AND state = 'running' RETURNING id`, caseID, kinds, at)
	if err != nil {
		return deadlineErr("pause timers", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return deadlineErr("pause timers", err)
	}
	for _, id := range ids {
		if _, err := tx.Exec(ctx, `INSERT INTO timer_pauses (timer_id, case_id, reason, note, actor, paused_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, caseID, reason, note, who, at); err != nil {
			return deadlineErr("record pause", err)
		}
	}
	return nil
}

// resumeTimers restarts paused stages: the pause gets its end, and the deadline and
// lights are computed again from the start and every pause.
func (d *Deadlines) resumeTimers(ctx context.Context, tx pgx.Tx, caseID uuid.UUID, kinds []string, at time.Time) error {
	rows, err := tx.Query(ctx, `UPDATE timers SET state = 'running', paused_at = NULL
		WHERE case_id = $1 AND kind = ANY($2) AND state = 'paused' RETURNING id`, caseID, kinds)
	if err != nil {
		return deadlineErr("resume timers", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return deadlineErr("resume timers", err)
	}
	for _, id := range ids {
		if err := d.endPause(ctx, tx, id, at); err != nil {
			return err
		}
	}
	return nil
}

// endPause gives a resumed timer's pause its end and computes the timer again.
func (d *Deadlines) endPause(ctx context.Context, tx pgx.Tx, id int64, at time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE timer_pauses SET resumed_at = $2 WHERE timer_id = $1 AND resumed_at IS NULL`, id, at); err != nil {
		return deadlineErr("end pause", err)
	}
	return d.recompute(ctx, tx, id)
}

// recompute sets a timer's instants from its start, its limit and its finished
// pauses with the calendar as it stands now, and when the sweep must look next.
func (d *Deadlines) recompute(ctx context.Context, tx pgx.Tx, id int64) error {
	var s timerSpec
	var owner, state string
	var stage, sectionHead, leader int
	err := tx.QueryRow(ctx, `SELECT started_at, limit_days, unit, yellow_pct, red_pct, owner, state, stage,
		section_head_after_s, leader_after_s FROM timers WHERE id = $1 FOR UPDATE`, id).Scan(&s.Start, &s.Limit, &s.Unit,
		&s.YellowPct, &s.RedPct, &owner, &state, &stage, &sectionHead, &leader)
	if err != nil {
		return deadlineErr("recompute timer", err)
	}
	rows, err := tx.Query(ctx, `SELECT paused_at, resumed_at FROM timer_pauses WHERE timer_id = $1 ORDER BY id`, id)
	if err != nil {
		return deadlineErr("recompute timer", err)
	}
	pauses, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pauseSpan, error) {
		var p pauseSpan
		var to *time.Time
		err := r.Scan(&p.From, &to)
		if to != nil {
			p.To = *to
		}
		return p, err
	})
	if err != nil {
		return deadlineErr("recompute timer", err)
	}
	tt := computeTimes(d.cal, s, pauses)
	var fire *time.Time
	if state == "running" {
		fire = nextFire(owner == d.n.opt.Code, stage, stageTimes(tt.Warn, tt.Red, tt.Due, sectionHead, leader))
	}
	_, err = tx.Exec(ctx, `UPDATE timers SET warn_at = $2, red_at = $3, due_at = $4, provisional = $5, fire_at = $6
		WHERE id = $1`, id, tt.Warn, tt.Red, tt.Due, tt.Provisional, fire)
	return deadlineErr("recompute timer", err)
}
