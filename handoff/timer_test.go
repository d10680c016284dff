package handoff

import (
	"context"
	"testing"

	"github.com/tongban/tongban/handoff/workcal"
)

// TestTimersFollowTransitions drives a case between two halls across the 2026 Spring
// Festival and checks each stage's clock at both halls: who owns it, when it is due,
// how 补正 starting inside the holiday moves it, and the supervision timeline.
func TestTimersFollowTransitions(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(at(t, "2026-02-12 10:00"))
	a, b := newClockPair(t, clock)
	id, caseNo := acceptCase(t, a)

	dispatch := a.mustTimer(t, id, TimerDispatch)
	if dispatch.Owner != gz || dispatch.State != "running" || lastDayOf(dispatch.Due) != "2026-02-13" || dispatch.Fire == nil {
		t.Fatalf("dispatch timer after intake: %+v", dispatch)
	}

	clock.Set(at(t, "2026-02-13 09:00"))
	shipCase(t, a, id)
	waitState(t, b, id, Dispatched)
	if d := a.mustTimer(t, id, TimerDispatch); d.State != "closed" || *d.Outcome != "met" {
		t.Errorf("dispatch timer after dispatch: %+v", d)
	}
	// 1 working day from Friday 13 Feb is the make-up Saturday.
	if p := a.mustTimer(t, id, TimerPickup); p.State != "running" || lastDayOf(p.Due) != "2026-02-14" {
		t.Errorf("pickup at the origin: %+v", p)
	}
	// The deciding hall shows the origin's clock but never fires it.
	if p := b.mustTimer(t, id, TimerPickup); p.Owner != gz || p.Fire != nil {
		t.Errorf("pickup at the deciding hall: %+v", p)
	}

	clock.Set(at(t, "2026-02-13 15:00"))
	b.must(t, 200, "POST", "/api/v1/receive", ReceiveRequest{Scan: caseNo})
	if p := b.mustTimer(t, id, TimerPickup); p.State != "closed" {
		t.Errorf("sign-for leaves pickup %s", p.State)
	}
	// Art. 32: 5 working days from receipt: 14, 24, 25, 26, 27 Feb.
	if d := b.mustTimer(t, id, TimerIntakeDecision); d.Owner != fs || lastDayOf(d.Due) != "2026-02-27" || d.Handler != "hall_staff-"+fs {
		t.Fatalf("intake decision: %+v", d)
	}

	// 补正 asked on the second day of the holiday, supplement on 25 Feb: the pause
	// costs only 24 and 25 Feb, so the end moves two working days from 27 Feb: to the
	// make-up Saturday 28 Feb, then Monday 2 Mar.
	clock.Set(at(t, "2026-02-16 10:00"))
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/request-correction", Step{Items: []Item{{Name: "补充说明"}}, Note: "缺少说明"})
	if d := b.mustTimer(t, id, TimerIntakeDecision); d.State != "paused" || d.Fire != nil {
		t.Fatalf("correction leaves the intake clock %+v", d)
	}
	clock.Set(at(t, "2026-02-25 10:00"))
	waitState(t, a, id, CorrectionRequested)
	a.must(t, 200, "POST", "/api/v1/cases/"+id+"/supplement", Step{Items: []Item{{Name: "补充说明", Originals: 1}}})
	waitState(t, b, id, Received)
	d := b.mustTimer(t, id, TimerIntakeDecision)
	if d.State != "running" || lastDayOf(d.Due) != "2026-03-02" {
		t.Fatalf("after the supplement the intake clock is %s, last day %s; want running, 2026-03-02", d.State, lastDayOf(d.Due))
	}

	clock.Set(at(t, "2026-02-26 10:00"))
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/accept", Step{})
	if d := b.mustTimer(t, id, TimerIntakeDecision); d.State != "closed" || *d.Outcome != "met" {
		t.Errorf("acceptance leaves the intake clock %+v", d)
	}
	m, _ := firstMatter(t, a)
	cal := workcal.New()
	want := cal.AddWorkingDays(at(t, "2026-02-26 10:00"), m.PromisedLimit)
	if m.LimitUnit == UnitNatural {
		want = cal.AddNaturalDays(at(t, "2026-02-26 10:00"), m.PromisedLimit)
	}
	promised := b.mustTimer(t, id, TimerPromised)
	if !promised.Due.Equal(want.At) || promised.Owner != fs {
		t.Fatalf("promised clock due %s owner %s, want %s (%d %s days)", promised.Due, promised.Owner, want.At, m.PromisedLimit, m.LimitUnit)
	}
	waitState(t, a, id, UnderReview)
	if p := a.mustTimer(t, id, TimerPromised); p.Owner != fs || p.Fire != nil || !p.Due.Equal(want.At) {
		t.Errorf("origin's copy of the promised clock: %+v", p)
	}

	// A special procedure stops the decision clocks; two working days pass.
	clock.Set(at(t, "2026-03-02 10:00"))
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/pause", Step{Kind: "expert_review", Note: "专家评审"})
	clock.Set(at(t, "2026-03-04 10:00"))
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/resume", Step{})
	if m.LimitUnit != UnitNatural {
		moved := cal.Extend(want.At, at(t, "2026-03-02 10:00"), at(t, "2026-03-04 10:00"))
		if p := b.mustTimer(t, id, TimerPromised); !p.Due.Equal(moved.At) {
			t.Errorf("after the special procedure promised is due %s, want %s", p.Due, moved.At)
		}
	}

	clock.Set(at(t, "2026-03-05 10:00"))
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/conclude", Step{Result: &Result{Outcome: "granted", DocumentName: "营业执照", DocumentNo: "91440605MA5TEST01X"}})
	// Art. 44: 10 working days from the decision.
	if r := b.mustTimer(t, id, TimerResultDispatch); lastDayOf(r.Due) != "2026-03-19" {
		t.Errorf("result dispatch due %s, want 2026-03-19", lastDayOf(r.Due))
	}

	clock.Set(at(t, "2026-03-06 10:00"))
	clk := b.must(t, 200, "GET", "/api/v1/supervision/cases/"+caseNo, nil)
	timers := clk["timers"].([]any)
	pausesOf := map[string]int{}
	for _, x := range timers {
		tv := x.(map[string]any)
		pausesOf[tv["kind"].(string)] = len(tv["pauses"].([]any))
	}
	if pausesOf[TimerIntakeDecision] != 1 || pausesOf[TimerPromised] != 1 || pausesOf[TimerLegal] != 1 {
		t.Errorf("timeline pauses %v, want one each on intake_decision, promised and legal", pausesOf)
	}
	cur := clk["current"].(map[string]any)
	if cur["kind"] != TimerResultDispatch || cur["remaining_days"].(float64) != 9 || cur["light"] != LightGreen {
		t.Errorf("countdown %v, want result_dispatch green with 9 working days left", cur)
	}
	var reason string
	_ = b.opt.DB.QueryRow(context.Background(), `SELECT reason FROM timer_pauses p JOIN timers t ON t.id = p.timer_id
		WHERE t.case_id = $1 AND t.kind = 'promised'`, id).Scan(&reason)
	if reason != "case.paused:expert_review" {
		t.Errorf("pause reason %q", reason)
	}
}

