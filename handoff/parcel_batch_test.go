package handoff

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/sf"
)

// courierHalls is two running halls whose origin (Guangzhou) takes signed SF route
// pushes straight from the test, with no simulator: the test decides which scans
// arrive together. before runs on the origin before it starts (to add hooks).
func courierHalls(t *testing.T, before func(a *testHall)) (a, b *testHall) {
	t.Helper()
	w, start := newParcelHalls(t)
	setup := pushOnlySF(t)
	if before != nil {
		before(w.a)
	}
	start(setup)
	return w.a, w.b
}

// pushOnlySF is the origin's SF account for tests that push routes themselves: no
// carrier is reachable, so nothing is ordered or polled.
func pushOnlySF(t testing.TB) *CourierSetup {
	t.Helper()
	cfg := courier.DefaultConfig()
	cfg.PollInterval = time.Hour
	setup, err := NewCourierSetup(cfg, CourierAccounts{SF: &sf.Config{PartnerID: simPartner, CheckWord: simCheckWord,
		MonthlyCard: "7551234567", Client: courier.ClientConfig{BaseURL: "http://127.0.0.1:1/sf"}}})
	if err != nil {
		t.Fatal(err)
	}
	return setup
}

// shippedCases accepts, packages and dispatches n cases at the origin with typed SF
// waybills and returns their ids and waybills.
func shippedCases(t *testing.T, a *testHall, n int) (ids, waybills []string) {
	t.Helper()
	for range n {
		id, _ := acceptCase(t, a)
		shipCase(t, a, id)
		ids = append(ids, id)
		waybills = append(waybills, "SF"+id[len(id)-10:])
	}
	return ids, waybills
}

type sfScan struct {
	waybill, code string
	at            time.Time
}

