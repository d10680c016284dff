package handoff

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// parallel runs f for 0..n-1 with at most width at once.
func parallel(n, width int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, width)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() { defer wg.Done(); defer func() { <-sem }(); f(i) }()
	}
	wg.Wait()
}

func countWhere(t testing.TB, h *testHall, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.opt.DB.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventuallyAll waits until query counts want rows at h. A thousand cases on a busy
// two-core machine may take longer than eventually's 30 s in all, so the limit is on
// progress instead: it fails when the count has not moved for 30 s.
func eventuallyAll(t *testing.T, what string, h *testHall, want int, query string) {
	t.Helper()
	last, moved := -1, time.Now()
	for {
		got := countWhere(t, h, query)
		if got == want {
			return
		}
		if got != last {
			last, moved = got, time.Now()
		}
		if time.Since(moved) > 30*time.Second {
			t.Fatalf("timed out waiting for %s: %d of %d, no progress for 30s", what, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertConverged checks that both halls hold every case in the same state, that
// every message was applied exactly once, in the sender's order, and nothing was
// quarantined.
func assertConverged(t *testing.T, a, b *testHall, ids []string) {
	t.Helper()
	ctx := context.Background()
	for _, pair := range [][2]*testHall{{a, b}, {b, a}} {
		from, to := pair[0], pair[1]
		sent := countWhere(t, from, `SELECT count(*) FROM outbox`)
		applied := countWhere(t, to, `SELECT count(*) FROM inbox WHERE sender = $1`, from.code)
		if sent != applied {
			t.Errorf("%s sent %d messages, %s recorded %d", from.code, sent, to.code, applied)
		}
		// Each case's seq from the sender is 1..out_seq with no gap and no repeat.
		bad := countWhere(t, to, `SELECT count(*) FROM (SELECT case_id, count(*) c, count(DISTINCT seq) d, max(seq) m
			FROM inbox WHERE sender = $1 GROUP BY case_id) x WHERE c <> d OR c <> m`, from.code)
		if bad != 0 {
			t.Errorf("%d cases at %s have gaps or repeats in %s's sequence", bad, to.code, from.code)
		}
		if q := countWhere(t, to, `SELECT count(*) FROM quarantine`); q != 0 {
			t.Errorf("%d messages quarantined at %s", q, to.code)
		}
		if p := countWhere(t, to, `SELECT count(*) FROM inbox_pending`); p != 0 {
			t.Errorf("%d messages still parked at %s", p, to.code)
		}
	}
	states := func(h *testHall) map[string]string {
		rows, err := h.opt.DB.Query(ctx, `SELECT id::text, state || '/' || out_seq || '/' || in_seq FROM cases`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var id, s string
			rows.Scan(&id, &s)
			out[id] = s
		}
		return out
	}
	sa, sb := states(a), states(b)
	mismatch := 0
	for _, id := range ids {
		var stA, stB string
		var outA, inA, outB, inB int
		fmt.Sscanf(replaceSlash(sa[id]), "%s %d %d", &stA, &outA, &inA)
		fmt.Sscanf(replaceSlash(sb[id]), "%s %d %d", &stB, &outB, &inB)
		if stA != stB || outA != inB || outB != inA {
			mismatch++
			if mismatch < 5 {
				t.Errorf("case %s: origin %s, destination %s", id, sa[id], sb[id])
			}
		}
	}
	if mismatch > 0 {
		t.Errorf("%d of %d cases disagree", mismatch, len(ids))
	}
}

func replaceSlash(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '/' {
			b[i] = ' '
		}
	}
	return string(b)
}

// TestThousandConcurrentCases accepts 1,000 cases at once in Guangzhou, takes every
// one through the whole lifecycle across both halls, and checks each arrived exactly
// once, in order, and that both halls agree at the end.
func TestThousandConcurrentCases(t *testing.T) {
	t.Parallel()
	const n = 1000
	a, b, _ := newPair(t)
	ids := make([]string, n)
	nos := make([]string, n)
	parallel(n, 24, func(i int) {
		ids[i], nos[i] = acceptCase(t, a)
		shipCase(t, a, ids[i])
	})
	eventuallyAll(t, "all packages at Foshan", b, n, `SELECT count(*) FROM cases WHERE state = 'dispatched'`)
	parallel(n, 24, func(i int) {
		b.must(t, 200, "POST", "/api/v1/receive", ReceiveRequest{Scan: nos[i]})
		b.must(t, 200, "POST", "/api/v1/cases/"+ids[i]+"/accept", Step{})
		b.must(t, 200, "POST", "/api/v1/cases/"+ids[i]+"/conclude", Step{Result: &Result{Outcome: "granted", DocumentName: "许可证", DocumentNo: fmt.Sprintf("XK%06d", i)}})
		b.must(t, 200, "POST", "/api/v1/cases/"+ids[i]+"/dispatch-result", Step{Method: "origin_window"})
	})
	eventuallyAll(t, "all results back in Guangzhou", a, n, `SELECT count(*) FROM cases WHERE state = 'result_dispatched'`)
	parallel(n, 24, func(i int) {
		a.must(t, 200, "POST", "/api/v1/cases/"+ids[i]+"/deliver-result", Step{SignedBy: "申请人"})
		a.must(t, 200, "POST", "/api/v1/cases/"+ids[i]+"/close", Step{})
	})
	eventuallyAll(t, "all closed in Foshan", b, n, `SELECT count(*) FROM cases WHERE state = 'closed'`)
	assertConverged(t, a, b, ids)
}

// TestRelayDiesMidBatch: a relay claims a batch and publishes half of it, then dies
// before marking anything sent. Its connection closes, the server ends its claim, and
// another relay sends the batch again; the receiver applies every message once.
func TestRelayDiesMidBatch(t *testing.T) {
	t.Parallel()
	a, b, cfg := newPair(t)
	a.halt() // Guangzhou's own relay must not interfere; we drive the outbox by hand
	_ = cfg
	var ids []string
	for i := 0; i < 20; i++ {
		id, _ := acceptCase(t, a)
		ids = append(ids, id)
	}
	for _, id := range ids {
		shipCase(t, a, id)
	}
	ctx := context.Background()
	w := newTestWriter(t, a)
	claimed, err := a.claimBatch(ctx, relayLease)
	if err != nil || claimed == nil || len(claimed.rows) != 20 {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	if err := a.publishBatch(ctx, w, claimed.rows[:10]); err != nil {
		t.Fatal(err)
	}
	// A second relay sees the rows claimed and leaves them alone...
	if again, err := a.claimBatch(ctx, relayLease); again != nil || err != nil {
		t.Fatalf("a claimed batch was claimed again: %v, %v", again, err)
	}
	// ...until the first "dies" here, with nothing marked sent.
	if err := claimed.tx.Conn().Close(ctx); err != nil {
		t.Fatal(err)
	}
	claimed.release(ctx) // the pool takes its closed connection back
	// The server ends the dead relay's transaction as soon as it reads the closed
	// connection, a moment later; until then the rows are still locked and skipped.
	eventually(t, "the dead relay's batch sent by another", func() bool {
		if _, err := a.relayOnce(ctx, w); err != nil {
			t.Fatal(err)
		}
		return countWhere(t, a, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`) == 0
	})
	eventually(t, "all 20 cases at Foshan", func() bool {
		return countWhere(t, b, `SELECT count(*) FROM cases`) == 20
	})
	eventually(t, "the 10 duplicates recognised", func() bool { return testutilCounter(b.metrics.duplicates) == 10 })
	if n := countWhere(t, b, `SELECT count(*) FROM inbox`); n != 20 {
		t.Fatalf("Foshan applied %d messages, want 20", n)
	}
	if n := countWhere(t, a, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`); n != 0 {
		t.Fatalf("%d rows left unsent", n)
	}
}

// TestRelayHangsPastItsLease: a relay claims a batch and then hangs. The server ends
// its transaction once it has been idle for the lease, and another relay sends the
// batch; the hung relay can no longer mark anything.
func TestRelayHangsPastItsLease(t *testing.T) {
	t.Parallel()
	a, b, _ := newPair(t)
	a.halt()
	for i := 0; i < 5; i++ {
		id, _ := acceptCase(t, a)
		shipCase(t, a, id)
	}
	ctx := context.Background()
	hung, err := a.claimBatch(ctx, 300*time.Millisecond)
	if err != nil || hung == nil || len(hung.rows) != 5 {
		t.Fatalf("claimed %v, %v", hung, err)
	}
	defer hung.release(ctx)
	var again *outboxClaim
	eventually(t, "the hung relay's rows claimed again", func() bool {
		again, err = a.claimBatch(ctx, relayLease)
		if err != nil {
			t.Fatal(err)
		}
		return again != nil
	})
	if len(again.rows) != 5 {
		t.Fatalf("claimed %d rows again, want 5", len(again.rows))
	}
	if err := a.publishBatch(ctx, newTestWriter(t, a), again.rows); err != nil {
		t.Fatal(err)
	}
	if err := again.sent(ctx); err != nil {
		t.Fatal(err)
	}
	if err := hung.sent(ctx); err == nil {
		t.Fatal("the hung relay marked its batch sent after the server ended its claim")
	}
	if n := countWhere(t, a, `SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND attempts = 1`); n != 5 {
		t.Fatalf("%d rows sent once, want 5", n)
	}
	eventually(t, "5 cases at Foshan", func() bool { return countWhere(t, b, `SELECT count(*) FROM cases`) == 5 })
}