// TestDeemedAcceptance: no decision on intake within 5 working days of receipt counts
// as acceptance on the day the materials arrived (Art. 32). The sweep records it,
// alerts once and starts the decision clocks from receipt.
func TestDeemedAcceptance(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(at(t, "2026-02-12 10:00"))
	a, b := newClockPair(t, clock)
	id, caseNo := acceptCase(t, a)
	shipCase(t, a, id)
	waitState(t, b, id, Dispatched)
	clock.Set(at(t, "2026-02-13 11:00"))
	b.must(t, 200, "POST", "/api/v1/receive", ReceiveRequest{Scan: caseNo})

	clock.Set(at(t, "2026-02-27 18:00")) // the last day: red, not yet deemed
	b.sweep(t)
	if d := b.mustTimer(t, id, TimerIntakeDecision); d.State != "running" || d.Stage != stageRed {
		t.Fatalf("on the last day: %+v", d)
	}
	clock.Set(at(t, "2026-02-28 00:00"))
	if n := b.sweep(t); n != 1 {
		t.Fatalf("sweep fired %d, want 1", n)
	}
	// The decision clocks started at receipt may be overdue themselves and fire now;
	// the intake clock fires nothing more.
	b.sweep(t)
	if n := b.count(t, `SELECT count(*) FROM deadline_alerts WHERE case_id = $1 AND kind = 'intake_decision'`, id); n != 2 {
		t.Errorf("%d intake-decision alerts, want red and deemed", n)
	}
	d := b.mustTimer(t, id, TimerIntakeDecision)
	if d.State != "closed" || d.Outcome == nil || *d.Outcome != LevelDeemedAccepted {
		t.Fatalf("intake clock after the limit: %+v", d)
	}
	if n := b.count(t, `SELECT count(*) FROM deadline_alerts WHERE case_id = $1 AND level = 'deemed_accepted'`, id); n != 1 {
		t.Errorf("%d deemed-acceptance alerts", n)
	}
	if n := b.count(t, `SELECT count(*) FROM case_events WHERE case_id = $1 AND action = 'deadline.deemed_accepted'`, id); n != 1 {
		t.Errorf("%d deemed-acceptance events on the timeline", n)
	}
	p := b.mustTimer(t, id, TimerPromised)
	if !p.Started.Equal(at(t, "2026-02-13 11:00")) {
		t.Errorf("decision clock starts %s, want the receipt", p.Started)
	}
	// The formal acceptance that follows keeps the clock of the deemed one.
	clock.Set(at(t, "2026-03-02 09:00"))
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/accept", Step{})
	if p2 := b.mustTimer(t, id, TimerPromised); !p2.Started.Equal(p.Started) || !p2.Due.Equal(p.Due) {
		t.Errorf("acceptance restarted the clock: %+v, was %+v", p2, p)
	}
	// Every alert went to the supervision topic with it, and no other.
	alerts := b.count(t, `SELECT count(*) FROM deadline_alerts`)
	if n := b.count(t, `SELECT count(*) FROM outbox WHERE topic = 'tongban.supervision.alerts'`); n != alerts || n < 2 {
		t.Errorf("%d supervision messages for %d alerts", n, alerts)
	}
}