// pushSF sends one signed SF route push with the scans and wants SF's success answer.
func pushSF(t *testing.T, a *testHall, scans ...sfScan) {
	t.Helper()
	var routes []string
	for _, s := range scans {
		routes = append(routes, `{"id":"1","mailno":"`+s.waybill+`","orderid":"x","acceptTime":"`+courier.FormatLocalTime(s.at)+
			`","acceptAddress":"广州市","remark":"scan `+s.code+`","opCode":"`+s.code+`","reasonCode":"","reasonName":""}`)
	}
	msg := `{"Body":{"WaybillRoute":[` + strings.Join(routes, ",") + `]}}`
	form := sf.SignedForm(simPartner, simCheckWord, sf.ServiceRoutePush, msg, time.Now())
	resp, err := http.Post(a.base+"/api/v1/courier/callbacks/sf", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != sf.PushOK {
		t.Fatalf("push answered %d %s", resp.StatusCode, body)
	}
}

func scansOf(waybills []string, code string, at time.Time) []sfScan {
	out := make([]sfScan, len(waybills))
	for i, w := range waybills {
		out[i] = sfScan{w, code, at}
	}
	return out
}

// TestCourierPushMovesCasesInItsBatch sends pushes that move several cases at once
// and checks that each case moved in the push's own transaction, through the same
// state machine as a single move: compare-and-set, one message per move in sequence
// to the partner, the timeline, the audit log and the clocks, including a paused
// clock closed on the way and a case that skips in_transit.
func TestCourierPushMovesCasesInItsBatch(t *testing.T) {
	t.Parallel()
	a, b := courierHalls(t, nil)
	ids, waybills := shippedCases(t, a, 6)
	ctx := context.Background()
	// A paused pickup clock (a transfer clock is not normally paused) must be
	// resumed, recomputed and closed as closeTimers would.
	if _, err := a.opt.DB.Exec(ctx, `UPDATE timers SET state = 'paused', paused_at = now() - interval '1 hour', fire_at = NULL
		WHERE case_id = $1 AND kind = $2`, ids[1], TimerPickup); err != nil {
		t.Fatal(err)
	}
	if _, err := a.opt.DB.Exec(ctx, `INSERT INTO timer_pauses (timer_id, case_id, reason, note, actor, paused_at)
		SELECT id, case_id, 'test', '', 'test', paused_at FROM timers WHERE case_id = $1 AND kind = $2`, ids[1], TimerPickup); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	// Picked up: cases 0–3 in one push. Case 4 and 5 get nothing yet.
	pushSF(t, a, scansOf(waybills[:4], "50", at)...)
	for _, id := range ids[:4] {
		if s := a.stateAt(t, id); s != InTransit {
			t.Fatalf("case %s is %s once the push was answered, want in_transit", id, s)
		}
	}
	// Delivered: 0–1 from in_transit, 4 straight from dispatched, with a late sorting
	// scan for 2 that moves nothing.
	later := at.Add(30 * time.Minute)
	pushSF(t, a, append(scansOf(append(waybills[:2:2], waybills[4]), "80", later), sfScan{waybills[2], "30", later})...)
	want := map[string]State{ids[0]: Delivered, ids[1]: Delivered, ids[2]: InTransit, ids[3]: InTransit, ids[4]: Delivered, ids[5]: Dispatched}
	for id, st := range want {
		if s := a.stateAt(t, id); s != st {
			t.Errorf("case %s is %s, want %s", id, s, st)
		}
	}
	if n := a.count(t, `SELECT count(*) FROM parcels WHERE pending_move IS NOT NULL`); n != 0 {
		t.Errorf("%d parcels still owe a move", n)
	}
	moves := map[string][]string{ids[0]: {TypeInTransit, TypeDelivered}, ids[1]: {TypeInTransit, TypeDelivered},
		ids[2]: {TypeInTransit}, ids[3]: {TypeInTransit}, ids[4]: {TypeDelivered}, ids[5]: nil}
	for id, ms := range moves {
		// One timeline entry, one audit row and one message per move, the messages
		// numbered after case.dispatched (seq 1) in the order the moves were made.
		rows, _ := a.opt.DB.Query(ctx, `SELECT action FROM case_events WHERE case_id = $1 AND action LIKE 'parcel.%' ORDER BY id`, id)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != strings.Join(ms, ",") {
			t.Errorf("case %s timeline %v, want %v", id, got, ms)
		}
		if n := a.count(t, `SELECT count(*) FROM case_events e JOIN outbox o ON o.id = e.message_id
			WHERE e.case_id = $1 AND e.action LIKE 'parcel.%'`, id); n != len(ms) {
			t.Errorf("case %s has %d parcel moves with their message, want %d", id, n, len(ms))
		}
		if n := a.count(t, `SELECT count(*) FROM audit_log a JOIN cases c ON c.case_no = a.target
			WHERE c.id = $1 AND a.actor = 'courier:sf' AND a.detail->>'made' = 'local'`, id); n != len(ms) {
			t.Errorf("case %s has %d audit rows from the courier, want %d", id, n, len(ms))
		}
		if n := a.count(t, `SELECT out_seq FROM cases WHERE id = $1`, id); n != 1+len(ms) {
			t.Errorf("case %s out_seq %d, want %d", id, n, 1+len(ms))
		}
	}
	// Clocks: a delivered case has closed its transfer stages and opened sign-for; a
	// case in transit runs its delivery clock.
	for _, id := range []string{ids[0], ids[1], ids[4]} {
		for _, kind := range []string{TimerPickup, TimerDelivery} {
			if tm, ok := a.timer(t, id, kind); ok && tm.State != "closed" {
				t.Errorf("case %s %s timer %s, want closed", id, kind, tm.State)
			}
		}
		if tm := a.mustTimer(t, id, TimerSignFor); tm.State != "running" {
			t.Errorf("case %s sign-for timer %s", id, tm.State)
		}
	}
	for _, id := range ids[2:4] {
		if tm := a.mustTimer(t, id, TimerDelivery); tm.State != "running" {
			t.Errorf("case %s delivery timer %s", id, tm.State)
		}
	}
	if n := a.count(t, `SELECT count(*) FROM timer_pauses p JOIN timers t ON t.id = p.timer_id
		WHERE t.case_id = $1 AND t.kind = $2 AND p.resumed_at IS NOT NULL AND t.state = 'closed'`, ids[1], TimerPickup); n != 1 {
		t.Errorf("the paused pickup clock was not resumed and closed (%d)", n)
	}
	// The partner applies every message in order and ends in the same states.
	for id, st := range want {
		waitState(t, b, id, st)
	}
}

// TestCourierPushSkipsCaseHeldElsewhere holds one case's row while a push moves it
// and another: the push is answered without waiting, the free case moves with it,
// and the held one stays owed until the mover can make the move.
func TestCourierPushSkipsCaseHeldElsewhere(t *testing.T) {
	t.Parallel()
	a, _ := courierHalls(t, nil)
	ids, waybills := shippedCases(t, a, 2)
	ctx := context.Background()
	hold, err := a.opt.DB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, ids[0]); err != nil {
		t.Fatal(err)
	}
	pushSF(t, a, scansOf(waybills, "50", time.Now().Add(-time.Hour))...)
	if s := a.stateAt(t, ids[1]); s != InTransit {
		t.Fatalf("the free case is %s, want in_transit", s)
	}
	if s := a.stateAt(t, ids[0]); s != Dispatched {
		t.Fatalf("the held case is %s, want dispatched until released", s)
	}
	if n := a.count(t, `SELECT count(*) FROM parcels WHERE case_id = $1 AND pending_move = 'in_transit'`, ids[0]); n != 1 {
		t.Fatalf("the held case's parcel does not owe its move")
	}
	if err := hold.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	waitState(t, a, ids[0], InTransit)
	eventually(t, "the owed move cleared", func() bool {
		return a.count(t, `SELECT count(*) FROM parcels WHERE pending_move IS NOT NULL`) == 0
	})
	if n := a.count(t, `SELECT count(*) FROM case_events WHERE case_id = $1 AND action = $2`, ids[0], TypeInTransit); n != 1 {
		t.Errorf("the held case moved %d times", n)
	}
}

