package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/bus"
)

// TypeDeadlineAlert is the message of an alert on the supervision topic.
const TypeDeadlineAlert = "deadline.alert"

// Alert levels.
const (
	LevelYellow         = "yellow"
	LevelRed            = "red"
	LevelOverdue        = "overdue"
	LevelDeemedAccepted = "deemed_accepted"
)

// Recipients on the escalation ladder.
const (
	RecipientHandler     = "handler"
	RecipientSectionHead = "section_head"
	RecipientLeader      = "leader"
)

// Alert is one fired step of a timer, as the supervision topic and the notifiers get
// it. It names the case and the staff, never the applicant.
type Alert struct {
	ID         uuid.UUID `json:"id"`
	Hall       string    `json:"hall"`
	CaseID     uuid.UUID `json:"case_id"`
	CaseNo     string    `json:"case_no"`
	Kind       string    `json:"kind"`
	Level      string    `json:"level"`
	Recipient  string    `json:"recipient"`
	MatterCode string    `json:"matter_code"`
	Department string    `json:"department"`
	Handler    string    `json:"handler"`
	DueAt      time.Time `json:"due_at"`
	FiredAt    time.Time `json:"fired_at"`
	TimerID    int64     `json:"timer_id"`
	Stage      int       `json:"stage"`
}

// dueTimer is a claimed timer as the sweep needs it.
type dueTimer struct {
	id                         int64
	caseID                     uuid.UUID
	caseNo, kind, matter, dept string
	handler                    string
	started, warn, red, due    time.Time
	stage, sectionHead, leader int
}

// levelOf names a step.
func levelOf(stage int) (level, recipient string) {
	switch stage {
	case stageYellow:
		return LevelYellow, RecipientHandler
	case stageRed:
		return LevelRed, RecipientHandler
	case stageOverdue:
		return LevelOverdue, RecipientHandler
	case stageSectionHead:
		return LevelOverdue, RecipientSectionHead
	}
	return LevelOverdue, RecipientLeader
}

// SweepOnce fires every due step, batch after batch, and returns how many alerts it
// fired. Each batch is one transaction: claim with SKIP LOCKED, move the timers on,
// insert the alerts and their outbox rows. Two sweepers never claim the same row, and
// a timer's stage only climbs, so no step fires twice; that is also what lets one
// sweep run Parallel batch loops at once, so signing in Go and writing in PostgreSQL
// overlap. A batch that has started finishes even if ctx ends, so shutdown does not
// waste the work.
func (d *Deadlines) SweepOnce(ctx context.Context) (int, error) {
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, max(1, d.Parallel))
	for w := range errs {
		wg.Go(func() {
			for ctx.Err() == nil {
				claimed, fired, err := d.sweepBatch(context.WithoutCancel(ctx), d.now())
				total.Add(int64(fired))
				if err != nil {
					errs[w] = err
					return
				}
				if claimed < d.Batch {
					return
				}
			}
		})
	}
	wg.Wait()
	return int(total.Load()), errors.Join(errs...)
}

