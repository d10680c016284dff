package handoff

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// routes serves the supervision API (电子监察): lights, the overdue list, each case's
// countdown and timeline, alerts, the timer policy and the calendar years.
func (d *Deadlines) routes() {
	d.n.Route("GET /api/v1/supervision/lights", d.getLights)
	d.n.Route("GET /api/v1/supervision/overdue", d.getOverdue)
	d.n.Route("GET /api/v1/supervision/alerts", d.getAlerts)
	d.n.Route("GET /api/v1/supervision/cases/{id}", d.getCaseClock)
	d.n.Route("GET /api/v1/supervision/policies", d.listPolicies)
	d.n.Route("PUT /api/v1/supervision/policies/{kind}", d.putPolicy)
	d.n.Route("DELETE /api/v1/supervision/policies/{kind}", d.deletePolicy)
	d.n.Route("GET /api/v1/workcal/years", d.listYears)
	d.n.Route("POST /api/v1/workcal/years", d.postYear)
	d.n.Route("GET /api/v1/workcal/working-days", d.getWorkingDays)
}

// TimerView is a timer as supervisors see it: its instants, its light and the days
// left (negative once overdue), with the pauses that moved it.
type TimerView struct {
	ID            int64       `json:"id"`
	CaseID        uuid.UUID   `json:"case_id"`
	CaseNo        string      `json:"case_no"`
	Kind          string      `json:"kind"`
	Owner         string      `json:"owner"`
	Handler       string      `json:"handler"`
	MatterCode    string      `json:"matter_code"`
	Department    string      `json:"department"`
	LimitDays     int         `json:"limit_days"`
	Unit          string      `json:"unit"`
	StartedAt     time.Time   `json:"started_at"`
	WarnAt        time.Time   `json:"warn_at"`
	RedAt         time.Time   `json:"red_at"`
	DueAt         time.Time   `json:"due_at"`
	LastDay       string      `json:"last_day"`
	Provisional   bool        `json:"provisional"`
	State         string      `json:"state"`
	Light         string      `json:"light"`
	RemainingDays int         `json:"remaining_days"`
	AlertsFired   int         `json:"alert_stage"`
	ClosedAt      *time.Time  `json:"closed_at,omitempty"`
	Outcome       *string     `json:"outcome,omitempty"`
	Pauses        []PauseView `json:"pauses"`
	pausedAt      *time.Time
}

// PauseView is one stop of a clock with its reason.
type PauseView struct {
	Reason    string     `json:"reason"`
	Note      string     `json:"note,omitempty"`
	Actor     string     `json:"actor"`
	PausedAt  time.Time  `json:"paused_at"`
	ResumedAt *time.Time `json:"resumed_at,omitempty"`
}

const timerViewCols = `id, case_id, case_no, kind, owner, handler, matter_code, department, limit_days, unit, started_at,
	warn_at, red_at, due_at, provisional, state, stage, closed_at, outcome, paused_at`

func scanTimerView(r pgx.CollectableRow) (TimerView, error) {
	var v TimerView
	err := r.Scan(&v.ID, &v.CaseID, &v.CaseNo, &v.Kind, &v.Owner, &v.Handler, &v.MatterCode, &v.Department, &v.LimitDays,
		&v.Unit, &v.StartedAt, &v.WarnAt, &v.RedAt, &v.DueAt, &v.Provisional, &v.State, &v.AlertsFired, &v.ClosedAt,
		&v.Outcome, &v.pausedAt)
	v.Pauses = []PauseView{}
	return v, err
}

// finish fills in what depends on the time: the light and the countdown. A paused
// clock is frozen at its pause; a closed one shows its outcome, and the days it had
// left (or was late by) when it closed.
func (d *Deadlines) finish(v *TimerView, now time.Time) {
	v.LastDay = shanghaiDay(v.DueAt.Add(-time.Nanosecond)).Format(time.DateOnly)
	ref := now
	switch {
	case v.State == "paused" && v.pausedAt != nil:
		ref = *v.pausedAt
	case v.State == "closed" && v.ClosedAt != nil:
		ref = *v.ClosedAt
	}
	v.RemainingDays = remainingDays(d.cal, ref, v.DueAt, v.Unit)
	v.Light = lightOf(ref, v.WarnAt, v.RedAt, v.DueAt)
	if v.State == "closed" {
		v.Light = "closed"
	}
}

// CaseClock is a case's countdown and its full timeline of timers and pauses.
type CaseClock struct {
	CaseID  uuid.UUID   `json:"case_id"`
	CaseNo  string      `json:"case_no"`
	Now     time.Time   `json:"now"`
	Current *TimerView  `json:"current,omitempty"` // the open clock nearest its end
	Timers  []TimerView `json:"timers"`
}

