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
// stages do, shares its statements with the others: one round trip reads what the
// clocks need (paused clocks among those to close, the cases' facts, the policies),
// and the closing and opening are queued on w; any other move goes through
// onTransition.
func (d *Deadlines) onTransitions(ctx context.Context, tx pgx.Tx, ts []Transition, w *pg.Writes) error {
	var closing timerKeys
	var opening []Transition
	var kinds []string
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
			kinds = append(kinds, plan.open...)
		}
	}
	if len(closing.cases) == 0 && len(opening) == 0 {
		return nil
	}
	r, err := d.readForTransitions(ctx, tx, closing, opening, kinds)
	if err != nil {
		return err
	}
	// A paused clock (rare: a transfer clock is not paused) first has its pause ended
	// and its deadline computed again, as closeTimers does; the running ones are
	// closed by the queued statement, by id and only if still running. (By id, not
	// by state: a planner with stale statistics would read every running timer
	// through the timers_fire index to find a few.)
	var ids []int64
	var ats []time.Time
	var states []string
	for _, tm := range r.open {
		switch tm.state {
		case "paused":
			if err := d.closeTimers(ctx, tx, tm.caseID, []string{tm.kind}, tm.at, false); err != nil {
				return err
			}
		case "running":
			ids, ats, states = append(ids, tm.id), append(ats, tm.at), append(states, tm.state)
		}
	}
	if len(ids) > 0 {
		w.Add("handoff: close timers", `UPDATE timers t SET state = 'closed', closed_at = u.at, fire_at = NULL,
				outcome = CASE WHEN u.at < t.due_at THEN 'met' ELSE 'late' END
			FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS u(id, at, state)
			WHERE t.id = u.id AND t.id = ANY($1) AND t.state = u.state`, ids, ats, states)
	}
	var timers []newTimerRow
	for _, t := range opening {
		f, ok := r.facts[t.CaseID]
		if !ok {
			continue // the case is gone: no clock, as in onTransition
		}
		for _, kind := range timerPlans[t.Move].open {
			timers = append(timers, d.newTimer(f, kind, t.At, d.handlerOf(f, kind, t), r.policy(kind, f.MatterCode)))
		}
	}
	queueNewTimers(w, timers)
	return nil
}

// closingTimer is a timer a transition closes, as it stood when read.
type closingTimer struct {
	id     int64
	caseID uuid.UUID
	kind   string
	state  string
	at     time.Time
}

// transitionReads is what onTransitions reads before it writes.
type transitionReads struct {
	open     []closingTimer // the timers to close that are not closed yet
	facts    map[uuid.UUID]caseFacts
	policies map[[2]string]Policy // by kind and matter ("" for every matter)
}

// policy is policyFor from the policies read: the matter's own, else the kind's,
// else the built-in default.
func (r transitionReads) policy(kind, matter string) Policy {
	if p, ok := r.policies[[2]string{kind, matter}]; ok {
		return p
	}
	if p, ok := r.policies[[2]string{kind, ""}]; ok {
		return p
	}
	return defaultPolicy(kind)
}

func (d *Deadlines) readForTransitions(ctx context.Context, tx pgx.Tx, closing timerKeys, opening []Transition, kinds []string) (transitionReads, error) {
	r := transitionReads{facts: map[uuid.UUID]caseFacts{}, policies: map[[2]string]Policy{}}
	var b pgx.Batch
	if len(closing.cases) > 0 {
		// No condition on the state here either, for the same reason. Each clock is
		// found through its key, (case, kind): a lateral subquery with a limit is not
		// turned into a join, which the planner hashed against a scan of every timer.
		b.Queue(`SELECT t.id, t.case_id, t.kind, t.state, u.at
			FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u(case_id, kind, at)
			CROSS JOIN LATERAL (SELECT id, case_id, kind, state FROM timers
				WHERE case_id = u.case_id AND kind = u.kind LIMIT 1) t`,
			pg.UUIDs(closing.cases), closing.kinds, closing.ats).Query(func(rows pgx.Rows) error {
			var err error
			r.open, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (closingTimer, error) {
				var c closingTimer
				return c, row.Scan(&c.id, &c.caseID, &c.kind, &c.state, &c.at)
			})
			return err
		})
	}
	if len(opening) > 0 {
		ids := make([]uuid.UUID, len(opening))
		for i, t := range opening {
			ids[i] = t.CaseID
		}
		b.Queue(`SELECT `+caseFactCols+` FROM cases WHERE id = ANY($1)`, pg.UUIDs(ids)).Query(func(rows pgx.Rows) error {
			facts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (caseFacts, error) { return scanCaseFacts(row) })
			for _, f := range facts {
				r.facts[f.ID] = f
			}
			return err
		})
		b.Queue(`SELECT `+policyCols+` FROM deadline_policies WHERE kind = ANY($1)`, kinds).Query(func(rows pgx.Rows) error {
			ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Policy, error) { return scanPolicy(row) })
			for _, p := range ps {
				r.policies[[2]string{p.Kind, p.MatterCode}] = p
			}
			return err
		})
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return r, deadlineErr("timers of transitions", err)
	}
	return r, nil
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

// queueNewTimers queues on w the statement that opens timers; a case that has one
// of the kind keeps it.
func queueNewTimers(w *pg.Writes, ts []newTimerRow) {
	if len(ts) == 0 {
		return
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
	w.Add("handoff: open timers", `INSERT INTO timers (case_id, kind, case_no, matter_code, department, handler, owner, limit_days,
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
}