// TestCourierMoveFailureKeepsEvents makes one case's move fail: the push's events
// are stored and answered all the same, the other cases of the batch move, and the
// failed move is owed until it can be made.
func TestCourierMoveFailureKeepsEvents(t *testing.T) {
	t.Parallel()
	var failing atomic.Value
	failing.Store("")
	a, _ := courierHalls(t, func(a *testHall) {
		a.OnTransition(func(ctx context.Context, tx pgx.Tx, tr Transition) error {
			if tr.CaseID.String() == failing.Load().(string) {
				return errors.New("test: move refused")
			}
			return nil
		})
	})
	ids, waybills := shippedCases(t, a, 3)
	failing.Store(ids[0])
	pushSF(t, a, scansOf(waybills, "50", time.Now().Add(-time.Hour))...)
	if n := a.count(t, `SELECT count(*) FROM parcel_events WHERE waybill = ANY($1)`, waybills); n != 3 {
		t.Fatalf("%d events stored, want 3", n)
	}
	waitState(t, a, ids[1], InTransit)
	waitState(t, a, ids[2], InTransit)
	if s := a.stateAt(t, ids[0]); s != Dispatched {
		t.Fatalf("the refused case is %s", s)
	}
	if n := a.count(t, `SELECT count(*) FROM parcels WHERE case_id = $1 AND pending_move = 'in_transit'`, ids[0]); n != 1 {
		t.Fatalf("the refused case's parcel does not owe its move")
	}
	failing.Store("")
	waitState(t, a, ids[0], InTransit)
	for _, id := range ids {
		if n := a.count(t, `SELECT count(*) FROM case_events WHERE case_id = $1 AND action = $2`, id, TypeInTransit); n != 1 {
			t.Errorf("case %s moved %d times", id, n)
		}
	}
}