// TestLightsAndLadder walks one clock through yellow, red, overdue and the ladder:
// each step fires once, and the board and the overdue list follow.
func TestLightsAndLadder(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(at(t, "2026-03-02 10:00"))
	rec := &recordingNotifier{}
	ctx := context.Background()
	a := startClockHall(t, gz, newEmbeddedBus(t), clockHall{clock: clock, notifier: rec})
	id, caseNo := acceptCase(t, a)
	// 1 working day: due at 4 Mar 00:00; the lights are shares of those 38 hours.
	steps := []struct {
		now              string
		level, recipient string
		light            string
		remaining        int
	}{
		{"2026-03-02 20:00", "", "", LightGreen, 1},
		{"2026-03-03 05:00", LevelYellow, RecipientHandler, LightYellow, 0},
		{"2026-03-03 17:00", LevelRed, RecipientHandler, LightRed, 0},
		{"2026-03-04 00:00", LevelOverdue, RecipientHandler, LightOverdue, -1},
		{"2026-03-04 23:00", "", "", LightOverdue, -1},
		{"2026-03-05 00:00", LevelOverdue, RecipientSectionHead, LightOverdue, -2},
		{"2026-03-07 00:00", LevelOverdue, RecipientLeader, LightOverdue, -3},
		{"2026-03-20 00:00", "", "", LightOverdue, -13},
	}
	fired := 0
	for _, s := range steps {
		clock.Set(at(t, s.now))
		n := a.sweep(t)
		if (n == 1) != (s.level != "") {
			t.Fatalf("%s: sweep fired %d", s.now, n)
		}
		if s.level != "" {
			fired++
			var level, recipient string
			if err := a.opt.DB.QueryRow(ctx, `SELECT level, recipient FROM deadline_alerts WHERE case_id = $1
				ORDER BY stage DESC LIMIT 1`, id).Scan(&level, &recipient); err != nil || level != s.level || recipient != s.recipient {
				t.Errorf("%s: alert %s to %s, want %s to %s (%v)", s.now, level, recipient, s.level, s.recipient, err)
			}
		}
		board := a.must(t, 200, "GET", "/api/v1/supervision/lights?by=clerk", nil)["counts"].([]any)
		row := board[0].(map[string]any)
		if row["key"] != "window_clerk-"+gz || row[s.light].(float64) != 1 {
			t.Errorf("%s: board %v, want one %s case for clerk-%s", s.now, row, s.light, gz)
		}
		cur := a.must(t, 200, "GET", "/api/v1/supervision/cases/"+id, nil)["current"].(map[string]any)
		if int(cur["remaining_days"].(float64)) != s.remaining {
			t.Errorf("%s: remaining %v, want %d", s.now, cur["remaining_days"], s.remaining)
		}
	}
	over := a.must(t, 200, "GET", "/api/v1/supervision/overdue", nil)["overdue"].([]any)
	if len(over) != 1 || over[0].(map[string]any)["case_no"] != caseNo {
		t.Errorf("overdue list %v", over)
	}
	if _, err := a.Deadlines().NotifyOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.count(); got != fired {
		t.Errorf("notifier got %d alerts, want %d", got, fired)
	}
	if n := a.count(t, `SELECT count(*) FROM deadline_alerts WHERE notified_at IS NULL`); n != 0 {
		t.Errorf("%d alerts left undelivered", n)
	}
	// Shipping closes the clock late; nothing more fires.
	shipCase(t, a, id)
	if d := a.mustTimer(t, id, TimerDispatch); *d.Outcome != "late" {
		t.Errorf("outcome %v, want late", *d.Outcome)
	}
}
