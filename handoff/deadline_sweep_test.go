package handoff

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// insertTimers adds n open timers of made-up cases owned by hall, the first due of
// them with their yellow instant at dueAt and the rest far in the future.
func insertTimers(t testing.TB, pool *pgxpool.Pool, hall string, n, due int, dueAt time.Time) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `INSERT INTO timers (case_id, kind, case_no, matter_code, department, handler,
		owner, limit_days, unit, yellow_pct, red_pct, section_head_after_s, leader_after_s, started_at, warn_at, red_at,
		due_at, state, stage, fire_at)
		SELECT gen_random_uuid(), 'promised', 'BENCH' || g, 'M' || (g % 20), 'D' || (g % 7), 'clerk' || (g % 50), $1,
		       5, 'working', 50, 80, 86400, 259200, $2::timestamptz - interval '2 days', w, w + interval '2 days',
		       w + interval '3 days', 'running', 0, w
		FROM generate_series(1, $3::int) g,
		     LATERAL (SELECT CASE WHEN g <= $4 THEN $2::timestamptz ELSE $2::timestamptz + interval '30 days' END AS w) x`,
		hall, dueAt, n, due)
	if err != nil {
		t.Fatal(err)
	}
}

// TestTwoSweepersFireEachStepOnce runs two halls' sweepers on one database at once,
// both bypassing and both taking the advisory lock: every due timer fires exactly one
// alert with exactly one supervision message.
func TestTwoSweepersFireEachStepOnce(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(at(t, "2026-03-02 10:00"))
	cfg := newEmbeddedBus(t)
	a := startClockHall(t, gz, cfg, clockHall{clock: clock})
	b := startClockHall(t, gz, cfg, clockHall{clock: clock, pool: a.opt.DB, priv: a.priv})
	a.Deadlines().Batch, b.Deadlines().Batch = 50, 50
	const n = 3000
	insertTimers(t, a.opt.DB, gz, n+500, n, at(t, "2026-03-02 09:00"))

	var wg sync.WaitGroup
	fired := make([]int, 4)
	for i, h := range []*testHall{a, b, a, b} {
		wg.Go(func() {
			if i < 2 {
				fired[i] = h.sweep(t) // SKIP LOCKED alone
			} else {
				h.Deadlines().tick(context.Background()) // with the advisory lock
			}
		})
	}
	wg.Wait()
	if got := fired[0] + fired[1]; got > n {
		t.Errorf("sweepers report %d fired, more than %d due", got, n)
	}
	if got := a.count(t, `SELECT count(*) FROM deadline_alerts`); got != n {
		t.Errorf("%d alerts for %d due timers", got, n)
	}
	if got := a.count(t, `SELECT count(DISTINCT timer_id) FROM deadline_alerts`); got != n {
		t.Errorf("%d timers alerted, want %d", got, n)
	}
	if got := a.count(t, `SELECT count(*) FROM outbox WHERE topic = 'tongban.supervision.alerts'`); got != n {
		t.Errorf("%d supervision messages, want %d", got, n)
	}
	if got := a.count(t, `SELECT count(*) FROM timers WHERE stage = 1`); got != n {
		t.Errorf("%d timers at yellow, want %d", got, n)
	}
	if a.sweep(t)+b.sweep(t) != 0 {
		t.Error("a later sweep fired again")
	}
}

// TestTimerDueWhileDownFiresOnceAtStart stops a hall, lets its clock run past the
// limit and the first escalation, and starts a new node on the same database: the
// timer fires once, at start, at the step it has reached.
func TestTimerDueWhileDownFiresOnceAtStart(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(at(t, "2026-03-02 10:00"))
	cfg := newEmbeddedBus(t)
	a := startClockHall(t, gz, cfg, clockHall{clock: clock})
	id, _ := acceptCase(t, a)
	a.stop()

	clock.Set(at(t, "2026-03-05 12:00")) // due 4 Mar 00:00, section head from 5 Mar 00:00
	rec := &recordingNotifier{}
	b := startClockHall(t, gz, cfg, clockHall{clock: clock, pool: a.opt.DB, priv: a.priv, autoSweep: true, notifier: rec})
	eventually(t, "the alert at start", func() bool {
		return b.count(t, `SELECT count(*) FROM deadline_alerts WHERE case_id = $1`, id) > 0
	})
	eventually(t, "the notifier", func() bool { return rec.count() > 0 })
	time.Sleep(2500 * time.Millisecond) // a few cron ticks more
	var recipient string
	_ = b.opt.DB.QueryRow(context.Background(), `SELECT recipient FROM deadline_alerts WHERE case_id = $1`, id).Scan(&recipient)
	if n := b.count(t, `SELECT count(*) FROM deadline_alerts WHERE case_id = $1`, id); n != 1 || recipient != RecipientSectionHead {
		t.Errorf("%d alerts (to %s), want one to the section head", n, recipient)
	}
	if rec.count() != 1 {
		t.Errorf("notifier told %d times", rec.count())
	}
}

