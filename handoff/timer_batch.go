package handoff

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/pg"
)

// onTransitions is onTransition for moves of several cases made in one transaction
// (courier events). A move whose plan only closes and opens clocks, as the transfer
// stages do, shares one statement per step with the others; any other move goes
// through onTransition.
func (d *Deadlines) onTransitions(ctx context.Context, tx pgx.Tx, ts []Transition) error {
	var closing timerKeys
	var opening []Transition
	for _, t := range ts {
		plan, ok := timerPlans[t.Move]
		if !ok {
			continue
		}
		if plan.cancelAll || len(plan.pause) > 0 || len(plan.resume) > 0 {
			if err := d.onTransition(ctx, tx, t); err != nil {
				return err
			}
			continue
		}
		for _, kind := range plan.close {
			closing.add(t.CaseID, kind, t.At)
		}
		if len(plan.open) > 0 {
			opening = append(opening, t)
		}
	}
	if err := d.closeMany(ctx, tx, closing); err != nil {
		return err
	}
	return d.openMany(ctx, tx, opening)
}

// timerKeys are (case, kind, instant) triples, as arrays for unnest.
type timerKeys struct {
	cases []uuid.UUID
	kinds []string
	ats   []time.Time
}

func (k *timerKeys) add(c uuid.UUID, kind string, at time.Time) {
	k.cases, k.kinds, k.ats = append(k.cases, c), append(k.kinds, kind), append(k.ats, at)
}

// closeMany is closeTimers (not cancelled) for many cases: every listed stage still
// open is closed met or late. One statement closes the running ones and names the
// paused ones, which are rare (a transfer clock is not paused); each of those first
// has its pause ended and its deadline computed again, as closeTimers does.
func (d *Deadlines) closeMany(ctx context.Context, tx pgx.Tx, k timerKeys) error {
	if len(k.cases) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `WITH u AS (
			SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u(case_id, kind, at)),
		closed AS (
			UPDATE timers t SET state = 'closed', closed_at = u.at, fire_at = NULL,
				outcome = CASE WHEN u.at < t.due_at THEN 'met' ELSE 'late' END
			FROM u WHERE t.case_id = u.case_id AND t.kind = u.kind AND t.state = 'running')
		SELECT t.case_id, t.kind, u.at FROM timers t JOIN u ON t.case_id = u.case_id AND t.kind = u.kind
		WHERE t.state = 'paused'`, pg.UUIDs(k.cases), k.kinds, k.ats)
	if err != nil {
		return deadlineErr("close timers", err)
	}
	type paused struct {
		caseID uuid.UUID
		kind   string
		at     time.Time
	}
	res, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (paused, error) {
		var x paused
		return x, r.Scan(&x.caseID, &x.kind, &x.at)
	})
	if err != nil {
		return deadlineErr("close timers", err)
	}
	for _, p := range res {
		if err := d.closeTimers(ctx, tx, p.caseID, []string{p.kind}, p.at, false); err != nil {
			return err
		}
	}
	return nil
}

// openMany is openTimer for every stage the transitions open, in one statement; a
// case gone meanwhile opens nothing, as in onTransition.
func (d *Deadlines) openMany(ctx context.Context, tx pgx.Tx, ts []Transition) error {
	if len(ts) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(ts))
	for i, t := range ts {
		ids[i] = t.CaseID
	}
	facts, err := loadCaseFactsMany(ctx, tx, ids)
	if err != nil {
		return deadlineErr("timer case", err)
	}
	type policyKey struct{ kind, matter string }
	policies := map[policyKey]Policy{}
	var timers []newTimerRow
	for _, t := range ts {
		f, ok := facts[t.CaseID]
		if !ok {
			continue
		}
		for _, kind := range timerPlans[t.Move].open {
			key := policyKey{kind, f.MatterCode}
			p, ok := policies[key]
			if !ok {
				if p, err = policyFor(ctx, tx, kind, f.MatterCode); err != nil {
					return err
				}
				policies[key] = p
			}
			timers = append(timers, d.newTimer(f, kind, t.At, d.handlerOf(f, kind, t), p))
		}
	}
	return insertNewTimers(ctx, tx, timers)
}

func loadCaseFactsMany(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) (map[uuid.UUID]caseFacts, error) {
	rows, err := tx.Query(ctx, `SELECT `+caseFactCols+` FROM cases WHERE id = ANY($1)`, pg.UUIDs(ids))
	if err != nil {
		return nil, err
	}
	facts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (caseFacts, error) { return scanCaseFacts(r) })
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]caseFacts, len(facts))
	for _, f := range facts {
		out[f.ID] = f
	}
	return out, nil
}

// insertNewTimers opens timers in one statement; a case that has one of the kind keeps it.
func insertNewTimers(ctx context.Context, tx pgx.Tx, ts []newTimerRow) error {
	if len(ts) == 0 {
		return nil
	}
	n := len(ts)
	ids := make([]uuid.UUID, n)
	kinds, caseNos, matters, depts, handlers, owners, units := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	limits, yellows, reds, sections, leaders := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	starts, warns, redAts, dues := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	provisional := make([]bool, n)
	fires := make([]*time.Time, n)
	for i, r := range ts {
		ids[i], kinds[i], caseNos[i], matters[i], depts[i] = r.f.ID, r.kind, r.f.CaseNo, r.f.MatterCode, r.f.Department
		handlers[i], owners[i], units[i] = r.handler, r.owner, r.spec.Unit
		limits[i], yellows[i], reds[i] = int32(r.spec.Limit), int32(r.policy.YellowPct), int32(r.policy.RedPct)
		sections[i], leaders[i] = int32(r.policy.SectionHeadAfter), int32(r.policy.LeaderAfter)
		starts[i], warns[i], redAts[i], dues[i] = r.spec.Start, r.times.Warn, r.times.Red, r.times.Due
		provisional[i], fires[i] = r.times.Provisional, r.fire
	}
	_, err := tx.Exec(ctx, `INSERT INTO timers (case_id, kind, case_no, matter_code, department, handler, owner, limit_days,
		unit, yellow_pct, red_pct, section_head_after_s, leader_after_s, started_at, warn_at, red_at, due_at, provisional,
		state, fire_at)
		SELECT u.case_id, u.kind, u.case_no, u.matter_code, u.department, u.handler, u.owner, u.limit_days, u.unit,
			u.yellow_pct, u.red_pct, u.section_head_after_s, u.leader_after_s, u.started_at, u.warn_at, u.red_at, u.due_at,
			u.provisional, 'running', u.fire_at
		FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[],
			$10::int[], $11::int[], $12::int[], $13::int[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[],
			$17::timestamptz[], $18::bool[], $19::timestamptz[])
			AS u(case_id, kind, case_no, matter_code, department, handler, owner, limit_days, unit, yellow_pct, red_pct,
				section_head_after_s, leader_after_s, started_at, warn_at, red_at, due_at, provisional, fire_at)
		ON CONFLICT (case_id, kind) DO NOTHING`,
		pg.UUIDs(ids), kinds, caseNos, matters, depts, handlers, owners, limits, units, yellows, reds, sections, leaders,
		starts, warns, redAts, dues, provisional, fires)
	return deadlineErr("open timers", err)
}