// CaseClock reads a case's timers by id or case number.
func (d *Deadlines) CaseClock(ctx context.Context, ref string) (*CaseClock, error) {
	var rows pgx.Rows
	var err error
	if id, perr := uuid.Parse(ref); perr == nil {
		rows, err = d.n.opt.DB.Query(ctx, `SELECT `+timerViewCols+` FROM timers WHERE case_id = $1 ORDER BY started_at, id`, id)
	} else {
		rows, err = d.n.opt.DB.Query(ctx, `SELECT `+timerViewCols+` FROM timers WHERE case_no = $1 ORDER BY started_at, id`, ref)
	}
	if err != nil {
		return nil, deadlineErr("case clock", err)
	}
	timers, err := pgx.CollectRows(rows, scanTimerView)
	if err != nil {
		return nil, deadlineErr("case clock", err)
	}
	if len(timers) == 0 {
		return nil, ErrNotFound
	}
	now := d.now()
	out := &CaseClock{CaseID: timers[0].CaseID, CaseNo: timers[0].CaseNo, Now: now, Timers: timers}
	byID := map[int64]*TimerView{}
	for i := range timers {
		d.finish(&timers[i], now)
		byID[timers[i].ID] = &timers[i]
	}
	prows, err := d.n.opt.DB.Query(ctx, `SELECT timer_id, reason, note, actor, paused_at, resumed_at FROM timer_pauses
		WHERE case_id = $1 ORDER BY id`, out.CaseID)
	if err != nil {
		return nil, deadlineErr("case clock", err)
	}
	var timerID int64
	var p PauseView
	if _, err := pgx.ForEachRow(prows, []any{&timerID, &p.Reason, &p.Note, &p.Actor, &p.PausedAt, &p.ResumedAt}, func() error {
		if v := byID[timerID]; v != nil {
			v.Pauses = append(v.Pauses, p)
		}
		return nil
	}); err != nil {
		return nil, deadlineErr("case clock", err)
	}
	for i := range timers {
		t := &timers[i]
		if t.State != "closed" && (out.Current == nil || t.DueAt.Before(out.Current.DueAt)) {
			out.Current = t
		}
	}
	return out, nil
}

func (d *Deadlines) getCaseClock(w http.ResponseWriter, r *http.Request) error {
	c, err := d.CaseClock(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// lightGroups are the groupings of the lights board, each a column of timers.
var lightGroups = map[string]string{"hall": "owner", "matter": "matter_code", "department": "department", "clerk": "handler"}

// LightCount is one line of the lights board: cases by their worst open clock.
type LightCount struct {
	Key     string `json:"key"`
	Green   int    `json:"green"`
	Yellow  int    `json:"yellow"`
	Red     int    `json:"red"`
	Overdue int    `json:"overdue"`
	Paused  int    `json:"paused"`
}

// getLights counts open cases by light, per hall (the one holding the stage), matter,
// department or clerk. A case counts once, with the light of its worst open clock; a
// paused clock keeps the light it had when it stopped.
func (d *Deadlines) getLights(w http.ResponseWriter, r *http.Request) error {
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "hall"
	}
	col, ok := lightGroups[by]
	if !ok {
		return fieldErr("by", "分组须为 hall、matter、department 或 clerk", "must be hall, matter, department or clerk")
	}
	counts, err := d.n.lights(r.Context(), col)
	if err != nil {
		return err
	}
	if counts == nil {
		counts = []LightCount{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"by": by, "at": d.now(), "counts": counts})
}

func limitParam(r *http.Request, def int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, fieldErr("limit", "条数须为 1 至 1000", "must be 1..1000")
	}
	return n, nil
}

// getOverdue lists open clocks past their limit, longest overdue first.
func (d *Deadlines) getOverdue(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitParam(r, 100)
	if err != nil {
		return err
	}
	now := d.now()
	list, err := d.Overdue(r.Context(), limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []TimerView{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"at": now, "overdue": list})
}

// Overdue lists open clocks past their limit, longest overdue first.
func (d *Deadlines) Overdue(ctx context.Context, limit int) ([]TimerView, error) {
	now := d.now()
	rows, err := d.n.opt.DB.Query(ctx, `SELECT `+timerViewCols+` FROM timers
		WHERE state <> 'closed' AND due_at <= CASE WHEN state = 'paused' THEN paused_at ELSE $1 END
		ORDER BY due_at, id LIMIT $2`, now, limit)
	if err != nil {
		return nil, deadlineErr("overdue", err)
	}
	list, err := pgx.CollectRows(rows, scanTimerView)
	if err != nil {
		return nil, deadlineErr("overdue", err)
	}
	for i := range list {
		d.finish(&list[i], now)
	}
	return list, nil
}

// getAlerts lists the latest alerts this hall fired and whether they were delivered.
func (d *Deadlines) getAlerts(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitParam(r, 100)
	if err != nil {
		return err
	}
	rows, err := d.n.opt.DB.Query(r.Context(), `SELECT id, case_id, case_no, kind, level, recipient, matter_code,
		department, handler, due_at, fired_at, timer_id, stage, notified_at FROM deadline_alerts
		WHERE ($2 = '' OR case_no = $2) ORDER BY fired_at DESC, id DESC LIMIT $1`, limit, r.URL.Query().Get("case_no"))
	if err != nil {
		return deadlineErr("alerts", err)
	}
	type alertView struct {
		Alert
		NotifiedAt *time.Time `json:"notified_at"`
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alertView, error) {
		var a alertView
		err := row.Scan(&a.ID, &a.CaseID, &a.CaseNo, &a.Kind, &a.Level, &a.Recipient, &a.MatterCode, &a.Department,
			&a.Handler, &a.DueAt, &a.FiredAt, &a.TimerID, &a.Stage, &a.NotifiedAt)
		a.Hall = d.n.opt.Code
		return a, err
	})
	if err != nil {
		return deadlineErr("alerts", err)
	}
	if list == nil {
		list = []alertView{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"alerts": list})
}