// TestYearLoadMakesDeadlinesFinal: a deadline reaching into 2027 is provisional until
// the year is loaded; loading it computes the deadline again, and the year is kept
// for the next start.
func TestYearLoadMakesDeadlinesFinal(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(at(t, "2026-12-30 10:00"))
	cfg := newEmbeddedBus(t)
	a := startClockHall(t, gz, cfg, clockHall{clock: clock})
	a.must(t, 200, "PUT", "/api/v1/supervision/policies/dispatch", map[string]any{"limit_days": 3, "unit": "working",
		"yellow_pct": 50, "red_pct": 80, "section_head_after_s": 3600, "leader_after_s": 7200})
	id, _ := acceptCase(t, a)
	d := a.mustTimer(t, id, TimerDispatch)
	if lastDayOf(d.Due) != "2027-01-04" || !d.Provisional { // 31 Dec, 1 Jan (a guess), 4 Jan
		t.Fatalf("before 2027 is loaded: last day %s provisional %v", lastDayOf(d.Due), d.Provisional)
	}
	cur := a.must(t, 200, "GET", "/api/v1/supervision/cases/"+id, nil)["current"].(map[string]any)
	if cur["provisional"] != true {
		t.Errorf("countdown does not say provisional: %v", cur)
	}

	a.must(t, 400, "POST", "/api/v1/workcal/years", json.RawMessage(`{"year":2027,"version":"x","holidays":[]}`))
	year := json.RawMessage(`{"year":2027,"version":"国办发明电〔2026〕test","holidays":[{"name":"元旦","from":"2027-01-01","to":"2027-01-03"}],"workdays":["2027-01-09"]}`)
	out := a.must(t, 200, "POST", "/api/v1/workcal/years", year)
	if out["recomputed_timers"].(float64) < 1 {
		t.Errorf("load answered %v", out)
	}
	d = a.mustTimer(t, id, TimerDispatch)
	if lastDayOf(d.Due) != "2027-01-05" || d.Provisional { // 31 Dec, 4 Jan, 5 Jan
		t.Errorf("after 2027 is loaded: last day %s provisional %v", lastDayOf(d.Due), d.Provisional)
	}
	if d.Fire == nil || !d.Fire.Equal(d.Warn) {
		t.Errorf("the sweep's next look %v is not the new yellow instant %v", d.Fire, d.Warn)
	}
	a.stop()
	b := startClockHall(t, gz, cfg, clockHall{clock: clock, pool: a.opt.DB, priv: a.priv})
	if !slices.Contains(b.Deadlines().Calendar().Years(), 2027) {
		t.Errorf("a restarted hall knows %v", b.Deadlines().Calendar().Years())
	}
	years := b.must(t, 200, "GET", "/api/v1/workcal/years", nil)
	if len(years["loaded"].([]any)) != 1 {
		t.Errorf("years %v", years)
	}
	wd := b.must(t, 200, "GET", "/api/v1/workcal/working-days?from=2026-12-30&add=3", nil)
	if wd["last_day"] != "2027-01-05" || wd["provisional"] != false {
		t.Errorf("working-days answer %v", wd)
	}
}

// TestPolicyAPI: defaults are listed, a matter's override wins over the hall's, bad
// figures are refused with the field named.
func TestPolicyAPI(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(at(t, "2026-03-02 10:00"))
	a := startClockHall(t, gz, newEmbeddedBus(t), clockHall{clock: clock})
	list := a.must(t, 200, "GET", "/api/v1/supervision/policies", nil)["policies"].([]any)
	if len(list) != len(TimerKinds) {
		t.Fatalf("%d default policies, want %d", len(list), len(TimerKinds))
	}
	bad := a.must(t, 400, "PUT", "/api/v1/supervision/policies/dispatch", map[string]any{"limit_days": 1, "unit": "working",
		"yellow_pct": 90, "red_pct": 80, "section_head_after_s": 0, "leader_after_s": 0})
	if bad["field"] != "red_pct" {
		t.Errorf("problem %v", bad)
	}
	a.must(t, 400, "PUT", "/api/v1/supervision/policies/nonsense", map[string]any{"yellow_pct": 50, "red_pct": 80})
	m, _ := firstMatter(t, a)
	a.must(t, 200, "PUT", "/api/v1/supervision/policies/dispatch", map[string]any{"matter_code": m.Code, "limit_days": 2,
		"unit": "natural", "yellow_pct": 30, "red_pct": 60, "section_head_after_s": 60, "leader_after_s": 120})
	id, _ := acceptCase(t, a)
	if d := a.mustTimer(t, id, TimerDispatch); lastDayOf(d.Due) != "2026-03-04" {
		t.Errorf("matter override: last day %s, want 2026-03-04", lastDayOf(d.Due))
	}
	a.must(t, 204, "DELETE", "/api/v1/supervision/policies/dispatch?matter_code="+m.Code, nil)
	a.must(t, 404, "DELETE", "/api/v1/supervision/policies/dispatch?matter_code="+m.Code, nil)
}