// sweepBatch claims up to Batch due timers and fires them; it returns how many it
// claimed and how many alerts it fired.
func (d *Deadlines) sweepBatch(ctx context.Context, now time.Time) (claimed, fired int, err error) {
	err = pgx.BeginFunc(ctx, d.n.opt.DB, func(tx pgx.Tx) error {
		due, err := claimDue(ctx, tx, now, d.Batch)
		if err != nil || len(due) == 0 {
			return err
		}
		claimed = len(due)
		upd := timerUpdates{}
		var alerts []Alert
		var deemed []dueTimer
		for _, t := range due {
			times := stageTimes(t.warn, t.red, t.due, t.sectionHead, t.leader)
			s := t.stage
			for s < stageLeader && !now.Before(times[s]) {
				s++
			}
			state, outcome := "running", ""
			fire := nextFire(true, s, times)
			level, recipient := levelOf(s)
			if t.kind == TimerIntakeDecision && s >= stageOverdue {
				// Art. 32: no decision on intake within the limit counts as acceptance on
				// the day the materials arrived. Fire once and end the stage.
				s, state, outcome, fire = stageOverdue, "closed", LevelDeemedAccepted, nil
				level, recipient = LevelDeemedAccepted, RecipientHandler
				deemed = append(deemed, t)
			}
			upd.add(t.id, s, fire, state, outcome, now)
			if s == t.stage {
				continue
			}
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			alerts = append(alerts, Alert{ID: id, Hall: d.n.opt.Code, CaseID: t.caseID, CaseNo: t.caseNo, Kind: t.kind,
				Level: level, Recipient: recipient, MatterCode: t.matter, Department: t.dept, Handler: t.handler,
				DueAt: t.due, FiredAt: now, TimerID: t.id, Stage: s})
		}
		// Sign while PostgreSQL moves the timers on: the two use different cores.
		sealed := make(chan sealResult, 1)
		go func() {
			msgs, err := d.sealAlerts(alerts)
			sealed <- sealResult{msgs, err}
		}()
		if err := upd.apply(ctx, tx); err != nil {
			<-sealed
			return err
		}
		sr := <-sealed
		if sr.err != nil {
			return sr.err
		}
		if err := insertAlerts(ctx, tx, alerts, sr.msgs); err != nil {
			return err
		}
		for _, t := range deemed {
			if err := d.deemAccepted(ctx, tx, t); err != nil {
				return err
			}
		}
		fired = len(alerts)
		return nil
	})
	if err != nil {
		return 0, 0, deadlineErr("sweep", err)
	}
	if fired > 0 {
		d.wakeNotifier()
		d.log.Debug("deadline sweep", slog.Int("claimed", claimed), slog.Int("fired", fired))
	}
	return claimed, fired, nil
}

// sweepQuery reads only the partial index timers_fire from its start up to now: its
// cost follows the due timers, whatever the number of open ones.
const sweepQuery = `SELECT id, case_id, case_no, kind, matter_code, department, handler, started_at, warn_at, red_at,
	due_at, stage, section_head_after_s, leader_after_s
	FROM timers WHERE state = 'running' AND fire_at <= $1 ORDER BY fire_at LIMIT $2 FOR UPDATE SKIP LOCKED`

func claimDue(ctx context.Context, tx pgx.Tx, now time.Time, limit int) ([]dueTimer, error) {
	rows, err := tx.Query(ctx, sweepQuery, now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (dueTimer, error) {
		var t dueTimer
		err := r.Scan(&t.id, &t.caseID, &t.caseNo, &t.kind, &t.matter, &t.dept, &t.handler, &t.started, &t.warn,
			&t.red, &t.due, &t.stage, &t.sectionHead, &t.leader)
		return t, err
	})
}

// timerUpdates moves a batch of timers on in one statement.
type timerUpdates struct {
	ids      []int64
	stages   []int16
	fires    []*time.Time
	states   []string
	outcomes []*string
	closedAt []*time.Time
}

func (u *timerUpdates) add(id int64, stage int, fire *time.Time, state, outcome string, now time.Time) {
	u.ids = append(u.ids, id)
	u.stages = append(u.stages, int16(stage))
	u.fires = append(u.fires, fire)
	u.states = append(u.states, state)
	if outcome != "" {
		u.outcomes = append(u.outcomes, &outcome)
		u.closedAt = append(u.closedAt, &now)
	} else {
		u.outcomes = append(u.outcomes, nil)
		u.closedAt = append(u.closedAt, nil)
	}
}

func (u *timerUpdates) apply(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `UPDATE timers t SET stage = u.stage, fire_at = u.fire_at, state = u.state,
		outcome = coalesce(u.outcome, t.outcome), closed_at = coalesce(u.closed_at, t.closed_at)
		FROM unnest($1::bigint[], $2::smallint[], $3::timestamptz[], $4::text[], $5::text[], $6::timestamptz[])
		AS u(id, stage, fire_at, state, outcome, closed_at) WHERE t.id = u.id`,
		u.ids, u.stages, u.fires, u.states, u.outcomes, u.closedAt)
	return err
}

// insertAlerts writes the alerts and their signed supervision messages with COPY, in
// the sweep's transaction: an alert exists if and only if its message does.
func insertAlerts(ctx context.Context, tx pgx.Tx, alerts []Alert, sealed []sealedMsg) error {
	if len(alerts) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"deadline_alerts"}, []string{"id", "timer_id", "case_id", "case_no", "kind",
		"matter_code", "department", "handler", "level", "stage", "recipient", "due_at", "fired_at", "notify_after"},
		pgx.CopyFromSlice(len(alerts), func(i int) ([]any, error) {
			a := alerts[i]
			return []any{a.ID, a.TimerID, a.CaseID, a.CaseNo, a.Kind, a.MatterCode, a.Department, a.Handler, a.Level,
				int16(a.Stage), a.Recipient, a.DueAt, a.FiredAt, a.FiredAt}, nil
		}))
	if err != nil {
		return fmt.Errorf("insert alerts: %w", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"outbox"}, []string{"id", "topic", "key", "value", "headers"},
		pgx.CopyFromSlice(len(alerts), func(i int) ([]any, error) {
			return []any{alerts[i].ID, bus.SupervisionTopic, alerts[i].CaseID.String(), sealed[i].value, sealed[i].headers}, nil
		}))
	if err != nil {
		return fmt.Errorf("queue alerts: %w", err)
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify($1, '')`, outboxChannel)
	return err
}

type sealedMsg struct {
	value   []byte
	headers []byte
}

type sealResult struct {
	msgs []sealedMsg
	err  error
}

// sealAlerts signs the alerts' envelopes, on every core for a large batch: signing
// is the sweep's main CPU cost.
func (d *Deadlines) sealAlerts(alerts []Alert) ([]sealedMsg, error) {
	out := make([]sealedMsg, len(alerts))
	if len(alerts) == 0 {
		return out, nil
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(alerts)/64))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(alerts); i += workers {
				if out[i], errs[w] = d.sealAlert(alerts[i]); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d *Deadlines) sealAlert(a Alert) (sealedMsg, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return sealedMsg{}, err
	}
	env := Envelope{ID: a.ID.String(), Type: TypeDeadlineAlert, Schema: SchemaVersion, From: d.n.opt.Code, To: "supervision",
		CaseID: a.CaseID.String(), Seq: int64(a.Stage), At: a.FiredAt.UTC().Truncate(time.Microsecond), Payload: body}
	value, headers, err := d.n.keys.Seal(env)
	if err != nil {
		return sealedMsg{}, err
	}
	hdr, err := json.Marshal(headers)
	return sealedMsg{value, hdr}, err
}

// deemAccepted records Art. 32's deemed acceptance on the case's timeline and starts
// the decision clocks from the day the materials arrived.
func (d *Deadlines) deemAccepted(ctx context.Context, tx pgx.Tx, t dueTimer) error {
	f, err := loadCaseFacts(ctx, tx, t.caseID)
	if err != nil {
		return fmt.Errorf("deemed acceptance: %w", err)
	}
	if err := d.n.recordEvent(ctx, tx, t.caseID, d.n.opt.Code, "deadline", "deadline.deemed_accepted", "", "", uuid.Nil,
		map[string]any{"received_at": t.started, "due_at": t.due, "basis": "行政许可法第三十二条 Art. 32"}); err != nil {
		return err
	}
	for _, kind := range []string{TimerPromised, TimerLegal} {
		if err := d.openTimer(ctx, tx, f, kind, t.started, t.handler); err != nil {
			return err
		}
	}
	return nil
}
